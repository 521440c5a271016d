// Validation of a task and its blocks (Nomad's Task.Validate with Resources, LogConfig, Template,
// TaskArtifact, Lifecycle, DispatchPayload, Vault and the task-level service checks).
//
// Go's Task.Validate appends nested validators' multierrors without flattening them, so their text
// appears nested in the task's list (`nest`); the blocks that return plain errors add plain entries.
import { formatGoDuration as d } from '../duration.ts';
import { goPathClean, goQuote, goStringList } from '../go.ts';
import type {
  EphemeralDisk,
  LogConfig,
  NetworkResource,
  RequestedDevice,
  Resources,
  Secret,
  Task,
  TaskArtifact,
  TaskGroup,
  Template,
  WorkloadIdentity,
} from '../schema.ts';
import { formatMultiError, nest } from './multierror.ts';
import { affinityErrors, constraintErrors } from './placement.ts';
import { goQuoteAscii, serviceErrors } from './services.ts';
import { volumeMountError } from './volumes.ts';

/** Nomad's escapingfs.PathEscapesAllocViaRelative: does `prefix/path` leave the allocation dir? */
export function escapesAllocDir(prefix: string, path: string): boolean {
  const alloc = '/alloc-dir/alloc-id';
  const target = goPathClean(`${alloc}/${prefix}/${path}`);
  if (target === alloc || target.startsWith(`${alloc}/`)) {
    // Inside: the relative path starts with ".." only for names like "..foo", which Nomad's
    // string-prefix check also flags.
    return target.slice(alloc.length + 1).startsWith('..');
  }
  return true;
}

/** An interpolation such as `${NOMAD_META_x}` (Nomad's args.ContainsEnv). */
function containsEnv(value: string): boolean {
  return /\$\{[a-zA-Z0-9_\-.]+\}/.test(value);
}

/** RequestedDevice.Validate. */
function deviceErrors(device: RequestedDevice): string[] {
  const errors: string[] = [];
  if ((device.Name ?? '') === '') {
    errors.push('device name must be given as one of the following: type, vendor/type, or vendor/type/name');
  }
  for (const [i, constraint] of (device.Constraints ?? []).entries()) {
    const operand = constraint.Operand ?? '';
    if (operand === 'distinct_hosts' || operand === 'distinct_property') {
      errors.push(`Constraint ${i + 1} validation failed: using unsupported operand ${goQuote(operand)}`);
    } else errors.push(...nest(constraintErrors(constraint), `Constraint ${i + 1} validation failed: `));
  }
  for (const [i, affinity] of (device.Affinities ?? []).entries()) {
    errors.push(...nest(affinityErrors(affinity), `Affinity ${i + 1} validation failed: `));
  }
  return errors;
}

function resourcesErrors(r: Resources): string[] {
  const errors: string[] = [];
  const cpu = r.CPU ?? 0;
  const cores = r.Cores ?? 0;
  const memory = r.MemoryMB ?? 0;
  const memoryMax = r.MemoryMaxMB ?? 0;
  const secrets = r.SecretsMB ?? 0;
  if (cores > 0 && cpu > 0) errors.push("Task can only ask for 'cpu' or 'cores' resource, not both.");
  if (cores < 0) errors.push(`cores value (${cores}) cannot be negative`);
  const minimums: string[] = [];
  if (cpu < 1 && cores === 0) minimums.push(`minimum CPU value is 1; got ${cpu}`);
  if (memory < 10) minimums.push(`minimum MemoryMB value is 10; got ${memory}`);
  errors.push(...nest(minimums));
  if ((r.DiskMB ?? 0) > 0) {
    errors.push("Task can't ask for disk resources, they have to be specified at the task group level.");
  }
  for (const [i, device] of (r.Devices ?? []).entries()) {
    errors.push(...nest(deviceErrors(device), `device ${i + 1} failed validation: `));
  }
  const devices = new Set((r.Devices ?? []).map((device) => device.Name ?? ''));
  for (const numaDevice of r.NUMA?.Devices ?? []) {
    if (!devices.has(numaDevice))
      errors.push(`numa device ${goQuote(numaDevice)} not requested as task resource`);
  }
  if (r.NUMA && !['none', 'prefer', 'require'].includes(r.NUMA.Affinity ?? '')) {
    errors.push('numa affinity must be one of none, prefer, or require');
  }
  // 0 and -1 are sentinels for "no memory_max".
  if (memoryMax !== 0 && memoryMax !== -1 && memoryMax < memory) {
    errors.push(`MemoryMaxMB value (${memoryMax}) should be larger than MemoryMB value (${memory})`);
  }
  if (secrets > memory)
    errors.push(`SecretsMB value (${secrets}) cannot be larger than MemoryMB value (${memory})`);
  if (secrets < 0) errors.push(`SecretsMB value (${secrets}) cannot be negative`);
  return errors;
}

