// Networking: Nomad ports → container ports, service blocks → Services, checks → probes.
//
// ## Ports
// Every port label of the group's `network` block (and of a task's legacy `resources.network`) becomes one
// container port on exactly one container, named after the label:
//   * static (`static = 80`, ReservedPorts)  → hostPort 80, containerPort `to` if set, else 80;
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
// Port names must be IANA_SVC_NAMEs (at most 15 of `a-z0-9-`, a letter, no `--`): a label that is not one
// is lower-cased and sanitized, or becomes `<stem>-<5 hash chars>` when that is still invalid or taken;
// either way a warning names the new name.
//
// ## Services
// Group and task `service` blocks become one ClusterIP Service per distinct service name, selecting the
// group's pods, named `childName(job, service)` (`childName(job, group, service)` when another group of the
// job registers the same name). Each port label is a Service port: port = the container port, targetPort =
// the container port's name (a literal port number in `port = "8080"` stays a number). Tags, meta and
// the exact name are kept as annotations. A service without a port becomes a headless Service without
// ports. Services are not registered in Consul (provider "consul" is reported), Connect is not applicable.
//
// ## Checks
// A check becomes the readiness probe of the container it belongs to (task services: their task; group
// services: the check's `task`, else the owner of the checked port): http → httpGet (path, port, headers,
// https scheme), tcp → tcpSocket, grpc → grpc, script → exec (command + args). interval/timeout →
// periodSeconds/timeoutSeconds (rounded up, at least 1), success_before_passing → successThreshold,
// failures_before_critical → failureThreshold (Nomad marks a check critical on the first failure by
// default, so the default is 1). `check_restart` → a liveness probe with the same handler, failureThreshold
// = limit and initialDelaySeconds = grace. A container has one probe of each kind: later checks are
// reported as not translated.
import { createHash } from 'node:crypto';
import type { V1ContainerPort, V1Probe, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { childName, hashToken } from '../nomad/ids.ts';
import type { NetworkResource, Port, Service, ServiceCheck, Task } from '../nomad/schema.ts';
import type { GroupContext, TaskNetworking, Warning } from './types.ts';

/** Annotation: the exact Nomad service name of a Service. */
export const ANNOTATION_SERVICE_NAME = 'nomadoperator.dev/service-name';
/** Annotation: the service's tags, as a JSON array (in order, without duplicates). */
export const ANNOTATION_SERVICE_TAGS = 'nomadoperator.dev/service-tags';
/** Annotation: the service's meta, as a JSON object with sorted keys. */
export const ANNOTATION_SERVICE_META = 'nomadoperator.dev/service-meta';

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
  accepted.forEach((c, i) => {
    const to = c.port.To ?? 0;
    const value = c.port.Value ?? 0;
    const portMap = c.taskIndex >= 0 ? configPortMap(tasks[c.taskIndex] ?? {}) : new Map<string, number>();
    let port: number | undefined;
    if (isValidPort(to)) port = to;
    else if (isValidPort(portMap.get(c.port.Label ?? ''))) port = portMap.get(c.port.Label ?? '');
    else if (c.static && isValidPort(value)) port = value;
    if (to !== 0 && !isValidPort(to)) {
      warnings.push({
        taskIndex: c.taskIndex,
        path: `${c.path}.To`,
        message: `port ${to} is not a valid port number (1-65535); another container port is used`,
      });
    }
    if (port !== undefined) {
      containerPorts.set(i, port);
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
        message: `host network ${JSON.stringify(hostNetwork)} is not applicable: ${c.static ? 'the host port is bound on all node addresses' : 'the port is on the pod IP'}`,
      });
    }
    return planned;
  });
  return { ports, byLabel: new Map(ports.map((p) => [p.label, p])), warnings };
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
      if (check.TaskName) taskIndex = tasks.findIndex((t) => t.Name === check.TaskName);
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

type Handler = Pick<V1Probe, 'httpGet' | 'tcpSocket' | 'grpc' | 'exec'>;

