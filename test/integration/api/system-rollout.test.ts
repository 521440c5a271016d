// A system job's new version rolling node by node, stalled because no node can run it: on the real
// apiserver, with the DaemonSet controller and the scheduler, the allocations still running report
// the version they run (the old one), the new version's allocation is pending with it, and the new
// version's evaluation failed its placement and left a blocked evaluation.
import { AppsV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { testKubeConfig, waitFor } from '../support/kube.ts';
import { callApi, operatorForFile } from '../support/operator.ts';

const kc = testKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const operator = operatorForFile(kc, 'system-rollout');

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { status, text } = await callApi(operator().api, method, path, body);
  if (status !== 200) throw new Error(`${method} ${path}: ${status} ${text}`);
  return JSON.parse(text) as T;
}

const agent = (image: string, memoryMB: number) => ({
  ID: 'node-agent',
  Type: 'system',
  Datacenters: ['dc1'],
  // One node at a time.
  Update: { MaxParallel: 1 },
  TaskGroups: [
    {
      Name: 'agent',
      Tasks: [
        {
          Name: 'collector',
          Driver: 'docker',
          Config: { image },
          Resources: { CPU: 100, MemoryMB: memoryMB },
        },
      ],
    },
  ],
});

interface Evaluation {
  ID: string;
  JobModifyIndex: number;
  Status: string;
  TriggeredBy: string;
  FailedTGAllocs: Record<string, unknown> | null;
  BlockedEval: string;
}

interface Allocation {
  JobVersion: number;
  ClientStatus: string;
  DesiredStatus: string;
}

const live = (allocations: Allocation[]) => allocations.filter((a) => a.DesiredStatus === 'run');

describe('a system job rolling out a version no node can run', () => {
  it('reports the old version on the allocations still running it', async () => {
    await api('PUT', '/v1/jobs', { Job: agent('registry.example/agent:1', 128) });
    // Running and healthy (past min_healthy_time) on every node: only then does a rollout keep the
    // other nodes' allocations while it replaces one.
    const nodes = await waitFor(
      'a healthy allocation on every node',
      async () => {
        const [daemonSet] = (await apps.listNamespacedDaemonSet({ namespace: operator().namespace })).items;
        const available = daemonSet?.status?.numberAvailable ?? 0;
        return available > 0 && available === daemonSet?.status?.desiredNumberScheduled
          ? available
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // As the API's caches have it a moment later.
    const allocationsNow = async () => live(await api<Allocation[]>('GET', '/v1/job/node-agent/allocations'));
    await waitFor('the API showing them running', async () => {
      const running = (await allocationsNow()).filter((a) => a.ClientStatus === 'running');
      return running.length === nodes ? true : undefined;
    });
    expect((await allocationsNow()).map((a) => a.JobVersion)).toEqual(Array(nodes).fill(0));

    // More memory than any node has: the DaemonSet replaces one node's pod, whose successor stays pending.
    await api('PUT', '/v1/jobs', { Job: agent('registry.example/agent:2', 100_000_000) });
    const allocations = await waitFor(
      'the rollout stalled: one node’s allocation replaced by a pending one, the others running',
      async () => {
        const all = await allocationsNow();
        const pending = all.filter((a) => a.ClientStatus === 'pending');
        const running = all.filter((a) => a.ClientStatus === 'running');
        return pending.length === 1 && running.length === nodes - 1 ? all : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Each reports the version it runs.
    expect(allocations.map((a) => [a.ClientStatus, a.JobVersion]).sort()).toEqual([
      ['pending', 1],
      ...Array(nodes - 1).fill(['running', 0]),
    ]);

    // The new version's placement failed: Nomad's register evaluation with FailedTGAllocs, and the
    // blocked evaluation it created.
    const job = await api<{ JobModifyIndex: number }>('GET', '/v1/job/node-agent');
    const latest = await waitFor('the new version’s evaluations recorded', async () => {
      const evaluations = await api<Evaluation[]>('GET', '/v1/job/node-agent/evaluations');
      const mine = evaluations.filter((e) => e.JobModifyIndex === job.JobModifyIndex);
      return mine.some((e) => e.Status === 'blocked') ? mine : undefined;
    });
    const register = latest.find((e) => e.TriggeredBy === 'job-register');
    expect(register).toMatchObject({ Status: 'complete', FailedTGAllocs: { agent: {} } });
    expect(latest.find((e) => e.ID === register?.BlockedEval)).toMatchObject({ Status: 'blocked' });
  });
});
