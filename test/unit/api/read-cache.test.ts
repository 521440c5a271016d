// The answers the Nomad API keeps per job (GET /v1/jobs, GET /v1/job/:id, its summary) are never
// stale: after every kind of change of an object a job's answers are computed from (its pods,
// Deployments, versions, the NomadJob itself, a relabelled pod, a child job's pods), each answer
// served is byte for byte what computing it afresh gives, and a held blocking query woken by the
// change answers with the new state. Kept answers are reused while nothing of their job changes, and
// their gzip is the same bytes.

import { gunzipSync } from 'node:zlib';
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobResponse, jobResponseJson, listStub, summaryResponse } from '../../../src/api/responses/job.ts';
import type { ApiStore } from '../../../src/api/store.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { ANNOTATION_STABLE, LABEL_JOB } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import { translate } from '../../../src/translate/index.ts';
import { serviceJob, type TestApi, testApi } from './support.ts';

/** A one-allocation service job. */
function oneJob(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const job = serviceJob(id, extra);
  const groups = job.TaskGroups as Array<Record<string, unknown>>;
  return { ...job, TaskGroups: groups.map((group) => ({ ...group, Count: 1 })) };
}

/** The Deployment the translator makes of a job, and a pod of it in `phase` (as kwok shows one). */
function workloadOf(job: Record<string, unknown>): V1Deployment {
  const parsed = parseJobJson(job);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const { objects } = translate(canonicalize(parsed.job as Job), { namespace: 'default' });
  const deployment = objects.find((o: KubernetesObject) => o.kind === 'Deployment') as V1Deployment;
  if (!deployment) throw new Error('no Deployment');
  return deployment;
}

function podOf(deployment: V1Deployment, name: string, phase: 'Pending' | 'Running' | 'Failed'): V1Pod {
  const template = deployment.spec?.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template?.metadata, name, namespace: 'default' },
    spec: {
      containers: template?.spec?.containers ?? [],
      ...(phase === 'Pending' ? {} : { nodeName: 'kwok-0' }),
    },
    status: { phase },
  };
}

async function get(api: TestApi, url: string) {
  const response = await api.app.inject({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response;
}

/** What GET /v1/jobs answers, computed afresh (no kept answer). */
function freshList(store: ApiStore, namespace = 'default'): string {
  const entries = store
    .jobs(namespace)
    .sort((a, b) => (`${a.namespace}.${a.id}` < `${b.namespace}.${b.id}` ? -1 : 1));
  return JSON.stringify(entries.map((entry) => listStub(store, entry, false)));
}

function entryOf(store: ApiStore, id: string) {
  const entry = store.findJob('default', id);
  if (!entry) throw new Error(`no job ${id}`);
  return entry;
}

/** Every read answer of job `id` is what computing it afresh gives; returns the list's body. */
async function expectCurrent(api: TestApi, id: string): Promise<string> {
  const list = (await get(api, '/v1/jobs')).body;
  expect(list).toBe(freshList(api.store));
  const entry = entryOf(api.store, id);
  const job = await get(api, `/v1/job/${id}`);
  expect(job.body).toBe(JSON.stringify(jobResponse(api.store, entry)));
  // Kept answers are sent as bytes, others as text: the same headers.
  const versions = await get(api, `/v1/job/${id}/versions`);
  expect(job.headers['content-type']).toBe(versions.headers['content-type']);
  expect(job.headers['content-length']).toBe(String(Buffer.byteLength(job.body)));
  expect((await get(api, `/v1/job/${id}/summary`)).body).toBe(
    JSON.stringify(summaryResponse(api.store, entry)),
  );
  return list;
}

function summaryOf(list: string, id: string) {
  const stub = (
    JSON.parse(list) as Array<{ ID: string; Status: string; JobSummary: { Summary: unknown } }>
  ).find((j) => j.ID === id);
  return { status: stub?.Status, summary: stub?.JobSummary.Summary };
}

async function register(api: TestApi, job: Record<string, unknown>): Promise<void> {
  const response = await api.app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: job } });
  expect(response.statusCode, response.body).toBe(200);
}

