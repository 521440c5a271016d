// A job decoded from a NomadJob's spec and the same version's job decoded from its revision hold one
// copy of their parts (src/jobs/shared-parts.ts): the revision's task groups are the spec's, its
// bookkeeping fields its own; a job whose parts differ shares nothing of what differs.
import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { checkSpec, decodeSpec } from '../../../src/jobs/spec.ts';
import { decodeRevisionJobInPlace, revisionObject, storedVersionOf } from '../../../src/jobs/versions.ts';
import type { Job } from '../../../src/nomad/schema.ts';

function stored(uid: string, count: number): NomadJobObject {
  const object = nomadJobObject({
    ID: `shared-${uid}`,
    Type: 'service',
    Datacenters: ['dc1'],
    Meta: { team: 'payments' },
    TaskGroups: [
      { Name: 'g', Count: count, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] },
    ],
  });
  object.metadata = { ...object.metadata, uid, generation: 1 };
  return object;
}

/** The revision the reconciler records for `object`'s spec, as the informer's cache keeps it. */
function cachedRevisionJob(object: NomadJobObject, version: number): Record<string, unknown> {
  const checked = checkSpec(object);
  if (!checked.ok) throw new Error(checked.message);
  const job = { ...checked.job, Version: version };
  const revision = decodeRevisionJobInPlace(
    revisionObject(object, { version, stable: false, submitTime: '1', job: job as Record<string, unknown> }),
  );
  const decoded = storedVersionOf(revision);
  if (!decoded) throw new Error('revision does not decode');
  return decoded.job;
}

function decodedJob(object: NomadJobObject): Job {
  const decoded = decodeSpec(object);
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.job;
}

describe('shared job parts', () => {
  it('the current revision holds the spec’s parts, and its own version', () => {
    const object = stored('one', 2);
    const job = decodedJob(object);
    const revisionJob = cachedRevisionJob(object, 3);
    expect(revisionJob.TaskGroups).toBe(job.TaskGroups);
    expect(revisionJob.Meta).toBe(job.Meta);
    expect(revisionJob.Datacenters).toBe(job.Datacenters);
    expect(revisionJob.Version).toBe(3);
    expect(job.Version).not.toBe(3);
  });

  it('parts that differ stay apart, parts that do not are shared across jobs', () => {
    const two = decodedJob(stored('two', 2));
    const five = decodedJob(stored('five', 5));
    expect(five.TaskGroups).not.toBe(two.TaskGroups);
    expect(five.TaskGroups?.[0]?.Count).toBe(5);
    expect(two.TaskGroups?.[0]?.Count).toBe(2);
    expect(five.Meta).toBe(two.Meta);
  });

  it('the caller’s own job from checkSpec shares nothing', () => {
    const object = stored('own', 1);
    const mine = checkSpec(object);
    expect(mine.ok).toBe(true);
    if (!mine.ok) return;
    const group = mine.job.TaskGroups?.[0];
    if (group) group.Count = 9;
    expect(decodedJob(object).TaskGroups?.[0]?.Count).toBe(1);
    expect(cachedRevisionJob(object, 0).TaskGroups).toBe(decodedJob(object).TaskGroups);
  });
});
