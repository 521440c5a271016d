// Two operator replicas: only the one holding the Lease reconciles (and writes); when it dies
// without releasing, the other takes over once the lease expires and carries on.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../../src/controller/controller.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { makeApplier } from '../../../src/kube/apply.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { LeaderElector } from '../../../src/kube/leader.ts';
import { silentLogger } from '../../../src/log.ts';
import { createMetrics, type OperatorMetrics } from '../../../src/metrics.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob } from './harness.ts';

const kc = testKubeConfig();
let namespace: string;
let removeNamespace: () => Promise<void>;

interface Replica {
  controller: Controller;
  elector: LeaderElector;
  metrics: OperatorMetrics;
}

const timings = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };
const replicas: Replica[] = [];

function replica(identity: string): Replica {
  const metrics = createMetrics();
  const controller = new Controller({
    kubeConfig: operatorConfig(kc),
    metrics,
    logger: silentLogger(),
    namespace,
    workers: 2,
  });
  controller.startInformers();
  const elector = new LeaderElector({
    kubeConfig: operatorConfig(kc),
    namespace,
    name: 'nomad-operator',
    identity,
    ...timings,
    onStartedLeading: async (signal) => {
      await controller.waitForSync();
      controller.run();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  });
  elector.start();
  const r = { controller, elector, metrics };
  replicas.push(r);
  return r;
}

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'ha'));
  await ensureNomadJobCrd(operatorConfig(kc));
});
afterAll(async () => {
  for (const r of replicas) {
    await r.elector.stop();
    await r.controller.stop();
  }
  await removeNamespace();
});

const custom = kc.makeApiClient(CustomObjectsApi);
const read = async (name: string) =>
  (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as NomadJobObject;
const apply = (count: number) =>
  makeApplier(operatorConfig(kc), 'test-user', createMetrics()).apply(
    nomadJobObject(canonicalize(dockerJob('ha-web', {}, count)) as Record<string, unknown>, () => namespace),
  );

describe('two replicas', () => {
  it('only the leader writes; the other takes over when the leader dies', async () => {
    const a = replica('replica-a');
    await waitFor('replica-a leading', async () => a.elector.isLeader());
    const b = replica('replica-b');
    await apply(1);
    await waitFor('ha-web running', async () => (await read('ha-web')).status?.status === 'running');
    expect(await a.metrics.writes()).toBeGreaterThan(0);
    expect(await b.metrics.writes()).toBe(0);
    expect(b.elector.isLeader()).toBe(false);

    // The leader dies: no release, its lease simply stops being renewed.
    const died = Date.now();
    await a.elector.stop();
    await a.controller.stop();
    await waitFor('replica-b leading', async () => b.elector.isLeader(), {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const takeover = Date.now() - died;
    expect(takeover).toBeLessThanOrEqual(timings.leaseDurationMs + 2 * timings.retryPeriodMs + 1_000);

    await apply(2);
    await waitFor(
      'ha-web at version 1 via replica-b',
      async () => (await read('ha-web')).status?.version === 1,
    );
    expect(await b.metrics.writes()).toBeGreaterThan(0);
  });
});
