// Groups of count 0: Nomad places nothing for them, and the translator makes no Job, CronJob or
// DaemonSet for them (a Deployment of 0 replicas for a service group). Their status must say what
// Nomad's says: nothing desired, nothing waited for, not "not translated"; a job none of whose groups
// places anything is dead (Nomad's evaluation completes without an allocation), unless it is a
// system, periodic or parameterized job, which runs until stopped.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  desiredAllocations,
  groupsReportedWithoutWorkload,
  groupsWithoutWorkload,
  nomadStatus,
  type Observed,
} from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import { conditionOf as condition, runningPod, statusOf } from './status-support.ts';

const group = (name: string, count: number) => ({
  Name: name,
  Count: count,
  Tasks: [{ Name: 'work', Driver: 'docker', Config: { image: 'busybox:1' } }],
});

const jobOf = (type: string, groups: unknown[]): Job =>
  canonicalize({ ID: 'reports', Type: type, Datacenters: ['dc1'], TaskGroups: groups } as Job);

/** What the reconciler observes right after applying the translation: no pods yet. */
function observedFor(job: Job, pods: V1Pod[] = []): Observed {
  const { objects, warnings } = translate(job, { namespace: 'default' });
  const observed: Observed = { pods, deployments: [], jobs: [], desired: desiredAllocations(job, []) };
  const without = groupsWithoutWorkload(job, objects, warnings);
  if (Object.keys(without).length > 0) observed.notTranslated = without;
  return observed;
}

describe('groups of count 0', () => {
  it('are not groups without a workload: nothing is desired of them', () => {
    for (const type of ['batch', 'system', 'sysbatch', 'service']) {
      const job = jobOf(type, [group('idle', 0)]);
      const { objects, warnings } = translate(job, { namespace: 'default' });
      expect(groupsWithoutWorkload(job, objects, warnings), type).toEqual({});
    }
    // Not from the recorded warnings either (the API's view), even when the group says it has none.
    const gateway = jobOf('service', [{ Name: 'idle', Count: 0 }]);
    const recorded = translate(gateway, { namespace: 'default' }).warnings.map(
      (w) => `${w.path}: ${w.message}`,
    );
    expect(recorded.some((w) => w.includes('no workload is created for'))).toBe(true);
    expect(groupsReportedWithoutWorkload(gateway, recorded)).toEqual({});
  });

  it('a batch job whose only group has count 0 is dead and ready at once, with nothing placed', () => {
    const job = jobOf('batch', [group('render', 0)]);
    const observed = observedFor(job);
    expect(nomadStatus(job, observed)).toBe('dead');
    const status = statusOf(job, observed);
    expect(status.status).toBe('dead');
    expect(status.allocations).toBe('0/0');
    expect(status.summary?.render).toMatchObject({ queued: 0, running: 0, complete: 0 });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'AllocationsRunning' });
    expect(condition(status, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Placed' });
  });

  it('a service job scaled to 0 everywhere is dead once its pods are gone, running while they stop', () => {
    const job = jobOf('service', [group('web', 0)]);
    expect(nomadStatus(job, observedFor(job))).toBe('dead');
    expect(nomadStatus(job, observedFor(job, [runningPod('web')]))).toBe('running');
  });

  it('beside a group that runs, the job follows that group', () => {
    const job = jobOf('batch', [group('render', 2), group('backfill', 0)]);
    expect(nomadStatus(job, observedFor(job))).toBe('pending');
    const observed = observedFor(job, [runningPod('render'), runningPod('render')]);
    const status = statusOf(job, observed);
    expect(status.status).toBe('running');
    expect(status.allocations).toBe('2/2');
    expect(condition(status, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Placed' });
  });

  it('system jobs stay running until stopped, as in Nomad', () => {
    const job = jobOf('system', [group('agent', 0)]);
    expect(nomadStatus(job, observedFor(job))).toBe('running');
    expect(statusOf(job, observedFor(job)).allocations).toBe('0/0');
  });
});
