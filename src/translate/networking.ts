// Networking: Nomad ports → container ports, service blocks → Services, checks → probes.
//
// ## Ports
// Every port label of the group's `network` block (and of a task's legacy `resources.network`) becomes one
// container port on exactly one container, named after the label:
//   * static (`static = 80`, ReservedPorts)  → hostPort 80, containerPort `to` if set, else 80, for
//                                              TCP and UDP (an unnamed second entry), as Nomad
//                                              publishes every port for both;
//   * dynamic with `to`                      → containerPort `to` (no hostPort: Kubernetes gives every
//                                              pod its own IP, so there is nothing to allocate);
//   * dynamic without `to`                   → the docker `port_map` entry of the owning task if any,
//                                              else a deterministic port in Nomad's dynamic range
//                                              20000–32000 derived from SHA-256 of the label (the next
//                                              free port on a clash within the group). The task learns
//                                              it from NOMAD_PORT_<label>, exactly as with Nomad.
// The owning container is the first task whose driver config lists the port (`ports = ["http"]` or a
// `port_map` entry), else the first task with a service or check on it, else the first main (non
// lifecycle) task. All tasks share the pod's network namespace, so ownership only decides where the
// port is declared (and which container a probe on it belongs to).
// Network modes: Nomad's default `host` (every allocation gets ports on the node's address) and `bridge`
// (the allocation's own network namespace) both become the pod network — a pod has its own IP, so the
// same container ports serve either, and static ports are hostPorts in both; docker `network_mode =
// "host"` is what sets hostNetwork (drivers.ts). Host mode matters where a pod differs: there, each
// docker task has its own network namespace, while a pod's containers share one, so two tasks on the
// same container port are reported. Other modes (`none`, `cni/*`) are reported. A task network's mode
// only makes Nomad check that the driver supports it: the group network decides the namespace.
// Docker `port_map` maps only a task's legacy network ports; for a group network port Nomad ignores it
// (with `ports`) or refuses the task (without): such an entry is reported, with the port it gets.
// Port names must be IANA_SVC_NAMEs (at most 15 of `a-z0-9-`, a letter, no `--`): a label that is not one
// is lower-cased and sanitized, or becomes `<stem>-<5 hash chars>` when that is still invalid or taken;
// either way a warning names the new name.
//
// ## Services
// One ClusterIP Service per Nomad service name, shared by every group and every job of the namespace that
// registers the name, so consumers find it under the name they look up (`db` → `db.<namespace>.svc`):
//   * name: the service name after Nomad's runtime interpolation (`${NOMAD_JOB_NAME}-web` → `shop-web`),
//     lower-cased (DNS ignores case). A name that is still no DNS-1035 label (a leading digit, `_`, a
//     value only known at run time) becomes `<stem>-<8 hash chars>`, reported with the name to use.
//   * selection: the pods of every registering group carry `service.nomadoperator.dev/<Service>: "true"`
//     (`servicePodLabels`) and the Service selects that label (and the managed-by label), whichever job
//     the pods belong to.
//   * ports by label: one Service port per port label the registrations use, port = the static port
//     (what Nomad registers and consumers use) or else the container port of the first registration's
//     group, targetPort = the container port's name, so a group that maps the label to another container
//     port is still reached (a literal `port = "8080"` stays a number). Each port is followed by its
//     UDP twin `<name>-udp` (targetPort: the container port's number), as Nomad publishes every port
//     for both protocols. A group without a port the Service targets is reported: its pods get none
//     of that port's traffic.
//   * readiness: a Service routes to ready pods only, and a pod's readiness comes from every check of
//     its services (below); Consul counts an instance without checks as passing. So a Service none of
//     whose registrations has checks, in front of pods whose readiness comes from another service's
//     check, publishes not-ready addresses (`publishNotReadyAddresses: true`): peers that find each
//     other through it (seed hosts, gossip) do so before any of them is healthy, as in Nomad. A Service
//     with a checked registration says false (a registration without one there is reported); one in
//     front of pods without probes says nothing, as it would only keep terminating pods in it;
//   * no job identity: labels are managed-by and `nomadoperator.dev/service` only; the reconciler makes
//     each declaring NomadJob a (non-controller) owner and applies with one field manager per job, so
//     the Service lives as long as one job declares it (src/controller/shared-services.ts).
// Tags, meta and the exact name are kept as annotations. A service without a port becomes a headless
// Service without ports. Services are not registered in Consul (provider "consul" is reported), Connect
// is not applicable (upstreams: env.ts NOMAD_UPSTREAM_*). Router tags become an Ingress (router-tags.ts).
// Template lookups of these services are rewritten by service-lookups.ts.
//
// ## Checks
// A check becomes the readiness probe of the container it belongs to (task services: their task; group
// services: the check's `task`, else the service's `task` — a check inherits it, as in Nomad — else the
// owner of the checked port): http → httpGet (path, port, headers,
// https scheme), tcp → tcpSocket, grpc → grpc, script → exec (command + args). interval/timeout →
// periodSeconds/timeoutSeconds (rounded up, at least 1), success_before_passing → successThreshold,
// failures_before_critical → failureThreshold (Nomad marks a check critical on the first failure by
// default, so the default is 1). `check_restart` → a liveness probe with the same handler, failureThreshold
// = limit and initialDelaySeconds = grace. A container has one probe of each kind: later checks are
// reported as not translated, with what that means for their Service: it routes to every pod the
// readiness probe passes, where Consul would route only to the instances passing that check (a role
// service such as a primary, whose check passes on one instance).
import { createHash } from 'node:crypto';
import type {
  KubernetesObject,
  V1ContainerPort,
  V1Probe,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node';
import { hashToken, isDns1035Label, LABEL_MAX_LENGTH } from '../nomad/ids.ts';
import { defineOwn, keyedBy } from '../nomad/keyed.ts';
import {
  ANNOTATION_SERVICE_META,
  ANNOTATION_SERVICE_NAME,
  ANNOTATION_SERVICE_TAGS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY,
  SERVICE_LABEL_PREFIX,
} from '../nomad/keys.ts';
import type { NetworkResource, Port, Service, ServiceCheck, Task } from '../nomad/schema.ts';
import { interpolate, knownEnvValue } from './env.ts';
import { routerIngress } from './router-tags.ts';
import { renderKnownEnv } from './template-render.ts';
import type { CatalogService, GroupContext, TaskNetworking, Warning } from './types.ts';

/** Value of the pod label a Service selects (`SERVICE_LABEL_PREFIX` + its name, keys.ts). */
export const SERVICE_LABEL_VALUE = 'true';

/** Nomad's default dynamic port range, where ports without `to` are placed. */
export const DYNAMIC_PORT_MIN = 20000;
export const DYNAMIC_PORT_MAX = 32000;

const NS_PER_SECOND = 1_000_000_000;

/** One Nomad port label and where it lives in the pod. */
export interface PlannedPort {
  /** The Nomad label, exactly. */
  label: string;
  /** Container and Service port name (IANA_SVC_NAME). */
  name: string;
  containerPort: number;
  /** Where the container port comes from: `to`, the docker port_map, the static value, or a hash. */
  containerPortFrom: 'to' | 'port_map' | 'static' | 'hashed';
  /** Set for static (reserved) ports. */
  hostPort?: number;
  /** Index of the task whose container declares the port; -1 when the group has no tasks. */
  taskIndex: number;
  /** `group` for the group network, `task` for a task's own `resources.network`. */
  scope: 'group' | 'task';
  /** Nomad path of the port, e.g. `TaskGroups[0].Networks[0].DynamicPorts[1]`. */
  path: string;
}

/** A warning that belongs to one task (so it is reported once, by that task's translation). */
interface OwnedWarning extends Warning {
  taskIndex: number;
}

/** Every port of a group, in Nomad order (group network, then each task's network). */
export interface PortPlan {
  ports: PlannedPort[];
  byLabel: Map<string, PlannedPort>;
  warnings: OwnedWarning[];
}

// ---------------------------------------------------------------------------------------------------
// Ports

const IANA_SVC_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Kubernetes' IANA_SVC_NAME rule for port names. */
export function isIanaSvcName(value: string): boolean {
  return value.length <= 15 && IANA_SVC_NAME.test(value) && /[a-z]/.test(value) && !value.includes('--');
}

function sanitizePortName(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function hashedPortName(label: string): string {
  let stem = sanitizePortName(label);
  if (!/[a-z]/.test(stem)) stem = `p${stem}`;
  stem = stem.slice(0, 9).replace(/-+$/, '');
  return `${stem}-${hashToken(label).slice(0, 5)}`;
}

/** Deterministic port in [DYNAMIC_PORT_MIN, DYNAMIC_PORT_MAX] for a label. */
function hashedPort(label: string): number {
  const digest = createHash('sha256').update(label, 'utf8').digest();
  return DYNAMIC_PORT_MIN + (digest.readUInt32BE(0) % (DYNAMIC_PORT_MAX - DYNAMIC_PORT_MIN + 1));
}

/** The string list `ports = [...]` of a driver config, if any. */
function configPorts(task: Task): string[] {
  const ports = task.Config?.ports;
  return Array.isArray(ports) ? ports.filter((p): p is string => typeof p === 'string') : [];
}

/** Docker's legacy `port_map`: `{ label = port }` (JSON: an object, or a list of objects). */
function configPortMap(task: Task): Map<string, number> {
  const out = new Map<string, number>();
  const raw = task.Config?.port_map;
  const entries = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    for (const [label, value] of Object.entries(entry)) {
      const port = typeof value === 'string' ? Number(value) : value;
      if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) {
        if (!out.has(label)) out.set(label, port);
      }
    }
  }
  return out;
}

