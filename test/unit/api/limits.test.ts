// The API's limits (src/api/limits.ts) on a real Fastify app over the in-memory cluster: job limits
// refused before anything is written, with Nomad's answer where Nomad has the limit (job_max_count)
// and a 400 where it does not; the bound on held blocking queries; the request timeouts on a real
// listening server with raw sockets.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allowAll } from '../../../src/api/acl.ts';
import type { JobActions } from '../../../src/api/actions.ts';
import { buildApiApp } from '../../../src/api/app.ts';
import { BlockingQueryGate, DEFAULT_API_LIMITS, JOB_ID_MAX_BYTES } from '../../../src/api/limits.ts';
import { ClusterState } from '../../../src/api/state.ts';
import { ApiStore } from '../../../src/api/store.ts';
import type { ApiLimits } from '../../../src/config.ts';
import { rawExchange } from '../../support/raw-exchange.ts';
import { MemoryCluster, recordingDispatchActions, serviceJob } from './support.ts';

async function limitedApi(limits: Partial<ApiLimits> = {}, gate?: BlockingQueryGate, actions?: JobActions) {
  const cluster = new MemoryCluster();
  const store = new ApiStore(new ClusterState(cluster.sources), cluster.writer());
  const app = buildApiApp({
    store,
    authorizer: allowAll,
    limits: { ...DEFAULT_API_LIMITS, ...limits },
    ...(gate ? { blockingQueries: gate } : {}),
    ...(actions ? { actions } : {}),
  });
  await app.ready();
  return { app, cluster };
}

const group = (name: string, count: number) => ({
  Name: name,
  Count: count,
  Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1' } }],
});

const groups = (n: number, count = 1) => Array.from({ length: n }, (_, i) => group(`g${i}`, count));

describe('job limits on register', () => {
  it('refuses a 1,000-group job with the default limits (400), writing nothing', async () => {
    const { app, cluster } = await limitedApi();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('wide', { TaskGroups: groups(1000) }) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(
      'number of task groups was greater than configured job_max_task_groups: 1000 > 100',
    );
    expect(cluster.sources.NomadJob.list()).toEqual([]);
    expect(cluster.sources.ControllerRevision.list()).toEqual([]);
  });

  it('accepts a job at the task group bound and refuses one more, also at /v1/job/<id>', async () => {
    const { app, cluster } = await limitedApi({ jobMaxTaskGroups: 3 });
    const ok = await app.inject({
      method: 'PUT',
      url: '/v1/job/three',
      payload: { Job: serviceJob('three', { TaskGroups: groups(3) }) },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const over = await app.inject({
      method: 'PUT',
      url: '/v1/job/four',
      payload: { Job: serviceJob('four', { TaskGroups: groups(4) }) },
    });
    expect(over.statusCode).toBe(400);
    expect(over.body).toBe('number of task groups was greater than configured job_max_task_groups: 4 > 3');
    expect(cluster.sources.NomadJob.list().map((o) => o.metadata?.name)).toEqual(['three']);
  });

  it("refuses a total count over job_max_count with Nomad's validation error (500), counting unset counts as 1", async () => {
    const { app, cluster } = await limitedApi({ jobMaxCount: 10 });
    const atBound = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: {
        Job: serviceJob('ten', { TaskGroups: [group('a', 9), { ...group('b', 0), Count: undefined }] }),
      },
    });
    expect(atBound.statusCode, atBound.body).toBe(200);
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('many', { TaskGroups: [group('a', 7), group('b', 5)] }) },
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).toBe(
      '1 error occurred:\n\t* total count was greater than configured job_max_count: 12 > 10\n\n',
    );
    expect(cluster.sources.NomadJob.list().map((o) => o.metadata?.name)).toEqual(['ten']);
  });

  it("keeps Nomad's default job_max_count of 50,000, and 0 turns it off", async () => {
    const { app } = await limitedApi();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('huge', { TaskGroups: [group('a', 50_001)] }) },
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('total count was greater than configured job_max_count: 50001 > 50000');
    const unbounded = await limitedApi({ jobMaxCount: 0 });
    const ok = await unbounded.app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('huge', { TaskGroups: [group('a', 50_001)] }) },
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('refuses a job over the size bound (400): 1 MiB of JSON by default', async () => {
    const { app, cluster } = await limitedApi();
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('big', { Meta: { blob: 'x'.repeat(1_200_000) } }) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/^job size was greater than configured job_max_size: \d+ > 1048576 bytes$/);
    expect(cluster.sources.NomadJob.list()).toEqual([]);
    const fits = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('fits', { Meta: { blob: 'x'.repeat(900_000) } }) },
    });
    expect(fits.statusCode, fits.body).toBe(200);
  });

  it('refuses a job ID over 1 KiB of UTF-8 (400), before the apiserver would', async () => {
    const { app, cluster } = await limitedApi();
    const longest = 'a'.repeat(JOB_ID_MAX_BYTES);
    const ok = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: serviceJob(longest) } });
    expect(ok.statusCode, ok.body).toBe(200);
    // 342 three-byte characters: fewer characters than the bound, more bytes.
    for (const id of ['a'.repeat(JOB_ID_MAX_BYTES + 1), '€'.repeat(342), 'z'.repeat(300_000)]) {
      const res = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: serviceJob(id) } });
      expect(res.statusCode).toBe(400);
      expect(res.body).toBe(
        `job ID length was greater than the limit: ${Buffer.byteLength(id)} > ${JOB_ID_MAX_BYTES} bytes`,
      );
    }
    expect(cluster.sources.NomadJob.list()).toHaveLength(1);
  });

  it('applies the same job limits to a plan', async () => {
    const { app } = await limitedApi({ jobMaxTaskGroups: 2 });
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/job/wide/plan',
      payload: { Job: serviceJob('wide', { TaskGroups: groups(3) }) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe('number of task groups was greater than configured job_max_task_groups: 3 > 2');
  });

  it("refuses a scale that takes the job's total count over job_max_count, as Nomad's Job.Scale (500)", async () => {
    const { app } = await limitedApi({ jobMaxCount: 10 });
    const reg = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      payload: { Job: serviceJob('scaled', { TaskGroups: [group('a', 4), group('b', 4)] }) },
    });
    expect(reg.statusCode, reg.body).toBe(200);
    const scale = (count: number) =>
      app.inject({
        method: 'PUT',
        url: '/v1/job/scaled/scale',
        payload: { Count: count, Target: { Group: 'a' } },
      });
    const over = await scale(7);
    expect(over.statusCode).toBe(500);
    expect(over.body).toBe('total count was greater than configured job_max_count: 11 > 10');
    const counts = async () => {
      const read = await app.inject({ method: 'GET', url: '/v1/job/scaled' });
      return (JSON.parse(read.body) as { TaskGroups: { Count: number }[] }).TaskGroups.map((g) => g.Count);
    };
    expect(await counts()).toEqual([4, 4]);
    const ok = await scale(6);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await counts()).toEqual([6, 4]);
  });
});

