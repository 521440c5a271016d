// Leader handover between two replicas under load: replica A leads, replica B is a standby that
// serves the Nomad API; four clients register and read jobs through B without pause while A gets
// SIGTERM. A exits 0 and releases the Lease, B takes over; B's API answers every request
// throughout (0 failures), the two never reconcile at the same time (A's last "stopped
// reconciling" precedes B's "reconciling" in their logs), every job ends with exactly one version
// and is reconciled. The takeover time is a figure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestNamespace,
  figure,
  killAllOperators,
  type LogLine,
  listNomadJobs,
  nomad,
  serviceJob,
  sleep,
  startOperator,
  testKubeConfig,
  waitFor,
} from './support/operator.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'handover');
});
afterAll(async () => {
  await killAllOperators();
  await ns?.remove();
});

const timeOf = (logs: LogLine[], msg: string) =>
  logs.filter((l) => l.msg === msg).map((l) => Date.parse(l.time));

describe('leader handover under load', () => {
  it('hands over without double writes while the API stays up', async () => {
    const a = await startOperator({ name: 'handover-a', namespace: ns.name });
    await waitFor('A leading', async () => a.logs.some((l) => l.msg === 'Became leader'));
    const b = await startOperator({ name: 'handover-b', namespace: ns.name });
    await waitFor('B sees A lead', async () => b.logs.some((l) => l.msg === 'Observed a new leader'));

    let loading = true;
    const failures: string[] = [];
    let requests = 0;
    const registered: string[] = [];
    const writeMs: number[] = [];
    // Four clients, each registering a new job then reading the list and the job, without pause.
    const loader = async (client: number) => {
      for (let i = 0; loading; i++) {
        const id = `load-${client}-${String(i).padStart(3, '0')}`;
        const writeStarted = performance.now();
        const write = await nomad(b.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob(id) });
        writeMs.push(performance.now() - writeStarted);
        requests++;
        if (write.status === 200) registered.push(id);
        else failures.push(`PUT ${id}: ${write.status} ${write.failed ?? write.text}`);
        for (const path of ['/v1/jobs', `/v1/job/${id}`]) {
          const read = await nomad(b.apiUrl, 'GET', path);
          requests++;
          if (read.status !== 200) failures.push(`GET ${path}: ${read.status} ${read.failed ?? read.text}`);
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(loader));

    await sleep(3_000);
    const signalled = performance.now();
    a.kill('SIGTERM');
    const exit = await a.exited;
    const aExitMs = Math.round(exit.at - signalled);
    await waitFor('B leading', async () => b.logs.some((l) => l.msg === 'Became leader'), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const takeoverMs = Math.round(performance.now() - signalled);
    await sleep(3_000);
    loading = false;
    await load;

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(failures).toEqual([]);
    // A stopped reconciling before B started.
    const aStopped = Math.max(...timeOf(a.logs, 'stopped reconciling'));
    const bStarted = Math.min(...timeOf(b.logs, 'reconciling'));
    expect(aStopped).toBeLessThanOrEqual(bStarted);
    expect(timeOf(a.logs, 'reconciling')).toHaveLength(1);

    await waitFor(
      'every job reconciled at version 0',
      async () => {
        const jobs = await listNomadJobs(kc, ns.name);
        return (
          jobs.length === registered.length &&
          jobs.every((job) => job.status?.version === 0 && job.status.status)
        );
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    for (const id of registered) {
      const versions = JSON.parse((await nomad(b.apiUrl, 'GET', `/v1/job/${id}/versions`)).text) as {
        Versions: unknown[];
      };
      expect(versions.Versions, id).toHaveLength(1);
    }
    figure('leader-handover-under-load', {
      requestsThroughStandby: requests,
      failed: failures.length,
      jobsRegistered: registered.length,
      registerMedianMs: Math.round(writeMs.sort((x, y) => x - y)[Math.floor(writeMs.length / 2)] ?? 0),
      registerMaxMs: Math.round(Math.max(...writeMs)),
      leaderExitCode: exit.code ?? -1,
      leaderExitMs: aExitMs,
      takeoverMs,
      gapBetweenLeadersMs: bStarted - aStopped,
    });
  });
});