function isMainTask(task: Task): boolean {
  return !task.Lifecycle?.Hook;
}

/** Port labels a task's services and checks refer to. */
function serviceLabels(task: Task): Set<string> {
  const labels = new Set<string>();
  for (const service of task.Services ?? []) {
    if (service.PortLabel) labels.add(service.PortLabel);
    for (const check of service.Checks ?? []) if (check.PortLabel) labels.add(check.PortLabel);
  }
  return labels;
}

/** The task index that declares a group port: see the module comment. */
function groupPortOwner(tasks: Task[], label: string): number {
  const byConfig = tasks.findIndex((t) => configPorts(t).includes(label) || configPortMap(t).has(label));
  if (byConfig >= 0) return byConfig;
  const byService = tasks.findIndex((t) => serviceLabels(t).has(label));
  if (byService >= 0) return byService;
  const main = tasks.findIndex(isMainTask);
  if (main >= 0) return main;
  return tasks.length > 0 ? 0 : -1;
}

function networkPorts(
  network: NetworkResource,
  path: string,
): { port: Port; path: string; static: boolean }[] {
  return [
    ...(network.ReservedPorts ?? []).map((port, i) => ({
      port,
      path: `${path}.ReservedPorts[${i}]`,
      static: true,
    })),
    ...(network.DynamicPorts ?? []).map((port, i) => ({
      port,
      path: `${path}.DynamicPorts[${i}]`,
      static: false,
    })),
  ];
}

/**
 * Every port of the group with its container, container port, host port and name. Pure; the warnings are
 * returned, not reported (each belongs to the task that owns the port, see `taskNetworking`).
 */
export function planPorts(ctx: GroupContext): PortPlan {
  const tasks = ctx.group.Tasks ?? [];
  const warnings: OwnedWarning[] = [];
  const candidates: {
    port: Port;
    path: string;
    static: boolean;
    taskIndex: number;
    scope: 'group' | 'task';
  }[] = [];

  (ctx.group.Networks ?? []).forEach((network, n) => {
    const path = `${ctx.path}.Networks[${n}]`;
    const ports = networkPorts(network, path);
    const mainTask = tasks.findIndex(isMainTask);
    const owner = mainTask >= 0 ? mainTask : tasks.length > 0 ? 0 : -1;
    const mode = network.Mode ?? '';
    if (mode !== '' && mode !== 'host' && mode !== 'bridge') {
      warnings.push({
        taskIndex: owner,
        path: `${path}.Mode`,
        message: `network mode ${JSON.stringify(mode)} is not applicable: pods use the cluster's pod network`,
      });
    }
    for (const p of ports) {
      candidates.push({ ...p, taskIndex: groupPortOwner(tasks, p.port.Label ?? ''), scope: 'group' });
    }
  });
  tasks.forEach((task, t) => {
    (task.Resources?.Networks ?? []).forEach((network, n) => {
      const path = `${ctx.path}.Tasks[${t}].Resources.Networks[${n}]`;
      for (const p of networkPorts(network, path)) candidates.push({ ...p, taskIndex: t, scope: 'task' });
    });
  });

  // Labels first come, first served; explicit container ports before hashed ones.
  const accepted: typeof candidates = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    const label = c.port.Label ?? '';
    if (label === '') {
      warnings.push({
        taskIndex: c.taskIndex,
        path: `${c.path}.Label`,
        message: 'port without a label is ignored',
      });
      continue;
    }
    if (seen.has(label)) {
      warnings.push({
        taskIndex: c.taskIndex,
        path: `${c.path}.Label`,
        message: `port label ${JSON.stringify(label)} is declared twice; this one is ignored`,
      });
      continue;
    }
    seen.add(label);
    accepted.push(c);
  }

  const used = new Set<number>();
  const containerPorts = new Map<number, number>();
  const containerPortFrom = new Map<number, PlannedPort['containerPortFrom']>();
  accepted.forEach((c, i) => {
    const to = c.port.To ?? 0;
    const value = c.port.Value ?? 0;
    const portMap = c.taskIndex >= 0 ? configPortMap(tasks[c.taskIndex] ?? {}) : new Map<string, number>();
    let port: number | undefined;
    let from: PlannedPort['containerPortFrom'] = 'hashed';
    if (isValidPort(to)) [port, from] = [to, 'to'];
    else if (isValidPort(portMap.get(c.port.Label ?? ''))) {
      [port, from] = [portMap.get(c.port.Label ?? ''), 'port_map'];
    } else if (c.static && isValidPort(value)) [port, from] = [value, 'static'];
    // `to = -1` maps the port to the same number inside as outside, which the planned port is.
    if (to !== 0 && to !== -1 && !isValidPort(to)) {
      warnings.push({
        taskIndex: c.taskIndex,
        path: `${c.path}.To`,
        message: `port ${to} is not a valid port number (1-65535); another container port is used`,
      });
    }
    if (port !== undefined) {
      containerPorts.set(i, port);
      containerPortFrom.set(i, from);
      used.add(port);
    }
  });
  accepted.forEach((c, i) => {
    if (containerPorts.has(i)) return;
    let port = hashedPort(c.port.Label ?? '');
    while (used.has(port)) port = port >= DYNAMIC_PORT_MAX ? DYNAMIC_PORT_MIN : port + 1;
    used.add(port);
    containerPorts.set(i, port);
  });

  // Names: valid labels keep their name; the others get a sanitized or hashed one.
  const names = new Map<number, string>();
  const taken = new Set<string>();
  accepted.forEach((c, i) => {
    const label = c.port.Label ?? '';
    if (isIanaSvcName(label) && !taken.has(label)) {
      names.set(i, label);
      taken.add(label);
    }
  });
  accepted.forEach((c, i) => {
    if (names.has(i)) return;
    const label = c.port.Label ?? '';
    const sanitized = sanitizePortName(label);
    let name = isIanaSvcName(sanitized) && !taken.has(sanitized) ? sanitized : hashedPortName(label);
    while (taken.has(name)) name = hashedPortName(`${label}\u0000${name}`);
    names.set(i, name);
    taken.add(name);
    warnings.push({
      taskIndex: c.taskIndex,
      path: `${c.path}.Label`,
      message: `port label ${JSON.stringify(label)} is not a valid Kubernetes port name (IANA_SVC_NAME: at most 15 of a-z, 0-9 and "-", with a letter); it is named ${JSON.stringify(name)}`,
    });
  });

  const ports: PlannedPort[] = accepted.map((c, i) => {
    const planned: PlannedPort = {
      label: c.port.Label ?? '',
      name: names.get(i) ?? '',
      containerPort: containerPorts.get(i) ?? 0,
      containerPortFrom: containerPortFrom.get(i) ?? 'hashed',
      taskIndex: c.taskIndex,
      scope: c.scope,
      path: c.path,
    };
    const value = c.port.Value ?? 0;
    if (c.static && isValidPort(value)) planned.hostPort = value;
    if (c.static && !isValidPort(value)) {
      warnings.push({
        taskIndex: c.taskIndex,
        path: `${c.path}.Value`,
        message: `static port ${value} is not a valid port; no host port is reserved`,
      });
    }
    const hostNetwork = c.port.HostNetwork ?? '';
    if (hostNetwork !== '' && hostNetwork !== 'default') {
      warnings.push({
        taskIndex: c.taskIndex,
        path: `${c.path}.HostNetwork`,
        // Nomad binds a static port on that network's address only, and names it in NOMAD_HOST_IP_<l>;
        // the downward API knows the node's primary address only.
        message: `host network ${JSON.stringify(hostNetwork)} is not applicable: ${c.static ? `the host port is bound on all node addresses, and NOMAD_HOST_IP_${planned.label} is the node's primary address (status.hostIP), not its address on that network` : 'the port is on the pod IP'}`,
      });
    }
    return planned;
  });
  const byLabel = new Map(ports.map((p) => [p.label, p]));
  warnings.push(...portMapWarnings(ctx, byLabel), ...sharedPortWarnings(ctx, ports));
  return { ports, byLabel, warnings };
}

