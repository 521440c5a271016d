import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agentDrops,
  canonicalize,
  canonicalizeApi,
  mergeForReregistration,
} from '../../../src/nomad/canonicalize.ts';
import { NS } from '../../../src/nomad/defaults.ts';
import type { Job, TaskGroup } from '../../../src/nomad/schema.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import { documentedJobs, loadObject, loadSample } from './samples.ts';

function parsed(value: unknown): Job {
  const result = parseJobJson(value);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.job;
}

/** Reads `a.b[0].c` out of a JSON value. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function group(job: Job, index = 0): TaskGroup {
  const g = job.TaskGroups?.[index];
  if (!g) throw new Error(`no task group ${index}`);
  return g;
}

/** `${name}`, Nomad's interpolation syntax. */
const v = (name: string) => `\${${name}}`;

const createJob = () => parsed(loadObject('create-job.payload').Job);

describe('canonicalize fills the defaults the documentation shows', () => {
  // The "List Job Versions" sample is the stored form of the "Create Job" sample's job (a redis
  // "cache" group): every field below is one that sample has but the submitted job does not set.
  const stored = (loadObject('list-job-versions.response').Versions as unknown[])[0];
  const defaultsShown = [
    'Priority',
    'Region',
    'Namespace',
    'Type',
    'AllAtOnce',
    'ParentID',
    'Stop',
    'Update',
    'TaskGroups[0].Count',
    'TaskGroups[0].EphemeralDisk',
    'TaskGroups[0].Migrate',
    'TaskGroups[0].ReschedulePolicy',
    'TaskGroups[0].Update',
    'TaskGroups[0].RestartPolicy.Attempts',
    'TaskGroups[0].RestartPolicy.Delay',
    'TaskGroups[0].RestartPolicy.Interval',
    'TaskGroups[0].RestartPolicy.Mode',
    'TaskGroups[0].Networks[0].DynamicPorts[0].HostNetwork',
    'TaskGroups[0].Tasks[0].KillTimeout',
    'TaskGroups[0].Tasks[0].LogConfig.MaxFiles',
    'TaskGroups[0].Tasks[0].LogConfig.MaxFileSizeMB',
    'TaskGroups[0].Tasks[0].RestartPolicy.Attempts',
    'TaskGroups[0].Tasks[0].RestartPolicy.Delay',
    'TaskGroups[0].Tasks[0].RestartPolicy.Interval',
    'TaskGroups[0].Tasks[0].RestartPolicy.Mode',
  ];

  it.each(defaultsShown)('%s matches the stored job in "List Job Versions"', (path) => {
    const submitted = createJob();
    expect(at(submitted, path), 'not set by the submitted job').toBeUndefined();
    expect(at(canonicalize(submitted), path)).toEqual(at(stored, path));
  });

  // The "Read Job" sample is a richer job. Deleting the fields whose values are Nomad defaults and
  // canonicalizing must bring every one of them back.
  const readJobDefaults = [
    'Priority',
    'Region',
    'AllAtOnce',
    'ParentID',
    'TaskGroups[0].Count',
    'TaskGroups[0].EphemeralDisk',
    'TaskGroups[0].Tasks[0].Resources',
    'TaskGroups[0].Tasks[1].KillTimeout',
    'TaskGroups[0].Tasks[1].LogConfig',
    'TaskGroups[0].Tasks[1].Templates[0].Splay',
    'TaskGroups[0].Tasks[1].Artifacts[0].RelativeDest',
    'TaskGroups[0].Affinities[0].Weight',
    'Periodic.Enabled',
    'Periodic.SpecType',
  ];

  it.each(readJobDefaults)('%s of the "Read Job" sample comes back after deleting it', (path) => {
    const sample = loadSample('read-job.response');
    const expected = at(sample, path);
    const parts = path.match(/[^.[\]]+/g) ?? [];
    const parent = at(sample, parts.slice(0, -1).join('.')) as Record<string, unknown>;
    delete parent[parts[parts.length - 1] ?? ''];
    const actual = at(canonicalize(parsed(sample)), path);
    // Nomad's canonical blocks may hold more fields than the (older) sample shows.
    if (typeof expected === 'object' && expected !== null) expect(actual).toMatchObject(expected);
    else expect(actual).toEqual(expected);
  });

  it('fills the job scalars the "Parse Job" sample (Canonicalize: true) shows', () => {
    const sample = loadObject('parse-job.response');
    const job = canonicalizeApi({ ID: 'my-job', Type: 'service' });
    for (const key of [
      'AllAtOnce',
      'CreateIndex',
      'ID',
      'JobModifyIndex',
      'ModifyIndex',
      'Name',
      'Namespace',
      'ParentID',
      'Priority',
      'Region',
      'Stable',
      'Status',
      'StatusDescription',
      'Stop',
      'Type',
      'Version',
    ]) {
      expect(job[key], key).toEqual(sample[key]);
    }
  });
});

