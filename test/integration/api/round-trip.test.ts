// The read-modify-write loop of Nomad's clients on a real HTTP server and a real apiserver, as the
// issue's must-show does it with curl:
//
//   curl $NOMAD_ADDR/v1/job/web | jq '{Job: .}' | curl -X PUT $NOMAD_ADDR/v1/jobs -d @-
//
// → 200 and the job's Version unchanged (no new ControllerRevision, same NomadJob generation); the
// same through POST /v1/job/web; and a NomadJob read with `kubectl get -o yaml` re-applied with
// `kubectl apply` changes nothing either.
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiServer } from '../../../src/api/server.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { corpusDir } from '../../support/corpus.ts';
import { type Harness, startController } from '../controller/harness.ts';
import { startTestApiServer } from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const apps = kc.makeApiClient(AppsV1Api);

/** The job, as a user writes it (task-level disk included). */
const WEB_HCL = readFileSync(`${corpusDir}web.nomad.hcl`, 'utf8');

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

let ns: { name: string; remove: () => Promise<void> };
let harness: Harness;
let server: ApiServer;

async function api(method: string, url: string, body?: unknown) {
  const res = await fetch(server.url + url, {
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

function kubectl(args: string[], input?: string) {
  const result = spawnSync(
    path.join(inject('binDir'), 'kubectl'),
    [`--kubeconfig=${inject('kubeconfig')}`, '--namespace', ns.name, ...args],
    { encoding: 'utf8', ...(input !== undefined ? { input } : {}) },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function nomadJob(): Promise<NomadJobObject> {
  return (await custom.getNamespacedCustomObject({
    group,
    version,
    plural,
    namespace: ns.name,
    name: 'web',
  })) as NomadJobObject;
}

/** What must not change: the Nomad version, the NomadJob's generation, the recorded versions. */
async function versionState() {
  const job = (await api('GET', '/v1/job/web')).json();
  const versions = (await api('GET', '/v1/job/web/versions')).json() as { Versions: unknown[] };
  const revisions = await apps.listNamespacedControllerRevision({
    namespace: ns.name,
    labelSelector: `${LABEL_JOB}=web`,
  });
  return {
    Version: job.Version,
    JobModifyIndex: job.JobModifyIndex,
    generation: (await nomadJob()).metadata?.generation,
    versions: versions.Versions.length,
    revisions: revisions.items.length,
  };
}

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'round-trip');
  harness = await startController(kc, ns.name);
  server = await startTestApiServer(kc, ns.name);
  const parsed = await api('POST', '/v1/jobs/parse', { JobHCL: WEB_HCL });
  expect(parsed.status, parsed.text).toBe(200);
  const registered = await api('PUT', '/v1/jobs', { Job: parsed.json() });
  expect(registered.status, registered.text).toBe(200);
  // Let the controller see the job first, so its first status write is behind us.
  await waitFor('the controller observed the job', async () => {
    const object = await nomadJob();
    const status = object.status as { observedGeneration?: number } | undefined;
    return status?.observedGeneration === object.metadata?.generation;
  });
});

afterAll(async () => {
  await server?.close();
  await harness?.stop();
  await ns?.remove();
});

describe('GET → PUT round trip on the real API', () => {
  it('curl GET /v1/job/web | jq {Job: .} | curl -X PUT /v1/jobs: 200, Version unchanged', async () => {
    const before = await versionState();
    expect(before).toMatchObject({ Version: 0, versions: 1, revisions: 1 });
    const served = await api('GET', '/v1/job/web');
    expect(served.status).toBe(200);
    // What jq '{Job: .}' makes of the body: the served text, byte for byte, inside {"Job": …}.
    const put = await api('PUT', '/v1/jobs', `{"Job":${served.text}}`);
    expect(put.status, put.text).toBe(200);
    expect(await versionState()).toEqual(before);
  });

  // The must-show, literally (curl and jq are on CI runners and developer machines; without them
  // the test above checks the same bytes).
  it.runIf(hasTool('curl') && hasTool('jq'))('the curl | jq | curl pipeline itself', async () => {
    const before = await versionState();
    // Asynchronously: the API server answering curl runs in this very process.
    const pipeline = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        [
          '-o',
          'pipefail',
          '-c',
          `curl -sf "$NOMAD_ADDR/v1/job/web" | jq '{Job: .}' | curl -sf -X PUT "$NOMAD_ADDR/v1/jobs" -d @-`,
        ],
        { encoding: 'utf8', env: { ...process.env, NOMAD_ADDR: server.url } },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(pipeline.status, pipeline.stderr).toBe(0);
    expect(JSON.parse(pipeline.stdout)).toMatchObject({ JobModifyIndex: before.JobModifyIndex });
    expect(await versionState()).toEqual(before);
  });

  it('the same through POST /v1/job/web', async () => {
    const before = await versionState();
    const served = await api('GET', '/v1/job/web');
    const post = await api('POST', '/v1/job/web', `{"Job":${served.text}}`);
    expect(post.status, post.text).toBe(200);
    expect(await versionState()).toEqual(before);
  });

  it('the latest /versions entry and the parse output are accepted back unchanged too', async () => {
    const before = await versionState();
    const versions = (await api('GET', '/v1/job/web/versions')).json() as { Versions: unknown[] };
    const again = await api('PUT', '/v1/jobs', { Job: versions.Versions[0] });
    expect(again.status, again.text).toBe(200);
    for (const Canonicalize of [false, true]) {
      const parsed = await api('POST', '/v1/jobs/parse', { JobHCL: WEB_HCL, Canonicalize });
      const reply = await api('PUT', '/v1/jobs', { Job: parsed.json() });
      expect(reply.status, reply.text).toBe(200);
    }
    expect(await versionState()).toEqual(before);
  });

  it('kubectl get nj -o yaml | kubectl apply -f -: generation unchanged', async () => {
    const before = await versionState();
    // The controller may write status between get and apply (a conflict on resourceVersion):
    // then read again and retry, as a user would.
    let applied = kubectl(['apply', '-f', '-'], kubectl(['get', 'nj', 'web', '-o', 'yaml']).stdout);
    for (let attempt = 0; applied.status !== 0 && /modified/.test(applied.stderr) && attempt < 5; attempt++) {
      applied = kubectl(['apply', '-f', '-'], kubectl(['get', 'nj', 'web', '-o', 'yaml']).stdout);
    }
    expect(applied.status, applied.stderr).toBe(0);
    expect(await versionState()).toEqual(before);
  });

  it('a real change still makes a new version', async () => {
    const before = await versionState();
    const job = (await api('GET', '/v1/job/web')).json();
    (job.TaskGroups as Record<string, unknown>[])[0]!.Count = 2;
    const put = await api('PUT', '/v1/jobs', { Job: job });
    expect(put.status, put.text).toBe(200);
    const after = await versionState();
    expect(after.Version).toBe(1);
    expect(after.generation).toBe((before.generation ?? 0) + 1);
  });
});
