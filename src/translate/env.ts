// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
// Environment: a task's `env`, the job/group/task `meta`, Nomad's runtime variables (NOMAD_*), and Nomad's
// `${…}` interpolation of them in driver config, args and env values.
//
// ## The variables (in this order in every container's env)
//   NOMAD_ALLOC_DIR, NOMAD_TASK_DIR, NOMAD_SECRETS_DIR  `/alloc`, `/local`, `/secrets` (paths.ts; storage.ts
//                                          mounts the volumes there)
//   NOMAD_ALLOC_ID                         the pod UID (downward API `metadata.uid`): unique per run like an
//                                          allocation ID, but a Kubernetes UID, not Nomad's
//   NOMAD_ALLOC_INDEX                      `0` for count 1 and for system/sysbatch jobs (where Nomad uses 0 too);
//                                          batch jobs with count > 1: the Indexed Job completion index
//                                          (downward API on the pod annotation batch.kubernetes.io/job-
//                                          completion-index; empty if the Job is not Indexed); service jobs
//                                          with count > 1: `0` for every replica, an approximation
//                                          (Deployment pods have no index; reported when the group uses it)
//   NOMAD_ALLOC_NAME                       `<job>.<group>[<index>]`, with `$(NOMAD_ALLOC_INDEX)` when the index
//                                          is only known at runtime
//   NOMAD_CPU_LIMIT                        CPU MHz (with `cores`: cores × 1000 millicores ÷ millicoresPerMHz)
//   NOMAD_DC                               the job's datacenter when it names exactly one (placement pins the
//                                          pods there when a datacenter label is mapped); otherwise the pod
//                                          label of the mapped `${node.datacenter}` node label (e.g.
//                                          topology.kubernetes.io/zone, which Kubernetes copies onto pods with
//                                          PodTopologyLabelsAdmission; empty without it); unset with no mapping
//   NOMAD_GROUP_NAME, NOMAD_JOB_ID, NOMAD_JOB_NAME, NOMAD_JOB_PARENT_ID, NOMAD_NAMESPACE, NOMAD_REGION,
//   NOMAD_TASK_NAME                        the Nomad values, verbatim; except in the runs of a periodic job
//                                          (its CronJobs' pods): NOMAD_JOB_PARENT_ID is the periodic job's
//                                          ID, and NOMAD_JOB_ID / NOMAD_JOB_NAME stay the periodic job's,
//                                          not the run's `<id>/periodic-<launch time>` (reported when used)
//   NOMAD_MEMORY_LIMIT, NOMAD_MEMORY_MAX_LIMIT  MemoryMB, MemoryMaxMB
//   per port label l (networking.ts decides the ports):
//     NOMAD_IP_l        the pod IP (`status.podIP`): what a task must bind to inside its pod
//     NOMAD_PORT_l      the container port
//     NOMAD_HOST_PORT_l the host port of a static port, else the container port
//     NOMAD_ADDR_l      `$(NOMAD_IP_l):<container port>` (IPv4 form)
//     and, only in the containers whose task refers to them (lessUsedPortVariables), named with the
//     label as written (Nomad cleans only the four names above):
//     NOMAD_ALLOC_PORT_l the container port; NOMAD_ALLOC_IP_l / NOMAD_ALLOC_ADDR_l the pod IP (and port)
//     NOMAD_HOST_IP_l / NOMAD_HOST_ADDR_l  the node's IP and host port of a static port; the pod IP and
//                       container port of the others (no node forwards them; every pod reaches them)
//   ports of another task's own network: NOMAD_{IP,PORT,ADDR}_<task>_<label>
//   NOMAD_META_<KEY> and NOMAD_META_<key>  every key of the merged meta (job < group < task), upper-cased and
//                                          as given, cleaned like Nomad (characters other than letters,
//                                          digits, `_` and `.` become `_`); optional dispatch meta keys of a
//                                          dispatched job default to "" as in Nomad
//   then the task's `env`, sorted by name (a name that repeats a NOMAD_* variable replaces it)
//   per Connect upstream d of the group's services (`destination_name = "d"`, raw and cleaned name):
//     NOMAD_UPSTREAM_IP_d    the upstream Service's DNS name `<Service>.<namespace>.svc` (networking.ts
//                            names Services after Nomad service names), not 127.0.0.1: there is no
//                            sidecar proxy, the task connects to the Service directly
//     NOMAD_UPSTREAM_PORT_d  the Service's port (of the service's own port label), not local_bind_port
//     NOMAD_UPSTREAM_ADDR_d  `<IP>:<PORT>`
//   Both need the upstream to be a service of the same job; for another job's service only
//   NOMAD_UPSTREAM_IP_d is set (its port is unknown when translating): warning.
// Not provided: NOMAD_SHORT_ALLOC_ID (no substring in the downward API), NOMAD_CPU_CORES (node-specific core
// IDs), NOMAD_TOKEN (workload identity), Vault variables.
//
// ## Interpolation
// Like Nomad, `${name}` (name of `[a-zA-Z0-9_.-]`) is replaced where the value is known, and left as written
// otherwise: NOMAD_* variables, `env.X` and names of the task's env vars, `node.region` (the job's region),
// `node.datacenter` (NOMAD_DC), `node.pool` (the job's node pool), and a node attribute placement pins
// the pods to one value of (placement.ts `pinnedNodeValue`: an equality constraint on a mapped
// attribute; `attr.kernel.name` and `attr.cpu.arch` unconstrained: linux and amd64, pinned). Other
// `node.*`, `attr.*` and `meta.*` (node meta, not job meta) are node-specific: left as-is with a warning
// — except those the downward API has: `${node.unique.name}` / `${attr.unique.hostname}` (`spec.nodeName`) and
// `${attr.unique.network.ip-address}` (`status.hostIP`). An env value that is exactly one of them is
// that fieldRef; elsewhere (args, command, longer env values) they are runtime values like the pod IP,
// `$(NOMAD_OPERATOR_NODE_NAME)` / `$(NOMAD_OPERATOR_HOST_IP)`, set first in the env of the containers
// that refer to them (withNodeVariables).
// Values known only at runtime (pod UID, pod IP, completion index) are written as Kubernetes dependent
// variables `$(NOMAD_…)`, which Kubernetes expands in env values, `command` and `args` from the
// container's env; every other `$` that Kubernetes would treat specially is escaped (`$(` → `$$(`,
// `$$` → `$$$`), so literal text survives expansion. For fields Kubernetes does not expand (image,
// hostname, paths…) call `interpolate` with `{ kubernetes: false }`: runtime values then stay `${…}`
// with a warning.
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import type { Task } from '../nomad/schema.ts';
import { catalogLookup, kubernetesServiceName, planPorts, serviceCatalog } from './networking.ts';
import { ALLOC_DIR, SECRETS_DIR, TASK_DIR } from './paths.ts';
import { nodeLabelForName, pinnedNodeValue } from './placement.ts';
import type { GroupContext, TaskEnv } from './types.ts';

