// Honest status on the real cluster (kwok nodes with their default labels, the real kube-scheduler):
// a job asking for more memory than any node has stays pending, with condition Scheduled=False
// (Unschedulable, the scheduler's "Insufficient memory"), a blocked evaluation carrying FailedTGAllocs,
// the Nomad API (pending, queued, pending allocations, the blocked evaluation) and kubectl get nj saying
// so; a job blocked only by other allocations is placed when they stop, its blocked evaluation
// completes and it turns running; a small service job registered through the API runs 3/3.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../src/api/server.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { type Evaluation, evaluationsOf } from '../../../src/jobs/evaluations.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;
let server: ApiServer;
/** The largest allocatable memory of any node, in MiB. */
let largestNodeMiB = 0;

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes of a Kubernetes memory quantity such as "256Gi" or "16318828Ki". */
function bytesOf(quantity: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)([kMGT]i?|)$/.exec(quantity ?? '');
  return match ? Number(match[1]) * (UNITS[match[2]!] ?? 1) : 0;
}

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'unschedulable'));
  harness = await startController(kc, namespace);
  // The Nomad API on the same cluster, as `nomad-operator run` serves it.
  server = await startApiServer({
    kubeConfig: operatorConfig(kc),
    defaultNamespace: namespace,
    listen: { host: '127.0.0.1', port: 0 },
    allowAnonymous: true,
  });
  const nodes: V1Node[] = (await core.listNode()).items;
  largestNodeMiB = Math.max(...nodes.map((n) => bytesOf(n.status?.allocatable?.memory) / 2 ** 20));
});
afterAll(async () => {
  await server?.close();
  await harness?.stop();
  await removeNamespace();
});

/** A service job of one group `web` running nginx, with the given count and memory (MB). */
function webJob(id: string, count: number, memoryMB: number, extra: Partial<Job> = {}): Job {
  return {
    ID: id,
    TaskGroups: [
      {
        Name: 'web',
        Count: count,
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
        Tasks: [
          {
            Name: 'server',
            Driver: 'docker',
            Config: { image: 'nginx:1.27', ports: ['http'] },
            Resources: { CPU: 500, MemoryMB: memoryMB },
          },
        ],
      },
    ],
    ...extra,
  };
}

/** A Nomad API answer's JSON. */
async function nomad<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(server.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBe(200);
  return JSON.parse(text) as T;
}

const condition = (job: NomadJobObject, type: string) => job.status?.conditions?.find((c) => c.type === type);

async function evaluations(name: string): Promise<Evaluation[]> {
  return evaluationsOf(await harness.read(name), harness.controller.view);
}

/** The row of `kubectl get nj <name>` (with -o wide when asked), by column title. */
async function getRow(name: string, wide = false): Promise<Record<string, string>> {
  // The kubectl built with the local control plane, on the test cluster's kubeconfig, as a user runs it.
  const { stdout } = await promisify(execFile)(
    path.join(inject('binDir'), 'kubectl'),
    ['get', 'nj', name, '-n', namespace, ...(wide ? ['-o', 'wide'] : [])],
    { encoding: 'utf8', env: { ...process.env, KUBECONFIG: inject('kubeconfig') } },
  );
  const [header = '', row = ''] = stdout.trimEnd().split('\n');
  // Columns start where the header's titles start.
  const titles = [...header.matchAll(/\S+/g)];
  return Object.fromEntries(
    titles.map((title, i) => [title[0], row.slice(title.index, titles[i + 1]?.index ?? row.length).trim()]),
  );
}