const PORT_MAP_REFUSED = `Nomad refuses the task: "'port_map' cannot map group network ports, use 'ports' instead"`;

/**
 * Docker `port_map` entries that do not do in Nomad what they do here: see the module comment. Nomad's
 * docker driver uses port_map only for a task's legacy network (when the config lists no `ports`), and
 * refuses a task with port_map, no `ports` and no task network.
 */
function portMapWarnings(ctx: GroupContext, byLabel: Map<string, PlannedPort>): OwnedWarning[] {
  const warnings: OwnedWarning[] = [];
  (ctx.group.Tasks ?? []).forEach((task, t) => {
    if (task.Driver !== 'docker') return;
    const portMap = configPortMap(task);
    if (portMap.size === 0) return;
    const refused = configPorts(task).length === 0 && (task.Resources?.Networks?.length ?? 0) === 0;
    const path = `${ctx.path}.Tasks[${t}].Config.port_map`;
    for (const [label, mapped] of portMap) {
      const found = byLabel.get(label);
      if (found?.scope === 'task' && found.taskIndex === t) continue;
      // Another task's legacy port is no more this task's than an unknown label.
      const planned = found?.scope === 'group' ? found : undefined;
      const variable = `NOMAD_PORT_${label}`;
      if (!planned) {
        warnings.push({
          taskIndex: t,
          path,
          message: `port_map entry ${JSON.stringify(label)} names no port of a network block and is ignored (${refused ? PORT_MAP_REFUSED : `Nomad only sets ${variable}=${mapped} from it; set that in env if the task reads it`})`,
        });
        continue;
      }
      if (!refused && planned.containerPortFrom === 'to' && planned.containerPort === mapped) continue;
      const source = {
        to: 'its `to`',
        port_map: 'from port_map, as it has no `to`',
        static: 'its static port',
        hashed: 'a port of Nomad’s dynamic range',
      }[planned.containerPortFrom];
      warnings.push({
        taskIndex: t,
        path,
        message: `port_map does not map group network ports (${refused ? PORT_MAP_REFUSED : `Nomad ignores it, yet sets ${variable}=${mapped}`}): port ${JSON.stringify(label)} is container port ${planned.containerPort} (${source}) and ${variable} is ${planned.containerPort}; set \`to\` in the network block${refused ? ', list the port in `ports`' : ''} and remove port_map`,
      });
    }
  });
  return warnings;
}

/**
 * In Nomad's host mode (the default) each docker task has its own network namespace, so two tasks may
 * listen on the same port; a pod's containers share one, where only the first can bind it.
 */
