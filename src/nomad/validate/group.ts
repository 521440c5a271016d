// Validation of a task group (Nomad's TaskGroup.Validate with validateNetworks, validateServices,
// validateScriptChecksInGroupServices and validateScalingPolicy).
//
// Go's TaskGroup.Validate uses `multierror.Append`, which flattens the policy blocks' lists into the
// group's list; the network, service, scaling and task checks are nested behind a prefix.
import { goQuote, goStringList } from '../go.ts';
import type { Job, Port, TaskGroup } from '../schema.ts';
import { nativeTaskError, networkModeError } from './admission.ts';
import { isDomainName } from './dns-name.ts';
import { nest } from './multierror.ts';
import { affinityErrors, constraintErrors, spreadErrors } from './placement.ts';
import {
  disconnectErrors,
  ephemeralDiskErrors,
  groupScalingErrors,
  migrateStrategyErrors,
  reschedulePolicyErrors,
  restartPolicyErrors,
  updateStrategyErrors,
} from './policies.ts';
import { serviceErrors } from './services.ts';
import { taskErrors } from './task.ts';
import { volumeRequestError } from './volumes.ts';

const MAX_PORT = 65_535;

function networkErrors(group: TaskGroup): string[] {
  const errors: string[] = [];
  const labels = new Map<string, string>();
  // host network -> static port -> who reserved it
  const staticPorts = new Map<string, Map<number, string>>();
  const reserve = (port: Port, owner: string, mayCollide: boolean) => {
    const value = port.Value ?? 0;
    if (value === 0) return;
    const hostNetwork = port.HostNetwork || 'default';
    const ports = staticPorts.get(hostNetwork) ?? new Map<number, string>();
    const other = ports.get(value);
    if (other !== undefined) {
      if (!mayCollide) errors.push(`Static port ${value} already reserved by ${other}`);
    } else if (value > MAX_PORT) {
      errors.push(`Port ${port.Label ?? ''} (${value}) cannot be greater than ${MAX_PORT}`);
    } else {
      ports.set(value, owner);
      staticPorts.set(hostNetwork, ports);
    }
  };

  const cniArgs = new Set<string>();
  for (const network of group.Networks ?? []) {
    for (const port of [...(network.ReservedPorts ?? []), ...(network.DynamicPorts ?? [])]) {
      const label = port.Label ?? '';
      const other = labels.get(label);
      if (other !== undefined) errors.push(`Port label ${label} already in use by ${other}`);
      else labels.set(label, 'taskgroup network');
      reserve(port, `taskgroup network:${label}`, port.IgnoreCollision ?? false);
      const to = port.To ?? 0;
      if (to < -1) errors.push(`Port ${goQuote(label)} cannot be mapped to negative value ${to}`);
      else if (to > MAX_PORT) {
        errors.push(`Port ${goQuote(label)} cannot be mapped to a port (${to}) greater than ${MAX_PORT}`);
      }
      const mode = network.Mode ?? '';
      if (port.IgnoreCollision && !(mode === '' || mode === 'host')) {
        errors.push(
          `Port ${goQuote(label)} collision may not be ignored on non-host network mode ${goQuote(mode)}`,
        );
      }
    }
    // CNI_ARGS is a ";"-separated "key=value" list: keys must be unique and free of ";".
    for (const [key, value] of Object.entries(network.CNI?.Args ?? {})) {
      if (cniArgs.has(key)) errors.push(`duplicate CNI arg ${goQuote(key)}`);
      else cniArgs.add(key);
      if (key.includes(';')) errors.push(`invalid ';' character in CNI arg key ${goQuote(key)}`);
      if (value.includes(';')) errors.push(`invalid ';' character in CNI arg value ${goQuote(value)}`);
    }
    // A hostname must be a DNS name, unless it interpolates something (known only on the client).
    const hostname = network.Hostname ?? '';
    if (hostname !== '' && !hostname.includes('${') && !isDomainName(hostname)) {
      errors.push('Hostname is not a valid DNS name');
    }
  }

  // Deprecated task-level networks may not reuse group labels or static ports.
  for (const task of group.Tasks ?? []) {
    for (const network of task.Resources?.Networks ?? []) {
      for (const port of [...(network.ReservedPorts ?? []), ...(network.DynamicPorts ?? [])]) {
        const label = port.Label ?? '';
        const other = labels.get(label);
        if (other !== undefined) errors.push(`Port label ${label} already in use by ${other}`);
        reserve(port, `${task.Name ?? ''}:${label}`, false);
      }
    }
  }
  return errors;
}

