// Task drivers → container fields (and the few pod-level settings a driver option implies).
//
//   docker           image, entrypoint → command, command + args → args (the image's ENTRYPOINT is kept,
//                    exactly as Docker runs `command`), work_dir, privileged, cap_add/cap_drop,
//                    security_opt (no-new-privileges, unconfined seccomp/AppArmor, label=disable),
//                    readonly_rootfs, tty/interactive, force_pull → imagePullPolicy Always,
//                    auth → a kubernetes.io/dockerconfigjson Secret + imagePullSecrets, volumes and
//                    `mount` blocks (absolute host paths → hostPath with their bind propagation as
//                    mountPropagation, a part of them only the running pod knows → the mount's
//                    subPathExpr (host-paths.ts), tmpfs → memory emptyDir; paths
//                    relative to the task directory, `local/nginx.conf`, `../alloc/data`, are binds
//                    that storage.ts `bindMounts` resolves onto the pod's task volumes and templates),
//                    shm_size → a memory emptyDir on /dev/shm, hostname, dns_*, extra_hosts → hostAliases,
//                    network_mode/pid_mode/ipc_mode `host`, sysctl → pod sysctls, runtime →
//                    runtimeClassName, group_add → supplementalGroups, labels → a pod annotation.
//                    `ports`/`port_map` belong to networking.ts; cpu_hard_limit/memory_hard_limit to
//                    resources.ts. image_pull_timeout and cpu_cfs_period (with cpu_hard_limit) are the
//                    kubelet's node settings: warnings. Every other option is a warning too (with what
//                    to do instead for the common ones: DOCKER_ADVICE), except the few with nothing to
//                    carry over (DOCKER_SILENT says why).
//   exec, raw_exec   the configurable `execImage` runs `command` with `args` (Nomad runs host binaries;
//                    the image must provide them: one warning per task names the image and the command).
//   java             the configurable `javaImage` runs `java <jvm_options> [-cp class_path]
//                    (-jar jar_path | class) <args>`.
//   anything else    a warning; when the config names an `image`, a container of that image is still
//                    made (podman, containerd and similar drivers run OCI images too).
//
// Nomad's runtime interpolation (`${NOMAD_META_x}`, `${NOMAD_ALLOC_INDEX}`, …) is env.ts's `interpolate`:
// in command and args (which Kubernetes expands) runtime values become `$(NAME)` references to the
// container's environment; in fields Kubernetes does not expand (image, working dir, hostname) only
// values known now are substituted, the rest is kept with a warning.

import { isIP } from 'node:net';
import type {
  KubernetesObject,
  V1Container,
  V1HostAlias,
  V1Secret,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { childName, isDns1123Label, isDns1123Subdomain } from '../nomad/ids.ts';
import { keyedBy } from '../nomad/keyed.ts';
import type { Task } from '../nomad/schema.ts';
import { approximateReferences, interpolate } from './env.ts';
import { asWritten, hostPathMount, runtimeReferences } from './host-paths.ts';
import type { TaskBind } from './storage.ts';
import type { GroupContext } from './types.ts';

/** Default image for `exec` and `raw_exec` tasks: small, with a POSIX shell and coreutils. */
export const DEFAULT_EXEC_IMAGE = 'busybox:1.37';
/** Default image for `java` tasks. */
export const DEFAULT_JAVA_IMAGE = 'eclipse-temurin:21-jre';

/** What a driver contributes to the pod as a whole (merged over all tasks by pod-template.ts). */
export interface DriverPod {
  hostname?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  dnsServers?: string[];
  dnsSearches?: string[];
  dnsOptions?: string[];
  hostAliases?: V1HostAlias[];
  /** Names of Secrets for imagePullSecrets. */
  imagePullSecrets?: string[];
  volumes?: V1Volume[];
  sysctls?: Record<string, string>;
  runtimeClassName?: string;
  supplementalGroups?: number[];
  /** Docker labels of the task (kept in a pod annotation). */
  labels?: Record<string, string>;
}

/** The container part a driver decides: everything but name, env, resources, ports and probes. */
export type DriverContainer = Omit<
  V1Container,
  'name' | 'env' | 'resources' | 'ports' | 'readinessProbe' | 'livenessProbe' | 'startupProbe'
>;

export interface DriverResult {
  /** Undefined when the task cannot be run (a warning says why). */
  container?: DriverContainer;
  pod: DriverPod;
  /** Objects the container needs (image pull Secrets). */
  objects: KubernetesObject[];
  /** Task-relative paths to bind into the container (pod-template.ts resolves them with storage.ts). */
  binds?: TaskBind[];
}

// ---------------------------------------------------------------------------------------------------
// Reading free-form driver config. Jobspec blocks arrive as lists of objects (`labels { … }` is
// `[{…}]`), API clients send plain objects; both are accepted.

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function text(value: unknown): string | undefined {
  return scalarText(value);
}

function textList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    const single = scalarText(value);
    return single === undefined ? undefined : [single];
  }
  const out: string[] = [];
  for (const item of value) {
    const t = scalarText(item);
    if (t === undefined) return undefined;
    out.push(t);
  }
  return out;
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

/** One block: an object, or a list of objects merged in order. */
function block(value: unknown): Obj | undefined {
  if (isObj(value)) return value;
  if (Array.isArray(value) && value.every(isObj)) return Object.assign({}, ...value) as Obj;
  return undefined;
}