function sharedPortWarnings(ctx: GroupContext, ports: PlannedPort[]): OwnedWarning[] {
  const mode = ctx.group.Networks?.[0]?.Mode ?? '';
  if (mode !== '' && mode !== 'host') return [];
  const tasks = ctx.group.Tasks ?? [];
  const warnings: OwnedWarning[] = [];
  const first = new Map<number, PlannedPort>();
  for (const port of ports) {
    const other = first.get(port.containerPort);
    if (!other) {
      first.set(port.containerPort, port);
      continue;
    }
    if (port.taskIndex < 0 || other.taskIndex < 0 || port.taskIndex === other.taskIndex) continue;
    const mine = tasks[port.taskIndex];
    const theirs = tasks[other.taskIndex];
    if (mine?.Driver !== 'docker' && theirs?.Driver !== 'docker') continue;
    warnings.push({
      taskIndex: port.taskIndex,
      path: port.path,
      message: `port ${JSON.stringify(port.label)} of task ${JSON.stringify(mine?.Name ?? '')} and port ${JSON.stringify(other.label)} of task ${JSON.stringify(theirs?.Name ?? '')} are both container port ${port.containerPort}: in Nomad's host network mode each docker task has its own network namespace, but the containers of a pod share one, so only one of them can listen on it; give one port another \`to\` (and the task its new port)`,
    });
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------------
// Checks → probes

/** Nomad duration (ns) → whole seconds, rounded up, at least 1; undefined when unset. */
function seconds(ns: number | undefined): number | undefined {
  if (ns === undefined || ns <= 0) return undefined;
  return Math.max(1, Math.ceil(ns / NS_PER_SECOND));
}

interface CheckRef {
  check: ServiceCheck;
  service: Service;
  path: string;
  /** The task the check belongs to, -1 when none. */
  taskIndex: number;
}

/** A port label or a literal port number, resolved against the plan. */
function resolvePort(plan: PortPlan, labelOrNumber: string): number | undefined {
  const planned = plan.byLabel.get(labelOrNumber);
  if (planned) return planned.containerPort;
  if (/^\d+$/.test(labelOrNumber)) {
    const port = Number(labelOrNumber);
    if (port > 0 && port < 65536) return port;
  }
  return undefined;
}

/** Every check of the group with the task it belongs to, in Nomad order (group services first). */
function groupChecks(ctx: GroupContext, plan: PortPlan): CheckRef[] {
  const tasks = ctx.group.Tasks ?? [];
  const refs: CheckRef[] = [];
  const mainTask = tasks.findIndex(isMainTask);
  (ctx.group.Services ?? []).forEach((service, s) => {
    (service.Checks ?? []).forEach((check, c) => {
      let taskIndex = -1;
      // As in Nomad, a group check without its own `task` belongs to its service's `task`.
      const taskName = check.TaskName || service.TaskName;
      if (taskName) taskIndex = tasks.findIndex((t) => t.Name === taskName);
      if (taskIndex < 0) {
        const planned = plan.byLabel.get(check.PortLabel || service.PortLabel || '');
        taskIndex = planned ? planned.taskIndex : mainTask >= 0 ? mainTask : tasks.length > 0 ? 0 : -1;
      }
      refs.push({ check, service, path: `${ctx.path}.Services[${s}].Checks[${c}]`, taskIndex });
    });
  });
  tasks.forEach((task, t) => {
    (task.Services ?? []).forEach((service, s) => {
      (service.Checks ?? []).forEach((check, c) => {
        refs.push({
          check,
          service,
          path: `${ctx.path}.Tasks[${t}].Services[${s}].Checks[${c}]`,
          taskIndex: t,
        });
      });
    });
  });
  return refs;
}

/** Whether Nomad exposes the check through the Connect proxy: `expose = true` on an http or grpc check with a path. */
function isExposed(check: ServiceCheck): boolean {
  const type = (check.Type ?? '').toLowerCase();
  return check.Expose === true && (type === 'http' || type === 'grpc') && (check.Path ?? '').startsWith('/');
}

/**
 * The port an explicit Connect expose path forwards a check to: a check whose `port` is the
 * `listener_port` of one of the service's `expose { path { … } }` blocks reaches the task on that
 * path's `local_path_port` through the proxy. Without the proxy, the kubelet probes that port.
 */
function exposedPathPort(check: ServiceCheck, service: Service): number | undefined {
  const label = check.PortLabel ?? '';
  if (label === '') return undefined;
  const proxy = service.Connect?.SidecarService?.Proxy;
  const paths = [proxy?.Expose, proxy?.ExposeConfig].flatMap((e) => [
    ...(e?.Paths ?? []),
    ...(e?.Path ?? []),
  ]);
  // Only the path the check asks for: the proxy exposes nothing else on that listener.
  const match = paths.find(
    (p) => p.ListenerPort === label && p.Path === check.Path && (p.LocalPathPort ?? 0) > 0,
  );
  return match?.LocalPathPort;
}

type Handler = Pick<V1Probe, 'httpGet' | 'tcpSocket' | 'grpc' | 'exec'>;

/** The probe handler of a check; undefined (with the warnings) when it cannot be probed. */
function probeHandler(
  ref: CheckRef,
  plan: PortPlan,
  warn: (path: string, message: string) => void,
): Handler | undefined {
  const { check, service, path } = ref;
  const type = (check.Type ?? '').toLowerCase();
  // An exposed check's port is the Connect proxy's listener, which forwards the check to the
  // service's own port: without the proxy, the kubelet probes that port.
  const portLabel = (isExposed(check) ? service.PortLabel : check.PortLabel || service.PortLabel) || '';
  const exposedPort = exposedPathPort(check, service);
  const port = (): number | undefined => {
    if (exposedPort !== undefined) return exposedPort;
    const resolved = resolvePort(plan, portLabel);
    if (resolved === undefined) {
      warn(
        `${path}.PortLabel`,
        portLabel === ''
          ? `${type} check without a port is not translated`
          : `${type} check on unknown port ${JSON.stringify(portLabel)} is not translated`,
      );
    }
    return resolved;
  };
  switch (type) {
    case 'http': {
      const p = port();
      if (p === undefined) return undefined;
      const method = (check.Method ?? '').toUpperCase();
      if (method !== '' && method !== 'GET') {
        warn(`${path}.Method`, `Kubernetes probes only send GET; the ${method} of this check is not kept`);
      }
      if (check.Body) warn(`${path}.Body`, 'Kubernetes probes send no request body; the body is not kept');
      if (check.TLSServerName) {
        warn(`${path}.TLSServerName`, 'Kubernetes probes do not set a TLS server name; not kept');
      }
      const headers = Object.keys(check.Header ?? {})
        .sort()
        .flatMap((name) => (check.Header?.[name] ?? []).map((value) => ({ name, value })));
      return {
        httpGet: {
          path: check.Path || '/',
          port: p,
          ...((check.Protocol ?? '').toLowerCase() === 'https' ? { scheme: 'HTTPS' } : {}),
          ...(headers.length > 0 ? { httpHeaders: headers } : {}),
        },
      };
    }
    case 'tcp': {
      const p = port();
      return p === undefined ? undefined : { tcpSocket: { port: p } };
    }
    case 'grpc': {
      const p = port();
      if (p === undefined) return undefined;
      if (check.GRPCUseTLS) {
        warn(`${path}.GRPCUseTLS`, 'Kubernetes gRPC probes do not use TLS; the probe connects in plain text');
      }
      return { grpc: { port: p, ...(check.GRPCService ? { service: check.GRPCService } : {}) } };
    }
    case 'script': {
      if (!check.Command) {
        warn(`${path}.Command`, 'script check without a command is not translated');
        return undefined;
      }
      return { exec: { command: [check.Command, ...(check.Args ?? [])] } };
    }
    default:
      warn(
        `${path}.Type`,
        `check type ${JSON.stringify(check.Type ?? '')} has no Kubernetes probe; not translated`,
      );
      return undefined;
  }
}

function timing(check: ServiceCheck): Pick<V1Probe, 'periodSeconds' | 'timeoutSeconds'> {
  const out: Pick<V1Probe, 'periodSeconds' | 'timeoutSeconds'> = {};
  const period = seconds(check.Interval);
  const timeout = seconds(check.Timeout);
  if (period !== undefined) out.periodSeconds = period;
  if (timeout !== undefined) out.timeoutSeconds = timeout;
  return out;
}

function readinessProbe(
  ref: CheckRef,
  handler: Handler,
  warn: (path: string, message: string) => void,
): V1Probe {
  const { check, path } = ref;
  const status = check.InitialStatus ?? '';
  if (status !== '' && status !== 'critical') {
    warn(
      `${path}.InitialStatus`,
      `initial status ${JSON.stringify(status)} is not kept: Kubernetes pods are not ready until the first probe succeeds`,
    );
  }
  return {
    ...handler,
    ...timing(check),
    successThreshold: Math.max(1, check.SuccessBeforePassing ?? 0),
    failureThreshold: Math.max(1, check.FailuresBeforeCritical ?? 0),
  };
}

function livenessProbe(ref: CheckRef, handler: Handler): V1Probe {
  const restart = ref.check.CheckRestart ?? {};
  const probe: V1Probe = {
    ...handler,
    ...timing(ref.check),
    failureThreshold: Math.max(1, restart.Limit ?? 1),
  };
  const grace = seconds(restart.Grace);
  if (grace !== undefined) probe.initialDelaySeconds = grace;
  return probe;
}

/**
 * The check with the fields Nomad interpolates with the task's environment when it registers it
 * (command, args, path, header values, method, protocol, gRPC service, port label) interpolated.
 * Probes are not expanded by Kubernetes: what only the running pod knows stays as written, with a
 * warning naming the field.
 */
function interpolatedCheck(ctx: GroupContext, ref: CheckRef): CheckRef {
  const task = ctx.group.Tasks?.[ref.taskIndex];
  const { check } = ref;
  if (!task || !JSON.stringify(check).includes('${')) return ref;
  const text = (value: string, field: string) =>
    value.includes('${')
      ? interpolate(ctx, task, value, { kubernetes: false, path: `${ref.path}.${field}` })
      : value;
  const interpolated: ServiceCheck = { ...check };
  for (const field of ['Command', 'Path', 'Method', 'Protocol', 'GRPCService'] as const) {
    const value = check[field];
    if (value !== undefined) interpolated[field] = text(value, field);
  }
  if (check.Args) interpolated.Args = check.Args.map((a, i) => text(a, `Args[${i}]`));
  if (check.Header) {
    const header = keyedBy<string[]>();
    for (const [name, values] of Object.entries(check.Header))
      defineOwn(
        header,
        name,
        (values ?? []).map((v, i) => text(v, `Header.${name}[${i}]`)),
      );
    interpolated.Header = header;
  }
  if (check.PortLabel)
    interpolated.PortLabel = servicePortLabel(ctx, check.PortLabel, ctx.groupIndex, ref.taskIndex, ref.path);
  return { ...ref, check: interpolated };
}

/** The name Nomad gives a check that has none: `service: "<service>" check`. */
const GENERATED_CHECK_NAME = /^service: ".*" check$/s;

/**
 * How a warning names a check: its name, or for a check Nomad named itself (every such check of a
 * service has the same name) its place among the service's checks.
 */
function checkLabel(ref: CheckRef): string {
  const name = ref.check.Name ?? '';
  if (name !== '' && !GENERATED_CHECK_NAME.test(name)) return JSON.stringify(name);
  const index = /\.Checks\[(\d+)\]$/.exec(ref.path)?.[1] ?? '0';
  return `${index} of service ${JSON.stringify(ref.service.Name ?? '')}`;
}

/** Whether the task becomes a plain init container, which may not have probes. */
function isInitTask(task: Task | undefined): boolean {
  return task?.Lifecycle?.Hook === 'prestart' && !task.Lifecycle.Sidecar;
}

// ---------------------------------------------------------------------------------------------------
// Exports of the contract

/** The container ports and probes of one task (see the module comment). */
export function taskNetworking(ctx: GroupContext, task: Task, taskIndex: number): TaskNetworking {
  const plan = planPorts(ctx);
  const warn = (path: string, message: string) => ctx.warn(path, message);
  for (const w of plan.warnings) if (w.taskIndex === taskIndex) warn(w.path, w.message);
  consulDnsWarning(ctx, task, taskIndex);

  // A static port is forwarded from the node for both protocols, as Nomad publishes it (the UDP entry
  // has no name: a port name belongs to one protocol).
  const ports: V1ContainerPort[] = plan.ports
    .filter((p) => p.taskIndex === taskIndex)
    .flatMap((p) => {
      const tcp: V1ContainerPort = { name: p.name, containerPort: p.containerPort, protocol: 'TCP' };
      if (p.hostPort === undefined) return [tcp];
      return [
        { ...tcp, hostPort: p.hostPort },
        { containerPort: p.containerPort, hostPort: p.hostPort, protocol: 'UDP' },
      ];
    });
  const result: TaskNetworking = { ports };

  const mine = groupChecks(ctx, plan).filter((ref) => ref.taskIndex === taskIndex);
  if (mine.length > 0 && isInitTask(task)) {
    for (const ref of mine) {
      ctx.warn(
        ref.path,
        `check ${checkLabel(ref)} is not translated: task ${JSON.stringify(task.Name ?? '')} runs as an init container, which cannot have probes`,
      );
    }
    return result;
  }
  let readinessFrom: CheckRef | undefined;
  let livenessFrom: CheckRef | undefined;
  /**
   * What a check that is not the readiness probe means for its Service: Consul routes to the instances
   * passing it (a role service such as patroni-primary, whose check passes on the primary only); the
   * Service routes to every ready pod.
   */
  const routing = (ref: CheckRef, ready: CheckRef): string => {
    const registration = [...serviceCatalog(ctx).values()].find((e) =>
      e.registrations.some((r) => r.service === ref.service),
    );
    if (!registration) return '';
    if (ref.service === ready.service) {
      return `; so the Service ${registration.name} routes to the pods that pass check ${checkLabel(ready)} even when this one fails`;
    }
    return `; so the Service ${registration.name} routes to every pod of the group that passes check ${checkLabel(ready)}, including those this check would exclude (Consul routes only to the instances passing it); if the check picks a role (the one primary), select that role by a pod label the instance sets for it (the application or a sidecar labelling its pod), or let the clients find the role themselves`;
  };
  for (const ref of mine) {
    const restarts = (ref.check.CheckRestart?.Limit ?? 0) > 0;
    // A check that becomes no probe gets one warning saying so, none about what a probe cannot carry.
    if (readinessFrom && !(restarts && !livenessFrom)) {
      ctx.warn(
        ref.path,
        restarts && livenessFrom
          ? `a container has one readiness and one liveness probe: check ${checkLabel(ref)} and its check_restart are not translated (check ${checkLabel(readinessFrom)} is the readiness probe, the check_restart of check ${checkLabel(livenessFrom)} the liveness probe)${routing(ref, readinessFrom)}`
          : `a container has one readiness probe: check ${checkLabel(ref)} is not translated (check ${checkLabel(readinessFrom)} is)${routing(ref, readinessFrom)}`,
      );
      continue;
    }
    const handler = probeHandler(interpolatedCheck(ctx, ref), plan, warn);
    if (!handler) continue;
    if (!readinessFrom) {
      readinessFrom = ref;
      result.readinessProbe = readinessProbe(ref, handler, warn);
    } else {
      ctx.warn(
        ref.path,
        `a container has one readiness probe: check ${checkLabel(ref)} is only the liveness probe, from its check_restart (check ${checkLabel(readinessFrom)} is the readiness probe)${routing(ref, readinessFrom)}`,
      );
    }
    if (restarts) {
      if (!livenessFrom) {
        livenessFrom = ref;
        result.livenessProbe = livenessProbe(ref, handler);
      } else {
        ctx.warn(
          `${ref.path}.CheckRestart`,
          `a container has one liveness probe: this check_restart is not translated (the one of check ${checkLabel(livenessFrom)} is)`,
        );
      }
    }
  }
  return result;
}

/**
 * A Consul DNS name: `[<tag>.]<service>.service[.<datacenter>].consul` (groups tag, service), or the
 * RFC 2782 form `_<service>._<protocol>.service[.<datacenter>].consul` (groups srvService, protocol),
 * whose protocol Consul takes as a tag but for `tcp` (any instance). Not preceded by a name character:
 * the whole name, its tag included.
 */
const CONSUL_DNS_NAME =
  /(?<![\w-])(?:_(?<srvService>[a-z0-9][\w-]*)\._(?<protocol>[a-z0-9][\w-]*)|(?:(?<tag>[\w-]+)\.)?(?<service>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?))\.service(?:\.[a-z0-9-]+)?\.consul(?![\w-])/gi;

/** The Consul agent's DNS port on an address: `127.0.0.1:8600`, dnsmasq's `127.0.0.1#8600`. */
const CONSUL_DNS_PORT =
  /(?:\b\d{1,3}(?:\.\d{1,3}){3}|\blocalhost|\$\{[\w.-]+\}|\[[0-9a-f:]+\])[:#]8600(?!\d)/i;

/**
 * Text ending in a Vault PKI certificate name argument (`"common_name=api.service.consul"`,
 * `"alt_names=a.service.consul,b.service.consul"`): a name written into a certificate, not one the
 * task looks up.
 */
const CERTIFICATE_NAME_ARGUMENT = /\b(?:common_name|alt_names|other_sans|uri_sans)=[^"\s]*$/;

/** Every string of a driver config, depth first. */
function configStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) configStrings(v, out);
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) configStrings(v, out);
  return out;
}

/**
 * What the task is given, as the pod gets it: its driver config and env interpolated as Nomad does
 * (`${NOMAD_META_db}.service.consul` is `shop-db.service.consul`), its templates with the `env`
 * values known now rendered (template-render.ts). What only the running pod knows stays as written.
 */
function taskTexts(ctx: GroupContext, task: Task): string[] {
  const env = Object.entries(task.Env ?? {}).sort(([a], [b]) => compare(a, b));
  const raw = [...configStrings(task.Config), ...env.map(([, value]) => value)];
  // One interpolation for all of them (NUL separates: no reference spans it, none makes it).
  const joined = raw.join('\u0000');
  const given = joined.includes('${')
    ? interpolate(ctx, task, joined, { kubernetes: false, quiet: true }).split('\u0000')
    : raw;
  const templates = (task.Templates ?? []).map(
    (t) =>
      renderKnownEnv(
        t.EmbeddedTmpl ?? '',
        (name) => knownEnvValue(ctx, task, name),
        t.LeftDelim,
        t.RightDelim,
      ).text,
  );
  return [...given, ...templates];
}

/** Whether every registration of a Service carries `tag`: then the Service is what Consul filters to. */
export function everyRegistrationTagged(entry: CatalogService, tag: string): boolean {
  return entry.registrations.every((r) => (r.service.Tags ?? []).includes(tag));
}

/**
 * A task that finds services by Consul DNS (in its config, env or templates, as the pod gets them) is
 * told, once, that those names do not resolve here and which Service names stand for them: Services
 * are named after Nomad service names (see the module comment), in the namespace of the job
 * registering them. A tag filters instances in Consul, not here: the Service stands for a tagged name
 * only when every registration has the tag. An SRV name has the Service's SRV record (Service ports
 * are named after the port labels); the Consul agent's DNS port 8600 has no counterpart.
 */
function consulDnsWarning(ctx: GroupContext, task: Task, taskIndex: number): void {
  // Interpolation adds only values of meta and env (and Nomad's own, which hold neither): without
  // either word in them or the text, nothing to interpolate.
  const written = JSON.stringify([
    task.Config,
    task.Env,
    task.Templates,
    ctx.job.Meta,
    ctx.group.Meta,
    task.Meta,
  ]);
  if (!/consul|8600/i.test(written)) return;
  const texts = taskTexts(ctx, task).filter((t) => /\.consul|8600/i.test(t));
  if (texts.length === 0) return;
  const catalog = serviceCatalog(ctx);
  const namespace = ctx.options.namespace;
  const names = new Map<string, string>();
  let agentPort: string | undefined;
  for (const text of texts) {
    agentPort ??= CONSUL_DNS_PORT.exec(text)?.[0];
    for (const match of text.matchAll(CONSUL_DNS_NAME)) {
      if (CERTIFICATE_NAME_ARGUMENT.test(text.slice(Math.max(0, match.index - 200), match.index))) continue;
      const dns = match[0].toLowerCase();
      if (names.has(dns)) continue;
      const groups = match.groups ?? {};
      const srv = groups.srvService !== undefined;
      const service = (srv ? groups.srvService : groups.service) ?? '';
      const protocol = groups.protocol?.toLowerCase();
      const tag = srv ? (protocol === 'tcp' ? undefined : protocol) : groups.tag;
      // One instance of a name made per allocation: the one Service in front of them all.
      const direct = catalogLookup(catalog, service);
      const instanceOf = direct
        ? direct.instanceNames && direct
        : [...catalog.values()].find((e) => e.instanceNames?.test(service));
      const entry = direct ?? instanceOf;
      const name = entry?.name ?? kubernetesServiceName(service).name;
      const host = `${name}.${namespace}.svc`;
      const port = entry?.ports[0]?.name;
      if (instanceOf) {
        names.set(
          dns,
          `an instance of the service named per allocation ${JSON.stringify(instanceOf.registrations[0]?.service.Name ?? instanceOf.nomadName)}: the one Service ${host} routes to every instance (see the warning at that service's name)`,
        );
        continue;
      }
      let say = srv
        ? `SRV ${port ? `_${port}` : '_<port label>'}._tcp.${host}.cluster.local${port ? '' : ', the Service port named after the port label'}`
        : host;
      if (tag !== undefined) {
        const quotedTag = JSON.stringify(tag);
        const quotedService = JSON.stringify(service);
        if (!entry) {
          say += `, which routes to every instance of ${quotedService} whatever its tags: unless every registration has the tag ${quotedTag}, give the instances with it a service name of their own`;
        } else if (!everyRegistrationTagged(entry, tag)) {
          say += ` routes to every instance of ${quotedService}, not only those with the tag ${quotedTag}: give them a service name of their own`;
        }
      }
      names.set(dns, say);
    }
  }
  const parts: string[] = [];
  if (names.size > 0) {
    const list = [...names].map(([dns, svc]) => `${JSON.stringify(dns)} (${svc})`).join(', ');
    parts.push(
      `Consul DNS names do not resolve on Kubernetes: ${list}; write the Kubernetes Service name instead (a service registered by a job of another namespace is in that namespace)`,
    );
  }
  // A group listening on 8600 itself (a Consul agent's job) is what answers there.
  const ownPort = planPorts(ctx).ports.some((p) => p.containerPort === 8600 || p.hostPort === 8600);
  if (agentPort !== undefined && !ownPort) {
    parts.push(
      `${JSON.stringify(agentPort)} is the Consul agent's DNS, which has no counterpart: nothing listens on port 8600; the pod's resolver is the cluster DNS (the nameserver in /etc/resolv.conf), which answers for Services`,
    );
  }
  if (parts.length > 0) ctx.warn(`${ctx.path}.Tasks[${taskIndex}]`, parts.join('; '));
}

/**
 * Every Nomad service name of the job → its Kubernetes Service (see the module comment), keyed by the
 * Service name. Pure and silent: warnings are in the entries. Names are interpolated like Nomad does at
 * run time (`${NOMAD_JOB_NAME}`, `${NOMAD_GROUP_NAME}`, meta, …); `${JOB}`/`${TASKGROUP}`/`${TASK}`/
 * `${BASE}` were already replaced by canonicalization.
 */
export function serviceCatalog(ctx: GroupContext): Map<string, CatalogService> {
  const catalog = new Map<string, CatalogService>();
  const plans = new Map<number, PortPlan>();
  const planOf = (groupIndex: number): PortPlan => {
    let plan = plans.get(groupIndex);
    if (!plan) {
      plan = planPorts(contextOfGroup(ctx, groupIndex));
      plans.set(groupIndex, plan);
    }
    return plan;
  };
  (ctx.job.TaskGroups ?? []).forEach((group, g) => {
    const groupCtx = contextOfGroup(ctx, g);
    const tasks = group.Tasks ?? [];
    const blocks: { service: Service; path: string; taskIndex: number }[] = [
      ...(group.Services ?? []).map((service, s) => ({
        service,
        path: `TaskGroups[${g}].Services[${s}]`,
        taskIndex: -1,
      })),
      ...tasks.flatMap((task, t) =>
        (task.Services ?? []).map((service, s) => ({
          service,
          path: `TaskGroups[${g}].Tasks[${t}].Services[${s}]`,
          taskIndex: t,
        })),
      ),
    ];
    for (const block of blocks) {
      const warnings: Warning[] = [];
      const raw = block.service.Name ?? '';
      const task = tasks[block.taskIndex >= 0 ? block.taskIndex : 0];
      const nomadName =
        raw.includes('${') && task
          ? interpolate(
              { ...groupCtx, warn: (path, message) => warnings.push({ path, message }) },
              task,
              raw,
              {
                kubernetes: false,
                path: `${block.path}.Name`,
                upstreams: false,
              },
            )
          : raw;
      if (nomadName === '') continue;
      const { name, derived } = kubernetesServiceName(nomadName);
      // A name Nomad makes per allocation: one warning says what the one Service is (and replaces
      // those about the value it holds and about the name derived from it).
      const perAllocation = task ? perAllocationName(groupCtx, task, raw, name) : undefined;
      if (perAllocation)
        warnings.splice(0, warnings.length, { path: `${block.path}.Name`, message: perAllocation });
      let entry = catalog.get(name);
      if (!entry) {
        entry = {
          nomadName,
          name,
          namespace: ctx.options.namespace,
          registrations: [],
          groups: [],
          ports: [],
          portByLabel: new Map(),
          containerPorts: new Map(),
          tags: [],
          meta: keyedBy<string>(),
          warnings: [],
        };
        if (perAllocation && task) entry.instanceNames = instanceNames(groupCtx, task, raw);
        catalog.set(name, entry);
        if (derived && !perAllocation) {
          entry.warnings.push({
            path: `${block.path}.Name`,
            message: `service name ${JSON.stringify(nomadName)} is not a valid Kubernetes Service name (a DNS-1035 label: at most 63 of a-z, 0-9 and "-", starting with a letter); the Service is named ${JSON.stringify(name)}: consumers must look up ${name}.${ctx.options.namespace}.svc`,
          });
        }
      } else if (entry.nomadName !== nomadName) {
        entry.warnings.push({
          path: `${block.path}.Name`,
          message: `service ${JSON.stringify(nomadName)} and service ${JSON.stringify(entry.nomadName)} are one Kubernetes Service ${name} (DNS names ignore case)`,
        });
      }
      entry.warnings.push(...warnings);
      entry.registrations.push({ ...block, groupIndex: g, nomadName });
      if (!entry.groups.includes(g)) entry.groups.push(g);
      // Tags are interpolated as Nomad registers them; what only the running pod knows stays as written.
      (block.service.Tags ?? []).forEach((raw, i) => {
        const tag =
          raw.includes('${') && task
            ? interpolate(
                { ...groupCtx, warn: (path, message) => entry.warnings.push({ path, message }) },
                task,
                raw,
                {
                  kubernetes: false,
                  path: `${block.path}.Tags[${i}]`,
                  upstreams: false,
                },
              )
            : raw;
        if (!entry.tags.includes(tag)) entry.tags.push(tag);
      });
      Object.assign(entry.meta, block.service.Meta ?? {});
    }
  });
  for (const entry of catalog.values()) {
    addServicePorts(entry, planOf, ctx);
    decideNotReadyAddresses(entry, ctx);
  }
  return catalog;
}

/** Whether a service block has checks (Consul then routes to its instance only while they pass). */
function hasChecks(service: Service): boolean {
  return (service.Checks ?? []).length > 0;
}

/**
 * Whether a group's pods have a readiness probe: any check of the group's services becomes one
 * (taskNetworking), except in sysbatch pods, whose tasks run as init containers.
 */
function groupHasReadiness(ctx: GroupContext, groupIndex: number): boolean {
  if ((ctx.job.Type ?? 'service') === 'sysbatch') return false;
  const group = ctx.job.TaskGroups?.[groupIndex];
  return [...(group?.Services ?? []), ...(group?.Tasks ?? []).flatMap((t) => t.Services ?? [])].some(
    hasChecks,
  );
}

/**
 * `publishNotReadyAddresses` of the Service: see the module comment. Consul counts an instance
 * without checks as passing (and Nomad's own catalog does not filter by health), while a Service
 * routes only to ready pods — and a pod's readiness comes from the checks of any of its services.
 * A service without checks on pods made ready by another service's check (es-transport beside
 * es-http, used by the peers to find each other before any of them is healthy) would then have no
 * endpoints until the pods are ready: true when no registration has checks and some registering
 * group's pods have a readiness probe; false when a registration has checks; unset (no opinion)
 * otherwise, as the pods are ready once running anyway (and a Service publishing not-ready
 * addresses keeps routing to terminating pods). The reconciler agrees the value with the other jobs
 * registering the name (src/controller/shared-services.ts).
 */
function decideNotReadyAddresses(entry: CatalogService, ctx: GroupContext): void {
  // Only pods with a readiness probe tell ready from not ready.
  const probed = entry.registrations.filter((r) => groupHasReadiness(ctx, r.groupIndex));
  const checked = probed.filter((r) => hasChecks(r.service));
  const unchecked = probed.filter((r) => !hasChecks(r.service));
  if (checked.length === 0) {
    if (unchecked.length > 0) entry.publishNotReadyAddresses = true;
    return;
  }
  entry.publishNotReadyAddresses = false;
  const first = checked[0]?.path ?? '';
  for (const r of unchecked) {
    entry.warnings.push({
      path: r.path,
      message: `this registration of service ${JSON.stringify(entry.nomadName)} has no check, but ${first} has: the one Service ${entry.name} routes only to ready pods, so this group's pods, whose readiness comes from another service's check, are reached only once that check passes (Consul counts an instance without checks as passing); give one of the two registrations another service name`,
    });
  }
}

/** References whose value differs between the allocations of a group (env.ts sets them per pod). */
const PER_ALLOCATION_REFERENCE =
  /\$\{(?:env\.)?(NOMAD_ALLOC_INDEX|NOMAD_ALLOC_NAME|NOMAD_ALLOC_ID|NOMAD_SHORT_ALLOC_ID)\}/g;

/**
 * Why a service name is one name per instance in Nomad but one Service here, or undefined when it is
 * not. Nomad interpolates a service's name with each allocation's environment, so `kafka-${NOMAD_ALLOC_INDEX}`
 * registers kafka-0, kafka-1, kafka-2 for count 3, each in front of its own allocation. A Service
 * selects pods by label, the same for every pod of the workload: its one Service (named after the
 * first instance's name where the index is approximated) selects them all. The index and name differ
 * between allocations when the count is above 1 (system and sysbatch allocations all have index 0);
 * allocation IDs between any two allocations.
 */
function perAllocationName(ctx: GroupContext, task: Task, raw: string, name: string): string | undefined {
  const found = new Set([...raw.matchAll(PER_ALLOCATION_REFERENCE)].map((m) => m[1] ?? ''));
  if (found.size === 0) return undefined;
  const type = ctx.job.Type ?? 'service';
  const perNode = type === 'system' || type === 'sysbatch';
  const count = ctx.group.Count ?? 1;
  const byId = found.has('NOMAD_ALLOC_ID') || found.has('NOMAD_SHORT_ALLOC_ID');
  if (!(count > 1 && !perNode) && !(byId && perNode)) return undefined;
  // The names of the first instances, where the index alone varies.
  let examples = 'one name per allocation ID';
  if (!byId) {
    const jobId = ctx.job.ID ?? '';
    const group = ctx.group.Name ?? '';
    const names = [0, 1, 2].slice(0, Math.min(count, 3)).map((i) =>
      interpolate(
        ctx,
        task,
        raw.replace(PER_ALLOCATION_REFERENCE, (_, variable: string) =>
          variable === 'NOMAD_ALLOC_INDEX' ? String(i) : `${jobId}.${group}[${i}]`,
        ),
        { kubernetes: false, quiet: true, upstreams: false },
      ),
    );
    examples = `${names.join(', ')}${count > 3 ? ', …' : ''} for count ${count}`;
  }
  const pods = perNode ? 'every pod of the DaemonSet (one per node)' : `all ${count} pods of the group`;
  return `service name ${JSON.stringify(raw)} is interpolated per allocation in Nomad (${examples}), one name in front of each instance; a Service selects pods by a label every pod of the workload has, so the one Service ${name} routes to ${pods}, and a client of one instance's name reaches any of them; make each instance a group of its own (count = 1, with its own service name), or let the instances find each other through a headless Service (clusterIP: None, whose DNS name lists every pod)`;
}

/** What each instance's name looks like: the per-allocation values of `raw` stand for any DNS label. */
function instanceNames(ctx: GroupContext, task: Task, raw: string): RegExp {
  const slot = '\u0000';
  const text = interpolate(ctx, task, raw.replace(PER_ALLOCATION_REFERENCE, slot), {
    kubernetes: false,
    quiet: true,
    upstreams: false,
  });
  const escaped = text
    .split(slot)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^.]+');
  return new RegExp(`^${escaped}$`, 'iu');
}