function groupServicesErrors(group: TaskGroup): string[] {
  const errors: string[] = [];
  const taskNames = new Set((group.Tasks ?? []).map((t) => t.Name ?? ''));
  // A service is identified by task (or "group"), name and port; the same identity twice is an error.
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const track = (task: string, name: string, port: string) => {
    const id = `${task}->${name}${port === '' ? '' : `:${port}`}`;
    if (seen.has(id) && !duplicates.includes(id)) duplicates.push(id);
    seen.add(id);
  };
  const providers = new Set<string>();

  for (const task of group.Tasks ?? []) {
    for (const service of task.Services ?? []) {
      const taskName = service.TaskName ?? '';
      if (taskName !== '' && taskName !== task.Name) {
        errors.push(
          `Service ${service.Name ?? ''} is invalid: may only specify task the service belongs to, got ${goQuote(taskName)}`,
        );
      }
      for (const check of service.Checks ?? []) {
        const checkTask = check.TaskName ?? '';
        if (checkTask !== '' && checkTask !== task.Name) {
          errors.push(
            `Check ${check.Name ?? ''} is invalid: may only specify task the check belongs to, got ${goQuote(checkTask)}`,
          );
        }
      }
      track(task.Name ?? '', service.Name ?? '', service.PortLabel ?? '');
      providers.add(service.Provider ?? '');
    }
  }

  for (const [i, service] of (group.Services ?? []).entries()) {
    const name = service.Name ?? '';
    track('group', name, service.PortLabel ?? '');
    providers.add(service.Provider ?? '');
    const invalid = nest(serviceErrors(service), `Service[${i}] ${name} validation failed: `);
    if (invalid.length > 0) {
      errors.push(...invalid);
      continue;
    }
    if (service.AddressMode === 'driver') {
      errors.push(
        `service ${goQuote(name)} cannot use address_mode="driver", only services defined in a "task" block can use this mode`,
      );
    }
    for (const check of service.Checks ?? []) {
      const checkTask = check.TaskName ?? '';
      if (checkTask === '') continue;
      if (check.AddressMode === 'driver') {
        errors.push(
          `Check ${goQuote(name)} invalid: cannot use address_mode="driver", only checks defined in a "task" service block can use this mode`,
        );
      }
      if (!taskNames.has(checkTask)) {
        errors.push(`Check ${check.Name ?? ''} invalid: refers to non-existent task ${checkTask}`);
      }
    }
  }

  // Nomad prints the duplicates as a sorted Go string slice: `[group->web:http t->db]`.
  if (duplicates.length > 0) errors.push(`Services are not unique: ${goStringList([...duplicates].sort())}`);
  if (providers.size > 1) {
    errors.push('Multiple service providers used: task group services must use the same provider');
  }
  return errors;
}

/** Group services with script checks must say which task runs the script. */
function scriptCheckErrors(group: TaskGroup): string[] {
  const errors: string[] = [];
  for (const service of group.Services ?? []) {
    if ((service.TaskName ?? '') !== '') continue;
    for (const check of service.Checks ?? []) {
      if (check.Type === 'script' && (check.TaskName ?? '') === '') {
        errors.push(
          `Service [${group.Name ?? ''}]->${service.Name ?? ''} or Check ${check.Name ?? ''} must specify task parameter`,
        );
      }
    }
  }
  return errors;
}

/**
 * How many gateway tasks Nomad's Connect admission hook adds to the group before validating it: one
 * per group service with a Connect `gateway` block, unless a task of that gateway's kind is already
 * there. The hook only looks at groups with a network. So a gateway group needs no task of its own.
 */
export function injectedGatewayTasks(group: TaskGroup): number {
  if ((group.Networks ?? []).length === 0) return 0;
  const kinds = new Set((group.Tasks ?? []).map((task) => task.Kind ?? ''));
  let injected = 0;
  for (const service of group.Services ?? []) {
    const gateway = service.Connect?.Gateway;
    if (!gateway) continue;
    const prefix = gateway.Ingress
      ? 'ingress-gateway'
      : gateway.Terminating
        ? 'terminating-gateway'
        : gateway.Mesh
          ? 'mesh-gateway'
          : '';
    if (prefix !== '' && kinds.has(`${prefix}:${service.Name ?? ''}`)) continue;
    injected++;
  }
  return injected;
}

