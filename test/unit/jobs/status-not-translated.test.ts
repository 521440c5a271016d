// Groups the translator makes no workload for by design (a Connect gateway without tasks): not
// allocations waiting for a node. They are left out of the desired count, the Scheduled condition
// says NotTranslated with the translation's warning, and the job status follows the groups that run
// (pending with Ready=False when none does). The groups and warnings come from the translator itself.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { groupsWithoutWorkload, nomadStatus, type Observed, summarize } from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import { conditionOf as condition, runningPod, statusOf } from './status-support.ts';

const terminatingGatewayGroup = {
  Name: 'gateway',
  Networks: [{ Mode: 'bridge' }],
  Services: [
    {
      Name: 'legacy-db-gateway',
      Connect: { Gateway: { Proxy: {}, Terminating: { Services: [{ Name: 'legacy-postgres' }] } } },
    },
  ],
};

const generatorGroup = {
  Name: 'generator',
  Tasks: [{ Name: 'generate', Driver: 'docker', Config: { image: 'hashicorpdev/uuid-api:v5' } }],
};

const jobOf = (groups: unknown[]): Job =>
  canonicalize({ ID: 'gateway-job', Datacenters: ['dc1'], TaskGroups: groups } as Job);

function observedFor(job: Job, pods: V1Pod[]): Observed {
  const { objects, warnings } = translate(job, { namespace: 'default' });
  const desired: Record<string, number> = {};
  for (const group of job.TaskGroups ?? []) desired[group.Name ?? ''] = group.Count ?? 1;
  return {
    pods,
    deployments: [],
    jobs: [],
    desired,
    notTranslated: groupsWithoutWorkload(job, objects, warnings),
  };
}

describe('groups without a workload', () => {
  it('are found from the translation, with the warning that says why', () => {
    const job = jobOf([terminatingGatewayGroup, generatorGroup]);
    const { objects, warnings } = translate(job, { namespace: 'default' });
    const without = groupsWithoutWorkload(job, objects, warnings);
    expect(Object.keys(without)).toEqual(['gateway']);
    expect(without.gateway).toMatch(/^the Consul terminating gateway is not converted .*no workload/);
  });

  it('are not queued: the job runs with the other group, Scheduled says NotTranslated', () => {
    const job = jobOf([terminatingGatewayGroup, generatorGroup]);
    const observed = observedFor(job, [runningPod('generator')]);
    expect(summarize(job, observed).gateway).toMatchObject({ queued: 0, running: 0 });
    expect(nomadStatus(job, observed)).toBe('running');
    const status = statusOf(job, observed);
    expect(status.status).toBe('running');
    expect(status.allocations).toBe('1/1');
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'AllocationsRunning' });
    expect(condition(status, 'Scheduled')).toMatchObject({ status: 'False', reason: 'NotTranslated' });
    expect(condition(status, 'Scheduled')?.message).toMatch(
      /^group "gateway" has no workload: the Consul terminating gateway is not converted/,
    );
    expect(condition(status, 'Progressing')).toMatchObject({ status: 'False' });
  });

  it('while the other group waits for a node, Scheduled says Queued and names them too', () => {
    const job = jobOf([terminatingGatewayGroup, generatorGroup]);
    const status = statusOf(job, observedFor(job, []));
    expect(status.status).toBe('pending');
    expect(condition(status, 'Scheduled')).toMatchObject({ status: 'False', reason: 'Queued' });
    expect(condition(status, 'Scheduled')?.message).toMatch(
      /^1 allocations waiting for a node; group "gateway" has no workload/,
    );
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'AllocationsPending' });
  });

  it('when no group has one, the job is pending and not ready, never running with nothing', () => {
    const job = jobOf([terminatingGatewayGroup]);
    const observed = observedFor(job, []);
    const status = statusOf(job, observed);
    expect(status.status).toBe('pending');
    expect(status.allocations).toBe('0/0');
    expect(status.summary?.gateway).toMatchObject({ queued: 0 });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'NotTranslated' });
    expect(condition(status, 'Scheduled')).toMatchObject({ status: 'False', reason: 'NotTranslated' });
    expect(condition(status, 'Ready')?.message).toBe(condition(status, 'Scheduled')?.message);
  });

  it('are none when every group has a workload', () => {
    const job = jobOf([generatorGroup]);
    const { objects, warnings } = translate(job, { namespace: 'default' });
    expect(groupsWithoutWorkload(job, objects, warnings)).toEqual({});
    expect(condition(statusOf(job, observedFor(job, [runningPod('generator')])), 'Scheduled')).toMatchObject({
      status: 'True',
      reason: 'Placed',
    });
  });
});
