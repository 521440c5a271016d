// decodeSpec and checkSpec remember their result per NomadJob uid for one spec generation and
// identity: the same spec is not decoded again, a new generation or identity is, and checkSpec's job
// is the caller's own (changing it leaks into nobody else's). A spec decoded ahead of its write is
// taken for the written object only when the apiserver answered with that very spec, and is then
// what decoding the answer gives, down to the order of map keys.
import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import {
  checkSharedSpec,
  checkSpec,
  decodeAhead,
  decodeSpec,
  rememberAhead,
} from '../../../src/jobs/spec.ts';
import { ANNOTATION_JOB_ID } from '../../../src/nomad/keys.ts';

function stored(uid: string, generation: number, count = 1): NomadJobObject {
  const object = nomadJobObject({
    ID: 'web',
    Type: 'service',
    TaskGroups: [
      { Name: 'g', Count: count, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] },
    ],
  });
  object.metadata = { ...object.metadata, uid, generation };
  return object;
}

describe('decodeSpec and checkSpec', () => {
  it('decode a stored spec once per generation and identity', () => {
    const first = decodeSpec(stored('u1', 1));
    const again = decodeSpec(stored('u1', 1));
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.job).toBe(first.job);

    const next = decodeSpec(stored('u1', 2, 3));
    expect(next.ok && next.job.TaskGroups?.[0]?.Count).toBe(3);

    const renamed = stored('u1', 2, 3);
    renamed.metadata!.annotations = { ...renamed.metadata!.annotations, [ANNOTATION_JOB_ID]: 'other' };
    const relabelled = decodeSpec(renamed);
    expect(relabelled.ok && relabelled.job.ID).toBe('other');
  });

  it('decode objects without uid or generation every time', () => {
    const object = stored('u2', 1);
    delete object.metadata!.uid;
    const a = decodeSpec(object);
    const b = decodeSpec(object);
    expect(a.ok && b.ok && a.job !== b.job).toBe(true);
    expect(a).toEqual(b);
  });

  it("hand out checkSpec's job as the caller's own copy", () => {
    const a = checkSpec(stored('u3', 1));
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    a.job.Version = 7;
    a.job.TaskGroups![0]!.Count = 9;
    const b = checkSpec(stored('u3', 1));
    expect(b.ok && b.job.Version).not.toBe(7);
    expect(b.ok && b.job.TaskGroups?.[0]?.Count).toBe(1);
    const shared = decodeSpec(stored('u3', 1));
    expect(shared.ok && shared.job.TaskGroups?.[0]?.Count).toBe(1);
  });

  it('report an invalid spec the same way every time', () => {
    const object = stored('u4', 1);
    (object.spec.taskGroups as Array<Record<string, unknown>>)[0]!.count = -1;
    const first = checkSpec(object);
    expect(first.ok).toBe(false);
    expect(checkSpec(object)).toEqual(first);
  });

  describe('decoded ahead of the write', () => {
    /** The object as the API sends it: no uid, Meta keys in the order the user wrote them. */
    const unsent = (meta: Record<string, string>): NomadJobObject =>
      nomadJobObject({
        ID: 'web',
        Type: 'service',
        Meta: meta,
        TaskGroups: [
          {
            Name: 'g',
            Count: 2,
            Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x', args: ['a'] } }],
          },
        ],
      });
    /** What the apiserver answers: the spec re-encoded with its keys sorted, a uid and a generation. */
    const answered = (object: NomadJobObject, uid: string, sortKeys = true): NomadJobObject => {
      const sorted = (value: unknown): unknown =>
        Array.isArray(value)
          ? value.map(sorted)
          : value !== null && typeof value === 'object'
            ? Object.fromEntries(
                Object.keys(value)
                  .sort()
                  .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
              )
            : value;
      const spec = JSON.parse(JSON.stringify(sortKeys ? sorted(object.spec) : object.spec));
      return { ...object, metadata: { ...object.metadata, uid, generation: 1 }, spec };
    };

    it('is taken for the answer holding the same spec, and is what decoding the answer gives', () => {
      const object = unsent({ zone: 'b', app: 'web' });
      const ahead = decodeAhead(object);
      const written = answered(object, 'a1');
      expect(rememberAhead(written, ahead)).toBe(true);
      const decoded = decodeSpec(written);
      expect(decoded.ok && ahead.decoded.ok && decoded.job === ahead.decoded.job).toBe(true);
      expect(checkSharedSpec(written)).toBe(ahead.checked);
      // The same as a decoding of the answer itself (an object without uid is decoded afresh),
      // the order of the Meta keys included.
      const fresh = decodeSpec({ ...written, metadata: { ...written.metadata, uid: undefined } });
      expect(JSON.stringify(fresh)).toBe(JSON.stringify(decoded));
      expect(fresh.ok && Object.keys(fresh.job.Meta ?? {})).toEqual(['app', 'zone']);
    });

    it('is not taken when the answer holds another spec, or its keys in another order', () => {
      const object = unsent({ zone: 'b', app: 'web' });
      const ahead = decodeAhead(object);
      // The apiserver's schema defaulted or pruned a field.
      const changed = answered(object, 'a2');
      (changed.spec.taskGroups as Array<Record<string, unknown>>)[0]!.count = 3;
      expect(rememberAhead(changed, ahead)).toBe(false);
      const decoded = decodeSpec(changed);
      expect(decoded.ok && decoded.job.TaskGroups?.[0]?.Count).toBe(3);
      // Keys in an order other than the one decoded: not the same decoding (map order).
      expect(rememberAhead(answered(object, 'a3', false), ahead)).toBe(false);
      // Another identity, or an object that did not come from the apiserver.
      const renamed = answered(object, 'a4');
      renamed.metadata!.annotations = { ...renamed.metadata!.annotations, [ANNOTATION_JOB_ID]: 'other' };
      expect(rememberAhead(renamed, ahead)).toBe(false);
      expect(rememberAhead({ ...answered(object, 'a5'), metadata: { name: 'web' } }, ahead)).toBe(false);
    });
  });
});
