// Task group → PodTemplateSpec: one pod is one Nomad allocation.
//
// Tasks → containers, by lifecycle:
//   main task (no lifecycle)       a container.
//   prestart                       an init container (init containers run one after the other, Nomad's
//                                  prestart tasks run side by side: a prestart task that waits for
//                                  another one would block).
//   prestart + sidecar             a native sidecar: an init container with `restartPolicy: Always`,
//                                  started before the main containers and kept running beside them.
//   poststart + sidecar            Deployment and DaemonSet pods: a container (starts with the main
//                                  tasks, not after them: warning). Batch pods: a native sidecar
//                                  started after the prestart tasks, just before the main ones
//                                  (warning), which Kubernetes stops once they have finished, as Nomad
//                                  stops sidecars once only sidecars are left (a container would keep a
//                                  batch pod from ever completing). Sysbatch pods: a native sidecar
//                                  too, which keeps running beside the pause container (warning, as
//                                  for their prestart sidecars).
//   poststart                      batch pods: a container (starts with the main tasks: warning).
//                                  Deployment and DaemonSet pods: left out with a warning, because
//                                  Kubernetes restarts every container of such a pod after it exits and
//                                  a run-once task would keep the pod from ever being ready.
//   poststop                       left out with a warning (Kubernetes has no post-stop containers).
//   sysbatch pods                  (see workloads.ts) every non-sidecar task is an init container, in
//                                  the order prestart, main, poststart, poststop, followed by a pause
//                                  container; so poststop tasks do run after the main ones there.
// `leader`: in batch pods the other main tasks become native sidecars started after the prestart tasks
// (Nomad starts main tasks once the prestart tasks have finished), which Kubernetes stops when the
// leader (the only regular container) exits, as Nomad stops them when the leader dies; Kubernetes also
// restarts them whenever they exit, even successfully, and their failure does not fail the pod
// (warning per task). Elsewhere the leader is only recorded in an annotation (warning).
//
// Init containers, in order: the storage module's artifact fetchers and the init container writing the
// template files (so a prestart or sidecar task finds its files), prestart sidecars, prestart tasks,
// then (batch pods) the leader's other main tasks and poststart sidecars.
//
// Restart: each task's restart policy is the group's with the task's own block over it (Nomad's merge,
// done by canonicalization). Deployment and DaemonSet pods restart always. Batch pods restart in place
// (`OnFailure`) when any task's policy allows restarts (attempts > 0, or mode "delay"), else `Never`;
// the largest attempts also feed the Job's backoffLimit (workloads.ts). A pod has one restart policy, so
// a batch task whose own block differs from the group's is reported with what it gets. In Deployment
// and DaemonSet pods a task's own block is reported only for what the kubelet does not do: mode
// "fail" (Nomad fails the allocation after the attempts; mode "delay" restarts without limit, as the
// kubelet does) or a delay/interval of its own. Nomad's restart delay/interval become the kubelet's
// own crash-loop back-off (warning when not Nomad's defaults).
// Sysbatch pods (run-once DaemonSet, restartPolicy Always) cannot give up on a failing task: the kubelet
// retries its init container with back-off until it succeeds (warning per task).
//
// Stopping: each container's preStop hook sleeps for the group's plus the task's shutdown_delay
// (Nomad waits that long after deregistering services), `kill_signal` becomes `lifecycle.stopSignal`
// (this also sets the pod OS to linux, which Kubernetes requires for stop signals; clusters without the
// ContainerStopSignals feature gate drop the field: warning), and terminationGracePeriodSeconds is the
// largest shutdown delay + kill_timeout over the tasks. kill_timeout is taken as written, though a
// Nomad client caps it at its max_kill_timeout (30s by default): the cap is the client's setting, and
// a longer grace only delays a task that ignores its stop signal, where a shorter one could kill a task
// mid-shutdown that its clients gave the time (docs/translation.md).
//
// Group network: `hostname` → pod hostname (a DNS label), `dns { servers searches options }` → the
// pod's dnsConfig (servers: dnsPolicy None), merged with the docker dns_* options of the tasks.
// ephemeral_disk.size → an ephemeral-storage request on the first container (Nomad places by it and
// never evicts for it; the 300 MB default every Nomad job gets is not requested).
// Driver binds of task-relative paths (docker `volumes`, bind `mount`s) are resolved onto the pod's
// task volumes and template files by storage.ts `bindMounts`.
//
// Pods never get service links (Kubernetes' `<SERVICE>_PORT` variables could shadow the task's own
// environment, Nomad has no such variables) nor a service account token (Nomad tasks have no API
// credentials).

