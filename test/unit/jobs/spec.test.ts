// decodeSpec and checkSpec remember their result per NomadJob uid for one spec generation and
// identity: the same spec is not decoded again, a new generation or identity is, and checkSpec's job
// is the caller's own (changing it leaks into nobody else's).
import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { checkSpec, decodeSpec } from '../../../src/jobs/spec.ts';
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
});