function logConfigErrors(l: LogConfig, disk: EphemeralDisk | undefined): string[] {
  const errors: string[] = [];
  const files = l.MaxFiles ?? 0;
  const size = l.MaxFileSizeMB ?? 0;
  if (files < 1) errors.push(`minimum number of files is 1; got ${files}`);
  if (size < 1) errors.push(`minimum file size is 1MB; got ${size}`);
  if (disk) {
    const usage = files * size;
    const diskSize = disk.SizeMB ?? 0;
    if (diskSize <= usage) {
      errors.push(`log storage (${usage} MB) must be less than requested disk capacity (${diskSize} MB)`);
    }
  }
  return errors;
}

/** Go's strconv.ParseUint(perms, 8, 12) error, if any. */
function octalPermsError(perms: string): string | undefined {
  if (!/^[0-7]+$/.test(perms)) return `strconv.ParseUint: parsing ${goQuote(perms)}: invalid syntax`;
  if (Number.parseInt(perms, 8) > 0o7777)
    return `strconv.ParseUint: parsing ${goQuote(perms)}: value out of range`;
  return undefined;
}

function templateErrors(t: Template): string[] {
  const errors: string[] = [];
  if ((t.SourcePath ?? '') === '' && (t.EmbeddedTmpl ?? '') === '') {
    errors.push('Must specify a source path or have an embedded template');
  }
  if ((t.DestPath ?? '') === '') errors.push('Must specify a destination for the template');
  if (escapesAllocDir('task', t.DestPath ?? '')) errors.push('destination escapes allocation directory');
  switch (t.ChangeMode ?? '') {
    case 'noop':
    case 'restart':
      break;
    case 'signal':
      if ((t.ChangeSignal ?? '') === '') errors.push('Must specify signal value when change mode is signal');
      if (t.Envvars) errors.push('cannot use signals with env var templates');
      break;
    case 'script':
      if (!t.ChangeScript)
        errors.push('must specify change script configuration value when change mode is script');
      else if ((t.ChangeScript.Command ?? '') === '') {
        errors.push('must specify script path value when change mode is script');
      }
      break;
    default:
      errors.push('Invalid change mode. Must be one of the following: noop, signal, script, restart');
  }
  if ((t.Splay ?? 0) < 0) errors.push('Must specify positive splay value');
  const perms = t.Perms ?? '';
  const permsError = perms === '' ? undefined : octalPermsError(perms);
  if (permsError) errors.push(`Failed to parse ${goQuote(perms)} as octal: ${permsError}`);
  const wait = t.Wait;
  if (wait?.Min !== undefined && wait.Max !== undefined && wait.Min > wait.Max) {
    errors.push(`wait min ${d(wait.Min)} is greater than max ${d(wait.Max)}`);
  }
  return errors;
}

const CHECKSUM_BYTES: Record<string, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

