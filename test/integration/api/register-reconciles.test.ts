// Every job the Nomad API accepts reconciles, on the real apiserver with the real controller running
// in-process: the API records a new version's ControllerRevision at register time and the reconciler,
// whose cache may not have seen it yet, records the same version too — with byte-identical data, so no
// reconcile fails with 422 "field is immutable" (the controller's log is captured and checked). A job
// ID holding a lone UTF-16 surrogate is the ID with U+FFFD, as Nomad decodes it, and runs like any
// other.
import { AppsV1Api, CustomObjectsApi, type V1ControllerRevision } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../src/api/server.ts';
import { Controller } from '../../../src/controller/controller.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { storedVersionOf } from '../../../src/jobs/versions.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { createLogger } from '../../../src/log.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { jobObjectName } from '../../../src/nomad/ids.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const apps = kc.makeApiClient(AppsV1Api);

let ns: { name: string; remove: () => Promise<void> };
let controller: Controller;
let server: ApiServer;
/** Every line the controller logged at warn level or above. */
const logged: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(server.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, text: await res.text() };
}

function job(id: string, extra: Record<string, unknown> = {}) {
  return {
    ID: id,
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: 'app',
        Count: 1,
        Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'registry.example/app:1' } }],
      },
    ],
    ...extra,
  };
}

async function nomadJob(name: string): Promise<NomadJobObject> {
  return (await custom.getNamespacedCustomObject({
    group,
    version,
    plural,
    namespace: ns.name,
    name,
  })) as NomadJobObject;
}

/**
 * Waits until the reconciler has recorded `version` in the job's status; returns the object. When it
 * does not, the error carries the object's generation and status and what the operator logged, so
 * that a failure says why.
 */
async function reconciledAt(name: string, expected: number): Promise<NomadJobObject> {
  let last: NomadJobObject | undefined;
  try {
    return await waitFor(`${name} reconciled at version ${expected}`, async () => {
      const object = await nomadJob(name);
      last = object;
      return object.status?.version === expected &&
        object.status.observedGeneration === object.metadata?.generation
        ? object
        : undefined;
    });
  } catch (error) {
    const seen = JSON.stringify({ generation: last?.metadata?.generation, status: last?.status });
    throw new Error(`${(error as Error).message}\nlast seen: ${seen}\noperator log:\n${logged.join('')}`);
  }
}

async function revisions(name: string): Promise<V1ControllerRevision[]> {
  return (
    await apps.listNamespacedControllerRevision({ namespace: ns.name, labelSelector: `${LABEL_JOB}=${name}` })
  ).items;
}

/** The registry the API's writer counts in (run.ts gives it the process's, served on /metrics). */
const apiMetrics = createMetrics();

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'register-reconciles');
  await ensureNomadJobCrd(operatorConfig(kc));
  controller = new Controller({
    kubeConfig: operatorConfig(kc),
    metrics: createMetrics(),
    logger: createLogger({ level: 'warn', destination: { write: (line: string) => void logged.push(line) } }),
    namespace: ns.name,
    workers: 4,
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
    metrics: apiMetrics,
  });
});

afterAll(async () => {
  await server?.close();
  await controller?.stop();
  await ns?.remove();
});

describe('jobs registered through the API', () => {
  it('reconcile without a single failed reconcile, version after version (register, scale, revert)', async () => {
    const ids = ['plain-a', 'plain-b', 'plain-c'];
    for (const id of ids) {
      const reg = await api('PUT', '/v1/jobs', { Job: job(id) });
      expect(reg.status, reg.text).toBe(200);
    }
    for (const id of ids) await reconciledAt(id, 0);
    expect(await apiMetrics.writes({ verb: 'create', kind: 'NomadJob' })).toBe(ids.length);
    // A new version by register and one by scale.
    const second = await api('PUT', '/v1/jobs', { Job: job('plain-a', { Meta: { release: '2' } }) });
    expect(second.status, second.text).toBe(200);
    await reconciledAt('plain-a', 1);
    const scale = await api('PUT', '/v1/job/plain-a/scale', { Count: 2, Target: { Group: 'app' } });
    expect(scale.status, scale.text).toBe(200);
    const scaled = await reconciledAt('plain-a', 2);

    // The submit time the API answers is the one the revision holds and status shows.
    const read = JSON.parse((await api('GET', '/v1/job/plain-a')).text) as {
      SubmitTime: number;
      Version: number;
    };
    expect(read.Version).toBe(2);
    const stored = (await revisions('plain-a')).map(storedVersionOf).find((v) => v?.version === 2);
    expect(stored?.submitTime).toBe(scaled.status?.submitTime);
    expect(read.SubmitTime).toBe(Number(stored?.submitTime));

    // A revert is a new version too, recorded alike by both.
    const revert = await api('PUT', '/v1/job/plain-a/revert', { JobID: 'plain-a', JobVersion: 0 });
    expect(revert.status, revert.text).toBe(200);
    const reverted = await reconciledAt('plain-a', 3);
    const v3 = (await revisions('plain-a')).map(storedVersionOf).find((v) => v?.version === 3);
    expect(v3?.submitTime).toBe(reverted.status?.submitTime);
    expect(Number(v3?.submitTime)).toBeGreaterThan(Number(stored?.submitTime));

    expect(logged.filter((l) => /422|immutable/.test(l))).toEqual([]);
    expect(logged.filter((l) => /"level":"error"/.test(l))).toEqual([]);
  });

  it('a lone surrogate in the ID: the job is the ID with U+FFFD, and it reconciles', async () => {
    const body = JSON.stringify({ Job: job('sur\ud800') });
    expect(body).toContain(String.raw`"sur\ud800"`);
    const res = await fetch(`${server.url}/v1/jobs`, { method: 'PUT', body });
    expect(res.status, await res.text()).toBe(200);
    const name = jobObjectName('sur\ufffd');
    const object = await reconciledAt(name, 0);
    expect(object.metadata?.annotations?.['nomadoperator.dev/job-id']).toBe('sur\ufffd');
    expect(object.status?.conditions?.length).toBeGreaterThan(0);
    await waitFor('its Deployment', async () =>
      (await apps.listNamespacedDeployment({ namespace: ns.name, labelSelector: `${LABEL_JOB}=${name}` }))
        .items.length === 1
        ? true
        : undefined,
    );
    const read = await api('GET', `/v1/job/${encodeURIComponent('sur\ufffd')}`);
    expect(read.status, read.text).toBe(200);
    expect(JSON.parse(read.text)).toMatchObject({ ID: 'sur\ufffd', Version: 0 });
    expect(logged.filter((l) => /422|immutable|"level":"error"/.test(l))).toEqual([]);
  });
});
