// A plan's index, FailedTGAllocs and CreatedEvals as Nomad's dry-run scheduler reports them: the
// stored job's JobModifyIndex (0 for a new job), and, for groups the kube-scheduler leaves
// unschedulable, the placement failures and one blocked evaluation that is never stored.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { labelValueFor } from '../../../src/nomad/ids.ts';
import { ANNOTATION_GROUP, LABEL_GROUP, LABEL_JOB } from '../../../src/nomad/keys.ts';
import { serviceJob, testApi } from './support.ts';

const MESSAGE = '0/3 nodes are available: 3 Insufficient memory.';

function pendingPod(i: number): V1Pod {
  return {
    metadata: {
      name: `big-web-${i}`,
      namespace: 'default',
      labels: { [LABEL_JOB]: 'big', [LABEL_GROUP]: labelValueFor('web') },
      annotations: { [ANNOTATION_GROUP]: 'web' },
    },
    spec: { containers: [{ name: 'server' }] },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: MESSAGE }],
    },
  };
}

const plan = (job: Record<string, unknown>) => ({
  method: 'PUT' as const,
  url: `/v1/job/${String(job.ID)}/plan`,
  payload: JSON.stringify({ Job: job, Diff: true }),
});

describe('plan', () => {
  it("answers the stored JobModifyIndex as its index, 0 for a new job, as Nomad's", async () => {
    const { app } = await testApi();
    const fresh = await app.inject(plan(serviceJob('fresh')));
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['x-nomad-index']).toBe('0');
    expect(JSON.parse(fresh.body)).toMatchObject({
      JobModifyIndex: 0,
      Index: 0,
      CreatedEvals: null,
      FailedTGAllocs: null,
    });

    const registered = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: JSON.stringify({ Job: serviceJob('big') }),
    });
    const { JobModifyIndex } = JSON.parse(registered.body) as { JobModifyIndex: number };
    const again = await app.inject(plan(serviceJob('big')));
    expect(again.headers['x-nomad-index']).toBe(String(JobModifyIndex));
    expect(JSON.parse(again.body)).toMatchObject({
      JobModifyIndex,
      Index: JobModifyIndex,
      CreatedEvals: null,
    });
  });

  it('reports the groups the scheduler cannot place and a blocked evaluation for them', async () => {
    const { app, cluster } = await testApi();
    const registered = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: JSON.stringify({ Job: serviceJob('big') }),
    });
    const { JobModifyIndex } = JSON.parse(registered.body) as { JobModifyIndex: number };
    cluster.put('Pod', pendingPod(1));
    cluster.put('Pod', pendingPod(2));

    const unchanged = JSON.parse((await app.inject(plan(serviceJob('big')))).body);
    expect(Object.keys(unchanged.FailedTGAllocs)).toEqual(['web']);
    expect(unchanged.FailedTGAllocs.web).toMatchObject({ NodesEvaluated: 3, NodesExhausted: 3 });
    expect(unchanged.CreatedEvals).toHaveLength(1);
    const blocked = unchanged.CreatedEvals[0];
    expect(blocked).toMatchObject({
      JobID: 'big',
      Namespace: 'default',
      Type: 'service',
      Priority: 50,
      TriggeredBy: 'queued-allocs',
      Status: 'blocked',
      StatusDescription: 'created to place remaining allocations',
      JobModifyIndex: 0,
      CreateIndex: 0,
      ModifyIndex: 0,
    });
    expect(blocked.FailedTGAllocs).toEqual(unchanged.FailedTGAllocs);
    expect(blocked.PreviousEval).toMatch(/^[0-9a-f-]{36}$/);

    // A changed spec: the evaluation carries the next JobModifyIndex, as Nomad's plan evaluation.
    const bigger = serviceJob('big');
    (bigger.TaskGroups as Array<Record<string, unknown>>)[0]!.Count = 4;
    const changed = JSON.parse((await app.inject(plan(bigger))).body);
    expect(changed.CreatedEvals[0].JobModifyIndex).toBe(JobModifyIndex + 1);

    // Stopping places nothing: nothing can fail.
    const stop = JSON.parse((await app.inject(plan(serviceJob('big', { Stop: true })))).body);
    expect([stop.FailedTGAllocs, stop.CreatedEvals]).toEqual([null, null]);
  });
});
