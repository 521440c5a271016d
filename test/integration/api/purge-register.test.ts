// `nomad job stop -purge web && nomad job run web.nomad`, as CI scripts do: a job purged and registered
// again under the same ID at once, while the garbage collector is still removing the purged job's
// objects. On the real apiserver, with the controller and the garbage collector running: the job
// registered again ends with its own Deployment, revision and evaluation record, owned by the new
// NomadJob, its pods running, and nothing of the purged job left.
import { AppsV1Api, CoreV1Api, type V1OwnerReference } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { evaluationsConfigMapName } from '../../../src/jobs/evaluations.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { testKubeConfig, waitFor } from '../support/kube.ts';
import { callApi, operatorForFile } from '../support/operator.ts';

const kc = testKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const operator = operatorForFile(kc, 'purge-register');

const api = (method: string, path: string, body?: unknown) => callApi(operator().api, method, path, body);

const job = (image: string) => ({
  ID: 'cycled',
  Datacenters: ['dc1'],
  TaskGroups: [{ Name: 'web', Count: 1, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image } }] }],
});

const owners = (refs: V1OwnerReference[] | undefined) => (refs ?? []).map((r) => r.uid).join();

async function jobStatus(): Promise<string | undefined> {
  const res = await api('GET', '/v1/job/cycled');
  return res.status === 200 ? (JSON.parse(res.text) as { Status: string }).Status : undefined;
}

/** The job's Deployments and its pods not being deleted. */
async function workload() {
  const selector = { namespace: operator().namespace, labelSelector: `${LABEL_JOB}=cycled` };
  const deployments = (await apps.listNamespacedDeployment(selector)).items;
  const pods = (await core.listNamespacedPod(selector)).items.filter((p) => !p.metadata?.deletionTimestamp);
  return { deployments, pods };
}

describe('a job purged and registered again at once', () => {
  it('runs as the new job, with only the new job’s objects', async () => {
    const first = await api('PUT', '/v1/jobs', { Job: job('registry.example/web:1') });
    expect(first.status, first.text).toBe(200);
    await waitFor('the first job running', async () =>
      (await jobStatus()) === 'running' ? true : undefined,
    );
    const before = (await operator().controller.read('cycled')).metadata?.uid;

    const purged = await api('DELETE', '/v1/job/cycled?purge=true');
    expect(purged.status, purged.text).toBe(200);
    const again = await api('PUT', '/v1/jobs', { Job: job('registry.example/web:2') });
    expect(again.status, again.text).toBe(200);

    const uid = (await operator().controller.read('cycled')).metadata?.uid ?? '';
    expect(uid).not.toBe(before);
    const image = (spec: { containers: { image?: string }[] } | undefined) => spec?.containers[0]?.image;
    await waitFor(
      'the job registered again running its new image',
      async () => {
        const { deployments, pods } = await workload();
        const [deployment] = deployments;
        const [pod] = pods;
        return deployments.length === 1 &&
          owners(deployment?.metadata?.ownerReferences) === uid &&
          image(deployment?.spec?.template.spec) === 'registry.example/web:2' &&
          pods.length === 1 &&
          pod?.status?.phase === 'Running' &&
          image(pod.spec) === 'registry.example/web:2' &&
          (await jobStatus()) === 'running'
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Still so a while later: the collector removed nothing of the new job's.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const { deployments } = await workload();
    expect(deployments.map((d) => owners(d.metadata?.ownerReferences))).toEqual([uid]);
    const revisions = (
      await apps.listNamespacedControllerRevision({
        namespace: operator().namespace,
        labelSelector: `${LABEL_JOB}=cycled`,
      })
    ).items;
    expect(revisions.map((r) => owners(r.metadata?.ownerReferences))).toEqual([uid]);
    const evaluations = await core.readNamespacedConfigMap({
      namespace: operator().namespace,
      name: evaluationsConfigMapName('cycled'),
    });
    expect(owners(evaluations.metadata?.ownerReferences)).toBe(uid);
    const versions = JSON.parse((await api('GET', '/v1/job/cycled/versions')).text) as {
      Versions: { Version: number }[];
    };
    expect(versions.Versions.map((v) => v.Version)).toEqual([0]);
    expect(await jobStatus()).toBe('running');
  });
});
