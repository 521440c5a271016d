// `nomad-operator import` end to end against a real HTTP server that answers as a Nomad agent does
// (fixed jobs in two namespaces; every request recorded), without a Kubernetes cluster: -o - prints
// the NomadJobs on stdout and the table on stderr; -o DIR writes one file per job and a re-run finds
// them unchanged; the dry run without a cluster still prints the plan; a submission is preferred, and
// one that does not convert falls back to the JSON job with a note; a job that cannot be read makes
// the exit status 1; only GETs are sent, with the token and the region.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportIo, runImport } from '../../../src/cli/import.ts';

const job = (id: string, namespace: string, extra: Record<string, unknown> = {}) => ({
  ID: id,
  Name: id,
  Namespace: namespace,
  Type: 'service',
  Datacenters: ['*'],
  Version: 2,
  Status: 'running',
  SubmitTime: 1700000000000000000,
  CreateIndex: 10,
  ModifyIndex: 12,
  JobModifyIndex: 12,
  Stable: true,
  Stop: false,
  TaskGroups: [{ Name: 'app', Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'app:1' } }] }],
  ...extra,
});

const JOBS: Record<string, Record<string, unknown>> = {
  'default/web': job('web', 'default'),
  'default/broken-source': job('broken-source', 'default'),
  'default/batch': job('batch', 'default', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } }),
  'default/batch/dispatch-1-abc': job('batch/dispatch-1-abc', 'default', {
    Type: 'batch',
    ParentID: 'batch',
    Dispatched: true,
  }),
  'prod/api': job('api', 'prod', { Stop: true }),
  'prod/unreadable': job('unreadable', 'prod'),
};

const SUBMISSIONS: Record<string, unknown> = {
  'default/web': {
    Source:
      'variable "image" {\n  type = string\n}\njob "web" {\n  group "app" {\n    task "main" {\n      driver = "docker"\n      config {\n        image = var.image\n      }\n    }\n  }\n}\n',
    Format: 'hcl2',
    VariableFlags: { image: 'from-submission:2' },
    Variables: '',
  },
  'default/broken-source': {
    Source: 'job "broken-source" {',
    Format: 'hcl2',
    VariableFlags: null,
    Variables: '',
  },
};

let server: Server;
let address: string;
const requests: { method: string; url: string; token: string | undefined }[] = [];
let work: string;

function answer(req: IncomingMessage): [number, unknown] {
  const url = new URL(req.url ?? '/', 'http://x');
  const namespace = url.searchParams.get('namespace') ?? 'default';
  if (url.pathname === '/v1/jobs') {
    const stubs = Object.values(JOBS)
      .filter((j) => namespace === '*' || j.Namespace === namespace)
      .map(({ ID, Namespace, ParentID, Type, Stop }) => ({
        ID,
        Namespace,
        ParentID: ParentID ?? '',
        Type,
        Stop,
      }));
    // A job purged after the list was made: listed, but not found when read.
    if (namespace !== 'prod') {
      stubs.push({ ID: 'vanished', Namespace: 'default', ParentID: '', Type: 'service', Stop: false });
    }
    return [200, stubs];
  }
  const submission = /^\/v1\/job\/(.+)\/submission$/.exec(url.pathname);
  if (submission) {
    const found = SUBMISSIONS[`${namespace}/${decodeURIComponent(submission[1] ?? '')}`];
    return found && url.searchParams.get('version') === '2' ? [200, found] : [404, 'job source not found'];
  }
  const read = /^\/v1\/job\/(.+)$/.exec(url.pathname);
  if (read) {
    const id = decodeURIComponent(read[1] ?? '');
    if (id === 'unreadable') return [500, 'rpc error: boom'];
    const found = JOBS[`${namespace}/${id}`];
    return found ? [200, found] : [404, 'job not found'];
  }
  return [404, 'not found'];
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'import-command-'));
  server = createServer((req, res) => {
    const header = req.headers['x-nomad-token'];
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      token: typeof header === 'string' ? header : undefined,
    });
    const [status, body] = answer(req);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

async function runWith(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: ImportIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readStdin: async () => '',
    env: { NOMAD_ADDR: address, ...env },
    progress: false,
  };
  return { code: await runImport(argv, io), stdout, stderr };
}

