// A ClusterWriter around another that can hold one create until the test releases it: how a test makes
// the writes of two requests land in a chosen order without timing (e.g. an older register's version's
// revision after a newer register decided).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterWriter } from '../../src/kube/writer.ts';

/** A held write: `arrived` resolves when it is about to be sent; it is sent once `release` is called. */
export interface Hold {
  arrived: Promise<void>;
  release: () => void;
}

export function holdingWriter(inner: ClusterWriter): {
  writer: ClusterWriter;
  /** Holds the next create of an object of `kind`. */
  holdNextCreate: (kind: string) => Hold;
} {
  let held: { kind: string; arrive: () => void; released: Promise<void> } | undefined;
  const gate = async (kind: string) => {
    const hold = held;
    if (hold?.kind !== kind) return;
    held = undefined;
    hold.arrive();
    await hold.released;
  };
  const writer: ClusterWriter = {
    ...inner,
    create: async <T extends KubernetesObject>(object: T) => {
      await gate(object.kind ?? '');
      return inner.create(object);
    },
  };
  const holdNextCreate = (kind: string): Hold => {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    held = { kind, arrive, released };
    return { arrived, release };
  };
  return { writer, holdNextCreate };
}
