// `nomad-operator import` against a real Nomad-API endpoint: the project's own /v1 server on a real
// port, serving Kubernetes namespace A (Nomad's `default`) on the test cluster. Jobs are registered
// through it (a service submitted as HCL with a variable, a batch job, a parameterized parent with a
// dispatched child, a periodic job with a forced launch, a stopped job); then import brings them into
// namespace B with --apply and --report, once by calling the command's function and once as a real
// subprocess: every job arrives (the parameterized parent too, no dispatched child, no periodic
// launch), each imported spec equals its source job, the stopped job stays stopped, the report lists
// every job with its verdict, the source is not written, and the re-run changes nothing. The token
// given with --token wins over NOMAD_TOKEN; over HTTPS (a TLS proxy in front of the server, with a CA
// and certificates made by openssl here), --ca-cert and a client certificate work and a wrong CA fails.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiServer } from '../../src/api/server.ts';
import { IMPORT_FIELD_MANAGER, type ImportIo, runImport } from '../../src/cli/import.ts';
import { jobOfObject } from '../../src/crd/object.ts';
import { group, type NomadJobObject, plural, version } from '../../src/crd/resource.ts';
import { parseJobspec } from '../../src/nomad/hcl/jobspec.ts';
import { jobObjectName } from '../../src/nomad/ids.ts';
import { sameJobSpec } from '../../src/nomad/spec-equal.ts';
import { corpusDir } from '../support/corpus.ts';
import { dockerJob } from './controller/harness.ts';
import {
  grantNomadJobs,
  serviceAccountToken,
  startTestApiServer,
  waitForJobAccess,
} from './support/api-server.ts';
import { createTestNamespace, retryingTooManyRequests, testKubeConfig, waitFor } from './support/kube.ts';

const root = path.resolve(import.meta.dirname, '../..');
const kubeconfig = inject('kubeconfig');
const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);

/** The web job (test/fixtures/corpus/web.nomad.hcl) with its image made a variable, as the
 * Nomad CLI submits it with -var: the submission carries the source and the variable's value. */
const WEB_FIXTURE = readFileSync(`${corpusDir}web.nomad.hcl`, 'utf8');
const WEB_HCL = `variable "image" {
  type    = string
  default = "nginx:1.27"
}

${WEB_FIXTURE.replace('image = "nginx:1.27"', 'image = var.image')}`;
if (!WEB_HCL.includes('image = var.image')) throw new Error('web.nomad.hcl no longer names image nginx:1.27');

/** The jobs import must bring across, by Nomad job ID. */
const IMPORTED = ['nightly', 'old', 'process', 'report', 'web'];

let nsA: { name: string; remove: () => Promise<void> };
let nsB: { name: string; remove: () => Promise<void> };
let server: ApiServer;
let token: string;
let work: string;

