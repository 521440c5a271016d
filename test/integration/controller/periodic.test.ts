// Periodic jobs on the real cluster: the parent runs as a CronJob; periodic force launches a child
// NomadJob that runs to completion; the Jobs the CronJob controller launches are recorded as children
// (without a second workload) and counted in the parent's status; purging such a child through the
// Nomad API takes its Job with it, and the parent does not record it again; stopping one ends its
// runs (one Job per group), whose pods go.
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../src/api/server.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { evaluationsOf } from '../../../src/jobs/evaluations.ts';
import { cronChildId, forcePeriodic } from '../../../src/jobs/periodic.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import {
  ANNOTATION_JOB_ID,
  ANNOTATION_LAUNCHED_BY,
  ANNOTATION_PARENT_ID,
  LABEL_JOB,
} from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const writer = makeKubeWriter(operatorConfig(kc));
const batch = kc.makeApiClient(BatchV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;
let server: ApiServer;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'periodic'));
  harness = await startController(kc, namespace);
  server = await startApiServer({
    kubeConfig: operatorConfig(kc),
    defaultNamespace: namespace,
    listen: { host: '127.0.0.1', port: 0 },
    allowAnonymous: true,
  });
});
afterAll(async () => {
  await server?.close();
  await harness?.stop();
  await removeNamespace();
});

function periodicJob(id: string, periodic: Job['Periodic'] = { Enabled: true, Spec: '* * * * *' }): Job {
  return dockerJob(id, { Type: 'batch', Periodic: periodic }, 2);
}

async function children(parentId: string): Promise<NomadJobObject[]> {
  const list = (await custom.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: NomadJobObject[];
  };
  return list.items.filter((o) => o.metadata?.annotations?.[ANNOTATION_PARENT_ID] === parentId);
}