describe('kept read answers', () => {
  it('follow every change of the objects a job is computed from', async () => {
    const api = await testApi();
    const { cluster } = api;
    await register(api, oneJob('web'));
    await register(api, oneJob('other'));
    const deployment = workloadOf(oneJob('web'));
    let list = await expectCurrent(api, 'web');
    // Each change gives answers other than the previous ones (a kept answer would be the same).
    const changed = async (what: string) => {
      const next = await expectCurrent(api, 'web');
      expect(next, what).not.toBe(list);
      return next;
    };

    // A pod is placed, starts running, fails.
    const pending = cluster.put('Pod', podOf(deployment, 'web-a', 'Pending'));
    list = await changed('pod added');
    expect(summaryOf(list, 'web').summary).toMatchObject({ web: { Queued: 1, Running: 0 } });
    const running = cluster.put('Pod', {
      ...podOf(deployment, 'web-a', 'Running'),
      metadata: { ...pending.metadata },
    });
    list = await changed('pod running');
    expect(summaryOf(list, 'web')).toMatchObject({ status: 'running', summary: { web: { Running: 1 } } });
    cluster.put('Pod', { ...podOf(deployment, 'web-a', 'Failed'), metadata: { ...running.metadata } });
    list = await changed('pod failed');
    expect(summaryOf(list, 'web').summary).toMatchObject({ web: { Failed: 1, Running: 0 } });

    // A second pod, then relabelled away from the job: it no longer counts.
    const second = cluster.put('Pod', podOf(deployment, 'web-b', 'Running'));
    list = await changed('second pod');
    expect(summaryOf(list, 'web').summary).toMatchObject({ web: { Running: 1 } });
    cluster.put('Pod', {
      ...second,
      metadata: { ...second.metadata, labels: { ...second.metadata?.labels, [LABEL_JOB]: 'elsewhere' } },
    });
    list = await changed('pod relabelled away');
    expect(summaryOf(list, 'web').summary).toMatchObject({ web: { Running: 0 } });

    // The pod goes.
    cluster.sources.Pod.remove('default', 'web-a', Number(cluster.nextRv()));
    list = await changed('pod deleted');
    expect(summaryOf(list, 'web').summary).toMatchObject({ web: { Failed: 0 } });

    // A Deployment of the job appears (the status rules read it).
    cluster.put('Deployment', { ...deployment, metadata: { ...deployment.metadata, namespace: 'default' } });
    await expectCurrent(api, 'web');

    // The NomadJob itself: an annotation, then a new spec recorded as version 1.
    await api.app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: oneJob('web', { Priority: 70 }) },
    });
    list = await changed('new version');
    const job = JSON.parse((await get(api, '/v1/job/web')).body) as { Version: number; Priority: number };
    expect(job).toMatchObject({ Version: 1, Priority: 70 });

    // The version is marked stable on its revision alone (the NomadJob does not change).
    const revision = cluster.sources.ControllerRevision.list('default').find(
      (r) => r.metadata?.labels?.[LABEL_JOB] === 'web' && r.metadata?.name?.endsWith('v1'),
    );
    expect(revision).toBeDefined();
    cluster.put('ControllerRevision', {
      ...revision,
      metadata: {
        ...revision?.metadata,
        annotations: { ...revision?.metadata?.annotations, [ANNOTATION_STABLE]: 'true' },
      },
    } as KubernetesObject);
    await expectCurrent(api, 'web');
    expect(JSON.parse((await get(api, '/v1/job/web')).body)).toMatchObject({ Version: 1, Stable: true });

    // Deleted (its revisions with it, as the garbage collector does) and created again under the
    // same name: the new job's answers, not the old one's.
    for (const r of cluster.sources.ControllerRevision.list('default'))
      if (r.metadata?.labels?.[LABEL_JOB] === 'web')
        cluster.sources.ControllerRevision.remove(
          'default',
          r.metadata?.name ?? '',
          Number(cluster.nextRv()),
        );
    cluster.sources.NomadJob.remove('default', 'web', Number(cluster.nextRv()));
    expect((await api.app.inject({ method: 'GET', url: '/v1/job/web' })).statusCode).toBe(404);
    expect(await get(api, '/v1/jobs').then((r) => r.body)).toBe(freshList(api.store));
    await register(api, oneJob('web', { Priority: 20 }));
    await expectCurrent(api, 'web');
    expect(JSON.parse((await get(api, '/v1/job/web')).body)).toMatchObject({ Version: 0, Priority: 20 });
  });

  it('are reused while nothing of their job changes, and only then', async () => {
    const api = await testApi();
    await register(api, oneJob('web'));
    await register(api, oneJob('other'));
    const kept = jobResponseJson(api.store, entryOf(api.store, 'web'));
    expect(jobResponseJson(api.store, entryOf(api.store, 'web'))).toBe(kept);
    // Another job's pod: this job's answer stays.
    api.cluster.put('Pod', podOf(workloadOf(oneJob('other')), 'other-a', 'Running'));
    expect(jobResponseJson(api.store, entryOf(api.store, 'web'))).toBe(kept);
    // Its own pod: computed again.
    api.cluster.put('Pod', podOf(workloadOf(oneJob('web')), 'web-a', 'Running'));
    const after = jobResponseJson(api.store, entryOf(api.store, 'web'));
    expect(after).not.toBe(kept);
    expect(after.toString()).toBe(JSON.stringify(jobResponse(api.store, entryOf(api.store, 'web'))));
  });

  it("of a parent job follow its children's pods", async () => {
    const api = await testApi();
    const { cluster } = api;
    const parent = oneJob('batch', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } });
    await register(api, parent);
    const child = {
      ...oneJob('batch/dispatch-1', { Type: 'batch' }),
      ParentID: 'batch',
      Dispatched: true,
    };
    const childObject = cluster.put('NomadJob', nomadJobObject(child)) as NomadJobObject;
    cluster.recordVersion(childObject);
    const childName = childObject.metadata?.name ?? '';
    const before = await expectCurrent(api, 'batch');
    // The child's pod runs: the parent's summary counts a running child.
    const workload = workloadOf(oneJob('batch-child'));
    const pod = podOf(workload, 'child-a', 'Running');
    cluster.put('Pod', {
      ...pod,
      metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, [LABEL_JOB]: childName } },
    });
    const after = await expectCurrent(api, 'batch');
    expect(after).not.toBe(before);
    const summary = JSON.parse((await get(api, '/v1/job/batch/summary')).body) as { Children: unknown };
    expect(summary.Children).toEqual({ Pending: 0, Running: 1, Dead: 0 });
  });

  it('answer a held blocking query with the state after the change that woke it', async () => {
    const api = await testApi();
    await register(api, oneJob('web'));
    const first = await get(api, '/v1/jobs');
    const index = Number(first.headers['x-nomad-index']);
    const held = [1, 2].map(() => api.app.inject({ method: 'GET', url: `/v1/jobs?index=${index}&wait=30s` }));
    await new Promise((resolve) => setImmediate(resolve));
    api.cluster.put('Pod', podOf(workloadOf(oneJob('web')), 'web-a', 'Running'));
    const answers = await Promise.all(held);
    for (const answer of answers) {
      expect(Number(answer.headers['x-nomad-index'])).toBeGreaterThan(index);
      expect(answer.body).toBe(freshList(api.store));
      expect(summaryOf(answer.body, 'web')).toMatchObject({
        status: 'running',
        summary: { web: { Running: 1 } },
      });
    }
  });

  it('are sent gzipped as the same bytes, and a change gives the new ones gzipped too', async () => {
    const api = await testApi();
    await register(api, oneJob('web'));
    const gzipped = async (url: string) => {
      const response = await api.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
      expect(response.headers['content-encoding']).toBe('gzip');
      return gunzipSync(response.rawPayload).toString();
    };
    for (let round = 0; round < 2; round++) {
      for (const url of ['/v1/jobs', '/v1/job/web', '/v1/job/web/summary']) {
        const plain = (await get(api, url)).body;
        expect(await gzipped(url)).toBe(plain);
        expect(await gzipped(url)).toBe(plain);
      }
      api.cluster.put('Pod', podOf(workloadOf(oneJob('web')), 'web-a', 'Running'));
    }
    expect(summaryOf(await gzipped('/v1/jobs'), 'web').status).toBe('running');
  });

  it('list the jobs there are now, in order, with prefix, paging and reverse, as jobs come and go', async () => {
    const api = await testApi();
    const ids = async (url: string) => {
      const response = await get(api, url);
      return {
        ids: (JSON.parse(response.body) as Array<{ ID: string }>).map((j) => j.ID),
        next: response.headers['x-nomad-nexttoken'],
      };
    };
    await register(api, oneJob('wb'));
    await register(api, oneJob('x'));
    expect(await ids('/v1/jobs?prefix=w&reverse=true')).toEqual({ ids: ['wb'], next: undefined });
    // A pod changes (the list's jobs do not), then a job is added, then one goes.
    api.cluster.put('Pod', podOf(workloadOf(oneJob('wb')), 'wb-a', 'Running'));
    expect(await ids('/v1/jobs?prefix=w&reverse=true')).toEqual({ ids: ['wb'], next: undefined });
    await register(api, oneJob('wa'));
    await register(api, oneJob('wc'));
    expect(await ids('/v1/jobs?prefix=w&reverse=true')).toEqual({ ids: ['wc', 'wb', 'wa'], next: undefined });
    expect(await ids('/v1/jobs?prefix=w&per_page=2')).toEqual({ ids: ['wa', 'wb'], next: 'default.wc' });
    expect(await ids('/v1/jobs?prefix=w&per_page=2&next_token=default.wc')).toEqual({
      ids: ['wc'],
      next: undefined,
    });
    api.cluster.sources.NomadJob.remove('default', 'wb', Number(api.cluster.nextRv()));
    expect(await ids('/v1/jobs?prefix=w&reverse=true')).toEqual({ ids: ['wc', 'wa'], next: undefined });
    expect((await get(api, '/v1/jobs')).body).toBe(freshList(api.store));
  });

  it('are computed in the background after changes, before any request asks', async () => {
    const api = await testApi();
    for (const id of ['a', 'b', 'c']) await register(api, oneJob(id));
    api.cluster.put('Pod', podOf(workloadOf(oneJob('b')), 'b-1', 'Running'));
    // The warmer's turn comes 100 ms after the last change; timers fire in the order they are due.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const id of ['a', 'b', 'c']) {
      const entry = entryOf(api.store, id);
      // Asked with a computation that finds nothing: only what the warmer kept is there.
      const stub = api.store.answer<Buffer | undefined>(entry, 'stub.json', () => undefined);
      expect(stub?.toString(), id).toBe(JSON.stringify(listStub(api.store, entry, false)));
      const job = api.store.answer<Buffer | undefined>(entry, 'job.json', () => undefined);
      expect(job?.toString(), id).toBe(JSON.stringify(jobResponse(api.store, entry)));
    }
    await api.app.close();
  });
});
