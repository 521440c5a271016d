// Nomad's defaults, in one table. canonicalize.ts applies them; nothing else should hard-code them.
//
// Two layers, as in Nomad itself:
// * `api`: what the Go `api` package's `Job.Canonicalize()` fills in. The Nomad agent runs it on
//   every register, plan and validate, and `/v1/jobs/parse` with `Canonicalize: true` returns exactly
//   this. Values follow api/jobs.go, api/tasks.go, api/resources.go, api/services.go, api/consul.go.
// * `server`: what the server's own canonicalization and admission hooks add before storing the job,
//   so what `GET /v1/job/:id` returns on top of the `api` layer.
//
// Durations are int64 nanoseconds, as in job JSON.

/** Nanoseconds per unit, for writing durations readably. */
export const NS = {
  second: 1_000_000_000,
  minute: 60_000_000_000,
  hour: 3_600_000_000_000,
} as const;

/** The job types Nomad schedules. `core` is internal and may not be submitted. */
export type JobType = 'service' | 'batch' | 'system' | 'sysbatch';

export const NOMAD_DEFAULTS = {
  api: {
    /** Job scalars. `Name` defaults to the ID and is not in this table. */
    job: {
      ID: '',
      ParentID: '',
      Namespace: 'default',
      Priority: 50,
      Stop: false,
      Region: 'global',
      NodePool: '',
      Type: 'service',
      AllAtOnce: false,
      ConsulNamespace: '',
      VaultNamespace: '',
      NomadTokenID: '',
      Status: '',
      StatusDescription: '',
      Stable: false,
      Version: 0,
      CreateIndex: 0,
      ModifyIndex: 0,
      JobModifyIndex: 0,
    },
    /** Filled into a periodic block that is present. `Specs` becomes `[]`; an empty TimeZone is UTC too. */
    periodic: { Enabled: true, Spec: '', SpecType: 'cron', ProhibitOverlap: false, TimeZone: 'UTC' },
    /**
     * `DefaultUpdateStrategy()`: fills unset fields of any update block, and is the whole block of a
     * service or system job that has none.
     */
    update: {
      Stagger: 30 * NS.second,
      MaxParallel: 1,
      HealthCheck: 'checks',
      MinHealthyTime: 10 * NS.second,
      HealthyDeadline: 5 * NS.minute,
      ProgressDeadline: 10 * NS.minute,
      AutoRevert: false,
      Canary: 0,
      AutoPromote: false,
    },
    /** A multiregion block; each region gets `Count`, and `[]` / `{}` for Datacenters / Meta. */
    multiregionStrategy: { MaxParallel: 0, OnFailure: '' },
    multiregionRegion: { Count: 1 },
    /** Weight of an affinity or spread that has none (job, group, task and device level). */
    affinityWeight: 50,
    spreadWeight: 50,
    /** Group count when neither Count nor Scaling.Min is set. */
    groupCount: 1,
    /** A group scaling block; `Min` defaults to the group count. */
    scaling: { Enabled: true, Type: 'horizontal' },
    ephemeralDisk: { Sticky: false, Migrate: false, SizeMB: 300 },
    /** The consul block of a group or task. A group's empty Namespace takes the job's ConsulNamespace. */
    consul: { Cluster: 'default' },
    /** Reschedule policy by job type; system and sysbatch jobs get none. */
    reschedule: {
      service: {
        Attempts: 0,
        Interval: 0,
        Delay: 30 * NS.second,
        DelayFunction: 'exponential',
        MaxDelay: NS.hour,
        Unlimited: true,
      },
      batch: {
        Attempts: 1,
        Interval: 24 * NS.hour,
        Delay: 5 * NS.second,
        DelayFunction: 'constant',
        MaxDelay: 0,
        Unlimited: false,
      },
      /** Any other type that has a reschedule block (it fills that block's unset fields). */
      other: { Attempts: 0, Interval: 0, Delay: 0, DelayFunction: '', MaxDelay: 0, Unlimited: false },
    },
    /** Migrate strategy: the whole block for service jobs, and unset fields of any migrate block. */
    migrate: {
      MaxParallel: 1,
      HealthCheck: 'checks',
      MinHealthyTime: 10 * NS.second,
      HealthyDeadline: 5 * NS.minute,
    },
    /** Restart policy by job type: `service` covers service and system jobs, `other` everything else. */
    restart: {
      service: {
        Delay: 15 * NS.second,
        Attempts: 2,
        Interval: 30 * NS.minute,
        Mode: 'fail',
        RenderTemplates: false,
      },
      other: {
        Delay: 15 * NS.second,
        Attempts: 3,
        Interval: 24 * NS.hour,
        Mode: 'fail',
        RenderTemplates: false,
      },
    },
    disconnect: { Replace: true, Reconcile: 'best_score' },
    /** Services; `Name` defaults to `<job>-<group>` (`<job>-<group>-<task>` for task services). */
    service: { AddressMode: 'auto', OnUpdate: 'require_healthy', Provider: 'consul', Cluster: 'default' },
    /** A check's restart block (the service's merged with the check's) gets this grace. */
    checkRestart: { Grace: NS.second },
    /** Non-positive service weights become 1. */
    serviceWeights: { Passing: 1, Warning: 1 },
    /** Task resources. CPU is 100 MHz only if Cores is unset; with Cores set, unset CPU is 0. */
    resources: { CPU: 100, Cores: 0, MemoryMB: 300 },
    device: { Count: 1 },
    numa: { Affinity: 'none' },
    task: { KillTimeout: 5 * NS.second },
    logConfig: { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false },
    /** Artifacts; RelativeDest is `local/<basename of source>` instead for GetterMode `file`. */
    artifact: { GetterMode: 'any', GetterInsecure: false, GetterSource: '', RelativeDest: 'local/' },
    /** Templates. ChangeSignal is SIGHUP only for ChangeMode `signal` (else ''), always upper-cased. */
    template: {
      SourcePath: '',
      DestPath: '',
      EmbeddedTmpl: '',
      ChangeMode: 'restart',
      signalModeChangeSignal: 'SIGHUP',
      Once: false,
      Splay: 5 * NS.second,
      Perms: '0644',
      LeftDelim: '{{',
      RightDelim: '}}',
      Envvars: false,
      ErrMissingKey: false,
      VaultGrace: 0,
    },
    /** A template's change_script block; `Args` becomes `[]`. */
    changeScript: { Command: '', Timeout: 5 * NS.second, FailOnError: false, RunOnFirstRender: false },
    vault: {
      Env: true,
      DisableFile: false,
      Namespace: '',
      Cluster: 'default',
      ChangeMode: 'restart',
      ChangeSignal: 'SIGHUP',
      AllowTokenExpiration: false,
    },
    volumeMount: { PropagationMode: 'private', ReadOnly: false, SELinuxLabel: '' },
    csiPlugin: { MountDir: '/csi', StagePublishBaseDir: '/local/csi', HealthTimeout: 30 * NS.second },
    /** A Connect sidecar_task block (resources and logs as for tasks). */
    sidecarTask: { KillTimeout: 5 * NS.second, ShutdownDelay: 0 },
    gatewayProxy: { ConnectTimeout: 5 * NS.second },
    ingressListener: { Protocol: 'tcp' },
  },
  server: {
    /** An empty or missing datacenter list means "every datacenter". */
    datacenters: ['*'],
    /** The node-pool admission hook puts jobs without one into the namespace's default pool. */
    nodePool: 'default',
    parameterizedPayload: 'optional',
    /** Ports with no host_network use the default host network. */
    portHostNetwork: 'default',
    /** Every task gets this identity unless it declares one named `default`. */
    identity: { Name: 'default', Audience: ['nomadproject.io'] },
    /** Name of a check that has none: `service: "<service name>" check`. */
    checkName: (serviceName: string) => `service: ${JSON.stringify(serviceName)} check`,
  },
} as const;

