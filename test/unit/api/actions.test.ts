// Routes backed by the controller package's job actions, with a fake in their place: what is called
// with what, and how results and failures become Nomad answers.
import { describe, expect, it } from 'vitest';
import type { Evaluation, JobActions } from '../../../src/api/actions.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { newEvaluation } from '../../../src/jobs/evaluations.ts';
import { type MemoryCluster, serviceJob, testApi } from './support.ts';

/** An evaluation of Nomad's shape, built by the controller's own constructor. */
function makeEvaluation(
  id: string,
  jobId: string,
  index: number,
  extra: Partial<Evaluation> = {},
): Evaluation {
  const evaluation = newEvaluation(
    { ID: jobId, Namespace: 'default', Priority: 50, Type: 'service' },
    { id, triggeredBy: 'job-register', jobModifyIndex: index, index, nowNs: 1 },
  );
  return { ...evaluation, ...extra };
}

function fakeActions() {
  const recorded: Array<{ job: NomadJobObject; input: Record<string, unknown>; evaluation: Evaluation }> = [];
  const calls: string[] = [];
  let n = 0;
  const actions: JobActions = {
    recordEvaluation: async (job, input) => {
      const id = `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`;
      const evaluation = makeEvaluation(
        id,
        job.metadata?.annotations?.['nomadoperator.dev/job-id'] ?? '',
        job.status?.jobModifyIndex ?? 0,
        {
          TriggeredBy: input.triggeredBy,
          Priority: input.priority ?? 50,
          CreateIndex: 1000 + n,
        },
      );
      recorded.push({ job, input: input as unknown as Record<string, unknown>, evaluation });
      return evaluation;
    },
    evaluationsOf: (job) =>
      recorded
        .filter((r) => r.job.metadata?.uid === job.metadata?.uid)
        .map((r) => r.evaluation)
        .reverse(),
    evaluationOfVersion: () => undefined,
    dispatch: async (parent, request) => {
      calls.push(`dispatch ${JSON.stringify(request)}`);
      if (request.meta?.bad)
        return {
          ok: false,
          status: 500,
          message: 'Dispatch request included unpermitted metadata keys: [bad]',
        };
      return {
        ok: false,
        status: 500,
        message: `Specified job "${parent.metadata?.annotations?.['nomadoperator.dev/job-id']}" is not a parameterized job`,
      };
    },
    forcePeriodic: async (parent) =>
      parent
        ? { ok: false, status: 500, message: "can't force launch non-periodic job" }
        : { ok: false, status: 500, message: 'job not found' },
    revert: async (_object, options) => {
      calls.push(`revert ${JSON.stringify(options)}`);
      return {
        ok: false,
        status: 500,
        message: `Current job has version 0; enforcing version ${options.enforcePriorVersion}`,
      };
    },
    setStable: async (_object, version, stable) => {
      calls.push(`stable ${version} ${stable}`);
      return { ok: true, version, stable };
    },
  };
  return { actions, recorded, calls };
}

const put = (url: string, body?: unknown) => ({
  method: 'PUT' as const,
  url,
  ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
});

