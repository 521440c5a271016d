// Canonicalization: filling in Nomad's defaults the way Nomad does, and the PreserveCounts /
// PreserveResources merges of a re-registration.
//
// * `canonicalizeApi` is the Go api package's `Job.Canonicalize()` (api/jobs.go, api/tasks.go,
//   api/resources.go, api/services.go, api/consul.go, api/scaling.go): what `/v1/jobs/parse` returns
//   with `Canonicalize: true`.
// * `canonicalize` adds what the HTTP agent drops on the way to the server (a task's `DiskMB`,
//   volumes of unknown types) and what the server does before storing a job (structs
//   canonicalization and admission hooks): what
//   `GET /v1/job/:id` shows.
//
// Both are pure: they deep-copy their input and fill the copy. The code mirrors Nomad's order of
// operations, because later steps read earlier results (a group inherits the job's already
// defaulted update block; a task's restart policy starts from its group's). The default values
// themselves live in defaults.ts.
//
// One difference to a Nomad GET remains by design: Nomad also prints the zero value (0, "", false)
// of every plain Go field nobody set; this model leaves such fields unset, and whoever renders
// Nomad-shaped responses fills them in.
//
// "Unset" is `undefined`: parsing (parseJobJson) has already turned JSON nulls into absent keys. Where
// Nomad's field is a plain Go value rather than a pointer, the empty value counts as unset too
// (`isBlank`), because Go cannot tell the two apart.
import {
  defaultMigrateStrategy,
  defaultReschedulePolicy,
  defaultRestartPolicy,
  defaultUpdateStrategy,
  NOMAD_DEFAULTS,
  reschedulePolicyFill,
} from './defaults.ts';
import { goPathBase, goPathJoin } from './go.ts';
import type {
  Affinity,
  CheckRestart,
  ConsulConnect,
  Job,
  LogConfig,
  NetworkResource,
  Resources,
  Service,
  Spread,
  Task,
  TaskGroup,
  UpdateStrategy,
  WorkloadIdentity,
} from './schema.ts';
import { formatIssuePath } from './validate.ts';

const API = NOMAD_DEFAULTS.api;
const SERVER = NOMAD_DEFAULTS.server;

/** Canonicalizes like the Go api package's `Job.Canonicalize()`; does not modify `job`. */
export function canonicalizeApi(job: Job): Job {
  const out = structuredClone(job);
  apiJob(out);
  return out;
}

/**
 * Canonicalizes like a Nomad server registering the job: the api package's defaults, then the
 * server's. The result is what Nomad stores and `GET /v1/job/:id` returns (less Go zero values, see
 * above). Does not modify `job`. Idempotent for jobs that pass validation.
 */
