// A job no node can run, through the Nomad API (Fastify inject on the in-memory cluster, the
// controller's own evaluation record and readers): job status pending, queued summary, pending
// allocations, the placing evaluation complete with FailedTGAllocs and BlockedEval, the blocked
// evaluation carrying the reason; once the pods are placed, running and the blocked evaluation complete.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { makeKubeActions } from '../../../src/api/actions.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import {
  type EvaluationRecord,
  emptyRecord,
  evaluationsConfigMapName,
  groupOfPodFor,
  nextRecord,
  recordConfigMap,
} from '../../../src/jobs/evaluations.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { labelValueFor } from '../../../src/nomad/ids.ts';
import { ANNOTATION_GROUP, LABEL_GROUP, LABEL_JOB } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { MemoryCluster, type TestApi, testApi } from './support.ts';

const MESSAGE =
  '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';

const bigJob = {
  ID: 'big',
  TaskGroups: [
    {
      Name: 'web',
      Count: 3,
      Tasks: [
        {
          Name: 'server',
          Driver: 'docker',
          Config: { image: 'nginx:1.27' },
          Resources: { CPU: 500, MemoryMB: 10_000_000 },
        },
      ],
    },
  ],
};

function pod(i: number, placed: boolean): V1Pod {
  return {
    metadata: {
      name: `big-web-${i}`,
      namespace: 'default',
      labels: { [LABEL_JOB]: 'big', [LABEL_GROUP]: labelValueFor('web') },
      annotations: { [ANNOTATION_GROUP]: 'web' },
    },
    spec: { containers: [{ name: 'server' }], ...(placed ? { nodeName: 'kwok-node-0' } : {}) },
    status: placed
      ? {
          phase: 'Running',
          conditions: [{ type: 'PodScheduled', status: 'True' }],
          containerStatuses: [
            {
              name: 'server',
              image: 'nginx:1.27',
              imageID: '',
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: new Date() } },
            },
          ],
        }
      : {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: MESSAGE }],
        },
  };
}

/** Pods as the kube-scheduler left them, and the evaluation record the reconciler derives from them. */
function observe(
  api: TestApi,
  owner: NomadJobObject,
  job: Job,
  record: EvaluationRecord,
  placed: boolean,
): EvaluationRecord {
  const pods = [0, 1, 2].map((i) => pod(i, placed));
  for (const p of pods) api.cluster.put('Pod', p);
  const next = nextRecord(record, {
    job,
    version: 0,
    isParent: false,
    jobModifyIndex: owner.status?.jobModifyIndex ?? 0,
    pods,
    desired: { web: 3 },
    groupOfPod: groupOfPodFor(job),
    failedAllocations: 0,
    index: Number(owner.metadata?.resourceVersion ?? 0),
    now: new Date(),
  });
  const live = api.cluster.sources.ConfigMap.get('default', evaluationsConfigMapName('big')) as
    | V1ConfigMap
    | undefined;
  api.cluster.put('ConfigMap', recordConfigMap(owner, next, live?.metadata?.resourceVersion));
  return next;
}

describe('a job no node can run, through the Nomad API', () => {
  it('is pending with a blocked evaluation saying why, and running once placed', async () => {
    const actions = {
      ...makeKubeActions(new MemoryCluster().writer()),
      // Registration's own evaluation is not what this test is about: the reconciler's record is.
      recordEvaluation: async () => {
        throw new Error('no cluster in this test');
      },
    };
    const api = await testApi({ actions });
    const { app } = api;
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: bigJob } });
    expect(reg.statusCode, reg.body).toBe(200);
    const owner = api.cluster.sources.NomadJob.get('default', 'big') as NomadJobObject;
    const job = canonicalize(bigJob as Job);

    let record = observe(api, owner, job, emptyRecord(), false);

    const read = await app.inject({ method: 'GET', url: '/v1/job/big' });
    expect(read.json()).toMatchObject({ ID: 'big', Status: 'pending' });

    const summary = await app.inject({ method: 'GET', url: '/v1/job/big/summary' });
    expect(summary.json().Summary.web).toMatchObject({ Queued: 3, Starting: 0, Running: 0 });

    const list = await app.inject({ method: 'GET', url: '/v1/jobs' });
    expect(list.json().find((j: { ID: string }) => j.ID === 'big')).toMatchObject({ Status: 'pending' });

    const allocations = (await app.inject({ method: 'GET', url: '/v1/job/big/allocations' })).json();
    expect(allocations).toHaveLength(3);
    for (const a of allocations)
      expect(a).toMatchObject({
        ClientStatus: 'pending',
        DesiredStatus: 'run',
        NodeID: '',
        TaskGroup: 'web',
      });

    const evaluations = (await app.inject({ method: 'GET', url: '/v1/job/big/evaluations' })).json();
    expect(
      evaluations.map((e: { TriggeredBy: string; Status: string }) => [e.TriggeredBy, e.Status]),
    ).toEqual([
      ['queued-allocs', 'blocked'],
      ['job-register', 'complete'],
    ]);
    const [blocked, placing] = evaluations;
    expect(placing.BlockedEval).toBe(blocked.ID);
    expect(placing.QueuedAllocations).toEqual({ web: 3 });
    expect(blocked).toMatchObject({
      PreviousEval: placing.ID,
      StatusDescription: 'created to place remaining allocations',
      JobID: 'big',
      Namespace: 'default',
    });
    for (const e of [blocked, placing])
      expect(e.FailedTGAllocs.web).toMatchObject({
        NodesEvaluated: 3,
        NodesInPool: 3,
        NodesExhausted: 3,
        DimensionExhausted: { memory: 3 },
        CoalescedFailures: 2,
        ResourcesExhausted: { server: { MemoryMB: 30_000_000 } },
      });

    const byId = await app.inject({ method: 'GET', url: `/v1/evaluation/${blocked.ID}` });
    expect(byId.statusCode).toBe(200);
    expect(byId.json()).toMatchObject({ ID: blocked.ID, Status: 'blocked', TriggeredBy: 'queued-allocs' });

    // Capacity appears: the pods are placed and run.
    record = observe(api, owner, job, record, true);
    expect((await app.inject({ method: 'GET', url: '/v1/job/big' })).json().Status).toBe('running');
    const after = (await app.inject({ method: 'GET', url: `/v1/evaluation/${blocked.ID}` })).json();
    expect(after).toMatchObject({ Status: 'complete', FailedTGAllocs: null, QueuedAllocations: { web: 0 } });
    const running = (await app.inject({ method: 'GET', url: '/v1/job/big/allocations' })).json();
    expect(running.map((a: { ClientStatus: string }) => a.ClientStatus)).toEqual([
      'running',
      'running',
      'running',
    ]);
    expect(record.entries).toHaveLength(2);
  });
});
