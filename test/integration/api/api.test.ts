// The Nomad /v1 API on a real HTTP server backed by the real apiserver, with the controller running
// in-process: both doors (Nomad API and Kubernetes) show the same jobs, pods are allocations,
// indexes are resourceVersions, blocked queries wake on watch events, and ACLs are Kubernetes RBAC.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/api/server.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { dockerJob, type Harness, startController } from '../controller/harness.ts';
import {
  grantNomadJobs,
  serviceAccountToken,
  startTestApiServer,
  waitForJobAccess,
} from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);

let nsA: { name: string; remove: () => Promise<void> };
let nsB: { name: string; remove: () => Promise<void> };
let harness: Harness;
let server: ApiServer;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: token ? { 'X-Nomad-Token': token } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body);
const index = (a: Answer) => Number(a.headers.get('x-nomad-index'));

beforeAll(async () => {
  nsA = await createTestNamespace(kc, 'api-a');
  nsB = await createTestNamespace(kc, 'api-b');
  harness = await startController(kc, nsA.name);
  server = await startTestApiServer(kc, nsA.name);
});

afterAll(async () => {
  await server?.close();
  await harness?.stop();
  await nsA?.remove();
  await nsB?.remove();
});

describe('the two doors', () => {
  it('a job registered through the API is the NomadJob kubectl shows, and its pods are allocations', async () => {
    const job = dockerJob('web/front', { Meta: { team: 'core' } }, 2);
    const reg = await api('PUT', '/v1/jobs', { Job: job });
    expect(reg.status, reg.text).toBe(200);
    const body = reg.json() as { EvalID: string; JobModifyIndex: number; Index: number };
    expect(index(reg)).toBe(body.Index);

    const list = (await custom.listNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: nsA.name,
    })) as {
      items: NomadJobObject[];
    };
    const object = list.items.find(
      (o) => o.metadata?.annotations?.['nomadoperator.dev/job-id'] === 'web/front',
    );
    expect(object?.spec).toMatchObject({ id: 'web/front', meta: { team: 'core' } });
    expect(Number(object?.metadata?.resourceVersion)).toBeGreaterThanOrEqual(body.JobModifyIndex);

    const allocs = await waitFor('two running allocations', async () => {
      const res = await api('GET', `/v1/job/${encodeURIComponent('web/front')}/allocations`);
      const items = res.json() as Array<{ ID: string; ClientStatus: string }>;
      return items.length === 2 && items.every((a) => a.ClientStatus === 'running') ? items : undefined;
    });
    const pods = await core.listNamespacedPod({
      namespace: nsA.name,
      labelSelector: `nomadoperator.dev/job=${object?.metadata?.name}`,
    });
    expect(allocs.map((a) => a.ID).sort()).toEqual(pods.items.map((p) => p.metadata?.uid).sort());
    for (const alloc of allocs as Array<Record<string, unknown>>) {
      expect(alloc).toMatchObject({
        JobID: 'web/front',
        TaskGroup: 'app',
        DesiredStatus: 'run',
        JobVersion: 0,
      });
      expect((alloc.TaskStates as Record<string, { State: string }>).main?.State).toBe('running');
      const one = await api('GET', `/v1/allocation/${alloc.ID}`);
      expect((one.json() as { Job: { ID: string } }).Job.ID).toBe('web/front');
    }
    const summary = await waitFor('summary shows running', async () => {
      const s = (await api('GET', '/v1/job/web/front/summary')).json() as {
        Summary: { app: { Running: number } };
      };
      return s.Summary.app.Running === 2 ? s : undefined;
    });
    expect(summary).toMatchObject({ JobID: 'web/front', Namespace: 'default' });
    const job2 = (await api('GET', '/v1/job/web%2Ffront')).json() as { Status: string; Version: number };
    expect(job2).toMatchObject({ Status: 'running', Version: 0 });
    const deployment = await waitFor('deployment successful', async () => {
      const d = (await api('GET', '/v1/job/web%2Ffront/deployment')).json() as { Status: string } | null;
      return d?.Status === 'successful' ? d : undefined;
    });
    expect(deployment).toMatchObject({ JobID: 'web/front', JobVersion: 0 });
  });

  it('a NomadJob applied through Kubernetes shows up in GET /v1/jobs', async () => {
    await harness.submit(dockerJob('from-kubectl'));
    const list = await waitFor('the job in the list', async () => {
      const res = await api('GET', '/v1/jobs?prefix=from-');
      const items = res.json() as Array<{ ID: string; Namespace: string }>;
      return items.length === 1 ? items : undefined;
    });
    expect(list[0]).toMatchObject({ ID: 'from-kubectl', Namespace: 'default' });
    const versions = await waitFor('version 0 recorded', async () => {
      const v = (await api('GET', '/v1/job/from-kubectl/versions')).json() as {
        Versions: Array<{ Version: number }>;
      };
      return v.Versions.length === 1 ? v : undefined;
    });
    expect(versions.Versions[0]?.Version).toBe(0);
  });
});

