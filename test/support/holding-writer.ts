// A ClusterWriter around another that can hold the next metadata patch of a NomadJob (the API's index
// annotations) until the test releases it: how a test makes an older register's patch land after a
// newer register's, without timing.
import type { ClusterWriter, ObjectRef } from '../../src/kube/writer.ts';

/**
 * The writer, able to hold the next patch of a NomadJob's metadata (the index annotations) until
 * released: `arrived` resolves when that patch is about to be sent; it is sent once `release` is called.
 */
export function holdingWriter(inner: ClusterWriter): {
  writer: ClusterWriter;
  holdNextPatch: () => { arrived: Promise<void>; release: () => void };
} {
  let held: { arrive: () => void; released: Promise<void> } | undefined;
  const gate = async (ref: ObjectRef) => {
    const hold = held;
    if (ref.kind !== 'NomadJob' || !hold) return;
    held = undefined;
    hold.arrive();
    await hold.released;
  };
  const writer: ClusterWriter = {
    ...inner,
    mergePatch: async (ref, patch, options) => {
      if (!options?.status) await gate(ref);
      return inner.mergePatch(ref, patch, options);
    },
    jsonPatch: async (ref, operations) => {
      await gate(ref);
      return inner.jsonPatch(ref, operations);
    },
  };
  const holdNextPatch = () => {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    held = { arrive, released };
    return { arrived, release };
  };
  return { writer, holdNextPatch };
}