function checksumError(checksum: string | undefined): string | undefined {
  if (checksum === undefined || containsEnv(checksum)) return undefined;
  const check = checksum.trim();
  if (check === '') return 'checksum value cannot be empty';
  const parts = check.split(':');
  if (parts.length !== 2) return `checksum must be given as "type:value"; got ${goQuote(check)}`;
  const [type = '', value = ''] = parts;
  const badByte = value.match(/[^0-9a-fA-F]/);
  if (badByte) {
    const code = (badByte[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return `invalid checksum: encoding/hex: invalid byte: U+${code} '${badByte[0]}'`;
  }
  if (value.length % 2 === 1) return 'invalid checksum: encoding/hex: odd length hex string';
  const expected = CHECKSUM_BYTES[type];
  if (expected === undefined) return `unsupported checksum type: ${type}`;
  if (value.length / 2 !== expected) return `invalid ${type} checksum: ${value}`;
  return undefined;
}

function artifactErrors(a: TaskArtifact): string[] {
  const errors: string[] = [];
  if ((a.GetterSource ?? '') === '') errors.push('source must be specified');
  const mode = a.GetterMode ?? '';
  if (!['', 'any', 'file', 'dir'].includes(mode)) {
    errors.push(`invalid artifact mode ${goQuote(mode)}; must be one of: any, file, dir`);
  }
  if (escapesAllocDir('task', a.RelativeDest ?? '')) errors.push('destination escapes allocation directory');
  const checksum = checksumError(a.GetterOptions?.checksum);
  if (checksum) errors.push(checksum);
  return errors;
}

function portLabels(networks: readonly NetworkResource[] | undefined): string[] {
  return (networks ?? []).flatMap((n) =>
    [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])].map((p) => p.Label ?? ''),
  );
}

/** Nomad's validateServices: the task's services, their checks and the ports they name. */
function taskServicesErrors(task: Task, groupNetworks: readonly NetworkResource[] | undefined): string[] {
  const errors: string[] = [];
  const servicesByPort = new Map<string, Set<string>>();
  const usePort = (label: string, service: string) => {
    const names = servicesByPort.get(label) ?? new Set<string>();
    names.add(service);
    servicesByPort.set(label, names);
  };
  const known = new Set<string>();

  for (const [i, service] of (task.Services ?? []).entries()) {
    const name = service.Name ?? '';
    const portLabel = service.PortLabel ?? '';
    errors.push(...nest(serviceErrors(service), `service[${i}] ${goQuoteAscii(name)} validation failed: `));
    for (const mode of ['alloc', 'alloc_ipv6']) {
      if (service.AddressMode === mode) {
        errors.push(
          `service ${goQuote(name)} cannot use address_mode="${mode}", only services defined in a "group" block can use this mode`,
        );
      }
    }
    if (known.has(name + portLabel)) errors.push(`service ${goQuote(name)} is duplicate`);
    known.add(name + portLabel);
    // A numeric port is a literal port number, allowed with address_mode "driver".
    if (portLabel !== '' && !(service.AddressMode === 'driver' && /^[+-]?\d+$/.test(portLabel))) {
      usePort(portLabel, name);
    }
    if (service.Connect) {
      errors.push(
        `service ${goQuote(name)} cannot have "connect" block, only services defined in a "group" block can`,
      );
    }

    const knownChecks = new Set<string>();
    for (const check of service.Checks ?? []) {
      const checkName = check.Name ?? '';
      if (knownChecks.has(checkName)) errors.push(`check ${goQuote(checkName)} is duplicate`);
      knownChecks.add(checkName);
      for (const mode of ['alloc', 'alloc_ipv6']) {
        if (check.AddressMode === mode) {
          errors.push(
            `check ${goQuote(name)} cannot use address_mode="${mode}", only checks defined in a "group" service block can use this mode`,
          );
        }
      }
      if (!['grpc', 'http', 'tcp'].includes(check.Type ?? '')) continue;
      const port = (check.PortLabel ?? '') || portLabel;
      if (port === '') {
        errors.push(`check ${goQuote(checkName)} is missing a port`);
        continue;
      }
      const numeric = /^[+-]?\d+$/.test(port) ? Number(port) : undefined;
      if (check.AddressMode === 'driver' && numeric !== undefined) {
        if (numeric <= 0) errors.push(`check ${goQuote(checkName)} has invalid numeric port ${numeric}`);
        continue;
      }
      if (numeric !== undefined) {
        errors.push(
          `check ${goQuote(checkName)} cannot use a numeric port ${numeric} without setting address_mode="driver"`,
        );
        continue;
      }
      usePort(port, name);
    }
  }

  // Group ports count only from the first group network, as in Nomad; task networks are deprecated
  // but still honoured.
  const labels = new Set([
    ...portLabels(groupNetworks?.slice(0, 1)),
    ...portLabels(task.Resources?.Networks),
  ]);
  for (const port of [...servicesByPort.keys()].sort()) {
    if (!labels.has(port)) {
      const names = [...(servicesByPort.get(port) ?? [])].sort().join(', ');
      errors.push(`port label ${goQuote(port)} referenced by services ${names} does not exist`);
    }
  }
  return errors;
}

