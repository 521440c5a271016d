// Every field of the Nomad job model, set to a valid non-default value on a realistic job of every type,
// must change the Kubernetes objects or be named by a warning (schema-walk.ts does the walking). What
// may stay silent is derived from the conversion table (Nomad's bookkeeping, and rows that say why a
// value needs nothing) or listed here with the reason; what Nomad itself refuses is listed too. Every
// list entry must still be needed, so the lists shrink as the translator improves. The docker driver's
// options, which the schema holds as a free-form map, are walked the same way.
import { beforeAll, describe, expect, it } from 'vitest';
import { conversionFor } from '../../../src/translate/conversion-table.ts';
import {
  DOCKER_OPTIONS,
  EXEC_OPTIONS,
  type ExtraValue,
  type FieldResult,
  JAVA_OPTIONS,
  VARIANTS,
  type Variant,
  walk,
  walkDockerOptions,
  walkDriverOptions,
  walkExtraValues,
  walkedFields,
} from './schema-walk.ts';

interface Entry {
  /** A field pattern; with `below`, also every field under it. */
  field: string;
  below?: boolean;
  /** The job variants it applies to; all when absent. */
  variants?: readonly Variant[];
  why: string;
}

const NOT_SERVICE: readonly Variant[] = ['batch', 'periodic', 'dispatched', 'system', 'sysbatch'];
const NOT_DISPATCHED: readonly Variant[] = ['service', 'batch', 'periodic', 'system', 'sysbatch'];
const BATCH_LIKE: readonly Variant[] = ['batch', 'periodic', 'dispatched', 'sysbatch'];
const SYSTEM_LIKE: readonly Variant[] = ['system', 'sysbatch'];

/**
 * Values Nomad refuses (validation), discards (canonicalization) or has no alternative for: the walk
 * cannot test these, and Nomad would never hand them to the translator.
 */
const NOMAD_REFUSES: readonly Entry[] = [
  { field: 'Multiregion', below: true, why: 'open-source Nomad refuses multiregion jobs (unlicensed)' },
  { field: 'TaskGroups[].Tasks[].Identity.TTL', why: 'Nomad does not support a TTL on the default identity' },
  {
    field: 'TaskGroups[].Services[].Connect.Native',
    why: 'a connect block is exactly one of native, sidecar or gateway: no valid block turns native on',
  },
  {
    field: 'TaskGroups[].Tasks[].Services[].Checks[].Expose',
    why: 'only checks of group services with a sidecar may be exposed',
  },
  {
    field: 'TaskGroups[].Volumes.*.PerAlloc',
    variants: SYSTEM_LIKE,
    why: 'system and sysbatch volumes cannot be per_alloc',
  },
  {
    field: 'TaskGroups[].Tasks[].Services[].Connect',
    below: true,
    why: 'only services defined in a group block can have a connect block',
  },
  {
    field: 'Periodic',
    below: true,
    variants: ['service', 'system'],
    why: 'periodic jobs are batch or sysbatch',
  },
  {
    field: 'ParameterizedJob',
    below: true,
    variants: ['service', 'system'],
    why: 'parameterized jobs are batch or sysbatch',
  },
  { field: 'Type', variants: ['periodic'], why: 'a periodic job cannot become a service job' },
  { field: 'Periodic.SpecType', why: 'cron is the only spec type Nomad accepts' },
  {
    field: 'Update',
    below: true,
    variants: BATCH_LIKE,
    why: 'batch and sysbatch jobs may not have an update block',
  },
  {
    field: 'TaskGroups[].Update',
    below: true,
    variants: BATCH_LIKE,
    why: 'batch and sysbatch jobs may not have an update block',
  },
  { field: 'Migrate', below: true, variants: NOT_SERVICE, why: 'only service jobs may have a migrate block' },
  {
    field: 'TaskGroups[].Migrate',
    below: true,
    variants: NOT_SERVICE,
    why: 'only service jobs may have a migrate block',
  },
  {
    field: 'Reschedule',
    below: true,
    variants: SYSTEM_LIKE,
    why: 'system and sysbatch jobs may not have a reschedule policy',
  },
  {
    field: 'TaskGroups[].ReschedulePolicy',
    below: true,
    variants: SYSTEM_LIKE,
    why: 'system and sysbatch jobs may not have a reschedule policy',
  },
  {
    field: 'Affinities',
    below: true,
    variants: ['system'],
    why: 'system jobs may not have an affinity block',
  },
  {
    field: 'TaskGroups[].Affinities',
    below: true,
    variants: ['system'],
    why: 'system jobs may not have an affinity block',
  },
  {
    field: 'TaskGroups[].Tasks[].Affinities',
    below: true,
    variants: ['system'],
    why: 'system jobs may not have an affinity block',
  },
  { field: 'Spreads', below: true, variants: ['system'], why: 'system jobs may not have a spread block' },
  {
    field: 'TaskGroups[].Spreads',
    below: true,
    variants: ['system'],
    why: 'system jobs may not have a spread block',
  },
  { field: 'Payload', variants: NOT_DISPATCHED, why: 'only a dispatched child carries a payload' },
  { field: 'TaskGroups[].Count', variants: ['system'], why: 'a system group’s count cannot exceed 1' },
  {
    field: 'TaskGroups[].MaxRunDuration',
    variants: ['service', 'system'],
    why: 'only batch and sysbatch groups may have max_run_duration',
  },
  {
    field: 'TaskGroups[].Disconnect.StopOnClientAfter',
    variants: SYSTEM_LIKE,
    why: 'stop_after is for service and batch jobs only',
  },
  {
    field: 'TaskGroups[].Scaling.Min',
    variants: ['periodic', 'dispatched', 'system'],
    why: 'the walked minimum (2) exceeds these groups’ count of 1',
  },
  { field: 'TaskGroups[].Scaling.Type', why: 'a group scaling policy is always horizontal' },
  { field: 'TaskGroups[].Scaling.Target', why: 'set by the server' },
  { field: 'TaskGroups[].Tasks[].ScalingPolicies[].Target', why: 'set by the server' },
  { field: 'TaskGroups[].Tasks[].Resources.DiskMB', why: 'the HTTP agent drops a task’s disk' },
  {
    field: 'TaskGroups[].Services[].Connect.SidecarTask.Resources.DiskMB',
    why: 'the HTTP agent drops a task’s disk',
  },
  {
    field: 'TaskGroups[].Tasks[].Identity.Audience',
    why: 'the default identity’s audience is always Nomad’s',
  },
  {
    field: 'TaskGroups[].Tasks[].Services[].TaskName',
    why: 'a task service always names its own task (filled in; any other is refused)',
  },
  {
    field: 'TaskGroups[].Tasks[].Services[].Checks[].TaskName',
    why: 'a task service’s check always names its own task (filled in; any other is refused)',
  },
];