export { ALLOC_DIR, SECRETS_DIR, TASK_DIR };

/** Pod annotation Kubernetes sets on the pods of Indexed Jobs. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** Nomad's `${…}` reference (helper/args). */
const REFERENCE = /\$\{([a-zA-Z0-9_\-.]+)\}/g;

/** A variable of the task's environment. */
interface Variable {
  name: string;
  /** The value when it is known now (plain text, not escaped). */
  literal?: string;
  /** How the container gets it. */
  env: V1EnvVar;
  /** `literal` is an approximation (replica index of a Deployment): not rendered into templates. */
  approximate?: boolean;
}

/** Nomad's helper.CleanEnvVar(s, '_'). */
function cleanEnvVar(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i] ?? '';
    out += /[A-Za-z_.]/.test(c) || (i > 0 && /[0-9]/.test(c)) ? c : '_';
  }
  return out;
}

/** Escapes text so that Kubernetes' `$(VAR)` expansion leaves it unchanged. */
export function escapeKubernetesExpansion(text: string): string {
  return text.replace(/\$(?=[$(])/g, '$$$$');
}

/** Kubernetes (≥ 1.34) env var names: printable ASCII without `=`. */
function isEnvVarName(name: string): boolean {
  return /^[\x20-\x7e]+$/.test(name) && !name.includes('=');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedEntries(record: Record<string, string> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => compare(a, b));
}

/** The task's meta merged as Nomad does (job < group < task), keys sorted. */
export function mergedMeta(ctx: GroupContext, task: Task): Record<string, string> {
  const merged: Record<string, string> = { ...ctx.job.Meta, ...ctx.group.Meta, ...task.Meta };
  return Object.fromEntries(sortedEntries(merged));
}

function fieldRef(fieldPath: string): Pick<V1EnvVar, 'valueFrom'> {
  return { valueFrom: { fieldRef: { fieldPath } } };
}

/** Env values that are exactly one node property the downward API has. */
const NODE_FIELDS: Record<string, string> = {
  '${node.unique.name}': 'spec.nodeName',
  '${attr.unique.hostname}': 'spec.nodeName',
  '${attr.unique.network.ip-address}': 'status.hostIP',
};

/**
 * The variables that carry those node properties into fields Kubernetes expands (args, command, env
 * values that hold more than the reference): `--host=${attr.unique.hostname}` becomes
 * `--host=$(NOMAD_OPERATOR_NODE_NAME)`. Nomad has no such variables; they are ours, named so that no
 * job's own variable is taken, and a container gets them only when its task refers to the property.
 */
const NODE_FIELD_VARIABLES: Record<string, string> = {
  'spec.nodeName': 'NOMAD_OPERATOR_NODE_NAME',
  'status.hostIP': 'NOMAD_OPERATOR_HOST_IP',
};

/** Resolves each of those node properties to its variable (buildScope). */
const NODE_PROPERTY_VARIABLES: ReadonlyMap<string, Variable> = new Map(
  Object.entries(NODE_FIELDS).map(([reference, fieldPath]) => {
    const name = NODE_FIELD_VARIABLES[fieldPath] ?? '';
    return [reference.slice(2, -1), { name, env: { name, ...fieldRef(fieldPath) } }];
  }),
);

/**
 * `env` with, first, the node-property variables the container's expanded fields (command, args, env
 * values, the subPathExpr of a host path's mount) refer to: Kubernetes expands `$(NAME)` in an env
 * value only from the entries before it.
 */
export function withNodeVariables(container: V1Container, env: V1EnvVar[]): V1EnvVar[] {
  const expanded = [
    ...(container.command ?? []),
    ...(container.args ?? []),
    ...env.map((e) => e.value ?? ''),
    ...(container.volumeMounts ?? []).map((m) => m.subPathExpr ?? ''),
  ];
  const first: V1EnvVar[] = [];
  for (const variable of new Set(NODE_PROPERTY_VARIABLES.values())) {
    const name = variable.name;
    // `$(NAME)` after an even number of `$`: an escaped `$$(NAME)` is literal text.
    const reference = new RegExp(`(?<!\\$)(?:\\$\\$)*\\$\\(${name}\\)`);
    if (env.some((e) => e.name === name) || !expanded.some((text) => reference.test(text))) continue;
    if (!first.some((e) => e.name === name)) first.push(variable.env);
  }
  return first.length === 0 ? env : [...first, ...env];
}

function taskIndexOf(ctx: GroupContext, task: Task): number {
  const tasks = ctx.group.Tasks ?? [];
  const index = tasks.indexOf(task);
  return index >= 0 ? index : tasks.findIndex((t) => t.Name === task.Name);
}

/** Whether a field Nomad interpolates at runtime mentions one of `names` (placement fields do not count). */
function usesVariable(ctx: GroupContext, ...names: string[]): boolean {
  const { Constraints, Affinities, Spreads, ...group } = ctx.group;
  const tasks = (group.Tasks ?? []).map(({ Constraints, Affinities, ...task }) => task);
  const text = JSON.stringify([ctx.job.Meta, { ...group, Tasks: tasks }]);
  return names.some((name) => text.includes(name));
}

/** A periodic batch job (not one of its runs): its CronJobs' pods are its runs'. */
function isPeriodicParent(job: GroupContext['job']): boolean {
  return (job.Type ?? 'service') === 'batch' && job.Periodic !== undefined && !job.ParentID;
}

/** The single datacenter the job names, if it names exactly one without globs. */
function singleDatacenter(ctx: GroupContext): string | undefined {
  const dcs = [...new Set(ctx.job.Datacenters ?? [])];
  const only = dcs[0];
  return dcs.length === 1 && only !== undefined && !/[*?[\]]/.test(only) ? only : undefined;
}

/** One Connect upstream of the group's services and what NOMAD_UPSTREAM_* say about it. */
interface Upstream {
  destination: string;
  path: string;
  /** `<Service>.<namespace>.svc` */
  host: string;
  /** The Service port, when the upstream is a service of this job. */
  port?: number;
  /** Whether the upstream is a service of this job (which may have no port). */
  known: boolean;
  localBindPort: number;
}

/** The Connect upstreams of the group's services, first declaration of each destination wins. */
function groupUpstreams(ctx: GroupContext): Upstream[] {
  const out: Upstream[] = [];
  const services = ctx.group.Services ?? [];
  if (!services.some((s) => (s.Connect?.SidecarService?.Proxy?.Upstreams ?? []).length > 0)) return out;
  const catalog = serviceCatalog(ctx);
  services.forEach((service, s) => {
    (service.Connect?.SidecarService?.Proxy?.Upstreams ?? []).forEach((upstream, u) => {
      const destination = upstream.DestinationName ?? '';
      if (destination === '' || out.some((o) => o.destination === destination)) return;
      const entry = catalogLookup(catalog, destination);
      const name = entry?.name ?? kubernetesServiceName(destination).name;
      const port = entry?.ports[0]?.port;
      out.push({
        destination,
        path: `${ctx.path}.Services[${s}].Connect.SidecarService.Proxy.Upstreams[${u}]`,
        host: `${name}.${ctx.options.namespace}.svc`,
        ...(port !== undefined ? { port } : {}),
        known: entry !== undefined,
        localBindPort: upstream.LocalBindPort ?? 0,
      });
    });
  });
  return out;
}

/** The NOMAD_* variables of a task, in env order (see the module comment). Reports nothing. */
function runtimeVariables(ctx: GroupContext, task: Task, taskIndex: number, upstreams = true): Variable[] {
  const job = ctx.job;
  const vars: Variable[] = [];
  const literal = (name: string, value: string) =>
    vars.push({ name, literal: value, env: { name, value: escapeKubernetesExpansion(value) } });
  const runtime = (name: string, env: Omit<V1EnvVar, 'name'>) => vars.push({ name, env: { name, ...env } });

  const jobId = job.ID ?? '';
  const groupName = ctx.group.Name ?? '';
  const count = ctx.group.Count ?? 1;
  const type = job.Type ?? 'service';

  literal('NOMAD_ALLOC_DIR', ALLOC_DIR);
  runtime('NOMAD_ALLOC_ID', fieldRef('metadata.uid'));
  if (type === 'batch' && count > 1) {
    runtime('NOMAD_ALLOC_INDEX', fieldRef(`metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']`));
    runtime('NOMAD_ALLOC_NAME', {
      value: `${escapeKubernetesExpansion(`${jobId}.${groupName}[`)}$(NOMAD_ALLOC_INDEX)]`,
    });
  } else {
    literal('NOMAD_ALLOC_INDEX', '0');
    literal('NOMAD_ALLOC_NAME', `${jobId}.${groupName}[0]`);
    if (type === 'service' && count > 1) {
      for (const v of vars.slice(-2)) v.approximate = true;
    }
  }
  const resources = task.Resources ?? {};
  const cores = resources.Cores ?? 0;
  const cpu =
    cores > 0 ? Math.round((cores * 1000) / (ctx.options.millicoresPerMHz || 1)) : (resources.CPU ?? 0);
  if (cpu > 0) literal('NOMAD_CPU_LIMIT', String(cpu));
  const dc = singleDatacenter(ctx);
  if (dc !== undefined) literal('NOMAD_DC', dc);
  else {
    const label = nodeLabelForName(ctx.options, 'node.datacenter');
    if (label.ok) runtime('NOMAD_DC', fieldRef(`metadata.labels['${label.key}']`));
  }
  literal('NOMAD_GROUP_NAME', groupName);
  literal('NOMAD_JOB_ID', jobId);
  literal('NOMAD_JOB_NAME', job.Name ?? jobId);
  // The pods of a periodic job are its runs', whose parent it is (their own ID: see taskEnv's warning).
  const parentId = job.ParentID || (isPeriodicParent(job) ? jobId : '');
  if (parentId) literal('NOMAD_JOB_PARENT_ID', parentId);
  if ((resources.MemoryMB ?? 0) > 0) literal('NOMAD_MEMORY_LIMIT', String(resources.MemoryMB));
  if ((resources.MemoryMaxMB ?? 0) > 0) literal('NOMAD_MEMORY_MAX_LIMIT', String(resources.MemoryMaxMB));
  literal('NOMAD_NAMESPACE', job.Namespace ?? 'default');
  literal('NOMAD_REGION', job.Region ?? 'global');
  literal('NOMAD_SECRETS_DIR', SECRETS_DIR);
  literal('NOMAD_TASK_DIR', TASK_DIR);
  literal('NOMAD_TASK_NAME', task.Name ?? '');

  const tasks = ctx.group.Tasks ?? [];
  const others: Variable[] = [];
  for (const port of planPorts(ctx).ports) {
    const own = port.scope === 'group' || port.taskIndex === taskIndex;
    const prefix = own ? '' : `${tasks[port.taskIndex]?.Name ?? ''}_`;
    const suffix = `${prefix}${port.label}`;
    const ip = cleanEnvVar(`NOMAD_IP_${suffix}`);
    const target = own ? vars : others;
    target.push({ name: ip, env: { name: ip, ...fieldRef('status.podIP') } });
    const portName = cleanEnvVar(`NOMAD_PORT_${suffix}`);
    target.push({
      name: portName,
      literal: String(port.containerPort),
      env: { name: portName, value: String(port.containerPort) },
    });
    if (own) {
      const hostPort = String(port.hostPort ?? port.containerPort);
      const hostName = cleanEnvVar(`NOMAD_HOST_PORT_${suffix}`);
      target.push({ name: hostName, literal: hostPort, env: { name: hostName, value: hostPort } });
    }
    const addr = cleanEnvVar(`NOMAD_ADDR_${suffix}`);
    target.push({ name: addr, env: { name: addr, value: `$(${ip}):${port.containerPort}` } });
    if (own) target.push(...lessUsedPortVariables(ctx, task, port.label, port));
  }
  vars.push(...others);
  if (upstreams) {
    for (const upstream of groupUpstreams(ctx)) {
      for (const suffix of new Set([upstream.destination, cleanEnvVar(upstream.destination)])) {
        literal(`NOMAD_UPSTREAM_IP_${suffix}`, upstream.host);
        if (upstream.port === undefined) continue;
        literal(`NOMAD_UPSTREAM_PORT_${suffix}`, String(upstream.port));
        literal(`NOMAD_UPSTREAM_ADDR_${suffix}`, `${upstream.host}:${upstream.port}`);
      }
    }
  }
  return vars;
}

/** The text of what a task's environment can be read by: its env, driver config, templates, services, meta. */
const referenceText = new WeakMap<Task, string>();

/** Whether `name` appears, as a whole name, in what `task` interpolates or renders. */
function taskMentions(ctx: GroupContext, task: Task, name: string): boolean {
  let text = referenceText.get(task);
  if (text === undefined) {
    text = JSON.stringify([
      task.Env,
      task.Config,
      task.Templates,
      task.Services,
      ctx.group.Services,
      mergedMeta(ctx, task),
    ]);
    referenceText.set(task, text);
  }
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    // Not a prefix of a longer name (NOMAD_HOST_PORT_api in NOMAD_HOST_PORT_api2).
    if (!/[A-Za-z0-9_]/.test(text[at + name.length] ?? '')) return true;
  }
  return false;
}

/**
 * The port variables Nomad also sets, in the container only when its task refers to them (every
 * container gets NOMAD_IP/PORT/HOST_PORT/ADDR of its ports; these five more per port would make
 * every pod larger for the few jobs that read them):
 *   NOMAD_ALLOC_PORT_l                   the port inside the allocation's network: the container port
 *   NOMAD_ALLOC_IP_l, NOMAD_ALLOC_ADDR_l the allocation's own IP (bridge mode): the pod IP
 *   NOMAD_HOST_IP_l, NOMAD_HOST_ADDR_l   where the port is reached from other machines: the node's IP
 *                                        and host port of a static port; the pod IP and container port
 *                                        of the others, which no node forwards but every pod reaches
 * Named with the label as written: Nomad cleans the names of NOMAD_IP/PORT/HOST_PORT/ADDR only, so
 * label `grpc-web` gives NOMAD_PORT_grpc_web but NOMAD_HOST_ADDR_grpc-web (a valid Kubernetes name).
 */
function lessUsedPortVariables(
  ctx: GroupContext,
  task: Task,
  label: string,
  port: { containerPort: number; hostPort?: number },
): Variable[] {
  const out: Variable[] = [];
  const nameOf = (prefix: string) => {
    const name = prefix + label;
    return isEnvVarName(name) ? name : cleanEnvVar(name);
  };
  const mentioned = (prefix: string) => taskMentions(ctx, task, nameOf(prefix));
  if (mentioned('NOMAD_ALLOC_PORT_')) {
    const name = nameOf('NOMAD_ALLOC_PORT_');
    const value = String(port.containerPort);
    out.push({ name, literal: value, env: { name, value } });
  }
  const pairs = [
    ['NOMAD_ALLOC_IP_', 'NOMAD_ALLOC_ADDR_', 'status.podIP', port.containerPort],
    [
      'NOMAD_HOST_IP_',
      'NOMAD_HOST_ADDR_',
      port.hostPort !== undefined ? 'status.hostIP' : 'status.podIP',
      port.hostPort ?? port.containerPort,
    ],
  ] as const;
  for (const [ipPrefix, addrPrefix, fieldPath, number] of pairs) {
    const wantsAddr = mentioned(addrPrefix);
    if (!wantsAddr && !mentioned(ipPrefix)) continue;
    const ip = nameOf(ipPrefix);
    out.push({ name: ip, env: { name: ip, ...fieldRef(fieldPath) } });
    const addr = nameOf(addrPrefix);
    if (wantsAddr) out.push({ name: addr, env: { name: addr, value: `$(${ip}):${number}` } });
  }
  return out;
}

/** NOMAD_META_* variables (values raw; interpolated by the caller). */
function metaVariables(ctx: GroupContext, task: Task): { name: string; key: string; value: string }[] {
  const out: { name: string; key: string; value: string }[] = [];
  const meta = mergedMeta(ctx, task);
  if (ctx.job.Dispatched) {
    for (const key of [...(ctx.job.ParameterizedJob?.MetaOptional ?? [])].sort(compare)) {
      if (!(key in meta)) {
        for (const name of new Set([key.toUpperCase(), key]))
          out.push({ name: cleanEnvVar(`NOMAD_META_${name}`), key, value: '' });
      }
    }
  }
  for (const [key, value] of Object.entries(meta)) {
    for (const name of new Set([key.toUpperCase(), key]))
      out.push({ name: cleanEnvVar(`NOMAD_META_${name}`), key, value });
  }
  return out;
}

export interface InterpolateOptions {
  /** Nomad path the warnings name. Default: the task's `Config`. */
  path?: string;
  /**
   * The text goes into a field Kubernetes expands (`env[].value`, `command`, `args`): runtime values
   * become `$(NOMAD_…)` and literal `$` is escaped. Default true. With false, the result is plain text and
   * runtime values stay `${…}` with a warning.
   */
  kubernetes?: boolean;
  /**
   * Whether NOMAD_UPSTREAM_* resolve. Default true. Service names are interpolated without them
   * (networking.ts), as those variables are made from the Service names.
   */
  upstreams?: boolean;
  /**
   * Variables the task's env = true templates set (driver config only): Nomad interpolates the
   * driver config with the whole task environment, where they override the task's env. Their values
   * reach the container as env entries (storage.ts), so they resolve to `$(NAME)`.
   */
  templateVariables?: readonly string[];
  /** No warnings: the caller reports a result that still holds a reference itself. */
  quiet?: boolean;
}

/** How one `${name}` resolves. */
type Resolution =
  | { kind: 'literal'; value: string }
  | { kind: 'runtime'; variable: string }
  | { kind: 'expanded'; value: string } // already in Kubernetes form (user env with runtime parts)
  | { kind: 'keep'; warning?: string };

interface Scope {
  ctx: GroupContext;
  task: Task;
  /** Whether NOMAD_UPSTREAM_* are in it (see InterpolateOptions.upstreams). */
  upstreams: boolean;
  vars: Map<string, Variable>;
  meta: Map<string, string>;
  /** The task's env (raw values), when `${X}`/`${env.X}` may refer to it. */
  userEnv?: Record<string, string>;
}

function buildScope(
  ctx: GroupContext,
  task: Task,
  taskIndex: number,
  upstreams = true,
  templateVariables: readonly string[] = [],
): Scope {
  const vars = new Map<string, Variable>(NODE_PROPERTY_VARIABLES);
  for (const v of runtimeVariables(ctx, task, taskIndex, upstreams)) vars.set(v.name, v);
  // Raw (uncleaned) names of the cleaned port variables resolve too, as in Nomad's env values (the
  // others are named with the raw label already).
  for (const port of planPorts(ctx).ports) {
    const own = port.scope === 'group' || port.taskIndex === taskIndex;
    const prefix = own ? '' : `${ctx.group.Tasks?.[port.taskIndex]?.Name ?? ''}_`;
    for (const kind of CLEANED_PORT_KINDS) {
      const raw = `NOMAD_${kind}_${prefix}${port.label}`;
      const clean = vars.get(cleanEnvVar(raw));
      if (clean && !vars.has(raw)) vars.set(raw, clean);
    }
  }
  const meta = new Map<string, string>();
  for (const m of metaVariables(ctx, task)) {
    meta.set(m.name, m.value);
    meta.set(`NOMAD_META_${m.key}`, m.value);
  }
  // Set last in Nomad's environment: over the task's env, meta and Nomad's own variables.
  const userEnv = { ...task.Env };
  for (const name of templateVariables) {
    vars.set(name, { name, env: { name } });
    meta.delete(name);
    delete userEnv[name];
  }
  return { ctx, task, upstreams, vars, meta, userEnv };
}

function resolve(scope: Scope, name: string, kubernetes: boolean, depth: number): Resolution {
  const { ctx } = scope;
  if (name.startsWith('env.')) return resolve(scope, name.slice(4), kubernetes, depth);
  const variable = scope.vars.get(name);
  if (variable) {
    if (variable.literal !== undefined) return { kind: 'literal', value: variable.literal };
    return { kind: 'runtime', variable: variable.name };
  }
  const meta = scope.meta.get(name);
  if (meta !== undefined) {
    return {
      kind: 'literal',
      value: depth > 0 ? meta : interpolateText(scope, meta, false, depth + 1, () => {}),
    };
  }
  if (scope.userEnv && depth === 0 && Object.hasOwn(scope.userEnv, name)) {
    const raw = scope.userEnv[name] ?? '';
    const value = interpolateText(scope, raw, kubernetes, depth + 1, () => {});
    return kubernetes ? { kind: 'expanded', value } : { kind: 'literal', value };
  }
  if (name === 'node.region') return { kind: 'literal', value: ctx.job.Region ?? 'global' };
  if (name === 'node.datacenter') return resolve(scope, 'NOMAD_DC', kubernetes, depth);
  if (name === 'node.pool') {
    const pool = ctx.job.NodePool || 'default';
    if (pool !== 'all') return { kind: 'literal', value: pool };
  }
  // A node attribute placement pins the pods to one value of: that value (placement.ts).
  const pinned = /^(node|attr|meta)\./.test(name) ? pinnedNodeValue(ctx, name) : undefined;
  if (pinned) return { kind: 'literal', value: pinned.value };
  if (/^(node|attr|meta|device)\./.test(name)) {
    return {
      kind: 'keep',
      warning: `\${${name}} is a property of the Nomad client node, unknown when translating; left as is`,
    };
  }
  // Unset only when the job names several datacenters and none is mapped: said once per group (taskEnv).
  if (name === 'NOMAD_DC') return { kind: 'keep' };
  // The variables of a declared upstream resolved above, but for the port and address of one whose
  // port is unknown (said once, at the upstream: upstreamWarnings); otherwise it names no upstream
  // (Nomad leaves it unset too).
  const upstream = /^NOMAD_UPSTREAM_(?:IP|PORT|ADDR)_(.+)$/.exec(name)?.[1];
  if (upstream !== undefined && scope.upstreams) {
    const declared = groupUpstreams(ctx).some(
      (u) => u.destination === upstream || cleanEnvVar(u.destination) === upstream,
    );
    if (declared) return { kind: 'keep' };
    return {
      kind: 'keep',
      warning: `\${${name}} is not set: the group declares no Connect upstream ${JSON.stringify(upstream)} (Nomad would not set it either); left as is`,
    };
  }
  if (name.startsWith('NOMAD_')) return { kind: 'keep', warning: unsetNomadVariable(ctx, name) };
  return { kind: 'keep' };
}

/** The names Nomad sets for a task (client/taskenv's), without the per-port, meta and upstream ones. */
const NOMAD_VARIABLES = [
  'NOMAD_ALLOC_DIR',
  'NOMAD_TASK_DIR',
  'NOMAD_SECRETS_DIR',
  'NOMAD_MEMORY_LIMIT',
  'NOMAD_MEMORY_MAX_LIMIT',
  'NOMAD_CPU_LIMIT',
  'NOMAD_CPU_CORES',
  'NOMAD_ALLOC_ID',
  'NOMAD_SHORT_ALLOC_ID',
  'NOMAD_ALLOC_NAME',
  'NOMAD_ALLOC_INDEX',
  'NOMAD_TASK_NAME',
  'NOMAD_GROUP_NAME',
  'NOMAD_JOB_ID',
  'NOMAD_JOB_NAME',
  'NOMAD_JOB_PARENT_ID',
  'NOMAD_DC',
  'NOMAD_PARENT_CGROUP',
  'NOMAD_NAMESPACE',
  'NOMAD_REGION',
  'NOMAD_UNIX_ADDR',
  'NOMAD_TOKEN',
];

/**
 * Other per-name variables Nomad sets: workload identity tokens, per-label IPv4/IPv6 addresses and
 * interfaces, the Envoy addresses of Connect sidecars.
 */
const NOMAD_PREFIXES = /^NOMAD_(?:TOKEN_|IPv4_|IPv6_|ALLOC_INTERFACE_|ENVOY_(?:ADMIN|READY)_ADDR_)./;

/** Nomad's per-port variables (`NOMAD_<kind>_<label>`); only the first four kinds have cleaned names. */
const PORT_VARIABLE =
  /^NOMAD_(ADDR|IP|PORT|HOST_PORT|HOST_IP|HOST_ADDR|ALLOC_PORT|ALLOC_IP|ALLOC_ADDR)_(.+)$/;
const CLEANED_PORT_KINDS = new Set(['ADDR', 'IP', 'PORT', 'HOST_PORT']);

/**
 * Why a NOMAD_* name the task's environment does not hold stays as written: Nomad sets it and
 * Kubernetes has no equivalent, or Nomad would not set it either (an undeclared meta key or port
 * label, a name Nomad does not know: a misspelling, with the name it resembles).
 */
function unsetNomadVariable(ctx: GroupContext, name: string): string {
  const meta = /^NOMAD_META_(.+)$/.exec(name)?.[1];
  if (meta !== undefined) {
    return `\${${name}} is not set: the job, group and task declare no meta key ${JSON.stringify(meta)} (Nomad would not set it either); left as is`;
  }
  const [, kind = '', port] = PORT_VARIABLE.exec(name) ?? [];
  const labels = [...planPorts(ctx).byLabel.keys()];
  const names = (l: string) => l === port || (CLEANED_PORT_KINDS.has(kind) && cleanEnvVar(l) === port);
  if (port !== undefined && !labels.some(names)) {
    return `\${${name}} is not set: the group declares no port ${JSON.stringify(port)} (Nomad would not set it either); left as is`;
  }
  if (port !== undefined || NOMAD_VARIABLES.includes(name) || NOMAD_PREFIXES.test(name)) {
    return `\${${name}} is not available on Kubernetes; left as is`;
  }
  const words = (n: string) => n.split('_').sort().join('_');
  const like = NOMAD_VARIABLES.find((known) => words(known) === words(name));
  return `\${${name}} is not a variable Nomad sets (it would leave it as written too)${like ? `; did you mean ${like}?` : ''}`;
}

function interpolateText(
  scope: Scope,
  text: string,
  kubernetes: boolean,
  depth: number,
  warn: (message: string) => void,
): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    const whole = match[0];
    const start = match.index ?? 0;
    const before = text.slice(last, start);
    out += kubernetes ? escapeKubernetesExpansion(before) : before;
    last = start + whole.length;
    const r = resolve(scope, match[1] ?? '', kubernetes, depth);
    switch (r.kind) {
      case 'literal':
        out += kubernetes ? escapeKubernetesExpansion(r.value) : r.value;
        break;
      case 'expanded':
        out += r.value;
        break;
      case 'runtime':
        if (kubernetes) out += `$(${r.variable})`;
        else {
          warn(
            `${whole} is only known when the pod runs, and this field is not expanded by Kubernetes; left as is`,
          );
          out += whole;
        }
        break;
      case 'keep':
        if (r.warning) warn(r.warning);
        out += kubernetes ? escapeKubernetesExpansion(whole) : whole;
        break;
    }
  }
  const rest = text.slice(last);
  return out + (kubernetes ? escapeKubernetesExpansion(rest) : rest);
}

