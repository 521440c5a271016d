import type { V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  allocationState,
  computeStatus,
  desiredAllocations,
  isParentJob,
  nomadStatus,
  summarize,
} from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { ANNOTATION_GROUP, LABEL_GROUP } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { statusOf } from './status-support.ts';

const job = (extra: Partial<Job>): Job =>
  canonicalize({
    ID: 'web',
    Datacenters: ['dc1'],
    TaskGroups: [
      { Name: 'api', Count: 2, Tasks: [{ Name: 'app', Driver: 'docker', Config: { image: 'x' } }] },
    ],
    ...extra,
  });

const pod = (phase: string, opts: { node?: string; group?: string; reason?: string } = {}): V1Pod => ({
  metadata: { labels: { [LABEL_GROUP]: opts.group ?? 'api' } },
  spec: { containers: [], ...(opts.node ? { nodeName: opts.node } : {}) },
  status: { phase, ...(opts.reason ? { reason: opts.reason } : {}) },
});

const none = { pods: [], deployments: [], jobs: [], desired: { api: 2 } };

describe('allocation states from pods', () => {
  it.each([
    [pod('Pending'), 'queued'],
    [pod('Pending', { node: 'n1' }), 'starting'],
    [pod('Running', { node: 'n1' }), 'running'],
    [pod('Succeeded', { node: 'n1' }), 'complete'],
    [pod('Failed', { node: 'n1' }), 'failed'],
    [pod('Failed', { node: 'n1', reason: 'Evicted' }), 'lost'],
    [pod('Unknown', { node: 'n1' }), 'unknown'],
  ])('%#: %s', (p, state) => {
    expect(allocationState(p)).toBe(state);
  });
});

describe('Nomad job status', () => {
  it('is pending before anything exists, running with live pods, dead when stopped and drained', () => {
    expect(nomadStatus(job({}), none)).toBe('pending');
    expect(nomadStatus(job({}), { ...none, pods: [pod('Running', { node: 'n' })] })).toBe('running');
    expect(nomadStatus(job({ Stop: true }), none)).toBe('dead');
    expect(nomadStatus(job({ Stop: true }), { ...none, pods: [pod('Running', { node: 'n' })] })).toBe(
      'running',
    );
  });

  it('is dead for a batch job whose pods all completed', () => {
    const batch = job({ Type: 'batch' });
    expect(nomadStatus(batch, { ...none, pods: [pod('Succeeded'), pod('Succeeded')] })).toBe('dead');
  });

  it('keeps periodic and parameterized parents and system jobs running until stopped', () => {
    const periodic = job({ Type: 'batch', Periodic: { Enabled: true, Spec: '* * * * *' } });
    expect(nomadStatus(periodic, none)).toBe('running');
    expect(nomadStatus({ ...periodic, Stop: true }, none)).toBe('dead');
    expect(nomadStatus(job({ Type: 'system' }), none)).toBe('running');
  });

  it('keeps a periodic job switched off (enabled = false) running: Nomad asks whether it is periodic, not enabled', () => {
    const off = job({ Type: 'batch', Periodic: { Enabled: false, Spec: '0 8 * * 1' } });
    expect(isParentJob(off)).toBe(true);
    expect(nomadStatus(off, none)).toBe('running');
    expect(nomadStatus({ ...off, Stop: true }, none)).toBe('dead');
    const status = statusOf(off, { ...none, desired: { api: 2 } });
    expect(status.status).toBe('running');
    expect(status.conditions?.find((c) => c.type === 'Scheduled')).toMatchObject({
      status: 'True',
      reason: 'NothingToPlace',
    });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    // Its runs are children, which carry no Periodic block; a batch job without one is no parent.
    expect(isParentJob(job({ Type: 'batch' }))).toBe(false);
  });
});

describe('desired allocations per group', () => {
  const groups = (...names: string[]) =>
    names.map((Name) => ({
      Name,
      Count: 3,
      Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }],
    }));
  const daemonSet = (group: string, nodes: number): V1DaemonSet => ({
    metadata: { annotations: { [ANNOTATION_GROUP]: group } },
    status: {
      desiredNumberScheduled: nodes,
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      numberReady: 0,
    },
  });

  it('is the count, whatever the group is called', () => {
    const desired = desiredAllocations(job({ TaskGroups: groups('__proto__', 'constructor') }), []);
    expect(Object.entries(desired)).toEqual([
      ['__proto__', 3],
      ['constructor', 3],
    ]);
    expect(desired.toString).toBeUndefined();
  });

  it('is the eligible nodes of the DaemonSet for system and sysbatch jobs, once it exists', () => {
    for (const Type of ['system', 'sysbatch']) {
      const system = job({ Type, TaskGroups: groups('agent', 'probe') });
      expect(desiredAllocations(system, [])).toEqual({ agent: 3, probe: 3 });
      expect(desiredAllocations(system, [daemonSet('probe', 5)])).toEqual({ agent: 0, probe: 5 });
    }
  });
});

describe('status subresource', () => {
  it('counts allocations per group, queues what is missing, and sets conditions with observedGeneration', () => {
    const observed = { ...none, pods: [pod('Running', { node: 'n' })] };
    expect(summarize(job({}), observed)).toEqual({
      api: { queued: 1, starting: 0, running: 1, complete: 0, failed: 0, lost: 0, unknown: 0 },
    });
    const status = computeStatus({
      job: job({}),
      generation: 3,
      observed,
      now: '2026-11-24T00:00:00Z',
      warnings: [],
      version: 0,
      jobModifyIndex: 10,
      submitTime: '1',
      stable: false,
    });
    expect(status.status).toBe('running');
    expect(status.allocations).toBe('1/2');
    expect(status.conditions?.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['Ready', 'False', 3],
      ['Scheduled', 'False', 3],
      ['Progressing', 'True', 3],
      ['Degraded', 'False', 3],
    ]);
  });

  it('keeps a condition’s lastTransitionTime until its status flips', () => {
    const base = {
      job: job({}),
      generation: 1,
      warnings: [],
      version: 0,
      jobModifyIndex: 1,
      submitTime: '1',
      stable: false,
    };
    const running = { ...none, pods: [pod('Running', { node: 'n' }), pod('Running', { node: 'n' })] };
    const first = computeStatus({ ...base, observed: running, now: 't1' });
    const second = computeStatus({ ...base, observed: running, now: 't2', previous: first });
    expect(second.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      lastTransitionTime: 't1',
    });
    const third = computeStatus({ ...base, observed: none, now: 't3', previous: second });
    expect(third.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: 't3',
    });
  });

  it('reports a spec that cannot be translated as Degraded and not Ready', () => {
    const status = computeStatus({
      job: job({}),
      generation: 2,
      observed: {
        ...none,
        failure: { reason: 'InvalidSpec', message: '1 error occurred: Missing job datacenters' },
      },
      now: 't',
      warnings: [],
      version: 0,
      jobModifyIndex: 1,
      submitTime: '1',
      stable: false,
    });
    expect(status.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toContain('Degraded');
    expect(status.statusDescription).toContain('Missing job datacenters');
  });
});