/** Silence that is right: Nomad ignores the value for this job type too, or Kubernetes already does it. */
const NOTHING_TO_DO: readonly Entry[] = [
  {
    field: 'TaskGroups[].Tasks[].LogConfig.Enabled',
    why: 'predates `Disabled`; Nomad’s server ignores it (the API serves it as false), so it changes nothing',
  },
  {
    field: 'Dispatched',
    variants: NOT_DISPATCHED,
    why: 'Nomad sets it on the dispatched children of a parameterized job; on any other job it means nothing',
  },
  {
    field: 'TaskGroups[].Tasks[].DispatchPayload.File',
    variants: NOT_DISPATCHED,
    why: 'only a dispatched child has a payload to write',
  },
  {
    field: 'TaskGroups[].Count',
    variants: ['sysbatch'],
    why: 'the sysbatch scheduler runs one allocation per eligible node; count is not used',
  },
  {
    field: 'TaskGroups[].RestartPolicy.Mode',
    variants: ['service', 'system'],
    why: '`delay` restarts without limit, which the kubelet does for every long-running pod',
  },
  {
    field: 'TaskGroups[].Tasks[].RestartPolicy.Mode',
    variants: ['service', 'system'],
    why: 'a task’s own `delay` restarts without limit too, which Nomad never fails; only a `fail` is reported',
  },
  {
    field: 'TaskGroups[].Networks[].DynamicPorts[].Value',
    why: 'Nomad assigns a dynamic port’s value when placing the allocation',
  },
  {
    field: 'TaskGroups[].Tasks[].Resources.Networks[].DynamicPorts[].Value',
    why: 'Nomad assigns a dynamic port’s value when placing the allocation',
  },
  {
    field: 'TaskGroups[].Services[].Checks[].TLSSkipVerify',
    variants: ['service', 'batch', 'periodic', 'dispatched', 'system'],
    why: 'HTTPS probes never verify certificates: skipping verification is what the probe does anyway',
  },
  {
    field: 'TaskGroups[].Services[].TaskName',
    variants: ['sysbatch'],
    why: 'the task only chooses the container of the service’s checks, and every task of a sysbatch pod is an init container, which has no probes (each check is reported as not translated)',
  },
];

