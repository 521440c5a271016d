import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import {
  CRONJOB_SCHEDULED_TIMESTAMP,
  cronChildId,
  cronChildKey,
  cronChildObject,
  cronChildRuns,
  cronLaunchTime,
  derivePeriodicJob,
  isCronLaunched,
  nextPeriodicLaunch,
  periodicChildId,
} from '../../../src/jobs/periodic.ts';
import { checkSpec } from '../../../src/jobs/spec.ts';
import { isParentJob } from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { jobObjectName } from '../../../src/nomad/ids.ts';
import {
  ANNOTATION_CRON_JOB,
  ANNOTATION_JOB_ID,
  ANNOTATION_LAUNCHED_BY,
  ANNOTATION_PARENT_ID,
} from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';

const parentJob: Job = canonicalize({
  ID: 'nightly',
  Type: 'batch',
  Datacenters: ['*'],
  Periodic: { Enabled: true, Spec: '0 3 * * *' },
  TaskGroups: [{ Name: 'g', Count: 2, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] }],
});

function parentObject(): NomadJobObject {
  const object = nomadJobObject(parentJob as Record<string, unknown>, () => 'ns');
  object.metadata = { ...object.metadata, uid: 'parent-uid' };
  return object;
}

function launched(extra: Partial<NonNullable<V1Job['metadata']>> = {}): V1Job {
  return {
    metadata: {
      name: 'nightly--g-29000000',
      namespace: 'ns',
      uid: 'job-uid',
      creationTimestamp: new Date('2026-01-01T03:00:02Z'),
      annotations: {
        [ANNOTATION_JOB_ID]: 'nightly',
        [CRONJOB_SCHEDULED_TIMESTAMP]: '2026-01-01T03:00:00Z',
      },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly--g', uid: 'cj', controller: true },
      ],
      ...extra,
    },
  };
}

describe('periodic children', () => {
  it("have Nomad's ID <parent>/periodic-<unix> and no Periodic block", () => {
    const at = new Date('2017-01-26T05:32:58.999Z');
    expect(periodicChildId('nightly', at)).toBe('nightly/periodic-1485408778');
    const child = derivePeriodicJob({ ...parentJob, Version: 3, SubmitTime: 9 }, 'nightly/periodic-1');
    expect(child).toMatchObject({
      ID: 'nightly/periodic-1',
      Name: 'nightly/periodic-1',
      ParentID: 'nightly',
    });
    expect(child.Periodic).toBeUndefined();
    expect(child.Version).toBeUndefined();
    expect(isParentJob(child)).toBe(false);
    expect(checkSpec(nomadJobObject(child as Record<string, unknown>)).ok).toBe(true);
  });

  it('of a CronJob are identified by the scheduled time, else the creation time', () => {
    expect(cronLaunchTime(launched())?.toISOString()).toBe('2026-01-01T03:00:00.000Z');
    expect(cronChildId(launched())).toBe(`nightly/periodic-${Date.parse('2026-01-01T03:00:00Z') / 1000}`);
    const noStamp = launched({ annotations: { [ANNOTATION_JOB_ID]: 'nightly' } });
    expect(cronChildId(noStamp)).toBe(`nightly/periodic-${Date.parse('2026-01-01T03:00:02Z') / 1000}`);
    expect(cronChildKey(launched())).toBe(`ns/${jobObjectName(cronChildId(launched()) ?? '')}`);
    // Not launched by a CronJob, or without the parent's identity: no child.
    expect(cronChildId(launched({ ownerReferences: [] }))).toBeUndefined();
    expect(cronChildId(launched({ annotations: {} }))).toBeUndefined();
  });

  it('of a CronJob are recorded as NomadJobs owned by the Job, marked so that nothing runs twice', () => {
    const child = cronChildObject(parentObject(), parentJob, launched());
    expect(child).toBeDefined();
    expect(isCronLaunched(child!)).toBe(true);
    expect(child?.metadata?.namespace).toBe('ns');
    expect(child?.metadata?.annotations).toMatchObject({
      [ANNOTATION_LAUNCHED_BY]: 'cronjob',
      [ANNOTATION_CRON_JOB]: 'nightly--g-29000000',
      [ANNOTATION_PARENT_ID]: 'nightly',
    });
    expect(child?.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'nightly--g-29000000',
        uid: 'job-uid',
        controller: false,
        blockOwnerDeletion: false,
      },
    ]);
    expect(child?.spec.periodic).toBeUndefined();
    expect(child?.spec.parentID).toBe('nightly');
    // A Job of another parent is not this parent's child.
    const other = launched({ annotations: { [ANNOTATION_JOB_ID]: 'other' } });
    expect(cronChildObject(parentObject(), parentJob, other)).toBeUndefined();
  });
});

describe('next periodic launch', () => {
  const at = new Date('2026-03-01T10:07:30Z');
  const job = (spec: string, TimeZone = 'UTC') => ({ Periodic: { Enabled: true, Spec: spec, TimeZone } });
  it('follows cron specs, aliases and time zones', () => {
    expect(nextPeriodicLaunch(job('*/15 * * * *'), at)).toBe('2026-03-01T10:15:00Z');
    expect(nextPeriodicLaunch(job('0 3 * * *'), at)).toBe('2026-03-02T03:00:00Z');
    expect(nextPeriodicLaunch(job('@hourly'), at)).toBe('2026-03-01T11:00:00Z');
    expect(nextPeriodicLaunch(job('0 9 * * mon-fri'), at)).toBe('2026-03-02T09:00:00Z');
    expect(nextPeriodicLaunch(job('0 12 * * *', 'Europe/Paris'), at)).toBe('2026-03-01T11:00:00Z');
    expect(nextPeriodicLaunch(job('0 0 L * *'), at)).toBeUndefined();
    expect(nextPeriodicLaunch({ Periodic: { Enabled: false, Spec: '* * * * *' } }, at)).toBeUndefined();
  });
});

describe("a CronJob-launched child's runs", () => {
  it('are every Job its parent launched at its time, one per group and cron spec, and no other', () => {
    const first = launched();
    const child = cronChildObject(parentObject(), parentJob, first);
    if (!child) throw new Error('no child');
    const otherGroup = launched({
      name: 'nightly--h-29000000',
      uid: 'job-h',
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly--h', uid: 'cj-h', controller: true },
      ],
    });
    const nextNight = launched({
      name: 'nightly--g-29001440',
      uid: 'job-next',
      annotations: { [ANNOTATION_JOB_ID]: 'nightly', [CRONJOB_SCHEDULED_TIMESTAMP]: '2026-01-02T03:00:00Z' },
    });
    const elsewhere = launched({ namespace: 'other', uid: 'job-other' });
    const deleting = launched({ name: 'nightly--g-old', uid: 'job-deleting', deletionTimestamp: new Date() });
    const forced = { metadata: { ...first.metadata, ownerReferences: [], uid: 'job-forced' } } as V1Job;
    const runs = cronChildRuns(child, [first, otherGroup, nextNight, elsewhere, deleting, forced]);
    expect(runs.map((r) => r.metadata?.uid)).toEqual(['job-uid', 'job-h']);
    // Only a CronJob-launched child has runs of its parent's.
    expect(cronChildRuns(parentObject(), [first, otherGroup])).toEqual([]);
  });
});
