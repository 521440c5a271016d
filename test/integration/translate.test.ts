// Translated objects are real Kubernetes objects: the apiserver accepts every one generated from
// the corpus (server-side dry-run apply), and the API documentation's cache/redis sample, applied
// as generated, runs on kwok with the env, ports and resources Nomad would give it.
import { readdirSync, readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApplier } from '../../src/kube/apply.ts';
import { canonicalize } from '../../src/nomad/canonicalize.ts';
import type { Job } from '../../src/nomad/schema.ts';
import { parseJobJson } from '../../src/nomad/validate.ts';
import { translate } from '../../src/translate/index.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const applier = makeApplier(operatorConfig(kc), 'nomad-operator-tests');

const corpusDir = new URL('../fixtures/jobspecs/', import.meta.url);
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.canonical.json'))
  .sort()
  .map((file) => ({ file, job: modelJob(JSON.parse(readFileSync(new URL(file, corpusDir), 'utf8'))) }));

/** What the product does with job JSON from any door: parse with the model, then canonicalize. */
function modelJob(json: unknown): Job {
  const parsed = parseJobJson(json);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return canonicalize(parsed.job);
}

let namespace: string;
let removeNamespace: () => Promise<void>;
beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'translate'));
});
afterAll(async () => removeNamespace());

describe('translated objects on the apiserver', () => {
  it('pass server-side validation (dry-run apply) for every corpus job', async () => {
    const rejected: string[] = [];
    let applied = 0;
    for (const { file, job } of corpus) {
      const { objects } = translate(job, { namespace });
      for (const object of objects) {
        try {
          await applier.apply(object, { dryRun: true });
          applied++;
        } catch (error) {
          const body = (error as { body?: unknown }).body;
          rejected.push(
            `${file}: ${object.kind}/${object.metadata?.name}: ${typeof body === 'string' ? body : String(error)}`,
          );
        }
      }
    }
    expect(rejected).toEqual([]);
    expect(applied).toBeGreaterThan(corpus.length);
  });

  it('runs the API doc’s cache/redis sample as generated: env, ports, resources, Service', async () => {
    // The sample asks for datacenter dc1, which pins nothing without a datacenter label: it runs on the
    // cluster's nodes as they are (no extra node labels).
    const sample = JSON.parse(
      readFileSync(new URL('../fixtures/api-samples/create-job.payload.json', import.meta.url), 'utf8'),
    ) as { Job: unknown };
    const job = modelJob(sample.Job);
    const { objects } = translate(job, { namespace });
    for (const object of objects) await applier.apply(object);

    const pod = await waitFor<V1Pod>('a ready redis pod', async () => {
      const pods = await core.listNamespacedPod({ namespace });
      return pods.items.find(
        (p) =>
          p.status?.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    });
    expect(pod.spec?.nodeSelector).toBeUndefined();
    expect(pod.spec?.nodeName).toBeTruthy();
    const redis = pod.spec?.containers.find((c) => c.name === 'redis');
    expect(redis?.image).toBe('redis:7');
    expect(redis?.ports).toEqual([expect.objectContaining({ name: 'db', containerPort: 6379 })]);
    expect(redis?.resources?.requests).toMatchObject({ cpu: '100m', memory: '300Mi' });
    const env = Object.fromEntries((redis?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      NOMAD_JOB_ID: 'cache',
      NOMAD_JOB_NAME: 'cache',
      NOMAD_GROUP_NAME: 'cache',
      NOMAD_TASK_NAME: 'redis',
      NOMAD_NAMESPACE: 'default',
      NOMAD_REGION: 'global',
      NOMAD_PORT_db: '6379',
    });
    expect(env.NOMAD_ALLOC_ID).toEqual({ fieldRef: expect.objectContaining({ fieldPath: 'metadata.uid' }) });

    const deployments = await apps.listNamespacedDeployment({ namespace });
    expect(deployments.items.map((d) => d.spec?.replicas)).toEqual([1]);
    const services = await core.listNamespacedService({ namespace });
    // The Service carries the Nomad service name, so consumers find it by the name they looked up in Nomad.
    const service = services.items.find((s) => s.metadata?.name === 'redis-cache');
    expect(service?.spec?.ports).toEqual([
      expect.objectContaining({ name: 'db', port: 6379, targetPort: 'db', protocol: 'TCP' }),
      expect.objectContaining({ name: 'db-udp', port: 6379, targetPort: 6379, protocol: 'UDP' }),
    ]);
    // It selects the pods that register the service (every label of its selector is on the pod).
    expect(service?.spec?.selector).toBeDefined();
    expect(pod.metadata?.labels).toMatchObject(service?.spec?.selector ?? {});
  });
});
