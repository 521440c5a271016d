// System jobs spread over nodes; a controller restarted mid-work converges without duplicates; and
// a converged controller is quiet: no apiserver writes while nothing changes, resyncs included.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { nodeManifest } from '../../cluster/local-cluster.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;
const nodes: string[] = [];
let harness: Harness | undefined;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'steady'));
});
afterAll(async () => {
  await harness?.stop();
  await Promise.all(nodes.map((name) => core.deleteNode({ name }).catch(() => undefined)));
  await removeNamespace();
});

describe('system jobs', () => {
  it('run one pod on each of 3 kwok nodes of their datacenter', async () => {
    const zone = `sys-${namespace.slice(-4)}`;
    for (let i = 0; i < 3; i++) {
      const name = `${zone}-node-${i}`;
      nodes.push(name);
      await core.createNode({
        body: JSON.parse(nodeManifest(name, { 'topology.kubernetes.io/zone': zone })),
      });
    }
    // The operator is told which node label carries the datacenter (--datacenter-label), as a cluster
    // whose zones stand for Nomad datacenters would be set up: only the zone's nodes are eligible.
    harness = await startController(kc, namespace, {
      translate: { nodeAttributeLabels: { '${node.datacenter}': 'topology.kubernetes.io/zone' } },
    });
    await harness.submit(dockerJob('agent', { Type: 'system', Datacenters: [zone] }));
    const pods = await waitFor('3 running agent pods', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: `${LABEL_JOB}=agent` });
      const running = list.items.filter((p) => p.status?.phase === 'Running');
      return running.length === 3 ? running : undefined;
    });
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(nodes));
    const daemonSets = await apps.listNamespacedDaemonSet({ namespace, labelSelector: `${LABEL_JOB}=agent` });
    expect(daemonSets.items).toHaveLength(1);
    const job = await waitFor('agent running 3/3', async () => {
      const j = await harness!.read('agent');
      return j.status?.allocations === '3/3' ? j : undefined;
    });
    expect(job.status?.status).toBe('running');
    await harness.stop();
    harness = undefined;
  });
});

describe('restarts and idleness', () => {
  it('converges after a restart mid-work without duplicates, then writes nothing while idle', async () => {
    // A first controller starts on 50 jobs and is stopped while it is still busy.
    const first = await startController(kc, namespace, { workers: 2 });
    const ids = Array.from({ length: 50 }, (_, i) => `svc-${i}`);
    await Promise.all(ids.map((id) => first.submit(dockerJob(id))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.stop();

    // A new one, with a short resync so that resyncs happen during the idle window.
    harness = await startController(kc, namespace, { resyncMs: 15_000 });
    await waitFor(
      '50 jobs running',
      async () => {
        const list = await Promise.all(ids.map((id) => harness!.read(id)));
        return list.every((j) => j.status?.status === 'running' && j.status.allocations === '1/1');
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const deployments = await apps.listNamespacedDeployment({ namespace });
    const perJob = new Map<string, number>();
    for (const d of deployments.items) {
      const job = d.metadata?.labels?.[LABEL_JOB] ?? '';
      perJob.set(job, (perJob.get(job) ?? 0) + 1);
    }
    expect(ids.every((id) => perJob.get(id) === 1)).toBe(true);

    // Let stragglers (pod status updates of the last placements) settle, then count writes.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const before = await harness.metrics.writes();
    const reconcilesBefore = await reconcileCount(harness);
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    expect(await harness.metrics.writes()).toBe(before);
    // It did look: the resyncs reconciled every job at least once in the window.
    expect((await reconcileCount(harness)) - reconcilesBefore).toBeGreaterThanOrEqual(50);
  }, 300_000);
});

async function reconcileCount(h: Harness): Promise<number> {
  const metric = await h.metrics.reconcileTotal.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
