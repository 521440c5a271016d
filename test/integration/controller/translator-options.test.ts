// The operator's translator options reach every reconcile: the same job in two namespaces, one
// controller with the defaults and one with the options `run` reads from its environment variables.
// By default `datacenters = ["dc1"]` pins nothing, so the pods run on the cluster's nodes as they are
// (no extra labels); with a datacenter label the pods are pinned to it.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const cleanups: Array<() => Promise<unknown>> = [];

async function controllerIn(prefix: string, env: Record<string, string>): Promise<[string, Harness]> {
  const ns = await createTestNamespace(kc, prefix);
  cleanups.push(ns.remove);
  const parsed = parseConfig([], env);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const harness = await startController(kc, ns.name, { translate: parsed.config.translator });
  cleanups.push(() => harness.stop());
  return [ns.name, harness];
}

let defaults: [string, Harness];
let mapped: [string, Harness];
beforeAll(async () => {
  defaults = await controllerIn('opts-default', {});
  mapped = await controllerIn('opts-mapped', {
    NOMAD_OPERATOR_DATACENTER_LABEL: 'topology.kubernetes.io/zone',
    NOMAD_OPERATOR_MILLICORES_PER_MHZ: '2',
  });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const deploymentOf = async (namespace: string) =>
  waitFor('the Deployment of web', async () => {
    const list = await apps.listNamespacedDeployment({ namespace, labelSelector: `${LABEL_JOB}=web` });
    return list.items[0];
  });

describe('translator options in the operator', () => {
  it('by default, datacenters = ["dc1"] runs on any node, with one warning saying how to pin', async () => {
    const [namespace, harness] = defaults;
    await harness.submit(dockerJob('web', { Datacenters: ['dc1'] }));
    const running = await waitFor('web running 1/1', async () => {
      const job = await harness.read('web');
      return job.status?.status === 'running' && job.status.allocations === '1/1' ? job : undefined;
    });
    expect(running.status?.warnings?.filter((w) => w.startsWith('Datacenters: '))).toEqual([
      expect.stringContaining('--datacenter-label <node label> (env NOMAD_OPERATOR_DATACENTER_LABEL'),
    ]);
    const deployment = await deploymentOf(namespace);
    expect(deployment.spec?.template.spec?.nodeSelector).toBeUndefined();
    expect(deployment.spec?.template.spec?.containers[0]?.resources?.requests?.cpu).toBe('100m');
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `${LABEL_JOB}=web` });
    expect(pods.items.some((p) => p.status?.phase === 'Running')).toBe(true);
  });

  it('with NOMAD_OPERATOR_DATACENTER_LABEL and _MILLICORES_PER_MHZ, the workload is pinned and scaled', async () => {
    const [namespace, harness] = mapped;
    await harness.submit(dockerJob('web', { Datacenters: ['dc1'] }));
    const deployment = await deploymentOf(namespace);
    expect(deployment.spec?.template.spec?.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'dc1' });
    expect(deployment.spec?.template.spec?.containers[0]?.resources?.requests?.cpu).toBe('200m');
    // The Deployment is written before the status; wait for the status of this generation.
    const job = await waitFor('the status of web', async () => {
      const current = await harness.read('web');
      const generation = current.metadata?.generation;
      return generation !== undefined && current.status?.observedGeneration === generation
        ? current
        : undefined;
    });
    expect((job.status?.warnings ?? []).filter((w) => w.startsWith('Datacenters: '))).toEqual([]);
  });
});