/**
 * Nomad's runtime interpolation of `text` (a driver config string, an arg, an env value) for `task`, see
 * the module comment. Unknown references are left as written; node-specific and unavailable ones are
 * also reported (at `options.path`, default the task's `Config`).
 */
export function interpolate(
  ctx: GroupContext,
  task: Task,
  text: string,
  options: InterpolateOptions = {},
): string {
  const taskIndex = taskIndexOf(ctx, task);
  const path = options.path ?? `${ctx.path}.Tasks[${taskIndex}].Config`;
  const scope = buildScope(ctx, task, taskIndex, options.upstreams ?? true, options.templateVariables);
  const warn = options.quiet ? () => {} : (message: string) => ctx.warn(path, message);
  return interpolateText(scope, text, options.kubernetes ?? true, 0, warn);
}

/**
 * The value variable `name` has in the container's environment of `task` when it is known when
 * translating (what `{{ env "name" }}` renders to in its templates): the task's env (interpolated),
 * then NOMAD_META_*, then the NOMAD_* variables, as `taskEnv` orders them. Undefined when only the
 * running pod knows it (pod UID, pod IP, node properties, a Deployment replica's index), when the
 * container does not get it, or when its value holds a reference only the runtime resolves.
 */
export function knownEnvValue(ctx: GroupContext, task: Task, name: string): string | undefined {
  const taskIndex = taskIndexOf(ctx, task);
  const scope = buildScope(ctx, task, taskIndex);
  let unknown = false;
  const plain = (text: string, depth: number) =>
    interpolateText(scope, text, false, depth, () => {
      unknown = true;
    });
  if (task.Env && Object.hasOwn(task.Env, name)) {
    const raw = task.Env[name] ?? '';
    if (!isEnvVarName(name) || NODE_FIELDS[raw.trim()] !== undefined) return undefined;
    const value = plain(raw, 0);
    // A reference left as written (nested, or unknown) may be one the runtime resolves: not rendered.
    return unknown || value.includes('${') ? undefined : value;
  }
  const meta = metaVariables(ctx, task).findLast((m) => m.name === name);
  if (meta) {
    const value = plain(meta.value, 1);
    return unknown || value.includes('${') ? undefined : value;
  }
  const variable = runtimeVariables(ctx, task, taskIndex).findLast((v) => v.name === name);
  if (variable) return variable.approximate ? undefined : variable.literal;
  // Templates read node attributes too (`env "attr.cpu.arch"`): known when placement pins them.
  return /^(node|attr|meta)\./.test(name) ? pinnedNodeValue(ctx, name)?.value : undefined;
}