describe('canonicalizeApi (the Go api package)', () => {
  it('leaves server-side defaults alone', () => {
    const job = canonicalizeApi(createJob());
    expect(job.NodePool).toBe('');
    expect(group(job).Tasks?.[0]?.Identity).toBeUndefined();
    // The job keeps its full update block; only the server reduces it.
    expect(job.Update?.HealthCheck).toBe('checks');
  });

  it('defaults policies by job type', () => {
    const batch = canonicalizeApi({
      ID: 'b',
      Type: 'batch',
      TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't' }] }],
    });
    expect(batch.Update).toBeUndefined();
    expect(group(batch).Update).toBeUndefined();
    expect(group(batch).Migrate).toBeUndefined();
    expect(group(batch).RestartPolicy).toEqual({
      Delay: 15 * NS.second,
      Attempts: 3,
      Interval: 24 * NS.hour,
      Mode: 'fail',
      RenderTemplates: false,
    });
    expect(group(batch).ReschedulePolicy).toEqual({
      Attempts: 1,
      Interval: 24 * NS.hour,
      Delay: 5 * NS.second,
      DelayFunction: 'constant',
      MaxDelay: 0,
      Unlimited: false,
    });

    const system = canonicalizeApi({ ID: 's', Type: 'system', TaskGroups: [{ Name: 'g' }] });
    expect(group(system).ReschedulePolicy).toBeUndefined();
    expect(group(system).Update?.MaxParallel).toBe(1);
    expect(group(system).RestartPolicy?.Attempts).toBe(2);

    const sysbatch = canonicalizeApi({ ID: 'sb', Type: 'sysbatch', TaskGroups: [{ Name: 'g' }] });
    expect(group(sysbatch).ReschedulePolicy).toBeUndefined();
    expect(group(sysbatch).RestartPolicy?.Attempts).toBe(3);
  });

  it('merges job-level blocks under group-level ones, and group restart under task restart', () => {
    const job = canonicalizeApi({
      ID: 'j',
      Update: { MaxParallel: 3, Canary: 1 },
      Reschedule: { Attempts: 5, Interval: NS.hour },
      Migrate: { MaxParallel: 2 },
      TaskGroups: [
        {
          Name: 'g',
          Update: { Canary: 2 },
          ReschedulePolicy: { Attempts: 6 },
          RestartPolicy: { Attempts: 9 },
          Tasks: [{ Name: 't', RestartPolicy: { Mode: 'delay' } }],
        },
      ],
    });
    const g = group(job);
    expect(g.Update).toMatchObject({
      MaxParallel: 3,
      Canary: 2,
      Stagger: 30 * NS.second,
      HealthCheck: 'checks',
    });
    expect(g.ReschedulePolicy).toMatchObject({ Attempts: 6, Interval: NS.hour, Delay: 30 * NS.second });
    expect(g.Migrate).toEqual({
      MaxParallel: 2,
      HealthCheck: 'checks',
      MinHealthyTime: 10 * NS.second,
      HealthyDeadline: 5 * NS.minute,
    });
    expect(g.RestartPolicy).toMatchObject({ Attempts: 9, Mode: 'fail', Interval: 30 * NS.minute });
    expect(g.Tasks?.[0]?.RestartPolicy).toMatchObject({ Attempts: 9, Mode: 'delay' });
  });

  it('derives Count from Scaling.Min, and Scaling.Min from Count', () => {
    const fromMin = canonicalizeApi({ ID: 'j', TaskGroups: [{ Name: 'g', Scaling: { Min: 3, Max: 5 } }] });
    expect(group(fromMin).Count).toBe(3);
    expect(group(fromMin).Scaling).toMatchObject({ Min: 3, Enabled: true, Type: 'horizontal' });
    const fromCount = canonicalizeApi({
      ID: 'j',
      TaskGroups: [{ Name: 'g', Count: 2, Scaling: { Max: 5 } }],
    });
    expect(group(fromCount).Scaling?.Min).toBe(2);
  });

  it('gives CPU 100 MHz only to tasks that do not reserve cores', () => {
    const job = canonicalizeApi({
      ID: 'j',
      TaskGroups: [{ Name: 'g', Tasks: [{ Name: 'a' }, { Name: 'b', Resources: { Cores: 2 } }] }],
    });
    expect(group(job).Tasks?.[0]?.Resources).toEqual({ CPU: 100, Cores: 0, MemoryMB: 300 });
    expect(group(job).Tasks?.[1]?.Resources).toEqual({ CPU: 0, Cores: 2, MemoryMB: 300 });
  });

  it('fills task blocks: templates, artifacts, vault, volume mounts, devices', () => {
    const job = canonicalizeApi({
      ID: 'j',
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [
            {
              Name: 't',
              Templates: [{ DestPath: 'local/a', ChangeMode: 'signal' }, { ChangeSignal: 'sigusr1' }],
              Artifacts: [
                { GetterSource: 'https://example.com/dl/app.tar.gz' },
                { GetterSource: 'https://example.com/dl/tool', GetterMode: 'file', GetterOptions: {} },
              ],
              Vault: { Policies: ['p'] },
              VolumeMounts: [{ Volume: 'data', Destination: '/data' }],
              Resources: {
                Devices: [{ Name: 'nvidia/gpu', Affinities: [{ LTarget: 'x', RTarget: 'y', Operand: '=' }] }],
              },
            },
          ],
        },
      ],
    });
    const task = group(job).Tasks?.[0];
    expect(task?.Templates?.[0]).toMatchObject({
      ChangeMode: 'signal',
      ChangeSignal: 'SIGHUP',
      Splay: 5 * NS.second,
      Perms: '0644',
      LeftDelim: '{{',
      RightDelim: '}}',
    });
    expect(task?.Templates?.[1]).toMatchObject({ ChangeMode: 'restart', ChangeSignal: 'SIGUSR1' });
    expect(task?.Artifacts?.[0]).toMatchObject({ GetterMode: 'any', RelativeDest: 'local/' });
    expect(task?.Artifacts?.[1]).toEqual({
      GetterSource: 'https://example.com/dl/tool',
      GetterMode: 'file',
      GetterInsecure: false,
      RelativeDest: 'local/tool',
    });
    expect(task?.Vault).toEqual({
      Policies: ['p'],
      Env: true,
      DisableFile: false,
      Namespace: '',
      Cluster: 'default',
      ChangeMode: 'restart',
      ChangeSignal: 'SIGHUP',
      AllowTokenExpiration: false,
    });
    expect(task?.VolumeMounts?.[0]).toMatchObject({
      PropagationMode: 'private',
      ReadOnly: false,
      SELinuxLabel: '',
    });
    expect(task?.Resources?.Devices?.[0]).toMatchObject({ Count: 1, Affinities: [{ Weight: 50 }] });
  });

  it('names services after job, group and task, and merges check_restart into checks', () => {
    const job = canonicalizeApi({
      ID: 'web',
      TaskGroups: [
        {
          Name: 'front',
          Services: [
            {
              CheckRestart: { Limit: 3 },
              Checks: [
                { Type: 'http', SuccessBeforePassing: -1 },
                { Type: 'tcp', CheckRestart: { Limit: 5 } },
              ],
            },
          ],
          Tasks: [{ Name: 'nginx', Services: [{ Meta: {} }] }],
        },
      ],
    });
    const service = group(job).Services?.[0];
    expect(service).toMatchObject({
      Name: 'web-front',
      AddressMode: 'auto',
      Provider: 'consul',
      Cluster: 'default',
    });
    expect(service?.Checks?.[0]).toMatchObject({
      CheckRestart: { Limit: 3, Grace: NS.second },
      SuccessBeforePassing: 0,
      OnUpdate: 'require_healthy',
    });
    expect(service?.Checks?.[1]?.CheckRestart).toEqual({ Limit: 5, Grace: NS.second });
    expect(group(job).Tasks?.[0]?.Services?.[0]).toEqual({
      Name: 'web-front-nginx',
      AddressMode: 'auto',
      OnUpdate: 'require_healthy',
      Provider: 'consul',
      Cluster: 'default',
    });
  });

  it('fills periodic and disconnect blocks', () => {
    const job = canonicalizeApi({
      ID: 'p',
      Type: 'batch',
      Periodic: { Spec: '@daily', TimeZone: '' },
      TaskGroups: [{ Name: 'g', Disconnect: { LostAfter: NS.minute } }],
    });
    expect(job.Periodic).toEqual({
      Spec: '@daily',
      TimeZone: 'UTC',
      Enabled: true,
      SpecType: 'cron',
      ProhibitOverlap: false,
      Specs: [],
    });
    expect(group(job).Disconnect).toEqual({ LostAfter: NS.minute, Replace: true, Reconcile: 'best_score' });
  });
});

