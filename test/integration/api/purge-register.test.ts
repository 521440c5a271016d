// `nomad job stop -purge web && nomad job run web.nomad`, as CI scripts do: a job purged and registered
// again under the same ID at once, while the garbage collector is still removing the purged job's
// objects. On the real apiserver, with the controller and the garbage collector running: the job
// registered again ends with its own Deployment, revision and evaluation record, owned by the new
// NomadJob, its pods running, and nothing of the purged job left.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1OwnerReference } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../src/api/server.ts';
import { Controller } from '../../../src/controller/controller.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { evaluationsConfigMapName } from '../../../src/jobs/evaluations.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { createLogger } from '../../../src/log.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);

let ns: { name: string; remove: () => Promise<void> };
let controller: Controller;
let server: ApiServer;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(server.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, text: await res.text() };
}

const job = (image: string) => ({
  ID: 'cycled',
  Datacenters: ['dc1'],
  TaskGroups: [
    {
      Name: 'web',
      Count: 1,
      Tasks: [{ Name: 'main', Driver: 'docker', Config: { image } }],
    },
  ],
});

const ownedBy = (refs: V1OwnerReference[] | undefined) => (refs ?? []).map((r) => r.uid);

async function jobStatus(): Promise<string | undefined> {
  const res = await api('GET', '/v1/job/cycled');
  return res.status === 200 ? (JSON.parse(res.text) as { Status: string }).Status : undefined;
}

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'purge-register');
  await ensureNomadJobCrd(operatorConfig(kc));
  controller = new Controller({
    kubeConfig: operatorConfig(kc),
    metrics: createMetrics(),
    logger: createLogger({ level: 'warn', destination: { write: () => undefined } }),
    namespace: ns.name,
    workers: 2,
    resyncMs: 10 * 60_000,
  });
  controller.startInformers();
  if (!(await controller.waitForSync(60_000))) throw new Error('controller caches did not sync');
  controller.run();
  server = await startApiServer({
    kubeConfig: operatorConfig(kc),
    defaultNamespace: ns.name,
    listen: { host: '127.0.0.1', port: 0 },
    allowAnonymous: true,
  });
});

afterAll(async () => {
  await server?.close();
  await controller?.stop();
  await ns?.remove();
});

describe('a job purged and registered again at once', () => {
  it('runs as the new job, with only the new job’s objects', async () => {
    const first = await api('PUT', '/v1/jobs', { Job: job('registry.example/web:1') });
    expect(first.status, first.text).toBe(200);
    await waitFor('the first job running', async () =>
      (await jobStatus()) === 'running' ? true : undefined,
    );
    const before = (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: ns.name,
      name: 'cycled',
    })) as NomadJobObject;

    const purged = await api('DELETE', '/v1/job/cycled?purge=true');
    expect(purged.status, purged.text).toBe(200);
    const again = await api('PUT', '/v1/jobs', { Job: job('registry.example/web:2') });
    expect(again.status, again.text).toBe(200);

    const after = (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: ns.name,
      name: 'cycled',
    })) as NomadJobObject;
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    const uid = after.metadata?.uid ?? '';

    await waitFor(
      'the job registered again running its new image',
      async () => {
        const deployments = (
          await apps.listNamespacedDeployment({ namespace: ns.name, labelSelector: `${LABEL_JOB}=cycled` })
        ).items;
        const pods = (
          await core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL_JOB}=cycled` })
        ).items.filter((p) => !p.metadata?.deletionTimestamp);
        return deployments.length === 1 &&
          ownedBy(deployments[0]?.metadata?.ownerReferences).join() === uid &&
          deployments[0]?.spec?.template.spec?.containers[0]?.image === 'registry.example/web:2' &&
          pods.length === 1 &&
          pods[0]?.status?.phase === 'Running' &&
          pods[0]?.spec?.containers[0]?.image === 'registry.example/web:2' &&
          (await jobStatus()) === 'running'
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Still so a while later: the collector removed nothing of the new job's.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const deployments = (
      await apps.listNamespacedDeployment({ namespace: ns.name, labelSelector: `${LABEL_JOB}=cycled` })
    ).items;
    expect(deployments.map((d) => ownedBy(d.metadata?.ownerReferences).join())).toEqual([uid]);
    const revisions = (
      await apps.listNamespacedControllerRevision({
        namespace: ns.name,
        labelSelector: `${LABEL_JOB}=cycled`,
      })
    ).items;
    expect(revisions.map((r) => ownedBy(r.metadata?.ownerReferences).join())).toEqual([uid]);
    const evaluations = await core.readNamespacedConfigMap({
      namespace: ns.name,
      name: evaluationsConfigMapName('cycled'),
    });
    expect(ownedBy(evaluations.metadata?.ownerReferences)).toEqual([uid]);
    const versions = JSON.parse((await api('GET', '/v1/job/cycled/versions')).text) as {
      Versions: { Version: number }[];
    };
    expect(versions.Versions.map((v) => v.Version)).toEqual([0]);
    expect(await jobStatus()).toBe('running');
  });
});
