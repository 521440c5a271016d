// The API keeps every job's read answers computed (src/api/warm.ts): a moment after changes, the
// answers of the jobs they concern are computed again in the background, and only theirs (and the
// parent's of a child job that changed), not every job's.
import { describe, expect, it, vi } from 'vitest';
import { ApiStore, type JobEntry } from '../../../src/api/store.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { jobObjectName } from '../../../src/nomad/ids.ts';
import { LABEL_GROUP, LABEL_JOB } from '../../../src/nomad/keys.ts';
import { serviceJob, type TestApi, testApi } from './support.ts';

/** Waits until the warmer has computed the job's answers (it starts 100 ms after a change). */
async function warmed(api: TestApi, ...ids: string[]): Promise<void> {
  await vi.waitFor(
    () => {
      for (const id of ids) expect(isWarm(api, id), id).toBe(true);
    },
    { timeout: 10_000, interval: 20 },
  );
}

function put(api: TestApi, id: string, extra: Record<string, unknown> = {}): void {
  api.cluster.put('NomadJob', nomadJobObject(serviceJob(id, extra)));
}

/** The IDs of the jobs whose answers the store is asked for from now on. */
function askedFor(api: TestApi): Set<string> {
  const asked = new Set<string>();
  const answer = api.store.answer.bind(api.store);
  api.store.answer = <T>(entry: JobEntry, slot: string, compute: () => T): T => {
    asked.add(entry.id);
    return answer(entry, slot, compute);
  };
  return asked;
}

/** Whether the job's list stub is kept and current (computing it now would throw). */
function isWarm(api: TestApi, id: string): boolean {
  const entry = api.store.jobs('*').find((e) => e.id === id);
  if (!entry) return false;
  try {
    // The store's own method, not a test's wrapper of it.
    ApiStore.prototype.answer.call(api.store, entry, 'stub.json', () => {
      throw new Error('cold');
    });
    return true;
  } catch {
    return false;
  }
}

describe('the answers kept warm', () => {
  it("are computed again for the jobs a change concerns, and a child's parent, only", async () => {
    const api = await testApi();
    for (const id of ['a', 'b', 'c']) put(api, id);
    put(api, 'nightly', { Type: 'batch', Periodic: { Enabled: true, Spec: '0 3 * * *', SpecType: 'cron' } });
    put(api, 'weekly', { Type: 'batch', Periodic: { Enabled: true, Spec: '0 4 * * 0', SpecType: 'cron' } });
    await warmed(api, 'a', 'b', 'c', 'nightly', 'weekly');

    const asked = askedFor(api);
    api.cluster.put('Pod', {
      metadata: { name: 'b-1', namespace: 'default', labels: { [LABEL_JOB]: 'b', [LABEL_GROUP]: 'web' } },
      status: { phase: 'Running' },
    });
    expect(isWarm(api, 'b')).toBe(false);
    asked.clear();
    await warmed(api, 'b');
    expect([...asked]).toEqual(['b']);

    // A run of a periodic job: its own answers, and those of the namespace's periodic and
    // parameterized jobs, which count their children (kept per namespace).
    asked.clear();
    put(api, 'nightly/periodic-1700000000', { Type: 'batch', ParentID: 'nightly' });
    api.cluster.put('Pod', {
      metadata: {
        name: 'run-1',
        namespace: 'default',
        labels: { [LABEL_JOB]: jobObjectName('nightly/periodic-1700000000'), [LABEL_GROUP]: 'web' },
      },
      status: { phase: 'Running' },
    });
    await warmed(api, 'nightly', 'weekly', 'nightly/periodic-1700000000');
    expect([...asked].sort()).toEqual(['nightly', 'nightly/periodic-1700000000', 'weekly']);

    // The run purged: the parents' answers again (the run is gone, so whose child it was is not known).
    asked.clear();
    api.cluster.sources.NomadJob.remove(
      'default',
      jobObjectName('nightly/periodic-1700000000'),
      Number(api.cluster.nextRv()),
    );
    expect(isWarm(api, 'nightly')).toBe(false);
    await warmed(api, 'nightly', 'weekly');
    expect([...asked].sort()).toEqual(['nightly', 'weekly']);
    await api.app.close();
  });
});