describe('indexes', () => {
  it('are resourceVersions: monotonic, and consistent between headers and bodies', async () => {
    const first = await api('PUT', '/v1/jobs', { Job: dockerJob('idx') });
    const read1 = await api('GET', '/v1/job/idx');
    const job1 = read1.json() as {
      ModifyIndex: number;
      JobModifyIndex: number;
      CreateIndex: number;
      Version: number;
    };
    expect(index(read1)).toBe(job1.ModifyIndex);
    expect(job1.CreateIndex).toBeLessThanOrEqual(job1.JobModifyIndex);
    expect(job1.JobModifyIndex).toBe((first.json() as { JobModifyIndex: number }).JobModifyIndex);

    const second = await api('PUT', '/v1/jobs', { Job: dockerJob('idx', { Meta: { v: '2' } }) });
    expect(index(second)).toBeGreaterThan(index(first));
    const job2 = await waitFor('version 1 recorded', async () => {
      const j = (await api('GET', '/v1/job/idx')).json() as typeof job1;
      return j.Version === 1 ? j : undefined;
    });
    expect(job2.JobModifyIndex).toBe((second.json() as { JobModifyIndex: number }).JobModifyIndex);
    expect(job2.CreateIndex).toBe(job1.CreateIndex);
    expect(job2.ModifyIndex).toBeGreaterThan(job1.ModifyIndex);
    const list = await api('GET', '/v1/jobs');
    expect(index(list)).toBeGreaterThanOrEqual(job2.ModifyIndex);
    const enforced = await api('PUT', '/v1/jobs', {
      Job: dockerJob('idx'),
      EnforceIndex: true,
      JobModifyIndex: job2.JobModifyIndex,
    });
    expect(enforced.status, enforced.text).toBe(200);
    const conflicting = await api('PUT', '/v1/jobs', {
      Job: dockerJob('idx'),
      EnforceIndex: true,
      JobModifyIndex: job2.JobModifyIndex,
    });
    expect(conflicting.status).toBe(500);
    expect(conflicting.text).toMatch(
      /^Enforcing job modify index \d+: job exists with conflicting job modify index: \d+$/,
    );
  });

  it('a blocked GET returns within 100 ms of the change that passes its index', async () => {
    await api('PUT', '/v1/jobs', { Job: dockerJob('blocker') });
    const latencies: number[] = [];
    // The best of three tries: the machine may be busy with other test files meanwhile.
    for (let attempt = 1; attempt <= 3 && !latencies.some((l) => l < 100); attempt++) {
      // Wait for a quiet job (the controller writes status while pods start).
      let current = await api('GET', '/v1/job/blocker');
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const again = await api('GET', '/v1/job/blocker');
        if (index(again) === index(current)) break;
        current = again;
      }
      let returned = false;
      const blocked = api('GET', `/v1/job/blocker?index=${index(current)}&wait=60s`).then((res) => {
        returned = true;
        return res;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (returned) continue; // woken by something else; try again
      // The change comes through Kubernetes, not through the API.
      const name = 'blocker';
      const object = (await custom.getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: nsA.name,
        name,
      })) as NomadJobObject;
      object.spec = { ...object.spec, meta: { changed: String(attempt) } };
      const replaced = (await custom.replaceNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: nsA.name,
        name,
        body: object,
      })) as NomadJobObject;
      const changedAt = Date.now();
      const res = await blocked;
      latencies.push(Date.now() - changedAt);
      expect(index(res)).toBeGreaterThanOrEqual(Number(replaced.metadata?.resourceVersion));
      expect((res.json() as { Meta: Record<string, string> }).Meta).toEqual({ changed: String(attempt) });
    }
    expect(Math.min(...latencies)).toBeLessThan(100);
  });
});

