import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job, TaskGroup } from '../../../src/nomad/schema.ts';
import {
  formatIssuePath,
  formatMultiError,
  MAX_JOB_JSON_BYTES,
  MAX_JOB_JSON_DEPTH,
  parseJobJson,
  validateJob,
} from '../../../src/nomad/validate.ts';
import { documentedJobs, loadObject } from './samples.ts';

/** `${name}`, Nomad's interpolation syntax. */
const v = (name: string) => `\${${name}}`;

/** A valid service job, canonicalized as Nomad would before validating it. */
function validJob(overrides: Partial<Job> = {}, group: Partial<TaskGroup> = {}): Job {
  return canonicalize({
    ID: 'web',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'nginx', Driver: 'docker' }], ...group }],
    ...overrides,
  });
}

function errorsOf(job: Job): string[] {
  return validateJob(job).errors;
}

describe('formatMultiError (go-multierror text)', () => {
  it('formats one error', () => {
    expect(formatMultiError(['Missing job datacenters'])).toBe(
      '1 error occurred:\n\t* Missing job datacenters\n\n',
    );
  });

  it('formats several errors', () => {
    expect(formatMultiError(['Missing job ID', 'Missing job name'])).toBe(
      '2 errors occurred:\n\t* Missing job ID\n\t* Missing job name\n\n',
    );
  });
});