describe('nomad-operator import (against an HTTP server answering as Nomad)', () => {
  it('-o - prints one NomadJob per job on stdout and the table on stderr; the token and region are sent', async () => {
    requests.length = 0;
    const result = await runWith(['-o', '-', '--region', 'eu'], {
      NOMAD_TOKEN: 't0ken',
      NOMAD_NAMESPACE: 'default',
    });
    expect(result.code, result.stderr).toBe(0);
    const objects = yaml.loadAll(result.stdout) as Array<{
      metadata: { name: string; namespace: string };
      spec: Record<string, unknown>;
    }>;
    expect(objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'default/batch',
      'default/broken-source',
      'default/web',
    ]);
    const web = objects.find((o) => o.metadata.name === 'web');
    expect(JSON.stringify(web?.spec)).toContain('from-submission:2');
    // The source server's bookkeeping (status, version, indexes) is not part of the imported spec.
    const batch = objects.find((o) => o.metadata.name === 'batch');
    expect(batch?.spec).toMatchObject({ id: 'batch', type: 'batch' });
    for (const key of [
      'status',
      'version',
      'submitTime',
      'jobModifyIndex',
      'createIndex',
      'modifyIndex',
      'stable',
    ]) {
      expect(batch?.spec).not.toHaveProperty(key);
    }
    expect(result.stderr).toMatch(/^JOB +TARGET +VERDICT/);
    expect(result.stderr).toContain('left out: default/batch/dispatch-1-abc: dispatched child of "batch"');
    expect(result.stderr).toContain('left out: default/vanished: purged since it was listed');
    expect(result.stderr).toContain('3 jobs: 3 runs as is');
    expect(
      requests.every((r) => r.method === 'GET' && r.token === 't0ken' && r.url.includes('region=eu')),
    ).toBe(true);
    // The dispatched child is left out from the list alone: it is never read.
    expect(requests.some((r) => r.url.includes('dispatch-1-abc'))).toBe(false);
  });

  it('prefers the submission; one that does not convert falls back to the JSON job with a note', async () => {
    const reportFile = path.join(work, 'report.md');
    const result = await runWith(['-o', path.join(work, 'notes'), '--report', reportFile]);
    expect(result.code, result.stderr).toBe(0);
    const report = readFileSync(reportFile, 'utf8');
    expect(report).toMatch(
      /### default\/web\n\n- Verdict: \*\*runs as is\*\*\n- Read from: its original submission\n/,
    );
    expect(report).toMatch(
      /### default\/broken-source\n\n- Verdict: \*\*runs as is\*\*\n- Read from: the API's JSON job\n {2}- the submitted jobspec did not convert \([^\n]+\); the API's JSON job was used\n/,
    );
  });

  it('-o DIR with * writes a file per job under its mapped namespace; a re-run finds them unchanged', async () => {
    const out = path.join(work, 'all');
    const first = await runWith(['-o', out, '--nomad-namespace', '*']);
    // The unreadable job makes the run fail, but every other job is written.
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(
      'needs action: prod/unreadable: could not be converted: Error querying job "unreadable": Unexpected response code: 500 (rpc error: boom)',
    );
    expect(readdirSync(path.join(out, 'default')).sort()).toEqual([
      'batch.yaml',
      'broken-source.yaml',
      'web.yaml',
    ]);
    expect(readdirSync(path.join(out, 'prod'))).toEqual(['api.yaml']);
    const api = yaml.load(readFileSync(path.join(out, 'prod', 'api.yaml'), 'utf8')) as {
      spec: { stop?: boolean };
    };
    expect(api.spec.stop).toBe(true);
    expect(first.stdout).toMatch(/prod\/api \(stopped\) +prod\/api +runs as is +0 +new/);
    const again = await runWith(['-o', out, '--nomad-namespace', '*']);
    expect(again.stdout).toContain('4 unchanged, 1 unknown');
  });

  it('--namespace puts every job there, in the Nomad namespace of that Kubernetes namespace', async () => {
    const result = await runWith(['-o', '-', '--nomad-namespace', 'prod', '--namespace', 'apps']);
    const objects = yaml.loadAll(result.stdout) as Array<{
      metadata: { namespace: string; annotations: Record<string, string> };
      spec: { namespace?: string };
    }>;
    expect(objects).toHaveLength(1);
    expect(objects[0]?.metadata.namespace).toBe('apps');
    expect(objects[0]?.metadata.annotations['nomadoperator.dev/namespace']).toBe('apps');
    const toDefault = await runWith([
      '-o',
      '-',
      '--nomad-namespace',
      'prod',
      '--namespace',
      'apps',
      '--default-namespace',
      'apps',
    ]);
    expect(
      (yaml.loadAll(toDefault.stdout) as typeof objects)[0]?.metadata.annotations[
        'nomadoperator.dev/namespace'
      ],
    ).toBe('default');
  });

  it('two jobs of the same ID put in one namespace: the first is imported, the second needs action', async () => {
    JOBS['prod/web'] = job('web', 'prod');
    try {
      const result = await runWith(['-o', '-', '--nomad-namespace', '*', '--namespace', 'apps']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'needs action: prod/web: default/web already goes to apps/web; import its namespace separately',
      );
      const names = (yaml.loadAll(result.stdout) as Array<{ metadata: { name: string } }>).map(
        (o) => o.metadata.name,
      );
      expect(names.filter((n) => n === 'web')).toHaveLength(1);
    } finally {
      delete JOBS['prod/web'];
    }
  });

  it('the dry run without a cluster prints the plan, unable to tell what changed', async () => {
    const result = await runWith(['--kubeconfig', path.join(work, 'no-such-kubeconfig')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/default\/web +default\/web +runs as is +0 +\? +Deployment/);
    expect(result.stdout).toContain('3 unknown');
  });

  it('bad usage exits 2 naming every problem', async () => {
    const result = await runWith(['--apply', '-o', 'x', '--namespace', 'Not_A_Name'], {
      NOMAD_CLIENT_KEY: '/k.pem',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      [
        'error: --apply and -o are exclusive: apply, or write files',
        'error: --namespace "Not_A_Name" is not a valid Kubernetes namespace name',
        'error: a client certificate needs its key: set both --client-cert and --client-key (or neither)',
        '',
      ].join('\n'),
    );
  });

  it('a server that cannot be reached fails with the request it tried', async () => {
    const result = await runWith([], { NOMAD_ADDR: 'http://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: Error querying jobs: GET http:\/\/127\.0\.0\.1:1\/v1\/jobs\?namespace=default: /,
    );
  });
});
