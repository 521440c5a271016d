// GET /v1/jobs keeps which jobs it shows and their order, and updates that order job by job as
// NomadJobs are added, changed and deleted (src/api/routes/jobs.ts): after every such change, for
// every question (namespace, prefix, reverse, paging), the list answered is byte for byte what
// listing and sorting every job afresh gives, and a held blocking query woken by a new NomadJob
// answers with that job in its place. Also: the state's record of NomadJob changes
// (ClusterState.nomadJobsChangedSince) names each changed job once, and gives up past its bound.
import { describe, expect, it } from 'vitest';
import { jsonArray, listStub } from '../../../src/api/responses/job.ts';
import type { ApiStore } from '../../../src/api/store.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { jobObjectName } from '../../../src/nomad/ids.ts';
import { LABEL_GROUP, LABEL_JOB } from '../../../src/nomad/keys.ts';
import { serviceJob, type TestApi, testApi } from './support.ts';

/** The list computed afresh: every job of the namespace, by `<namespace>.<ID>`, then prefix and paging. */
function freshList(store: ApiStore, options: { prefix?: string; reverse?: boolean; perPage?: number } = {}) {
  const sign = options.reverse ? -1 : 1;
  const entries = store
    .jobs('default')
    .filter((e) => e.id.startsWith(options.prefix ?? ''))
    .sort((a, b) => (`${a.namespace}.${a.id}` < `${b.namespace}.${b.id}` ? -sign : sign));
  const shown = options.perPage ? entries.slice(0, options.perPage) : entries;
  return JSON.stringify(shown.map((entry) => listStub(store, entry, false)));
}

const questions = [
  { url: '/v1/jobs', options: {} },
  { url: '/v1/jobs?reverse=true', options: { reverse: true } },
  { url: '/v1/jobs?prefix=b', options: { prefix: 'b' } },
  { url: '/v1/jobs?per_page=3', options: { perPage: 3 } },
  { url: '/v1/jobs?per_page=3&reverse=true', options: { perPage: 3, reverse: true } },
];

async function expectFresh(api: TestApi): Promise<void> {
  for (const { url, options } of questions) {
    const response = await api.app.inject({ method: 'GET', url });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.body, url).toBe(freshList(api.store, options));
  }
}

function put(api: TestApi, id: string, extra: Record<string, unknown> = {}): NomadJobObject {
  return api.cluster.put('NomadJob', nomadJobObject(serviceJob(id, extra))) as NomadJobObject;
}