describe('periodic jobs', () => {
  it('run as a CronJob; a forced launch runs to completion; CronJob launches become children', async () => {
    await harness.submit(periodicJob('nightly'));
    const cronJobs = await waitFor('the CronJob of nightly', async () => {
      const list = await batch.listNamespacedCronJob({ namespace, labelSelector: `${LABEL_JOB}=nightly` });
      return list.items.length === 1 ? list.items : undefined;
    });
    expect(cronJobs[0]?.spec?.schedule).toBe('* * * * *');

    // Force: a child NomadJob <parent>/periodic-<unix>, a plain batch job, run as its own Job.
    // The CronJob launches at each minute's first second, and its child has that second's ID (as
    // in Nomad, a launch and a forced run in one second are one child): force in another second.
    while (new Date().getUTCSeconds() === 0) await sleep(100);
    const now = new Date();
    const forced = await forcePeriodic(writer, await harness.read('nightly'), now);
    if (!forced.ok) throw new Error(forced.message);
    expect(forced.created).toBe(true);
    expect(forced.childId).toBe(`nightly/periodic-${Math.floor(now.getTime() / 1000)}`);
    expect(forced.child.spec.periodic).toBeUndefined();
    expect(forced.child.spec.parentID).toBe('nightly');
    expect(forced.child.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'NomadJob', name: 'nightly' });
    const name = forced.child.metadata?.name ?? '';
    const done = await waitFor(`${forced.childId} dead`, async () => {
      const child = await harness.read(name);
      return child.status?.status === 'dead' ? child : undefined;
    });
    expect(done.status?.summary?.app?.complete).toBe(2);
    const jobs = await waitFor('the Job of the forced child Complete', async () => {
      const list = await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_JOB}=${name}` });
      const complete = list.items[0]?.status?.conditions?.some(
        (c) => c.type === 'Complete' && c.status === 'True',
      );
      return complete ? list.items : undefined;
    });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.status?.succeeded).toBe(2);
    const evals = await waitFor('the periodic-job evaluation complete', async () => {
      const list = evaluationsOf(done, harness.controller.view);
      return list[0]?.Status === 'complete' ? list : undefined;
    });
    expect(evals.map((e) => [e.ID, e.TriggeredBy])).toEqual([[forced.evalId, 'periodic-job']]);

    // The CronJob controller fires within a minute: its Job becomes a child, mirrored, not run twice.
    const launched = await waitFor(
      'a CronJob-launched child of nightly, dead',
      async () => {
        const list = await children('nightly');
        const cron = list.find((c) => c.metadata?.annotations?.[ANNOTATION_LAUNCHED_BY] === 'cronjob');
        return cron?.status?.status === 'dead' ? cron : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1000 },
    );
    const launchedId = launched.metadata?.annotations?.['nomadoperator.dev/job-id'] ?? '';
    expect(launchedId).toMatch(/^nightly\/periodic-\d+$/);
    expect(launched.status?.summary?.app?.complete).toBe(2);
    expect(launched.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job' });
    const own = await batch.listNamespacedJob({
      namespace,
      labelSelector: `${LABEL_JOB}=${launched.metadata?.name}`,
    });
    expect(own.items).toEqual([]);
    const parent = await waitFor('nightly counts both children dead', async () => {
      const p = await harness.read('nightly');
      return (p.status?.children?.dead ?? 0) >= 2 ? p : undefined;
    });
    expect(parent.status?.status).toBe('running');

    // Purged through the Nomad API: the child and the Job it mirrors go, and stay gone however often
    // the parent is reconciled (it records a child for every launched Job it sees).
    const mirrored = launched.metadata?.ownerReferences?.[0]?.name ?? '';
    const purge = await fetch(`${server.url}/v1/job/${encodeURIComponent(launchedId)}?purge=true`, {
      method: 'DELETE',
    });
    expect(purge.status, await purge.text()).toBe(200);
    const jobGone = async () =>
      (await batch.listNamespacedJob({ namespace })).items.every((j) => j.metadata?.name !== mirrored);
    await waitFor(`the Job ${mirrored} deleted`, async () => ((await jobGone()) ? true : undefined));
    const reconciles = async () =>
      (await harness.metrics.reconcileTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
    const before = await reconciles();
    harness.controller.queue.add(`${namespace}/nightly`);
    await waitFor('nightly reconciled again', async () => ((await reconciles()) > before ? true : undefined));
    const left = await children('nightly');
    expect(left.map((c) => c.metadata?.annotations?.['nomadoperator.dev/job-id'])).not.toContain(launchedId);
    const api = await fetch(`${server.url}/v1/job/${encodeURIComponent(launchedId)}`);
    expect(api.status).toBe(404);
  }, 240_000);

  it('stop a CronJob-launched child of two groups by ending both runs; purge it with them', async () => {
    // Asks for more memory than any node has: each group's launched Job keeps a pending pod, a run to
    // stop. Overlap prohibited: an ended run must not keep the next launch from coming.
    const job = periodicJob('stuck', { Enabled: true, Spec: '* * * * *', ProhibitOverlap: true });
    const group = job.TaskGroups?.[0];
    if (!group?.Tasks?.[0]) throw new Error('no task');
    group.Tasks[0].Resources = { CPU: 100, MemoryMB: 4_000_000 };
    job.TaskGroups = [group, { ...structuredClone(group), Name: 'side' }];
    await harness.submit(job);
    const podsOf = async (jobName: string) =>
      (
        await core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })
      ).items.filter((p) => !p.metadata?.deletionTimestamp);
    const runsOf = async (childId: string) =>
      (await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_JOB}=stuck` })).items.filter(
        (j) => cronChildId(j) === childId,
      );
    const { child, runs } = await waitFor(
      'a CronJob-launched child of stuck, a pending pod in each group’s run',
      async () => {
        const cron = (await children('stuck')).find(
          (c) => c.metadata?.annotations?.[ANNOTATION_LAUNCHED_BY] === 'cronjob',
        );
        const id = cron?.metadata?.annotations?.[ANNOTATION_JOB_ID];
        if (!cron || !id) return undefined;
        const runs = await runsOf(id);
        if (runs.length !== 2) return undefined;
        for (const run of runs)
          if (!(await podsOf(run.metadata?.name ?? '')).some((p) => p.status?.phase === 'Pending'))
            return undefined;
        return { child: cron, runs };
      },
      { timeoutMs: 150_000, intervalMs: 1000 },
    );
    const id = child.metadata?.annotations?.[ANNOTATION_JOB_ID] ?? '';
    const url = `${server.url}/v1/job/${encodeURIComponent(id)}`;
    const stop = await fetch(url, { method: 'DELETE' });
    expect(stop.status, await stop.text()).toBe(200);
    for (const run of runs) {
      const name = run.metadata?.name ?? '';
      await waitFor(`the run ${name} failed, its pods gone`, async () => {
        const live = await batch.readNamespacedJob({ namespace, name });
        const failed = live.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True');
        return failed && (await podsOf(name)).length === 0 ? live : undefined;
      });
    }
    const shown = await waitFor(`${id} dead`, async () => {
      const job = (await (await fetch(url)).json()) as { Stop?: boolean; Status?: string };
      return job.Status === 'dead' ? job : undefined;
    });
    expect(shown.Stop).toBe(true);
    // The ended runs are no longer active: the CronJob launches again (overlap prohibited).
    await waitFor(
      'the next launch of stuck',
      async () => {
        const cronJobs = await batch.listNamespacedCronJob({
          namespace,
          labelSelector: `${LABEL_JOB}=stuck`,
        });
        return cronJobs.items.every((c) =>
          (c.status?.active ?? []).every((a) => !runs.some((r) => r.metadata?.uid === a.uid)),
        ) &&
          (await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_JOB}=stuck` })).items.some(
            (j) => cronChildId(j) !== id,
          )
          ? true
          : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1000 },
    );

    // Purged: both runs go, and the child is not recorded again.
    const purge = await fetch(`${url}?purge=true`, { method: 'DELETE' });
    expect(purge.status, await purge.text()).toBe(200);
    await waitFor(`both runs of ${id} deleted`, async () =>
      (await runsOf(id)).length === 0 ? true : undefined,
    );
    harness.controller.queue.add(`${namespace}/stuck`);
    await sleep(2000);
    expect((await children('stuck')).map((c) => c.metadata?.annotations?.[ANNOTATION_JOB_ID])).not.toContain(
      id,
    );
    expect((await fetch(url)).status).toBe(404);
  }, 300_000);

  it("answers Nomad's errors", async () => {
    expect(await forcePeriodic(writer, undefined)).toEqual({
      ok: false,
      status: 500,
      message: 'job not found',
    });
    await harness.submit(dockerJob('once', { Type: 'batch' }));
    expect(await forcePeriodic(writer, await harness.read('once'))).toEqual({
      ok: false,
      status: 500,
      message: "can't force launch non-periodic job",
    });
    await harness.submit(periodicJob('paused', { Enabled: false, Spec: '0 0 * * *' }));
    expect(await forcePeriodic(writer, await harness.read('paused'))).toEqual({
      ok: false,
      status: 500,
      message: "can't force run non-tracked job paused (default)",
    });
  });
});
