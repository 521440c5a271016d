// SIGTERM while 50 blocking queries are held on keep-alive connections: the process answers every
// held query at once with its current state (as when a query's wait ends), closes the connections,
// releases the Lease and exits 0 well within its shutdown bound (--shutdown-timeout, 5 s by
// default), far under a pod's 30 s grace period. The exit time is a figure, not an assertion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestNamespace,
  figure,
  killAllOperators,
  nomad,
  readLease,
  serviceJob,
  startOperator,
  testKubeConfig,
  waitFor,
} from './support/operator.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'sigterm');
});
afterAll(async () => {
  await killAllOperators();
  await ns?.remove();
});

describe('SIGTERM with held blocking queries', () => {
  it('answers the 50 held queries, releases the Lease and exits 0', async () => {
    const operator = await startOperator({ name: 'sigterm', namespace: ns.name });
    const identity = await waitFor('the operator leading', async () => {
      const id = operator.identity();
      return id && (await readLease(kc, ns.name)).spec?.holderIdentity === id ? id : undefined;
    });
    const register = await nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob('held') });
    expect(register.status, register.text).toBe(200);
    await waitFor('the job running', async () => {
      const job = await nomad(operator.apiUrl, 'GET', '/v1/job/held');
      return job.status === 200 && JSON.parse(job.text).Status === 'running';
    });
    // An index that stays put: a blocking query on it ends by its wait, not by a change.
    const index = await waitFor('a settled index', async () => {
      const first = await fetch(`${operator.apiUrl}/v1/jobs`);
      await first.text();
      const before = first.headers.get('x-nomad-index');
      const held = await fetch(`${operator.apiUrl}/v1/jobs?index=${before}&wait=2s`);
      await held.text();
      return held.headers.get('x-nomad-index') === before ? Number(before) : undefined;
    });
    expect(index).toBeGreaterThan(0);

    // 50 blocking queries, each waiting up to 5 minutes for a change that never comes.
    const answers: Array<{ status: number; index: string | null; body: string } | undefined> = [];
    const queries = Array.from({ length: 50 }, async (_, i) => {
      const res = await fetch(`${operator.apiUrl}/v1/jobs?index=${index}&wait=5m`);
      answers[i] = { status: res.status, index: res.headers.get('x-nomad-index'), body: await res.text() };
    });
    // They are held: none answered before the signal.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answers.filter(Boolean)).toHaveLength(0);

    const signalled = performance.now();
    operator.kill('SIGTERM');
    const exit = await operator.exited;
    await Promise.all(queries);
    const exitMs = Math.round(exit.at - signalled);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(answers).toHaveLength(50);
    for (const answer of answers) {
      expect(answer?.status).toBe(200);
      expect(answer?.index).toBe(String(index));
      expect(JSON.parse(answer?.body ?? 'null')).toEqual(
        expect.arrayContaining([expect.objectContaining({ ID: 'held' })]),
      );
    }
    const lease = await readLease(kc, ns.name);
    expect(lease.spec?.holderIdentity).toBe('');
    expect(operator.logs.some((l) => l.msg === 'Released the lease' && l.identity === identity)).toBe(true);
    figure('sigterm-50-blocking-queries', { heldQueries: 50, answered: answers.length, exitCode: 0, exitMs });
  });
});