/**
 * PENDING — silently dropped today, in networking.ts. Each
 * entry is a real gap: convert the field or warn once with what to do, then delete the entry (the last
 * test fails while an entry is no longer needed).
 */
const PENDING_NETWORKING: readonly Entry[] = [];

/** PENDING — silently dropped today, in placement.ts (owned elsewhere). */
const PENDING_PLACEMENT: readonly Entry[] = [];

const ALL_LISTS = [...NOMAD_REFUSES, ...NOTHING_TO_DO, ...PENDING_NETWORKING, ...PENDING_PLACEMENT];

function matches(entry: Entry, result: FieldResult): boolean {
  const field = result.field;
  const here =
    field === entry.field ||
    (entry.below === true && (field.startsWith(`${entry.field}.`) || field.startsWith(`${entry.field}[`)));
  return here && (entry.variants === undefined || entry.variants.includes(result.variant));
}

/** Silence the conversion table explains: Nomad's bookkeeping, or a row that says why nothing is needed. */
function tableExplains(field: string): string | undefined {
  const row = conversionFor(field);
  if (row?.status === 'metadata') return `metadata: ${row.why}`;
  return row?.noEffect;
}

function describeResult(r: FieldResult): string {
  const detail =
    'errors' in r.outcome ? `: ${r.outcome.errors.join(' ').replace(/\s+/g, ' ').slice(0, 200)}` : '';
  return `${r.variant} ${r.path} (${r.outcome.kind})${detail}`;
}

const REFUSED = new Set(['rejected', 'discarded', 'no-context', 'no-value']);

describe('the schema walk', () => {
  let results: FieldResult[] = [];
  beforeAll(() => {
    results = walk();
  }, 60_000);

  it('sets every leaf field of the job model in every job variant', () => {
    expect(walkedFields.length).toBeGreaterThan(700);
    expect(results).toHaveLength(walkedFields.length * VARIANTS.length);
    // A field that acts in no variant must be explained for every variant (by the table or a list).
    const untested = walkedFields
      .map((f) => results.filter((r) => r.field === f.path))
      .filter((rs) => !rs.some((r) => r.outcome.kind === 'changed' || r.outcome.kind === 'warned'))
      .filter((rs) => tableExplains(rs[0]?.field ?? '') === undefined)
      .filter((rs) => !rs.every((r) => ALL_LISTS.some((e) => matches(e, r))))
      .map((rs) => rs[0]?.field);
    expect(untested).toEqual([]);
  });

  it('finds no field that neither changes the objects nor is named by a warning', () => {
    const silent = results.filter(
      (r) =>
        r.outcome.kind === 'silent' &&
        tableExplains(r.field) === undefined &&
        ![...NOTHING_TO_DO, ...PENDING_NETWORKING, ...PENDING_PLACEMENT].some((e) => matches(e, r)),
    );
    expect(silent.map(describeResult)).toEqual([]);
  });

  it('skips only values that Nomad itself refuses or discards', () => {
    const refused = results.filter(
      (r) => REFUSED.has(r.outcome.kind) && !NOMAD_REFUSES.some((e) => matches(e, r)),
    );
    expect(refused.map(describeResult)).toEqual([]);
  });

  it('tells a field that does nothing from one that acts (self-check)', () => {
    const outcome = (field: string, variant: Variant) =>
      results.find((r) => r.field === field && r.variant === variant)?.outcome.kind;
    // The translator ignores `Stop` (state, not spec); memory becomes requests and limits; Vault is
    // reported as not applicable; a limited reschedule policy of a service job is reported.
    expect(outcome('Stop', 'service')).toBe('silent');
    expect(outcome('TaskGroups[].Tasks[].Resources.MemoryMB', 'service')).toBe('changed');
    expect(outcome('TaskGroups[].Tasks[].Vault.Policies', 'batch')).toBe('warned');
    expect(outcome('TaskGroups[].ReschedulePolicy.Unlimited', 'service')).toBe('warned');
    expect(outcome('Payload', 'service')).toBe('rejected');
  });

  it('takes the no-effect reasons from the conversion table', () => {
    // The table's reasons must be honest: a row that says "no effect" is silent, and its fields exist.
    const quiet = results.filter((r) => r.outcome.kind === 'silent' && tableExplains(r.field) !== undefined);
    expect(quiet.length).toBeGreaterThan(0);
    for (const r of quiet) expect(tableExplains(r.field), r.field).toMatch(/\w/);
  });

  it('lists nothing that is no longer needed (a fixed field leaves the pending list)', () => {
    const stale = (entries: readonly Entry[], kinds: ReadonlySet<string>) =>
      entries
        .filter((e) => !results.some((r) => kinds.has(r.outcome.kind) && matches(e, r)))
        .map((e) => `${e.field}${e.variants ? ` [${e.variants.join(', ')}]` : ''}`);
    expect(stale(NOMAD_REFUSES, REFUSED)).toEqual([]);
    expect(stale(NOTHING_TO_DO, new Set(['silent']))).toEqual([]);
    expect(stale(PENDING_NETWORKING, new Set(['silent']))).toEqual([]);
    expect(stale(PENDING_PLACEMENT, new Set(['silent']))).toEqual([]);
    // And a pending entry must be silent in every variant it names, so it does not hide a fixed one.
    const partlyFixed = [...PENDING_NETWORKING, ...PENDING_PLACEMENT].flatMap((e) =>
      results.filter((r) => matches(e, r) && (r.outcome.kind === 'changed' || r.outcome.kind === 'warned')),
    );
    expect(partlyFixed.map(describeResult)).toEqual([]);
  });
});