describe('canonicalize (the server)', () => {
  it('adds the server defaults', () => {
    const job = canonicalize({
      ID: 'j',
      ParameterizedJob: {},
      Meta: {},
      TaskGroups: [{ Name: 'g', Scaling: { Max: 3 }, Tasks: [{ Name: 't', Env: {}, KillTimeout: 0 }] }],
    });
    expect(job.Datacenters).toEqual(['*']);
    expect(job.NodePool).toBe('default');
    expect(job.ParameterizedJob?.Payload).toBe('optional');
    expect('Meta' in job).toBe(false);
    const task = group(job).Tasks?.[0];
    expect('Env' in (task ?? {})).toBe(false);
    expect(task?.KillTimeout).toBe(5 * NS.second);
    expect(task?.Identity).toEqual({ Name: 'default', Audience: ['nomadproject.io'] });
    expect(group(job).Scaling?.Target).toEqual({ Namespace: 'default', Job: 'j', Group: 'g' });
  });

  it('reduces the job-level update block to Stagger and MaxParallel', () => {
    expect(canonicalize({ ID: 'j', Update: { MaxParallel: 2, Canary: 1 } }).Update).toEqual({
      Stagger: 30 * NS.second,
      MaxParallel: 2,
      HealthCheck: '',
      MinHealthyTime: 0,
      HealthyDeadline: 0,
      ProgressDeadline: 0,
      AutoRevert: false,
      AutoPromote: false,
      Canary: 0,
    });
    expect(canonicalize({ ID: 'j', Type: 'batch' }).Update).toMatchObject({ Stagger: 0, MaxParallel: 0 });
  });

  it('moves a task identity named "default" out of Identities', () => {
    const job = canonicalize({
      ID: 'j',
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [
            {
              Name: 't',
              Identities: [
                { Name: 'vault', Audience: ['v'] },
                { Env: true, Audience: ['x'] },
              ],
            },
          ],
        },
      ],
    });
    const task = group(job).Tasks?.[0];
    expect(task?.Identity).toEqual({ Name: 'default', Env: true, Audience: ['nomadproject.io'] });
    expect(task?.Identities).toEqual([{ Name: 'vault', Audience: ['v'] }]);
  });

  it('interpolates service names and defaults check names', () => {
    const job = canonicalize({
      ID: 'shop',
      TaskGroups: [
        {
          Name: 'api',
          Tasks: [
            {
              Name: 'app',
              Services: [
                { Name: `${v('JOB')}-${v('TASK')}-${v('NOMAD_META_x')}`, Checks: [{ Type: 'tcp' }] },
              ],
            },
          ],
        },
      ],
    });
    const service = group(job).Tasks?.[0]?.Services?.[0];
    expect(service?.Name).toBe(`shop-app-${v('NOMAD_META_x')}`);
    expect(service?.TaskName).toBe('app');
    expect(service?.Checks?.[0]).toMatchObject({
      Name: `service: "shop-app-${v('NOMAD_META_x')}" check`,
      TaskName: 'app',
    });
  });

  it('does not modify its input', () => {
    const input = createJob();
    const snapshot = structuredClone(input);
    canonicalize(input);
    canonicalizeApi(input);
    expect(input).toEqual(snapshot);
  });

  it.each(documentedJobs())('is idempotent on the documented job in $source', ({ job }) => {
    const once = canonicalize(parsed(job));
    expect(canonicalize(once)).toEqual(once);
  });

  it('is idempotent on generated jobs', () => {
    const arbitraryJob = fc.record(
      {
        ID: fc.string(),
        Type: fc.constantFrom('service', 'batch', 'system', 'sysbatch'),
        Update: fc.record(
          { MaxParallel: fc.integer({ min: -1, max: 3 }), Canary: fc.nat(2) },
          { requiredKeys: [] },
        ),
        TaskGroups: fc.array(
          fc.record(
            {
              Name: fc.string(),
              Count: fc.nat(5),
              Tasks: fc.array(
                fc.record(
                  {
                    Name: fc.string(),
                    Resources: fc.record({ CPU: fc.nat(500), Cores: fc.nat(2) }, { requiredKeys: [] }),
                    // Two identities named "default" are invalid (validation rejects them), and
                    // Nomad moves a different one each pass; generate at most one.
                    Identities: fc.uniqueArray(fc.record({ Name: fc.constantFrom('default', 'x', 'y') }), {
                      maxLength: 2,
                      selector: (identity) => identity.Name,
                    }),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 2 },
              ),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(arbitraryJob, (job) => {
        const once = canonicalize(job as Job);
        expect(canonicalize(once)).toEqual(once);
      }),
    );
  });
});

describe('mergeForReregistration', () => {
  const existing = canonicalize({
    ID: 'j',
    TaskGroups: [
      { Name: 'web', Count: 5, Tasks: [{ Name: 'app', Resources: { CPU: 800, MemoryMB: 1024 } }] },
      { Name: 'worker', Count: 2, Tasks: [{ Name: 'w' }] },
    ],
  });
  const submitted = canonicalize({
    ID: 'j',
    TaskGroups: [
      { Name: 'web', Count: 1, Tasks: [{ Name: 'app', Resources: { CPU: 100 } }, { Name: 'new' }] },
      { Name: 'batch', Count: 3, Tasks: [{ Name: 'b' }] },
    ],
  });

  it('keeps existing group counts with preserveCounts, new groups keep theirs', () => {
    const merged = mergeForReregistration(existing, submitted, { preserveCounts: true });
    expect(merged.TaskGroups?.map((g) => [g.Name, g.Count])).toEqual([
      ['web', 5],
      ['batch', 3],
    ]);
    expect(group(merged).Tasks?.[0]?.Resources?.CPU).toBe(100);
  });

  it('keeps existing task resources with preserveResources', () => {
    const merged = mergeForReregistration(existing, submitted, { preserveResources: true });
    expect(group(merged).Count).toBe(1);
    expect(group(merged).Tasks?.[0]?.Resources).toEqual({ CPU: 800, Cores: 0, MemoryMB: 1024 });
    expect(group(merged).Tasks?.[1]?.Resources).toEqual({ CPU: 100, Cores: 0, MemoryMB: 300 });
  });

  it('changes nothing without options or without an existing job, and is pure', () => {
    const snapshot = structuredClone(submitted);
    expect(mergeForReregistration(existing, submitted)).toEqual(submitted);
    expect(
      mergeForReregistration(undefined, submitted, { preserveCounts: true, preserveResources: true }),
    ).toEqual(submitted);
    const merged = mergeForReregistration(existing, submitted, { preserveResources: true });
    expect(submitted).toEqual(snapshot);
    // The preserved resources are a copy, not shared with the existing job.
    expect(group(merged).Tasks?.[0]?.Resources).not.toBe(group(existing).Tasks?.[0]?.Resources);
  });
});

describe('agentDrops: what the HTTP agent leaves out, said', () => {
  it('names a task’s and a sidecar task’s disk, and volumes of unknown types; nothing else', () => {
    const job = parsed({
      ID: 'j',
      TaskGroups: [
        {
          Name: 'g',
          Volumes: { data: { Type: 'host', Source: 'data' }, 'odd one': { Type: 'nfs', Source: 'x' } },
          Services: [{ Name: 's', Connect: { SidecarTask: { Resources: { DiskMB: 50 } } } }],
          Tasks: [
            { Name: 'a', Driver: 'docker', Resources: { CPU: 100, DiskMB: 500 } },
            { Name: 'b', Driver: 'docker', Resources: { CPU: 100, DiskMB: 0 } },
          ],
        },
      ],
    });
    expect(agentDrops(job)).toEqual([
      {
        path: 'TaskGroups[0].Volumes["odd one"]',
        message:
          'volume of type "nfs" is dropped, as Nomad\'s HTTP API drops it: only host and csi volumes exist',
      },
      {
        path: 'TaskGroups[0].Tasks[0].Resources.DiskMB',
        message:
          "disk = 500 is dropped, as Nomad's HTTP API drops a task's disk (deprecated): size the group's ephemeral_disk instead",
      },
      {
        path: 'TaskGroups[0].Services[0].Connect.SidecarTask.Resources.DiskMB',
        message:
          "disk = 50 is dropped, as Nomad's HTTP API drops a task's disk (deprecated): size the group's ephemeral_disk instead",
      },
    ]);
    // What it names is what canonicalize drops.
    const canonical = canonicalize(job);
    expect(canonical.TaskGroups?.[0]?.Tasks?.[0]?.Resources?.DiskMB).toBeUndefined();
    expect(Object.keys(canonical.TaskGroups?.[0]?.Volumes ?? {})).toEqual(['data']);
    expect(agentDrops(canonical)).toEqual([]);
  });
});
