// Two registers of one job in a row, on the real apiserver with the real controller running
// in-process: the API's writer holds the older register's revision (its version, with the version's
// JobModifyIndex) until the newer register has decided to wait for it. Each register answers its own
// JobModifyIndex, as Nomad does; each version's revision records the index of the write that made its
// spec, the job's CreateIndex carried from version to version; the job shows the newer index,
// EnforceIndex takes only that one, and the reconciler's status ends with it.
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_FIELD_MANAGER, type ApiServer, startApiServer } from '../../../src/api/server.ts';
import { Controller } from '../../../src/controller/controller.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import { createLogger } from '../../../src/log.ts';
import { createMetrics } from '../../../src/metrics.ts';
import {
  ANNOTATION_CREATE_INDEX,
  ANNOTATION_JOB_MODIFY_INDEX,
  LABEL_JOB,
  LABEL_VERSION,
} from '../../../src/nomad/keys.ts';
import { holdingWriter } from '../../support/holding-writer.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const apps = kc.makeApiClient(AppsV1Api);
const holding = holdingWriter(makeKubeWriter(operatorConfig(kc), { fieldManager: API_FIELD_MANAGER }));

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

function job(id: string, meta: Record<string, string>) {
  return {
    ID: id,
    Datacenters: ['*'],
    Meta: meta,
    TaskGroups: [
      {
        Name: 'app',
        Count: 1,
        Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'registry.example/app:1' } }],
      },
    ],
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

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'register-race');
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
    writer: holding.writer,
  });
});

afterAll(async () => {
  await server?.close();
  await controller?.stop();
  await ns?.remove();
});

describe('two registers of one job', () => {
  it("in a row, the older one's revision landing last: each answers its own index, the newer one's stays", async () => {
    const first = await api('PUT', '/v1/jobs', { Job: job('raced', { v: '0' }) });
    expect(first.status, first.text).toBe(200);
    const firstIndex = (JSON.parse(first.text) as { JobModifyIndex: number }).JobModifyIndex;

    const hold = holding.holdNextCreate('ControllerRevision');
    const older = api('PUT', '/v1/jobs', { Job: job('raced', { v: '1' }) });
    await hold.arrived;
    // The newer register finds version 1 being recorded and waits for it: the held revision goes then.
    const state = server.store.state;
    const waitUntil = state.waitUntil.bind(state);
    state.waitUntil = (predicate, timeoutMs) => {
      hold.release();
      state.waitUntil = waitUntil;
      return waitUntil(predicate, timeoutMs);
    };
    const newer = await api('PUT', '/v1/jobs', { Job: job('raced', { v: '2' }) });
    expect(newer.status, newer.text).toBe(200);
    const newerIndex = (JSON.parse(newer.text) as { JobModifyIndex: number }).JobModifyIndex;
    const olderReply = await older;
    expect(olderReply.status, olderReply.text).toBe(200);
    const olderIndex = (JSON.parse(olderReply.text) as { JobModifyIndex: number }).JobModifyIndex;

    expect(olderIndex).toBeGreaterThan(firstIndex);
    expect(newerIndex).toBeGreaterThan(olderIndex);
    // The revisions as the apiserver holds them: each version's index, the creation's carried along.
    const revisions = await apps.listNamespacedControllerRevision({
      namespace: ns.name,
      labelSelector: `${LABEL_JOB}=raced`,
    });
    const indexes = revisions.items
      .map((r) => [
        Number(r.metadata?.labels?.[LABEL_VERSION]),
        Number(r.metadata?.annotations?.[ANNOTATION_JOB_MODIFY_INDEX]),
        Number(r.metadata?.annotations?.[ANNOTATION_CREATE_INDEX]),
      ])
      .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    expect(indexes).toEqual([
      [0, firstIndex, firstIndex],
      [1, olderIndex, firstIndex],
      [2, newerIndex, firstIndex],
    ]);

    const read = JSON.parse((await api('GET', '/v1/job/raced')).text) as {
      Version: number;
      JobModifyIndex: number;
      CreateIndex: number;
    };
    expect(read).toMatchObject({ Version: 2, JobModifyIndex: newerIndex, CreateIndex: firstIndex });
    // EnforceIndex takes the newer index only.
    const stale = await api('PUT', '/v1/jobs', {
      Job: job('raced', { v: '3' }),
      EnforceIndex: true,
      JobModifyIndex: olderIndex,
    });
    expect(stale.status).toBe(500);

    const reconciled = await waitFor('the reconciler at the newer generation', async () => {
      const object = await nomadJob('raced');
      return object.status?.observedGeneration === object.metadata?.generation && object.status?.version === 2
        ? object
        : undefined;
    });
    await waitFor(`status.jobModifyIndex ${newerIndex}`, async () =>
      (await nomadJob('raced')).status?.jobModifyIndex === newerIndex ? true : undefined,
    );
    expect(reconciled.status?.version).toBe(2);
  });
});
