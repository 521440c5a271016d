// A system job's new version rolling node by node, stalled because no node can run it: on the real
// apiserver, with the DaemonSet controller and the scheduler, the allocations still running report
// the version they run (the old one), the new version's allocation is pending with it, and the new
// version's evaluation failed its placement and left a blocked evaluation.
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/api/server.ts';
import { type Harness, startController } from '../controller/harness.ts';
import { startTestApiServer } from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);

let ns: { name: string; remove: () => Promise<void> };
let harness: Harness;
let server: ApiServer;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'system-rollout');
  harness = await startController(kc, ns.name, { workers: 2 });
  server = await startTestApiServer(kc, ns.name);
});

afterAll(async () => {
  await server?.close();
  await harness?.stop();
  await ns?.remove();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(server.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
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
        const [daemonSet] = (await apps.listNamespacedDaemonSet({ namespace: ns.name })).items;
        const available = daemonSet?.status?.numberAvailable ?? 0;
        return available > 0 && available === daemonSet?.status?.desiredNumberScheduled
          ? available
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const running = live(await api<Allocation[]>('GET', '/v1/job/node-agent/allocations'));
    expect(running.map((a) => [a.JobVersion, a.ClientStatus])).toEqual(Array(nodes).fill([0, 'running']));

    // More memory than any node has: the DaemonSet replaces one node's pod, whose successor stays pending.
    await api('PUT', '/v1/jobs', { Job: agent('registry.example/agent:2', 100_000_000) });
    const allocations = await waitFor(
      'the rollout stalled on a pending allocation of version 1',
      async () => {
        const all = live(await api<Allocation[]>('GET', '/v1/job/node-agent/allocations'));
        return all.some((a) => a.JobVersion === 1 && a.ClientStatus === 'pending') ? all : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const stillRunning = allocations.filter((a) => a.ClientStatus === 'running');
    expect(stillRunning.length).toBe(nodes - 1);
    expect(stillRunning.every((a) => a.JobVersion === 0)).toBe(true);

    // The new version's placement failed: Nomad's register evaluation with FailedTGAllocs, and the
    // blocked evaluation it created.
    const job = await api<{ JobModifyIndex: number }>('GET', '/v1/job/node-agent');
    const evaluations = await api<Evaluation[]>('GET', '/v1/job/node-agent/evaluations');
    const latest = evaluations.filter((e) => e.JobModifyIndex === job.JobModifyIndex);
    const register = latest.find((e) => e.TriggeredBy === 'job-register');
    expect(register).toMatchObject({ Status: 'complete', FailedTGAllocs: { agent: {} } });
    expect(latest.find((e) => e.ID === register?.BlockedEval)).toMatchObject({ Status: 'blocked' });
  });
});