/**
 * How many sidecar proxy tasks Nomad's Connect admission hook adds to the group: one per group service
 * with a `sidecar_service`, unless the group has that service's proxy task already (only in groups with
 * a network, as for gateways).
 */
function injectedSidecarTasks(group: TaskGroup): number {
  if ((group.Networks ?? []).length === 0) return 0;
  const kinds = new Set((group.Tasks ?? []).map((task) => task.Kind ?? ''));
  return (group.Services ?? []).filter(
    (service) => service.Connect?.SidecarService && !kinds.has(`connect-proxy:${service.Name ?? ''}`),
  ).length;
}

/**
 * The error of the first of Nomad's admission mutators that fails, with the mutator's own wording
 * (`error in job mutator connect: …`, `error in job mutator expose-check: …`): such an error stops a
 * registration before validation. The Connect mutator runs first, then the expose-check one.
 */
export function connectMutatorError(job: Job): string | undefined {
  for (const group of job.TaskGroups ?? []) {
    if ((group.Networks ?? []).length === 0) continue;
    for (const service of group.Services ?? []) {
      const connect = service.Connect;
      if (connect?.SidecarService) continue;
      if (connect?.Native) {
        const error = nativeTaskError(group, service);
        if (error) return `error in job mutator connect: ${error}`;
      } else if (connect?.Gateway?.Mesh && (service.PortLabel ?? '') === '') {
        return 'error in job mutator connect: service.port must be set for mesh gateway service';
      }
    }
  }
  const exposeError = exposeMutatorError(job);
  return exposeError === undefined ? undefined : `error in job mutator expose-check: ${exposeError}`;
}

/**
 * The expose-check mutator turns each exposed HTTP or gRPC check (with an absolute path) of a sidecar
 * service into an expose path, which needs the group's one bridge network and the port the service
 * listens on inside it: a static port's value or a numeric service port.
 */
function exposeMutatorError(job: Job): string | undefined {
  for (const group of job.TaskGroups ?? []) {
    for (const service of group.Services ?? []) {
      if (!service.Connect?.SidecarService) continue;
      for (const check of service.Checks ?? []) {
        if (!check.Expose) continue;
        const type = (check.Type ?? '').toLowerCase();
        if (!(type === 'http' || type === 'grpc') || !(check.Path ?? '').startsWith('/')) continue;
        const modeError = networkModeError(group, 'connect expose check', false);
        if (modeError) return modeError;
        const portLabel = service.PortLabel ?? '';
        if (
          staticPortValue(group, portLabel) <= 0 &&
          !(/^[+-]?[0-9]+$/.test(portLabel) && Number(portLabel) > 0)
        ) {
          return `unable to determine local service port for service check ${group.Name ?? ''}->${service.Name ?? ''}->${check.Name ?? ''}`;
        }
      }
    }
  }
  return undefined;
}

/** The host port value of the group port with this label (Nomad's Networks.Port), 0 when none. */
function staticPortValue(group: TaskGroup, label: string): number {
  for (const network of group.Networks ?? []) {
    const port = [...(network.ReservedPorts ?? []), ...(network.DynamicPorts ?? [])].find(
      (p) => p.Label === label,
    );
    if (port) return port.Value ?? 0;
  }
  return 0;
}

/** A task without a lifecycle hook is a main task; every group needs one. */
function isMainTask(task: { Lifecycle?: { Hook?: string } }): boolean {
  return !task.Lifecycle || (task.Lifecycle.Hook ?? '') === '';
}