/** The probe handler of a check; undefined (with the warnings) when it cannot be probed. */
function probeHandler(
  ref: CheckRef,
  plan: PortPlan,
  warn: (path: string, message: string) => void,
): Handler | undefined {
  const { check, service, path } = ref;
  const type = (check.Type ?? '').toLowerCase();
  const portLabel = check.PortLabel || service.PortLabel || '';
  const port = (): number | undefined => {
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

function checkLabel(ref: CheckRef): string {
  return JSON.stringify(ref.check.Name || ref.check.Type || '');
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

  const ports: V1ContainerPort[] = plan.ports
    .filter((p) => p.taskIndex === taskIndex)
    .map((p) => ({
      name: p.name,
      containerPort: p.containerPort,
      ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
      protocol: 'TCP',
    }));
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
  for (const ref of mine) {
    const handler = probeHandler(ref, plan, warn);
    if (!handler) continue;
    if (!readinessFrom) {
      readinessFrom = ref;
      result.readinessProbe = readinessProbe(ref, handler, warn);
    } else {
      ctx.warn(
        ref.path,
        `a container has one readiness probe: check ${checkLabel(ref)} is not translated (check ${checkLabel(readinessFrom)} is)`,
      );
    }
    if ((ref.check.CheckRestart?.Limit ?? 0) > 0) {
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

interface ServiceRef {
  service: Service;
  path: string;
}

/** The Service for each distinct service name of the group (see the module comment). */
export function groupServices(ctx: GroupContext): V1Service[] {
  const plan = planPorts(ctx);
  const refs: ServiceRef[] = [];
  (ctx.group.Services ?? []).forEach((service, s) => {
    refs.push({ service, path: `${ctx.path}.Services[${s}]` });
  });
  (ctx.group.Tasks ?? []).forEach((task, t) => {
    (task.Services ?? []).forEach((service, s) => {
      refs.push({ service, path: `${ctx.path}.Tasks[${t}].Services[${s}]` });
    });
  });

  const byName = new Map<string, ServiceRef[]>();
  for (const ref of refs) {
    const name = ref.service.Name ?? '';
    byName.set(name, [...(byName.get(name) ?? []), ref]);
  }

  const out: V1Service[] = [];
  for (const [serviceName, group] of byName) {
    const first = group[0];
    if (!first) continue;
    if (serviceName === '') {
      ctx.warn(`${first.path}.Name`, 'service without a name is not translated');
      continue;
    }
    const sharedWithOtherGroup = (ctx.job.TaskGroups ?? []).some(
      (g, i) =>
        i !== ctx.groupIndex &&
        [...(g.Services ?? []), ...(g.Tasks ?? []).flatMap((t) => t.Services ?? [])].some(
          (s) => s.Name === serviceName,
        ),
    );
    const name = sharedWithOtherGroup
      ? childName(ctx.jobName, ctx.group.Name ?? '', serviceName)
      : childName(ctx.jobName, serviceName);
    if (sharedWithOtherGroup) {
      ctx.warn(
        `${first.path}.Name`,
        `service ${JSON.stringify(serviceName)} is also registered by another group; each group gets its own Service (${name})`,
      );
    }

    const ports: V1ServicePort[] = [];
    const tags: string[] = [];
    const meta: Record<string, string> = {};
    for (const { service, path } of group) {
      serviceWarnings(ctx, service, path, name);
      const label = service.PortLabel ?? '';
      if (label !== '') {
        const planned = plan.byLabel.get(label);
        const port = resolvePort(plan, label);
        if (port === undefined) {
          ctx.warn(
            `${path}.PortLabel`,
            `unknown port ${JSON.stringify(label)}: the Service has no port for it`,
          );
        } else {
          const portName = planned ? planned.name : `port-${port}`;
          if (!ports.some((p) => p.name === portName)) {
            ports.push({ name: portName, port, targetPort: planned ? planned.name : port, protocol: 'TCP' });
          }
        }
      }
      for (const tag of service.Tags ?? []) if (!tags.includes(tag)) tags.push(tag);
      Object.assign(meta, service.Meta ?? {});
    }

    const annotations: Record<string, string> = { [ANNOTATION_SERVICE_NAME]: serviceName };
    if (tags.length > 0) annotations[ANNOTATION_SERVICE_TAGS] = JSON.stringify(tags);
    const metaKeys = Object.keys(meta).sort();
    if (metaKeys.length > 0) {
      annotations[ANNOTATION_SERVICE_META] = JSON.stringify(
        Object.fromEntries(metaKeys.map((k) => [k, meta[k]])),
      );
    }
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ctx.options.namespace, labels: { ...ctx.labels }, annotations },
      spec:
        ports.length > 0
          ? { type: 'ClusterIP', selector: { ...ctx.selector }, ports }
          : { type: 'ClusterIP', clusterIP: 'None', selector: { ...ctx.selector } },
    });
  }
  return out.sort((a, b) => compare(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function serviceWarnings(ctx: GroupContext, service: Service, path: string, name: string): void {
  const provider = service.Provider ?? 'consul';
  if (provider === 'consul') {
    ctx.warn(
      `${path}.Provider`,
      `not registered in Consul: the service is the Kubernetes Service ${name} (DNS ${name}.${ctx.options.namespace}.svc); ${JSON.stringify(service.Name ?? '')}.service.consul does not resolve`,
    );
  }
  if (service.Connect) {
    ctx.warn(
      `${path}.Connect`,
      'Consul Connect is not applicable: no sidecar proxy, mTLS or intentions; pods reach each other over the cluster network',
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
