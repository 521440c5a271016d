// Evaluations on the real cluster: registering records a job-register evaluation that completes once
// the pods are placed; scaling and stopping record theirs; a job no node can run is blocked until a
// node of its datacenter appears; evaluations survive a controller restart.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Evaluation, evaluationsOf } from '../../../src/controller/evaluations.ts';
import { nodeManifest } from '../../cluster/local-cluster.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;
const nodes: string[] = [];

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'evals'));
  harness = await startController(kc, namespace);
});
afterAll(async () => {
  await harness?.stop();
  await Promise.all(nodes.map((name) => core.deleteNode({ name }).catch(() => undefined)));
  await removeNamespace();
});

/** Evaluations of a job as the API would read them: from the controller's cache. */
async function evaluations(name: string): Promise<Evaluation[]> {
  return evaluationsOf(await harness.read(name), harness.controller.view);
}

const summary = (list: Evaluation[]) => list.map((e) => [e.TriggeredBy, e.Status]);

describe('evaluations', () => {
  it('register → complete once placed; scaling and stop record theirs; restarts keep them', async () => {
    await harness.submit(dockerJob('api', {}, 2));
    const registered = await waitFor('a complete job-register evaluation', async () => {
      const list = await evaluations('api');
      return list[0]?.Status === 'complete' ? list : undefined;
    });
    expect(registered).toHaveLength(1);
    const first = registered[0]!;
    expect(first).toMatchObject({
      TriggeredBy: 'job-register',
      JobID: 'api',
      Namespace: 'default',
      Type: 'service',
      Priority: 50,
      QueuedAllocations: { app: 0 },
      FailedTGAllocs: null,
    });
    expect(first.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.ModifyIndex).toBeGreaterThanOrEqual(first.CreateIndex);
    expect(first.ModifyTime).toBeGreaterThanOrEqual(first.CreateTime);

    await harness.submit(dockerJob('api', {}, 3));
    await waitFor(
      'a complete job-scaling evaluation',
      async () => {
        const list = await evaluations('api');
        return list[0]?.TriggeredBy === 'job-scaling' && list[0].Status === 'complete';
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    await harness.submit(dockerJob('api', { Stop: true }, 3));
    const stopped = await waitFor('a job-deregister evaluation', async () => {
      const list = await evaluations('api');
      return list[0]?.TriggeredBy === 'job-deregister' ? list : undefined;
    });
    expect(summary(stopped)).toEqual([
      ['job-deregister', 'complete'],
      ['job-scaling', 'complete'],
      ['job-register', 'complete'],
    ]);
    // Newest first, by index.
    expect(stopped[0]!.CreateIndex).toBeGreaterThan(stopped[1]!.CreateIndex);

    // A restarted controller reads them back and adds nothing.
    await harness.stop();
    harness = await startController(kc, namespace);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await evaluations('api')).map((e) => e.ID)).toEqual(stopped.map((e) => e.ID));
  });

  it('is blocked while no node can run the job, and completes once one can', async () => {
    const zone = `dc-${namespace.slice(-4)}`;
    await harness.submit(dockerJob('stuck', { Datacenters: [zone] }, 2));
    const blocked = await waitFor('a blocked evaluation', async () => {
      const list = await evaluations('stuck');
      return list[0]?.Status === 'blocked' ? list[0] : undefined;
    });
    expect(blocked).toMatchObject({
      TriggeredBy: 'job-register',
      StatusDescription: 'created to place remaining allocations',
      QueuedAllocations: { app: 2 },
    });
    const metric = blocked.FailedTGAllocs?.app;
    expect(metric?.CoalescedFailures).toBe(1);
    expect(Object.keys(metric?.ConstraintFiltered ?? {})[0]).toMatch(/node affinity|selector/);

    const name = `${zone}-node`;
    nodes.push(name);
    await core.createNode({ body: JSON.parse(nodeManifest(name, { 'topology.kubernetes.io/zone': zone })) });
    const placed = await waitFor('the evaluation complete', async () => {
      const list = await evaluations('stuck');
      return list[0]?.Status === 'complete' ? list[0] : undefined;
    });
    expect(placed.ID).toBe(blocked.ID);
    expect(placed).toMatchObject({
      QueuedAllocations: { app: 0 },
      FailedTGAllocs: null,
      StatusDescription: '',
    });
    expect(placed.ModifyIndex).toBeGreaterThan(blocked.ModifyIndex);
  });
});