/** The catalog entry a Nomad service name (as consumers write it) resolves to, if the job has it. */
export function catalogLookup(
  catalog: Map<string, CatalogService>,
  nomadName: string,
): CatalogService | undefined {
  return catalog.get(kubernetesServiceName(nomadName).name);
}

/** A group's context from another group's (same job, options and warnings). */
function contextOfGroup(ctx: GroupContext, groupIndex: number): GroupContext {
  if (groupIndex === ctx.groupIndex) return ctx;
  return {
    ...ctx,
    group: ctx.job.TaskGroups?.[groupIndex] ?? {},
    groupIndex,
    path: `TaskGroups[${groupIndex}]`,
  };
}

/** Service ports by label: see the module comment. */
function addServicePorts(
  entry: CatalogService,
  planOf: (groupIndex: number) => PortPlan,
  ctx: GroupContext,
): void {
  const groupName = (g: number) => JSON.stringify(ctx.job.TaskGroups?.[g]?.Name ?? '');
  for (const { service, path, groupIndex, taskIndex } of entry.registrations) {
    const label = servicePortLabel(ctx, service.PortLabel ?? '', groupIndex, taskIndex, path);
    if (label === '') continue;
    const plan = planOf(groupIndex);
    const planned = plan.byLabel.get(label);
    // A static port is where Nomad's consumers reach the service (it registers the host port): keep it.
    const port = planned?.hostPort ?? resolvePort(plan, label);
    if (port === undefined) {
      entry.warnings.push({
        path: `${path}.PortLabel`,
        message: `unknown port ${JSON.stringify(label)}: the Service has no port for it`,
      });
      continue;
    }
    const portName = planned ? planned.name : `port-${port}`;
    const existing = entry.portByLabel.get(label);
    if (existing) {
      const udpTarget = entry.containerPorts.get(existing.name ?? '');
      if (
        existing.name === portName &&
        planned &&
        udpTarget !== undefined &&
        planned.containerPort !== udpTarget
      ) {
        entry.warnings.push({
          path: `${path}.PortLabel`,
          message: `port ${JSON.stringify(label)} is container port ${planned.containerPort} in group ${groupName(groupIndex)}, but the Service's UDP port ${existing.name}-udp targets ${udpTarget} (a UDP target is a number): this group's pods get none of its UDP traffic; map the label to the same container port in every group`,
        });
      }
      if (existing.name !== portName) {
        entry.warnings.push({
          path: `${path}.PortLabel`,
          message: `port ${JSON.stringify(label)} is named ${JSON.stringify(portName)} in group ${groupName(groupIndex)} but ${JSON.stringify(existing.name)} in the Service ${entry.name}: this group's pods do not receive its traffic`,
        });
      }
      continue;
    }
    const clash = entry.ports.find((p) => p.port === port || p.name === portName);
    if (clash) {
      entry.warnings.push({
        path: `${path}.PortLabel`,
        message: `port ${JSON.stringify(label)} (${port}) clashes with the Service port ${clash.name} (${clash.port}) of ${entry.name}; it is not a port of the Service`,
      });
      continue;
    }
    const servicePort: V1ServicePort = {
      name: portName,
      port,
      targetPort: planned ? planned.name : port,
      protocol: 'TCP',
    };
    entry.ports.push(servicePort);
    entry.portByLabel.set(label, servicePort);
    entry.containerPorts.set(portName, planned ? planned.containerPort : port);
  }
  // A group whose pods lack a port the Service targets by name gets none of that port's traffic.
  for (const [label, servicePort] of entry.portByLabel) {
    if (typeof servicePort.targetPort !== 'string') continue;
    for (const g of entry.groups) {
      if (planOf(g).byLabel.get(label)?.name === servicePort.targetPort) continue;
      const first = entry.registrations.find((r) => r.groupIndex === g);
      entry.warnings.push({
        path: first?.path ?? `TaskGroups[${g}]`,
        message: `group ${groupName(g)} registers service ${JSON.stringify(entry.nomadName)} without port ${JSON.stringify(label)}: its pods receive no traffic of the Service port ${servicePort.name}; register the service on the same port label in every group`,
      });
    }
  }
}