/**
 * The references in `text` (`${NOMAD_ALLOC_INDEX}`, as written) that `interpolate` resolves to an
 * approximation: the index and name of a Deployment replica, 0 in every pod. Direct references only.
 */
export function approximateReferences(ctx: GroupContext, task: Task, text: string): string[] {
  const scope = buildScope(ctx, task, taskIndexOf(ctx, task));
  const found: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const name = (match[1] ?? '').replace(/^env\./, '');
    if (scope.vars.get(name)?.approximate) found.push(match[0]);
  }
  return found;
}

/**
 * Whether the container of `task` has variable `name` in its env, whatever its value (the task's
 * env, meta, Nomad's variables); not the variables of env = true templates.
 */
export function containerHasEnv(ctx: GroupContext, task: Task, name: string): boolean {
  if (task.Env && Object.hasOwn(task.Env, name) && isEnvVarName(name)) return true;
  if (metaVariables(ctx, task).some((m) => m.name === name)) return true;
  return runtimeVariables(ctx, task, taskIndexOf(ctx, task)).some((v) => v.name === name);
}

/** The container env of a task (see the module comment). Deterministic order. */
export const taskEnv: TaskEnv = (ctx, task, taskIndex) => {
  const taskPath = `${ctx.path}.Tasks[${taskIndex}]`;
  const scope = buildScope(ctx, task, taskIndex);
  const env = new Map<string, V1EnvVar>();
  const put = (entry: V1EnvVar) => {
    env.delete(entry.name);
    env.set(entry.name, entry);
  };
  for (const v of runtimeVariables(ctx, task, taskIndex)) put(v.env);

  for (const m of metaVariables(ctx, task)) {
    const value = interpolateText(scope, m.value, true, 1, (message) =>
      ctx.warn(`${taskPath}.Meta.${m.key}`, message),
    );
    put({ name: m.name, value });
  }

  for (const [name, raw] of sortedEntries(task.Env)) {
    const path = `${taskPath}.Env.${name}`;
    if (!isEnvVarName(name)) {
      ctx.warn(
        path,
        `${JSON.stringify(name)} is not a valid environment variable name on Kubernetes; not set`,
      );
      continue;
    }
    const field = NODE_FIELDS[raw.trim()];
    if (field) {
      put({ name, ...fieldRef(field) });
      continue;
    }
    put({ name, value: interpolateText(scope, raw, true, 0, (message) => ctx.warn(path, message)) });
  }

  if (taskIndex === 0) upstreamWarnings(ctx);
  hostAddressWarning(ctx, task, taskIndex);
  if (
    taskIndex === 0 &&
    isPeriodicParent(ctx.job) &&
    usesVariable(ctx, 'NOMAD_JOB_ID', 'NOMAD_JOB_NAME', 'NOMAD_ALLOC_NAME')
  ) {
    const id = ctx.job.ID ?? '';
    ctx.warn(
      ctx.path,
      `NOMAD_JOB_ID, NOMAD_JOB_NAME and NOMAD_ALLOC_NAME of a periodic run are the periodic job's (${JSON.stringify(id)}), not the run's own ${JSON.stringify(`${id}/periodic-<launch time>`)} as in Nomad: the launch time cannot be put into a CronJob's pods; tell runs apart by NOMAD_ALLOC_ID (the pod's UID) or the pod label batch.kubernetes.io/job-name`,
    );
  }
  const count = ctx.group.Count ?? 1;
  if (
    taskIndex === 0 &&
    (ctx.job.Type ?? 'service') === 'service' &&
    count > 1 &&
    usesVariable(ctx, 'NOMAD_ALLOC_INDEX', 'NOMAD_ALLOC_NAME')
  ) {
    ctx.warn(
      `${ctx.path}.Count`,
      'NOMAD_ALLOC_INDEX and NOMAD_ALLOC_NAME are approximated: Deployment replicas have no index, every pod gets index 0',
    );
  }
  if (
    taskIndex === 0 &&
    singleDatacenter(ctx) === undefined &&
    usesVariable(ctx, 'NOMAD_DC', 'node.datacenter')
  ) {
    const label = nodeLabelForName(ctx.options, 'node.datacenter');
    const datacenters = [...new Set(ctx.job.Datacenters ?? [])];
    const which =
      datacenters.length === 1
        ? `the job's datacenter ${JSON.stringify(datacenters[0])} is a pattern, not one datacenter`
        : `the job has several datacenters (${datacenters.map((d) => JSON.stringify(d)).join(', ')})`;
    ctx.warn(
      `${ctx.path}`,
      label.ok
        ? `NOMAD_DC is read from the pod label ${label.key}, which Kubernetes sets only with PodTopologyLabelsAdmission (empty otherwise)`
        : `NOMAD_DC is not set (nor \${node.datacenter}, left as written): ${which}, and no node label is mapped to \${node.datacenter}; map one with --datacenter-label <node label> (env NOMAD_OPERATOR_DATACENTER_LABEL, Helm value translator.datacenterLabel), e.g. topology.kubernetes.io/zone`,
    );
  }
  return [...env.values()];
};