/**
 * Go's helper.IsSubdirectory(parent, path): whether filepath.Rel(parent, path) does not start with
 * "..". Rel fails (so: false) when only one of the two paths is absolute.
 */
function isSubdirectory(parent: string, path: string): boolean {
  if (parent.startsWith('/') !== path.startsWith('/')) return false;
  const base = goPathClean(parent);
  const target = goPathClean(path);
  if (base === target) return true;
  if (base === '.') return !target.startsWith('..');
  const prefix = base === '/' ? '/' : `${base}/`;
  return target.startsWith(prefix) && !target.slice(prefix.length).startsWith('..');
}

/** WorkloadIdentity.Validate. */
function workloadIdentityErrors(identity: WorkloadIdentity): string[] {
  const errors: string[] = [];
  const name = identity.Name ?? '';
  if (!/^[a-zA-Z0-9_-]{1,128}$/.test(name)) {
    errors.push(`invalid name ${goQuote(name)}. Must match regex ^[a-zA-Z0-9-_]{1,128}$`);
  }
  for (const [i, audience] of (identity.Audience ?? []).entries()) {
    if (audience === '') errors.push(`an empty string is an invalid audience (${i + 1})`);
  }
  const changeMode = identity.ChangeMode ?? '';
  const changeSignal = identity.ChangeSignal ?? '';
  if (changeMode === '' || changeMode === 'noop' || changeMode === 'restart') {
    if (changeSignal !== '') {
      errors.push(`can only use change_signal=${goQuote(changeSignal)} with change_mode="signal"`);
    }
  } else if (changeMode === 'signal') {
    if (changeSignal === '') errors.push('change_signal must be specified when using change_mode="signal"');
  } else errors.push(`invalid change_mode: ${changeMode}`);
  const ttl = identity.TTL ?? 0;
  if (ttl > 0 && (name === '' || name === 'default'))
    errors.push('ttl for default identity not yet supported');
  if (ttl < 0) errors.push('ttl must be >= 0');
  if ((identity.Filepath ?? '') !== '' && !identity.File) {
    errors.push('file parameter must be true in order to specify filepath');
  }
  return errors;
}

/** Secret.Validate. */
function secretErrors(secret: Secret): string[] {
  const errors: string[] = [];
  const name = secret.Name ?? '';
  const provider = secret.Provider ?? '';
  if (name === '') errors.push('secret name cannot be empty');
  if (!/^[a-zA-Z0-9_]{1,128}$/.test(name)) errors.push('secret name must match regex ^[a-zA-Z0-9_]{1,128}$');
  if (provider === '') errors.push('secret provider cannot be empty');
  if ((secret.Path ?? '') === '') errors.push('secret path cannot be empty');
  if (provider === 'nomad' || provider === 'vault') {
    if (Object.keys(secret.Env ?? {}).length > 0)
      errors.push(`${provider} provider cannot use the env block`);
  } else if (Object.keys(secret.Config ?? {}).length > 0) {
    errors.push(`custom plugin provider ${provider} cannot use the config block`);
  }
  return errors;
}

function lifecycleError(hook: string): string | undefined {
  if (['prestart', 'poststart', 'poststop'].includes(hook)) return undefined;
  return hook === '' ? 'no lifecycle hook provided' : `invalid hook: ${hook}`;
}