/**
 * A service's port as a label or number: `${NOMAD_PORT_<l>}` / `${NOMAD_HOST_PORT_<l>}` is label `l` (its
 * container port, by name), other references are interpolated as Nomad does at run time.
 */
function servicePortLabel(
  ctx: GroupContext,
  raw: string,
  groupIndex: number,
  taskIndex: number,
  path: string,
): string {
  if (!raw.includes('${')) return raw;
  const byLabel = /^\$\{NOMAD_(?:HOST_)?PORT_([^}]+)\}$/.exec(raw);
  if (byLabel?.[1]) return byLabel[1];
  const groupCtx = contextOfGroup(ctx, groupIndex);
  const task = groupCtx.group.Tasks?.[taskIndex >= 0 ? taskIndex : 0];
  if (!task) return raw;
  return interpolate({ ...groupCtx, warn: () => {} }, task, raw, {
    kubernetes: false,
    path: `${path}.PortLabel`,
    upstreams: false,
  });
}

/**
 * The Kubernetes Service name for a Nomad service name: the name lower-cased when that is a DNS-1035
 * label (DNS is case-insensitive, so consumers' lookups still resolve); otherwise a sanitized stem that
 * starts with a letter plus 8 characters of the name's hash (`derived: true`, reported).
 */
export function kubernetesServiceName(nomadName: string): { name: string; derived: boolean } {
  const lower = nomadName.toLowerCase();
  if (isDns1035Label(lower)) return { name: lower, derived: false };
  let stem = lower.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(stem)) stem = stem === '' ? 's' : `s-${stem}`;
  stem = stem.slice(0, LABEL_MAX_LENGTH - 9).replace(/-+$/, '');
  return { name: `${stem}-${hashToken(nomadName).slice(0, 8)}`, derived: true };
}

