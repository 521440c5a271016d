// Evaluations on the real cluster: registering records a job-register evaluation that completes once
// the pods are placed; scaling and stopping record theirs; evaluations survive a controller restart.
// Blocked evaluations (pods no node can run) are in unschedulable.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Evaluation, evaluationsOf } from '../../../src/jobs/evaluations.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'evals'));
  harness = await startController(kc, namespace);
});
afterAll(async () => {
  await harness?.stop();
  await removeNamespace();
});

/** Evaluations of a job as the API would read them: from the controller's cache. */
async function evaluations(name: string): Promise<Evaluation[]> {
  return evaluationsOf(await harness.read(name), harness.controller.view);
}

const summary = (list: Evaluation[]) => list.map((e) => [e.TriggeredBy, e.Status]);

describe('evaluations', () => {
  it('register → complete once placed; scaling and stop record theirs; restarts keep them', async () => {
    await harness.submit(dockerJob('api', {}, 2));
    const registered = await waitFor('a complete job-register evaluation', async () => {
      const list = await evaluations('api');
      return list[0]?.Status === 'complete' ? list : undefined;
    });
    expect(registered).toHaveLength(1);
    const first = registered[0]!;
    expect(first).toMatchObject({
      TriggeredBy: 'job-register',
      JobID: 'api',
      Namespace: 'default',
      Type: 'service',
      Priority: 50,
      QueuedAllocations: { app: 0 },
      FailedTGAllocs: null,
    });
    expect(first.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.ModifyIndex).toBeGreaterThanOrEqual(first.CreateIndex);
    expect(first.ModifyTime).toBeGreaterThanOrEqual(first.CreateTime);

    await harness.submit(dockerJob('api', {}, 3));
    await waitFor(
      'a complete job-scaling evaluation',
      async () => {
        const list = await evaluations('api');
        return list[0]?.TriggeredBy === 'job-scaling' && list[0].Status === 'complete';
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    await harness.submit(dockerJob('api', { Stop: true }, 3));
    const stopped = await waitFor('a job-deregister evaluation', async () => {
      const list = await evaluations('api');
      return list[0]?.TriggeredBy === 'job-deregister' ? list : undefined;
    });
    expect(summary(stopped)).toEqual([
      ['job-deregister', 'complete'],
      ['job-scaling', 'complete'],
      ['job-register', 'complete'],
    ]);
    // Newest first, by index.
    expect(stopped[0]!.CreateIndex).toBeGreaterThan(stopped[1]!.CreateIndex);

    // A restarted controller reads them back and adds nothing.
    await harness.stop();
    harness = await startController(kc, namespace);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await evaluations('api')).map((e) => e.ID)).toEqual(stopped.map((e) => e.ID));
  });
});
