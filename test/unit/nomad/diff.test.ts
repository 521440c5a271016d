import { describe, expect, it } from 'vitest';
import {
  ANNOTATION_FORCES_CREATE,
  ANNOTATION_FORCES_DESTROY,
  ANNOTATION_FORCES_DESTRUCTIVE_UPDATE,
  ANNOTATION_FORCES_INPLACE_UPDATE,
  annotateDiff,
  type DiffType,
  desiredTGUpdates,
  diffJobs,
  emptyDesiredUpdates,
  type FieldDiff,
  formatGoFloat,
  type JobDiff,
  type NomadJson,
  type ObjectDiff,
  planDiff,
  type TaskDiff,
  type TaskGroupDiff,
  versionDiffs,
} from '../../../src/nomad/diff.ts';

// Version 1 of the job in the "List Job Versions" sample (diffs=true) of Nomad's Jobs HTTP API documentation (test/fixtures/api-samples/),
// verbatim. Version 0 of that sample differs only in the task's Env and in bookkeeping fields.
const SAMPLE_VERSION_1: NomadJson = {
  Affinities: null,
  AllAtOnce: false,
  Constraints: null,
  ConsulToken: '',
  CreateIndex: 10,
  Datacenters: ['dc1'],
  Dispatched: false,
  ID: 'example',
  JobModifyIndex: 16,
  Meta: null,
  ModifyIndex: 26,
  Multiregion: null,
  Name: 'example',
  Namespace: 'default',
  NomadTokenID: '',
  ParameterizedJob: null,
  ParentID: '',
  Payload: null,
  Periodic: null,
  Priority: 50,
  Region: 'global',
  Spreads: null,
  Stable: true,
  Status: 'running',
  StatusDescription: '',
  Stop: false,
  SubmitTime: 1608316675000588800,
  TaskGroups: [
    {
      Affinities: null,
      Constraints: null,
      Count: 1,
      EphemeralDisk: { Migrate: false, SizeMB: 300, Sticky: false },
      MaxClientDisconnect: null,
      Meta: null,
      Migrate: {
        HealthCheck: 'checks',
        HealthyDeadline: 300000000000,
        MaxParallel: 1,
        MinHealthyTime: 10000000000,
      },
      Name: 'cache',
      Networks: [
        {
          CIDR: '',
          DNS: null,
          Device: '',
          DynamicPorts: [{ HostNetwork: 'default', Label: 'db', To: 6379, Value: 0 }],
          IP: '',
          MBits: 0,
          Mode: '',
          ReservedPorts: null,
        },
      ],
      ReschedulePolicy: {
        Attempts: 0,
        Delay: 30000000000,
        DelayFunction: 'exponential',
        Interval: 0,
        MaxDelay: 3600000000000,
        Unlimited: true,
      },
      RestartPolicy: { Attempts: 2, Delay: 15000000000, Interval: 1800000000000, Mode: 'fail' },
      Scaling: null,
      Services: null,
      ShutdownDelay: null,
      Spreads: null,
      StopAfterClientDisconnect: null,
      Tasks: [
        {
          Affinities: null,
          Artifacts: null,
          CSIPluginConfig: null,
          Config: { image: 'redis:7', ports: ['db'] },
          Constraints: null,
          DispatchPayload: null,
          Driver: 'docker',
          Env: { foo: 'bar' },
          KillSignal: '',
          KillTimeout: 5000000000,
          Kind: '',
          Leader: false,
          Lifecycle: null,
          LogConfig: { MaxFileSizeMB: 10, MaxFiles: 10 },
          Meta: null,
          Name: 'redis',
          Resources: { CPU: 500, Devices: null, DiskMB: 0, IOPS: 0, MemoryMB: 256, Networks: null },
          RestartPolicy: { Attempts: 2, Delay: 15000000000, Interval: 1800000000000, Mode: 'fail' },
          ScalingPolicies: null,
          Services: null,
          ShutdownDelay: 0,
          Templates: null,
          User: '',
          Vault: null,
          VolumeMounts: null,
        },
      ],
      Update: {
        AutoPromote: false,
        AutoRevert: false,
        Canary: 0,
        HealthCheck: 'checks',
        HealthyDeadline: 300000000000,
        MaxParallel: 1,
        MinHealthyTime: 10000000000,
        ProgressDeadline: 600000000000,
        Stagger: 30000000000,
      },
      Volumes: null,
    },
  ],
  Type: 'service',
  Update: {
    AutoPromote: false,
    AutoRevert: false,
    Canary: 0,
    HealthCheck: '',
    HealthyDeadline: 0,
    MaxParallel: 1,
    MinHealthyTime: 0,
    ProgressDeadline: 0,
    Stagger: 30000000000,
  },
  VaultNamespace: '',
  VaultToken: '',
  Version: 1,
};

