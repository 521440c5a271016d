// The façade's HTTP behaviour with Fastify inject() on an in-memory cluster: routing by suffix,
// request parsing as Nomad's Go agent does it, error texts, index headers, pagination, blocking.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Authorizer } from '../../../src/api/acl.ts';
import { routeJobPath } from '../../../src/api/routes/job.ts';
import { serviceJob, testApi } from './support.ts';

const put = (url: string, body: unknown, headers: Record<string, string> = {}) => ({
  method: 'PUT' as const,
  url,
  payload: typeof body === 'string' ? body : JSON.stringify(body),
  headers,
});

describe('routing /v1/job/*', () => {
  it('decodes once and matches sub-resources by suffix in Nomad order', () => {
    expect(routeJobPath('/v1/job/web')).toEqual({ id: 'web', suffix: '' });
    expect(routeJobPath('/v1/job/a%2Fb/summary?x=1')).toEqual({ id: 'a/b', suffix: '/summary' });
    expect(routeJobPath('/v1/job/a/b/summary')).toEqual({ id: 'a/b', suffix: '/summary' });
    expect(routeJobPath('/v1/job/p/periodic-17/periodic/force')).toEqual({
      id: 'p/periodic-17',
      suffix: '/periodic/force',
    });
    expect(routeJobPath('/v1/job/x/deployments')).toEqual({ id: 'x', suffix: '/deployments' });
    expect(routeJobPath('/v1/job/x/deployment')).toEqual({ id: 'x', suffix: '/deployment' });
    expect(routeJobPath('/v1/job/a%252Fb')).toEqual({ id: 'a%2Fb', suffix: '' });
    expect(routeJobPath('/v1/job/q%3Fx%0Ay')).toEqual({ id: 'q?x\ny', suffix: '' });
    expect(routeJobPath('/v1/job//scale')).toEqual({ id: '', suffix: '/scale' });
  });

  it('serves jobs whose IDs contain awkward characters, escaped or raw', async () => {
    const { app } = await testApi();
    for (const id of [
      'a/b',
      'with space',
      'q?x',
      'new\nline',
      'üñí',
      'x:y&z',
      'back\\slash',
      'web--abcdefghijklmnop',
    ]) {
      const reg = await app.inject(put('/v1/jobs', { Job: serviceJob(id) }));
      expect(reg.statusCode, `${id}: ${reg.body}`).toBe(id === 'with space' ? 500 : 200);
      if (id === 'with space') {
        expect(reg.body).toBe('1 error occurred:\n\t* Job ID contains a space\n\n');
        continue;
      }
      const escaped = await app.inject({ method: 'GET', url: `/v1/job/${encodeURIComponent(id)}` });
      expect(escaped.statusCode).toBe(200);
      expect(JSON.parse(escaped.body).ID).toBe(id);
      const summary = await app.inject({ method: 'GET', url: `/v1/job/${encodeURIComponent(id)}/summary` });
      expect(JSON.parse(summary.body).JobID).toBe(id);
    }
    const raw = await app.inject({ method: 'GET', url: '/v1/job/a/b/summary' });
    expect(JSON.parse(raw.body).JobID).toBe('a/b');
  });
});