async function call(method: string, urlPath: string, body?: unknown, withToken = token) {
  const response = await fetch(new URL(urlPath, server.url), {
    method,
    headers: { 'X-Nomad-Token': withToken, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${method} ${urlPath}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Runs the command's function with buffered output and the given environment. */
async function importWith(argv: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io: ImportIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readStdin: async () => '',
    env,
    progress: false,
  };
  const code = await runImport(argv, io);
  return { code, stdout, stderr };
}

/** Runs `node src/cli/main.ts import …` as a real process. */
function importProcess(argv: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', 'import', ...argv], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function nomadJobs(namespace: string): Promise<NomadJobObject[]> {
  const list = (await retryingTooManyRequests(() =>
    custom.listNamespacedCustomObject({ group, version, namespace, plural }),
  )) as { items: NomadJobObject[] };
  return list.items;
}

/**
 * What a write by import would change, per NomadJob: the spec (its generation), labels, annotations
 * and import's own managedFields entry (its time moves with any apply, even one that changes nothing
 * else). Not the resourceVersion: an operator running cluster-wide beside this test (the chart test's)
 * may write the jobs' status meanwhile, which import never touches.
 */
function importWritable(objects: NomadJobObject[]): Record<string, string> {
  return Object.fromEntries(
    objects.map((o) => [
      o.metadata?.name ?? '',
      JSON.stringify([
        o.metadata?.generation,
        o.metadata?.labels ?? {},
        o.metadata?.annotations ?? {},
        (o.metadata?.managedFields ?? []).filter((f) => f.manager === IMPORT_FIELD_MANAGER),
      ]),
    ]),
  );
}

beforeAll(async () => {
  nsA = await createTestNamespace(kc, 'import-a');
  nsB = await createTestNamespace(kc, 'import-b');
  work = mkdtempSync(path.join(tmpdir(), 'import-test-'));
  server = await startTestApiServer(kc, nsA.name, { allowAnonymous: false });
  // A ServiceAccount allowed to read, register and dispatch jobs in namespace A only.
  token = await serviceAccountToken(kc, nsA.name, 'nomad-user');
  await grantNomadJobs(kc, nsA.name, {
    role: 'nomad-jobs',
    account: 'nomad-user',
    subresources: ['dispatch'],
  });
  await waitForJobAccess(server, token);

  // The service, submitted as the Nomad CLI does: the parsed job plus its source and variables.
  const parsed = await parseJobspec({ hcl: WEB_HCL, variables: 'image = "nginx:1.28"', canonicalize: true });
  if (!parsed.ok) throw new Error(parsed.error);
  await call('PUT', '/v1/jobs', {
    Job: parsed.job,
    Submission: { Source: WEB_HCL, Format: 'hcl2', VariableFlags: { image: 'nginx:1.28' }, Variables: '' },
  });
  await call('PUT', '/v1/jobs', { Job: dockerJob('nightly', { Type: 'batch' }) });
  await call('PUT', '/v1/jobs', {
    Job: dockerJob('process', {
      Type: 'batch',
      ParameterizedJob: { Payload: 'optional', MetaOptional: ['x'] },
    }),
  });
  await call('POST', '/v1/job/process/dispatch', { Meta: { x: '1' } });
  await call('PUT', '/v1/jobs', {
    Job: dockerJob('report', {
      Type: 'batch',
      Periodic: { Enabled: true, SpecType: 'cron', Specs: ['0 3 * * *'], ProhibitOverlap: true },
    }),
  });
  await call('POST', '/v1/job/report/periodic/force');
  await call('PUT', '/v1/jobs', { Job: dockerJob('old') });
  await call('DELETE', '/v1/job/old');
  await waitFor('the two children and the stopped job in the list', async () => {
    const list = (await (
      await fetch(new URL('/v1/jobs', server.url), { headers: { 'X-Nomad-Token': token } })
    ).json()) as Array<{ ID: string; Stop?: boolean }>;
    return list.length === 7 && list.find((j) => j.ID === 'old')?.Stop === true;
  });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await nsA?.remove();
  await nsB?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('nomad-operator import from a /v1 API server', () => {
  it('--namespace B --apply brings every job across, as its source spec, with a report of verdicts', async () => {
    const sourceBefore = importWritable(await nomadJobs(nsA.name));
    expect(Object.keys(sourceBefore)).toHaveLength(7);
    const reportFile = path.join(work, 'report.md');
    const result = await importWith(
      ['--namespace', nsB.name, '--apply', '--report', reportFile, '--kubeconfig', kubeconfig],
      { NOMAD_ADDR: server.url, NOMAD_TOKEN: token },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);

    const imported = await nomadJobs(nsB.name);
    expect(imported.map((o) => o.metadata?.name).sort()).toEqual(IMPORTED.map(jobObjectName));
    for (const object of imported) {
      const decoded = jobOfObject(object);
      if (!decoded.ok) throw new Error(decoded.errors.join('\n'));
      const job = decoded.job;
      expect(job.ParentID ?? '').toBe('');
      expect(job.Namespace).toBe(nsB.name);
      // The source server's bookkeeping stays behind: B's API and controller keep their own.
      for (const key of [
        'status',
        'version',
        'submitTime',
        'jobModifyIndex',
        'createIndex',
        'nomadTokenID',
      ]) {
        expect(object.spec, `${job.ID}: ${key}`).not.toHaveProperty(key);
      }
      const source = await call('GET', `/v1/job/${encodeURIComponent(String(job.ID))}`);
      expect(sameJobSpec({ ...source, Namespace: nsB.name }, job), `spec of ${job.ID}`).toBe(true);
    }
    const old = imported.find((o) => o.metadata?.name === 'old');
    expect(old?.spec.stop).toBe(true);
    const web = imported.find((o) => o.metadata?.name === 'web');
    expect(JSON.stringify(web?.spec)).toContain('nginx:1.28');

    // The source was only read.
    expect(importWritable(await nomadJobs(nsA.name))).toEqual(sourceBefore);

    const report = readFileSync(reportFile, 'utf8');
    const row = (id: string) => report.split('\n').find((line) => line.startsWith(`| \`default/${id}`)) ?? '';
    for (const id of IMPORTED) {
      expect(row(id), `report row of ${id}`).toMatch(/\| (runs as is|runs with warnings|needs action) \|/);
      expect(row(id)).toContain('| new |');
    }
    expect(row('old')).toContain('(stopped)');
    expect(row('process')).toContain('Job (per dispatch)');
    expect(row('report')).toContain('CronJob');
    expect(report).toMatch(
      /### default\/web\n\n- Verdict: \*\*[a-z ]+\*\*\n- Read from: its original submission/,
    );
    expect(report).toMatch(/\| `default\/process\/dispatch-[^`]+` \| dispatched child of "process"/);
    expect(report).toMatch(/\| `default\/report\/periodic-[^`]+` \| periodic launch of "report"/);
    expect(report).toContain('| imported | 5 |');
    expect(report).toContain('| left out | 2 |');
    expect(result.stdout).toMatch(/5 jobs: .*5 new; 2 left out/);
  });

  it('re-run as a real process with NOMAD_ADDR/NOMAD_TOKEN: every job unchanged, nothing written', async () => {
    const before = importWritable(await nomadJobs(nsB.name));
    const reportFile = path.join(work, 'rerun.md');
    const result = await importProcess(
      ['--namespace', nsB.name, '--apply', '--report', reportFile, '--kubeconfig', kubeconfig],
      { NOMAD_ADDR: server.url, NOMAD_TOKEN: token },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(importWritable(await nomadJobs(nsB.name))).toEqual(before);
    const report = readFileSync(reportFile, 'utf8');
    expect(report).toContain('| unchanged | 5 |');
    for (const id of IMPORTED)
      expect(report).toMatch(new RegExp(`\\| \`default/${id}[^\n]*\\| unchanged \\|`));
    expect(result.stdout).toMatch(/5 jobs: .*5 unchanged; 2 left out/);
  });

  it('the dry run compares with the cluster and writes nothing: a changed and a deleted job show what apply would do', async () => {
    const nightly = (await nomadJobs(nsB.name)).find((o) => o.metadata?.name === 'nightly');
    if (!nightly) throw new Error('nightly was not imported');
    await custom.replaceNamespacedCustomObject({
      group,
      version,
      namespace: nsB.name,
      plural,
      name: 'nightly',
      body: { ...nightly, spec: { ...nightly.spec, meta: { edited: 'by hand' } } },
    });
    await custom.deleteNamespacedCustomObject({ group, version, namespace: nsB.name, plural, name: 'old' });
    await waitFor(
      'old to be gone',
      async () => !(await nomadJobs(nsB.name)).some((o) => o.metadata?.name === 'old'),
    );
    const before = importWritable(await nomadJobs(nsB.name));
    const env = { NOMAD_ADDR: server.url, NOMAD_TOKEN: token };
    const dryRun = await importWith(['--namespace', nsB.name, '--kubeconfig', kubeconfig], env);
    expect(dryRun.code, dryRun.stderr + dryRun.stdout).toBe(0);
    expect(dryRun.stdout).toMatch(/default\/nightly +\S+ +[a-z ]+ +\d+ +changed \(would\)/);
    expect(dryRun.stdout).toMatch(/default\/old \(stopped\) +\S+ +[a-z ]+ +\d+ +new \(would\)/);
    expect(dryRun.stdout).toMatch(/5 jobs: .*1 new, 1 changed, 3 unchanged; 2 left out/);
    expect(importWritable(await nomadJobs(nsB.name))).toEqual(before);

    const apply = await importWith(['--namespace', nsB.name, '--apply', '--kubeconfig', kubeconfig], env);
    expect(apply.stdout).toMatch(/5 jobs: .*1 new, 1 changed, 3 unchanged; 2 left out/);
    const restored = await nomadJobs(nsB.name);
    expect(restored.find((o) => o.metadata?.name === 'nightly')?.spec.meta).toBeUndefined();
    expect(restored.find((o) => o.metadata?.name === 'old')?.spec.stop).toBe(true);
  });

  it('--token wins over NOMAD_TOKEN and reaches the server: a bad one fails as the API answers', async () => {
    const result = await importWith(['-o', path.join(work, 'unused')], {
      NOMAD_ADDR: server.url,
      NOMAD_TOKEN: token,
    });
    expect(result.code, result.stderr).toBe(0);
    const bad = await importWith(['--token', 'not-a-token', '-o', path.join(work, 'unused')], {
      NOMAD_ADDR: server.url,
      NOMAD_TOKEN: token,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Error querying jobs: Unexpected response code: 403 (ACL token not found)');
  });
});

const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;

describe.skipIf(!hasOpenssl)('over HTTPS (certificates made with openssl)', () => {
  let proxy: HttpsServer;
  let address: string;
  let certs: string;
  const file = (name: string) => path.join(certs, name);

  function openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: certs, stdio: 'pipe' });
  }

  beforeAll(async () => {
    certs = mkdtempSync(path.join(tmpdir(), 'import-tls-'));
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    for (const ca of ['ca', 'wrong-ca']) {
      openssl(
        'req',
        '-x509',
        ...key,
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.pem`,
        '-days',
        '1',
        '-subj',
        `/CN=${ca}`,
      );
    }
    writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const leaf of ['server', 'client']) {
      openssl('req', ...key, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=${leaf}`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${leaf}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${leaf}.pem`,
        '-days',
        '1',
        '-extfile',
        `${leaf}.ext`,
      );
    }
    // TLS in front of the API server, asking for a client certificate signed by the CA.
    const upstream = new URL(server.url);
    proxy = createHttpsServer(
      {
        key: readFileSync(file('server.key')),
        cert: readFileSync(file('server.pem')),
        ca: readFileSync(file('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const forward = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', () => res.destroy());
        req.pipe(forward);
      },
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    address = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    if (certs) rmSync(certs, { recursive: true, force: true });
  });

  it('--ca-cert and a client certificate: the jobs are read over TLS and written as YAML, twice the same', async () => {
    const out = path.join(work, 'yaml');
    const env = {
      NOMAD_ADDR: address,
      NOMAD_CLIENT_CERT: file('client.pem'),
      NOMAD_CLIENT_KEY: file('client.key'),
    };
    const argv = ['--ca-cert', file('ca.pem'), '--token', token, '-o', out];
    const first = await importWith(argv, env);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(readdirSync(path.join(out, 'default')).sort()).toEqual(
      IMPORTED.map((id) => `${jobObjectName(id)}.yaml`),
    );
    expect(first.stdout).toMatch(/5 jobs: .*5 new; 2 left out/);
    const again = await importWith(argv, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/5 jobs: .*5 unchanged; 2 left out/);
  });

  it('a CA that did not sign the server certificate fails clearly, naming the request', async () => {
    const result = await importWith(['--ca-cert', file('wrong-ca.pem'), '-o', path.join(work, 'never')], {
      NOMAD_ADDR: address,
      NOMAD_TOKEN: token,
      NOMAD_CLIENT_CERT: file('client.pem'),
      NOMAD_CLIENT_KEY: file('client.key'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: Error querying jobs: GET ${address}/v1/jobs\\?namespace=default: .*certificate`,
        'm',
      ),
    );
  });
});