// Nomad interpolation targets (spelled with an escape so they do not read as template placeholders).
const KERNEL_NAME = '\u0024{attr.kernel.name}';
const OS_NAME = '\u0024{attr.os.name}';

function sampleVersion0(): NomadJson {
  const job = clone(SAMPLE_VERSION_1);
  Object.assign(job, {
    JobModifyIndex: 10,
    ModifyIndex: 10,
    Stable: false,
    Status: 'pending',
    SubmitTime: 1608316662268190500,
    Version: 0,
  });
  taskOf(job).Env = null;
  return job;
}

function clone(job: NomadJson): NomadJson {
  return structuredClone(job);
}

function groupOf(job: NomadJson, index = 0): NomadJson {
  return (job.TaskGroups as NomadJson[])[index] as NomadJson;
}

function taskOf(job: NomadJson, group = 0, index = 0): NomadJson {
  return (groupOf(job, group).Tasks as NomadJson[])[index] as NomadJson;
}

/** The sample job before and after `change`. */
function edit(change: (job: NomadJson) => void, base: NomadJson = SAMPLE_VERSION_1): [NomadJson, NomadJson] {
  const after = clone(base);
  change(after);
  return [clone(base), after];
}

function field(
  Type: DiffType,
  Name: string,
  Old: string,
  New: string,
  Annotations: string[] | null = null,
): FieldDiff {
  return { Type, Name, Old, New, Annotations };
}

function object(
  Type: DiffType,
  Name: string,
  Fields: FieldDiff[] | null,
  Objects: ObjectDiff[] | null = null,
): ObjectDiff {
  return { Type, Name, Fields, Objects };
}

function onlyGroup(diff: JobDiff): TaskGroupDiff {
  expect(diff.TaskGroups).toHaveLength(1);
  return diff.TaskGroups?.[0] as TaskGroupDiff;
}

function onlyTask(diff: JobDiff): TaskDiff {
  const group = onlyGroup(diff);
  expect(group.Tasks).toHaveLength(1);
  return group.Tasks?.[0] as TaskDiff;
}