describe('ACL', () => {
  let secured: ApiServer;
  let noRights: string;
  let onlyA: string;

  beforeAll(async () => {
    secured = await startTestApiServer(kc, nsA.name, { allowAnonymous: false });
    noRights = await serviceAccountToken(kc, nsA.name, 'no-rights');
    onlyA = await serviceAccountToken(kc, nsA.name, 'only-a');
    await grantNomadJobs(kc, nsA.name, { role: 'nomad-jobs', account: 'only-a', subresources: ['scale'] });
    await waitForJobAccess(secured, onlyA);
  });

  afterAll(async () => {
    await secured?.close();
  });

  const endpoints = (ns: string): Array<[string, string, unknown?]> => [
    ['GET', `/v1/jobs?namespace=${ns}`],
    ['PUT', `/v1/jobs?namespace=${ns}`, { Job: dockerJob('acl-job') }],
    ['GET', `/v1/job/acl-job?namespace=${ns}`],
    ['PUT', `/v1/job/acl-job?namespace=${ns}`, { Job: dockerJob('acl-job') }],
    ['DELETE', `/v1/job/acl-job?namespace=${ns}`],
    ['DELETE', `/v1/job/acl-job?namespace=${ns}&purge=true`],
    ['GET', `/v1/job/acl-job/versions?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/summary?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/allocations?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/deployments?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/deployment?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/scale?namespace=${ns}`],
    ['PUT', `/v1/job/acl-job/scale?namespace=${ns}`, { Count: 2, Target: { Group: 'app' } }],
    ['PUT', `/v1/job/acl-job/plan?namespace=${ns}`, { Job: dockerJob('acl-job') }],
    ['PUT', `/v1/job/acl-job/evaluate?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/services?namespace=${ns}`],
    ['GET', `/v1/job/acl-job/evaluations?namespace=${ns}`],
    ['PUT', `/v1/job/acl-job/dispatch?namespace=${ns}`, { Meta: { k: 'v' } }],
    ['PUT', `/v1/job/acl-job/periodic/force?namespace=${ns}`],
    ['PUT', `/v1/job/acl-job/revert?namespace=${ns}`, { JobID: 'acl-job', JobVersion: 0 }],
    ['PUT', `/v1/job/acl-job/stable?namespace=${ns}`, { JobID: 'acl-job', JobVersion: 0, Stable: true }],
    ['GET', `/v1/job/acl-job/submission?version=0&namespace=${ns}`],
    ['PUT', `/v1/validate/job?namespace=${ns}`, { Job: dockerJob('acl-job') }],
    ['PUT', `/v1/jobs/parse?namespace=${ns}`, { JobHCL: 'job "x" {}' }],
  ];

  it('a token without rights gets 403 on every endpoint that needs them; no token and bad tokens too', async () => {
    for (const [method, path, body] of endpoints('default')) {
      const res = await call(secured.url, method, path, body, noRights);
      expect([method, path, res.status, res.text]).toEqual([method, path, 403, 'Permission denied']);
    }
    const all = await call(secured.url, 'GET', '/v1/jobs?namespace=*', undefined, noRights);
    expect(all.status).toBe(403);
    const anonymous = await call(secured.url, 'GET', '/v1/jobs');
    expect([anonymous.status, anonymous.text]).toEqual([403, 'Permission denied']);
    const bogus = await call(secured.url, 'GET', '/v1/jobs', undefined, 'not-a-token');
    expect([bogus.status, bogus.text]).toEqual([403, 'ACL token not found']);
  });

  it('a token allowed only in namespace A works there and can do nothing in namespace B', async () => {
    const reg = await call(secured.url, 'PUT', '/v1/jobs', { Job: dockerJob('acl-job') }, onlyA);
    expect(reg.status, reg.text).toBe(200);
    const read = await call(secured.url, 'GET', '/v1/job/acl-job', undefined, onlyA);
    expect(read.status).toBe(200);
    const bearer = await fetch(`${secured.url}/v1/job/acl-job`, {
      headers: { Authorization: `Bearer ${onlyA}` },
    });
    expect(bearer.status).toBe(200);
    for (const [method, path, body] of endpoints(nsB.name)) {
      const res = await call(secured.url, method, path, body, onlyA);
      expect([method, path, res.status, res.text]).toEqual([method, path, 403, 'Permission denied']);
    }
    const all = (await call(secured.url, 'GET', '/v1/jobs?namespace=*', undefined, onlyA)).json() as Array<{
      Namespace: string;
    }>;
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((j) => j.Namespace === 'default')).toBe(true);
  });
});