describe('validateJob', () => {
  it('accepts the documented "Create Job" sample once canonicalized', () => {
    const job = parseJobJson(loadObject('create-job.payload').Job);
    if (!job.ok) throw new Error(job.errors.join('\n'));
    expect(errorsOf(canonicalize(job.job))).toEqual([]);
  });

  it.each(documentedJobs().filter((d) => d.source.startsWith('list-job-versions')))(
    'accepts the stored job in $source',
    ({ job }) => {
      const parsed = parseJobJson(job);
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      expect(errorsOf(canonicalize(parsed.job))).toEqual([]);
    },
  );

  it('reports every problem of an empty job at once, in Nomad order', () => {
    expect(validateJob({})).toEqual({
      errors: [
        'Missing job region',
        'Missing job ID',
        'Missing job name',
        'Job must be in a namespace',
        'Missing job type',
        'Missing job datacenters',
        'Missing job task groups',
        'job priority must be between [1, 100]',
      ],
    });
  });

  it('checks the job ID and name', () => {
    expect(errorsOf(validJob({ ID: 'my job' }))).toEqual(['Job ID contains a space']);
    // The name defaults to the ID, so it carries the null character too.
    expect(errorsOf(validJob({ ID: 'a\0b' }))).toEqual([
      'Job ID contains a null character',
      'Job Name contains a null character',
    ]);
    expect(errorsOf(validJob({ Name: 'a\0b' }))).toEqual(['Job Name contains a null character']);
  });

  it('checks the type, datacenters and priority', () => {
    expect(errorsOf(validJob({ Type: 'cron' }))).toContain('Invalid job type: "cron"');
    expect(errorsOf(validJob({ Datacenters: ['dc1', ''] }))).toEqual([
      'Job datacenter must be non-empty string',
    ]);
    expect(errorsOf(validJob({ Priority: 0 }))).toEqual(['job priority must be between [1, 100]']);
    expect(errorsOf(validJob({ Priority: 101 }))).toEqual(['job priority must be between [1, 100]']);
    expect(validateJob(validJob({ Priority: 150 }), { maxPriority: 200 }).errors).toEqual([]);
    expect(errorsOf(validJob({ Type: '_core' }))).toContain('job type cannot be core');
    expect(errorsOf(validJob({ Payload: 'aGk=' }))).toEqual([
      "job can't be submitted with a payload, only dispatched",
    ]);
  });

  it('nests task group errors as Nomad does', () => {
    const job = validJob({}, { Count: -1, Tasks: [] });
    expect(errorsOf(job)).toEqual([
      "Task group web validation failed: 2 errors occurred:\n\t* Task group count can't be negative\n\t* Missing tasks for task group\n\n",
    ]);
    expect(formatMultiError(errorsOf(job))).toBe(
      '1 error occurred:\n\t* Task group web validation failed: 2 errors occurred:\n' +
        "\t* Task group count can't be negative\n\t* Missing tasks for task group\n\n\n\n",
    );
  });

  it('reports duplicate group and task names', () => {
    const job = canonicalize({
      ID: 'j',
      Datacenters: ['dc1'],
      TaskGroups: [
        {
          Name: 'a',
          Tasks: [
            { Name: 't', Driver: 'exec' },
            { Name: 't', Driver: 'exec' },
          ],
        },
        { Name: 'a', Tasks: [{ Name: 'u', Driver: 'exec' }] },
        { Tasks: [{ Name: 'v', Driver: 'exec' }] },
      ],
    });
    const errors = errorsOf(job);
    expect(errors.slice(0, 2)).toEqual([
      "Job task group 2 redefines 'a' from group 1",
      'Job task group 3 missing name',
    ]);
    expect(errors[2]).toBe(
      "Task group a validation failed: 1 error occurred:\n\t* Task 2 redefines 't' from task 1\n\n",
    );
    expect(errors.slice(3)).toEqual([
      'Task group  validation failed: 1 error occurred:\n\t* Missing task group name\n\n',
    ]);
  });

  it('nests task errors inside the group error, with Go durations', () => {
    const job = validJob(
      {},
      {
        Tasks: [
          {
            Name: 'nginx',
            KillTimeout: 15 * 60 * 1e9,
            Resources: { CPU: 0, MemoryMB: 5, DiskMB: 10 },
          },
        ],
      },
    );
    // The HTTP agent drops a task's DiskMB (canonicalize does too); the server's rule still exists
    // for jobs that reach it by other ways (RPC), so it is checked on the struct directly.
    expect(job.TaskGroups?.[0]?.Tasks?.[0]?.Resources?.DiskMB).toBeUndefined();
    const resources = job.TaskGroups?.[0]?.Tasks?.[0]?.Resources;
    if (resources) resources.DiskMB = 10;
    expect(errorsOf(job)).toEqual([
      'Task group web validation failed: 1 error occurred:\n' +
        '\t* Task nginx validation failed: 3 errors occurred:\n' +
        '\t* Missing task driver\n' +
        "\t* KillTimout (15m0s) longer than the group's ProgressDeadline (10m0s)\n" +
        '\t* 2 errors occurred:\n' +
        '\t* 2 errors occurred:\n' +
        '\t* minimum CPU value is 1; got 0\n' +
        '\t* minimum MemoryMB value is 10; got 5\n\n' +
        "\n\t* Task can't ask for disk resources, they have to be specified at the task group level.\n\n" +
        '\n\n\n\n',
    ]);
  });

  it('checks periodic jobs', () => {
    const periodic = (spec: Partial<NonNullable<Job['Periodic']>>, type = 'batch') =>
      errorsOf(validJob({ Type: type, Update: undefined, Periodic: spec }));
    expect(periodic({ Spec: '*/5 * * * *' })).toEqual([]);
    expect(periodic({ Spec: '' })).toEqual(['1 error occurred:\n\t* Must specify a spec\n\n']);
    expect(periodic({ Spec: '61 * * * *' })).toEqual([
      `1 error occurred:\n\t* Invalid cron spec "61 * * * *": syntax error in minute field: '61'\n\n`,
    ]);
    expect(periodic({ Spec: '@daily', Specs: ['@hourly'], TimeZone: 'Mars/Olympus' })).toEqual([
      '2 errors occurred:\n\t* Only cron or crons may be used\n' +
        '\t* Invalid time zone "Mars/Olympus": unknown time zone Mars/Olympus\n\n',
    ]);
    expect(periodic({ Spec: '@daily', TimeZone: 'Europe/Berlin' })).toEqual([]);
    expect(periodic({ Spec: '@daily', Enabled: false }, 'service')).toEqual([]);
    expect(periodic({ Spec: '@daily' }, 'service')).toEqual([
      'Periodic can only be used with "batch" or "sysbatch" scheduler',
    ]);
  });

  it('checks parameterized jobs', () => {
    const parameterized = (config: NonNullable<Job['ParameterizedJob']>, type = 'batch') =>
      errorsOf(validJob({ Type: type, ParameterizedJob: config }));
    expect(parameterized({ Payload: 'required', MetaRequired: ['a'], MetaOptional: ['b'] })).toEqual([]);
    expect(parameterized({ Payload: 'sometimes' })).toEqual([
      '1 error occurred:\n\t* Unknown payload requirement: "sometimes"\n\n',
    ]);
    expect(parameterized({ MetaRequired: ['a', 'b'], MetaOptional: ['b', 'a'] })).toEqual([
      '1 error occurred:\n\t* Required and optional meta keys should be disjoint. Following keys exist in both: [b a]\n\n',
    ]);
    expect(parameterized({}, 'service')).toEqual([
      'Parameterized job can only be used with "batch" or "sysbatch" scheduler',
    ]);
    // A dispatched child is no longer a parameterized job.
    expect(errorsOf(validJob({ Type: 'service', ParameterizedJob: {}, Dispatched: true }))).toEqual([]);
  });

  it('checks policies by job type', () => {
    // A job-level update block reaches every group, and batch jobs may not have one.
    expect(errorsOf(validJob({ Type: 'batch', Update: { MaxParallel: 1 } }))).toEqual([
      'Task group web validation failed: 1 error occurred:\n\t* Job type "batch" does not allow update block\n\n',
    ]);
    expect(errorsOf(validJob({ Type: 'system' }, { Count: 2 }))).toEqual([
      'Job task group web has count 2. Count cannot exceed 1 with system scheduler',
    ]);
    expect(
      errorsOf(validJob({}, { RestartPolicy: { Mode: 'sometimes', Attempts: 0, Interval: 1e9 } })),
    ).toEqual([
      'Task group web validation failed: 3 errors occurred:\n' +
        '\t* Unsupported restart mode: "sometimes"\n' +
        '\t* Restart policy "sometimes" with 0 attempts is ambiguous\n' +
        '\t* Interval can not be less than 5s (got 1s)\n\n',
    ]);
    expect(
      errorsOf(
        validJob({ Type: 'batch' }, { ReschedulePolicy: { Attempts: 3, Interval: 60e9, Delay: 30e9 } }),
      ),
    ).toEqual([
      'Task group web validation failed: 2 errors occurred:\n' +
        '\t* Nomad can only make 2 attempts in 1m0s with initial delay 30s and delay function "constant"\n' +
        '\t* Set the interval to at least 1m30s to accommodate 3 attempts\n\n',
    ]);
  });

  it('checks constraints, affinities and spreads with nested messages', () => {
    const job = validJob({
      Constraints: [{ LTarget: v('attr.kernel.name'), Operand: '=' }],
      Affinities: [{ LTarget: v('meta.rack'), RTarget: 'r1', Operand: '=', Weight: 0 }],
      Spreads: [
        {
          Attribute: v('node.datacenter'),
          Weight: 50,
          SpreadTarget: [
            { Value: 'a', Percent: 70 },
            { Value: 'b', Percent: 40 },
          ],
        },
      ],
    });
    expect(errorsOf(job)).toEqual([
      'Constraint 1 validation failed: 1 error occurred:\n\t* Operator "=" requires an RTarget\n\n',
      'Affinity 1 validation failed: 1 error occurred:\n\t* Affinity weight cannot be zero\n\n',
      'Spread 1 validation failed: 1 error occurred:\n\t* Sum of spread target percentages must not be greater than 100%; got 110%\n\n',
    ]);
  });

  it('checks ports and services of a group', () => {
    const job = validJob(
      {},
      {
        Networks: [{ ReservedPorts: [{ Label: 'http', Value: 80 }], DynamicPorts: [{ Label: 'http' }] }],
        Tasks: [
          {
            Name: 'nginx',
            Driver: 'docker',
            Services: [{ Name: 'web', PortLabel: 'metrics' }],
          },
        ],
      },
    );
    expect(errorsOf(job)).toEqual([
      'Task group web validation failed: 2 errors occurred:\n' +
        '\t* Task group network validation failed: 1 error occurred:\n' +
        '\t* Port label http already in use by taskgroup network\n\n' +
        '\n\t* Task nginx validation failed: 1 error occurred:\n' +
        '\t* 1 error occurred:\n' +
        '\t* port label "metrics" referenced by services web does not exist\n\n' +
        '\n\n\n\n',
    ]);
  });

  it('checks that a group network hostname is a DNS name, unless it interpolates', () => {
    const withHostname = (Hostname: string) => errorsOf(validJob({}, { Networks: [{ Hostname }] }));
    const refused =
      'Task group web validation failed: 1 error occurred:\n' +
      '\t* Task group network validation failed: 1 error occurred:\n' +
      '\t* Hostname is not a valid DNS name\n\n\n\n';
    for (const ok of [
      'web',
      'web.service.consul',
      'web.',
      'a\\.b',
      `${'a'.repeat(63)}.example`,
      v('NOMAD_ALLOC_ID'),
    ]) {
      expect(withHostname(ok), ok).toEqual([]);
    }
    for (const bad of [
      '.web',
      'a..b',
      `${'a'.repeat(64)}.example`,
      'web\\',
      Array(130).fill('ab').join('.'),
    ]) {
      expect(withHostname(bad), bad).toEqual([refused]);
    }
  });

  it('never throws, even on objects that bypassed the schema', () => {
    const broken = { ID: 'x', TaskGroups: [{ Name: 'g', Tasks: 'not-a-list' }] } as unknown as Job;
    expect(() => validateJob(broken)).not.toThrow();
    expect(validateJob(broken).errors.length).toBeGreaterThan(0);
  });
});