import { isIP } from 'node:net';
import type {
  KubernetesObject,
  V1Container,
  V1ContainerPort,
  V1EnvVar,
  V1HostAlias,
  V1Lifecycle,
  V1PodDNSConfig,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { defaultRestartPolicy, NOMAD_DEFAULTS } from '../nomad/defaults.ts';
import {
  hashToken,
  identityAnnotations,
  isDns1123Label,
  isDns1123Subdomain,
  NOMAD_DEFAULT_NAMESPACE,
} from '../nomad/ids.ts';
import { keyedBy } from '../nomad/keyed.ts';
import {
  ANNOTATION_CONTAINERS,
  ANNOTATION_DOCKER_LABELS,
  ANNOTATION_GROUP,
  ANNOTATION_LEADER,
  ANNOTATION_META,
  ANNOTATION_TASK_META,
} from '../nomad/keys.ts';
import type { RestartPolicy as NomadRestartPolicy, Task } from '../nomad/schema.ts';
import { type DriverPod, type DriverResult, taskDriver } from './drivers.ts';
import { taskEnv, withNodeVariables } from './env.ts';
import { servicePodLabels, taskNetworking } from './networking.ts';
import { translatorOptionNames } from './option-names.ts';
import { groupPlacement } from './placement.ts';
import { mebibytes, taskResources } from './resources.ts';
import { bindMounts, groupStorage, isAllocSubdirMount, type StorageResult } from './storage.ts';
import type { GroupContext, Placement, TaskNetworking } from './types.ts';

/** How the pods of a group run: in a Deployment, a Job or CronJob, a DaemonSet, a run-once DaemonSet. */
export type PodMode = 'service' | 'batch' | 'system' | 'sysbatch';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** The container that keeps a sysbatch pod alive once its tasks (init containers) have run. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export interface GroupPod {
  template: V1PodTemplateSpec;
  /** Objects the pods need: storage's ConfigMaps, Secrets and claims, image pull Secrets. */
  objects: KubernetesObject[];
  restartPolicy: RestartPolicy;
}

const NS_PER_SECOND = 1_000_000_000;
const INT32_MAX = 2_147_483_647;

/** Whole seconds (rounded up) of a Nomad duration in nanoseconds, clamped to 0 … 2^31-1. */
export function seconds(ns: number | undefined): number {
  if (ns === undefined || !Number.isFinite(ns) || ns <= 0) return 0;
  return Math.min(INT32_MAX, Math.ceil(ns / NS_PER_SECOND));
}

/** Identity annotations of every object of a group: the exact job namespace, ID, parent and group. */
export function groupAnnotations(ctx: GroupContext): Record<string, string> {
  const job = ctx.job;
  return {
    ...identityAnnotations({
      namespace: job.Namespace || NOMAD_DEFAULT_NAMESPACE,
      jobId: job.ID ?? '',
      ...(job.ParentID ? { parentId: job.ParentID } : {}),
    }),
    [ANNOTATION_GROUP]: ctx.group.Name ?? '',
  };
}

/** A task's restart policy: the group's with the task's own block over it, as Nomad merges them. */
export function taskRestartPolicy(ctx: GroupContext, task: Task): NomadRestartPolicy {
  return { ...(ctx.group.RestartPolicy ?? {}), ...definedFields(task.RestartPolicy ?? {}) };
}

function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The restarts a group's pods allow, over its tasks' merged policies: the most attempts, and whether
 * any task restarts without limit (mode "delay"). The group's own policy when it has no tasks.
 */
export function groupRestarts(ctx: GroupContext): { attempts: number; unlimited: boolean } {
  const tasks = ctx.group.Tasks ?? [];
  const policies =
    tasks.length > 0 ? tasks.map((t) => taskRestartPolicy(ctx, t)) : [ctx.group.RestartPolicy ?? {}];
  return {
    attempts: Math.max(0, ...policies.map((p) => p.Attempts ?? 0)),
    unlimited: policies.some((p) => p.Mode === 'delay'),
  };
}

/** The pod restart policy of a group's pods. */
export function podRestartPolicy(ctx: GroupContext, mode: PodMode): RestartPolicy {
  if (mode !== 'batch') return 'Always';
  const { attempts, unlimited } = groupRestarts(ctx);
  return unlimited || attempts > 0 ? 'OnFailure' : 'Never';
}

/** Calls a module of another concern; a bug there becomes a warning instead of an exception. */
function guarded<T>(ctx: GroupContext, path: string, what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (error) {
    ctx.warn(path, `internal error in ${what}: ${error instanceof Error ? error.message : String(error)}`);
    return fallback;
  }
}

/** A container name for a task: the name itself when it is one, else a readable stem and a hash. */
export function containerNameFor(taskName: string): string {
  if (isDns1123Label(taskName)) return taskName;
  const stem = taskName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${stem || 'task'}-${hashToken(taskName).slice(0, 10)}`;
}

function unique(name: string, used: Set<string>): string {
  let candidate = name;
  for (let n = 2; used.has(candidate); n++) {
    const suffix = `-${n}`;
    candidate = `${name.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
  }
  used.add(candidate);
  return candidate;
}

/**
 * `sidecar`: a prestart sidecar; `follower`: a main task beside a batch pod's leader; `lateSidecar`: a
 * poststart sidecar of a batch or sysbatch pod (all three native sidecars). `poststart`/`poststop`:
 * run-once tasks after the main ones (sysbatch pods only).
 */
type Role = 'main' | 'init' | 'sidecar' | 'follower' | 'lateSidecar' | 'poststart' | 'poststop';

const NATIVE_SIDECARS: ReadonlySet<Role> = new Set(['sidecar', 'follower', 'lateSidecar']);

/**
 * A sidecar of a sysbatch pod: the pod stays on its node (a run-once DaemonSet pod ends in a pause
 * container), so nothing stops the sidecar when the tasks have run.
 */
const SYSBATCH_SIDECAR =
  "keeps running (a native sidecar) beside the sysbatch pod's pause container until the job is stopped, where Nomad stops it once the main tasks have finished; make it exit on its own when their work is done";

/** Where a task goes in the pod, or undefined (left out, with a warning). */
function taskRole(
  ctx: GroupContext,
  task: Task,
  taskIndex: number,
  mode: PodMode,
  leader: boolean,
): Role | undefined {
  const path = `${ctx.path}.Tasks[${taskIndex}].Lifecycle`;
  const hook = task.Lifecycle?.Hook ?? '';
  const sidecar = task.Lifecycle?.Sidecar === true;
  // In batch pods with a leader, the other long-running tasks become native sidecars, which
  // Kubernetes stops once the leader (then the only regular container) has exited.
  const follower = mode === 'batch' && leader && task.Leader !== true;
  const mainTask = hook === '' || !['prestart', 'poststart', 'poststop'].includes(hook);
  if (follower && mainTask) {
    ctx.warn(
      `${ctx.path}.Tasks[${taskIndex}]`,
      'runs beside the leader as a native sidecar, which Kubernetes stops when the leader exits (as Nomad does) but also restarts whenever it exits, even successfully, until then; its failure does not fail the run (Nomad fails the allocation): make it the leader, or a task that does not exit before the leader',
    );
  }
  const longRunning: Role = follower ? 'follower' : 'main';
  switch (hook) {
    case '':
      return mode === 'sysbatch' ? 'main' : longRunning;
    case 'prestart':
      if (sidecar && mode === 'sysbatch') ctx.warn(path, `prestart sidecar task ${SYSBATCH_SIDECAR}`);
      return sidecar ? 'sidecar' : 'init';
    case 'poststart':
      if (sidecar && mode === 'sysbatch') {
        ctx.warn(
          path,
          `poststart sidecar task starts before the main tasks, not after they started, and ${SYSBATCH_SIDECAR}`,
        );
        return 'lateSidecar';
      }
      if (sidecar && mode === 'batch') {
        // A container would keep a batch pod from completing; a native sidecar is stopped once the
        // main tasks have finished, as Nomad stops sidecars once only sidecars are left.
        ctx.warn(
          path,
          'poststart sidecar task starts just before the main tasks (a native sidecar, after the prestart tasks), not after they started; it is stopped once they have finished, as in Nomad',
        );
        return 'lateSidecar';
      }
      if (sidecar) {
        ctx.warn(path, 'poststart sidecar task starts together with the main tasks, not after they started');
        return longRunning;
      }
      if (mode === 'sysbatch') {
        ctx.warn(
          path,
          'poststart task runs after the main tasks have finished (sysbatch pods run tasks in order)',
        );
        return 'poststart';
      }
      if (mode === 'batch') {
        ctx.warn(path, 'poststart task starts together with the main tasks, not after they started');
        return 'main';
      }
      ctx.warn(
        path,
        'poststart task is left out: Kubernetes restarts every container of a long-running pod after it exits, so a run-once task cannot run beside the main tasks (run it as a separate batch job)',
      );
      return undefined;
    case 'poststop':
      if (mode === 'sysbatch') return 'poststop';
      ctx.warn(
        path,
        "poststop task is left out: Kubernetes has no containers that run after the main ones stop; run its work at the end of a main task's command, or as a separate Job",
      );
      return undefined;
    default:
      ctx.warn(
        `${path}.Hook`,
        `unknown lifecycle hook ${JSON.stringify(hook)}; the task runs as a main task`,
      );
      return mode === 'sysbatch' ? 'main' : longRunning;
  }
}

interface BuiltTask {
  task: Task;
  index: number;
  role: Role;
  container: V1Container;
  network: TaskNetworking;
  driverPod: DriverPod;
}

/** Kubernetes' stop signals for Linux (`SIGRTMIN+n`, `SIGRTMAX-n` included). */
const SIGNALS = new Set([
  'SIGABRT',
  'SIGALRM',
  'SIGBUS',
  'SIGCHLD',
  'SIGCLD',
  'SIGCONT',
  'SIGFPE',
  'SIGHUP',
  'SIGILL',
  'SIGINT',
  'SIGIO',
  'SIGIOT',
  'SIGKILL',
  'SIGPIPE',
  'SIGPOLL',
  'SIGPROF',
  'SIGPWR',
  'SIGQUIT',
  'SIGSEGV',
  'SIGSTKFLT',
  'SIGSTOP',
  'SIGSYS',
  'SIGTERM',
  'SIGTRAP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGUSR1',
  'SIGUSR2',
  'SIGVTALRM',
  'SIGWINCH',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGRTMIN',
  'SIGRTMAX',
  ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${i + 1}`),
]);

/** A Nomad kill_signal as a Kubernetes stop signal; undefined for the default (SIGTERM) or unknown. */
function stopSignal(ctx: GroupContext, task: Task, taskIndex: number): string | undefined {
  const raw = (task.KillSignal ?? '').trim().toUpperCase();
  if (raw === '') return undefined;
  const signal = raw.startsWith('SIG') ? raw : `SIG${raw}`;
  if (signal === 'SIGTERM') return undefined;
  const path = `${ctx.path}.Tasks[${taskIndex}].KillSignal`;
  if (!SIGNALS.has(signal)) {
    ctx.warn(
      path,
      `kill signal ${JSON.stringify(task.KillSignal)} is not a signal Kubernetes knows; the container stops with SIGTERM`,
    );
    return undefined;
  }
  ctx.warn(
    path,
    `kill signal ${signal} becomes lifecycle.stopSignal, which needs the ContainerStopSignals feature gate (alpha in Kubernetes 1.33): clusters without it drop the field and stop the container with SIGTERM (or the image's STOPSIGNAL); enable the gate, or make the task stop on SIGTERM`,
  );
  return signal;
}

function meta(values: Record<string, string> | undefined): Record<string, string> {
  return values ?? {};
}

/** JSON with keys sorted at every level, so equal maps always give equal text. */
function sortedJson(value: Record<string, Record<string, string>> | Record<string, string>): string {
  const sort = (v: unknown): unknown =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(sort(value));
}

/** Pod DNS settings from the docker dns_* options. */
/** The Nomad client node's address, as a job names it (`${attr.unique.network.ip-address}`). */
const NODE_ADDRESS = /^\$\{attr\.unique\.network\.ip-address\}$/;

function podDns(
  ctx: GroupContext,
  path: string,
  servers: string[],
  searches: string[],
  options: string[],
): Pick<V1PodSpec, 'dnsPolicy' | 'dnsConfig'> {
  // The node's own address is where a Nomad client's Consul agent answers DNS: the cluster DNS stands
  // in for it, so the pod keeps it (ClusterFirst) and the other servers come after it.
  let nodeServer = false;
  const nameservers = [...new Set(servers)].filter((s) => {
    if (isIP(s) !== 0) return true;
    if (NODE_ADDRESS.test(s.trim())) {
      nodeServer = true;
      ctx.warn(
        path,
        `DNS server ${JSON.stringify(s)} is the node's address (a Consul agent's DNS): the pod keeps the cluster DNS in its place (first, before any other server), which resolves Kubernetes Services, not *.consul names`,
      );
      return false;
    }
    ctx.warn(path, `DNS server ${JSON.stringify(s)} is not an IP address and is left out`);
    return false;
  });
  // The cluster DNS counts as one when the pod keeps it.
  const most = nodeServer ? 2 : 3;
  if (nameservers.length > most) {
    ctx.warn(path, 'Kubernetes allows at most 3 DNS servers; the others are left out');
    nameservers.length = most;
  }
  const searchList: string[] = [];
  let searchChars = 0;
  for (const raw of searches) {
    // DNS names are case-insensitive; Kubernetes wants them lower case and without the root dot.
    const domain = raw.replace(/\.$/, '').toLowerCase();
    if (!isDns1123Subdomain(domain)) {
      ctx.warn(path, `DNS search domain ${JSON.stringify(raw)} is not a valid domain and is left out`);
    } else if (searchList.length >= 32 || searchChars + domain.length > 2048) {
      ctx.warn(
        path,
        `Kubernetes allows at most 32 DNS search domains of 2048 characters; ${JSON.stringify(raw)} is left out`,
      );
    } else if (!searchList.includes(domain)) {
      searchList.push(domain);
      searchChars += domain.length + 1;
    }
  }
  const optionList: { name: string; value?: string }[] = [];
  for (const o of [...new Set(options)]) {
    const colon = o.indexOf(':');
    const option =
      colon < 0 ? { name: o.trim() } : { name: o.slice(0, colon).trim(), value: o.slice(colon + 1) };
    if (option.name === '') ctx.warn(path, `DNS option ${JSON.stringify(o)} has no name and is left out`);
    else optionList.push(option);
  }
  const config: V1PodDNSConfig = {};
  if (nameservers.length > 0) config.nameservers = nameservers;
  if (searchList.length > 0) config.searches = searchList;
  if (optionList.length > 0) config.options = optionList;
  if (Object.keys(config).length === 0) return {};
  // With name servers of its own the pod does not use the cluster DNS at all, as in Nomad.
  return nameservers.length > 0 && !nodeServer
    ? { dnsPolicy: 'None', dnsConfig: config }
    : { dnsConfig: config };
}

/** Merges the pod-level settings the tasks' drivers ask for into the pod spec. */
function mergeDriverPods(ctx: GroupContext, built: BuiltTask[], spec: V1PodSpec): void {
  const sysctls = new Map<string, string>();
  // Where each sysctl was set (the first task's config): warnings name that field.
  const sysctlPaths = new Map<string, string>();
  const pullSecrets: string[] = [];
  const groups = new Set<number>();
  const aliases: V1HostAlias[] = [];
  const servers: string[] = [];
  const searches: string[] = [];
  const options: string[] = [];
  let dnsPath = '';
  let hostname: { value: string; path: string } | undefined;

  // The group network names the pod and sets its DNS first; the docker options of the tasks add to it.
  const network = ctx.group.Networks?.[0];
  const networkPath = `${ctx.path}.Networks[0]`;
  if ((network?.Hostname ?? '') !== '') {
    hostname = { value: network?.Hostname ?? '', path: `${networkPath}.Hostname` };
  }
  const dns = network?.DNS;
  if (
    dns &&
    ((dns.Servers ?? []).length > 0 || (dns.Searches ?? []).length > 0 || (dns.Options ?? []).length > 0)
  ) {
    dnsPath = `${networkPath}.DNS`;
    servers.push(...(dns.Servers ?? []));
    searches.push(...(dns.Searches ?? []));
    options.push(...(dns.Options ?? []));
  }

  hostNamespaceWarnings(ctx, built);
  for (const { index, driverPod: p } of built) {
    const path = `${ctx.path}.Tasks[${index}].Config`;
    if (p.hostname !== undefined) {
      if (hostname === undefined) hostname = { value: p.hostname, path: `${path}.hostname` };
      else if (hostname.value !== p.hostname) {
        ctx.warn(`${path}.hostname`, `the pod already has the hostname ${JSON.stringify(hostname.value)}`);
      }
    }
    if (p.hostNetwork) spec.hostNetwork = true;
    if (p.hostPID) spec.hostPID = true;
    if (p.hostIPC) spec.hostIPC = true;
    if (dnsPath === '' && (p.dnsServers || p.dnsSearches || p.dnsOptions)) dnsPath = path;
    servers.push(...(p.dnsServers ?? []));
    searches.push(...(p.dnsSearches ?? []));
    options.push(...(p.dnsOptions ?? []));
    aliases.push(...(p.hostAliases ?? []));
    for (const s of p.imagePullSecrets ?? []) if (!pullSecrets.includes(s)) pullSecrets.push(s);
    for (const g of p.supplementalGroups ?? []) groups.add(g);
    for (const [name, value] of Object.entries(p.sysctls ?? {})) {
      const existing = sysctls.get(name);
      if (existing !== undefined && existing !== value) {
        ctx.warn(
          `${path}.sysctl`,
          `sysctl ${name} is set to ${JSON.stringify(existing)} by an earlier task of the pod`,
        );
        continue;
      }
      sysctls.set(name, value);
      if (!sysctlPaths.has(name)) sysctlPaths.set(name, `${path}.sysctl`);
    }
    if (p.runtimeClassName !== undefined) {
      if (spec.runtimeClassName === undefined) spec.runtimeClassName = p.runtimeClassName;
      else if (spec.runtimeClassName !== p.runtimeClassName) {
        ctx.warn(
          `${path}.runtime`,
          `the pod already uses the runtime ${JSON.stringify(spec.runtimeClassName)}`,
        );
      }
    }
  }

  if (hostname !== undefined) {
    const value = hostname.value.toLowerCase();
    if (isDns1123Label(value)) spec.hostname = value;
    else {
      ctx.warn(
        hostname.path,
        `hostname ${JSON.stringify(hostname.value)} is not converted: a pod hostname must be a DNS label (lower case letters, digits and '-', at most 63) known when the pod is created; use such a name`,
      );
    }
  }
  Object.assign(spec, podDns(ctx, dnsPath, servers, searches, options));
  // Service discovery: host-network pods resolve cluster names only with this policy (networking.ts).
  if (spec.hostNetwork && spec.dnsPolicy === undefined) spec.dnsPolicy = 'ClusterFirstWithHostNet';
  if (aliases.length > 0) spec.hostAliases = aliases;
  if (pullSecrets.length > 0) spec.imagePullSecrets = pullSecrets.map((name) => ({ name }));
  if (groups.size > 0 || sysctls.size > 0) {
    spec.securityContext = {};
    if (groups.size > 0) spec.securityContext.supplementalGroups = [...groups].sort((a, b) => a - b);
    for (const name of [...sysctls.keys()]) {
      const ipc = /^(kernel\.(shm|msg|sem)|fs\.mqueue\.)/.test(name);
      if ((spec.hostNetwork && name.startsWith('net.')) || (spec.hostIPC && ipc)) {
        ctx.warn(
          `${ctx.path}.Tasks`,
          `sysctl ${name} is left out: Kubernetes does not allow it in a pod that shares the host's ${ipc ? 'IPC' : 'network'} namespace`,
        );
        sysctls.delete(name);
      }
    }
    leaveOutUnsafeSysctls(ctx, sysctls, sysctlPaths);
    if (sysctls.size > 0) {
      spec.securityContext.sysctls = [...sysctls]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => ({ name, value }));
    }
    if (Object.keys(spec.securityContext).length === 0) delete spec.securityContext;
  }
}

/**
 * Takes out the sysctls outside Kubernetes' safe set that the operator was not told the nodes allow
 * (options.allowedUnsafeSysctls, the nodes' kubelet --allowed-unsafe-sysctls): a default kubelet rejects
 * a pod asking for one (SysctlForbidden), and its controller would create and lose pods for ever. Left
 * out, the task runs with the kernel's default value, which is what a Nomad client whose Docker refused
 * the setting could not give either; one warning per task config, naming what to do.
 */
function leaveOutUnsafeSysctls(
  ctx: GroupContext,
  sysctls: Map<string, string>,
  paths: ReadonlyMap<string, string>,
): void {
  const allowed = ctx.options.allowedUnsafeSysctls;
  const leftOut = new Map<string, string[]>();
  for (const name of [...sysctls.keys()]) {
    if (SAFE_SYSCTLS.has(name) || allowed.some((pattern) => sysctlMatches(pattern, name))) continue;
    sysctls.delete(name);
    const path = paths.get(name) ?? `${ctx.path}.Tasks`;
    leftOut.set(path, [...(leftOut.get(path) ?? []), name]);
  }
  const names = translatorOptionNames.allowedUnsafeSysctls;
  for (const [path, list] of leftOut) {
    ctx.warn(
      path,
      `${list.length === 1 ? 'sysctl' : 'sysctls'} ${list.join(', ')} left out: not in Kubernetes' safe set, so a kubelet that does not allow ${list.length === 1 ? 'it' : 'them'} rejects the pod; where the nodes allow ${list.length === 1 ? 'it' : 'them'} (kubelet --allowed-unsafe-sysctls), name ${list.length === 1 ? 'it' : 'them'} with --${names.flag} (env ${names.env}, Helm value ${names.helm})`,
    );
  }
}

/** A kubelet --allowed-unsafe-sysctls entry: a sysctl name, or a prefix ending in `*`. */
export function sysctlMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** The sysctls every kubelet allows (Kubernetes 1.32+). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

const validPort = (port: number | undefined) =>
  port !== undefined && Number.isInteger(port) && port >= 1 && port <= 65535;

/**
 * A task's network_mode/pid_mode/ipc_mode "host" is the whole pod's on Kubernetes (its containers share
 * those namespaces): the group's other tasks join the node's network, processes or IPC too, which in
 * Nomad only that task does. Said once per mode, at the first task that asks, naming the others.
 */
function hostNamespaceWarnings(ctx: GroupContext, built: readonly BuiltTask[]): void {
  const modes = [
    ['hostNetwork', 'network_mode', "the node's network (its ports bind on the node)"],
    ['hostPID', 'pid_mode', "the node's process namespace"],
    ['hostIPC', 'ipc_mode', "the node's IPC namespace"],
  ] as const;
  for (const [field, option, what] of modes) {
    const asking = built.filter((b) => b.driverPod[field] === true);
    const others = built.filter((b) => b.driverPod[field] !== true);
    const first = asking[0];
    if (first === undefined || others.length === 0) continue;
    const names = others.map((b) => JSON.stringify(b.task.Name ?? '')).join(', ');
    ctx.warn(
      `${ctx.path}.Tasks[${first.index}].Config.${option}`,
      `${option} "host" is the whole pod's on Kubernetes: task${others.length > 1 ? 's' : ''} ${names} of the group share${others.length > 1 ? '' : 's'} ${what}, where in Nomad only this task does; put the task${others.length > 1 ? 's' : ''} that must not in a group of ${others.length > 1 ? 'their' : 'its'} own`,
    );
  }
}

/**
 * Ports Kubernetes accepts: numbers in 1-65535, a host port only once per pod, host ports equal to
 * container ports on the host network. Whatever breaks these rules is dropped with a warning.
 */
function fixPorts(ctx: GroupContext, containers: V1Container[], hostNetwork: boolean): void {
  const hostPorts = new Set<string>();
  // Dynamic ports are those without a host port as planned (before the rules below drop any).
  const dynamic = containers
    .flatMap((c) => c.ports ?? [])
    .filter((p) => p.protocol !== 'UDP' && p.hostPort === undefined && p.name !== undefined);
  for (const c of containers) {
    if (!c.ports) continue;
    c.ports = c.ports.filter((port) => {
      if (validPort(port.containerPort)) return true;
      ctx.warn(
        `${ctx.path}.Networks`,
        `port ${port.name ?? port.containerPort} is not a valid port number (1-65535); left out`,
      );
      return false;
    });
    for (const port of c.ports) {
      if (port.hostPort !== undefined && !validPort(port.hostPort)) {
        ctx.warn(
          `${ctx.path}.Networks`,
          `host port ${port.hostPort} is not a valid port number (1-65535); left out`,
        );
        delete port.hostPort;
      }
      if (hostNetwork && port.hostPort !== undefined && port.hostPort !== port.containerPort) {
        // On the node's network there is no mapping: the task listens on the node at `to`.
        if (port.protocol !== 'UDP') {
          ctx.warn(
            `${ctx.path}.Networks`,
            `static port ${JSON.stringify(port.name ?? '')} (${port.hostPort}, to = ${port.containerPort}) is on the host network, where nothing maps ${port.hostPort} to ${port.containerPort}: the task listens on the node's port ${port.containerPort}; drop \`to\` (or leave the host network)`,
          );
        }
        delete port.hostPort;
      }
      if (port.hostPort === undefined) continue;
      const key = `${port.hostIP ?? ''}/${port.hostPort}/${port.protocol ?? 'TCP'}`;
      if (hostPorts.has(key)) delete port.hostPort;
      else hostPorts.add(key);
    }
    if (c.ports.length === 0) delete c.ports;
  }
  if (hostNetwork) dynamicHostPortsWarning(ctx, dynamic);
}

/**
 * On the host network every container port is a port of the node (the apiserver makes it a host
 * port). Nomad picks a free one per allocation for a dynamic port; here it is the port the translator
 * planned, the same in every pod of the group (and in any job with that label): one pod per node can
 * bind it. Said once per group, naming the ports.
 */
function dynamicHostPortsWarning(ctx: GroupContext, dynamic: readonly V1ContainerPort[]): void {
  if (dynamic.length === 0) return;
  const list = dynamic.map((p) => `${JSON.stringify(p.name)} (${p.containerPort})`).join(', ');
  ctx.warn(
    `${ctx.path}.Networks`,
    `on the host network the dynamic port${dynamic.length > 1 ? 's' : ''} ${list} ${dynamic.length > 1 ? 'are' : 'is a'} fixed node port${dynamic.length > 1 ? 's' : ''}, the same in every pod, where Nomad picks a free port per allocation: one pod per node can bind ${dynamic.length > 1 ? 'them' : 'it'}, and other pods on the node that use the same port fail; use static ports with one pod per node (a distinct_hosts constraint), or leave the host network`,
  );
}

/**
 * What to say about a task-less group that is a Consul Connect gateway: Nomad injects an Envoy task
 * that Consul configures (listeners, routes, mTLS into the mesh); no such control plane exists here.
 */
function gatewayWarning(ctx: GroupContext): string | undefined {
  const gateway = (ctx.group.Services ?? []).find((s) => s.Connect?.Gateway)?.Connect?.Gateway;
  if (!gateway) return undefined;
  if (gateway.Ingress) {
    const routes = (gateway.Ingress.Listeners ?? []).flatMap((l) =>
      (l.Services ?? []).map(
        (s) => `port ${l.Port ?? 0}/${l.Protocol || 'tcp'} → ${JSON.stringify(s.Name ?? '')}`,
      ),
    );
    return `the Consul ingress gateway is not converted (Nomad injects an Envoy task that Consul configures): no workload is created for the group; expose the services it routes to${routes.length > 0 ? ` (${routes.join(', ')})` : ''} with a Kubernetes Ingress, a Gateway API route or a LoadBalancer Service`;
  }
  if (gateway.Terminating) {
    return 'the Consul terminating gateway is not converted (Nomad injects an Envoy task that Consul configures): no workload is created for the group; pods reach the external services directly (an ExternalName Service can give them a cluster name)';
  }
  return 'the Consul mesh gateway is not converted (Nomad injects an Envoy task that Consul configures): no workload is created for the group; pods of other clusters need a multi-cluster network or exposed Services instead';
}

/**
 * The pod template of a task group. Undefined when the group has nothing that can run (warnings say
 * why). Never throws.
 */
export function groupPodTemplate(ctx: GroupContext, mode: PodMode): GroupPod | undefined {
  const group = ctx.group;
  const tasks = group.Tasks ?? [];
  if (tasks.length === 0) {
    ctx.warn(
      `${ctx.path}.Tasks`,
      gatewayWarning(ctx) ?? 'task group has no tasks; no workload is created for it',
    );
    return undefined;
  }
  const restartPolicy = podRestartPolicy(ctx, mode);
  const storage = guarded<StorageResult>(ctx, ctx.path, 'storage translation', () => groupStorage(ctx), {
    volumes: [],
    objects: [],
    initContainers: [],
    mounts: {},
    sources: [],
  });
  const placement = guarded<Placement>(ctx, ctx.path, 'placement translation', () => groupPlacement(ctx), {});
  const objects: KubernetesObject[] = [...storage.objects];

  const used = new Set<string>();
  for (const c of storage.initContainers) used.add(c.name);
  const hasLeader = tasks.some((t) => t.Leader === true);
  const built: BuiltTask[] = [];
  const containerTasks: Record<string, string> = {};
  let renamed = false;
  const groupDelay = group.ShutdownDelay ?? 0;
  let grace = 0;
  let needsLinux = false;

  tasks.forEach((task, index) => {
    const taskPath = `${ctx.path}.Tasks[${index}]`;
    const role = taskRole(ctx, task, index, mode, hasLeader);
    if (role === undefined) return;
    const env = guarded<V1EnvVar[]>(
      ctx,
      taskPath,
      'environment translation',
      () => taskEnv(ctx, task, index),
      [],
    );
    const templateVariables = (storage.env?.[task.Name ?? ''] ?? []).map((e) => e.name);
    const driver = guarded(
      ctx,
      taskPath,
      'driver translation',
      () => taskDriver(ctx, task, index, templateVariables),
      { pod: {}, objects: [] } as DriverResult,
    );
    if (!driver.container) return;
    objects.push(...driver.objects);
    const network = guarded<TaskNetworking>(
      ctx,
      taskPath,
      'network translation',
      () => taskNetworking(ctx, task, index),
      { ports: [] },
    );
    const taskName = task.Name ?? '';
    const name = unique(containerNameFor(taskName), used);
    containerTasks[name] = taskName;
    if (name !== taskName) renamed = true;

    const container: V1Container = { name, ...driver.container };
    // Variables of env = true templates override the task's env and Nomad's variables, as in Nomad.
    for (const entry of storage.env?.[taskName] ?? []) {
      const at = env.findIndex((e) => e.name === entry.name);
      if (at >= 0) env[at] = entry;
      else env.push(entry);
    }
    const containerEnv = withNodeVariables(container, env);
    if (containerEnv.length > 0) container.env = containerEnv;
    const resources = taskResources(ctx, task, index);
    if (resources) container.resources = resources;
    if (network.ports.length > 0) container.ports = network.ports.map((p: V1ContainerPort) => ({ ...p }));
    // One mount per path: the task directories and group volumes first, then the driver's own.
    const binds = (driver.binds ?? []).flatMap((bind) =>
      guarded(ctx, bind.path, 'bind resolution', () => bindMounts(ctx, storage.sources, taskName, bind), []),
    );
    const mounts: V1VolumeMount[] = [];
    for (const mount of [...(storage.mounts[taskName] ?? []), ...binds, ...(container.volumeMounts ?? [])]) {
      const at = mounts.findIndex((m) => m.mountPath === mount.mountPath);
      const taken = mounts[at];
      if (taken === undefined) mounts.push(mount);
      // A bind onto /alloc/data, /alloc/logs or /alloc/tmp is what the task sees there, as in Nomad.
      else if (isAllocSubdirMount(taken)) mounts[at] = mount;
      // The same volume at the same place (a bind of local/ to /local) is no second mount; a read-only
      // bind of it makes it read-only.
      else if (taken.name !== mount.name || (taken.subPath ?? '') !== (mount.subPath ?? '')) {
        ctx.warn(taskPath, `${mount.mountPath} is mounted twice; only the first mount is kept`);
      } else if (mount.readOnly && !taken.readOnly) mounts[at] = { ...taken, readOnly: true };
    }
    if (mounts.length > 0) container.volumeMounts = mounts;
    else delete container.volumeMounts;

    // sysbatch pods run their tasks as init containers: those run once, without probes or hooks.
    const runsOnce =
      role === 'init' ||
      role === 'poststart' ||
      role === 'poststop' ||
      (mode === 'sysbatch' && role === 'main');
    if (runsOnce) {
      // Sysbatch groups: every check is reported at its own path below.
      if (mode !== 'sysbatch' && (network.readinessProbe || network.livenessProbe)) {
        ctx.warn(
          `${taskPath}.Services`,
          'checks of a task that runs to completion before the others are not converted (init containers have no probes)',
        );
      }
      runOnceStopWarnings(ctx, task, index);
      grace = Math.max(grace, seconds(task.KillTimeout));
    } else {
      if (network.readinessProbe) container.readinessProbe = network.readinessProbe;
      if (network.livenessProbe) container.livenessProbe = network.livenessProbe;
      const lifecycle: V1Lifecycle = {};
      const delay = seconds(groupDelay + (task.ShutdownDelay ?? 0));
      if (delay > 0) lifecycle.preStop = { sleep: { seconds: delay } };
      const signal = stopSignal(ctx, task, index);
      if (signal !== undefined) {
        lifecycle.stopSignal = signal;
        needsLinux = true;
      }
      if (Object.keys(lifecycle).length > 0) container.lifecycle = lifecycle;
      if (NATIVE_SIDECARS.has(role)) container.restartPolicy = 'Always';
      grace = Math.max(grace, Math.min(INT32_MAX, delay + seconds(task.KillTimeout)));
    }
    built.push({ task, index, role, container, network, driverPod: driver.pod });
  });

  const byRole = (...roles: Role[]) => built.filter((b) => roles.includes(b.role)).map((b) => b.container);
  let initContainers: V1Container[];
  let containers: V1Container[];
  // Artifact fetchers, the template files, prestart sidecars, prestart tasks: the files are there
  // before anything of the job's own runs.
  const prestart = [...storage.initContainers, ...byRole('sidecar'), ...byRole('init')];
  if (mode === 'sysbatch') {
    initContainers = [
      ...prestart,
      ...byRole('lateSidecar'),
      ...byRole('main'),
      ...byRole('poststart'),
      ...byRole('poststop'),
    ];
    containers = [{ name: unique('pause', used), image: PAUSE_IMAGE }];
    const mains = built.filter((b) => b.role === 'main').length;
    if (mains > 1) {
      ctx.warn(
        `${ctx.path}.Tasks`,
        'the main tasks of a sysbatch group run one after the other (as init containers), not side by side',
      );
    }
  } else {
    initContainers = [...prestart, ...byRole('follower'), ...byRole('lateSidecar')];
    containers = byRole('main');
  }
  if (containers.length === 0) {
    ctx.warn(`${ctx.path}.Tasks`, 'task group has no main task that can run; no workload is created for it');
    return undefined;
  }
  requestEphemeralDisk(ctx, containers[0]);
  if (mode === 'sysbatch') {
    sysbatchFailureWarnings(ctx, built);
    sysbatchCheckWarnings(ctx);
  }
  if (groupDelay > 0 && !containers.some((c) => c.lifecycle?.preStop !== undefined)) {
    // Every task runs once (a sysbatch pod): no container has a preStop hook to carry the delay.
    ctx.warn(
      `${ctx.path}.ShutdownDelay`,
      'shutdown_delay is not converted: the tasks run as init containers, which Kubernetes stops with SIGTERM and no preStop hook',
    );
  }

  const spec: V1PodSpec = {
    restartPolicy,
    terminationGracePeriodSeconds: grace,
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers,
  };
  mergeDriverPods(ctx, built, spec);
  fixPorts(ctx, [...initContainers, ...containers], spec.hostNetwork === true);
  // Only the volumes some container mounts (storage prepares volumes for tasks that may be left out),
  // each name once (tasks with the same name, which Nomad rejects, would share their task volumes).
  const mounted = new Set(
    [...initContainers, ...containers].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)),
  );
  const volumeNames = new Set<string>();
  const volumes: V1Volume[] = [];
  for (const volume of [...storage.volumes, ...built.flatMap((b) => b.driverPod.volumes ?? [])]) {
    if (!mounted.has(volume.name) || volumeNames.has(volume.name)) continue;
    volumeNames.add(volume.name);
    volumes.push(volume);
  }
  if (volumes.length > 0) spec.volumes = volumes;
  if (placement.nodeSelector && Object.keys(placement.nodeSelector).length > 0) {
    spec.nodeSelector = placement.nodeSelector;
  }
  if (placement.affinity) spec.affinity = placement.affinity;
  if (placement.tolerations) spec.tolerations = placement.tolerations;
  if (placement.topologySpreadConstraints && placement.topologySpreadConstraints.length > 0) {
    spec.topologySpreadConstraints = placement.topologySpreadConstraints;
  }
  if (needsLinux) spec.os = { name: 'linux' };

  if (group.MaxRunDuration !== undefined && group.MaxRunDuration > 0) {
    if (mode === 'batch') spec.activeDeadlineSeconds = Math.max(1, seconds(group.MaxRunDuration));
    else {
      ctx.warn(
        `${ctx.path}.MaxRunDuration`,
        'max_run_duration is only converted for batch jobs (pod activeDeadlineSeconds)',
      );
    }
  }
  restartWarnings(ctx, mode, restartPolicy);

  const annotations: Record<string, string> = { ...groupAnnotations(ctx) };
  const groupMeta = { ...meta(ctx.job.Meta), ...meta(group.Meta) };
  if (Object.keys(groupMeta).length > 0) annotations[ANNOTATION_META] = sortedJson(groupMeta);
  const taskMeta = keyedBy<Record<string, string>>();
  const labels = keyedBy<Record<string, string>>();
  for (const b of built) {
    if (b.task.Meta && Object.keys(b.task.Meta).length > 0) taskMeta[b.task.Name ?? ''] = b.task.Meta;
    if (b.driverPod.labels) labels[b.task.Name ?? ''] = b.driverPod.labels;
  }
  if (Object.keys(taskMeta).length > 0) annotations[ANNOTATION_TASK_META] = sortedJson(taskMeta);
  if (Object.keys(labels).length > 0) annotations[ANNOTATION_DOCKER_LABELS] = sortedJson(labels);
  const leader = tasks.findIndex((t) => t.Leader === true);
  if (leader >= 0) {
    annotations[ANNOTATION_LEADER] = tasks[leader]?.Name ?? '';
    if (mode !== 'batch') {
      ctx.warn(
        `${ctx.path}.Tasks[${leader}].Leader`,
        mode === 'sysbatch'
          ? 'leader has no effect in a sysbatch pod: its tasks run one after the other'
          : 'leader is not converted: Kubernetes does not stop the other containers of a long-running pod when one exits',
      );
    }
  }
  if (renamed) annotations[ANNOTATION_CONTAINERS] = sortedJson(containerTasks);

  return {
    // Pods carry the selector labels but not the job version: a new version that changes nothing in
    // the pod (a count change, as Nomad's scaling) must not roll every pod.
    template: { metadata: { labels: { ...ctx.selector, ...servicePodLabels(ctx) }, annotations }, spec },
    objects,
    restartPolicy,
  };
}

