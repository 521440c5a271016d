// SIGKILL in the middle of a burst of 200 registers (20 in flight at a time): after a restart,
// every register the killed process acknowledged exists exactly once (one NomadJob, one job
// version); the client then retries every register whose answer it did not get, as a Nomad
// client would, and still every job has exactly one version; the new process reconciles them all.
// Lease timings are short so that the restarted process takes over the dead one's Lease quickly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestNamespace,
  figure,
  killAllOperators,
  listNomadJobs,
  nomad,
  serviceJob,
  startOperator,
  testKubeConfig,
  waitFor,
} from './support/operator.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };
const JOBS = 200;
const IN_FLIGHT = 20;
const KILL_AFTER = 100;
const shortLease = [
  '--leader-election-lease-duration=4s',
  '--leader-election-renew-deadline=3s',
  '--leader-election-retry-period=500ms',
];

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'crash-burst');
});
afterAll(async () => {
  await killAllOperators();
  await ns?.remove();
});

const ids = Array.from({ length: JOBS }, (_, i) => `burst-${String(i).padStart(3, '0')}`);

async function versionsOf(url: string, id: string): Promise<number[]> {
  const answer = await nomad(url, 'GET', `/v1/job/${id}/versions`);
  expect(answer.status, `${id}: ${answer.text}`).toBe(200);
  const body = JSON.parse(answer.text) as { Versions: Array<{ Version: number }> };
  return body.Versions.map((v) => v.Version);
}

describe('SIGKILL mid-burst of registers', () => {
  it('loses no acknowledged register and duplicates none', async () => {
    const first = await startOperator({ name: 'burst-a', namespace: ns.name, args: shortLease });
    const acknowledged = new Set<string>();
    const unanswered: string[] = [];
    let next = 0;
    let killedAt = 0;
    const refusedBeforeKill: string[] = [];
    const sender = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const answer = await nomad(first.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob(id) });
        if (answer.status === 200) acknowledged.add(id);
        else {
          unanswered.push(id);
          if (!killedAt) refusedBeforeKill.push(`${id}: ${answer.status} ${answer.failed ?? answer.text}`);
        }
        if (acknowledged.size >= KILL_AFTER && !killedAt) {
          killedAt = acknowledged.size;
          first.kill('SIGKILL');
        }
      }
    };
    const burstStarted = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
    const burstMs = Math.round(performance.now() - burstStarted);
    expect(refusedBeforeKill).toEqual([]);
    expect(killedAt, 'the process was killed mid-burst').toBeGreaterThan(0);
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(unanswered.length).toBeGreaterThan(0);

    const restarted = performance.now();
    const second = await startOperator({ name: 'burst-b', namespace: ns.name, args: shortLease });
    // Every acknowledged register is there exactly once, with exactly one version.
    const stored = await listNomadJobs(kc, ns.name);
    const storedIds = stored.map(
      (job) => job.metadata?.annotations?.['nomadoperator.dev/job-id'] ?? job.metadata?.name,
    );
    expect(new Set(storedIds).size).toBe(storedIds.length);
    const listed = JSON.parse((await nomad(second.apiUrl, 'GET', '/v1/jobs')).text) as Array<{ ID: string }>;
    const listedIds = listed.map((job) => job.ID);
    expect(new Set(listedIds).size).toBe(listedIds.length);
    const lost = [...acknowledged].filter((id) => !listedIds.includes(id));
    expect(lost).toEqual([]);
    const duplicated: string[] = [];
    for (const id of acknowledged) {
      const versions = await versionsOf(second.apiUrl, id);
      if (versions.length !== 1) duplicated.push(`${id}: versions ${versions.join(',')}`);
    }
    duplicated.push(...listedIds.filter((id, i) => listedIds.indexOf(id) !== i));
    expect(duplicated).toEqual([]);
    const createdUnacknowledged = unanswered.filter((id) => listedIds.includes(id)).length;

    // The client retries what it got no answer for: still one job, one version each.
    for (const id of unanswered) {
      const answer = await nomad(second.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob(id) });
      expect(answer.status, `${id}: ${answer.text}`).toBe(200);
    }
    for (const id of ids) expect(await versionsOf(second.apiUrl, id)).toEqual([0]);
    expect((await listNomadJobs(kc, ns.name)).length).toBe(JOBS);

    // The new process leads and reconciles every job (status for version 0).
    await waitFor(
      'every job reconciled by the restarted operator',
      async () => {
        const jobs = await listNomadJobs(kc, ns.name);
        return jobs.length === JOBS && jobs.every((job) => job.status?.version === 0 && job.status.status);
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    figure('sigkill-mid-burst', {
      registers: JOBS,
      inFlight: IN_FLIGHT,
      burstUntilKillMs: burstMs,
      acknowledgedBeforeKill: acknowledged.size,
      unansweredAtKill: unanswered.length,
      unansweredButStored: createdUnacknowledged,
      lost: lost.length,
      duplicated: duplicated.length,
      allReconciledAfterRestartMs: Math.round(performance.now() - restarted),
    });
  });
});