describe('samples from the Nomad API documentation', () => {
  it('reproduces the Diffs of "List Job Versions" with diffs=true', () => {
    // Copied from the sample response (its keys are sorted alphabetically there).
    const expected = [
      {
        Fields: null,
        ID: 'example',
        Objects: null,
        TaskGroups: [
          {
            Fields: null,
            Name: 'cache',
            Objects: null,
            Tasks: [
              {
                Annotations: null,
                Fields: [{ Annotations: null, Name: 'Env[foo]', New: 'bar', Old: '', Type: 'Added' }],
                Name: 'redis',
                Objects: null,
                Type: 'Edited',
              },
            ],
            Type: 'Edited',
            Updates: null,
          },
        ],
        Type: 'Edited',
      },
    ];
    const diffs = versionDiffs([SAMPLE_VERSION_1, sampleVersion0()]);
    expect(diffs).toEqual(expected);
    expect(diffJobs(sampleVersion0(), SAMPLE_VERSION_1)).toEqual(expected[0]);
    // Keys come out in Go's struct field order, as Nomad encodes them.
    const diff = diffs[0] as JobDiff;
    expect(Object.keys(diff)).toEqual(['Type', 'ID', 'Fields', 'Objects', 'TaskGroups']);
    expect(Object.keys(onlyGroup(diff))).toEqual(['Type', 'Name', 'Fields', 'Objects', 'Tasks', 'Updates']);
    const task = onlyTask(diff);
    expect(Object.keys(task)).toEqual(['Type', 'Name', 'Fields', 'Objects', 'Annotations']);
    expect(Object.keys(task.Fields?.[0] ?? {})).toEqual(['Type', 'Name', 'Old', 'New', 'Annotations']);
  });

  it('reproduces the shape of the "Create Job Plan" sample for a new job', () => {
    // The plan sample registers the example job with a job-level constraint. (Its job-level "Update"
    // object comes from Nomad before 0.6; current Nomad folds the job's update block into the groups and
    // ignores it at job level.)
    const job = clone(SAMPLE_VERSION_1);
    job.Constraints = [{ LTarget: KERNEL_NAME, RTarget: 'linux', Operand: '=' }];
    const { diff, annotations } = planDiff(null, job);

    expect(diff.Type).toBe('Added');
    expect(diff.ID).toBe('example');
    expect(diff.Objects).toEqual([
      object('Added', 'Datacenters', [field('Added', 'Datacenters', '', 'dc1')]),
      object('Added', 'Constraint', [
        field('Added', 'LTarget', '', KERNEL_NAME),
        field('Added', 'Operand', '', '='),
        field('Added', 'RTarget', '', 'linux'),
      ]),
    ]);
    expect(diff.Fields).toContainEqual(field('Added', 'Priority', '', '50'));

    const group = onlyGroup(diff);
    expect(group.Type).toBe('Added');
    expect(group.Name).toBe('cache');
    expect(group.Updates).toEqual({ create: 1 });
    expect(group.Fields).toEqual([field('Added', 'Count', '', '1', [ANNOTATION_FORCES_CREATE])]);
    expect(group.Objects?.map((o) => [o.Type, o.Name])).toEqual([
      ['Added', 'RestartPolicy'],
      ['Added', 'Migrate'],
      ['Added', 'ReschedulePolicy'],
      ['Added', 'EphemeralDisk'],
      ['Added', 'Update'],
      ['Added', 'Network'],
    ]);

    const task = onlyTask(diff);
    expect(task.Type).toBe('Added');
    expect(task.Name).toBe('redis');
    expect(task.Annotations).toEqual(['forces create']);
    expect(task.Fields).toContainEqual(field('Added', 'Driver', '', 'docker'));
    expect(task.Fields).toContainEqual(field('Added', 'KillTimeout', '', '5000000000'));
    expect(task.Objects?.map((o) => o.Name)).toEqual(['Config', 'Resources', 'LogConfig']);

    expect(annotations.DesiredTGUpdates).toEqual({ cache: { ...emptyDesiredUpdates(), Place: 1 } });
  });
});

