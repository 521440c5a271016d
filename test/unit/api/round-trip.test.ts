// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolations are literal "${…}" text
// The read-modify-write loop of Nomad's clients (`nomad job inspect` → `nomad job run -json`,
// Terraform, Levant): whatever the API serves for a job — GET /v1/job/:id, its /versions entries,
// /v1/jobs/parse output with and without Canonicalize — is accepted back unchanged by PUT /v1/jobs
// and POST /v1/job/:id, and makes no new version (Nomad's Job.SpecChanged is false). Checked over
// every jobspec of the repository's corpora and over generated jobs.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { parseJobspec } from '../../../src/nomad/hcl/jobspec.ts';
import { serviceJob, type TestApi, testApi } from './support.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Every `*.nomad.hcl` under test/fixtures, with its `*.vars.hcl` when there is one. */
function corpusFiles(dir = fixtures): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return corpusFiles(path);
    return entry.name.endsWith('.nomad.hcl') ? [path] : [];
  });
}

function readVariables(path: string): string | undefined {
  try {
    return readFileSync(path.replace(/\.nomad\.hcl$/, '.vars.hcl'), 'utf8');
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;

interface Served {
  job: Json;
  generation: number | undefined;
  revisions: number;
}

async function send(api: TestApi, method: 'PUT' | 'POST', url: string, body: unknown) {
  const reply = await api.app.inject({ method, url, payload: JSON.stringify(body) });
  return { status: reply.statusCode, body: reply.body };
}

/** The job as GET serves it, with the NomadJob's generation and how many versions exist. */
async function served(api: TestApi, id: string, namespace: string): Promise<Served> {
  const reply = await api.app.inject({
    method: 'GET',
    url: `/v1/job/${encodeURIComponent(id)}?namespace=${encodeURIComponent(namespace)}`,
  });
  expect(reply.statusCode, reply.body).toBe(200);
  const entry = api.store.findJob(namespace, id);
  return {
    job: JSON.parse(reply.body) as Json,
    generation: (entry?.object as NomadJobObject | undefined)?.metadata?.generation,
    revisions: api.cluster.sources.ControllerRevision.list().length,
  };
}

async function versionsOf(api: TestApi, id: string, namespace: string): Promise<Json[]> {
  const reply = await api.app.inject({
    method: 'GET',
    url: `/v1/job/${encodeURIComponent(id)}/versions?namespace=${encodeURIComponent(namespace)}`,
  });
  expect(reply.statusCode, reply.body).toBe(200);
  return (JSON.parse(reply.body) as { Versions: Json[] }).Versions;
}

/**
 * Registers `job`, then writes back each thing the API serves for it (and anything in `alsoServed`)
 * and checks that nothing changes: 200, same Version, same generation, no new revision.
 */
async function assertRoundTrip(job: Json, alsoServed: Json[], label: string): Promise<void> {
  const api = await testApi();
  const first = await send(api, 'PUT', '/v1/jobs', { Job: job });
  expect(first.status, `${label}: register: ${first.body}`).toBe(200);
  const id = String(job.ID);
  const namespace = typeof job.Namespace === 'string' && job.Namespace !== '' ? job.Namespace : 'default';
  const before = await served(api, id, namespace);
  const latest = (await versionsOf(api, id, namespace))[0];
  // Planning the served job shows no change, as Nomad's plan of an unchanged job does.
  const plan = await send(
    api,
    'PUT',
    `/v1/job/${encodeURIComponent(id)}/plan?namespace=${encodeURIComponent(namespace)}`,
    {
      Job: before.job,
      Diff: true,
    },
  );
  expect(plan.status, `${label}: plan: ${plan.body}`).toBe(200);
  expect((JSON.parse(plan.body) as { Diff: { Type: string } }).Diff.Type, `${label}: plan diff`).toBe('None');
  const writes: [string, 'PUT' | 'POST', string, Json][] = [
    ['GET /v1/job/:id → PUT /v1/jobs', 'PUT', '/v1/jobs', before.job],
    ['GET /v1/job/:id → POST /v1/job/:id', 'POST', `/v1/job/${encodeURIComponent(id)}`, before.job],
    ['versions[0] → PUT /v1/jobs', 'PUT', '/v1/jobs', latest ?? {}],
    ['the original → PUT /v1/jobs', 'PUT', '/v1/jobs', job],
    ...alsoServed.map((other, i): [string, 'PUT', string, Json] => [
      `served[${i}] → PUT /v1/jobs`,
      'PUT',
      '/v1/jobs',
      other,
    ]),
  ];
  for (const [what, method, url, body] of writes) {
    const reply = await send(api, method, `${url}?namespace=${encodeURIComponent(namespace)}`, { Job: body });
    expect(reply.status, `${label}: ${what}: ${reply.body}`).toBe(200);
    const after = await served(api, id, namespace);
    expect(after.job.Version, `${label}: ${what}: Version`).toBe(before.job.Version);
    expect(after.generation, `${label}: ${what}: generation`).toBe(before.generation);
    expect(after.revisions, `${label}: ${what}: revisions`).toBe(before.revisions);
    expect(after.job.JobModifyIndex, `${label}: ${what}: JobModifyIndex`).toBe(before.job.JobModifyIndex);
  }
  await api.app.close();
}

/**
 * Fixtures of the parser's corpus that are not valid jobs: Nomad's server refuses them too, with
 * these messages (each a line of the multierror Nomad answers with).
 */
const REFUSED_BY_NOMAD: Record<string, string[]> = {
  // `group "cache" {}`: the parse sample of the API documentation has no task.
  'jobspecs/api-doc-parse-sample.nomad.hcl': ['Missing tasks for task group'],
  'jobspecs/disconnect.nomad.hcl': ['Disconnect cannot be configured with both lost_after and stop_after'],
  // Nomad's parser appends a task's own secrets to themselves when the group has secrets too.
  'jobspecs/group-vault-secrets.nomad.hcl': ['Duplicate secret "own" found'],
  'jobspecs/kill-shutdown-leader.nomad.hcl': ['Job type "service" does not allow max_run_duration'],
  'jobspecs/multiregion.nomad.hcl': ['Multiregion jobs are unlicensed.'],
  'jobspecs/odd-id-spaces-slashes.nomad.hcl': ['Job ID contains a space', 'Task name cannot include slashes'],
};

describe('GET → PUT round trip', () => {
  const files = corpusFiles();

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it.each(files.map((f) => [relative(fixtures, f), f]))('%s', async (_name, file) => {
    const hcl = readFileSync(file, 'utf8');
    const variables = readVariables(file);
    const input = { hcl, ...(variables !== undefined ? { variables } : {}) };
    const parsed = await parseJobspec(input);
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    const canonical = await parseJobspec({ ...input, canonicalize: true });
    if (!parsed.ok || !canonical.ok) return;
    const refused = REFUSED_BY_NOMAD[relative(fixtures, file)];
    if (refused) {
      const api = await testApi();
      const reply = await send(api, 'PUT', '/v1/jobs', { Job: parsed.job });
      expect(reply.status).toBe(500);
      for (const message of refused) expect(reply.body).toContain(`\t* ${message}\n`);
      return;
    }
    await assertRoundTrip(parsed.job, [canonical.job], relative(fixtures, file));
  });

  it('a NomadJob written by hand (kubectl apply) keeps its spec when a Nomad client writes it back', async () => {
    const api = await testApi();
    // What a user applies: camelCase, Go duration text, a task disk, nothing canonical.
    const object = nomadJobObject({ ID: 'hand' });
    object.spec = {
      datacenters: ['dc1'],
      taskGroups: [
        {
          name: 'web',
          count: 2,
          tasks: [
            {
              name: 'server',
              driver: 'docker',
              killTimeout: '1m',
              config: { image: 'nginx:1.27' },
              resources: { cpu: 200, memoryMB: 128, diskMB: 300 },
            },
          ],
        },
      ],
    };
    const stored = api.cluster.put('NomadJob', object);
    api.cluster.recordVersion(stored);
    const before = await served(api, 'hand', 'default');
    const specBefore = structuredClone(api.store.findJob('default', 'hand')?.object.spec);
    for (const [method, url] of [
      ['PUT', '/v1/jobs'],
      ['POST', '/v1/job/hand'],
    ] as const) {
      const reply = await send(api, method, url, { Job: before.job });
      expect(reply.status, reply.body).toBe(200);
      const after = await served(api, 'hand', 'default');
      expect(after.job.Version).toBe(before.job.Version);
      expect(after.generation).toBe(before.generation);
      expect(api.store.findJob('default', 'hand')?.object.spec).toEqual(specBefore);
    }
  });

  it('the issue’s web job, written back as GET serves it, keeps Version 0', async () => {
    const api = await testApi();
    const job = serviceJob('web', {
      TaskGroups: [
        {
          Name: 'web',
          Count: 3,
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
          Services: [{ Name: 'web', PortLabel: 'http' }],
          Tasks: [
            {
              Name: 'server',
              Driver: 'docker',
              Config: { image: 'nginx:1.27', ports: ['http'] },
              Resources: { CPU: 500, MemoryMB: 256, DiskMB: 300 },
            },
          ],
        },
      ],
    });
    expect((await send(api, 'PUT', '/v1/jobs', { Job: job })).status).toBe(200);
    const before = await served(api, 'web', 'default');
    expect(before.job.TaskGroups).toMatchObject([{ MaxRunDuration: null, ShutdownDelay: null }]);
    const reply = await send(api, 'PUT', '/v1/jobs', { Job: before.job });
    expect(reply.status, reply.body).toBe(200);
    const after = await served(api, 'web', 'default');
    expect(after.job.Version).toBe(0);
    expect(after.generation).toBe(before.generation);
    // A real change still makes a new version.
    const changed = structuredClone(before.job);
    (changed.TaskGroups as Json[])[0]!.Count = 2;
    expect((await send(api, 'PUT', '/v1/jobs', { Job: changed })).status).toBe(200);
    expect((await served(api, 'web', 'default')).job.Version).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// Generated jobs: a valid base with fields people set (and GET prints as zero values) varied.

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);
const duration = fc.integer({ min: 1, max: 3600 }).map((s) => s * 1e9);

const generatedTask = fc.record(
  {
    Name: fc.constant('main'),
    Driver: fc.constantFrom('docker', 'exec', 'raw_exec'),
    User: fc.constantFrom('', 'nobody'),
    Leader: fc.boolean(),
    Config: fc.dictionary(word, fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean()), {
      maxKeys: 3,
    }),
    Env: fc.dictionary(
      word.map((w) => w.toUpperCase().replaceAll('-', '_')),
      fc.string({ maxLength: 6 }),
      {
        maxKeys: 2,
      },
    ),
    Meta: fc.dictionary(word, fc.string({ maxLength: 6 }), { maxKeys: 2 }),
    KillTimeout: fc.constantFrom(0, 5e9, 30e9),
    ShutdownDelay: fc.constantFrom(0, 5e9),
    KillSignal: fc.constantFrom('', 'SIGINT'),
    Resources: fc.record(
      {
        CPU: fc.integer({ min: 1, max: 4000 }),
        MemoryMB: fc.integer({ min: 10, max: 4096 }),
        MemoryMaxMB: fc.constantFrom(0, 8192),
        DiskMB: fc.constantFrom(0, 300),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['Name', 'Driver'] },
);

const generatedJob = fc
  .record(
    {
      type: fc.constantFrom('service', 'batch', 'system', 'sysbatch'),
      id: word,
      priority: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      datacenters: fc.option(fc.array(word, { minLength: 1, maxLength: 2 }), { nil: undefined }),
      meta: fc.option(fc.dictionary(word, fc.string({ maxLength: 6 }), { maxKeys: 2 }), { nil: undefined }),
      count: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      shutdownDelay: fc.option(duration, { nil: undefined }),
      maxRunDuration: fc.option(duration, { nil: undefined }),
      port: fc.option(fc.integer({ min: -1, max: 9000 }), { nil: undefined }),
      task: generatedTask,
      constraint: fc.option(
        fc.record({
          LTarget: fc.constantFrom('${attr.kernel.name}', '${node.class}'),
          RTarget: fc.constantFrom('linux', 'large'),
          Operand: fc.constantFrom('=', '!='),
        }),
        { nil: undefined },
      ),
      affinity: fc.option(
        fc.record({
          LTarget: fc.constant('${node.class}'),
          RTarget: word,
          Operand: fc.constant('='),
          Weight: fc.integer({ min: -100, max: 100 }).filter((w) => w !== 0),
        }),
        { nil: undefined },
      ),
      service: fc.option(
        fc.record(
          {
            Name: word,
            Provider: fc.constantFrom('nomad', 'consul'),
            Tags: fc.array(word, { maxLength: 2 }),
            Checks: fc.array(
              fc.record({
                Type: fc.constantFrom('http', 'tcp'),
                Path: fc.constant('/health'),
                Interval: fc.constantFrom(10e9, 30e9),
                Timeout: fc.constantFrom(2e9, 5e9),
              }),
              { maxLength: 1 },
            ),
          },
          { requiredKeys: ['Name'] },
        ),
        { nil: undefined },
      ),
      update: fc.option(
        fc.record(
          {
            MaxParallel: fc.integer({ min: 0, max: 3 }),
            Canary: fc.integer({ min: 0, max: 2 }),
            AutoRevert: fc.boolean(),
            MinHealthyTime: fc.constantFrom(5e9, 10e9),
            HealthyDeadline: fc.constant(300e9),
          },
          { requiredKeys: [] },
        ),
        { nil: undefined },
      ),
      restart: fc.option(
        fc.record({
          Attempts: fc.integer({ min: 1, max: 3 }),
          Interval: fc.constant(30 * 60e9),
          Delay: fc.constantFrom(0, 15e9),
          Mode: fc.constantFrom('fail', 'delay'),
        }),
        { nil: undefined },
      ),
      template: fc.option(
        fc.record(
          {
            EmbeddedTmpl: fc.string({ minLength: 1, maxLength: 10 }),
            DestPath: fc.constantFrom('local/a.conf', 'secrets/b.env'),
            ChangeMode: fc.constantFrom('restart', 'noop', 'signal'),
            Envvars: fc.boolean(),
            Wait: fc.record({ Min: fc.constant(2e9), Max: fc.constant(10e9) }, { requiredKeys: [] }),
          },
          { requiredKeys: ['EmbeddedTmpl', 'DestPath'] },
        ),
        { nil: undefined },
      ),
      disconnect: fc.option(
        fc.oneof(
          fc.record({ LostAfter: duration, Replace: fc.boolean() }, { requiredKeys: [] }),
          fc.record({ StopOnClientAfter: duration }),
        ),
        { nil: undefined },
      ),
      hostVolume: fc.boolean(),
      periodic: fc.boolean(),
    },
    { requiredKeys: ['type', 'id', 'task'] },
  )
  .map((g): Json => {
    const batchLike = g.type === 'batch' || g.type === 'sysbatch';
    const group: Json = {
      Name: 'g',
      ...(g.count !== undefined && g.type !== 'system' && g.type !== 'sysbatch' ? { Count: g.count } : {}),
      ...(g.shutdownDelay !== undefined ? { ShutdownDelay: g.shutdownDelay } : {}),
      ...(g.maxRunDuration !== undefined && batchLike ? { MaxRunDuration: g.maxRunDuration } : {}),
      ...(g.port !== undefined ? { Networks: [{ DynamicPorts: [{ Label: 'p', To: g.port }] }] } : {}),
      ...(g.constraint ? { Constraints: [g.constraint] } : {}),
      ...(g.affinity && g.type !== 'system' && g.type !== 'sysbatch' ? { Affinities: [g.affinity] } : {}),
      ...(g.service
        ? {
            Services: [
              {
                ...g.service,
                ...(g.port !== undefined ? { PortLabel: 'p' } : { Checks: [] }),
              },
            ],
          }
        : {}),
      ...(g.update && (g.type === 'service' || g.type === 'system')
        ? { Update: g.type === 'system' ? { ...g.update, Canary: 0 } : g.update }
        : {}),
      ...(g.restart ? { RestartPolicy: g.restart } : {}),
      // stop_after applies to service and batch jobs only (Nomad refuses it elsewhere).
      ...(g.disconnect && !('StopOnClientAfter' in g.disconnect && !['service', 'batch'].includes(g.type))
        ? { Disconnect: g.disconnect }
        : {}),
      ...(g.hostVolume ? { Volumes: { data: { Name: 'data', Type: 'host', Source: 'data' } } } : {}),
      Tasks: [
        {
          ...g.task,
          ...(g.template
            ? {
                Templates: [
                  {
                    ...g.template,
                    ...(g.template.ChangeMode === 'signal' ? { ChangeSignal: 'SIGHUP', Envvars: false } : {}),
                  },
                ],
              }
            : {}),
          ...(g.hostVolume ? { VolumeMounts: [{ Volume: 'data', Destination: '/data' }] } : {}),
        },
      ],
    };
    const periodic = g.periodic && batchLike;
    return {
      ID: g.id,
      Type: g.type,
      ...(g.priority !== undefined ? { Priority: g.priority } : {}),
      ...(g.datacenters ? { Datacenters: g.datacenters } : {}),
      ...(g.meta ? { Meta: g.meta } : {}),
      ...(periodic ? { Periodic: { Enabled: true, Spec: '*/15 * * * *', ProhibitOverlap: true } } : {}),
      TaskGroups: [group],
    };
  });

describe('GET → PUT round trip of generated jobs', () => {
  it('every job the API accepts comes back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(generatedJob, async (job) => {
        await assertRoundTrip(job, [], JSON.stringify(job));
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
