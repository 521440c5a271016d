// The checks of Nomad's admission validators that run beside Job.Validate when a job is registered
// (nomad/job_endpoint_hooks.go and its hooks). Each validator reports its first problem only;
// validateJob places them in Nomad's order around Job.Validate.
//
// Only rules that depend on the job alone and hold in every Nomad edition are here: the ones that
// depend on the server's configuration (a Vault cluster being enabled, a node pool existing) or on its
// license (Enterprise-only features) are not.
import { goQuote, goQuotedList } from '../go.ts';
import type { Job, Service, TaskGroup } from '../schema.ts';

/** Go's net.JoinHostPort: IPv6 hosts in brackets. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The group has exactly one network, in a mode that gives the group its own network namespace. */
export function networkModeError(group: TaskGroup, prefix: string, allowHost: boolean): string | undefined {
  const name = group.Name ?? '';
  const networks = group.Networks ?? [];
  if (networks.length !== 1) {
    return `${prefix}: must have exactly one network for Consul Connect: group ${goQuote(name)} has ${networks.length} networks`;
  }
  const mode = networks[0]?.Mode ?? '';
  if (mode === 'bridge' || (allowHost && mode === 'host') || mode.startsWith('cni/')) return undefined;
  const allowed = allowHost ? '"bridge", "host", or "cni/*"' : '"bridge" or "cni/*"';
  return `${prefix}: invalid network mode for Consul Connect: group ${goQuote(name)} uses network mode ${goQuote(mode)}; must be ${allowed}`;
}

/**
 * The task a Connect native service runs in: the named one, or the group's only task. The error is
 * Nomad's when there is none.
 */
export function nativeTaskError(group: TaskGroup, service: Service): string | undefined {
  const groupName = group.Name ?? '';
  const serviceName = service.Name ?? '';
  const taskName = service.TaskName ?? '';
  const tasks = group.Tasks ?? [];
  if (taskName === '') {
    if (tasks.length === 1) return undefined;
    return `task for Consul Connect Native service ${groupName}->${serviceName} is ambiguous and must be set`;
  }
  if (tasks.some((t) => t.Name === taskName)) return undefined;
  return `task ${taskName} named by Consul Connect Native service ${groupName}->${serviceName} does not exist`;
}

/** Whether a transparent proxy's excluded inbound port is a port number or a reserved port's label. */
function isExcludablePort(group: TaskGroup, port: string): boolean {
  if (/^[0-9]+$/.test(port) && Number(port) <= 0xffff) return true;
  return (group.Networks ?? []).some((n) => (n.ReservedPorts ?? []).some((p) => p.Label === port));
}

function upstreamsError(group: TaskGroup): string | undefined {
  const listeners = new Map<string, string>();
  let connectBlocks = 0;
  let transparentProxy = false;
  for (const service of group.Services ?? []) {
    if (service.Connect) connectBlocks++;
    const proxy = service.Connect?.SidecarService?.Proxy;
    if (!proxy) continue;
    for (const upstream of proxy.Upstreams ?? []) {
      const socket = upstream.LocalBindSocketPath ?? '';
      const listener =
        socket === '' ? joinHostPort(upstream.LocalBindAddress ?? '', upstream.LocalBindPort ?? 0) : socket;
      const other = listeners.get(listener);
      if (other !== undefined) {
        return `Consul Connect services ${goQuote(service.Name ?? '')} and ${goQuote(other)} in group ${goQuote(group.Name ?? '')} using same address for upstreams (${listener})`;
      }
      listeners.set(listener, service.Name ?? '');
    }
    const tproxy = proxy.TransparentProxy;
    if (tproxy) {
      transparentProxy = true;
      for (const network of group.Networks ?? []) {
        const dns = network.DNS;
        const hasDns =
          (dns?.Servers ?? []).length + (dns?.Searches ?? []).length + (dns?.Options ?? []).length > 0;
        if (hasDns && !tproxy.NoDNS) {
          return 'Consul Connect transparent proxy cannot be used with network.dns unless no_dns=true';
        }
      }
      for (const port of tproxy.ExcludeInboundPorts ?? []) {
        if (!isExcludablePort(group, port)) {
          return `Consul Connect transparent proxy port ${goQuote(port)} must be numeric or one of network.port labels`;
        }
      }
    }
  }
  if (transparentProxy && connectBlocks > 1) {
    return 'Consul Connect transparent proxy requires there is only one connect block';
  }
  return undefined;
}

/** The Connect hook's validator: sidecars, natives and gateways against their group. */
export function connectValidatorError(job: Job): string | undefined {
  for (const group of job.TaskGroups ?? []) {
    const groupName = group.Name ?? '';
    for (const service of group.Services ?? []) {
      const connect = service.Connect;
      const name = service.Name ?? '';
      let error: string | undefined;
      if (connect?.SidecarService) {
        error = networkModeError(group, 'connect sidecar', false);
        // Consul assumes lowercase names for sidecar proxies without checking them.
        if (!error && name !== name.toLowerCase()) {
          error = `Consul Connect service name ${goQuote(name)} in group ${goQuote(groupName)} must not contain uppercase characters`;
        }
        if (!error && groupName !== groupName.toLowerCase()) {
          error = `Consul Connect group ${goQuote(groupName)} with service ${goQuote(name)} must not contain uppercase characters`;
        }
      } else if (connect?.Native) error = nativeTaskError(group, service);
      else if (connect?.Gateway) error = networkModeError(group, 'connect gateway', true);
      if (error) return error;
    }
    const error = upstreamsError(group);
    if (error) return error;
  }
  return undefined;
}