describe('diffJobs', () => {
  it('reports None when only bookkeeping fields change', () => {
    const diff = diffJobs(sampleVersion0(), {
      ...sampleVersion0(),
      Version: 7,
      ModifyIndex: 99,
      Status: 'dead',
    });
    expect(diff).toEqual({
      Type: 'None',
      ID: 'example',
      Fields: null,
      Objects: null,
      TaskGroups: [
        {
          Type: 'None',
          Name: 'cache',
          Fields: null,
          Objects: null,
          Tasks: [{ Type: 'None', Name: 'redis', Fields: null, Objects: null, Annotations: null }],
          Updates: null,
        },
      ],
    });
  });

  it('diffs nothing against nothing, and refuses different IDs', () => {
    expect(diffJobs(null, null)).toEqual({
      Type: 'None',
      ID: '',
      Fields: null,
      Objects: null,
      TaskGroups: null,
    });
    expect(() => diffJobs(SAMPLE_VERSION_1, { ...SAMPLE_VERSION_1, ID: 'other' })).toThrow(
      'can not diff jobs with different IDs: "example" and "other"',
    );
  });

  it('reports a deleted job with every primitive as Deleted', () => {
    const diff = diffJobs(SAMPLE_VERSION_1, null);
    expect(diff.Type).toBe('Deleted');
    expect(diff.Fields).toContainEqual(field('Deleted', 'Type', 'service', ''));
    expect(diff.Objects).toEqual([
      object('Deleted', 'Datacenters', [field('Deleted', 'Datacenters', 'dc1', '')]),
    ]);
    const group = onlyGroup(diff);
    expect(group.Type).toBe('Deleted');
    expect(onlyTask(diff).Type).toBe('Deleted');
    annotateDiff(diff);
    expect(onlyTask(diff).Annotations).toEqual([ANNOTATION_FORCES_DESTROY]);
    expect(group.Fields).toEqual([field('Deleted', 'Count', '1', '', [ANNOTATION_FORCES_DESTROY])]);
  });

  it('flattens job primitives and string maps, sorted by name', () => {
    const diff = diffJobs(
      ...edit((job) => {
        job.Priority = 70;
        job.Meta = { owner: 'team-a', 'a b': 'x' };
        job.NodePool = 'gpu';
        job.Payload = 'aGVsbG8='; // []byte in Go: never a primitive field
      }),
    );
    expect(diff.Type).toBe('Edited');
    expect(diff.Fields).toEqual([
      field('Added', 'Meta[a b]', '', 'x'),
      field('Added', 'Meta[owner]', '', 'team-a'),
      field('Added', 'NodePool', '', 'gpu'),
      field('Edited', 'Priority', '50', '70'),
    ]);
  });

  it('diffs string lists as sets', () => {
    const grow = diffJobs(...edit((job) => (job.Datacenters = ['dc2', 'dc1', 'dc1'])));
    expect(grow.Objects).toEqual([
      object('Added', 'Datacenters', [field('Added', 'Datacenters', '', 'dc2')]),
    ]);
    const swap = diffJobs(...edit((job) => (job.Datacenters = ['dc2'])));
    expect(swap.Objects).toEqual([
      object('Edited', 'Datacenters', [
        field('Added', 'Datacenters', '', 'dc2'),
        field('Deleted', 'Datacenters', 'dc1', ''),
      ]),
    ]);
    expect(
      diffJobs(...edit((job) => (job.Datacenters = ['dc1', 'dc1'])), { contextual: true }).Objects,
    ).toBeNull();
  });

  it('matches groups and tasks by name', () => {
    const diff = diffJobs(
      ...edit((job) => {
        groupOf(job).Name = 'cache2';
      }),
    );
    expect(diff.TaskGroups?.map((g) => [g.Name, g.Type, g.Tasks?.[0]?.Type])).toEqual([
      ['cache', 'Deleted', 'Deleted'],
      ['cache2', 'Added', 'Added'],
    ]);
    const tasks = diffJobs(
      ...edit((job) => {
        const extra = { ...clone(taskOf(job)), Name: 'aaa-sidecar' };
        (groupOf(job).Tasks as NomadJson[]).push(extra);
      }),
    );
    expect(onlyGroup(tasks).Tasks?.map((t) => [t.Name, t.Type])).toEqual([
      ['aaa-sidecar', 'Added'],
      ['redis', 'None'],
    ]);
  });

  it('diffs nested objects, with unchanged fields only when contextual', () => {
    const [before, after] = edit((job) => {
      (taskOf(job).Resources as NomadJson).CPU = 1000;
    });
    expect(onlyTask(diffJobs(before, after)).Objects).toEqual([
      object('Edited', 'Resources', [field('Edited', 'CPU', '500', '1000')]),
    ]);
    expect(onlyTask(diffJobs(before, after, { contextual: true })).Objects).toEqual([
      object('Edited', 'Resources', [
        field('Edited', 'CPU', '500', '1000'),
        field('None', 'DiskMB', '0', '0'),
        field('None', 'IOPS', '0', '0'),
        field('None', 'MemoryMB', '256', '256'),
      ]),
    ]);
  });

  it('flattens task config fully, formatting numbers as Go formats float64', () => {
    const diff = diffJobs(
      ...edit((job) => {
        taskOf(job).Config = {
          image: 'redis:8',
          ports: ['db', 'metrics'],
          port: 1_000_000,
          ratio: 0.5,
          labels: [{ tier: 'cache' }],
          extra: null,
        };
      }),
    );
    expect(onlyTask(diff).Objects).toEqual([
      object('Edited', 'Config', [
        field('Added', 'extra', '', 'nil'),
        field('Edited', 'image', 'redis:7', 'redis:8'),
        field('Added', 'labels[0][tier]', '', 'cache'),
        field('Added', 'port', '', '1e+06'),
        field('Added', 'ports[1]', '', 'metrics'),
        field('Added', 'ratio', '', '0.5'),
      ]),
    ]);
  });

  it('handles the group pointer fields the way Nomad does', () => {
    const delay = onlyGroup(diffJobs(...edit((job) => (groupOf(job).ShutdownDelay = 5_000_000_000))));
    expect(delay.Fields).toEqual([field('Added', 'ShutdownDelay', '', '5000000000')]);
    // Skipped by Nomad's flattener: the group is Edited, but no field is reported.
    const disconnect = onlyGroup(
      diffJobs(...edit((job) => (groupOf(job).MaxClientDisconnect = 1_000_000_000))),
    );
    expect(disconnect).toMatchObject({ Type: 'Edited', Fields: null, Objects: null });
  });

  it('diffs networks as sets: a changed network is one Deleted and one Added', () => {
    const diff = diffJobs(
      ...edit((job) => {
        ((groupOf(job).Networks as NomadJson[])[0]?.DynamicPorts as NomadJson[])[0] = {
          HostNetwork: 'default',
          Label: 'db',
          To: 6380,
          Value: 0,
        };
      }),
    );
    const port = (type: DiffType, to: string) =>
      object(type, 'Dynamic Port', [
        field(type, 'HostNetwork', type === 'Added' ? '' : 'default', type === 'Added' ? 'default' : ''),
        field(type, 'Label', type === 'Added' ? '' : 'db', type === 'Added' ? 'db' : ''),
        field(type, 'To', type === 'Added' ? '' : to, type === 'Added' ? to : ''),
      ]);
    expect(onlyGroup(diff).Objects).toEqual([
      object('Added', 'Network', null, [port('Added', '6380')]),
      object('Deleted', 'Network', null, [port('Deleted', '6379')]),
    ]);
  });

  it('matches named objects: checks by name, services by name and port, templates by destination', () => {
    const service = (interval: number, tags: string[]) => ({
      Name: 'redis-cache',
      PortLabel: 'db',
      Tags: tags,
      Checks: [{ Name: 'alive', Type: 'tcp', Interval: interval, Timeout: 2_000_000_000 }],
    });
    const template = (dest: string, data: string) => ({
      DestPath: dest,
      EmbeddedTmpl: data,
      ChangeMode: 'restart',
    });
    const [before, after] = edit((job) => {
      taskOf(job).Services = [service(5_000_000_000, ['cache', 'v2'])];
      taskOf(job).Templates = [template('local/b.conf', 'B'), template('local/a.conf', 'A2')];
    });
    taskOf(before).Services = [{ Name: 'metrics', PortLabel: 'm' }, service(10_000_000_000, ['cache'])];
    taskOf(before).Templates = [template('local/a.conf', 'A'), template('local/c.conf', 'C')];
    const task = onlyTask(diffJobs(before, after));
    expect(task.Objects).toEqual([
      object('Edited', 'Service', null, [
        object('Added', 'Tags', [field('Added', 'Tags', '', 'v2')]),
        object('Edited', 'Check', [field('Edited', 'Interval', '10000000000', '5000000000')]),
      ]),
      object('Deleted', 'Service', [
        field('Deleted', 'Name', 'metrics', ''),
        field('Deleted', 'PortLabel', 'm', ''),
      ]),
      object('Edited', 'Template', [field('Edited', 'EmbeddedTmpl', 'A', 'A2')]),
      object('Added', 'Template', [
        field('Added', 'ChangeMode', '', 'restart'),
        field('Added', 'DestPath', '', 'local/b.conf'),
        field('Added', 'EmbeddedTmpl', '', 'B'),
      ]),
      object('Deleted', 'Template', [
        field('Deleted', 'ChangeMode', 'restart', ''),
        field('Deleted', 'DestPath', 'local/c.conf', ''),
        field('Deleted', 'EmbeddedTmpl', 'C', ''),
      ]),
    ]);
  });

  it("descends into Consul Connect blocks, with Nomad's quirks", () => {
    const connect = (port: number, timeout: number) => ({
      Native: false,
      SidecarService: { Port: '', Proxy: { Upstreams: [{ DestinationName: 'db', LocalBindPort: port }] } },
      Gateway: { Proxy: { ConnectTimeout: timeout } },
    });
    const [before, after] = edit((job) => {
      groupOf(job).Services = [{ Name: 'api', PortLabel: 'http', Connect: connect(6432, 10_000_000_000) }];
    });
    groupOf(before).Services = [{ Name: 'api', PortLabel: 'http', Connect: connect(5432, 5_000_000_000) }];
    expect(onlyGroup(diffJobs(before, after)).Objects).toEqual([
      object('Edited', 'Service', null, [
        object('Edited', 'ConsulConnect', null, [
          object('Edited', 'SidecarService', null, [
            object('Edited', 'ConsulProxy', null, [
              object('Edited', 'ConsulUpstreams', [field('Edited', 'LocalBindPort', '5432', '6432')]),
              // Nomad always reports the (here absent) transparent proxy of a changed proxy.
              object('None', 'TransparentProxy', null),
            ]),
          ]),
          object('Edited', 'Gateway', null, [
            // ConnectTimeout is a *time.Duration: Nomad compares its String() form.
            object('Edited', 'Proxy', [field('Edited', 'ConnectTimeout', '5s', '10s')]),
          ]),
        ]),
      ]),
    ]);
  });

  it('keys artifacts by destination and constraints by their text', () => {
    const artifact = (source: string) => ({
      GetterSource: source,
      GetterOptions: { checksum: 'md5:abc' },
      RelativeDest: 'local/',
    });
    const [before, after] = edit((job) => {
      taskOf(job).Artifacts = [artifact('https://example.com/v2.tgz')];
      taskOf(job).Constraints = [{ LTarget: OS_NAME, Operand: '=', RTarget: 'linux' }];
    });
    taskOf(before).Artifacts = [artifact('https://example.com/v1.tgz')];
    taskOf(before).Constraints = [{ LTarget: OS_NAME, Operand: '=', RTarget: 'windows' }];
    expect(onlyTask(diffJobs(before, after)).Objects).toEqual([
      object('Added', 'Constraint', [
        field('Added', 'LTarget', '', OS_NAME),
        field('Added', 'Operand', '', '='),
        field('Added', 'RTarget', '', 'linux'),
      ]),
      object('Deleted', 'Constraint', [
        field('Deleted', 'LTarget', OS_NAME, ''),
        field('Deleted', 'Operand', '=', ''),
        field('Deleted', 'RTarget', 'windows', ''),
      ]),
      object('Edited', 'Artifact', [
        field('Edited', 'GetterSource', 'https://example.com/v1.tgz', 'https://example.com/v2.tgz'),
      ]),
    ]);
  });

  it('diffs scaling policies without their identity fields, and volumes by name', () => {
    const scaling = (max: number, policy: NomadJson) => ({
      ID: `id-${max}`,
      Type: 'horizontal',
      Target: { Namespace: 'default', Job: 'example', Group: 'cache' },
      Min: 1,
      Max: max,
      Enabled: true,
      Policy: policy,
      CreateIndex: max,
      ModifyIndex: max,
    });
    const [before, after] = edit((job) => {
      groupOf(job).Scaling = scaling(10, { cooldown: '1m', evaluation_interval: '10s' });
      groupOf(job).Volumes = { data: { Name: 'data', Type: 'host', Source: 'data', ReadOnly: true } };
    });
    groupOf(before).Scaling = scaling(5, { cooldown: '1m' });
    groupOf(before).Volumes = { data: { Name: 'data', Type: 'host', Source: 'data', ReadOnly: false } };
    expect(onlyGroup(diffJobs(before, after)).Objects).toEqual([
      object(
        'Edited',
        'Scaling',
        [field('Edited', 'Max', '5', '10')],
        [object('Edited', 'Policy', [field('Added', 'evaluation_interval', '', '10s')])],
      ),
      object('Edited', 'Volume', [field('Edited', 'ReadOnly', 'false', 'true')]),
    ]);
  });

  it('diffs periodic and parameterized blocks at job level', () => {
    const diff = diffJobs(
      ...edit((job) => {
        job.Periodic = {
          Enabled: true,
          Specs: ['0 * * * *'],
          SpecType: 'cron',
          ProhibitOverlap: true,
          TimeZone: 'UTC',
        };
        job.ParameterizedJob = { Payload: 'optional', MetaRequired: ['input'], MetaOptional: null };
      }),
    );
    expect(diff.Objects).toEqual([
      object(
        'Added',
        'Periodic',
        [
          field('Added', 'Enabled', '', 'true'),
          field('Added', 'ProhibitOverlap', '', 'true'),
          field('Added', 'SpecType', '', 'cron'),
          field('Added', 'TimeZone', '', 'UTC'),
        ],
        [object('Added', 'Specs', [field('Added', 'Specs', '', '0 * * * *')])],
      ),
      object(
        'Added',
        'ParameterizedJob',
        [field('Added', 'Payload', '', 'optional')],
        [object('Added', 'MetaRequired', [field('Added', 'MetaRequired', '', 'input')])],
      ),
    ]);
  });
});

