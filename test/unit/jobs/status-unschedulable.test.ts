// Pods the kube-scheduler cannot place: queued allocations, a pending job, the Scheduled condition with
// the scheduler's message, and Nomad's AllocMetric read from that message (memory, cpu, node
// affinity, several reasons and several groups).
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  allocationMetric,
  parseSchedulerMessage,
  unschedulableByGroup,
  unschedulableSummary,
} from '../../../src/jobs/scheduling.ts';
import {
  allocationState,
  computeStatus,
  groupOfPodFor,
  nomadStatus,
  type Observed,
  summarize,
} from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { LABEL_GROUP } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';

const MEMORY =
  '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
const CPU_AND_MEMORY =
  '0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
const AFFINITY =
  "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
const TAINT_AND_MEMORY =
  '0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient memory. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.';
const UNBOUND_PVC =
  '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';

function job(groups: Array<[name: string, count: number]> = [['web', 3]], extra: Partial<Job> = {}): Job {
  return canonicalize({
    ID: 'web',
    TaskGroups: groups.map(([name, count]) => ({
      Name: name,
      Count: count,
      Tasks: [
        {
          Name: 'server',
          Driver: 'docker',
          Config: { image: 'nginx:1.27' },
          Resources: { CPU: 500, MemoryMB: 10_000_000 },
        },
      ],
    })),
    ...extra,
  });
}

function unschedulable(message: string, group = 'web'): V1Pod {
  return {
    metadata: { labels: { [LABEL_GROUP]: group } },
    spec: { containers: [] },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
    },
  };
}

function running(group = 'web'): V1Pod {
  return {
    metadata: { labels: { [LABEL_GROUP]: group } },
    spec: { containers: [], nodeName: 'kwok-node-0' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'PodScheduled', status: 'True' }],
    },
  };
}

const observed = (pods: V1Pod[], desired: Record<string, number> = { web: 3 }): Observed => ({
  pods,
  deployments: [],
  jobs: [],
  desired,
});

const statusOf = (j: Job, o: Observed) =>
  computeStatus({
    job: j,
    generation: 4,
    observed: o,
    now: '2026-12-06T00:00:00Z',
    warnings: [],
    version: 0,
    jobModifyIndex: 1,
    submitTime: '1',
    stable: false,
  });

describe('the kube-scheduler message', () => {
  it('is read as node counts and counted reasons, preemption notes left out', () => {
    expect(parseSchedulerMessage(CPU_AND_MEMORY)).toEqual({
      nodes: 3,
      available: 0,
      reasons: [
        { nodes: 1, reason: 'Insufficient cpu' },
        { nodes: 2, reason: 'Insufficient memory' },
      ],
    });
    expect(parseSchedulerMessage(TAINT_AND_MEMORY).reasons).toEqual([
      { nodes: 1, reason: 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }' },
      { nodes: 3, reason: 'Insufficient memory' },
    ]);
    expect(parseSchedulerMessage(UNBOUND_PVC).reasons).toEqual([
      { nodes: undefined, reason: 'pod has unbound immediate PersistentVolumeClaims' },
    ]);
    expect(parseSchedulerMessage('no nodes available to schedule pods')).toEqual({
      nodes: undefined,
      available: 0,
      reasons: [{ nodes: undefined, reason: 'no nodes available to schedule pods' }],
    });
  });

  it('gives Nomad’s AllocMetric: exhausted dimensions, filtered constraints, coalesced failures', () => {
    const tasks = [{ name: 'server', cpu: 500, memoryMB: 10_000_000 }];
    expect(allocationMetric(new Map([[MEMORY, 3]]), { tasks })).toMatchObject({
      NodesEvaluated: 3,
      NodesInPool: 3,
      NodePool: 'default',
      NodesExhausted: 3,
      NodesFiltered: 0,
      DimensionExhausted: { memory: 3 },
      ConstraintFiltered: null,
      CoalescedFailures: 2,
      ResourcesExhausted: { server: { MemoryMB: 30_000_000, CPU: 0 } },
    });
    expect(allocationMetric(new Map([[CPU_AND_MEMORY, 1]]), { tasks })).toMatchObject({
      NodesExhausted: 3,
      DimensionExhausted: { cpu: 1, memory: 2 },
      ResourcesExhausted: { server: { MemoryMB: 10_000_000, CPU: 500 } },
      CoalescedFailures: 0,
    });
    expect(allocationMetric(new Map([[AFFINITY, 2]]), { nodePool: 'gpu' })).toMatchObject({
      NodesEvaluated: 3,
      NodesFiltered: 3,
      NodesExhausted: 0,
      NodePool: 'gpu',
      ConstraintFiltered: { "node(s) didn't match Pod's node affinity/selector": 3 },
      DimensionExhausted: null,
      ResourcesExhausted: null,
      CoalescedFailures: 1,
    });
    expect(allocationMetric(new Map([[TAINT_AND_MEMORY, 1]]))).toMatchObject({
      NodesEvaluated: 4,
      NodesFiltered: 1,
      NodesExhausted: 3,
      ConstraintFiltered: { 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }': 1 },
      DimensionExhausted: { memory: 3 },
    });
    // A reason without a count held for every node.
    expect(allocationMetric(new Map([[UNBOUND_PVC, 1]]))).toMatchObject({
      NodesFiltered: 3,
      ConstraintFiltered: { 'pod has unbound immediate PersistentVolumeClaims': 3 },
    });
  });

  it('takes the message most pods of a group carry, and names each group when several fail', () => {
    const j = job([
      ['web', 3],
      ['db', 1],
    ]);
    const byGroup = unschedulableByGroup(
      [
        unschedulable(MEMORY),
        unschedulable(MEMORY),
        unschedulable(CPU_AND_MEMORY),
        unschedulable(AFFINITY, 'db'),
        running(),
      ],
      groupOfPodFor(j),
    );
    expect(allocationMetric(byGroup.get('web')!)).toMatchObject({
      DimensionExhausted: { memory: 3 },
      CoalescedFailures: 2,
    });
    expect(unschedulableSummary(byGroup)).toBe(`db: ${AFFINITY}; web: ${MEMORY}`);
    expect(unschedulableSummary(new Map([['web', byGroup.get('web')!]]))).toBe(MEMORY);
  });
});

