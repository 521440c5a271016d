// A ClusterWriter around another that can hold one write until the test releases it: how a test makes
// the writes of two requests land in a chosen order without timing (e.g. an older register's index
// patch after a newer register's, or its version's revision after a newer register decided).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterWriter } from '../../src/kube/writer.ts';

/** A held write: `arrived` resolves when it is about to be sent; it is sent once `release` is called. */
export interface Hold {
  arrived: Promise<void>;
  release: () => void;
}

type Write = { verb: 'create' | 'patch'; kind: string };

export function holdingWriter(inner: ClusterWriter): {
  writer: ClusterWriter;
  /** Holds the next metadata patch of a NomadJob (the API's index annotations). */
  holdNextPatch: () => Hold;
  /** Holds the next create of an object of `kind`. */
  holdNextCreate: (kind: string) => Hold;
} {
  let held: { matches: (write: Write) => boolean; arrive: () => void; released: Promise<void> } | undefined;
  const gate = async (write: Write) => {
    const hold = held;
    if (!hold?.matches(write)) return;
    held = undefined;
    hold.arrive();
    await hold.released;
  };
  const writer: ClusterWriter = {
    ...inner,
    create: async <T extends KubernetesObject>(object: T) => {
      await gate({ verb: 'create', kind: object.kind ?? '' });
      return inner.create(object);
    },
    mergePatch: async (ref, patch, options) => {
      if (!options?.status) await gate({ verb: 'patch', kind: ref.kind });
      return inner.mergePatch(ref, patch, options);
    },
    jsonPatch: async (ref, operations) => {
      await gate({ verb: 'patch', kind: ref.kind });
      return inner.jsonPatch(ref, operations);
    },
  };
  const holdNext = (matches: (write: Write) => boolean): Hold => {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    held = { matches, arrive, released };
    return { arrived, release };
  };
  return {
    writer,
    holdNextPatch: () => holdNext((w) => w.verb === 'patch' && w.kind === 'NomadJob'),
    holdNextCreate: (kind) => holdNext((w) => w.verb === 'create' && w.kind === kind),
  };
}