/** Docker options with nothing to carry over (drivers.ts, DOCKER_SILENT, says the same). */
const DOCKER_NOTHING_TO_DO: readonly Entry[] = [
  {
    field: 'Config.auth_soft_fail',
    why: 'only a credential helper or config file lookup can fail softly, and those are not converted (warned with auth)',
  },
  { field: 'Config.healthchecks', why: 'Kubernetes never runs an image’s Docker HEALTHCHECK' },
  { field: 'Config.container_exists_timeout', why: 'the Nomad client’s own wait for Docker' },
  {
    field: 'Config.advertise_ipv6_address',
    why: 'the address Nomad registers for the service; Services route to the pod IPs',
  },
  {
    field: 'Config.ports',
    why: 'with a group bridge network Nomad publishes no docker ports (the task joins the allocation’s namespace, whose ports the network block maps); the list only picks the container that declares the port',
  },
];

/** PENDING (networking.ts) — docker port options that change nothing and say nothing. */
const DOCKER_PENDING_NETWORKING: readonly Entry[] = [];

describe('the docker options walk', () => {
  let results: FieldResult[] = [];
  beforeAll(() => {
    results = walkDockerOptions();
  }, 60_000);

  it('sets every listed docker option on a service and a sysbatch task', () => {
    expect(results).toHaveLength(Object.keys(DOCKER_OPTIONS).length * 2);
    expect(results.filter((r) => r.outcome.kind === 'rejected' || r.outcome.kind === 'no-value')).toEqual([]);
  });

  it('finds no option that neither changes the objects nor is named by a warning', () => {
    const silent = results.filter(
      (r) =>
        r.outcome.kind === 'silent' &&
        ![...DOCKER_NOTHING_TO_DO, ...DOCKER_PENDING_NETWORKING].some((e) => matches(e, r)),
    );
    expect(silent.map(describeResult)).toEqual([]);
  });

  it('lists nothing that is no longer needed', () => {
    const stale = [...DOCKER_NOTHING_TO_DO, ...DOCKER_PENDING_NETWORKING].filter(
      (e) => !results.some((r) => r.outcome.kind === 'silent' && matches(e, r)),
    );
    expect(stale.map((e) => e.field)).toEqual([]);
  });
});

describe('the exec and java options walk', () => {
  it('converts or reports every option of an exec and a java task', () => {
    const results = [
      ...walkDriverOptions('exec', EXEC_OPTIONS, ['service', 'sysbatch']),
      ...walkDriverOptions('java', JAVA_OPTIONS, ['service', 'sysbatch']),
    ];
    expect(results).toHaveLength((Object.keys(EXEC_OPTIONS).length + Object.keys(JAVA_OPTIONS).length) * 2);
    const quiet = results.filter((r) => r.outcome.kind !== 'changed' && r.outcome.kind !== 'warned');
    expect(quiet.map(describeResult)).toEqual([]);
  });
});