describe('a job whose pods cannot be scheduled', () => {
  it('has queued allocations (ClientStatus pending), not starting or running ones', () => {
    expect(allocationState(unschedulable(MEMORY))).toBe('queued');
    expect(summarize(job(), observed([unschedulable(MEMORY), unschedulable(MEMORY)]))).toEqual({
      web: { queued: 3, starting: 0, running: 0, complete: 0, failed: 0, lost: 0, unknown: 0 },
    });
  });

  it('is pending while no allocation is placed, running once one is', () => {
    const pods = [unschedulable(MEMORY), unschedulable(MEMORY), unschedulable(MEMORY)];
    expect(nomadStatus(job(), observed(pods))).toBe('pending');
    expect(nomadStatus(job([['web', 3]], { Type: 'batch' }), observed(pods))).toBe('pending');
    expect(nomadStatus(job(), observed([running(), ...pods.slice(1)]))).toBe('running');
    // A stopped job with only unplaced pods is dead; a system job stays running (Nomad).
    expect(nomadStatus(job([['web', 3]], { Stop: true }), observed(pods))).toBe('dead');
    expect(nomadStatus(job([['web', 3]], { Type: 'system' }), observed(pods))).toBe('running');
  });

  it('is pending, not running, while a new Deployment has not made its pods yet', () => {
    const deployment = (revision: string): V1Deployment => ({
      metadata: { annotations: { 'deployment.kubernetes.io/revision': revision } },
      spec: { replicas: 3, selector: {}, template: {} },
      status: { updatedReplicas: 0 },
    });
    expect(nomadStatus(job(), { ...observed([]), deployments: [deployment('1')] })).toBe('pending');
    // A later revision between old pods gone and new ones made is a rollout: running.
    expect(nomadStatus(job(), { ...observed([]), deployments: [deployment('2')] })).toBe('running');
  });

  it('gets Scheduled=False, reason Unschedulable, with the scheduler’s message; Ready says why', () => {
    const status = statusOf(job(), observed([unschedulable(MEMORY), unschedulable(MEMORY)]));
    expect(status.status).toBe('pending');
    expect(status.allocations).toBe('0/3');
    expect(status.summary?.web?.queued).toBe(3);
    const byType = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
    expect(byType.Scheduled).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: MEMORY,
      observedGeneration: 4,
      lastTransitionTime: '2026-12-06T00:00:00Z',
    });
    expect(byType.Ready).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: `0/3 allocations running; ${MEMORY}`,
    });
  });

  it('summarises per group when several groups cannot be placed', () => {
    const j = job([
      ['web', 1],
      ['db', 1],
    ]);
    const status = statusOf(
      j,
      observed([unschedulable(CPU_AND_MEMORY, 'web'), unschedulable(AFFINITY, 'db')], { web: 1, db: 1 }),
    );
    expect(status.conditions?.find((c) => c.type === 'Scheduled')?.message).toBe(
      `db: ${AFFINITY}; web: ${CPU_AND_MEMORY}`,
    );
  });

  it('turns Scheduled True and the job running when every pod is placed', () => {
    const before = statusOf(job(), observed([unschedulable(MEMORY)]));
    const after = computeStatus({
      job: job(),
      generation: 4,
      previous: before,
      observed: observed([running(), running(), running()]),
      now: '2026-12-06T00:05:00Z',
      warnings: [],
      version: 0,
      jobModifyIndex: 1,
      submitTime: '1',
      stable: false,
    });
    expect(after.status).toBe('running');
    expect(after.allocations).toBe('3/3');
    expect(after.conditions?.find((c) => c.type === 'Scheduled')).toMatchObject({
      status: 'True',
      reason: 'Placed',
      lastTransitionTime: '2026-12-06T00:05:00Z',
    });
    expect(after.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'AllocationsRunning',
      message: '3/3 allocations running',
    });
  });

  it('says Queued (not Unschedulable) while pods merely wait for the scheduler', () => {
    const waiting: V1Pod = { ...unschedulable(MEMORY), status: { phase: 'Pending' } };
    const status = statusOf(job(), observed([waiting]));
    expect(status.status).toBe('pending');
    expect(status.conditions?.find((c) => c.type === 'Scheduled')).toMatchObject({
      status: 'False',
      reason: 'Queued',
    });
    expect(status.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('AllocationsPending');
  });
});