/** Pod label key a Service selects: `service.nomadoperator.dev/<Service name>`. */
export function serviceLabelKey(serviceName: string): string {
  return `${SERVICE_LABEL_PREFIX}${serviceName}`;
}

/** Whether an object is a Service shared by the jobs of its namespace (named after a Nomad service). */
export function isSharedService(object: KubernetesObject): boolean {
  return object.kind === 'Service' && object.metadata?.labels?.[LABEL_SERVICE] !== undefined;
}

/** Labels of a group's pods that make every Service of a service it registers select them. */
export function servicePodLabels(ctx: GroupContext): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of serviceCatalog(ctx).values()) {
    if (entry.groups.includes(ctx.groupIndex)) labels[serviceLabelKey(entry.name)] = SERVICE_LABEL_VALUE;
  }
  return labels;
}

/** The Service of a catalog entry: the same object whichever group or job asks for it. */
function serviceObject(entry: CatalogService): V1Service {
  const annotations: Record<string, string> = { [ANNOTATION_SERVICE_NAME]: entry.nomadName };
  if (entry.tags.length > 0) annotations[ANNOTATION_SERVICE_TAGS] = JSON.stringify(entry.tags);
  const metaKeys = Object.keys(entry.meta).sort();
  if (metaKeys.length > 0) {
    annotations[ANNOTATION_SERVICE_META] = JSON.stringify(
      Object.fromEntries(metaKeys.map((k) => [k, entry.meta[k]])),
    );
  }
  const selector = { [LABEL_MANAGED_BY]: MANAGED_BY, [serviceLabelKey(entry.name)]: SERVICE_LABEL_VALUE };
  const readiness =
    entry.publishNotReadyAddresses === undefined
      ? {}
      : { publishNotReadyAddresses: entry.publishNotReadyAddresses };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: entry.name,
      namespace: entry.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SERVICE]: entry.name },
      annotations,
    },
    spec:
      entry.ports.length > 0
        ? { type: 'ClusterIP', selector, ports: withUdpTwins(entry), ...readiness }
        : { type: 'ClusterIP', clusterIP: 'None', selector, ...readiness },
  };
}

