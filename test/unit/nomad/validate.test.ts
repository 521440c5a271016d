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
    // The server gives a job of priority 0 its default priority (50) before validating it.
    expect(errorsOf(validJob({ Priority: 0 }))).toEqual([]);
    expect(validJob({ Priority: 0 }).Priority).toBe(50);
    expect(errorsOf(validJob({ Priority: -1 }))).toEqual(['job priority must be between [1, 100]']);
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

  it('keeps a "__proto__" entry of a map (meta, env, driver config), checked like any entry', () => {
    // In key order (Go's maps have none; its encoder sorts them).
    const entries = (value: unknown) => Object.entries(value as object).sort(([a], [b]) => (a < b ? -1 : 1));
    const job = (text: string) => {
      const result = parseJobJson(text);
      if (!result.ok) throw new Error(result.errors.join('; '));
      return result.job;
    };
    const parsed = job(
      '{"ID":"x","Meta":{"__proto__":"m","b":"n"},"TaskGroups":[{"Name":"g","Tasks":[{"Name":"t",' +
        '"Env":{"__proto__":"e"},"Config":{"__proto__":{"nested":[1]}}}]}]}',
    );
    expect(entries(parsed.Meta)).toEqual([
      ['__proto__', 'm'],
      ['b', 'n'],
    ]);
    const task = parsed.TaskGroups?.[0]?.Tasks?.[0];
    expect(entries(task?.Env)).toEqual([['__proto__', 'e']]);
    expect(entries(task?.Config)).toEqual([['__proto__', { nested: [1] }]]);
    // Spelled with an escape, and given as a parsed value.
    expect(entries(job('{"ID":"x","Meta":{"\\u005f_proto__":"m"}}').Meta)).toEqual([['__proto__', 'm']]);
    const given = parseJobJson({ ID: 'x', Meta: JSON.parse('{"__proto__":"m"}') });
    expect(given.ok && entries(given.job.Meta)).toEqual([['__proto__', 'm']]);
    // Its value is checked as any other entry's would be.
    expect(parseJobJson('{"ID":"x","TaskGroups":[{"Meta":{"__proto__":5}}]}')).toEqual({
      ok: false,
      errors: ['TaskGroups[0].Meta.__proto__: expected string, received number'],
    });
    expect(parseJobJson('{"ID":"x","TaskGroups":[{"Meta":{"a":5}}]}')).toEqual({
      ok: false,
      errors: ['TaskGroups[0].Meta.a: expected string, received number'],
    });
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

describe('validateJob: services, checks, volumes, identities and admission hooks', () => {
  const SECOND = 1e9;
  /** The entry Nomad reports for a group-level problem of group "web". */
  const inGroup = (...errors: string[]) => `Task group web validation failed: ${formatMultiError(errors)}`;
  const inGroupServices = (...errors: string[]) =>
    inGroup(`Task group service validation failed: ${formatMultiError(errors)}`);
  const inTask = (...errors: string[]) =>
    inGroup(`Task nginx validation failed: ${formatMultiError(errors)}`);
  const groupService = (service: Record<string, unknown>, network = true) =>
    validJob(
      {},
      {
        ...(network ? { Networks: [{ Mode: 'bridge', DynamicPorts: [{ Label: 'http' }] }] } : {}),
        Services: [{ Name: 'web', PortLabel: 'http', ...service }],
      },
    );
  const check = (fields: Record<string, unknown>) => ({
    Name: 'alive',
    Type: 'http',
    Path: '/health',
    Interval: 10 * SECOND,
    Timeout: 2 * SECOND,
    ...fields,
  });

  it('accepts a checked Consul and Nomad service', () => {
    expect(errorsOf(groupService({ Checks: [check({})] }))).toEqual([]);
    expect(errorsOf(groupService({ Provider: 'nomad', Checks: [check({})] }))).toEqual([]);
    expect(
      errorsOf(
        groupService({ Checks: [check({ Type: 'script', Command: '/bin/true', TaskName: 'nginx' })] }),
      ),
    ).toEqual([]);
  });

  it('checks a Consul check: interval, timeout, path, type (first problem only)', () => {
    const consulCheck = (fields: Record<string, unknown>) =>
      errorsOf(groupService({ Checks: [check(fields)] }));
    const refused = (message: string) => [
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([`Check alive invalid: ${message}`])}`,
      ),
    ];
    expect(consulCheck({ Interval: undefined })).toEqual(
      refused('missing required value interval. Interval cannot be less than 1s'),
    );
    expect(consulCheck({ Interval: SECOND / 2 })).toEqual(
      refused('interval (500ms) cannot be lower than 1s'),
    );
    expect(consulCheck({ Timeout: undefined })).toEqual(
      refused('missing required value timeout. Timeout cannot be less than 1s'),
    );
    expect(consulCheck({ Path: undefined, Interval: undefined })).toEqual(
      refused('http type must have http path'),
    );
    expect(consulCheck({ Path: 'http://example.com/health' })).toEqual(
      refused('http type must have relative http path'),
    );
    expect(consulCheck({ Type: 'ping' })).toEqual(
      refused('invalid check type ("ping"), must be one of grpc, tcp, http, script'),
    );
    expect(consulCheck({ InitialStatus: 'ok' })).toEqual(
      refused('invalid initial check state (ok), must be one of "passing", "warning", "critical" or empty'),
    );
    expect(consulCheck({ AddressMode: 'auto' })).toEqual(
      refused('invalid address_mode "auto" - auto only valid for services'),
    );
    expect(consulCheck({ OnUpdate: 'ignore', CheckRestart: { Limit: 3 } })).toEqual(
      refused('on_update value "ignore" is not compatible with check_restart'),
    );
    expect(
      consulCheck({ Type: 'script', Command: '/bin/true', SuccessBeforePassing: 2, TaskName: 'nginx' }),
    ).toEqual(refused('success_before_passing not supported for check of type "script"'));
  });

  it('checks a check port and a Connect service’s TCP check', () => {
    expect(errorsOf(groupService({ PortLabel: undefined, Checks: [check({})] }))).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          'Check alive invalid: check requires a port but neither check nor service "web" have a port',
        ])}`,
      ),
    ]);
    expect(
      errorsOf(
        groupService({ Connect: { SidecarService: {} }, Checks: [check({ Type: 'tcp', Path: undefined })] }),
      ),
    ).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          'Check alive invalid: tcp checks are not valid for Connect enabled services',
        ])}`,
      ),
    ]);
  });

  it('checks a Nomad check by the Nomad provider’s rules, without a prefix', () => {
    const nomadCheck = (fields: Record<string, unknown>) =>
      errorsOf(groupService({ Provider: 'nomad', Checks: [check(fields)] }));
    const refused = (message: string) => [
      inGroupServices(`Service[0] web validation failed: ${formatMultiError([message])}`),
    ];
    expect(nomadCheck({ Type: 'grpc' })).toEqual(
      refused('invalid check type ("grpc"), must be one of tcp, http'),
    );
    expect(nomadCheck({ TLSServerName: 'web' })).toEqual(
      refused('tls_server_name may only be set for Consul service checks'),
    );
    expect(nomadCheck({ Method: 'FETCH' })).toEqual(
      refused('method type "FETCH" not supported in Nomad http check'),
    );
    expect(errorsOf(groupService({ Provider: 'nomad', Connect: { SidecarService: {} } }))).toEqual(
      refused('Service with provider nomad cannot include Connect blocks'),
    );
  });

  it('checks a task service’s checks inside the task’s nested service errors', () => {
    const job = validJob(
      {},
      {
        Networks: [{ DynamicPorts: [{ Label: 'http' }] }],
        Tasks: [
          {
            Name: 'nginx',
            Driver: 'docker',
            Services: [{ Name: 'web', PortLabel: 'http', Checks: [check({ Timeout: 0 })] }],
          },
        ],
      },
    );
    expect(errorsOf(job)).toEqual([
      inTask(
        formatMultiError([
          `service[0] "web" validation failed: ${formatMultiError([
            'Check alive invalid: missing required value timeout. Timeout cannot be less than 1s',
          ])}`,
        ]),
      ),
    ]);
  });

  it('checks the Connect block and the service kind', () => {
    expect(errorsOf(groupService({ Connect: { SidecarService: {}, Native: true } }))).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          'Consul Connect must be exclusively native, make use of a sidecar, or represent a Gateway',
        ])}`,
      ),
    ]);
    expect(errorsOf(groupService({ Kind: 'connect-proxy:web' }))).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          'Service web kind must be one of consul service kind or empty',
        ])}`,
      ),
    ]);
    // A native service in a group with a network runs in the group's only task.
    expect(errorsOf(groupService({ Connect: { Native: true } }))).toEqual([]);
    expect(errorsOf(groupService({ Connect: { Native: true } }, false))).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          'Service web is Connect Native and requires setting the task',
        ])}`,
      ),
    ]);
  });

  it('applies the Connect hook: one bridge or CNI network, lowercase names, distinct upstreams', () => {
    const sidecar = (network: Record<string, unknown> | undefined, name = 'web') =>
      errorsOf(
        validJob(
          {},
          {
            ...(network ? { Networks: [network] } : {}),
            Services: [{ Name: name, PortLabel: '8080', Connect: { SidecarService: {} } }],
          },
        ),
      );
    expect(sidecar({ Mode: 'bridge' })).toEqual([]);
    expect(sidecar({ Mode: 'cni/mesh' })).toEqual([]);
    expect(sidecar({ Mode: 'host' })).toEqual([
      'connect sidecar: invalid network mode for Consul Connect: group "web" uses network mode "host"; must be "bridge" or "cni/*"',
    ]);
    expect(sidecar(undefined)).toEqual([
      'connect sidecar: must have exactly one network for Consul Connect: group "web" has 0 networks',
    ]);
    expect(sidecar({ Mode: 'bridge' }, 'Web')[0]).toBe(
      'Consul Connect service name "Web" in group "web" must not contain uppercase characters',
    );
    const upstream = { DestinationName: 'db', LocalBindAddress: '127.0.0.1', LocalBindPort: 5432 };
    const proxy = { Proxy: { Upstreams: [upstream] } };
    expect(
      errorsOf(
        validJob(
          {},
          {
            Networks: [{ Mode: 'bridge' }],
            Services: [
              { Name: 'a', PortLabel: '1', Connect: { SidecarService: proxy } },
              { Name: 'b', PortLabel: '2', Connect: { SidecarService: proxy } },
            ],
          },
        ),
      ),
    ).toEqual([
      'Consul Connect services "b" and "a" in group "web" using same address for upstreams (127.0.0.1:5432)',
    ]);
  });

  it('reports an ambiguous Connect native task as the mutator’s error', async () => {
    const { connectMutatorError } = await import('../../../src/nomad/validate.ts');
    const job = validJob(
      {},
      {
        Networks: [{ Mode: 'bridge' }],
        Tasks: [
          { Name: 'a', Driver: 'docker' },
          { Name: 'b', Driver: 'docker' },
        ],
        Services: [{ Name: 'web', PortLabel: '8080', Connect: { Native: true } }],
      },
    );
    expect(connectMutatorError(job)).toBe(
      'error in job mutator connect: task for Consul Connect Native service web->web is ambiguous and must be set',
    );
  });

  it('reports an exposed check whose service port is unknown as the expose-check mutator’s error', async () => {
    const { connectMutatorError } = await import('../../../src/nomad/validate.ts');
    const exposed = (PortLabel: string) =>
      groupService({ PortLabel, Connect: { SidecarService: {} }, Checks: [check({ Expose: true })] });
    expect(connectMutatorError(exposed('http'))).toBe(
      'error in job mutator expose-check: unable to determine local service port for service check web->web->alive',
    );
    expect(connectMutatorError(exposed('9090'))).toBeUndefined();
    expect(errorsOf(exposed('9090'))).toEqual([]);
  });

  it('checks exposed checks against their service', () => {
    expect(errorsOf(groupService({ Checks: [check({ Expose: true })] }))).toEqual([
      'exposed service check web->web->alive requires use of sidecar_proxy',
    ]);
  });

  it('checks group volumes and task volume mounts', () => {
    const withVolume = (volume: Record<string, unknown>, count = 1, mount: Record<string, unknown> = {}) =>
      errorsOf(
        validJob(
          {},
          {
            Count: count,
            Volumes: { data: { Name: 'data', Source: 'data', ...volume } },
            Tasks: [
              {
                Name: 'nginx',
                Driver: 'docker',
                VolumeMounts: [{ Volume: 'data', Destination: '/data', ...mount }],
              },
            ],
          },
        ),
      );
    expect(withVolume({ Type: 'host' })).toEqual([]);
    expect(
      withVolume({ Type: 'csi', AccessMode: 'multi-node-multi-writer', AttachmentMode: 'file-system' }, 3),
    ).toEqual([]);
    expect(
      withVolume({ Type: 'csi', AccessMode: 'single-node-writer', AttachmentMode: 'file-system' }, 3),
    ).toEqual([
      inGroup(
        `Task group volume validation for data failed: ${formatMultiError([
          'volume with single-node-writer access mode allows only one reader or writer',
        ])}`,
      ),
    ]);
    expect(withVolume({ Type: 'csi', Source: '' })).toEqual([
      inGroup(
        `Task group volume validation for data failed: ${formatMultiError([
          'volume has an empty source',
          'CSI volumes must have an attachment mode',
          'CSI volumes must have an access mode',
        ])}`,
      ),
    ]);
    expect(
      withVolume({ Type: 'host', MountOptions: { FSType: 'ext4' }, AccessMode: 'multi-node-multi-writer' }),
    ).toEqual([
      inGroup(
        `Task group volume validation for data failed: ${formatMultiError([
          'host volumes cannot have mount options',
          'host volumes cannot be mounted with multi-node-multi-writer access mode',
        ])}`,
      ),
    ]);
    expect(withVolume({ Type: 'host' }, 1, { PropagationMode: 'shared', SELinuxLabel: 'x' })).toEqual([
      inTask(
        `Volume Mount (0) is invalid: "${formatMultiError([
          'volume mount has an invalid propagation mode: "shared"',
          'volume mount has an invalid SELinux label: "x"',
        ])}"`,
      ),
    ]);
  });

  it('checks identities and secrets', () => {
    const task = (fields: Record<string, unknown>) =>
      errorsOf(validJob({}, { Tasks: [{ Name: 'nginx', Driver: 'docker', ...fields }] }));
    expect(
      task({ Identities: [{ Name: 'vault_default', Audience: ['vault.io'], TTL: 3600 * SECOND }] }),
    ).toEqual([]);
    expect(task({ Identities: [{ Name: 'vault default', Audience: [''], Filepath: 'x' }] })).toEqual([
      inTask(
        `Identity "vault default" is invalid: ${formatMultiError([
          'invalid name "vault default". Must match regex ^[a-zA-Z0-9-_]{1,128}$',
          'an empty string is an invalid audience (1)',
          'file parameter must be true in order to specify filepath',
        ])}`,
      ),
    ]);
    expect(task({ Identity: { ChangeSignal: 'SIGHUP' } })).toEqual([
      inTask(
        `Identity "default" is invalid: ${formatMultiError(['can only use change_signal="SIGHUP" with change_mode="signal"'])}`,
      ),
    ]);
    expect(task({ Secrets: [{ Name: 'db-pass', Provider: 'nomad', Path: 'db', Env: { A: 'b' } }] })).toEqual([
      inTask(
        `Secret "db-pass" is invalid: ${formatMultiError([
          'secret name must match regex ^[a-zA-Z0-9_]{1,128}$',
          'nomad provider cannot use the env block',
        ])}`,
      ),
    ]);
  });

  it('checks devices, NUMA and CSI plugin directories', () => {
    const resources = (r: Record<string, unknown>) =>
      errorsOf(
        validJob(
          {},
          { Tasks: [{ Name: 'nginx', Driver: 'docker', Resources: { CPU: 100, MemoryMB: 64, ...r } }] },
        ),
      );
    expect(resources({ Devices: [{ Name: '', Constraints: [{ Operand: 'distinct_hosts' }] }] })).toEqual([
      inTask(
        formatMultiError([
          `device 1 failed validation: ${formatMultiError([
            'device name must be given as one of the following: type, vendor/type, or vendor/type/name',
            'Constraint 1 validation failed: using unsupported operand "distinct_hosts"',
          ])}`,
        ]),
      ),
    ]);
    expect(
      errorsOf(
        validJob(
          {},
          {
            Tasks: [
              {
                Name: 'nginx',
                Driver: 'docker',
                CSIPluginConfig: { ID: 'ebs', Type: 'node', MountDir: '/local' },
              },
            ],
          },
        ),
      ),
    ).toEqual([
      inTask(
        'CSIPluginConfig StagePublishBaseDir must not be a subdirectory of MountDir, got: StagePublishBaseDir="/local/csi" MountDir="/local"',
      ),
    ]);
  });

  it('accepts what Nomad Enterprise accepts; checks Consul partitions in the hooks’ order', () => {
    const task = (fields: Record<string, unknown>, group: Record<string, unknown> = {}) =>
      errorsOf(
        validJob({ Priority: -1 }, { ...group, Tasks: [{ Name: 'nginx', Driver: 'docker', ...fields }] }),
      );
    const priority = 'job priority must be between [1, 100]';
    // Open-source Nomad refuses these as Enterprise features; Nomad Enterprise accepts them.
    expect(task({ Vault: { Namespace: 'ops', Cluster: 'other' } })).toEqual([priority]);
    expect(task({ Consul: { Cluster: 'other' } })).toEqual([priority]);
    expect(task({ Resources: { CPU: 100, MemoryMB: 64, NUMA: { Affinity: 'require' } } })).toEqual([
      priority,
    ]);
    expect(task({ Schedule: { Cron: { Start: '0 8 * * *', End: '0 18 * * *' } } })).toEqual([priority]);
    // The Consul hook runs before Job.Validate, so its error comes first.
    expect(task({ Consul: { Partition: 'b' } }, { Consul: { Partition: 'a' } })).toEqual([
      'task.consul.partition "b" must match group.consul.partition "a" if both are set',
      priority,
    ]);
    expect(errorsOf(validJob({ Multiregion: {} }))).toEqual(['Multiregion jobs are unlicensed.']);
  });

  it('checks a transparent proxy block', () => {
    const tproxy = (TransparentProxy: Record<string, unknown>) =>
      errorsOf(
        groupService({ PortLabel: '8080', Connect: { SidecarService: { Proxy: { TransparentProxy } } } }),
      );
    expect(tproxy({ ExcludeOutboundCIDRs: ['10.0.0.0/8', 'fd00::/8'], UID: '1001' })).toEqual([]);
    expect(tproxy({ ExcludeOutboundCIDRs: ['10.0.0.0'] })).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          `could not parse transparent proxy excluded outbound CIDR as network prefix: netip.ParsePrefix("10.0.0.0"): no '/'`,
        ])}`,
      ),
    ]);
    expect(tproxy({ ExcludeOutboundCIDRs: ['10.0.0.0/33'], UID: 'envoy' })).toEqual([
      inGroupServices(
        `Service[0] web validation failed: ${formatMultiError([
          formatMultiError([
            'could not parse transparent proxy excluded outbound CIDR as network prefix: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range',
            'transparent proxy block has invalid UID field: invalid user ID "envoy": invalid syntax',
          ]),
        ])}`,
      ),
    ]);
  });

  it('checks an ingress gateway’s listeners', () => {
    const gateway = (hosts: string[]) =>
      errorsOf(
        groupService({
          Name: 'ingress',
          PortLabel: undefined,
          Connect: {
            Gateway: {
              Proxy: { ConnectTimeout: 5 * SECOND },
              Ingress: {
                Listeners: [{ Port: 8080, Protocol: 'tcp', Services: [{ Name: 'web', Hosts: hosts }] }],
              },
            },
          },
        }),
      );
    expect(gateway([])).toEqual([]);
    expect(gateway(['web.example'])).toEqual([
      inGroupServices(
        `Service[0] ingress validation failed: ${formatMultiError([
          `Consul Ingress Service doesn't support associating hosts to a service for the "tcp" protocol`,
        ])}`,
      ),
    ]);
  });

  it('counts the sidecar the Connect hook injects as a task, not a main one', () => {
    const job = validJob(
      {},
      {
        Networks: [{ Mode: 'bridge' }],
        Tasks: [],
        Services: [{ Name: 'web', PortLabel: '8080', Connect: { SidecarService: {} } }],
      },
    );
    expect(errorsOf(job)).toEqual([inGroup('Task group web must have at least one main task')]);
  });

  it('checks a task of kind connect-proxy against the group’s Connect services', () => {
    const job = validJob(
      {},
      {
        Networks: [{ Mode: 'bridge' }],
        Services: [{ Name: 'web', PortLabel: '8080', Connect: { SidecarService: {} } }],
        Tasks: [
          { Name: 'nginx', Driver: 'docker' },
          { Name: 'proxy', Driver: 'docker', Kind: 'connect-proxy:api', Leader: true },
        ],
      },
    );
    expect(errorsOf(job)).toEqual([
      inGroup(
        `Task proxy validation failed: ${formatMultiError([
          'Connect proxy task must not have leader set',
          'Connect proxy service name ("api") not found in Connect services from task group: [web]',
        ])}`,
      ),
    ]);
  });

  it('reads a semver constraint by Nomad’s stricter grammar', () => {
    const constraint = (Operand: string, RTarget: string) =>
      errorsOf(validJob({ Constraints: [{ LTarget: v('attr.nomad.version'), Operand, RTarget }] }));
    expect(constraint('version', '~> 1.2')).toEqual([]);
    expect(constraint('semver', '>= 1.2.0-beta, < 2')).toEqual([]);
    expect(constraint('semver', '~> 1.2')).toEqual([
      `Constraint 1 validation failed: ${formatMultiError(['Semver constraint is invalid: Malformed constraint: ~> 1.2'])}`,
    ]);
  });

  it('compiles regexp constraints with Go’s syntax', () => {
    const regexp = (RTarget: string) =>
      errorsOf(validJob({ Constraints: [{ LTarget: v('attr.kernel.name'), Operand: 'regexp', RTarget }] }));
    for (const ok of ['(?i)^linux$', '(?P<major>[0-9]+)\\.', '[[:alpha:]]+', '\\pL+', 'a\\z']) {
      expect(regexp(ok), ok).toEqual([]);
    }
    const refused = (message: string) => [
      `Constraint 1 validation failed: ${formatMultiError([
        `Regular expression failed to compile: error parsing regexp: ${message}`,
      ])}`,
    ];
    expect(regexp('^(?!windows)')).toEqual(refused('invalid or unsupported Perl syntax: `(?!`'));
    expect(regexp('(a)\\1')).toEqual(refused('invalid escape sequence: `\\1`'));
    expect(regexp('linux(')).toEqual(refused('missing closing ): `linux(`'));
  });

  it('allows any non-ASCII-space character in an action name, as Go’s \\s does', () => {
    const action = (Name: string) =>
      errorsOf(
        validJob({}, { Tasks: [{ Name: 'nginx', Driver: 'docker', Actions: [{ Name, Command: 'ls' }] }] }),
      );
    expect(action('list\u00a0files')).toEqual([]);
    expect(action('list files')).toEqual([
      inTask(`Action list files validation failed: ${formatMultiError(["invalid name 'list files'"])}`),
    ]);
  });

  it('checks task drivers and network modes against the namespace’s capabilities, when given', () => {
    const job = validJob(
      {},
      {
        Networks: [{}],
        Tasks: [
          { Name: 'a', Driver: 'docker' },
          { Name: 'b', Driver: 'raw_exec' },
        ],
      },
    );
    const limited = (Capabilities: Record<string, string[]>) =>
      validateJob(job, { namespace: { Name: 'team', Capabilities } }).errors;
    expect(limited({})).toEqual([]);
    expect(limited({ DisabledTaskDrivers: ['raw_exec'] })).toEqual([
      'used task driver "raw_exec" is not allowed in namespace "team"',
    ]);
    expect(limited({ EnabledTaskDrivers: ['exec'] })).toEqual([
      'used task drivers ["docker" "raw_exec"] are not allowed in namespace "team"',
    ]);
    expect(limited({ EnabledNetworkModes: ['bridge'] })).toEqual([
      'used group network mode "host" is not allowed in namespace "team"',
    ]);
    expect(errorsOf(job)).toEqual([]);
  });

  it('refuses a service identity without a name', () => {
    expect(errorsOf(groupService({ Identity: { Audience: ['consul.io'] } }))).toEqual([
      'Service web in task group web has an identity with an empty name',
    ]);
  });
});