describe('job limits elsewhere', () => {
  it('lists the limit a job is over among the validation errors of /v1/validate/job', async () => {
    const { app } = await limitedApi({ jobMaxTaskGroups: 2, jobMaxCount: 10 });
    const validate = async (job: Record<string, unknown>) => {
      const res = await app.inject({ method: 'PUT', url: '/v1/validate/job', payload: { Job: job } });
      expect(res.statusCode, res.body).toBe(200);
      return JSON.parse(res.body) as { ValidationErrors: string[] | null; Error: string };
    };
    expect((await validate(serviceJob('fine'))).ValidationErrors).toBeNull();
    expect(await validate(serviceJob('wide', { TaskGroups: groups(3) }))).toMatchObject({
      ValidationErrors: ['number of task groups was greater than configured job_max_task_groups: 3 > 2'],
    });
    expect(await validate(serviceJob('many', { TaskGroups: [group('a', 11)] }))).toEqual(
      expect.objectContaining({
        ValidationErrors: ['total count was greater than configured job_max_count: 11 > 10'],
        Error: '1 error occurred:\n\t* total count was greater than configured job_max_count: 11 > 10\n\n',
      }),
    );
  });

  it('refuses a dispatch whose child could not be stored (400) before dispatching', async () => {
    const { actions, requests } = recordingDispatchActions(() => 'dispatched');
    const { app } = await limitedApi({}, undefined, actions);
    const parent = serviceJob('param', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } });
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: parent } });
    expect(reg.statusCode, reg.body).toBe(200);
    const dispatch = (body: unknown) =>
      app.inject({ method: 'PUT', url: '/v1/job/param/dispatch', payload: body as Record<string, unknown> });

    const template = await dispatch({ IdPrefixTemplate: 't'.repeat(JOB_ID_MAX_BYTES + 1) });
    expect(template.statusCode).toBe(400);
    expect(template.body).toBe(
      `dispatch ID prefix template length was greater than the limit: ${JOB_ID_MAX_BYTES + 1} > ${JOB_ID_MAX_BYTES} bytes`,
    );
    const meta = await dispatch({ Meta: { blob: 'm'.repeat(1_100_000) } });
    expect(meta.statusCode).toBe(400);
    expect(meta.body).toMatch(/^job size was greater than configured job_max_size: \d+ > 1048576 bytes$/);
    expect(requests).toEqual([]);

    const fits = await dispatch({ IdPrefixTemplate: 't'.repeat(JOB_ID_MAX_BYTES), Meta: { small: 'x' } });
    expect(fits.body).toBe('dispatched');
    expect(requests).toHaveLength(1);
  });
});