/**
 * A task that runs as an init container (prestart, poststart and poststop tasks, the main tasks of a
 * sysbatch pod) has no preStop hook and no stop signal: Kubernetes kills init containers with SIGTERM
 * and no delay when the pod is deleted. The task's shutdown_delay and kill_signal, and the group's
 * shutdown_delay when every task runs once, are reported (kill_timeout still sets the grace period).
 */
function runOnceStopWarnings(ctx: GroupContext, task: Task, taskIndex: number): void {
  const taskPath = `${ctx.path}.Tasks[${taskIndex}]`;
  const why = 'the task runs as an init container, which Kubernetes stops with SIGTERM and no preStop hook';
  if ((task.ShutdownDelay ?? 0) > 0) {
    ctx.warn(`${taskPath}.ShutdownDelay`, `shutdown_delay is not converted: ${why}`);
  }
  const signal = (task.KillSignal ?? '').trim().toUpperCase();
  if (signal !== '' && signal !== 'SIGTERM' && signal !== 'TERM') {
    ctx.warn(
      `${taskPath}.KillSignal`,
      `kill_signal ${JSON.stringify(task.KillSignal)} is not converted: ${why}`,
    );
  }
}

/**
 * ephemeral_disk.size → an ephemeral-storage request: Nomad only places allocations by it (the disk is
 * not a quota, nothing is evicted for exceeding it), which is what a request does. Not a sizeLimit, which
 * would evict the pod. The default size every Nomad job gets is left out, as Kubernetes pods request no
 * ephemeral storage unless asked to.
 */