/** The expose-check hook's validator: exposed checks need a group service with a sidecar. */
export function exposeValidatorError(job: Job): string | undefined {
  for (const group of job.TaskGroups ?? []) {
    const groupName = group.Name ?? '';
    const exposes = (group.Services ?? []).some((s) => (s.Checks ?? []).some((c) => c.Expose));
    if (exposes) {
      const error = networkModeError(group, 'connect expose check', false);
      if (error) return error;
    }
    for (const service of group.Services ?? []) {
      for (const check of service.Checks ?? []) {
        if (check.Expose && !service.Connect?.SidecarService) {
          return `exposed service check ${groupName}->${service.Name ?? ''}->${check.Name ?? ''} requires use of sidecar_proxy`;
        }
      }
    }
    for (const task of group.Tasks ?? []) {
      for (const service of task.Services ?? []) {
        for (const check of service.Checks ?? []) {
          if (check.Expose) {
            return `exposed service check ${groupName}[${task.Name ?? ''}]->${service.Name ?? ''}->${check.Name ?? ''} is not a task-group service`;
          }
        }
      }
    }
  }
  return undefined;
}

/**
 * The Consul hook's validator, the part both editions apply: a task's Consul partition must match its
 * group's when both are set. (Open-source Nomad also refuses non-default Consul and Vault clusters,
 * Vault namespaces, NUMA affinities and task schedules as Enterprise features; Nomad Enterprise
 * accepts them, and so does this validation.)
 */
export function consulValidatorError(job: Job): string | undefined {
  for (const group of job.TaskGroups ?? []) {
    const groupPartition = group.Consul?.Partition ?? '';
    for (const task of group.Tasks ?? []) {
      const partition = task.Consul?.Partition ?? '';
      if (partition !== '' && groupPartition !== '' && partition !== groupPartition) {
        return `task.consul.partition ${goQuote(partition)} must match group.consul.partition ${goQuote(groupPartition)} if both are set`;
      }
    }
  }
  return undefined;
}

/** What a Nomad namespace allows (its Capabilities); an empty or missing list allows everything. */
export interface NamespaceCapabilities {
  EnabledTaskDrivers?: readonly string[] | null;
  DisabledTaskDrivers?: readonly string[] | null;
  EnabledNetworkModes?: readonly string[] | null;
  DisabledNetworkModes?: readonly string[] | null;
}

export interface NamespaceLimits {
  Name: string;
  Capabilities?: NamespaceCapabilities | null;
}

/** Allowed unless the disabled list names it, or an enabled list exists that does not. */
function allowedBy(
  value: string,
  enabled: readonly string[] | null | undefined,
  disabled: readonly string[] | null | undefined,
) {
  const allow = (enabled ?? []).length === 0 || (enabled ?? []).includes(value);
  return allow && !(disabled ?? []).includes(value);
}

/**
 * The namespace constraint hook's validator: the job's task drivers, then its group network modes
 * (a network without a mode is "host"), must be allowed by the namespace's capabilities.
 */
export function namespaceValidatorError(job: Job, namespace: NamespaceLimits): string | undefined {
  const c = namespace.Capabilities;
  if (!c) return undefined;
  const name = goQuote(namespace.Name);
  const drivers = (job.TaskGroups ?? [])
    .flatMap((g) => g.Tasks ?? [])
    .map((t) => t.Driver ?? '')
    .filter((driver) => !allowedBy(driver, c.EnabledTaskDrivers, c.DisabledTaskDrivers));
  if (drivers.length === 1)
    return `used task driver ${goQuote(drivers[0] ?? '')} is not allowed in namespace ${name}`;
  if (drivers.length > 1)
    return `used task drivers ${goQuotedList(drivers)} are not allowed in namespace ${name}`;
  const modes = (job.TaskGroups ?? [])
    .flatMap((g) => g.Networks ?? [])
    .map((n) => n.Mode || 'host')
    .filter((mode) => !allowedBy(mode, c.EnabledNetworkModes, c.DisabledNetworkModes));
  if (modes.length === 1) {
    return `used group network mode ${goQuote(modes[0] ?? '')} is not allowed in namespace ${name}`;
  }
  if (modes.length > 1) {
    return `used group network modes ${goQuotedList(modes)} are not allowed in namespace ${name}`;
  }
  return undefined;
}

/** jobValidate's service identity rule: an identity needs a name. */
export function serviceIdentityErrors(job: Job): string[] {
  const errors: string[] = [];
  const check = (service: Service, parent: string) => {
    if (service.Identity && (service.Identity.Name ?? '') === '') {
      errors.push(`Service ${service.Name ?? ''} in ${parent} has an identity with an empty name`);
    }
  };
  for (const group of job.TaskGroups ?? []) {
    for (const service of group.Services ?? []) check(service, `task group ${group.Name ?? ''}`);
    for (const task of group.Tasks ?? []) {
      for (const service of task.Services ?? []) check(service, `task ${task.Name ?? ''}`);
    }
  }
  return errors;
}