describe('the bound on held blocking queries', () => {
  it('holds queries up to the bound, answers further ones at once, and frees slots when they are answered', async () => {
    const gate = new BlockingQueryGate(2);
    const { app } = await limitedApi({}, gate);
    const seed = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: serviceJob('seed') } });
    expect(seed.statusCode, seed.body).toBe(200);
    const first = await app.inject({ method: 'GET', url: '/v1/jobs' });
    const index = Number(first.headers['x-nomad-index']);
    expect(index).toBeGreaterThan(0);
    const blocking = () => app.inject({ method: 'GET', url: `/v1/jobs?index=${index}&wait=5m` });

    const held = [blocking(), blocking()];
    await vi.waitFor(() => expect(gate.held).toBe(2));
    const atOnce = await blocking();
    expect(atOnce.statusCode).toBe(200);
    expect(Number(atOnce.headers['x-nomad-index'])).toBe(index);
    expect((JSON.parse(atOnce.body) as { ID: string }[]).map((j) => j.ID)).toEqual(['seed']);
    expect(gate.answeredAtOnce).toBe(1);
    expect(gate.held).toBe(2);

    // A change wakes the held queries; their slots are free again.
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: serviceJob('wake') } });
    expect(reg.statusCode, reg.body).toBe(200);
    for (const res of await Promise.all(held)) {
      expect(res.statusCode).toBe(200);
      expect(Number(res.headers['x-nomad-index'])).toBeGreaterThan(index);
      expect((JSON.parse(res.body) as { ID: string }[]).map((j) => j.ID).sort()).toEqual(['seed', 'wake']);
    }
    expect(gate.held).toBe(0);
    const next = Number(reg.headers['x-nomad-index']);
    const again = app.inject({ method: 'GET', url: `/v1/jobs?index=${next + 1000}&wait=5m` });
    await vi.waitFor(() => expect(gate.held).toBe(1));
    await app.close();
    expect((await again).statusCode).toBe(200);
    expect(gate.held).toBe(0);
  });

  it('frees the slot of a query whose client went away', async () => {
    const gate = new BlockingQueryGate(1);
    const { app } = await limitedApi({}, gate);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${port}/v1/jobs?index=100000&wait=5m`, {
        signal: controller.signal,
      }).catch((error: unknown) => error);
      await vi.waitFor(() => expect(gate.held).toBe(1));
      controller.abort();
      await pending;
      await vi.waitFor(() => expect(gate.held).toBe(0));
    } finally {
      await app.close();
    }
  });
});

describe('request timeouts on a listening server', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function listening(limits: Partial<ApiLimits>) {
    const { app } = await limitedApi(limits);
    await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
    const address = app.server.address();
    return { app, port: typeof address === 'object' && address ? address.port : 0 };
  }

  it('cuts off a client that sends its body a byte at a time (408), and keeps serving others', async () => {
    const { port } = await listening({ requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    let sent = 0;
    const answer = await rawExchange(`http://127.0.0.1:${port}`, (socket) => {
      socket.write('PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
      const drip = setInterval(() => {
        if (socket.destroyed || socket.writableEnded) {
          clearInterval(drip);
          return;
        }
        socket.write('{');
        sent++;
      }, 50);
      socket.on('close', () => clearInterval(drip));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    console.log(`slow body cut off after ${sent} of 100000 bytes`);
    const ok = await fetch(`http://127.0.0.1:${port}/v1/jobs`);
    expect(ok.status).toBe(200);
  });

  it('cuts off a client that never finishes its headers, or sends nothing (408)', async () => {
    const { port } = await listening({ requestTimeoutMs: 2_000, headersTimeoutMs: 500 });
    const partial = await rawExchange(`http://127.0.0.1:${port}`, (socket) =>
      socket.write('GET /v1/jobs HTTP/1.1\r\nHost: x\r\n'),
    );
    expect(partial).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const silent = await rawExchange(`http://127.0.0.1:${port}`, () => undefined);
    expect(silent).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('does not cut off a blocking query that waits longer than the request timeout', async () => {
    const { app, port } = await listening({ requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: serviceJob('seed') } });
    const first = await fetch(`http://127.0.0.1:${port}/v1/jobs`);
    const index = first.headers.get('x-nomad-index');
    expect(Number(index)).toBeGreaterThan(0);
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/v1/jobs?index=${index}&wait=2500ms`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-nomad-index')).toBe(index);
    console.log(`blocking query answered after ${Date.now() - started} ms (request timeout 1000 ms)`);
  });
});