describe('a job no node can run', () => {
  it('is pending with Scheduled=False (Unschedulable, Insufficient memory) and a blocked evaluation', async () => {
    const memoryMB = 10_000_000;
    // More than any node of this cluster has (nodes are kwok's, as created, never changed here).
    expect(memoryMB).toBeGreaterThan(largestNodeMiB);
    await harness.submit(webJob('too-big', 2, memoryMB));

    const pending = await waitFor(
      'the NomadJob pending with Scheduled=False, Unschedulable',
      async () => {
        const job = await harness.read('too-big');
        return job.status?.status === 'pending' && condition(job, 'Scheduled')?.reason === 'Unschedulable'
          ? job
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(pending.status?.allocations).toBe('0/2');
    expect(pending.status?.summary?.web).toMatchObject({ queued: 2, starting: 0, running: 0 });
    expect(condition(pending, 'Scheduled')).toMatchObject({
      reason: 'Unschedulable',
      observedGeneration: pending.metadata?.generation,
    });
    expect(condition(pending, 'Scheduled')?.message).toMatch(
      /^0\/\d+ nodes are available: .*Insufficient memory/,
    );
    expect(condition(pending, 'Ready')).toMatchObject({ status: 'False', reason: 'Unschedulable' });

    const [blocked, placing] = await waitFor(
      'a blocked evaluation behind a complete one',
      async () => {
        const list = await evaluations('too-big');
        return list[0]?.Status === 'blocked' ? list : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(placing).toMatchObject({
      TriggeredBy: 'job-register',
      Status: 'complete',
      BlockedEval: blocked?.ID,
      QueuedAllocations: { web: 2 },
    });
    expect(blocked).toMatchObject({
      TriggeredBy: 'queued-allocs',
      Status: 'blocked',
      StatusDescription: 'created to place remaining allocations',
      PreviousEval: placing?.ID,
      QueuedAllocations: { web: 2 },
    });
    const metric = blocked?.FailedTGAllocs?.web;
    expect(metric?.DimensionExhausted?.memory).toBeGreaterThan(0);
    expect(metric?.NodesExhausted).toBe(metric?.DimensionExhausted?.memory);
    expect(metric?.NodesEvaluated).toBeGreaterThan(0);
    expect(metric?.ResourcesExhausted?.server?.MemoryMB).toBeGreaterThanOrEqual(memoryMB);

    // kubectl describe nj shows it once as a Warning event.
    const events = await waitFor('an Unschedulable event', async () => {
      const list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.name=${pending.metadata?.name},reason=Unschedulable`,
      });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'NomadJob' } });
    expect(events[0]?.message).toMatch(/Insufficient memory/);

    // What a Nomad user sees: pending job, queued summary, pending allocations, the blocked evaluation.
    const nomadJob = await waitFor('the API to see the job pending', async () => {
      const read = await nomad<{ Status: string }>('GET', '/v1/job/too-big');
      return read.Status === 'pending' ? read : undefined;
    });
    expect(nomadJob).toMatchObject({ ID: 'too-big', Status: 'pending' });
    const summary = await nomad<{ Summary: Record<string, Record<string, number>> }>(
      'GET',
      '/v1/job/too-big/summary',
    );
    expect(summary.Summary.web).toMatchObject({ Queued: 2, Starting: 0, Running: 0 });
    const allocations = await nomad<Array<Record<string, unknown>>>('GET', '/v1/job/too-big/allocations');
    expect(allocations.map((a) => [a.ClientStatus, a.DesiredStatus, a.NodeID])).toEqual([
      ['pending', 'run', ''],
      ['pending', 'run', ''],
    ]);
    const served = await waitFor('the API to serve the blocked evaluation', async () => {
      const list = await nomad<Evaluation[]>('GET', '/v1/job/too-big/evaluations');
      return list[0]?.ID === blocked?.ID && list[0]?.Status === 'blocked' ? list : undefined;
    });
    expect(served[1]).toMatchObject({ ID: placing?.ID, Status: 'complete', BlockedEval: blocked?.ID });
    const byId = await nomad<Evaluation>('GET', `/v1/evaluation/${blocked?.ID}`);
    expect(byId).toMatchObject({
      Status: 'blocked',
      TriggeredBy: 'queued-allocs',
      PreviousEval: placing?.ID,
    });
    expect(byId.FailedTGAllocs?.web?.DimensionExhausted?.memory).toBeGreaterThan(0);

    // What a kubectl user sees.
    const row = await getRow('too-big');
    expect(row).toMatchObject({ STATUS: 'pending', 'RUNNING/DESIRED': '0/2', REASON: 'Unschedulable' });
    expect((await getRow('too-big', true)).MESSAGE).toMatch(/Insufficient memory/);
  });

  it('is placed once other allocations free the memory: the blocked evaluation completes, the job runs', async () => {
    // Two jobs that cannot share a node: the second waits for the first.
    const share = Math.floor(largestNodeMiB * 0.6);
    const nodes = (await core.listNode()).items.length;
    await harness.submit(webJob('hog', nodes, share));
    await waitFor('the hog running', async () => (await harness.read('hog')).status?.status === 'running', {
      timeoutMs: 120_000,
    });
    await harness.submit(webJob('waiter', 1, share));
    const blocked = await waitFor(
      'the waiter blocked',
      async () => {
        const list = await evaluations('waiter');
        return list[0]?.Status === 'blocked' ? list[0] : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(blocked.FailedTGAllocs?.web?.DimensionExhausted?.memory).toBeGreaterThan(0);
    expect((await harness.read('waiter')).status?.status).toBe('pending');

    await harness.submit(webJob('hog', nodes, share, { Stop: true }));
    const running = await waitFor(
      'the waiter running 1/1',
      async () => {
        const job = await harness.read('waiter');
        return job.status?.status === 'running' &&
          job.status.allocations === '1/1' &&
          condition(job, 'Scheduled')?.status === 'True'
          ? job
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(condition(running, 'Ready')).toMatchObject({ status: 'True', reason: 'AllocationsRunning' });
    const completed = await waitFor(
      'the blocked evaluation complete',
      async () => {
        const found = (await evaluations('waiter')).find((e) => e.ID === blocked.ID);
        return found?.Status === 'complete' ? found : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(completed).toMatchObject({
      FailedTGAllocs: null,
      QueuedAllocations: { web: 0 },
      StatusDescription: '',
    });
    expect(completed.ModifyIndex).toBeGreaterThan(blocked.ModifyIndex);
  });
});

describe('a small service job', () => {
  it('registered through the API, runs 3/3 allocations and kubectl get nj says RUNNING/DESIRED 3/3', async () => {
    // The shape of `nomad job init`'s example: a datacenter, a port, a service, a task-level disk.
    const job = webJob('web', 3, 256, { Datacenters: ['dc1'] });
    const group = job.TaskGroups![0]!;
    group.Services = [{ Name: 'web', PortLabel: 'http' }];
    group.Tasks![0]!.Resources = { CPU: 500, MemoryMB: 256, DiskMB: 300 };
    await nomad('PUT', '/v1/jobs', { Job: job });
    const running = await waitFor(
      'web running 3/3',
      async () => {
        const job = await harness.read('web');
        return job.status?.status === 'running' && job.status.allocations === '3/3' ? job : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(running.status?.summary?.web).toMatchObject({ running: 3, queued: 0 });
    expect(condition(running, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Placed' });
    expect(condition(running, 'Ready')).toMatchObject({ status: 'True', reason: 'AllocationsRunning' });
    const allocations = await waitFor('three running allocations', async () => {
      const list = await nomad<Array<{ ClientStatus: string }>>('GET', '/v1/job/web/allocations');
      return list.length === 3 && list.every((a) => a.ClientStatus === 'running') ? list : undefined;
    });
    expect(allocations).toHaveLength(3);
    expect((await nomad<{ Status: string }>('GET', '/v1/job/web')).Status).toBe('running');
    const row = await getRow('web');
    expect(row).toMatchObject({ STATUS: 'running', 'RUNNING/DESIRED': '3/3', REASON: 'AllocationsRunning' });
  });
});