type Defaults = typeof NOMAD_DEFAULTS.api;

/** The update block of a job that has none: only service and system jobs get one. */
export function defaultUpdateStrategy(jobType: string): Defaults['update'] | undefined {
  return jobType === 'service' || jobType === 'system' ? NOMAD_DEFAULTS.api.update : undefined;
}

/** The reschedule policy of a group that has none (neither its own nor the job's). */
export function defaultReschedulePolicy(
  jobType: string,
): Defaults['reschedule'][keyof Defaults['reschedule']] | undefined {
  if (jobType === 'system' || jobType === 'sysbatch') return undefined;
  return reschedulePolicyFill(jobType);
}

/** What fills the unset fields of a reschedule block that is present. */
export function reschedulePolicyFill(jobType: string): Defaults['reschedule'][keyof Defaults['reschedule']] {
  const table = NOMAD_DEFAULTS.api.reschedule;
  if (jobType === 'service') return table.service;
  if (jobType === 'batch') return table.batch;
  return table.other;
}

/** The migrate block of a group that has none: only service jobs get one. */
export function defaultMigrateStrategy(jobType: string): Defaults['migrate'] | undefined {
  return jobType === 'service' ? NOMAD_DEFAULTS.api.migrate : undefined;
}

/** The restart policy a group's own block is merged onto. */
export function defaultRestartPolicy(jobType: string): Defaults['restart'][keyof Defaults['restart']] {
  return jobType === 'service' || jobType === 'system'
    ? NOMAD_DEFAULTS.api.restart.service
    : NOMAD_DEFAULTS.api.restart.other;
}