export function groupErrors(group: TaskGroup, job: Job): string[] {
  const errors: string[] = [];
  const jobType = job.Type ?? '';
  const name = group.Name ?? '';
  if (name === '') errors.push('Missing task group name');
  else if (name.includes('\0')) errors.push('Task group name contains null character');
  if ((group.Count ?? 0) < 0) errors.push("Task group count can't be negative");
  // Gateway tasks injected by Nomad's Connect admission hook are main tasks of the group; injected
  // sidecar proxies are tasks too, but prestart ones.
  const injected = injectedGatewayTasks(group);
  const tasks = (group.Tasks ?? []).length + injected + injectedSidecarTasks(group);
  if (tasks === 0) errors.push('Missing tasks for task group');
  if (group.Disconnect) errors.push(...disconnectErrors(group.Disconnect, jobType));
  if (group.MaxRunDuration !== undefined) {
    if (group.MaxRunDuration <= 0) errors.push('MaxRunDuration must be greater than zero');
    if (jobType !== 'batch' && jobType !== 'sysbatch') {
      errors.push(`Job type ${goQuote(jobType)} does not allow max_run_duration`);
    }
  }

  for (const [i, constraint] of (group.Constraints ?? []).entries()) {
    errors.push(...nest(constraintErrors(constraint), `Constraint ${i + 1} validation failed: `));
  }
  if (jobType === 'system') {
    if (group.Affinities !== undefined) errors.push('System jobs may not have an affinity block');
  } else {
    for (const [i, affinity] of (group.Affinities ?? []).entries()) {
      errors.push(...nest(affinityErrors(affinity), `Affinity ${i + 1} validation failed: `));
    }
  }

  if (group.RestartPolicy) errors.push(...restartPolicyErrors(group.RestartPolicy));
  else errors.push(`Task Group ${name} should have a restart policy`);

  if (jobType === 'system') {
    if (group.Spreads !== undefined) errors.push('System jobs may not have a spread block');
  } else {
    for (const [i, spread] of (group.Spreads ?? []).entries()) {
      errors.push(...nest(spreadErrors(spread), `Spread ${i + 1} validation failed: `));
    }
  }

  if (jobType === 'system' || jobType === 'sysbatch') {
    if (group.ReschedulePolicy) errors.push('System or sysbatch jobs should not have a reschedule policy');
  } else if (group.ReschedulePolicy) errors.push(...reschedulePolicyErrors(group.ReschedulePolicy));
  else errors.push(`Task Group ${name} should have a reschedule policy`);

  if (group.EphemeralDisk) errors.push(...ephemeralDiskErrors(group.EphemeralDisk));
  else errors.push(`Task Group ${name} should have an ephemeral disk object`);

  if (group.Update) {
    if (jobType !== 'service' && jobType !== 'system') {
      errors.push(`Job type ${goQuote(jobType)} does not allow update block`);
    }
    errors.push(...updateStrategyErrors(group.Update));
  }

  if (jobType === 'service') {
    if (group.Migrate) errors.push(...migrateStrategyErrors(group.Migrate));
  } else if (group.Migrate) errors.push(`Job type ${goQuote(jobType)} does not allow migrate block`);

  const taskIndex = new Map<string, number>();
  let leaders = 0;
  let mainTasks = 0;
  for (const [i, task] of (group.Tasks ?? []).entries()) {
    const taskName = task.Name ?? '';
    const existing = taskIndex.get(taskName);
    if (taskName === '') errors.push(`Task ${i + 1} missing name`);
    else if (existing !== undefined)
      errors.push(`Task ${i + 1} redefines '${taskName}' from task ${existing + 1}`);
    else taskIndex.set(taskName, i);
    if (task.Leader) leaders++;
    if (isMainTask(task)) mainTasks++;
  }
  if (leaders > 1) errors.push('Only one task may be marked as leader');
  if (tasks > 0 && mainTasks + injected === 0) {
    errors.push(`Task group ${name} must have at least one main task`);
  }

  const canaries = group.Update?.Canary ?? 0;
  for (const [volumeName, volume] of Object.entries(group.Volumes ?? {})) {
    const error = volumeRequestError(volume, jobType, group.Count ?? 0, canaries);
    if (error) errors.push(`Task group volume validation for ${volumeName} failed: ${error}`);
  }

  errors.push(...nest(networkErrors(group), 'Task group network validation failed: '));
  errors.push(...nest(groupServicesErrors(group), 'Task group service validation failed: '));
  errors.push(...nest(scriptCheckErrors(group), 'Task group service check validation failed: '));
  errors.push(...nest(groupScalingErrors(group, job), 'Task group scaling policy validation failed: '));
  for (const task of group.Tasks ?? []) {
    errors.push(...nest(taskErrors(task, group, jobType), `Task ${task.Name ?? ''} validation failed: `));
  }
  return errors;
}