/** Repeated blocks: a list of objects (or a single object). */
function blocks(value: unknown): Obj[] | undefined {
  if (isObj(value)) return [value];
  if (Array.isArray(value) && value.every(isObj)) return value;
  return undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  const b = block(value);
  if (!b) return undefined;
  const out = keyedBy<string>();
  for (const key of Object.keys(b).sort()) {
    const t = scalarText(b[key]);
    if (t !== undefined) out[key] = t;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Interpolation (env.ts implements Nomad's rules)

interface Interpolator {
  /** For fields Kubernetes expands (command, args): runtime values become `$(NAME)`. */
  runtime(value: string, path: string): string;
  /** For fields Kubernetes does not expand (image, working dir, hostname): plain text. */
  literal(value: string, path: string): string;
}

function interpolator(ctx: GroupContext, task: Task, templateVariables: readonly string[]): Interpolator {
  return {
    runtime: (value, path) => interpolate(ctx, task, value, { path, kubernetes: true, templateVariables }),
    literal: (value, path) => interpolate(ctx, task, value, { path, kubernetes: false, templateVariables }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Shared pieces

/** The Docker engine's socket, which jobs bind to run or inspect containers. */
const DOCKER_SOCKET = /(^|\/)docker\.sock$/;
/** The Docker engine's container directory (json-file logs): log shippers of Nomad clients read it. */
const DOCKER_CONTAINER_LOGS = /^\/var\/lib\/docker\/containers\/?$/;

/**
 * A hostPath volume of an absolute host path a task binds. The Docker socket is one Kubernetes nodes
 * (containerd, CRI-O) usually lack: it is typed Socket, so a pod where it is missing does not start
 * (its events say why) instead of running against an empty directory the runtime would make there.
 */
function hostPathVolume(ctx: GroupContext, name: string, source: string, path: string): V1Volume {
  if (DOCKER_CONTAINER_LOGS.test(source)) {
    ctx.warn(
      path,
      `${source} is where the Docker engine keeps containers' logs, which Kubernetes nodes (containerd, CRI-O) do not write: the directory is empty or missing there; read the containers' output from /var/log/pods (and /var/log/containers) on the node instead`,
    );
  }
  if (!DOCKER_SOCKET.test(source)) return { name, hostPath: { path: source } };
  ctx.warn(
    path,
    `${source} is the Docker engine's socket, which Kubernetes nodes (containerd, CRI-O) usually do not have: the hostPath is of type Socket, so the pod does not start where it is missing; talk to the node's container runtime through its own socket (containerd: /run/containerd/containerd.sock) or do the work without it`,
  );
  return { name, hostPath: { path: source, type: 'Socket' } };
}

function capabilities(values: string[]): string[] {
  return values.map((c) => {
    const upper = c.toUpperCase();
    return upper.startsWith('CAP_') ? upper.slice(4) : upper;
  });
}

function applyCapabilities(config: Obj, security: V1SecurityContext, path: string, ctx: GroupContext): void {
  const add = textList(config.cap_add);
  const drop = textList(config.cap_drop);
  if (config.cap_add !== undefined && add === undefined)
    ctx.warn(`${path}.cap_add`, 'expected a list of strings');
  if (config.cap_drop !== undefined && drop === undefined)
    ctx.warn(`${path}.cap_drop`, 'expected a list of strings');
  if ((add && add.length > 0) || (drop && drop.length > 0)) {
    security.capabilities = {};
    if (add && add.length > 0) security.capabilities.add = capabilities(add);
    if (drop && drop.length > 0) security.capabilities.drop = capabilities(drop);
  }
}

/** The user and group ID of `nobody` on Linux. */
const NOBODY = 65534;

/** User names every Linux system has, by their IDs. */
const WELL_KNOWN_USERS: Record<string, string> = { root: '0:0', nobody: `${NOBODY}:${NOBODY}` };

/**
 * Task `user` → runAsUser/runAsGroup when numeric (`1000`, `1000:1000`) or a well-known name; other
 * names are warned (Kubernetes runs containers as numeric IDs).
 */
function applyUser(task: Task, security: V1SecurityContext, path: string, ctx: GroupContext): void {
  // Nomad's exec and java drivers run a task without a user as nobody (raw_exec and docker do not).
  const byDriver = task.Driver === 'exec' || task.Driver === 'java' ? 'nobody' : '';
  const named = task.User || byDriver;
  if (named === '') return;
  const user = WELL_KNOWN_USERS[named] ?? named;
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  const uid = match ? Number(match[1]) : Number.NaN;
  const gid = match?.[2] === undefined ? undefined : Number(match[2]);
  if (!match || uid > 2147483647 || (gid !== undefined && gid > 2147483647)) {
    ctx.warn(
      `${path}.User`,
      `user ${JSON.stringify(named)} is not converted: Kubernetes runs containers as a numeric UID (set runAsUser, or the image's USER)`,
    );
    return;
  }
  security.runAsUser = uid;
  if (gid !== undefined) security.runAsGroup = gid;
}

/** What to do instead, for the docker options jobs commonly set that have no pod equivalent. */
const DOCKER_ADVICE: Readonly<Record<string, string>> = {
  logging:
    'the kubelet keeps each container’s output (kubectl logs, /var/log/pods on the node); ship logs with a node-level collector',
  ulimit:
    'Kubernetes sets no per-container ulimits (the container runtime’s defaults apply); raise them in the image’s entrypoint (ulimit -n …) or in the runtime’s configuration',
  init: 'no init process is added; build one (tini, dumb-init) into the image’s entrypoint',
  devices:
    'a pod gets host devices through a device plugin (resources.limits) or, as a last resort, a hostPath of type CharDevice in a privileged container',
  storage_opt: 'a container’s writable layer has no size option; request ephemeral storage instead',
  pids_limit: 'the kubelet’s podPidsLimit bounds the processes of every pod on the node',
  oom_score_adj: 'the kubelet sets the OOM score from the pod’s QoS class (requests and limits)',
  mac_address: 'a pod’s network interface is the network plugin’s',
  userns_mode: 'pods run in the node’s user namespace unless `hostUsers: false` gives them their own',
  uts_mode: 'a pod shares the node’s UTS namespace only with hostNetwork',
  load: 'images are pulled from a registry; push the image archive to one',
};

function warnUnknown(
  config: Obj,
  known: ReadonlySet<string>,
  driver: string,
  path: string,
  ctx: GroupContext,
) {
  for (const key of Object.keys(config).sort()) {
    if (known.has(key) || config[key] === null || config[key] === undefined) continue;
    const advice = driver === 'docker' ? DOCKER_ADVICE[key] : undefined;
    ctx.warn(
      `${path}.${key}`,
      `${driver} option ${JSON.stringify(key)} is not converted${advice ? `: ${advice}` : ''}`,
    );
  }
}

/**
 * Docker's `security_opt` → the container's securityContext: `no-new-privileges` →
 * allowPrivilegeEscalation false, `seccomp=unconfined` / `apparmor=unconfined` → those profiles
 * Unconfined, `label=disable` → the SELinux type spc_t (what Docker's label=disable runs as). Other
 * entries (a seccomp profile file, an AppArmor or SELinux label of the node) are warned, once.
 */
function applySecurityOptions(
  config: Obj,
  security: V1SecurityContext,
  path: string,
  ctx: GroupContext,
): void {
  if (config.security_opt === undefined || config.security_opt === null) return;
  const options = textList(config.security_opt);
  if (options === undefined) {
    ctx.warn(`${path}.security_opt`, 'expected a list of strings');
    return;
  }
  const left: string[] = [];
  for (const raw of options) {
    const option = raw.trim().replace(':', '=');
    if (option === 'no-new-privileges' || option === 'no-new-privileges=true') {
      // The apiserver refuses it beside privileged or CAP_SYS_ADMIN (which escalate anyway).
      if (security.privileged || (security.capabilities?.add ?? []).includes('SYS_ADMIN')) {
        ctx.warn(
          `${path}.security_opt`,
          'no-new-privileges is not applied: Kubernetes refuses allowPrivilegeEscalation false in a privileged container or one with SYS_ADMIN, which can escalate anyway; drop privileged (or SYS_ADMIN) to keep it',
        );
      } else security.allowPrivilegeEscalation = false;
    } else if (option === 'seccomp=unconfined') security.seccompProfile = { type: 'Unconfined' };
    else if (option === 'apparmor=unconfined') security.appArmorProfile = { type: 'Unconfined' };
    else if (option === 'label=disable')
      security.seLinuxOptions = { ...security.seLinuxOptions, type: 'spc_t' };
    else if (option !== 'no-new-privileges=false') left.push(raw);
  }
  if (left.length > 0) {
    ctx.warn(
      `${path}.security_opt`,
      `security_opt ${left.map((o) => JSON.stringify(o)).join(', ')} ${left.length > 1 ? 'are' : 'is'} not converted: a seccomp profile must be a file in the kubelet's seccomp directory (seccompProfile Localhost), an AppArmor profile one loaded on the node (appArmorProfile Localhost), SELinux labels go in seLinuxOptions`,
    );
  }
}

function volumeName(taskIndex: number, n: number): string {
  return `task${taskIndex}-mount${n}`;
}

// ---------------------------------------------------------------------------------------------------
// docker

/**
 * Options read elsewhere (networking.ts, resources.ts), or with nothing to carry over: no warning.
 * auth_soft_fail only matters when a credential helper or config file lookup fails, and those are
 * not converted (warned with `auth`); healthchecks only switch off the image's Docker HEALTHCHECK,
 * which Kubernetes never runs; container_exists_timeout is the Nomad client's wait for Docker;
 * advertise_ipv6_address picks the address Nomad registers, and Services route to the pod IPs.
 */
const DOCKER_SILENT = new Set([
  'ports',
  'port_map',
  'cpu_hard_limit',
  'memory_hard_limit',
  'auth_soft_fail',
  'healthchecks',
  'container_exists_timeout',
  'advertise_ipv6_address',
]);

const DOCKER_HANDLED = new Set([
  'image',
  'command',
  'args',
  'entrypoint',
  'work_dir',
  'privileged',
  'cap_add',
  'cap_drop',
  'security_opt',
  'readonly_rootfs',
  'tty',
  'interactive',
  'force_pull',
  'auth',
  'volumes',
  'mount',
  'mounts',
  'shm_size',
  'hostname',
  'dns_servers',
  'dns_search_domains',
  'dns_options',
  'extra_hosts',
  'network_mode',
  'pid_mode',
  'ipc_mode',
  'sysctl',
  'runtime',
  'group_add',
  'labels',
  'image_pull_timeout',
  'cpu_cfs_period',
  ...DOCKER_SILENT,
]);

/** The registry host of an image reference, as Docker reads it (`docker.io` when none). */
export function imageRegistry(image: string): string {
  const slash = image.indexOf('/');
  if (slash > 0) {
    const first = image.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') return first;
  }
  return 'https://index.docker.io/v1/';
}

function pullSecret(
  ctx: GroupContext,
  task: Task,
  image: string,
  auth: Obj,
  path: string,
): V1Secret | undefined {
  const username = text(auth.username);
  const password = text(auth.password);
  if (username === undefined || password === undefined) {
    ctx.warn(
      `${path}.auth`,
      'registry auth without username and password (credential helpers, config files) is not converted; add an imagePullSecret to the namespace service account',
    );
    return undefined;
  }
  const server = text(auth.server_address) || imageRegistry(image);
  const entry: Obj = {
    username,
    password,
    auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64'),
  };
  const email = text(auth.email);
  if (email) entry.email = email;
  const config = JSON.stringify({ auths: { [server]: entry } });
  const name = childName(ctx.jobName, ctx.group.Name ?? '', task.Name ?? '', 'registry');
  ctx.warn(
    `${path}.auth`,
    `registry credentials are copied into the Secret ${name} (type kubernetes.io/dockerconfigjson) used as imagePullSecret; prefer a Secret managed outside the jobspec`,
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels: { ...ctx.labels } },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(config, 'utf8').toString('base64') },
  };
}

/** Where the docker options put volumes, mounts and task-relative binds. */
interface DockerStorage {
  counter: { n: number };
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  binds: TaskBind[];
}

/**
 * A part of a bind (its target, or a task-relative source) in plain text: values only the running pod
 * knows cannot be put there, so they are left as written, each with a warning.
 */
function plainBindPart(ctx: GroupContext, expanded: string, path: string): string {
  for (const name of runtimeReferences(expanded)) {
    ctx.warn(
      path,
      `\${${name}} is only known when the pod runs, and this field is not expanded by Kubernetes; left as is`,
    );
  }
  return asWritten(expanded);
}

/**
 * The volume and mount of a bind of an absolute host path (in expansion form): a hostPath, with a
 * subPathExpr for a part only the running pod knows (host-paths.ts). Undefined when it cannot be
 * mounted (warned). `source.raw` is the text before interpolation, where the references a Deployment
 * replica only approximates are found (and said).
 */
function hostBind(
  ctx: GroupContext,
  task: Task,
  name: string,
  source: { expanded: string; raw: string },
  target: string,
  path: string,
): { volume: V1Volume; mount: V1VolumeMount } | undefined {
  const written = asWritten(source.expanded);
  const bind = hostPathMount(source.expanded);
  if ('error' in bind) {
    ctx.warn(path, `host path ${JSON.stringify(written)} is not converted: ${bind.error}`);
    return undefined;
  }
  const approximate = approximateReferences(ctx, task, source.raw);
  if (approximate.length > 0) {
    ctx.warn(
      path,
      `host path ${JSON.stringify(source.raw)} is ${JSON.stringify(written)} in every pod: Deployment replicas have no index, so every pod gets index 0's ${approximate.join(' and ')} and the pods on one node share the directory each Nomad allocation had for itself, and what allocations of index 1 and up kept under their own path is not read; keep one pod per node (constraint distinct_hosts = true), or make each instance a group of its own`,
    );
  }
  if (bind.subPathExpr === undefined) {
    return { volume: hostPathVolume(ctx, name, bind.hostPath, path), mount: { name, mountPath: target } };
  }
  // The kubelet makes the subpath below the hostPath, which must exist: Docker made a missing source.
  return {
    volume: { name, hostPath: { path: bind.hostPath, type: 'DirectoryOrCreate' } },
    mount: { name, mountPath: target, subPathExpr: bind.subPathExpr },
  };
}

/**
 * Docker's `host:container[:mode]` volume strings. Without a `volume_driver` a relative source is a
 * path in the task directory (Nomad joins it to the task directory); with one it names a volume.
 * Interpolated as Nomad does before splitting, in expansion form, so that a host path may keep a
 * value only the running pod knows (hostBind).
 */
function dockerVolumes(
  ctx: GroupContext,
  task: Task,
  values: unknown,
  taskIndex: number,
  path: string,
  out: DockerStorage,
  interp: Interpolator,
): void {
  const { counter, volumes, mounts } = out;
  const volumeDriver = text(task.Config?.volume_driver) ?? '';
  const list = textList(values);
  if (!list) {
    ctx.warn(`${path}.volumes`, 'expected a list of "host:container" strings');
    return;
  }
  list.forEach((raw, i) => {
    const at = `${path}.volumes[${i}]`;
    const expanded = interp.runtime(raw, at);
    const spec = asWritten(expanded);
    // `$(NAME)` holds no colon, so the parts of the expansion are those of the written spec.
    const parts = expanded.split(':');
    const [sourceExpanded = '', targetExpanded = '', modeExpanded = ''] = parts;
    const source = asWritten(sourceExpanded);
    const mode = asWritten(modeExpanded);
    if (parts.length < 2 || parts.length > 3 || !asWritten(targetExpanded).startsWith('/')) {
      ctx.warn(at, `volume ${JSON.stringify(spec)} is not a "host:container[:mode]" bind`);
      return;
    }
    if (!source.startsWith('/') && (volumeDriver !== '' || source === '')) {
      ctx.warn(
        at,
        `volume ${JSON.stringify(spec)} is not converted: named Docker volumes have no equivalent; use a group volume`,
      );
      return;
    }
    const target = plainBindPart(ctx, targetExpanded, at);
    if (!source.startsWith('/')) {
      out.binds.push({
        source: plainBindPart(ctx, sourceExpanded, at),
        target,
        readOnly: mode.split(',').includes('ro'),
        path: at,
        what: `volume ${JSON.stringify(spec)}`,
      });
      return;
    }
    const name = volumeName(taskIndex, counter.n);
    // References hold no colon either: the raw source is the text before the first one.
    const bind = hostBind(
      ctx,
      task,
      name,
      { expanded: sourceExpanded, raw: raw.split(':')[0] ?? '' },
      target,
      at,
    );
    if (!bind) return;
    counter.n++;
    volumes.push(bind.volume);
    const mount = bind.mount;
    if (mode.split(',').includes('ro')) mount.readOnly = true;
    const propagation = mode.split(',').find((m) => PROPAGATIONS.has(m));
    if (propagation !== undefined) applyPropagation(ctx, task, mount, propagation, at);
    mounts.push(mount);
  });
  list.forEach((raw, i) => {
    const flags = (raw.split(':')[2] ?? '').split(',').filter((m) => m !== '');
    const unknown = flags.filter((m) => m !== 'ro' && m !== 'rw' && !PROPAGATIONS.has(m));
    if (unknown.length > 0) {
      ctx.warn(
        `${path}.volumes[${i}]`,
        `volume mode ${unknown.map((m) => JSON.stringify(m)).join(', ')} is not converted (SELinux relabelling comes from the pod's seLinuxOptions)`,
      );
    }
  });
}

/** Docker's bind propagation modes. */
const PROPAGATIONS = new Set(['rprivate', 'private', 'rslave', 'slave', 'rshared', 'shared']);

/**
 * A bind's propagation as mountPropagation: slave modes receive host mounts (HostToContainer); shared
 * modes also send them back (Bidirectional), which the apiserver allows only in privileged containers.
 */
function applyPropagation(
  ctx: GroupContext,
  task: Task,
  mount: V1VolumeMount,
  propagation: string,
  path: string,
): void {
  if (propagation === 'rprivate' || propagation === 'private') return;
  if (propagation.endsWith('slave')) {
    mount.mountPropagation = 'HostToContainer';
    return;
  }
  if (flag(task.Config?.privileged) === true) {
    mount.mountPropagation = 'Bidirectional';
    return;
  }
  mount.mountPropagation = 'HostToContainer';
  ctx.warn(
    path,
    `propagation ${JSON.stringify(propagation)} becomes HostToContainer: Kubernetes allows Bidirectional propagation only in privileged containers`,
  );
}

/**
 * Docker `mount { … }` blocks; a bind's relative source is a path in the task directory. Source and
 * target are interpolated as Nomad interpolates the whole driver config (a host path may keep a value
 * only the running pod knows: hostBind).
 */
function dockerMounts(
  ctx: GroupContext,
  task: Task,
  values: unknown,
  key: string,
  taskIndex: number,
  path: string,
  out: DockerStorage,
  interp: Interpolator,
): void {
  const { counter, volumes, mounts } = out;
  const list = blocks(values);
  if (!list) {
    ctx.warn(`${path}.${key}`, 'expected mount blocks');
    return;
  }
  list.forEach((m, i) => {
    const type = text(m.type) ?? 'volume';
    const at = `${path}.${key}[${i}]`;
    const rawSource = text(m.source) ?? '';
    // Only a bind's source is a path (of the host or the task directory); other sources name volumes.
    const sourceExpanded = type === 'bind' ? interp.runtime(rawSource, `${at}.source`) : rawSource;
    const source = asWritten(sourceExpanded);
    const target = plainBindPart(ctx, interp.runtime(text(m.target) ?? '', `${at}.target`), `${at}.target`);
    const readOnly = flag(m.readonly) === true;
    if (!target.startsWith('/')) {
      ctx.warn(at, 'mount without an absolute target is not converted');
      return;
    }
    const name = volumeName(taskIndex, counter.n);
    const propagation = text(block(m.bind_options)?.propagation) ?? '';
    if (
      propagation !== '' &&
      type === 'bind' &&
      !source.startsWith('/') &&
      !/^r?private$/.test(propagation)
    ) {
      ctx.warn(
        `${at}.bind_options`,
        `propagation ${JSON.stringify(propagation)} is not converted: only binds of host paths carry a mount propagation`,
      );
    }
    const tmpfsMode = block(m.tmpfs_options)?.mode;
    if (type === 'tmpfs' && tmpfsMode !== undefined && tmpfsMode !== null) {
      ctx.warn(
        `${at}.tmpfs_options`,
        `tmpfs mode ${JSON.stringify(tmpfsMode)} is not converted: a memory emptyDir is world-writable (set the pod's fsGroup to restrict it by group)`,
      );
    }
    if (type === 'bind' && source !== '' && !source.startsWith('/')) {
      const relative = plainBindPart(ctx, sourceExpanded, `${at}.source`);
      out.binds.push({
        source: relative,
        target,
        readOnly,
        path: at,
        what: `bind mount of ${JSON.stringify(relative)}`,
      });
      return;
    }
    let mount: V1VolumeMount = { name, mountPath: target };
    if (type === 'bind' && source.startsWith('/')) {
      const bind = hostBind(ctx, task, name, { expanded: sourceExpanded, raw: rawSource }, target, at);
      if (!bind) return;
      volumes.push(bind.volume);
      mount = bind.mount;
    } else if (type === 'tmpfs') {
      const size = Number(block(m.tmpfs_options)?.size);
      volumes.push({
        name,
        emptyDir:
          Number.isInteger(size) && size > 0
            ? { medium: 'Memory', sizeLimit: `${size}` }
            : { medium: 'Memory' },
      });
    } else {
      ctx.warn(
        at,
        type === 'bind'
          ? 'bind mount without a source is not converted'
          : `mount of type ${JSON.stringify(type)} is not converted (Docker volumes have no Kubernetes equivalent; use a group volume)`,
      );
      return;
    }
    counter.n++;
    if (readOnly) mount.readOnly = true;
    if (type === 'bind' && PROPAGATIONS.has(propagation)) {
      applyPropagation(ctx, task, mount, propagation, `${at}.bind_options`);
    } else if (type === 'bind' && propagation !== '') {
      ctx.warn(
        `${at}.bind_options`,
        `propagation ${JSON.stringify(propagation)} is not a Docker propagation mode`,
      );
    }
    mounts.push(mount);
  });
}

const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

const DOCKER_SIZE = /^(\d+)([kmg]?)b?$/i;

/** Docker's shm_size: bytes as a number, or a string with an optional k/m/g unit. */
function shmBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DOCKER_SIZE.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Number(match[1]) * factor;
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

function dockerDriver(ctx: GroupContext, task: Task, taskIndex: number, interp: Interpolator): DriverResult {
  const path = `${ctx.path}.Tasks[${taskIndex}].Config`;
  const config = task.Config ?? {};
  const pod: DriverPod = {};
  const objects: KubernetesObject[] = [];

  const rawImage = text(config.image);
  if (rawImage === undefined || rawImage.trim() === '') {
    ctx.warn(`${path}.image`, 'docker task without an image cannot run; the task is left out');
    return { pod, objects };
  }
  const image = interp.literal(rawImage, `${path}.image`);
  const container: DriverContainer = { image };

  const entrypoint = textList(config.entrypoint);
  if (config.entrypoint !== undefined && entrypoint === undefined) {
    ctx.warn(`${path}.entrypoint`, 'expected a list of strings');
  }
  if (entrypoint && entrypoint.length > 0) {
    container.command = entrypoint.map((a, i) => interp.runtime(a, `${path}.entrypoint[${i}]`));
  }
  const command = text(config.command);
  const args = textList(config.args);
  if (config.args !== undefined && args === undefined) ctx.warn(`${path}.args`, 'expected a list of strings');
  const fullArgs = [
    ...(command !== undefined && command !== '' ? [interp.runtime(command, `${path}.command`)] : []),
    ...(args ?? []).map((a, i) => interp.runtime(a, `${path}.args[${i}]`)),
  ];
  if (fullArgs.length > 0) container.args = fullArgs;

  const workDir = text(config.work_dir);
  if (workDir) container.workingDir = interp.literal(workDir, `${path}.work_dir`);
  if (flag(config.force_pull) === true) container.imagePullPolicy = 'Always';
  if (flag(config.tty) === true) container.tty = true;
  if (flag(config.interactive) === true) container.stdin = true;

  const security: V1SecurityContext = {};
  if (flag(config.privileged) === true) security.privileged = true;
  applyCapabilities(config, security, path, ctx);
  if (flag(config.readonly_rootfs) === true) security.readOnlyRootFilesystem = true;
  applySecurityOptions(config, security, path, ctx);
  applyUser(task, security, `${ctx.path}.Tasks[${taskIndex}]`, ctx);
  if (Object.keys(security).length > 0) container.securityContext = security;

  const storage: DockerStorage = { counter: { n: 0 }, volumes: [], mounts: [], binds: [] };
  const { counter, volumes, mounts } = storage;
  if (config.volumes !== undefined && config.volumes !== null) {
    dockerVolumes(ctx, task, config.volumes, taskIndex, path, storage, interp);
  }
  for (const key of ['mount', 'mounts']) {
    if (config[key] !== undefined && config[key] !== null) {
      dockerMounts(ctx, task, config[key], key, taskIndex, path, storage, interp);
    }
  }
  if (config.shm_size !== undefined && config.shm_size !== null) {
    const bytes = shmBytes(config.shm_size);
    if (bytes === undefined) {
      ctx.warn(`${path}.shm_size`, `shm_size ${JSON.stringify(config.shm_size)} is not a size in bytes`);
    } else {
      const name = volumeName(taskIndex, counter.n++);
      volumes.push({ name, emptyDir: { medium: 'Memory', sizeLimit: `${bytes}` } });
      mounts.push({ name, mountPath: '/dev/shm' });
    }
  }
  if (volumes.length > 0) pod.volumes = volumes;
  if (mounts.length > 0) container.volumeMounts = mounts;

  const auth = block(config.auth);
  if (auth) {
    const secret = pullSecret(ctx, task, image, auth, path);
    if (secret) {
      objects.push(secret);
      pod.imagePullSecrets = [secret.metadata?.name ?? ''];
    }
  } else if (config.auth !== undefined && config.auth !== null) {
    ctx.warn(`${path}.auth`, 'expected an auth block');
  }

  const hostname = text(config.hostname);
  // A reference left unresolved makes it no DNS label: pod-template.ts says so, once.
  if (hostname) pod.hostname = interpolate(ctx, task, hostname, { kubernetes: false, quiet: true });
  const dnsServers = textList(config.dns_servers);
  if (dnsServers && dnsServers.length > 0) pod.dnsServers = dnsServers;
  const dnsSearches = textList(config.dns_search_domains);
  if (dnsSearches && dnsSearches.length > 0) pod.dnsSearches = dnsSearches;
  const dnsOptions = textList(config.dns_options);
  if (dnsOptions && dnsOptions.length > 0) pod.dnsOptions = dnsOptions;

  const extraHosts = textList(config.extra_hosts);
  if (extraHosts && extraHosts.length > 0) {
    const aliases = new Map<string, string[]>();
    extraHosts.forEach((entry, i) => {
      // `host:ip`; the IP may be IPv6 and contain colons, the host name never does.
      const colon = entry.indexOf(':');
      const host = colon > 0 ? entry.slice(0, colon) : '';
      const ip = colon > 0 ? entry.slice(colon + 1) : '';
      if (host === '' || ip === '') {
        ctx.warn(`${path}.extra_hosts[${i}]`, `extra host ${JSON.stringify(entry)} is not "host:ip"`);
        return;
      }
      if (isIP(ip) === 0 || !isDns1123Subdomain(host)) {
        ctx.warn(
          `${path}.extra_hosts[${i}]`,
          `extra host ${JSON.stringify(entry)} is not a host name and an IP address`,
        );
        return;
      }
      aliases.set(ip, [...(aliases.get(ip) ?? []), host]);
    });
    if (aliases.size > 0) {
      pod.hostAliases = [...aliases].map(([ip, hostnames]) => ({ ip, hostnames }));
    }
  }

  const networkMode = text(config.network_mode);
  if (networkMode === 'host') pod.hostNetwork = true;
  else if (
    networkMode !== undefined &&
    networkMode !== '' &&
    networkMode !== 'bridge' &&
    networkMode !== 'default'
  ) {
    ctx.warn(
      `${path}.network_mode`,
      `network_mode ${JSON.stringify(networkMode)} is not converted: pods get the cluster network (only "host" maps, to hostNetwork)`,
    );
  }
  for (const [key, field] of [
    ['pid_mode', 'hostPID'],
    ['ipc_mode', 'hostIPC'],
  ] as const) {
    const mode = text(config[key]);
    if (mode === 'host') pod[field] = true;
    else if (mode !== undefined && mode !== '') {
      ctx.warn(
        `${path}.${key}`,
        `${key} ${JSON.stringify(mode)} is not converted (only "host" maps, to ${field})`,
      );
    }
  }

  if (config.sysctl !== undefined && config.sysctl !== null) {
    const sysctls = stringMap(config.sysctl);
    for (const name of Object.keys(sysctls ?? {})) {
      if (!SYSCTL_NAME.test(name) || name.length > 253) {
        ctx.warn(
          `${path}.sysctl`,
          `${JSON.stringify(name)} is not a sysctl name Kubernetes accepts; left out`,
        );
        delete sysctls?.[name];
      }
    }
    if (sysctls && Object.keys(sysctls).length > 0) pod.sysctls = sysctls;
    else if (!sysctls) ctx.warn(`${path}.sysctl`, 'expected a map of sysctl names to values');
  }
  const runtime = text(config.runtime);
  if (runtime) {
    if (isDns1123Label(runtime)) pod.runtimeClassName = runtime;
    else ctx.warn(`${path}.runtime`, `runtime ${JSON.stringify(runtime)} is not a valid RuntimeClass name`);
  }
  const groups = textList(config.group_add);
  if (groups && groups.length > 0) {
    const numeric = groups.filter((g) => /^\d+$/.test(g) && Number(g) <= 2147483647).map(Number);
    if (numeric.length > 0) pod.supplementalGroups = numeric;
    if (numeric.length < groups.length) {
      ctx.warn(`${path}.group_add`, 'only numeric group IDs are converted (to supplementalGroups)');
    }
  }
  if (config.labels !== undefined && config.labels !== null) {
    const labels = stringMap(config.labels);
    if (labels && Object.keys(labels).length > 0) pod.labels = labels;
    else if (!labels) ctx.warn(`${path}.labels`, 'expected a map of labels');
  }

  // Node settings of the kubelet, not of a pod: reported when they ask for something.
  const pullTimeout = text(config.image_pull_timeout);
  if (pullTimeout !== undefined && pullTimeout !== '' && pullTimeout !== '5m') {
    ctx.warn(
      `${path}.image_pull_timeout`,
      `image_pull_timeout ${JSON.stringify(pullTimeout)} is not converted: how long an image pull may take is the kubelet's setting (node configuration)`,
    );
  }
  if (
    config.cpu_cfs_period !== undefined &&
    config.cpu_cfs_period !== null &&
    config.cpu_hard_limit === true
  ) {
    ctx.warn(
      `${path}.cpu_cfs_period`,
      'cpu_cfs_period is not converted: the CFS period behind CPU limits is the kubelet’s cpuCFSQuotaPeriod (node configuration); the limit uses its default of 100ms',
    );
  }
  warnUnknown(config, DOCKER_HANDLED, 'docker', path, ctx);
  return storage.binds.length > 0
    ? { container, pod, objects, binds: storage.binds }
    : { container, pod, objects };
}

// ---------------------------------------------------------------------------------------------------
// exec, raw_exec, java

const EXEC_HANDLED = new Set(['command', 'args', 'work_dir', 'cap_add', 'cap_drop', 'pid_mode', 'ipc_mode']);

/** A command relative to the task's directory (`local/app`), as Nomad's exec drivers resolve it. */
const TASK_RELATIVE_COMMAND = /^(local|alloc|secrets)\//;
/** A command in one of the task's directories (/local, /alloc, /secrets). */
const TASK_DIRECTORY_COMMAND = /^\/(local|alloc|secrets)\//;

function execDriver(ctx: GroupContext, task: Task, taskIndex: number, interp: Interpolator): DriverResult {
  const path = `${ctx.path}.Tasks[${taskIndex}].Config`;
  const config = task.Config ?? {};
  const pod: DriverPod = {};
  const container: DriverContainer = { image: ctx.options.execImage };
  const command = text(config.command);
  if (command === undefined || command === '') {
    ctx.warn(
      `${path}.command`,
      `${task.Driver} task without a command: the container runs the image's default command`,
    );
  } else {
    // Nomad runs a command relative to the task's directory (local/x, alloc/x): those are at the root
    // here, whatever the image's working directory.
    const resolved = interp.runtime(command, `${path}.command`);
    container.command = [TASK_RELATIVE_COMMAND.test(resolved) ? `/${resolved}` : resolved];
  }
  const args = textList(config.args);
  if (config.args !== undefined && args === undefined) ctx.warn(`${path}.args`, 'expected a list of strings');
  if (args && args.length > 0) container.args = args.map((a, i) => interp.runtime(a, `${path}.args[${i}]`));
  const workDir = text(config.work_dir);
  // Nomad starts the task in its task directory, whose local/, alloc/ and secrets/ are at / here.
  container.workingDir = workDir ? interp.literal(workDir, `${path}.work_dir`) : '/';
  const security: V1SecurityContext = {};
  applyCapabilities(config, security, path, ctx);
  applyUser(task, security, `${ctx.path}.Tasks[${taskIndex}]`, ctx);
  if (Object.keys(security).length > 0) container.securityContext = security;
  for (const [key, field] of [
    ['pid_mode', 'hostPID'],
    ['ipc_mode', 'hostIPC'],
  ] as const) {
    const mode = text(config[key]);
    if (mode === 'host') pod[field] = true;
  }
  // Nomad runs the host's binaries; here they come from the image, whatever the job names — but a
  // command in the task's directories (an artifact, a template) is the job's own: only what it needs
  // (a shell, libraries) must be in the image.
  const fromTaskDir = TASK_DIRECTORY_COMMAND.test(container.command?.[0] ?? '');
  ctx.warn(
    `${ctx.path}.Tasks[${taskIndex}].Driver`,
    `${task.Driver} task runs in a container of the image ${JSON.stringify(ctx.options.execImage)}${
      task.Driver === 'raw_exec'
        ? ', not unisolated on the host: the host paths it reads or writes are the container’s own (mount what it needs as a host volume)'
        : ''
    }: ${
      fromTaskDir
        ? `the command ${JSON.stringify(container.command?.[0])} comes from the task's directory, and what it needs to run (its interpreter, shared libraries) must exist in that image`
        : `${command ? `the command ${JSON.stringify(command)}` : 'its command'} must exist in that image`
    } (set the execImage option to an image that has it, or use the docker driver)`,
  );
  // cgroup overrides, oom_score_adj and denied_envvars have no container equivalent: warned as unknown.
  warnUnknown(config, EXEC_HANDLED, task.Driver ?? 'exec', path, ctx);
  return { container, pod, objects: [] };
}

const JAVA_HANDLED = new Set(['jar_path', 'class', 'class_path', 'jvm_options', 'args', 'work_dir']);

function javaDriver(ctx: GroupContext, task: Task, taskIndex: number, interp: Interpolator): DriverResult {
  const path = `${ctx.path}.Tasks[${taskIndex}].Config`;
  const config = task.Config ?? {};
  const args: string[] = [];
  const jvmOptions = textList(config.jvm_options) ?? [];
  jvmOptions.forEach((o, i) => {
    args.push(interp.runtime(o, `${path}.jvm_options[${i}]`));
  });
  const classPath = text(config.class_path);
  if (classPath) args.push('-cp', interp.runtime(classPath, `${path}.class_path`));
  const jar = text(config.jar_path);
  const mainClass = text(config.class);
  if (jar) args.push('-jar', interp.runtime(jar, `${path}.jar_path`));
  else if (mainClass) args.push(interp.runtime(mainClass, `${path}.class`));
  else {
    ctx.warn(path, 'java task without jar_path or class cannot run; the task is left out');
    return { pod: {}, objects: [] };
  }
  (textList(config.args) ?? []).forEach((a, i) => {
    args.push(interp.runtime(a, `${path}.args[${i}]`));
  });
  const container: DriverContainer = { image: ctx.options.javaImage, command: ['java'], args };
  const workDir = text(config.work_dir);
  // The task directory, as in Nomad: jar_path = "local/app.jar" and class_path entries resolve there.
  container.workingDir = workDir ? interp.literal(workDir, `${path}.work_dir`) : '/';
  const security: V1SecurityContext = {};
  applyUser(task, security, `${ctx.path}.Tasks[${taskIndex}]`, ctx);
  if (Object.keys(security).length > 0) container.securityContext = security;
  warnUnknown(config, JAVA_HANDLED, 'java', path, ctx);
  return { container, pod: {}, objects: [] };
}

function otherDriver(ctx: GroupContext, task: Task, taskIndex: number, interp: Interpolator): DriverResult {
  const driverPath = `${ctx.path}.Tasks[${taskIndex}].Driver`;
  const config = task.Config ?? {};
  const image = text(config.image);
  const driver = JSON.stringify(task.Driver ?? '');
  if (image === undefined || image.trim() === '') {
    ctx.warn(
      driverPath,
      `driver ${driver} is not supported (only docker, exec, raw_exec and java); the task is left out`,
    );
    return { pod: {}, objects: [] };
  }
  ctx.warn(
    driverPath,
    `driver ${driver} is not supported; the task runs as a container of its image with command and args, other options are ignored`,
  );
  const path = `${ctx.path}.Tasks[${taskIndex}].Config`;
  const container: DriverContainer = { image: interp.literal(image, `${path}.image`) };
  const command = text(config.command);
  const args = [
    ...(command ? [interp.runtime(command, `${path}.command`)] : []),
    ...(textList(config.args) ?? []).map((a, i) => interp.runtime(a, `${path}.args[${i}]`)),
  ];
  if (args.length > 0) container.args = args;
  return { container, pod: {}, objects: [] };
}

/**
 * The container fields, pod settings and objects for one task's driver, with Nomad's `${…}`
 * interpolation (env.ts) applied. Never throws; problems are warnings.
 */
/**
 * The container of `task`. `templateVariables` are the variables its env = true templates set
 * (storage.ts): in Nomad they are part of the environment the driver config is interpolated with,
 * and override the task's env there.
 */
export function taskDriver(
  ctx: GroupContext,
  task: Task,
  taskIndex: number,
  templateVariables: readonly string[] = [],
): DriverResult {
  const interp = interpolator(ctx, task, templateVariables);
  switch (task.Driver) {
    case 'docker':
      return dockerDriver(ctx, task, taskIndex, interp);
    case 'exec':
    case 'raw_exec':
      return execDriver(ctx, task, taskIndex, interp);
    case 'java':
      return javaDriver(ctx, task, taskIndex, interp);
    default:
      return otherDriver(ctx, task, taskIndex, interp);
  }
}