export function taskErrors(task: Task, group: TaskGroup, jobType: string): string[] {
  const errors: string[] = [];
  const name = task.Name ?? '';
  if (name === '') errors.push('Missing task name');
  if (name === 'alloc') errors.push('Task cannot be named "alloc"');
  if (/[/\\]/.test(name)) errors.push('Task name cannot include slashes');
  else if (name.includes('\0')) errors.push('Task name cannot include null characters');
  if ((task.Driver ?? '') === '') errors.push('Missing task driver');

  const killTimeout = task.KillTimeout ?? 0;
  if (killTimeout < 0) errors.push('KillTimeout must be a positive value');
  else {
    // A service task must be able to stop within the deployment's progress deadline.
    const progressDeadline = group.Update?.ProgressDeadline ?? 0;
    if (jobType === 'service' && group.Update && progressDeadline > 0 && killTimeout > progressDeadline) {
      errors.push(
        `KillTimout (${d(killTimeout)}) longer than the group's ProgressDeadline (${d(progressDeadline)})`,
      );
    }
  }
  if ((task.ShutdownDelay ?? 0) < 0) errors.push('ShutdownDelay must be a positive value');

  if (!task.Resources) errors.push('Missing task resources');
  else errors.push(...nest(resourcesErrors(task.Resources)));
  if (!task.LogConfig) errors.push('Missing Log Config');
  else errors.push(...nest(logConfigErrors(task.LogConfig, group.EphemeralDisk)));

  for (const [i, constraint] of (task.Constraints ?? []).entries()) {
    errors.push(...nest(constraintErrors(constraint), `Constraint ${i + 1} validation failed: `));
    const operand = constraint.Operand ?? '';
    if (operand === 'distinct_hosts' || operand === 'distinct_property') {
      errors.push(`Constraint ${i + 1} has disallowed Operand at task level: ${operand}`);
    }
  }
  if (jobType === 'system') {
    if (task.Affinities !== undefined) errors.push('System jobs may not have an affinity block');
  } else {
    for (const [i, affinity] of (task.Affinities ?? []).entries()) {
      errors.push(...nest(affinityErrors(affinity), `Affinity ${i + 1} validation failed: `));
    }
  }

  errors.push(...nest(taskServicesErrors(task, group.Networks)));

  for (const [i, artifact] of (task.Artifacts ?? []).entries()) {
    errors.push(...nest(artifactErrors(artifact), `Artifact ${i + 1} validation failed: `));
  }

  if (task.Vault) {
    const mode = task.Vault.ChangeMode ?? '';
    const vaultErrors: string[] = [];
    if (mode === 'signal') {
      if ((task.Vault.ChangeSignal ?? '') === '') {
        vaultErrors.push('Signal must be specified when using change mode "signal"');
      }
    } else if (mode !== 'noop' && mode !== 'restart') {
      vaultErrors.push(`Unknown change mode ${goQuote(mode)}`);
    }
    errors.push(...nest(vaultErrors, 'Vault validation failed: '));
  }

  const destinations = new Map<string, number>();
  for (const [i, template] of (task.Templates ?? []).entries()) {
    errors.push(...nest(templateErrors(template), `Template ${i + 1} validation failed: `));
    const dest = template.DestPath ?? '';
    const other = destinations.get(dest);
    if (other !== undefined) errors.push(`Template ${i + 1} has same destination as ${other}`);
    else destinations.set(dest, i + 1);
  }

  const actions = new Map<string, boolean>();
  for (const action of task.Actions ?? []) {
    const actionName = action.Name ?? '';
    const actionErrors: string[] = [];
    if ((action.Command ?? '') === '') actionErrors.push('command cannot be empty');
    // Go's \s is ASCII whitespace only, and 128 counts characters, not UTF-16 units.
    if (!/^[^\0\t\n\f\r ]{1,128}$/u.test(actionName)) actionErrors.push(`invalid name '${actionName}'`);
    errors.push(...nest(actionErrors, `Action ${actionName} validation failed: `));
    // Nomad reports every second repetition of a name (2nd, 4th, …); reproduced as is.
    if (actions.get(actionName) === false) {
      errors.push(`Action ${actionName} defined multiple times`);
      actions.set(actionName, true);
    } else actions.set(actionName, false);
  }

  if (task.DispatchPayload && escapesAllocDir('task/local/', task.DispatchPayload.File ?? '')) {
    errors.push('Dispatch Payload validation failed: destination escapes allocation directory');
  }
  if (task.Lifecycle) {
    const error = lifecycleError(task.Lifecycle.Hook ?? '');
    if (error) errors.push(`Lifecycle validation failed: ${error}`);
  }

  // A task of kind "connect-proxy:<service>" is the sidecar proxy of a group service.
  const kind = task.Kind ?? '';
  const proxyPrefix = 'connect-proxy:';
  if (kind.startsWith(proxyPrefix) && kind.length > proxyPrefix.length) {
    if ((task.Services ?? []).length > 0) errors.push('Connect proxy task must not have a service block');
    if (task.Leader) errors.push('Connect proxy task must not have leader set');
    const proxied = kind.slice(proxyPrefix.length);
    const sidecarServices = (group.Services ?? []).filter((s) => s.Connect?.SidecarService);
    if (!sidecarServices.some((s) => s.Name === proxied)) {
      errors.push(
        sidecarServices.length === 0
          ? `No Connect services in task group with Connect proxy (${goQuote(proxied)})`
          : `Connect proxy service name (${goQuote(proxied)}) not found in Connect services from task group: ${goStringList(
              sidecarServices.map((s) => s.Name ?? ''),
            )}`,
      );
    }
  }

  for (const [i, mount] of (task.VolumeMounts ?? []).entries()) {
    const volume = mount.Volume ?? '';
    if (!Object.hasOwn(group.Volumes ?? {}, volume)) {
      errors.push(`Volume Mount (${i}) references undefined volume ${volume}`);
    }
    const error = volumeMountError(mount);
    if (error) errors.push(`Volume Mount (${i}) is invalid: "${error}"`);
  }

  const csi = task.CSIPluginConfig;
  if (csi) {
    if ((csi.ID ?? '') === '') errors.push('CSIPluginConfig must have a non-empty PluginID');
    if (!['node', 'controller', 'monolith'].includes(csi.Type ?? '')) {
      errors.push(
        `CSIPluginConfig PluginType must be one of 'node', 'controller', or 'monolith', got: "${csi.Type ?? ''}"`,
      );
    }
    const stageDir = csi.StagePublishBaseDir ?? '';
    const mountDir = csi.MountDir ?? '';
    if (stageDir !== '' && mountDir !== '' && isSubdirectory(mountDir, stageDir)) {
      errors.push(
        `CSIPluginConfig StagePublishBaseDir must not be a subdirectory of MountDir, got: StagePublishBaseDir="${stageDir}" MountDir="${mountDir}"`,
      );
    }
  }

  if (task.Identity) {
    const identityErrors = workloadIdentityErrors(task.Identity);
    if (identityErrors.length > 0) {
      errors.push(
        `Identity ${goQuote(task.Identity.Name ?? '')} is invalid: ${formatMultiError(identityErrors)}`,
      );
    }
  }
  for (const identity of task.Identities ?? []) {
    if (identity.Name === 'default') errors.push('Duplicate default identities found');
    const identityErrors = workloadIdentityErrors(identity);
    if (identityErrors.length > 0) {
      errors.push(`Identity ${goQuote(identity.Name ?? '')} is invalid: ${formatMultiError(identityErrors)}`);
    }
  }

  const secrets = new Set<string>();
  for (const secret of task.Secrets ?? []) {
    const secretName = secret.Name ?? '';
    if (secrets.has(secretName)) errors.push(`Duplicate secret ${goQuote(secretName)} found`);
    secrets.add(secretName);
    if (secret.Provider === 'vault' && !task.Vault) {
      errors.push(`Secret ${goQuote(secretName)} has provider "vault" but no vault block`);
    }
    const invalid = secretErrors(secret);
    if (invalid.length > 0) {
      errors.push(`Secret ${goQuote(secretName)} is invalid: ${formatMultiError(invalid)}`);
    }
  }
  return errors;
}