function requestEphemeralDisk(ctx: GroupContext, container: V1Container | undefined): void {
  const size = ctx.group.EphemeralDisk?.SizeMB;
  if (container === undefined || size === undefined || !Number.isInteger(size) || size <= 0) return;
  if (size === NOMAD_DEFAULTS.api.ephemeralDisk.SizeMB) return;
  container.resources = {
    ...(container.resources ?? {}),
    requests: { ...(container.resources?.requests ?? {}), 'ephemeral-storage': mebibytes(size) },
  };
}

/**
 * A sysbatch task that fails: Nomad restarts it up to its restart attempts, then fails the allocation
 * and frees its resources. In a run-once DaemonSet pod (restartPolicy Always, which DaemonSets require)
 * the kubelet retries a failed init container with back-off until it succeeds; nothing in the pod can
 * stop it. One warning per task that runs once, saying so and what to do.
 */
function sysbatchFailureWarnings(ctx: GroupContext, built: readonly BuiltTask[]): void {
  for (const b of built) {
    if (NATIVE_SIDECARS.has(b.role)) continue;
    const policy = taskRestartPolicy(ctx, b.task);
    // Named at the block that decides: the task's own, or the group's when the task has none of its own.
    const own = ownRestartDiffers(ctx, b.task);
    const limit =
      policy.Mode === 'delay'
        ? 'Nomad also retries it without limit (mode "delay")'
        : `Nomad gives up after ${policy.Attempts ?? 0} restart(s) and fails the allocation`;
    ctx.warn(
      own ? `${ctx.path}.Tasks[${b.index}].RestartPolicy` : `${ctx.path}.RestartPolicy`,
      `if ${own ? 'this sysbatch task fails' : `sysbatch task ${JSON.stringify(b.task.Name ?? '')} fails`}, the kubelet retries it (back-off up to 5 minutes) until it succeeds and the pod keeps its resource requests meanwhile (${limit}); a DaemonSet pod cannot stop retrying: watch the pods' init container statuses and stop the job when a node keeps failing`,
    );
  }
}