describe('parseJobJson', () => {
  it('parses JSON text and bytes as well as parsed values', () => {
    const text = '{"ID":"x","Priority":null,"TaskGroups":[{"Name":"g","Count":2}]}';
    const expected = { ok: true, job: { ID: 'x', TaskGroups: [{ Name: 'g', Count: 2 }] } };
    expect(parseJobJson(text)).toEqual(expected);
    expect(parseJobJson(new TextEncoder().encode(text))).toEqual(expected);
    expect(parseJobJson(JSON.parse(text))).toEqual(expected);
  });

  it('turns nulls into absent keys', () => {
    const result = parseJobJson({ ID: 'x', Periodic: null, TaskGroups: [{ Name: 'g', Update: null }] });
    expect(result.ok && Object.keys(result.job)).toEqual(['ID', 'TaskGroups']);
    expect(result.ok && Object.keys(result.job.TaskGroups?.[0] ?? {})).toEqual(['Name']);
  });

  it('matches keys case-insensitively like Go, the later spelling winning', () => {
    expect(
      parseJobJson({ id: 'x', taskgroups: [{ NAME: 'g', tasks: [{ name: 't' }] }], Unknown: 1 }),
    ).toEqual({
      ok: true,
      job: { ID: 'x', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't' }] }], Unknown: 1 },
    });
    expect(parseJobJson({ ID: 'first', id: 'second' })).toEqual({ ok: true, job: { ID: 'second' } });
    // Keys of free-form maps are data, not field names.
    expect(parseJobJson({ Meta: { id: 'x' } })).toEqual({ ok: true, job: { Meta: { id: 'x' } } });
  });

  it('keeps a "__proto__" key as data', () => {
    const result = parseJobJson('{"ID":"x","__proto__":{"polluted":true}}');
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports every issue with its path', () => {
    expect(parseJobJson({ TaskGroups: [{ Tasks: [{}, { Resources: { CPU: 1.5 } }] }] })).toEqual({
      ok: false,
      errors: ['TaskGroups[0].Tasks[1].Resources.CPU: expected integer'],
    });
    expect(formatIssuePath(['TaskGroups', 0, 'Meta', 'a.b'])).toBe('TaskGroups[0].Meta["a.b"]');
  });

  it('refuses input that is not a job object or not JSON', () => {
    expect(parseJobJson('[1]')).toEqual({ ok: false, errors: ['expected a job object, received array'] });
    expect(parseJobJson(null)).toEqual({ ok: false, errors: ['expected a job object, received null'] });
    const invalid = parseJobJson('{"ID":');
    expect(invalid.ok).toBe(false);
    expect(!invalid.ok && invalid.errors[0]).toMatch(/^invalid JSON: /);
    const cyclic: Record<string, unknown> = { ID: 'x' };
    cyclic.Meta = cyclic;
    expect(parseJobJson(cyclic)).toEqual({
      ok: false,
      errors: ['job is not JSON data: it contains a cycle'],
    });
  });

  it('refuses deeply nested input without recursing into it', () => {
    const depth = 100_000;
    const deepText = `{"Meta":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const tooDeep = `job JSON is nested more than ${MAX_JOB_JSON_DEPTH} levels deep`;
    expect(parseJobJson(deepText)).toEqual({ ok: false, errors: [tooDeep] });
    let deepValue: unknown = {};
    for (let i = 0; i < depth; i++) deepValue = { x: deepValue };
    expect(parseJobJson({ TaskGroups: [{ Tasks: [{ Config: deepValue }] }] })).toEqual({
      ok: false,
      errors: [tooDeep],
    });
    // The limit itself is allowed. Job (1) > TaskGroups (2) > group (3) > Tasks (4) > task (5) >
    // Config (6), so Config may hold objects nested MAX_JOB_JSON_DEPTH - 6 deep.
    const nested = (levels: number) => {
      let value: unknown = {};
      for (let i = 1; i < levels; i++) value = { x: value };
      return { TaskGroups: [{ Tasks: [{ Config: value }] }] };
    };
    expect(parseJobJson(nested(MAX_JOB_JSON_DEPTH - 5)).ok).toBe(true);
    expect(parseJobJson(JSON.stringify(nested(MAX_JOB_JSON_DEPTH - 5))).ok).toBe(true);
    expect(parseJobJson(nested(MAX_JOB_JSON_DEPTH - 4))).toEqual({ ok: false, errors: [tooDeep] });
    expect(parseJobJson(JSON.stringify(nested(MAX_JOB_JSON_DEPTH - 4)))).toEqual({
      ok: false,
      errors: [tooDeep],
    });
  });

  it('refuses oversized input', () => {
    const big = JSON.stringify({ ID: 'x', Meta: { blob: 'a'.repeat(MAX_JOB_JSON_BYTES) } });
    const expected = {
      ok: false,
      errors: [`job JSON is ${big.length} bytes, more than the limit of ${MAX_JOB_JSON_BYTES} bytes`],
    };
    expect(parseJobJson(big)).toEqual(expected);
    expect(parseJobJson(JSON.parse(big))).toEqual(expected);
  });
});