describe('annotateDiff', () => {
  const annotationFor = (change: (job: NomadJson) => void): string[] | null =>
    onlyTask(annotateDiff(diffJobs(...edit(change), { contextual: true }))).Annotations;

  it('marks changes Nomad applies in place', () => {
    expect(annotationFor((job) => (taskOf(job).KillTimeout = 10_000_000_000))).toEqual([
      ANNOTATION_FORCES_INPLACE_UPDATE,
    ]);
    expect(annotationFor((job) => (taskOf(job).Services = [{ Name: 'redis', PortLabel: 'db' }]))).toEqual([
      ANNOTATION_FORCES_INPLACE_UPDATE,
    ]);
    expect(
      annotationFor((job) => (taskOf(job).Constraints = [{ LTarget: 'a', Operand: '=', RTarget: 'b' }])),
    ).toEqual([ANNOTATION_FORCES_INPLACE_UPDATE]);
    expect(annotationFor((job) => (taskOf(job).LogConfig = { MaxFiles: 3, MaxFileSizeMB: 10 }))).toEqual([
      ANNOTATION_FORCES_INPLACE_UPDATE,
    ]);
    // Changed, but nothing Nomad diffs: still an in-place update.
    expect(annotationFor((job) => (taskOf(job).Lifecycle = { Hook: 'prestart', Sidecar: false }))).toEqual([
      ANNOTATION_FORCES_INPLACE_UPDATE,
    ]);
  });

  it('marks changes that replace the allocation', () => {
    for (const change of [
      (job: NomadJson) => (taskOf(job).Env = { foo: 'baz' }),
      (job: NomadJson) => (taskOf(job).Driver = 'podman'),
      (job: NomadJson) => (taskOf(job).Config = { image: 'redis:8' }),
      (job: NomadJson) => ((taskOf(job).Resources as NomadJson).MemoryMB = 512),
      (job: NomadJson) => (taskOf(job).LogConfig = { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: true }),
    ]) {
      expect(annotationFor(change)).toEqual([ANNOTATION_FORCES_DESTRUCTIVE_UPDATE]);
    }
  });

  it('annotates count changes, new and removed groups, and leaves unchanged tasks alone', () => {
    const up = annotateDiff(diffJobs(...edit((job) => (groupOf(job).Count = 3))));
    expect(onlyGroup(up).Fields).toEqual([field('Edited', 'Count', '1', '3', [ANNOTATION_FORCES_CREATE])]);
    expect(onlyTask(up).Annotations).toBeNull();
    const [, three] = edit((job) => (groupOf(job).Count = 3));
    const down = annotateDiff(diffJobs(three, SAMPLE_VERSION_1));
    expect(onlyGroup(down).Fields?.[0]?.Annotations).toEqual([ANNOTATION_FORCES_DESTROY]);

    const added = annotateDiff(diffJobs(null, SAMPLE_VERSION_1));
    expect(onlyTask(added).Annotations).toEqual([ANNOTATION_FORCES_CREATE]);
  });

  it('treats a task added to an existing group as a create/destroy update, as Nomad does', () => {
    const diff = annotateDiff(
      diffJobs(
        ...edit((job) => {
          (groupOf(job).Tasks as NomadJson[]).push({ Name: 'log-shipper', Driver: 'docker' });
        }),
      ),
    );
    expect(onlyGroup(diff).Tasks?.map((t) => [t.Name, t.Annotations])).toEqual([
      ['log-shipper', [ANNOTATION_FORCES_DESTRUCTIVE_UPDATE]],
      ['redis', null],
    ]);
  });

  it('copies non-zero update counts into Updates with sorted keys, and is idempotent', () => {
    const diff = diffJobs(...edit((job) => (groupOf(job).Count = 3)));
    const annotations = {
      DesiredTGUpdates: { cache: { ...emptyDesiredUpdates(), Place: 2, InPlaceUpdate: 1, Ignore: 0 } },
    };
    annotateDiff(diff, annotations);
    annotateDiff(diff, annotations);
    const group = onlyGroup(diff);
    expect(group.Updates).toEqual({ create: 2, 'in-place update': 1 });
    expect(Object.keys(group.Updates ?? {})).toEqual(['create', 'in-place update']);
    expect(group.Fields?.[0]?.Annotations).toEqual([ANNOTATION_FORCES_CREATE]);
  });
});

