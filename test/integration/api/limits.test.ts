// The job limits (src/api/limits.ts) against the real apiserver: what the API accepts at its bounds
// (a 1 KiB job ID, a job just under 1 MiB of JSON, 100 task groups) is stored, and what is over
// them gets Nomad-style 400s where the apiserver would have answered with its own text as a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_ID_MAX_BYTES } from '../../../src/api/limits.ts';
import type { ApiServer } from '../../../src/api/server.ts';
import { startTestApiServer } from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig } from '../support/kube.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };
let server: ApiServer;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'limits');
  server = await startTestApiServer(kc, ns.name);
});
afterAll(async () => {
  await server?.close();
  await ns?.remove();
});

const job = (id: string, extra: Record<string, unknown> = {}) => ({
  ID: id,
  Type: 'service',
  Datacenters: ['dc1'],
  TaskGroups: [
    { Name: 'web', Count: 1, Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'nginx:1' } }] },
  ],
  ...extra,
});

async function register(body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: body }) });
  return { status: res.status, text: await res.text() };
}

describe('job limits on a real apiserver', () => {
  it('stores what it accepts at the bounds, and can read it back by ID', async () => {
    const longestId = `long-${'i'.repeat(JOB_ID_MAX_BYTES - 5)}`;
    expect((await register(job(longestId))).status).toBe(200);
    const read = await fetch(`${server.url}/v1/job/${encodeURIComponent(longestId)}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { ID: string }).ID).toBe(longestId);

    const nearlyOneMiB = await register(job('heavy', { Meta: { blob: 'x'.repeat(1_000_000) } }));
    expect(nearlyOneMiB.status, nearlyOneMiB.text).toBe(200);

    const groups = Array.from({ length: 100 }, (_, i) => ({
      Name: `g${i}`,
      Count: 1,
      Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'nginx:1' } }],
    }));
    const wide = await register(job('wide', { TaskGroups: groups }));
    expect(wide.status, wide.text).toBe(200);
  });

  it('answers 400 where the apiserver would refuse the NomadJob with a 500', async () => {
    const longId = await register(job('a'.repeat(300_000)));
    expect(longId).toEqual({
      status: 400,
      text: 'job ID length was greater than the limit: 300000 > 1024 bytes',
    });
    const big = await register(job('big', { Meta: { blob: 'x'.repeat(2_000_000) } }));
    expect(big.status).toBe(400);
    expect(big.text).toMatch(/^job size was greater than configured job_max_size: \d+ > 1048576 bytes$/);
    const jobs = (await (await fetch(`${server.url}/v1/jobs`)).json()) as { ID: string }[];
    expect(jobs.map((j) => j.ID).filter((id) => id === 'big' || id.startsWith('aaa'))).toEqual([]);
  });

  it('dispatches with the longest ID prefix template, and refuses a longer one with a 400', async () => {
    const parent = job('param', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } });
    expect((await register(parent)).status).toBe(200);
    const dispatch = async (body: unknown) => {
      const res = await fetch(`${server.url}/v1/job/param/dispatch`, {
        method: 'PUT',
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const over = await dispatch({ IdPrefixTemplate: 't'.repeat(300_000) });
    expect(over).toEqual({
      status: 400,
      text: `dispatch ID prefix template length was greater than the limit: 300000 > ${JOB_ID_MAX_BYTES} bytes`,
    });
    const longest = await dispatch({ IdPrefixTemplate: 't'.repeat(JOB_ID_MAX_BYTES) });
    expect(longest.status, longest.text).toBe(200);
    const childId = (JSON.parse(longest.text) as { DispatchedJobID: string }).DispatchedJobID;
    expect(childId.startsWith(`param/dispatch-${'t'.repeat(JOB_ID_MAX_BYTES)}-`)).toBe(true);
    const read = await fetch(`${server.url}/v1/job/${encodeURIComponent(childId)}`);
    expect(read.status).toBe(200);
  });
});