/** A deterministic shuffle, so jobs are created in no particular order. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('the kept order of GET /v1/jobs', () => {
  it('equals a fresh computation after adds, changes and deletes, for every question', async () => {
    const api = await testApi();
    const ids = shuffled(['alpha', 'bravo', 'beta', 'charlie', 'delta', 'echo', 'bx', 'foxtrot']);
    for (const id of ids.slice(0, 4)) put(api, id);
    await expectFresh(api);
    // Added one at a time, each between lists (the kept order is updated, not recomputed).
    for (const id of ids.slice(4)) {
      put(api, id);
      await expectFresh(api);
    }
    // Changed (a new spec: a new entry of the same job), then marked for deletion, then deleted.
    put(api, 'bravo', { Meta: { changed: 'yes' } });
    await expectFresh(api);
    const echo = api.cluster.sources.NomadJob.get('default', 'echo') as NomadJobObject;
    api.cluster.put('NomadJob', { ...echo, metadata: { ...echo.metadata, deletionTimestamp: new Date() } });
    await expectFresh(api);
    api.cluster.sources.NomadJob.remove('default', 'echo', Number(api.cluster.nextRv()));
    api.cluster.sources.NomadJob.remove('default', 'alpha', Number(api.cluster.nextRv()));
    await expectFresh(api);
    // Several changes between two lists, one job changed twice, one deleted and created again.
    put(api, 'golf');
    put(api, 'bravo', { Meta: { changed: 'again' } });
    put(api, 'bravo', { Meta: { changed: 'thrice' } });
    api.cluster.sources.NomadJob.remove('default', 'delta', Number(api.cluster.nextRv()));
    put(api, 'delta');
    put(api, 'alpha');
    await expectFresh(api);
    // A pod of a job changes no order.
    api.cluster.put('Pod', {
      metadata: { name: 'p', namespace: 'default', labels: { [LABEL_JOB]: 'golf' } },
    });
    await expectFresh(api);
    // More changes at once than are patched: computed afresh.
    for (let i = 0; i < 80; i++) put(api, `many-${String(i).padStart(2, '0')}`);
    await expectFresh(api);
  });

  it("answers each job's current stub after changes of some jobs' pods, relabelled pods and children", async () => {
    const api = await testApi();
    for (const id of ['a', 'b', 'c', 'd']) put(api, id);
    put(api, 'nightly', { Type: 'batch', Periodic: { Enabled: true, Spec: '0 3 * * *', SpecType: 'cron' } });
    await expectFresh(api);
    const pod = (name: string, job: string, phase: string) =>
      api.cluster.put('Pod', {
        metadata: {
          name,
          namespace: 'default',
          uid: `uid-${name}`,
          labels: { [LABEL_JOB]: job, [LABEL_GROUP]: 'web' },
        },
        status: { phase },
      });
    const before = (await api.app.inject({ method: 'GET', url: '/v1/jobs' })).body;
    pod('b-1', 'b', 'Running');
    await expectFresh(api);
    const after = (await api.app.inject({ method: 'GET', url: '/v1/jobs' })).body;
    expect(after).not.toBe(before);
    // A pod relabelled from one job to another changes both.
    pod('b-1', 'c', 'Running');
    await expectFresh(api);
    pod('b-1', 'c', 'Failed');
    pod('d-1', 'd', 'Pending');
    await expectFresh(api);
    // A periodic job's run counts in its parent's stub: a change of the run changes the parent's.
    put(api, 'nightly/periodic-1700000000', {
      Type: 'batch',
      ParentID: 'nightly',
    });
    await expectFresh(api);
    pod('run-1', jobObjectName('nightly/periodic-1700000000'), 'Running');
    await expectFresh(api);
  });

  it('wakes a held blocking query with the new job in its place', async () => {
    const api = await testApi();
    for (const id of ['a', 'c', 'e']) put(api, id);
    const first = await api.app.inject({ method: 'GET', url: '/v1/jobs' });
    const index = Number(first.headers['x-nomad-index']);
    const held = api.app.inject({ method: 'GET', url: `/v1/jobs?index=${index}&wait=30s` });
    await new Promise((resolve) => setImmediate(resolve));
    put(api, 'd');
    const answer = await held;
    expect(Number(answer.headers['x-nomad-index'])).toBeGreaterThan(index);
    expect(answer.body).toBe(freshList(api.store));
    expect((JSON.parse(answer.body) as Array<{ ID: string }>).map((j) => j.ID)).toEqual(['a', 'c', 'd', 'e']);
  });
});

describe('ClusterState.nomadJobsChangedSince', () => {
  it('names each NomadJob changed after a sequence number once, and nothing of other kinds', async () => {
    const api = await testApi();
    const state = api.store.state;
    put(api, 'one');
    const at = state.sequence();
    put(api, 'two');
    put(api, 'one', { Meta: { x: '1' } });
    api.cluster.put('Pod', { metadata: { name: 'p', namespace: 'default' } });
    put(api, 'two', { Meta: { x: '2' } });
    expect([...(state.nomadJobsChangedSince(at) ?? [])].sort()).toEqual(['default/one', 'default/two']);
    expect([...(state.nomadJobsChangedSince(state.sequence()) ?? ['unknown'])]).toEqual([]);
  });

  it('jobsChangedSince also names the jobs of labelled objects that changed', async () => {
    const api = await testApi();
    const state = api.store.state;
    put(api, 'one');
    put(api, 'two');
    const at = state.sequence();
    api.cluster.put('Pod', {
      metadata: { name: 'p', namespace: 'default', labels: { [LABEL_JOB]: 'two' } },
    });
    api.cluster.put('Pod', { metadata: { name: 'q', namespace: 'default' } });
    expect([...(state.jobsChangedSince(at) ?? [])]).toEqual(['default/two']);
  });

  it('gives up for a sequence number older than the changes it remembers', async () => {
    const api = await testApi();
    const state = api.store.state;
    const at = state.sequence();
    for (let i = 0; i < 600; i++) put(api, `job-${i}`);
    expect(state.nomadJobsChangedSince(at)).toBeUndefined();
    const recent = state.sequence();
    put(api, 'last');
    expect([...(state.nomadJobsChangedSince(recent) ?? [])]).toEqual(['default/last']);
  });
});

describe('jsonArray', () => {
  it('joins JSON values into the array JSON.stringify writes, multi-byte text included', () => {
    const values = [{ ID: 'web' }, 'säge ✓', 42, [], { Meta: { owner: '日本' } }, null];
    for (let n = 0; n <= values.length; n++) {
      const items = values.slice(0, n).map((v) => Buffer.from(JSON.stringify(v)));
      const joined = jsonArray(items);
      expect(joined.toString('utf8')).toBe(JSON.stringify(values.slice(0, n)));
      expect(joined.length).toBe(Buffer.byteLength(JSON.stringify(values.slice(0, n))));
    }
  });
});