/**
 * The node's IP (`${attr.unique.network.ip-address}`) with NOMAD_HOST_PORT_l is how Nomad tasks
 * advertise themselves; here only static ports are forwarded from the node (hostPort), so that address
 * of another port reaches nothing: said once per task, with the variables that do reach it.
 */
function hostAddressWarning(ctx: GroupContext, task: Task, taskIndex: number): void {
  // As `${attr.unique.network.ip-address}` or, in a template, `env "attr.unique.network.ip-address"`.
  if (!taskMentions(ctx, task, 'attr.unique.network.ip-address')) return;
  // On the node's network (docker network_mode "host" of a task: the whole pod's), the pod's IP is it.
  if ((ctx.group.Tasks ?? []).some((t) => t.Config?.network_mode === 'host')) return;
  const unforwarded = planPorts(ctx)
    .ports.filter((p) => (p.scope === 'group' || p.taskIndex === taskIndex) && p.hostPort === undefined)
    .map((p) => p.label)
    .filter(
      (label) =>
        taskMentions(ctx, task, `NOMAD_HOST_PORT_${label}`) ||
        taskMentions(ctx, task, cleanEnvVar(`NOMAD_HOST_PORT_${label}`)),
    );
  if (unforwarded.length === 0) return;
  const ports = `${unforwarded.length > 1 ? 'ports' : 'port'} ${unforwarded.map((l) => JSON.stringify(l)).join(', ')} ${unforwarded.length > 1 ? 'are' : 'is'}`;
  // NOMAD_HOST_PORT_ names are cleaned, NOMAD_HOST_ADDR_ and NOMAD_HOST_IP_ keep the label (Nomad's).
  const first = unforwarded[0] ?? '';
  ctx.warn(
    `${ctx.path}.Tasks[${taskIndex}]`,
    `\${attr.unique.network.ip-address} is the node's IP, and ${ports} not forwarded from the node (only static ports get a hostPort): an address made of the two reaches nothing; advertise NOMAD_HOST_ADDR_${first} (or NOMAD_HOST_IP_${first} with ${cleanEnvVar(`NOMAD_HOST_PORT_${first}`)}), which is the pod's IP and port here, reachable from every pod`,
  );
}