type Job = Record<string, unknown>;
type Block = Record<string, unknown>;

function firstGroup(job: Job): Block {
  return (job.TaskGroups as Block[])[0] as Block;
}

function firstTask(job: Job): Block {
  return (firstGroup(job).Tasks as Block[])[0] as Block;
}

/** A host volume (the walk's own volumes start with a CSI one), mounted by the first task. */
function withHostVolume(job: Job): void {
  firstGroup(job).Volumes = { data: { Name: 'data', Type: 'host', Source: 'data' } };
  firstTask(job).VolumeMounts = [{ Volume: 'data', Destination: '/data' }];
}

const LONG_RUNNING: readonly Variant[] = ['service', 'system'];

/**
 * Other cases of enumerations and settings whose meaning depends on the value: each must act too. (The
 * walk above tries one value per field.)
 */
const EXTRA_VALUES: readonly ExtraValue[] = [
  { field: 'TaskGroups[].Tasks[].Lifecycle.Hook', value: 'poststop' },
  {
    field: 'TaskGroups[].Tasks[].Lifecycle.Sidecar',
    value: true,
    setUp: (job) => {
      firstTask(job).Lifecycle = { Hook: 'poststart' };
      (firstGroup(job).Tasks as Block[]).push({
        Name: 'main',
        Driver: 'docker',
        Config: { image: 'busybox:1.37' },
      });
    },
  },
  { field: 'TaskGroups[].Tasks[].Driver', value: 'raw_exec' },
  { field: 'TaskGroups[].Tasks[].Driver', value: 'java' },
  { field: 'TaskGroups[].Tasks[].Driver', value: 'podman' },
  { field: 'TaskGroups[].Tasks[].User', value: 'nobody' },
  { field: 'TaskGroups[].Tasks[].KillSignal', value: 'SIGKILL' },
  { field: 'TaskGroups[].Tasks[].Leader', value: true },
  { field: 'TaskGroups[].Volumes.*.AccessMode', value: 'single-node-writer', setUp: withHostVolume },
  { field: 'TaskGroups[].Volumes.*.AttachmentMode', value: 'block-device', setUp: withHostVolume },
  { field: 'TaskGroups[].Volumes.*.ReadOnly', value: true, setUp: withHostVolume },
  {
    field: 'TaskGroups[].Volumes.*.PerAlloc',
    value: true,
    setUp: withHostVolume,
    // Nomad refuses per-allocation volumes in system and sysbatch jobs.
    variants: ['service', 'batch', 'periodic', 'dispatched'],
  },
  { field: 'TaskGroups[].Volumes.*.Sticky', value: true, setUp: withHostVolume },
  // (A static template's change_mode never fires, in Nomad as here: no value of it has an effect.)
  { field: 'TaskGroups[].Tasks[].Templates[].DestPath', value: 'alloc/shared.conf' },
  { field: 'TaskGroups[].Tasks[].Templates[].DestPath', value: '../alloc/shared.conf' },
  { field: 'TaskGroups[].Tasks[].Templates[].DestPath', value: 'secrets/app.env' },
  { field: 'TaskGroups[].Update.MaxParallel', value: 0, variants: LONG_RUNNING },
  { field: 'TaskGroups[].Update.Canary', value: 2, variants: LONG_RUNNING },
  {
    field: 'Periodic.Spec',
    value: '0 */5 * * * *',
    variants: ['batch', 'periodic', 'dispatched', 'sysbatch'],
  },
  { field: 'TaskGroups[].Tasks[].Resources.Devices[].Name', value: 'amd/gpu' },
  {
    field: 'TaskGroups[].Tasks[].Resources.Cores',
    value: 2,
    setUp: (job) => {
      firstTask(job).Resources = { MemoryMB: 256 };
    },
  },
  { field: 'TaskGroups[].Tasks[].Resources.SecretsMB', value: 8 },
  { field: 'TaskGroups[].EphemeralDisk.SizeMB', value: 500 },
];

describe('other values of value-dependent fields', () => {
  it('converts or reports each of them in every job variant Nomad accepts it in', () => {
    const results = walkExtraValues(EXTRA_VALUES);
    const quiet = results.filter((r) => r.outcome.kind !== 'changed' && r.outcome.kind !== 'warned');
    expect(quiet.map(describeResult)).toEqual([]);
  });
});