describe('desiredTGUpdates', () => {
  const updatesFor = (before: NomadJson | null, after: NomadJson | null) =>
    desiredTGUpdates(before, after).cache ?? expect.fail('no updates for group cache');

  it('ignores an unchanged job and places a new one', () => {
    expect(updatesFor(SAMPLE_VERSION_1, clone(SAMPLE_VERSION_1))).toEqual({
      ...emptyDesiredUpdates(),
      Ignore: 1,
    });
    expect(updatesFor(null, SAMPLE_VERSION_1)).toEqual({ ...emptyDesiredUpdates(), Place: 1 });
    expect(updatesFor(SAMPLE_VERSION_1, null)).toEqual({ ...emptyDesiredUpdates(), Stop: 1 });
    expect(updatesFor(...edit((job) => (job.Stop = true)))).toEqual({ ...emptyDesiredUpdates(), Stop: 1 });
  });

  it('places growth and updates the rest in place for in-place changes', () => {
    const [before, after] = edit((job) => {
      groupOf(job).Count = 3;
      taskOf(job).KillTimeout = 1;
    });
    expect(updatesFor(before, after)).toEqual({ ...emptyDesiredUpdates(), Place: 2, InPlaceUpdate: 1 });
  });

  it('limits destructive updates to max_parallel and uses canaries when configured', () => {
    const [, three] = edit((job) => (groupOf(job).Count = 3));
    const [before, after] = edit((job) => (taskOf(job).Env = { foo: 'baz' }), three);
    expect(updatesFor(before, after)).toEqual({ ...emptyDesiredUpdates(), DestructiveUpdate: 1, Ignore: 2 });
    (groupOf(after).Update as NomadJson).Canary = 1;
    expect(updatesFor(before, after)).toEqual({ ...emptyDesiredUpdates(), Canary: 1, Ignore: 3 });
    const batch = edit((job) => (job.Type = 'batch'), before)[1];
    const batchAfter = edit((job) => (taskOf(job).Env = { foo: 'baz' }), batch)[1];
    expect(updatesFor(batch, batchAfter)).toEqual({ ...emptyDesiredUpdates(), DestructiveUpdate: 3 });
  });

  it('feeds planDiff, which annotates with the same counts', () => {
    const [before, after] = edit((job) => (groupOf(job).Count = 2));
    const { diff, annotations } = planDiff(before, after);
    expect(annotations.DesiredTGUpdates).toEqual({
      cache: { ...emptyDesiredUpdates(), Place: 1, InPlaceUpdate: 1 },
    });
    expect(onlyGroup(diff).Updates).toEqual({ create: 1, 'in-place update': 1 });
  });
});

describe('versionDiffs', () => {
  it('diffs every version against a chosen one when given', () => {
    const v0 = sampleVersion0();
    const v2 = edit((job) => (job.Priority = 60))[1];
    const diffs = versionDiffs([v2, SAMPLE_VERSION_1, v0], v0);
    expect(diffs.map((d) => d.Type)).toEqual(['Edited', 'Edited', 'None']);
    expect(diffs[0]?.Fields).toEqual([field('Edited', 'Priority', '50', '60')]);
    expect(versionDiffs([SAMPLE_VERSION_1])).toEqual([]);
  });
});

describe('formatGoFloat', () => {
  it.each([
    [0, '0'],
    [8080, '8080'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.5, '0.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
  ])('%d -> %s', (value, text) => {
    expect(formatGoFloat(value)).toBe(text);
  });
});