/** Every check of a sysbatch group, group and task services alike: its tasks run as init containers. */
function sysbatchCheckWarnings(ctx: GroupContext): void {
  const report = (servicesPath: string, services: readonly { Checks?: readonly unknown[] }[] | undefined) => {
    (services ?? []).forEach((service, s) => {
      (service.Checks ?? []).forEach((_, c) => {
        ctx.warn(
          `${servicesPath}[${s}].Checks[${c}]`,
          'check is not converted: the tasks of a sysbatch group run to completion as init containers, which have no probes',
        );
      });
    });
  };
  report(`${ctx.path}.Services`, ctx.group.Services);
  (ctx.group.Tasks ?? []).forEach((task, t) => {
    report(`${ctx.path}.Tasks[${t}].Services`, task.Services);
  });
}

/** Whether a task's own restart block sets attempts, interval, delay or mode other than the group's. */
function ownRestartDiffers(ctx: GroupContext, task: Task): boolean {
  const group = ctx.group.RestartPolicy ?? {};
  const merged = taskRestartPolicy(ctx, task);
  return (['Attempts', 'Interval', 'Delay', 'Mode'] as const).some(
    (key) => merged[key] !== undefined && merged[key] !== group[key],
  );
}

/** Warnings for restart settings the kubelet cannot honour, and for tasks' own restart blocks. */
function restartWarnings(ctx: GroupContext, mode: PodMode, restartPolicy: RestartPolicy): void {
  const policy = ctx.group.RestartPolicy;
  const defaults = defaultRestartPolicy(ctx.job.Type ?? 'service');
  const path = `${ctx.path}.RestartPolicy`;
  const tasks = ctx.group.Tasks ?? [];
  // A batch task that never restarts (attempts 0, mode "fail") has no delay to wait.
  const restarts = (task: Task) => {
    const merged = taskRestartPolicy(ctx, task);
    return mode !== 'batch' || (merged.Attempts ?? 0) > 0 || merged.Mode === 'delay';
  };
  const timing = (p: typeof policy) =>
    (p?.Delay ?? defaults.Delay) !== defaults.Delay ||
    (p?.Interval ?? defaults.Interval) !== defaults.Interval;
  const delayLost =
    'restart delay and interval are not converted: the kubelet restarts containers with its own back-off (10s, doubling up to 5m)';
  if (policy && timing(policy) && tasks.some(restarts)) ctx.warn(path, delayLost);
  // Long-running pods restart always, as mode "delay" does; a limit of attempts (mode "fail") is lost.
  // Sysbatch tasks: sysbatchFailureWarnings names their attempts.
  if (
    policy &&
    (mode === 'service' || mode === 'system') &&
    (policy.Mode ?? defaults.Mode) === 'fail' &&
    (policy.Attempts ?? defaults.Attempts) !== defaults.Attempts
  ) {
    const attempts = policy.Attempts ?? 0;
    ctx.warn(
      path,
      `restart attempts ${attempts} (mode "fail") are not converted: the kubelet restarts the containers of a long-running pod whenever they exit, without limit (Nomad would fail the allocation after ${attempts} restart(s) within the interval${mode === 'service' ? ' and reschedule it' : ''}); a container that keeps failing shows as CrashLoopBackOff instead`,
    );
  }
  const group = policy ?? {};
  const { attempts, unlimited } = groupRestarts(ctx);
  (ctx.group.Tasks ?? []).forEach((task, index) => {
    const merged = taskRestartPolicy(ctx, task);
    const taskPath = `${ctx.path}.Tasks[${index}].RestartPolicy`;
    if (merged.RenderTemplates === true && group.RenderTemplates !== true) {
      ctx.warn(
        `${taskPath}.RenderTemplates`,
        'render_templates is not applicable on Kubernetes: templates are static text, there is nothing to re-render on a restart',
      );
    }
    // Sysbatch tasks: sysbatchFailureWarnings names the task's merged attempts.
    if (!ownRestartDiffers(ctx, task) || mode === 'sysbatch') return;
    if (mode === 'batch' && tasks.length === 1) {
      // The pod's restart policy is this task's, as in Nomad; only the timing is the kubelet's.
      const ownTiming =
        (timing(merged) && (merged.Delay !== policy?.Delay || merged.Interval !== policy?.Interval)) ||
        (merged.Mode === 'delay' && policy?.Mode !== 'delay');
      if (ownTiming && restarts(task)) ctx.warn(taskPath, delayLost);
      return;
    }
    if (mode === 'batch') {
      ctx.warn(
        taskPath,
        `the task's own restart block (over the group's: attempts ${merged.Attempts ?? 0}, mode ${JSON.stringify(merged.Mode ?? 'fail')}) is applied pod-wide, as a pod has one restart policy: restartPolicy ${restartPolicy} and a backoffLimit counting ${unlimited ? 'unlimited' : attempts} restart(s) for every task; delay and interval follow the kubelet's back-off`,
      );
    } else {
      // The kubelet restarts without limit, as mode "delay" does: only a mode "fail" of the task's own
      // block (Nomad then fails the allocation after its attempts) or its own delay and interval differ.
      const groupMode = group.Mode ?? defaults.Mode;
      const groupAttempts = group.Attempts ?? defaults.Attempts;
      const mergedAttempts = merged.Attempts ?? defaults.Attempts;
      const failLost =
        (merged.Mode ?? defaults.Mode) === 'fail' &&
        (groupMode !== 'fail' || mergedAttempts !== groupAttempts);
      const ownTiming =
        timing(merged) &&
        ((merged.Delay ?? defaults.Delay) !== (group.Delay ?? defaults.Delay) ||
          (merged.Interval ?? defaults.Interval) !== (group.Interval ?? defaults.Interval));
      if (failLost) {
        ctx.warn(
          taskPath,
          `the task's own restart block is not converted: the kubelet restarts every container of a long-running pod whenever it exits, without limit and with its own back-off (Nomad would fail the allocation after ${mergedAttempts} restart(s) within the interval${mode === 'service' ? ' and reschedule it' : ''}); a container that keeps failing shows as CrashLoopBackOff instead`,
        );
      } else if (ownTiming) {
        ctx.warn(taskPath, delayLost);
      }
    }
  });
}