export function canonicalize(job: Job): Job {
  const out = structuredClone(job);
  apiJob(out);
  agentJob(out);
  serverJob(out);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

type Obj = Record<string, unknown>;

/** Sets every key of `defaults` that is unset on `target`. Arrays are copied, never shared. */
function fill<T extends object>(target: T, defaults: object): T {
  const record = target as Obj;
  for (const [key, value] of Object.entries(defaults)) {
    if (record[key] === undefined) record[key] = Array.isArray(value) ? [...value] : value;
  }
  return target;
}

/** A copy of `base` with every set field of `overlay` on top (Go's `Merge` of pointer structs). */
function merge<T extends object>(base: T, overlay: T | undefined): T {
  const out = { ...base } as Obj;
  for (const [key, value] of Object.entries(overlay ?? {})) {
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

/** Unset, or the zero value of a plain (non-pointer) Go field. */
function isBlank(value: unknown): boolean {
  return value === undefined || value === '' || value === 0;
}

/** Unset, or an empty list or map: Nomad treats all three alike and stores nil. */
function isEmpty(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** Deletes the listed keys whose value is an empty list or map. */
function dropEmpty(target: object, ...keys: string[]): void {
  const record = target as Obj;
  for (const key of keys) {
    if (key in record && isEmpty(record[key])) delete record[key];
  }
}

function weighAffinities(affinities: Affinity[] | undefined): void {
  for (const a of affinities ?? []) a.Weight ??= API.affinityWeight;
}

function weighSpreads(spreads: Spread[] | undefined): void {
  for (const s of spreads ?? []) s.Weight ??= API.spreadWeight;
}

// ---------------------------------------------------------------------------------------------------
// api layer: Job.Canonicalize and everything it calls

function apiJob(job: Job): void {
  fill(job, API.job);
  job.Name ??= job.ID;
  const type = job.Type ?? API.job.Type;

  if (job.Periodic) {
    const p = fill(job.Periodic, API.periodic);
    p.Specs ??= [];
    if (p.TimeZone === '') p.TimeZone = API.periodic.TimeZone;
  }

  if (job.Update) fill(job.Update, API.update);
  else {
    const update = defaultUpdateStrategy(type);
    if (update) job.Update = { ...update };
  }

  if (job.Multiregion) {
    const m = job.Multiregion;
    m.Strategy = fill(m.Strategy ?? {}, API.multiregionStrategy);
    m.Regions ??= [];
    for (const region of m.Regions) {
      fill(region, API.multiregionRegion);
      region.Datacenters ??= [];
      region.Meta ??= {};
    }
  }

  for (const group of job.TaskGroups ?? []) apiGroup(group, job, type);
  weighSpreads(job.Spreads);
  weighAffinities(job.Affinities);
  if (job.UI?.Links?.length === 0) delete job.UI.Links;
}

/** Go's `UpdateStrategy.Empty()`: no field holds a non-zero value. */
function isEmptyUpdate(u: UpdateStrategy): boolean {
  return Object.entries(u).every(([, v]) => v === undefined || v === 0 || v === '' || v === false);
}

function apiGroup(group: TaskGroup, job: Job, type: string): void {
  group.Name ??= '';
  group.Count ??= group.Scaling?.Min ?? API.groupCount;
  if (group.Scaling) {
    const s = group.Scaling;
    s.Enabled ??= API.scaling.Enabled;
    s.Min ??= group.Count;
    if (isBlank(s.Type)) s.Type = API.scaling.Type;
  }
  group.EphemeralDisk = fill(group.EphemeralDisk ?? {}, API.ephemeralDisk);

  if (group.Consul) {
    // A group's consul block inherits the job's Consul namespace.
    if (isBlank(group.Consul.Namespace) && job.ConsulNamespace !== undefined) {
      group.Consul.Namespace = job.ConsulNamespace;
    }
    if (isBlank(group.Consul.Cluster)) group.Consul.Cluster = API.consul.Cluster;
  }

  // Update: the job's block (already defaulted above) under the group's own fields.
  if (job.Update && group.Update) group.Update = merge(job.Update, group.Update);
  else if (job.Update && !isEmptyUpdate(job.Update)) group.Update = { ...job.Update };
  if (group.Update) fill(group.Update, API.update);

  // Reschedule: the job's block under the group's, else the job type's default.
  if (job.Reschedule) group.ReschedulePolicy = merge(job.Reschedule, group.ReschedulePolicy);
  if (!group.ReschedulePolicy) {
    const policy = defaultReschedulePolicy(type);
    if (policy) group.ReschedulePolicy = { ...policy };
  }
  if (group.ReschedulePolicy) fill(group.ReschedulePolicy, reschedulePolicyFill(type));

  // Migrate: the job's block under the group's; service jobs always get one.
  if (job.Migrate) group.Migrate = merge(job.Migrate, group.Migrate);
  if (!group.Migrate && defaultMigrateStrategy(type)) group.Migrate = {};
  if (group.Migrate) fill(group.Migrate, API.migrate);

  // Restart: the job type's default under the group's own fields.
  group.RestartPolicy = merge({ ...defaultRestartPolicy(type) }, group.RestartPolicy);

  for (const task of group.Tasks ?? []) apiTask(task, group, job);
  weighSpreads(group.Spreads);
  weighAffinities(group.Affinities);
  for (const service of group.Services ?? []) apiService(service, job, group, undefined);
  if (group.Disconnect) fill(group.Disconnect, API.disconnect);
}

function apiResources(r: Resources): void {
  // CPU defaults to 100 MHz only when the task does not reserve whole cores instead.
  if (r.Cores === undefined) {
    r.Cores = API.resources.Cores;
    r.CPU ??= API.resources.CPU;
  }
  r.CPU ??= 0;
  r.MemoryMB ??= API.resources.MemoryMB;
  for (const device of r.Devices ?? []) {
    fill(device, API.device);
    weighAffinities(device.Affinities);
  }
  if (r.NUMA) {
    if (isBlank(r.NUMA.Affinity)) r.NUMA.Affinity = API.numa.Affinity;
    dropEmpty(r.NUMA, 'Devices');
  }
}

function apiLogConfig(l: LogConfig | undefined): LogConfig {
  return fill(l ?? {}, API.logConfig);
}

function apiTask(task: Task, group: TaskGroup, job: Job): void {
  task.Resources ??= {};
  apiResources(task.Resources);
  task.KillTimeout ??= API.task.KillTimeout;
  task.LogConfig = apiLogConfig(task.LogConfig);

  for (const a of task.Artifacts ?? []) {
    a.GetterMode ??= API.artifact.GetterMode;
    a.GetterInsecure ??= API.artifact.GetterInsecure;
    a.GetterSource ??= API.artifact.GetterSource;
    dropEmpty(a, 'GetterOptions', 'GetterHeaders');
    // A single file lands in local/ under its own name; anything else is unpacked into local/.
    a.RelativeDest ??=
      a.GetterMode === 'file' ? goPathJoin('local', goPathBase(a.GetterSource)) : API.artifact.RelativeDest;
  }

  if (task.Vault) {
    const { Cluster, ...rest } = API.vault;
    fill(task.Vault, rest);
    if (isBlank(task.Vault.Cluster)) task.Vault.Cluster = Cluster;
  }
  if (task.Consul && isBlank(task.Consul.Cluster)) task.Consul.Cluster = API.consul.Cluster;

  for (const t of task.Templates ?? []) {
    const { signalModeChangeSignal, ...plain } = API.template;
    t.ChangeMode ??= plain.ChangeMode;
    if (t.ChangeSignal === undefined)
      t.ChangeSignal = t.ChangeMode === 'signal' ? signalModeChangeSignal : '';
    else t.ChangeSignal = t.ChangeSignal.toUpperCase();
    if (t.ChangeScript) {
      fill(t.ChangeScript, API.changeScript);
      t.ChangeScript.Args ??= [];
    }
    fill(t, plain);
  }

  for (const s of task.Secrets ?? []) dropEmpty(s, 'Config', 'Env');
  for (const service of task.Services ?? []) apiService(service, job, group, task);
  weighAffinities(task.Affinities);
  for (const m of task.VolumeMounts ?? []) fill(m, API.volumeMount);
  if (task.CSIPluginConfig) {
    const c = task.CSIPluginConfig;
    if (isBlank(c.MountDir)) c.MountDir = API.csiPlugin.MountDir;
    if (isBlank(c.StagePublishBaseDir)) c.StagePublishBaseDir = API.csiPlugin.StagePublishBaseDir;
    if (isBlank(c.HealthTimeout)) c.HealthTimeout = API.csiPlugin.HealthTimeout;
  }
  // The group's restart policy (already defaulted) under the task's own fields.
  task.RestartPolicy = merge({ ...group.RestartPolicy }, task.RestartPolicy);
}

/** Go's `CheckRestart.Merge`: the service's block with the check's set fields on top. */
function mergeCheckRestart(
  service: CheckRestart | undefined,
  check: CheckRestart | undefined,
): CheckRestart | undefined {
  if (!service) return check;
  const merged = { ...service };
  if ((check?.Limit ?? 0) > 0) merged.Limit = check?.Limit;
  if (check?.Grace !== undefined) merged.Grace = check.Grace;
  if (check?.IgnoreWarnings) merged.IgnoreWarnings = true;
  return merged;
}

function apiService(service: Service, job: Job, group: TaskGroup, task: Task | undefined): void {
  if (isBlank(service.Name)) {
    const owner = [job.Name ?? '', group.Name ?? ''];
    if (task) owner.push(task.Name ?? '');
    service.Name = owner.join('-');
  }
  if (isBlank(service.AddressMode)) service.AddressMode = API.service.AddressMode;
  if (isBlank(service.OnUpdate)) service.OnUpdate = API.service.OnUpdate;
  if (isBlank(service.Provider)) service.Provider = API.service.Provider;
  if (isBlank(service.Cluster)) service.Cluster = API.service.Cluster;
  dropEmpty(service, 'Meta', 'CanaryMeta', 'TaggedAddresses');
  if (service.Connect) apiConnect(service.Connect);
  if (service.Weights) {
    if ((service.Weights.Passing ?? 0) <= 0) service.Weights.Passing = API.serviceWeights.Passing;
    if ((service.Weights.Warning ?? 0) <= 0) service.Weights.Warning = API.serviceWeights.Warning;
  }
  for (const check of service.Checks ?? []) {
    check.CheckRestart = mergeCheckRestart(service.CheckRestart, check.CheckRestart);
    if (check.CheckRestart) fill(check.CheckRestart, API.checkRestart);
    else delete check.CheckRestart;
    for (const key of ['SuccessBeforePassing', 'FailuresBeforeCritical', 'FailuresBeforeWarning'] as const) {
      if ((check[key] ?? 0) < 0) check[key] = 0;
    }
    if (isBlank(check.OnUpdate)) check.OnUpdate = service.OnUpdate;
  }
}

function apiConnect(connect: ConsulConnect): void {
  const sidecar = connect.SidecarService;
  if (sidecar) {
    dropEmpty(sidecar, 'Tags', 'Meta');
    const proxy = sidecar.Proxy;
    if (proxy) {
      if (proxy.Expose) dropEmpty(proxy.Expose, 'Paths', 'Path');
      dropEmpty(proxy, 'Upstreams', 'Config');
      if (proxy.TransparentProxy) {
        dropEmpty(
          proxy.TransparentProxy,
          'ExcludeInboundPorts',
          'ExcludeOutboundCIDRs',
          'ExcludeOutboundPorts',
          'ExcludeUIDs',
        );
      }
      for (const upstream of proxy.Upstreams ?? []) dropEmpty(upstream, 'Config');
    }
  }

  const task = connect.SidecarTask;
  if (task) {
    dropEmpty(task, 'Config', 'Env', 'Meta');
    if (task.Resources) apiResources(task.Resources);
    else task.Resources = { ...API.resources };
    task.LogConfig = apiLogConfig(task.LogConfig);
    fill(task, API.sidecarTask);
    for (const m of task.VolumeMounts ?? []) fill(m, API.volumeMount);
  }

  const gateway = connect.Gateway;
  if (gateway) {
    if (gateway.Proxy) {
      fill(gateway.Proxy, API.gatewayProxy);
      dropEmpty(gateway.Proxy, 'EnvoyGatewayBindAddresses', 'Config');
    }
    if (gateway.Ingress) {
      dropEmpty(gateway.Ingress, 'Listeners');
      for (const listener of gateway.Ingress.Listeners ?? []) {
        if (isBlank(listener.Protocol)) listener.Protocol = API.ingressListener.Protocol;
        dropEmpty(listener, 'Services');
      }
    }
    if (gateway.Terminating) dropEmpty(gateway.Terminating, 'Services');
  }
}

// ---------------------------------------------------------------------------------------------------
// agent layer: what the HTTP agent's conversion into server structs leaves out

/**
 * The agent copies a task's resources field by field and has no field for a task-level `disk`
 * (deprecated; the group's ephemeral_disk sizes the disk): a submitted `DiskMB` never reaches the
 * server, so it is neither validated nor stored. The same holds for Connect sidecar tasks.
 */
function agentJob(job: Job): void {
  for (const group of job.TaskGroups ?? []) {
    // Volumes of a type the agent does not know (only host and csi) are skipped on conversion, so
    // a task mounting one is refused for referencing an undefined volume.
    for (const [name, volume] of Object.entries(group.Volumes ?? {})) {
      if (volume.Type !== 'host' && volume.Type !== 'csi') delete group.Volumes?.[name];
    }
    dropEmpty(group, 'Volumes');
    for (const task of group.Tasks ?? []) {
      if (task.Resources) delete task.Resources.DiskMB;
    }
    for (const service of group.Services ?? []) {
      const sidecarResources = service.Connect?.SidecarTask?.Resources;
      if (sidecarResources) delete sidecarResources.DiskMB;
    }
  }
}

/**
 * What agentJob leaves out of `job` (not yet canonical) that the job sets, at its path, with what to
 * do instead: Nomad drops these without a word, the operator says so (the register, plan and
 * validate answers' Warnings, `convert`, the NomadJob's status).
 */
export function agentDrops(job: Job): Array<{ path: string; message: string }> {
  const drops: Array<{ path: string; message: string }> = [];
  const disk = (path: string, resources: Resources | undefined) => {
    const mb = resources?.DiskMB ?? 0;
    if (mb === 0) return;
    drops.push({
      path: `${path}.Resources.DiskMB`,
      message: `disk = ${mb} is dropped, as Nomad's HTTP API drops a task's disk (deprecated): size the group's ephemeral_disk instead`,
    });
  };
  (job.TaskGroups ?? []).forEach((group, g) => {
    const groupPath = `TaskGroups[${g}]`;
    for (const [name, volume] of Object.entries(group.Volumes ?? {})) {
      if (volume.Type === 'host' || volume.Type === 'csi') continue;
      drops.push({
        path: formatIssuePath(['TaskGroups', g, 'Volumes', name]),
        message: `volume of type ${JSON.stringify(volume.Type ?? '')} is dropped, as Nomad's HTTP API drops it: only host and csi volumes exist`,
      });
    }
    (group.Tasks ?? []).forEach((task, t) => {
      disk(`${groupPath}.Tasks[${t}]`, task.Resources);
    });
    (group.Services ?? []).forEach((service, s) => {
      disk(`${groupPath}.Services[${s}].Connect.SidecarTask`, service.Connect?.SidecarTask?.Resources);
    });
  });
  return drops;
}

// ---------------------------------------------------------------------------------------------------
// server layer: structs canonicalization and admission hooks, on top of the api layer

function serverJob(job: Job): void {
  dropEmpty(job, 'Meta', 'Constraints', 'Affinities', 'Spreads');
  if (isBlank(job.Namespace)) job.Namespace = API.job.Namespace;
  if (isEmpty(job.Datacenters)) job.Datacenters = [...SERVER.datacenters];
  if (isBlank(job.NodePool)) job.NodePool = SERVER.nodePool;
  // The canonicalize admission hook gives a job of priority 0 the server's job_default_priority,
  // whose default is the api package's default priority.
  if (job.Priority === 0) job.Priority = API.job.Priority;
  if (job.ParameterizedJob && isBlank(job.ParameterizedJob.Payload)) {
    job.ParameterizedJob.Payload = SERVER.parameterizedPayload;
  }

  // The job-level update block has been copied into the groups; the server keeps only Stagger and
  // MaxParallel of it (and all zeros when MaxParallel is not positive).
  const update = job.Update;
  const keep = update && (update.MaxParallel ?? 0) > 0;
  job.Update = {
    Stagger: keep ? (update.Stagger ?? 0) : 0,
    MaxParallel: keep ? update.MaxParallel : 0,
    HealthCheck: '',
    MinHealthyTime: 0,
    HealthyDeadline: 0,
    ProgressDeadline: 0,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  };

  for (const group of job.TaskGroups ?? []) serverGroup(group, job);
}

function serverNetwork(network: NetworkResource): void {
  dropEmpty(network, 'ReservedPorts', 'DynamicPorts');
  for (const port of [...(network.ReservedPorts ?? []), ...(network.DynamicPorts ?? [])]) {
    if (isBlank(port.HostNetwork)) port.HostNetwork = SERVER.portHostNetwork;
  }
}

function serverGroup(group: TaskGroup, job: Job): void {
  dropEmpty(group, 'Meta', 'Constraints', 'Affinities', 'Spreads');
  for (const network of group.Networks ?? []) serverNetwork(network);
  for (const service of group.Services ?? []) serverService(service, job, group, undefined);
  if (group.Scaling) {
    group.Scaling.Target = { Namespace: job.Namespace ?? '', Job: job.ID ?? '', Group: group.Name ?? '' };
  }
  for (const task of group.Tasks ?? []) serverTask(task, group, job);
}

/** Nomad's `${JOB}`, `${TASKGROUP}`, `${TASK}` and `${BASE}` in service names. */
function interpolateServiceName(name: string, job: string, group: string, task: string): string {
  const values: Record<string, string> = {
    JOB: job,
    TASKGROUP: group,
    TASK: task,
    BASE: `${job}-${group}-${task}`,
  };
  return name.replace(/\$\{([a-zA-Z0-9_\-.]+)\}/g, (whole, key: string) => values[key] ?? whole);
}

function serverService(service: Service, job: Job, group: TaskGroup, task: Task | undefined): void {
  // Group services are canonicalized with the task name "group", as Nomad does.
  const taskName = task ? (task.Name ?? '') : 'group';
  dropEmpty(service, 'Tags', 'CanaryTags', 'Checks', 'TaggedAddresses');
  if (task && isBlank(service.TaskName)) service.TaskName = taskName;
  service.Name = interpolateServiceName(service.Name ?? '', job.Name ?? '', group.Name ?? '', taskName);
  for (const check of service.Checks ?? []) {
    dropEmpty(check, 'Args', 'Header');
    if (isBlank(check.Name)) check.Name = SERVER.checkName(service.Name);
    if (task && isBlank(check.TaskName)) check.TaskName = taskName;
    if (isBlank(check.OnUpdate)) check.OnUpdate = API.service.OnUpdate;
  }
  if (isBlank(service.Provider)) service.Provider = API.service.Provider;
}

function serverIdentity(identity: WorkloadIdentity): void {
  if (isBlank(identity.Name)) identity.Name = SERVER.identity.Name;
  // The default identity is only valid for Nomad itself, whatever audience was asked for.
  if (identity.Name === SERVER.identity.Name) identity.Audience = [...SERVER.identity.Audience];
  if (identity.ChangeSignal) identity.ChangeSignal = identity.ChangeSignal.toUpperCase();
}

function serverTask(task: Task, group: TaskGroup, job: Job): void {
  dropEmpty(task, 'Meta', 'Config', 'Env', 'Constraints', 'Affinities', 'VolumeMounts');
  for (const service of task.Services ?? []) serverService(service, job, group, task);
  if (task.Resources) {
    dropEmpty(task.Resources, 'Networks', 'Devices');
    for (const network of task.Resources.Networks ?? []) serverNetwork(network);
  }
  task.RestartPolicy ??= { ...group.RestartPolicy };
  // The server stores a plain duration, so an explicit 0 also becomes the default.
  if (isBlank(task.KillTimeout)) task.KillTimeout = API.task.KillTimeout;
  for (const policy of task.ScalingPolicies ?? []) {
    if (isBlank(policy.Type)) policy.Type = API.scaling.Type;
    policy.Target = {
      Namespace: job.Namespace ?? '',
      Job: job.ID ?? '',
      Group: group.Name ?? '',
      Task: task.Name ?? '',
    };
  }
  if (task.Vault) {
    if (task.Vault.ChangeSignal) task.Vault.ChangeSignal = task.Vault.ChangeSignal.toUpperCase();
    if (isBlank(task.Vault.ChangeMode)) task.Vault.ChangeMode = API.vault.ChangeMode;
  }

  // The identity named "default" lives in Task.Identity; every task has one.
  if (task.Identities) {
    for (const identity of task.Identities) serverIdentity(identity);
    const index = task.Identities.findLastIndex((i) => i.Name === SERVER.identity.Name);
    if (index >= 0) {
      task.Identity = task.Identities[index];
      task.Identities.splice(index, 1);
    }
  }
  if (task.Identity) serverIdentity(task.Identity);
  else task.Identity = { Name: SERVER.identity.Name, Audience: [...SERVER.identity.Audience] };
}

// ---------------------------------------------------------------------------------------------------
// Re-registration

export interface ReregistrationOptions {
  /** Keep each existing group's Count (the register request's `PreserveCounts`). */
  preserveCounts?: boolean;
  /** Keep each existing task's Resources (the register request's `PreserveResources`). */
  preserveResources?: boolean;
}

/**
 * What Nomad stores when `submitted` replaces `existing` with PreserveCounts and/or
 * PreserveResources: groups (matched by name) keep their current Count, tasks (matched by group and
 * task name) keep their current Resources, so a re-submitted jobspec does not undo scaling that
 * happened since. Groups and tasks that are new keep what was submitted. Without an existing job
 * both options are ignored. Pass canonicalized jobs, as Nomad applies this to stored jobs. Pure.
 */
export function mergeForReregistration(
  existing: Job | undefined,
  submitted: Job,
  options: ReregistrationOptions = {},
): Job {
  const out = structuredClone(submitted);
  if (!existing) return out;
  const previous = new Map((existing.TaskGroups ?? []).map((g) => [g.Name ?? '', g]));

  for (const group of out.TaskGroups ?? []) {
    const before = previous.get(group.Name ?? '');
    if (!before) continue;
    if (options.preserveCounts) group.Count = before.Count;
    if (options.preserveResources) {
      const tasksBefore = new Map((before.Tasks ?? []).map((t) => [t.Name ?? '', t]));
      for (const task of group.Tasks ?? []) {
        const taskBefore = tasksBefore.get(task.Name ?? '');
        if (taskBefore) task.Resources = structuredClone(taskBefore.Resources);
      }
    }
  }
  return out;
}