describe('job actions', () => {
  it('records a register evaluation with the priority and the JobModifyIndex the answer reports', async () => {
    const { actions, recorded } = fakeActions();
    const { app } = await testApi({ actions });
    const reg = JSON.parse(
      (await app.inject(put('/v1/jobs', { Job: serviceJob('r'), EvalPriority: 70 }))).body,
    );
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.input).toMatchObject({ triggeredBy: 'job-register', version: 0, priority: 70 });
    expect(reg.EvalID).toBe(recorded[0]?.evaluation.ID);
    expect(reg.EvalCreateIndex).toBe(recorded[0]?.evaluation.CreateIndex);
    const evals = JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/r/evaluations' })).body);
    expect(evals.map((e: Evaluation) => e.ID)).toEqual([reg.EvalID]);
    expect(evals[0].JobModifyIndex).toBe(reg.JobModifyIndex);
    const one = await app.inject({ method: 'GET', url: `/v1/evaluation/${reg.EvalID}?related=true` });
    expect(JSON.parse(one.body)).toMatchObject({ ID: reg.EvalID, JobID: 'r', Priority: 70 });
    expect((await app.inject({ method: 'GET', url: '/v1/evaluation/nope' })).body).toBe('eval not found');
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/none/evaluations' })).body)).toEqual(
      [],
    );
  });

  it('keeps the evaluation of a purge findable after the job is gone', async () => {
    const { actions } = fakeActions();
    const { app } = await testApi({ actions });
    await app.inject(put('/v1/jobs', { Job: serviceJob('gone') }));
    const purge = JSON.parse(
      (await app.inject({ method: 'DELETE', url: '/v1/job/gone?purge=true&eval_priority=90' })).body,
    );
    const evaluation = JSON.parse(
      (await app.inject({ method: 'GET', url: `/v1/evaluation/${purge.EvalID}` })).body,
    );
    expect(evaluation).toMatchObject({ TriggeredBy: 'job-deregister', Priority: 90 });
  });

  it('answers a stop, a scale and an evaluate once the caches show the evaluation it names', async () => {
    // An evaluation recorded through the apiserver reaches the API's caches with its ConfigMap's watch
    // event, a moment after the write answered: here, on a later timer turn. A client reading the
    // evaluation the answer names (python-nomad's deregister, then get_evaluation) must find it.
    const { actions } = fakeActions();
    const shown = new Set<string>();
    let cluster: MemoryCluster | undefined;
    const lagging: JobActions = {
      ...actions,
      recordEvaluation: async (job, input) => {
        const evaluation = await actions.recordEvaluation(job, input);
        setTimeout(() => {
          shown.add(evaluation.ID);
          cluster?.put('ConfigMap', { metadata: { name: `shown-${evaluation.ID}`, namespace: 'default' } });
        }, 20);
        return evaluation;
      },
      evaluationsOf: (job, lister) => actions.evaluationsOf(job, lister).filter((e) => shown.has(e.ID)),
    };
    const api = await testApi({ actions: lagging });
    cluster = api.cluster;
    const app = api.app;
    await app.inject(put('/v1/jobs', { Job: serviceJob('lag') }));
    const writes = [
      ['job-scaling', put('/v1/job/lag/scale', { Count: 3, Target: { Group: 'web' } })],
      ['job-register', put('/v1/job/lag/evaluate', { JobID: 'lag' })],
      ['job-deregister', { method: 'DELETE' as const, url: '/v1/job/lag?eval_priority=90' }],
    ] as const;
    for (const [trigger, write] of writes) {
      const answer = await app.inject(write);
      expect(answer.statusCode).toBe(200);
      const evalId = JSON.parse(answer.body).EvalID as string;
      const read = await app.inject({ method: 'GET', url: `/v1/evaluation/${evalId}` });
      expect([write.url, read.statusCode]).toEqual([write.url, 200]);
      expect(JSON.parse(read.body)).toMatchObject({ ID: evalId, TriggeredBy: trigger });
    }
  });

  it('passes dispatch, periodic force, revert and stable on and answers their failures as Nomad', async () => {
    const { actions, calls } = fakeActions();
    const { app } = await testApi({ actions });
    await app.inject(put('/v1/jobs', { Job: serviceJob('p') }));
    const notParam = await app.inject(
      put('/v1/job/p/dispatch?idempotency_token=tok', { Meta: { a: 'b' }, Payload: 'aGk=' }),
    );
    expect([notParam.statusCode, notParam.body]).toEqual([
      500,
      'Specified job "p" is not a parameterized job',
    ]);
    expect(calls[0]).toBe('dispatch {"payload":"aGk=","meta":{"a":"b"},"idempotencyToken":"tok"}');
    const missing = await app.inject(put('/v1/job/nope/dispatch', {}));
    expect([missing.statusCode, missing.body]).toEqual([500, 'parameterized job not found']);
    const mismatch = await app.inject(put('/v1/job/p/dispatch', { JobID: 'other' }));
    expect([mismatch.statusCode, mismatch.body]).toEqual([400, 'Job ID does not match']);
    const force = await app.inject(put('/v1/job/nope/periodic/force'));
    expect([force.statusCode, force.body]).toEqual([500, 'job not found']);
    const revert = await app.inject(
      put('/v1/job/p/revert', { JobID: 'p', JobVersion: 0, EnforcePriorVersion: 10 }),
    );
    expect([revert.statusCode, revert.body]).toEqual([
      500,
      'Current job has version 0; enforcing version 10',
    ]);
    expect(calls).toContain('revert {"version":0,"enforcePriorVersion":10}');
    const stable = await app.inject(put('/v1/job/p/stable', { JobID: 'p', JobVersion: 0, Stable: true }));
    expect(stable.statusCode).toBe(200);
    expect(Number(stable.headers['x-nomad-index'])).toBeGreaterThan(0);
    expect(calls).toContain('stable 0 true');
  });

  it('answers 404 page not found for action routes when no actions are wired', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('x') }));
    for (const [method, url] of [
      ['GET', '/v1/job/x/evaluations'],
      ['PUT', '/v1/job/x/dispatch'],
      ['GET', '/v1/evaluation/abc'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect([url, res.statusCode, res.body]).toEqual([url, 404, '404 page not found']);
    }
  });
});