describe('requests as Nomad reads them', () => {
  it('accepts JSON without Content-Type, with nulls and unknown keys, case-insensitive keys', async () => {
    const { app } = await testApi();
    const job = {
      ...serviceJob('plain'),
      Update: null,
      Constraints: null,
      VaultToken: '',
      Unknown: { x: 1 },
    };
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: `${JSON.stringify({ job, Region: null, Namespace: null, SecretID: null, EnforceIndex: null })}\n`,
      headers: { 'content-type': '' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(Number(res.headers['x-nomad-index'])).toBeGreaterThan(0);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ EvalCreateIndex: body.JobModifyIndex, Warnings: '', KnownLeader: true });
    expect(body.Index).toBeGreaterThanOrEqual(body.JobModifyIndex);
    expect(body.EvalID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('accepts text/plain and form content types as JSON too, and POST like PUT', async () => {
    const { app } = await testApi();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: JSON.stringify({ Job: serviceJob('post') }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('reads booleans like ParseBool and durations like time.ParseDuration', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('b') }));
    expect((await app.inject({ method: 'GET', url: '/v1/jobs?meta=True' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/job/b/allocations?all=1' })).statusCode).toBe(200);
    const noWait = await app.inject({ method: 'GET', url: '/v1/job/b?index=1&wait=300000ms' });
    expect(noWait.statusCode).toBe(200);
    const bad = await app.inject({ method: 'GET', url: '/v1/job/b?wait=5x' });
    expect([bad.statusCode, bad.body, bad.headers['content-type']]).toEqual([
      400,
      'Invalid wait time',
      'text/plain; charset=utf-8',
    ]);
    const badIndex = await app.inject({ method: 'GET', url: '/v1/job/b?index=-1' });
    expect([badIndex.statusCode, badIndex.body]).toEqual([400, 'Invalid index']);
    const stale = await app.inject({ method: 'GET', url: '/v1/jobs?stale=maybe' });
    expect(stale.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs?stale' })).statusCode).toBe(200);
    const purge = await app.inject({
      method: 'DELETE',
      url: '/v1/job/b?purge=True&global=False&eval_priority=0',
    });
    expect(purge.statusCode, purge.body).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/job/b' })).statusCode).toBe(404);
    const badBool = await app.inject({ method: 'DELETE', url: '/v1/job/b?purge=yes' });
    expect(badBool.statusCode).toBe(400);
  });

  it('answers Nomad error texts with text/plain bodies', async () => {
    const { app } = await testApi();
    const cases: Array<[ReturnType<typeof put> | { method: 'GET' | 'DELETE'; url: string }, number, string]> =
      [
        [{ method: 'GET', url: '/v1/job/nope' }, 404, 'job not found'],
        [{ method: 'GET', url: '/v1/job/nope/summary' }, 404, 'job not found'],
        [{ method: 'GET', url: '/v1/job/nope/versions' }, 404, 'job versions not found'],
        [{ method: 'GET', url: '/v1/job/nope/scale' }, 404, 'job not found'],
        [{ method: 'GET', url: '/v1/job/nope/submission?version=0' }, 404, 'job source not found'],
        [
          { method: 'GET', url: '/v1/job/nope/submission?version=x' },
          400,
          'Unable to parse job submission version parameter',
        ],
        [put('/v1/jobs', ''), 400, 'Request body is empty'],
        [
          put('/v1/jobs', '{"Job":'),
          400,
          expect.stringContaining('Failed to decode request body') as unknown as string,
        ],
        [put('/v1/jobs', {}), 400, 'Job must be specified'],
        [put('/v1/jobs', { Job: { Name: 'x' } }), 400, "Job ID hasn't been provided"],
        [put('/v1/job/other', { Job: serviceJob('x') }), 400, 'Job ID does not match name'],
        [
          put('/v1/jobs', { Job: serviceJob('x'), EvalPriority: 101 }),
          400,
          'Eval priority must be between 1 and 100 inclusively',
        ],
        [
          put('/v1/jobs', { Job: { ...serviceJob('x'), Priority: '1' } }),
          400,
          expect.stringContaining('Priority') as unknown as string,
        ],
        [
          put('/v1/jobs', { Job: { ID: 'x', TaskGroups: [] } }),
          500,
          expect.stringContaining('Missing job task groups') as unknown as string,
        ],
        [
          put('/v1/jobs', { Job: serviceJob('x'), EnforceIndex: true, JobModifyIndex: 5 }),
          500,
          'Enforcing job modify index 5: job does not exist',
        ],
        [put('/v1/job/nope/evaluate', ''), 500, 'job not found'],
        [put('/v1/job/nope/scale', { Count: 1, Target: { Group: 'web' } }), 404, 'job "nope" not found'],
        [
          put('/v1/job/nope/scale', { Count: 1, Target: {} }),
          400,
          'missing task group name for scaling action',
        ],
        [put('/v1/job//scale', { Count: 1, Target: { Group: 'g' } }), 400, "Job ID hasn't been provided"],
        [put('/v1/validate/job', {}), 400, 'Job must be specified'],
        [put('/v1/jobs/parse', { JobHCL: '' }), 400, 'Job spec is empty'],
        [
          { method: 'GET', url: '/v1/jobs?filter=ID%20%3D%3D' },
          400,
          expect.stringMatching(
            /^failed to create result paginator: failed to read filter expression: /,
          ) as unknown as string,
        ],
        [
          { method: 'GET', url: '/v1/jobs?per_page=x' },
          400,
          'Expect a number for `per_page` query string parameter',
        ],
        [{ method: 'GET', url: '/v1/jobs?region=mars' }, 500, 'No path to region'],
        [{ method: 'DELETE', url: '/v1/jobs' }, 405, 'Invalid method'],
        [{ method: 'GET', url: '/v1/nothing' }, 404, '404 page not found'],
      ];
    for (const [request, status, body] of cases) {
      const res = await app.inject(request);
      expect({ url: request.url, status: res.statusCode, body: res.body }).toEqual({
        url: request.url,
        status,
        body,
      });
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    const unknownDelete = await app.inject({ method: 'DELETE', url: '/v1/job/nope' });
    expect(unknownDelete.statusCode).toBe(200);
    expect(JSON.parse(unknownDelete.body)).toMatchObject({
      EvalID: '',
      EvalCreateIndex: 0,
      JobModifyIndex: 0,
    });
  });

  it('gzips when asked and never uses other encodings', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('z') }));
    const res = await app.inject({ method: 'GET', url: '/v1/job/z', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.rawPayload).toString()).ID).toBe('z');
    const br = await app.inject({ method: 'GET', url: '/v1/job/z', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBeUndefined();
  });
});

describe('jobs', () => {
  it('answers query meta headers and literal null where Nomad has no object', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('batchy', { Type: 'batch' }) }));
    const res = await app.inject({ method: 'GET', url: '/v1/job/batchy/deployment' });
    expect(res.body).toBe('null');
    expect(Number(res.headers['x-nomad-index'])).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-nomad-knownleader']).toBe('true');
    expect(res.headers['x-nomad-lastcontact']).toBe('0');
    const service = await app.inject(put('/v1/jobs', { Job: serviceJob('svc') }));
    expect(service.statusCode).toBe(200);
    const deployment = JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/svc/deployment' })).body);
    expect(deployment).toMatchObject({ JobID: 'svc', JobVersion: 0, Status: 'running' });
  });

  it('fills Nomad defaults and zero values, and keeps indexes consistent', async () => {
    const { app } = await testApi();
    const reg = JSON.parse((await app.inject(put('/v1/jobs', { Job: serviceJob('full') }))).body);
    const res = await app.inject({ method: 'GET', url: '/v1/job/full' });
    const job = JSON.parse(res.body);
    expect(job).toMatchObject({
      ID: 'full',
      Name: 'full',
      Namespace: 'default',
      Region: 'global',
      Type: 'service',
      Priority: 50,
      Stop: false,
      Version: 0,
      Status: 'pending',
      ParentID: '',
      Periodic: null,
      JobModifyIndex: reg.JobModifyIndex,
      ModifyIndex: Number(res.headers['x-nomad-index']),
    });
    expect(job.TaskGroups[0].Tasks[0].Resources).toMatchObject({ CPU: 100, MemoryMB: 300 });
    expect(job.TaskGroups[0].Tasks[0].KillTimeout).toBe(5_000_000_000);
    expect(job.CreateIndex).toBeLessThanOrEqual(job.ModifyIndex);
    expect(Number.isInteger(job.SubmitTime)).toBe(true);
  });

  it('enforces the job modify index and preserves counts', async () => {
    const { app } = await testApi();
    const first = JSON.parse(
      (await app.inject(put('/v1/jobs', { Job: serviceJob('e'), EnforceIndex: true }))).body,
    );
    const again = await app.inject(put('/v1/jobs', { Job: serviceJob('e'), EnforceIndex: true }));
    expect([again.statusCode, again.body]).toEqual([500, 'Enforcing job modify index 0: job already exists']);
    const stale = await app.inject(
      put('/v1/jobs', { Job: serviceJob('e'), EnforceIndex: true, JobModifyIndex: first.JobModifyIndex + 7 }),
    );
    expect(stale.body).toBe(
      `Enforcing job modify index ${first.JobModifyIndex + 7}: job exists with conflicting job modify index: ${first.JobModifyIndex}`,
    );
    const changed = serviceJob('e', { Meta: { v: '2' } }) as { TaskGroups: Array<{ Count: number }> };
    changed.TaskGroups[0]!.Count = 9;
    const ok = await app.inject(
      put('/v1/job/e', {
        Job: changed,
        EnforceIndex: true,
        JobModifyIndex: first.JobModifyIndex,
        PreserveCounts: true,
      }),
    );
    expect(ok.statusCode, ok.body).toBe(200);
    const job = JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/e' })).body);
    expect(job.TaskGroups[0].Count).toBe(2);
    expect(job.Meta).toEqual({ v: '2' });
    expect(job.Version).toBe(1);
    expect(job.JobModifyIndex).toBe(JSON.parse(ok.body).JobModifyIndex);
    const versions = JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/e/versions' })).body);
    expect(versions.Versions.map((v: { Version: number }) => v.Version)).toEqual([1, 0]);
    expect(versions.Versions[1].JobModifyIndex).toBe(first.JobModifyIndex);
    expect(versions.Versions[0].JobModifyIndex).toBe(job.JobModifyIndex);
  });

  it('lists with prefix, namespace *, filter, meta and pagination tokens', async () => {
    const { app } = await testApi();
    for (const id of ['a1', 'a2', 'a3', 'b1']) {
      await app.inject(put('/v1/jobs', { Job: serviceJob(id, { Meta: { n: id } }) }));
    }
    await app.inject(put('/v1/jobs?namespace=prod', { Job: serviceJob('a0') }));
    const ids = (res: { body: string }) => (JSON.parse(res.body) as Array<{ ID: string }>).map((j) => j.ID);
    expect(ids(await app.inject({ method: 'GET', url: '/v1/jobs?prefix=a' }))).toEqual(['a1', 'a2', 'a3']);
    expect(ids(await app.inject({ method: 'GET', url: '/v1/jobs?namespace=*' }))).toEqual([
      'a1',
      'a2',
      'a3',
      'b1',
      'a0',
    ]);
    expect(ids(await app.inject({ method: 'GET', url: '/v1/jobs?namespace=prod' }))).toEqual(['a0']);
    const filtered = await app.inject({
      method: 'GET',
      url: `/v1/jobs?filter=${encodeURIComponent('Meta.n matches "^a[12]$"')}`,
    });
    expect(ids(filtered)).toEqual(['a1', 'a2']);
    const page1 = await app.inject({ method: 'GET', url: '/v1/jobs?per_page=2' });
    expect(ids(page1)).toEqual(['a1', 'a2']);
    expect(page1.headers['x-nomad-nexttoken']).toBe('default.a3');
    const page2 = await app.inject({ method: 'GET', url: '/v1/jobs?per_page=2&next_token=default.a3' });
    expect(ids(page2)).toEqual(['a3', 'b1']);
    expect(page2.headers['x-nomad-nexttoken']).toBeUndefined();
    const reversed = await app.inject({ method: 'GET', url: '/v1/jobs?per_page=3&reverse=true' });
    expect(ids(reversed)).toEqual(['b1', 'a3', 'a2']);
    const withMeta = JSON.parse(
      (await app.inject({ method: 'GET', url: '/v1/jobs?meta=true&prefix=b' })).body,
    );
    expect(withMeta[0].Meta).toEqual({ n: 'b1' });
    const noMeta = JSON.parse((await app.inject({ method: 'GET', url: '/v1/jobs?prefix=b' })).body);
    expect(noMeta[0].Meta).toBeUndefined();
  });

  it('stops softly as a new version, purges for good', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('s') }));
    const stop = await app.inject({ method: 'DELETE', url: '/v1/job/s' });
    expect(stop.statusCode).toBe(200);
    const job = JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/s' })).body);
    expect(job.Stop).toBe(true);
    expect(job.Version).toBe(1);
    const purge = await app.inject({ method: 'DELETE', url: '/v1/job/s?purge=true' });
    expect(Number(purge.headers['x-nomad-index'])).toBeGreaterThan(Number(stop.headers['x-nomad-index']));
    expect((await app.inject({ method: 'GET', url: '/v1/job/s' })).statusCode).toBe(404);
  });

  it('scales: records events, changes the count only when Count is set and Error is false', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('sc') }));
    const scaled = await app.inject(
      put('/v1/job/sc/scale', {
        Count: 5,
        Target: { Group: 'web', Job: 'sc' },
        Message: 'up',
        Meta: { a: [1] },
      }),
    );
    expect(scaled.statusCode, scaled.body).toBe(200);
    expect(JSON.parse(scaled.body).EvalID).not.toBe('');
    const errorOnly = await app.inject(
      put('/v1/job/sc/scale', { Target: { Group: 'web' }, Error: true, Message: 'bad' }),
    );
    expect(JSON.parse(errorOnly.body).EvalID).toBe('');
    const both = await app.inject(
      put('/v1/job/sc/scale', { Count: 1, Target: { Group: 'web' }, Error: true }),
    );
    expect([both.statusCode, both.body]).toEqual([
      400,
      'scaling action should not contain count if error is true',
    ]);
    const negative = await app.inject(put('/v1/job/sc/scale', { Count: -1, Target: { Group: 'web' } }));
    expect(negative.body).toBe("scaling action count can't be negative");
    const noGroup = await app.inject(put('/v1/job/sc/scale', { Count: 1, Target: { Group: 'nope' } }));
    expect(noGroup.body).toBe('task group "nope" specified for scaling does not exist in job');
    const status = JSON.parse((await app.inject({ method: 'GET', url: '/v1/job/sc/scale' })).body);
    expect(status.TaskGroups.web.Desired).toBe(5);
    expect(status.TaskGroups.web.Events).toHaveLength(2);
    expect(status.TaskGroups.web.Events[0]).toMatchObject({
      Error: true,
      Message: 'bad',
      Count: null,
      EvalID: null,
    });
    expect(status.TaskGroups.web.Events[1]).toMatchObject({
      Count: 5,
      PreviousCount: 2,
      Message: 'up',
      Meta: { a: [1] },
    });
  });

  it('plans with a Nomad diff and annotations', async () => {
    const { app } = await testApi();
    const fresh = JSON.parse(
      (await app.inject(put('/v1/job/p/plan', { Job: serviceJob('p'), Diff: true }))).body,
    );
    expect(fresh.Diff.Type).toBe('Added');
    expect(fresh.Annotations.DesiredTGUpdates.web.Place).toBe(2);
    expect(fresh.NextPeriodicLaunch).toBe('0001-01-01T00:00:00Z');
    expect(fresh.JobModifyIndex).toBe(0);
    const periodic = serviceJob('cron', {
      Type: 'batch',
      Periodic: { Enabled: true, SpecType: 'cron', Spec: '*/15 * * * *' },
    });
    const planned = JSON.parse((await app.inject(put('/v1/job/cron/plan', { Job: periodic }))).body);
    expect(planned.Diff).toBeNull();
    expect(planned.NextPeriodicLaunch).toMatch(/^\d{4}-\d\d-\d\dT\d\d:(00|15|30|45):00Z$/);
  });

  it('validates and keeps submissions', async () => {
    const { app } = await testApi();
    const bad = JSON.parse(
      (await app.inject(put('/v1/validate/job', { Job: { ID: 'v', TaskGroups: [] } }))).body,
    );
    expect(bad.ValidationErrors.length).toBeGreaterThan(0);
    expect(bad.Error).toMatch(/errors? occurred/);
    const good = JSON.parse((await app.inject(put('/v1/validate/job', { Job: serviceJob('v') }))).body);
    expect(good).toEqual({ DriverConfigValidated: true, ValidationErrors: null, Error: '', Warnings: '' });
    const submission = { Source: 'job "v" {}', Format: 'hcl2', VariableFlags: { a: 'b' }, Variables: '' };
    await app.inject(put('/v1/jobs', { Job: serviceJob('v'), Submission: submission }));
    const read = JSON.parse(
      (await app.inject({ method: 'GET', url: '/v1/job/v/submission?version=0' })).body,
    );
    expect(read).toMatchObject({ ...submission, JobID: 'v', Namespace: 'default', Version: 0 });
  });

  it('answers a blocking query as soon as the index passes, and at the wait otherwise', async () => {
    const { app } = await testApi();
    await app.inject(put('/v1/jobs', { Job: serviceJob('w') }));
    const index = Number((await app.inject({ method: 'GET', url: '/v1/job/w' })).headers['x-nomad-index']);
    const started = Date.now();
    const timedOut = await app.inject({ method: 'GET', url: `/v1/job/w?index=${index}&wait=200ms` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Number(timedOut.headers['x-nomad-index'])).toBe(index);
    const blocked = app.inject({ method: 'GET', url: `/v1/job/w?index=${index}&wait=10s` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const changedAt = Date.now();
    await app.inject(put('/v1/jobs', { Job: serviceJob('w', { Meta: { x: '1' } }) }));
    const res = await blocked;
    expect(Date.now() - changedAt).toBeLessThan(100);
    expect(Number(res.headers['x-nomad-index'])).toBeGreaterThan(index);
    expect(JSON.parse(res.body).Meta).toEqual({ x: '1' });
  });

  it('refuses callers without rights with Nomad ACL errors', async () => {
    const denyAll: Authorizer = {
      authenticate: async (token) => {
        if (token === 'bad')
          throw Object.assign(
            new (await import('../../../src/api/errors.ts')).ApiError(403, 'ACL token not found'),
          );
        return { anonymous: false, username: 'u', groups: [] };
      },
      allowed: async () => false,
    };
    const { app } = await testApi({ authorizer: denyAll });
    for (const [method, url] of [
      ['GET', '/v1/jobs'],
      ['GET', '/v1/jobs?namespace=*'],
      ['GET', '/v1/job/x'],
      ['PUT', '/v1/jobs'],
      ['DELETE', '/v1/job/x'],
      ['GET', '/v1/job/x/allocations'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: { 'x-nomad-token': 'tok' },
        ...(method === 'PUT' ? { payload: JSON.stringify({ Job: serviceJob('x') }) } : {}),
      });
      expect([url, res.statusCode, res.body]).toEqual([url, 403, 'Permission denied']);
    }
    const badToken = await app.inject({
      method: 'GET',
      url: '/v1/jobs',
      headers: { authorization: 'Bearer bad' },
    });
    expect([badToken.statusCode, badToken.body]).toEqual([403, 'ACL token not found']);
  });
});