/**
 * The Service's ports, each followed by the same port for UDP: Nomad publishes every port for both
 * protocols (docker port bindings and bridge port maps alike), so a DNS, syslog or statsd service is
 * reached over UDP too. The twin targets the container port by number, as a container port name
 * belongs to one protocol.
 */
function withUdpTwins(entry: CatalogService): V1ServicePort[] {
  const names = new Set(entry.ports.map((p) => p.name));
  return entry.ports.flatMap((p) => {
    // `<name>-udp`, or with a number when a port label of the Service is already called that.
    let name = `${p.name}-udp`;
    for (let n = 2; names.has(name); n++) name = `${p.name}-udp${n}`;
    names.add(name);
    const target = typeof p.targetPort === 'number' ? p.targetPort : entry.containerPorts.get(p.name ?? '');
    if (target === undefined) return [{ ...p }];
    return [{ ...p }, { name, port: p.port, targetPort: target, protocol: 'UDP' }];
  });
}

/**
 * The Services of every service name the group registers (see the module comment), and the Ingress of
 * their router tags (router-tags.ts). A Service registered by several groups is the same object from
 * each of them (the translator keeps one).
 */
export function groupServices(ctx: GroupContext): KubernetesObject[] {
  (ctx.group.Services ?? []).forEach((service, s) => {
    if ((service.Name ?? '') === '') {
      ctx.warn(`${ctx.path}.Services[${s}].Name`, 'service without a name is not translated');
    }
  });
  (ctx.group.Tasks ?? []).forEach((task, t) => {
    (task.Services ?? []).forEach((service, s) => {
      if ((service.Name ?? '') === '') {
        ctx.warn(`${ctx.path}.Tasks[${t}].Services[${s}].Name`, 'service without a name is not translated');
      }
    });
  });
  const out: KubernetesObject[] = [];
  for (const entry of serviceCatalog(ctx).values()) {
    if (!entry.groups.includes(ctx.groupIndex)) continue;
    for (const w of entry.warnings) ctx.warn(w.path, w.message);
    for (const r of entry.registrations) {
      if (r.groupIndex === ctx.groupIndex) serviceWarnings(ctx, r.service, r.path, entry.name, r.nomadName);
    }
    out.push(serviceObject(entry));
    // The Ingress is the job's own object: made once, by the first group registering the service.
    if (entry.groups[0] === ctx.groupIndex) out.push(...routerIngress(ctx, entry));
  }
  return out.sort(
    (a, b) => compare(a.kind ?? '', b.kind ?? '') || compare(a.metadata?.name ?? '', b.metadata?.name ?? ''),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `nomadName`: the service's name as Nomad registers it (interpolated). */
function serviceWarnings(
  ctx: GroupContext,
  service: Service,
  path: string,
  name: string,
  nomadName: string,
): void {
  const provider = service.Provider ?? 'consul';
  if (provider === 'consul') {
    ctx.warn(
      `${path}.Provider`,
      `not registered in Consul: the service is the Kubernetes Service ${name} (DNS ${name}.${ctx.options.namespace}.svc); ${JSON.stringify(`${nomadName}.service.consul`)} does not resolve`,
    );
  }
  if (service.Connect) {
    ctx.warn(
      `${path}.Connect`,
      'Consul Connect is not applicable: no sidecar proxy, mTLS or intentions; pods reach each other over the cluster network, and NOMAD_UPSTREAM_* name the upstream Services',
    );
  }
  if ((service.CanaryTags?.length ?? 0) > 0) {
    ctx.warn(`${path}.CanaryTags`, 'canary tags are not applied: Services do not tell canaries apart');
  }
  if (Object.keys(service.CanaryMeta ?? {}).length > 0) {
    ctx.warn(`${path}.CanaryMeta`, 'canary meta is not applied: Services do not tell canaries apart');
  }
  if (Object.keys(service.TaggedAddresses ?? {}).length > 0) {
    ctx.warn(`${path}.TaggedAddresses`, 'tagged addresses are not applicable to Kubernetes Services');
  }
  if (service.Address) {
    ctx.warn(
      `${path}.Address`,
      'a custom service address is not applicable: the Service routes to the pod IPs',
    );
  }
}

/** A TCP port number Kubernetes accepts for container, host and Service ports. */
function isValidPort(port: number | undefined): port is number {
  return port !== undefined && Number.isInteger(port) && port > 0 && port < 65536;
}
