// Two registers of one job whose index patches land in the other order, on the real apiserver with the
// real controller running in-process: the API's writer holds the older register's index patch until a
// newer register was answered. The older patch is refused (it is conditioned on the generation its spec
// write made), so the job keeps the newer register's JobModifyIndex, and only the older version's entry
// is added to the version-index map; each register answers its own JobModifyIndex, as Nomad does; the
// reconciler's status ends with the newer index.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_FIELD_MANAGER, type ApiServer, startApiServer } from '../../../src/api/server.ts';
import { Controller } from '../../../src/controller/controller.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import { createLogger } from '../../../src/log.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { ANNOTATION_JOB_MODIFY_INDEX, ANNOTATION_VERSION_INDEXES } from '../../../src/nomad/keys.ts';
import { holdingWriter } from '../../support/holding-writer.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
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
  it('whose index patches land in the other order: the newer indexes stay, each answers its own', async () => {
    const first = await api('PUT', '/v1/jobs', { Job: job('raced', { v: '0' }) });
    expect(first.status, first.text).toBe(200);
    const firstIndex = (JSON.parse(first.text) as { JobModifyIndex: number }).JobModifyIndex;

    const hold = holding.holdNextPatch();
    const older = api('PUT', '/v1/jobs', { Job: job('raced', { v: '1' }) });
    await hold.arrived;
    // The older register's version is in the API's cache before the newer register decides its own.
    await waitFor('version 1 in the API cache', async () => {
      const entry = server.store.findJob('default', 'raced');
      return entry !== undefined && server.store.versions(entry).some((v) => v.version === 1);
    });
    const newer = await api('PUT', '/v1/jobs', { Job: job('raced', { v: '2' }) });
    expect(newer.status, newer.text).toBe(200);
    const newerIndex = (JSON.parse(newer.text) as { JobModifyIndex: number }).JobModifyIndex;
    hold.release();
    const olderReply = await older;
    expect(olderReply.status, olderReply.text).toBe(200);
    const olderIndex = (JSON.parse(olderReply.text) as { JobModifyIndex: number }).JobModifyIndex;

    expect(olderIndex).toBeGreaterThan(firstIndex);
    expect(newerIndex).toBeGreaterThan(olderIndex);
    const stored = await nomadJob('raced');
    expect(stored.metadata?.annotations?.[ANNOTATION_JOB_MODIFY_INDEX]).toBe(
      `${newerIndex}/${stored.metadata?.generation}`,
    );
    expect(JSON.parse(stored.metadata?.annotations?.[ANNOTATION_VERSION_INDEXES] ?? '{}')).toMatchObject({
      '0': firstIndex,
      '1': olderIndex,
      '2': newerIndex,
    });

    const read = JSON.parse((await api('GET', '/v1/job/raced')).text) as {
      Version: number;
      JobModifyIndex: number;
    };
    expect(read).toMatchObject({ Version: 2, JobModifyIndex: newerIndex });
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
    expect(reconciled.metadata?.generation).toBe(stored.metadata?.generation);
  });
});