/** What NOMAD_UPSTREAM_* cannot say like Nomad: reported once per upstream. */
function upstreamWarnings(ctx: GroupContext): void {
  for (const upstream of groupUpstreams(ctx)) {
    const name = JSON.stringify(upstream.destination);
    if (upstream.port === undefined) {
      ctx.warn(
        `${upstream.path}.DestinationName`,
        `upstream ${name} ${upstream.known ? 'has no port in this job' : 'is not a service of this job'}: NOMAD_UPSTREAM_IP_${upstream.destination} is its Service's DNS name ${upstream.host}, NOMAD_UPSTREAM_PORT_${upstream.destination} and NOMAD_UPSTREAM_ADDR_${upstream.destination} are not set (the port is unknown when translating); set them in the task's env${upstream.localBindPort > 0 ? `, and connect to ${upstream.host}:<its port> where the task connects to 127.0.0.1:${upstream.localBindPort} (no local proxy listens there)` : ''}`,
      );
    } else if (upstream.localBindPort > 0) {
      ctx.warn(
        `${upstream.path}.LocalBindPort`,
        `upstream ${name} has no local proxy on port ${upstream.localBindPort}: NOMAD_UPSTREAM_ADDR_${upstream.destination} is ${upstream.host}:${upstream.port}; tasks that connect to 127.0.0.1:${upstream.localBindPort} must use it instead`,
      );
    }
  }
}
