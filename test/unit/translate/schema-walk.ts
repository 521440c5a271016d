// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad attribute references are literal "${…}" text
// The schema walk behind schema-walk.test.ts: every leaf field of the Nomad job model, set to a valid
// non-default value on a realistic job, translated and compared with the translation of the same job
// without it. A field "does something" when the objects change, or a warning that names the field,
// something in it or a block holding it appears or disappears with the value, or the block holding it
// is reported as a whole (a check that is not converted, a Vault block, a block the walk added).
// Job-level update, reschedule and migrate blocks act through the groups' copies (canonicalization
// merges them), so warnings at the group's copy count. Pure and deterministic: no I/O, no clock.
//
// Six variants of one web job: service, batch, periodic batch, a dispatched child of a parameterized
// job, system and sysbatch, so that type-specific fields have a job where they mean something.
//
// How a field is set: its path (`TaskGroups[].Tasks[].Templates[].Splay`) is followed from the job
// root, list steps take element 0 and map steps the first key; a block that the job lacks on the way
// is added from SEEDS (a minimal valid block), and that job with its seeds is the baseline ("context")
// the field is compared against, so `Templates[].Splay` is compared with the same job holding the
// same template. The value comes from VALUES, or from the field's Go type, and always differs from
// what the canonical context already holds.
import type { KubernetesObject } from '@kubernetes/client-node';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { type FieldInfo, jobFields } from '../../../src/nomad/schema/introspect.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { parseJobJson, validateJob } from '../../../src/nomad/validate.ts';
import { conversionFor } from '../../../src/translate/conversion-table.ts';
import { translate } from '../../../src/translate/index.ts';
import type { TranslateOptions, Warning } from '../../../src/translate/types.ts';

type Obj = Record<string, unknown>;

const SECOND = 1_000_000_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

// ---------------------------------------------------------------------------------------------------
// The jobs

export const VARIANTS = ['service', 'batch', 'periodic', 'dispatched', 'system', 'sysbatch'] as const;
export type Variant = (typeof VARIANTS)[number];

/** A web service as a jobspec writes it: one group, a port, a checked service, one docker task. */
function serviceJob(): Obj {
  return {
    ID: 'web',
    Name: 'web',
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'app',
        Count: 2,
        Networks: [
          {
            Mode: 'bridge',
            DynamicPorts: [
              { Label: 'http', To: 8080 },
              { Label: 'admin', To: 9000 },
            ],
          },
        ],
        Services: [
          {
            Name: 'web',
            PortLabel: 'http',
            Provider: 'consul',
            Checks: [
              { Name: 'alive', Type: 'http', Path: '/health', Interval: 10 * SECOND, Timeout: 2 * SECOND },
            ],
          },
        ],
        Tasks: [
          {
            Name: 'server',
            Driver: 'docker',
            Config: { image: 'nginx:1.27', ports: ['http'] },
            Env: { LOG_LEVEL: 'info' },
            Resources: { CPU: 200, MemoryMB: 256 },
          },
        ],
      },
    ],
  };
}

function group0(job: Obj): Obj {
  return (job.TaskGroups as Obj[])[0] as Obj;
}

/** The raw (not canonical) job of a variant: the service job, retyped where the type needs it. */
export function variantJob(variant: Variant): Obj {
  const job = serviceJob();
  const group = group0(job);
  switch (variant) {
    case 'service':
      break;
    case 'batch':
      job.Type = 'batch';
      break;
    case 'periodic':
      job.Type = 'batch';
      job.Periodic = { Spec: '*/15 * * * *' };
      group.Count = 1;
      break;
    case 'dispatched':
      job.Type = 'batch';
      job.ID = 'web/dispatch-1700000000-0a1b2c3d';
      job.ParentID = 'web';
      job.Dispatched = true;
      job.ParameterizedJob = { Payload: 'optional', MetaOptional: ['release'] };
      group.Count = 1;
      break;
    case 'system':
      job.Type = 'system';
      delete group.Count;
      break;
    case 'sysbatch':
      job.Type = 'sysbatch';
      delete group.Count;
      break;
  }
  return job;
}

export function variantOptions(variant: Variant): TranslateOptions {
  return variant === 'dispatched'
    ? { namespace: 'apps', dispatch: { payloadSecretName: 'web-dispatch-payload' } }
    : { namespace: 'apps' };
}

// ---------------------------------------------------------------------------------------------------
// Seeds: a minimal valid block for every block a field path may need, by pattern. A seed may also
// adjust the block that holds it (`parent`) when Nomad only accepts the block together with a sibling.

type Seed = (parent: Obj, job: Obj) => unknown;

const constraint = () => ({ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' });
const affinity = () => ({ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=', Weight: 50 });
const spread = () => ({ Attribute: '${node.unique.name}' });
const task = (name: string) => ({
  Name: name,
  Driver: 'docker',
  Config: { image: 'busybox:1.37', command: 'sleep', args: ['infinity'] },
});

/**
 * Two group volumes, a host one and a CSI one (`cache` sorts first, so map steps reach the CSI
 * volume), mounted by the first task unless it mounts something already.
 */
function ensureVolumes(job: Obj, mount: boolean): void {
  const group = group0(job);
  group.Volumes ??= {
    data: { Name: 'data', Type: 'host', Source: 'data' },
    cache: {
      Name: 'cache',
      Type: 'csi',
      Source: 'cache',
      // Shared by the group's allocations: Nomad refuses a single-node mode for a count above 1.
      AccessMode: 'multi-node-multi-writer',
      AttachmentMode: 'file-system',
    },
  };
  const first = (group.Tasks as Obj[])[0] as Obj;
  if (mount && first.VolumeMounts === undefined) {
    first.VolumeMounts = [
      { Volume: 'data', Destination: '/data' },
      { Volume: 'cache', Destination: '/cache' },
    ];
  }
}

/** A terminating gateway's service with TLS: Nomad wants a CA beside a certificate or SNI. */
const linkedService = () => ({ Name: 'db', CAFile: '/ca.pem', CertFile: '/cert.pem', KeyFile: '/key.pem' });

export const SEEDS: Readonly<Record<string, Seed>> = {
  'Constraints[]': constraint,
  'TaskGroups[].Constraints[]': constraint,
  'TaskGroups[].Tasks[].Constraints[]': constraint,
  'Affinities[]': affinity,
  'TaskGroups[].Affinities[]': affinity,
  'TaskGroups[].Tasks[].Affinities[]': affinity,
  'Spreads[]': spread,
  'TaskGroups[].Spreads[]': spread,
  'Spreads[].SpreadTarget[]': () => ({ Value: 'node-a', Percent: 50 }),
  'TaskGroups[].Spreads[].SpreadTarget[]': () => ({ Value: 'node-a', Percent: 50 }),
  Periodic: () => ({ Spec: '*/15 * * * *' }),
  ParameterizedJob: () => ({ Payload: 'optional' }),
  'Multiregion.Regions[]': () => ({ Name: 'east', Datacenters: ['dc1'] }),
  'UI.Links[]': () => ({ Label: 'docs', URL: 'https://example.com/docs' }),
  'TaskGroups[].Volumes.*': (_parent, job) => {
    ensureVolumes(job, true);
    return undefined;
  },
  'TaskGroups[].Volumes.*.MountOptions': () => ({ FSType: 'ext4' }),
  'TaskGroups[].Scaling': () => ({ Min: 1, Max: 5 }),
  'TaskGroups[].Tasks[].Lifecycle': (_parent, job) => {
    (group0(job).Tasks as Obj[]).push(task('main'));
    return { Hook: 'prestart' };
  },
  'TaskGroups[].Tasks[].Services[]': () => ({ Name: 'server-admin', Provider: 'consul' }),
  'TaskGroups[].Tasks[].Services[].Checks[]': () => ({
    Type: 'http',
    Path: '/admin',
    PortLabel: 'http',
    Interval: 10 * SECOND,
    Timeout: 2 * SECOND,
  }),
  'TaskGroups[].Tasks[].Resources.Networks[]': () => ({ DynamicPorts: [{ Label: 'debug', To: 9500 }] }),
  'TaskGroups[].Tasks[].Resources.Networks[].ReservedPorts[]': () => ({ Label: 'metrics', Value: 9100 }),
  'TaskGroups[].Networks[].ReservedPorts[]': () => ({ Label: 'metrics', Value: 9100 }),
  'TaskGroups[].Tasks[].Resources.Devices[]': () => ({ Name: 'nvidia/gpu', Count: 1 }),
  'TaskGroups[].Tasks[].Resources.Devices[].Constraints[]': () => ({
    LTarget: '${device.attr.memory}',
    RTarget: '4 GiB',
    Operand: '>=',
  }),
  'TaskGroups[].Tasks[].Resources.Devices[].Affinities[]': () => ({
    LTarget: '${device.attr.memory}',
    RTarget: '4 GiB',
    Operand: '>=',
    Weight: 50,
  }),
  'TaskGroups[].Tasks[].Artifacts[]': () => ({
    GetterSource: 'https://example.com/app.tar.gz',
    RelativeDest: 'local/app',
  }),
  'TaskGroups[].Tasks[].Templates[]': () => ({
    DestPath: 'local/app.conf',
    EmbeddedTmpl: 'listen 8080;\n',
    ChangeMode: 'restart',
  }),
  'TaskGroups[].Tasks[].Templates[].ChangeScript': (parent) => {
    parent.ChangeMode = 'script';
    return { Command: '/usr/local/bin/reload' };
  },
  'TaskGroups[].Tasks[].VolumeMounts[]': (_parent, job) => {
    ensureVolumes(job, false);
    return { Volume: 'data', Destination: '/data' };
  },
  'TaskGroups[].Tasks[].DispatchPayload': () => ({ File: 'input.json' }),
  'TaskGroups[].Tasks[].CSIPluginConfig': () => ({ ID: 'ebs', Type: 'node', MountDir: '/csi' }),
  'TaskGroups[].Tasks[].ScalingPolicies[]': () => ({ Type: 'vertical_cpu', Max: 1000, Policy: {} }),
  'TaskGroups[].Tasks[].Secrets[]': () => ({ Name: 'db', Provider: 'nomad', Path: 'db' }),
  'TaskGroups[].Tasks[].Identities[]': () => ({
    Name: 'vault_default',
    Audience: ['vault.io'],
    TTL: 3600 * SECOND,
  }),
  'TaskGroups[].Tasks[].Actions[]': () => ({ Name: 'hello', Command: 'echo', Args: ['hello'] }),
  // Nomad requires a service identity to have a name and an audience.
  'TaskGroups[].Services[].Identity': () => ({ Name: 'consul-service_web-http', Audience: ['consul.io'] }),
  'TaskGroups[].Tasks[].Services[].Identity': () => ({
    Name: 'consul-service_server-admin',
    Audience: ['consul.io'],
  }),
  // A connect block is exactly one of sidecar, native or gateway; a sidecar task needs the sidecar.
  'TaskGroups[].Services[].Connect.SidecarTask': (parent) => {
    parent.SidecarService ??= {};
    return {};
  },
  // A gateway is exactly one of ingress, terminating or mesh; its proxy alone makes a mesh gateway.
  'TaskGroups[].Services[].Connect.Gateway.Proxy': (parent) => {
    if (!parent.Ingress && !parent.Terminating) parent.Mesh ??= {};
    return { ConnectTimeout: 5 * SECOND };
  },
  'TaskGroups[].Services[].Connect.Gateway.Proxy.EnvoyGatewayBindAddresses.*': () => ({
    Name: 'web',
    Address: '0.0.0.0',
    Port: 8443,
  }),
  'TaskGroups[].Services[].Connect.Gateway.Ingress.Listeners[]': () => ({
    Port: 8080,
    Protocol: 'http',
    Services: [{ Name: 'web' }],
  }),
  'TaskGroups[].Services[].Connect.Gateway.Ingress.Listeners[].Services[]': () => ({ Name: 'web' }),
  'TaskGroups[].Services[].Connect.Gateway.Ingress': () => ({
    Listeners: [{ Port: 8080, Protocol: 'http', Services: [{ Name: 'web' }] }],
  }),
  'TaskGroups[].Services[].Connect.Gateway.Terminating': () => ({ Services: [linkedService()] }),
  'TaskGroups[].Services[].Connect.Gateway.Terminating.Services[]': () => linkedService(),
  'TaskGroups[].Tasks[].Schedule': () => ({ Cron: { Start: '0 9 * * *', End: '0 17 * * *' } }),
  'TaskGroups[].Tasks[].Schedule.Cron': () => ({ Start: '0 9 * * *', End: '0 17 * * *' }),
};

// ---------------------------------------------------------------------------------------------------
// Values: a valid non-default value per field, by pattern or (failing that) by field name. A function
// gets the value the canonical context holds. Fields in neither table get one from their Go type.

type Value = unknown | ((current: unknown) => unknown);

const toggle =
  (a: string, b: string) =>
  (current: unknown): string =>
    current === a ? b : a;

export const VALUES: Readonly<Record<string, Value>> = {
  // Job
  Region: 'eu-west',
  Namespace: 'team-a',
  ID: 'web-two',
  Name: 'web-two',
  Type: toggle('batch', 'service'),
  Priority: 70,
  Datacenters: ['dc2'],
  NodePool: 'gpu',
  ParentID: 'web-parent',
  Payload: 'd2Fsaw==',
  'Periodic.Spec': '0 3 * * *',
  'Periodic.Specs': ['0 4 * * *'],
  'Periodic.SpecType': 'cron',
  'Periodic.TimeZone': 'Europe/Berlin',
  'ParameterizedJob.Payload': toggle('required', 'forbidden'),
  'ParameterizedJob.MetaRequired': ['owner'],
  'ParameterizedJob.MetaOptional': ['owner'],
  // Placement
  LTarget: (current: unknown) =>
    current === '${attr.cpu.arch}' ? '${attr.kernel.name}' : '${attr.cpu.arch}',
  RTarget: 'amd64',
  Operand: '!=',
  Weight: -30,
  Attribute: '${attr.platform.aws.placement.availability-zone}',
  'SpreadTarget[].Value': 'node-b',
  'ReservedPorts[].Value': 9200,
  'DynamicPorts[].Value': 9200,
  Percent: 70,
  // Group
  'TaskGroups[].Name': 'api',
  'TaskGroups[].Count': 3,
  'TaskGroups[].Volumes.*.Name': 'scratch',
  'TaskGroups[].Volumes.*.Type': 'host',
  'TaskGroups[].Volumes.*.Source': 'other',
  'TaskGroups[].Volumes.*.AccessMode': 'multi-node-reader-only',
  'TaskGroups[].Volumes.*.AttachmentMode': 'block-device',
  'TaskGroups[].Volumes.*.MountOptions.FSType': 'xfs',
  'TaskGroups[].Volumes.*.MountOptions.MountFlags': ['noatime'],
  'TaskGroups[].RestartPolicy.Mode': 'delay',
  'TaskGroups[].Tasks[].RestartPolicy.Mode': 'delay',
  'TaskGroups[].ReschedulePolicy.DelayFunction': 'fibonacci',
  'Reschedule.DelayFunction': 'fibonacci',
  'TaskGroups[].Disconnect.Reconcile': 'keep_original',
  HealthCheck: 'manual',
  'Migrate.HealthCheck': 'task_states',
  'Migrate.HealthyDeadline': 2 * MINUTE,
  'Update.HealthyDeadline': 3 * MINUTE,
  'Update.ProgressDeadline': 20 * MINUTE,
  'ReschedulePolicy.Interval': 2 * HOUR,
  'Reschedule.Interval': 2 * HOUR,
  'ReschedulePolicy.MaxDelay': 2 * HOUR,
  'Reschedule.MaxDelay': 2 * HOUR,
  'RestartPolicy.Interval': 2 * HOUR,
  'Spreads[].Weight': 30,
  'EphemeralDisk.SizeMB': 2048,
  'Scaling.Min': 2,
  'Scaling.Max': 9,
  'TaskGroups[].Services[].Checks[].TaskName': 'helper',
  'TaskGroups[].Services[].TaskName': 'helper',
  'TaskGroups[].Tasks[].Services[].PortLabel': 'http',
  'TaskGroups[].Tasks[].Services[].Checks[].PortLabel': 'admin',
  'TaskGroups[].Tasks[].Services[].TaskName': 'server',
  'TaskGroups[].Tasks[].Services[].Checks[].TaskName': 'server',
  'Resources.MemoryMB': 512,
  'Resources.MemoryMaxMB': 1024,
  'Resources.NUMA.Devices': ['nvidia/gpu'],
  'TaskGroups[].Scaling.Type': 'horizontal',
  'TaskGroups[].Networks[].Mode': 'host',
  'TaskGroups[].Networks[].Hostname': 'walker',
  Device: 'eth1',
  CIDR: '10.1.0.0/16',
  IP: '10.1.0.5',
  Servers: ['10.0.0.53'],
  Searches: ['corp.example'],
  Options: ['ndots:2'],
  Label: 'walk',
  HostNetwork: 'public',
  // Services and checks
  Tags: ['v2'],
  CanaryTags: ['canary'],
  AddressMode: 'host',
  Address: '10.1.0.7',
  'TaskGroups[].Services[].Name': 'web-two',
  'TaskGroups[].Tasks[].Services[].Name': 'admin-two',
  Provider: toggle('consul', 'nomad'),
  OnUpdate: 'ignore',
  Kind: 'connect-proxy:web',
  Cluster: 'other',
  'Checks[].Type': 'tcp',
  Command: '/bin/check',
  'Checks[].AddressMode': 'alloc',
  'Tasks[].Services[].Checks[].AddressMode': 'driver',
  Path: '/ready',
  Protocol: 'https',
  InitialStatus: 'passing',
  Method: 'POST',
  GRPCService: 'health.v1',
  Body: '{"ping":true}',
  TLSServerName: 'web.example',
  Notes: 'walk',
  Advertise: '10.1.0.8',
  // Tasks
  'TaskGroups[].Tasks[].Name': 'frontend',
  Driver: 'exec',
  User: '1000',
  Hook: toggle('poststart', 'prestart'),
  KillSignal: 'SIGINT',
  'TaskGroups[].Tasks[].Resources.Devices[].Name': 'nvidia/gpu/Tesla T4',
  'TaskGroups[].Tasks[].Resources.NUMA.Affinity': 'require',
  GetterSource: 'https://example.com/other.tar.gz',
  GetterMode: 'file',
  RelativeDest: 'local/other',
  GetterOptions: { archive: 'false' },
  DestPath: 'local/other.conf',
  EmbeddedTmpl: 'listen 9090;\n',
  SourcePath: '/etc/nomad/app.tpl',
  ChangeMode: 'noop',
  ChangeSignal: 'SIGUSR1',
  Perms: '0600',
  LeftDelim: '[[',
  RightDelim: ']]',
  'TaskGroups[].Tasks[].DispatchPayload.File': 'other.json',
  'TaskGroups[].Tasks[].VolumeMounts[].Volume': 'cache',
  Destination: '/srv',
  PropagationMode: 'host-to-task',
  SELinuxLabel: 'Z',
  'TaskGroups[].Tasks[].CSIPluginConfig.Type': 'controller',
  'TaskGroups[].Tasks[].ScalingPolicies[].Type': 'vertical_mem',
  'TaskGroups[].Tasks[].Identity.ChangeMode': 'restart',
  'TaskGroups[].Services[].Kind': 'ingress-gateway',
  'TaskGroups[].Tasks[].Services[].Kind': 'ingress-gateway',
  'TaskGroups[].Tasks[].Secrets[].Name': 'db_two',
  UID: '1001',
  ExcludeUIDs: ['1002'],
  ExcludeInboundPorts: ['9000'],
  ExcludeOutboundCIDRs: ['10.0.0.0/8'],
  EnvoyDNSDiscoveryType: 'STRICT_DNS',
  'Listeners[].Protocol': 'tcp',
  'TaskGroups[].Tasks[].Identities[].ChangeMode': 'restart',
  Audience: ['walk.example'],
  'LogConfig.Enabled': false,
  'TaskGroups[].Tasks[].Schedule.Cron.Start': '0 8 * * *',
  'TaskGroups[].Tasks[].Schedule.Cron.End': '0 18 * * *',
  'TaskGroups[].Tasks[].Schedule.Cron.Timezone': 'Europe/Berlin',
  'TaskGroups[].Tasks[].Vault.ChangeMode': 'noop',
  'Multiregion.Strategy.OnFailure': 'fail_all',
  'UI.Links[].URL': 'https://example.com/other',
};

// ---------------------------------------------------------------------------------------------------
// Paths

interface Step {
  key: string;
  kind: 'field' | 'list' | 'map';
  /** Pattern up to and including this step (`TaskGroups[]`, `TaskGroups[].Volumes.*`). */
  pattern: string;
}

function stepsOf(pattern: string): Step[] {
  const steps: Step[] = [];
  let prefix = '';
  for (const part of pattern.split('.')) {
    if (part === '*') {
      prefix = `${prefix}.*`;
      const last = steps.at(-1);
      if (last) steps.push({ key: '*', kind: 'map', pattern: prefix });
      continue;
    }
    const list = part.endsWith('[]');
    const key = list ? part.slice(0, -2) : part;
    const fieldPattern = prefix === '' ? key : `${prefix}.${key}`;
    steps.push({ key, kind: 'field', pattern: fieldPattern });
    prefix = fieldPattern;
    if (list) {
      prefix = `${prefix}[]`;
      steps.push({ key: '[]', kind: 'list', pattern: prefix });
    }
  }
  return steps;
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function seedFor(pattern: string, parent: Obj, job: Obj): unknown {
  const seed = SEEDS[pattern];
  return seed ? seed(parent, job) : undefined;
}

interface Reached {
  holder: Obj;
  key: string;
  /** Concrete path of the field. */
  path: string;
  /** Concrete paths of the blocks the walk added (seeded) on the way. */
  seeded: string[];
}

function memberPath(base: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/**
 * Follows a field pattern in a raw job, adding seeds for missing blocks. Returns the holder of the
 * field and the concrete path, or undefined when a step cannot be taken (a non-object in the way).
 */
function reach(job: Obj, pattern: string): Reached | undefined {
  const steps = stepsOf(pattern);
  const seeded: string[] = [];
  let current: Obj = job;
  let path = '';
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as Step;
    const next = steps[i + 1];
    const concrete = path === '' ? step.key : `${path}.${step.key}`;
    if (next === undefined) return { holder: current, key: step.key, path: concrete, seeded };
    if (next.kind === 'list') {
      let list = current[step.key];
      if (!Array.isArray(list) || list.length === 0) {
        list = [seedFor(next.pattern, current, job) ?? {}];
        current[step.key] = list;
        seeded.push(concrete, `${concrete}[0]`);
      }
      const element = (list as unknown[])[0];
      if (!isObj(element)) return undefined;
      current = element;
      path = `${concrete}[0]`;
      i++;
    } else if (next.kind === 'map') {
      let map = current[step.key];
      if (!isObj(map) || Object.keys(map).length === 0) {
        const element = seedFor(next.pattern, current, job);
        map = current[step.key];
        if (!isObj(map) || Object.keys(map).length === 0) {
          map = { data: element ?? {} };
          current[step.key] = map;
        }
        seeded.push(concrete);
      }
      const key = Object.keys(map as Obj).sort()[0] as string;
      const element = (map as Obj)[key];
      if (!isObj(element)) return undefined;
      current = element;
      path = memberPath(concrete, key);
      if (seeded.at(-1) === concrete) seeded.push(path);
      i++;
    } else {
      let block = current[step.key];
      if (!isObj(block)) {
        block = seedFor(step.pattern, current, job) ?? {};
        current[step.key] = block;
        seeded.push(concrete);
      }
      current = block as Obj;
      path = concrete;
    }
  }
  return undefined;
}

/** The value at a concrete path (`TaskGroups[0].Volumes.data.Source`), or undefined. */
function valueAt(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const step of path.matchAll(/(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    const key =
      step[1] ?? (step[2] !== undefined ? Number(step[2]) : (JSON.parse(step[3] ?? '""') as string));
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------
// Values by Go type

/** JSON with object keys sorted, so equal values compare equal whatever order their keys came in. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObj(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

function same(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}

function lookupValue(field: FieldInfo): Value | undefined {
  if (Object.hasOwn(VALUES, field.path)) return VALUES[field.path];
  // The longest pattern suffix that names the field (`Checks[].Type` before `Type`).
  const parts = field.path.split('.');
  for (let i = 1; i < parts.length; i++) {
    const suffix = parts.slice(i).join('.');
    if (Object.hasOwn(VALUES, suffix)) return VALUES[suffix];
  }
  return undefined;
}

/** A valid value for a field that differs from `current`, or undefined when none is known. */
export function valueFor(field: FieldInfo, current: unknown): unknown {
  const listed = lookupValue(field);
  if (listed !== undefined) {
    const value = typeof listed === 'function' ? (listed as (c: unknown) => unknown)(current) : listed;
    return same(value, current) ? undefined : value;
  }
  const candidates: unknown[] = (() => {
    switch (field.goType) {
      case 'string':
        return ['walk', 'walk-2'];
      case 'bool':
        return [current !== true];
      case 'int':
      case 'int64':
      case 'uint64':
      case 'uint32':
      case 'uint16':
        return [7, 11];
      case 'int8':
        return [30, -30];
      case 'uint8':
        return [30, 40];
      case 'time.Duration':
        return [7 * SECOND, 13 * SECOND];
      case '[]string':
        return [['walk']];
      case '[]uint16':
        return [[8443]];
      case '[]byte':
        return ['d2Fsaw=='];
      case 'map[string]string':
        return [{ ...(isObj(current) ? current : {}), WALK: 'walk' }];
      case 'map[string]any':
        return [{ ...(isObj(current) ? current : {}), walk: 'walk' }];
      case 'map[string][]string':
        return [{ ...(isObj(current) ? current : {}), 'X-Walk': ['walk'] }];
      default:
        return [];
    }
  })();
  return candidates.find((c) => !same(c, current));
}

// ---------------------------------------------------------------------------------------------------
// The walk

export type Outcome =
  /** The objects differ from the context's. */
  | { kind: 'changed' }
  /**
   * A warning that names the field, something in it or a block holding it appears or disappears with
   * the value, or the block holding it is reported as a whole (see the file comment).
   */
  | { kind: 'warned'; warnings: Warning[] }
  /** Neither: silently dropped. */
  | { kind: 'silent' }
  /** Nomad refuses the job with this value (validation errors). */
  | { kind: 'rejected'; errors: string[] }
  /** Canonicalization turns the job back into the context (Nomad discards the value). */
  | { kind: 'discarded' }
  /**
   * The job with the blocks the field needs is refused already (a block this job type may not have,
   * or a seed Nomad does not accept: the test lists which).
   */
  | { kind: 'no-context'; errors: string[] }
  /** No valid value other than the one the job already has. */
  | { kind: 'no-value' };

export interface FieldResult {
  field: string;
  variant: Variant;
  path: string;
  outcome: Outcome;
}

interface Prepared {
  job: Job;
  errors: string[];
}

/** The server refuses a payload on registration; a dispatched child carries one (the dispatch endpoint sets it). */
const PAYLOAD_ON_REGISTER = "job can't be submitted with a payload, only dispatched";

function prepare(raw: Obj, variant: Variant): Prepared {
  const parsed = parseJobJson(structuredClone(raw));
  if (!parsed.ok) return { job: {} as Job, errors: parsed.errors };
  const job = canonicalize(parsed.job);
  const errors = validateJob(job).errors.filter((e) => variant !== 'dispatched' || e !== PAYLOAD_ON_REGISTER);
  return { job, errors };
}

interface Translated {
  objects: string;
  warnings: Warning[];
}

function translated(job: Job, variant: Variant): Translated {
  const result = translate(job, variantOptions(variant));
  return { objects: JSON.stringify(result.objects as KubernetesObject[]), warnings: result.warnings };
}

/** Whether a warning path names the field at `path` or something inside it. */
function inside(warningPath: string, path: string): boolean {
  return warningPath === path || warningPath.startsWith(`${path}.`) || warningPath.startsWith(`${path}[`);
}

const STEP = /(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;

/** The first `depth` steps of a concrete path. */
function prefixOf(path: string, depth: number): string {
  let out = '';
  let taken = 0;
  for (const m of path.matchAll(STEP)) {
    if (taken === depth) break;
    out += m[0];
    taken++;
  }
  return out.replace(/^\./, '');
}

/**
 * Job-level blocks that canonicalization merges into every group: their fields act (and are
 * reported) at the group's copy.
 */
const MERGED_INTO_GROUPS: Readonly<Record<string, string>> = {
  Update: 'TaskGroups[0].Update',
  Reschedule: 'TaskGroups[0].ReschedulePolicy',
  Migrate: 'TaskGroups[0].Migrate',
};

/**
 * The concrete paths a warning about the field may name: the field itself (and its group copy for
 * merged job blocks), its parent block, and the conversion-table row above it that covers it.
 */
function namedPaths(path: string, pattern: string): { own: string[]; blocks: string[] } {
  const own = [path];
  const head = path.split('.')[0] ?? '';
  const merged = MERGED_INTO_GROUPS[head];
  if (merged !== undefined && path.includes('.')) own.push(`${merged}${path.slice(head.length)}`);
  // A service's check_restart is merged into each of its checks the same way.
  const checkRestart = /^(.*\.Services\[\d+\])\.CheckRestart(\..*)?$/.exec(path);
  if (checkRestart) own.push(`${checkRestart[1]}.Checks[0].CheckRestart${checkRestart[2] ?? ''}`);
  const blocks: string[] = [];
  for (const p of own) {
    const parent = p.replace(/(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\[".*?"\])$/, '');
    if (parent !== '' && parent !== p && !/^TaskGroups\[\d+\](\.Tasks\[\d+\])?$/.test(parent)) {
      blocks.push(parent);
      const list = parent.replace(/\[\d+\]$/, '');
      if (list !== parent) blocks.push(list);
    }
  }
  const row = conversionFor(pattern);
  if (row && row.path !== pattern) blocks.push(prefixOf(path, stepsOf(row.path).length));
  return { own, blocks };
}

/** The nearest list element holding a path below it (`…Checks[0]` for `…Checks[0].CheckRestart.Limit`). */
function listElementOf(path: string): string | undefined {
  const match = /^(.*\])\.[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/.exec(path);
  return match?.[1];
}

function key(w: Warning): string {
  return `${w.path}\u0000${w.message}`;
}

/** The fields the walk sets: every leaf (a field that holds no struct), in schema order. */
export const walkedFields: readonly FieldInfo[] = jobFields.filter((f) => f.holds === undefined);

/**
 * Adjustments of the job before a field is set, for fields that only act in a particular setting
 * (template delimiters only matter for text that holds actions).
 */
const SETTINGS: Readonly<Record<string, (job: Obj) => void>> = {
  'TaskGroups[].Tasks[].Templates[].LeftDelim': withDynamicTemplate,
  'TaskGroups[].Tasks[].Templates[].RightDelim': withDynamicTemplate,
  // Nomad accepts these only together with another setting:
  'Update.AutoPromote': (job) => {
    job.Update = { Canary: 1 };
  },
  'TaskGroups[].Update.AutoPromote': (job) => {
    group0(job).Update = { Canary: 1 };
  },
  'Periodic.Specs': (job) => {
    job.Periodic = { Specs: ['0 1 * * *'] };
  },
  'Reschedule.Attempts': (job) => {
    job.Reschedule = { Unlimited: false, Interval: HOUR };
  },
  'TaskGroups[].ReschedulePolicy.Attempts': (job) => {
    group0(job).ReschedulePolicy = { Unlimited: false, Interval: HOUR };
  },
  'Reschedule.DelayFunction': (job) => {
    job.Reschedule = { MaxDelay: HOUR };
  },
  'TaskGroups[].ReschedulePolicy.DelayFunction': (job) => {
    group0(job).ReschedulePolicy = { MaxDelay: HOUR };
  },
  // With unlimited reschedules (a service job's default) there is no interval to count attempts in.
  'Reschedule.Interval': (job) => {
    job.Reschedule = { Unlimited: false, Attempts: 2, Interval: HOUR };
  },
  'TaskGroups[].ReschedulePolicy.Interval': (job) => {
    group0(job).ReschedulePolicy = { Unlimited: false, Attempts: 2, Interval: HOUR };
  },
  'Reschedule.Unlimited': (job) => {
    job.Reschedule = { Attempts: 0 };
  },
  'TaskGroups[].ReschedulePolicy.Unlimited': (job) => {
    group0(job).ReschedulePolicy = { Attempts: 0 };
  },
  'TaskGroups[].Networks[].ReservedPorts[].IgnoreCollision': hostNetwork,
  'TaskGroups[].Networks[].DynamicPorts[].IgnoreCollision': hostNetwork,
  'TaskGroups[].Tasks[].Resources.Cores': (job) => {
    delete firstTask(job).Resources;
  },
  'TaskGroups[].Tasks[].Resources.NUMA.Devices': (job) => {
    firstTask(job).Resources = { CPU: 200, MemoryMB: 256, Devices: [{ Name: 'nvidia/gpu' }] };
  },
  'TaskGroups[].Tasks[].Services[].Provider': (job) => {
    delete group0(job).Services;
  },
  // Nomad accepts these only in the context they belong to:
  // …and an exposed check's own port is the proxy's listener, not the service's port.
  'TaskGroups[].Services[].Checks[].Expose': (job) => {
    groupService(job).Connect = { SidecarService: {} };
    ((groupService(job).Checks as Obj[])[0] as Obj).PortLabel = 'admin';
  },
  // A task of kind connect-proxy:web is the sidecar of the group's Connect service web.
  'TaskGroups[].Tasks[].Kind': (job) => {
    groupService(job).Connect = { SidecarService: {} };
  },
  // A host volume takes only single-node modes, which a group of several allocations can only use
  // with a volume per allocation.
  'TaskGroups[].Volumes.*.Type': (job) => {
    ensureVolumes(job, true);
    const cache = (group0(job).Volumes as Obj).cache as Obj;
    cache.AccessMode = 'single-node-writer';
    if (((group0(job).Count as number | undefined) ?? 1) > 1) cache.PerAlloc = true;
  },
  'TaskGroups[].Volumes.*.AccessMode': (job) => {
    ensureVolumes(job, true);
    ((group0(job).Volumes as Obj).cache as Obj).ReadOnly = true;
  },
  'TaskGroups[].Tasks[].Secrets[].Env': (job) => {
    firstTask(job).Secrets = [{ Name: 'db', Provider: 'db-plugin', Path: 'db' }];
  },
  'TaskGroups[].Tasks[].Identity.ChangeSignal': (job) => {
    firstTask(job).Identity = { ChangeMode: 'signal', ChangeSignal: 'SIGHUP' };
  },
  'TaskGroups[].Tasks[].Identity.Filepath': (job) => {
    firstTask(job).Identity = { File: true };
  },
  'TaskGroups[].Tasks[].Identities[].ChangeSignal': (job) => {
    firstTask(job).Identities = [
      { Name: 'vault_default', Audience: ['vault.io'], ChangeMode: 'signal', ChangeSignal: 'SIGHUP' },
    ];
  },
  'TaskGroups[].Tasks[].Identities[].Filepath': (job) => {
    firstTask(job).Identities = [{ Name: 'vault_default', Audience: ['vault.io'], File: true }];
  },
  // A task name only chooses among several tasks:
  'TaskGroups[].Services[].Checks[].TaskName': withHelperTask,
  'TaskGroups[].Services[].TaskName': withHelperTask,
  // Check fields that only act on one type of check, or with a restart limit:
  ...checkSettings('TaskGroups[].Services[].Checks[]', groupCheck),
  ...checkSettings('TaskGroups[].Tasks[].Services[].Checks[]', taskCheck),
  'TaskGroups[].Services[].CheckRestart.Grace': (job) => {
    groupService(job).CheckRestart = { Limit: 3 };
  },
  // A task service's check_restart acts through its checks: the task's service with the only check.
  'TaskGroups[].Tasks[].Services[].CheckRestart.Limit': (job) => {
    delete group0(job).Services;
    taskCheck(job);
  },
  'TaskGroups[].Tasks[].Services[].CheckRestart.Grace': (job) => {
    delete group0(job).Services;
    taskCheck(job);
    taskService(job).CheckRestart = { Limit: 3 };
  },
};

function withHelperTask(job: Obj): void {
  (group0(job).Tasks as Obj[]).push({
    Name: 'helper',
    Driver: 'docker',
    Config: { image: 'busybox:1.37', command: 'sleep', args: ['infinity'] },
  });
}

function groupService(job: Obj): Obj {
  return (group0(job).Services as Obj[])[0] as Obj;
}

function groupCheck(job: Obj): Obj {
  return (groupService(job).Checks as Obj[])[0] as Obj;
}

/** The first task's service (made here, as its seed would be, when the walk needs it now). */
function taskService(job: Obj): Obj {
  const task = firstTask(job);
  task.Services ??= [{ Name: 'server-admin', Provider: 'consul' }];
  return (task.Services as Obj[])[0] as Obj;
}

function taskCheck(job: Obj): Obj {
  const service = taskService(job);
  service.Checks ??= [
    { Type: 'http', Path: '/admin', PortLabel: 'http', Interval: 10 * SECOND, Timeout: 2 * SECOND },
  ];
  return (service.Checks as Obj[])[0] as Obj;
}

function checkSettings(prefix: string, check: (job: Obj) => Obj): Record<string, (job: Obj) => void> {
  const script = (job: Obj) => {
    const c = check(job);
    c.Type = 'script';
    c.Command = '/bin/true';
    c.TaskName = 'server';
    delete c.Path;
  };
  const grpc = (job: Obj) => {
    const c = check(job);
    c.Type = 'grpc';
    delete c.Path;
  };
  return {
    [`${prefix}.Command`]: script,
    [`${prefix}.Args`]: script,
    [`${prefix}.GRPCService`]: grpc,
    [`${prefix}.GRPCUseTLS`]: grpc,
    [`${prefix}.TLSSkipVerify`]: (job) => {
      check(job).Protocol = 'https';
    },
    [`${prefix}.CheckRestart.Grace`]: (job) => {
      check(job).CheckRestart = { Limit: 3 };
    },
  };
}

function firstTask(job: Obj): Obj {
  return (group0(job).Tasks as Obj[])[0] as Obj;
}

function hostNetwork(job: Obj): void {
  ((group0(job).Networks as Obj[])[0] as Obj).Mode = 'host';
}

function withDynamicTemplate(job: Obj): void {
  const first = (group0(job).Tasks as Obj[])[0] as Obj;
  first.Templates = [{ DestPath: 'local/app.conf', EmbeddedTmpl: 'listen {{ env "NOMAD_PORT_http" }};\n' }];
}

/** One more value of a field, walked besides the one VALUES gives (an enumeration's other cases). */
export interface ExtraValue {
  field: string;
  value: unknown;
  /** Adjusts the job first, as SETTINGS do. */
  setUp?: (job: Obj) => void;
  variants?: readonly Variant[];
}

/** Walks extra values of fields; results carry the field pattern with the value, e.g. `Lifecycle.Hook=poststop`. */
export function walkExtraValues(extras: readonly ExtraValue[]): FieldResult[] {
  const info = new Map(jobFields.map((f) => [f.path, f]));
  return extras.flatMap((extra) => {
    const field = info.get(extra.field);
    if (!field) throw new Error(`schema walk: no field ${extra.field}`);
    return walk([field], extra.variants ?? VARIANTS, { value: extra.value, setUp: extra.setUp }).map((r) => ({
      ...r,
      field: `${r.field}=${JSON.stringify(extra.value)}`,
    }));
  });
}

export function walk(
  fields: readonly FieldInfo[] = walkedFields,
  variants: readonly Variant[] = VARIANTS,
  only?: { value: unknown; setUp?: ((job: Obj) => void) | undefined },
): FieldResult[] {
  const contexts = new Map<string, { prepared: Prepared; translation?: Translated }>();
  const results: FieldResult[] = [];
  for (const variant of variants) {
    for (const field of fields) {
      const raw = variantJob(variant);
      if (only?.setUp) only.setUp(raw);
      else SETTINGS[field.path]?.(raw);
      const reached = reach(raw, field.path);
      const path = reached?.path ?? field.path;
      const push = (outcome: Outcome) => results.push({ field: field.path, variant, path, outcome });
      if (!reached) {
        push({ kind: 'no-value' });
        continue;
      }
      const contextKey = `${variant}\u0000${JSON.stringify(raw)}`;
      let context = contexts.get(contextKey);
      if (!context) {
        context = { prepared: prepare(raw, variant) };
        contexts.set(contextKey, context);
      }
      if (context.prepared.errors.length > 0) {
        push({ kind: 'no-context', errors: context.prepared.errors });
        continue;
      }
      // A job-level block merged into the groups: what the group's copy holds is what counts.
      const current = namedPaths(path, field.path)
        .own.map((p) => valueAt(context.prepared.job, p))
        .find((v) => v !== undefined);
      const value = only ? (same(only.value, current) ? undefined : only.value) : valueFor(field, current);
      if (value === undefined) {
        push({ kind: 'no-value' });
        continue;
      }
      reached.holder[reached.key] = value;
      const variantPrepared = prepare(raw, variant);
      if (variantPrepared.errors.length > 0) {
        push({ kind: 'rejected', errors: variantPrepared.errors });
        continue;
      }
      if (same(variantPrepared.job, context.prepared.job)) {
        push({ kind: 'discarded' });
        continue;
      }
      context.translation ??= translated(context.prepared.job, variant);
      const after = translated(variantPrepared.job, variant);
      if (after.objects !== context.translation.objects) {
        push({ kind: 'changed' });
        continue;
      }
      const { own, blocks } = namedPaths(path, field.path);
      const row = conversionFor(field.path);
      // Warnings that appear or disappear with the value and name the field, a block holding it, or
      // another field of its block (a template delimiter changes what is said about the text).
      const names = (w: Warning) => [...own, ...blocks].some((p) => inside(w.path, p));
      const before = new Set(context.translation.warnings.map(key));
      const afterKeys = new Set(after.warnings.map(key));
      const differing = [
        ...after.warnings.filter((w) => !before.has(key(w))),
        ...context.translation.warnings.filter((w) => !afterKeys.has(key(w))),
      ].filter(names);
      // A block reported as a whole (its warning is already in the context) covers every field in it:
      // the user is told once that the block does nothing. Such a block is one the walk added, the
      // list element holding the field (a check that is not converted), or the table's row above it.
      const elements = new Set([...own, ...blocks].map(listElementOf));
      const covering = context.translation.warnings.filter(
        (w) =>
          (reached.seeded.includes(w.path) && blocks.includes(w.path)) ||
          elements.has(w.path) ||
          (row !== undefined && row.subtree === true && w.path === blocks.at(-1)),
      );
      if (differing.length > 0 || covering.length > 0) {
        push({ kind: 'warned', warnings: [...differing, ...covering] });
      } else push({ kind: 'silent' });
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------
// Docker driver options: the keys of a docker task's `config`, which the job schema holds as a free-form
// map. Each is set (with the options it needs beside it) on the first task and judged like a field.

export interface DockerOption {
  /** The config key, when the entry's name says more (`mount.bind_options` sets `mount`). */
  option?: string;
  value: unknown;
  /** Other options the context and the variant both get. */
  with?: Obj;
}

/** The docker driver's task options, with a valid value each, as a jobspec's `config` block holds them. */
export const DOCKER_OPTIONS: Readonly<Record<string, DockerOption>> = {
  image: { value: 'nginx:1.28' },
  args: { value: ['-g', 'daemon off;'] },
  command: { value: 'nginx' },
  entrypoint: { value: ['/docker-entrypoint.sh'] },
  work_dir: { value: '/srv' },
  privileged: { value: true },
  cap_add: { value: ['NET_ADMIN'] },
  cap_drop: { value: ['ALL'] },
  readonly_rootfs: { value: true },
  tty: { value: true },
  interactive: { value: true },
  force_pull: { value: true },
  auth: { value: [{ username: 'deploy', password: 'secret' }] },
  auth_soft_fail: { value: true },
  volumes: { value: ['/var/log:/host-log'] },
  mount: { value: [{ type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 1_000_000 }] }] },
  shm_size: { value: 134_217_728 },
  hostname: { value: 'web-host' },
  dns_servers: { value: ['10.0.0.53'] },
  dns_search_domains: { value: ['corp.example'] },
  dns_options: { value: ['ndots:2'] },
  extra_hosts: { value: ['db.internal:10.0.0.5'] },
  network_mode: { value: 'host' },
  pid_mode: { value: 'host' },
  ipc_mode: { value: 'host' },
  uts_mode: { value: 'host' },
  userns_mode: { value: 'host' },
  sysctl: { value: [{ 'net.core.somaxconn': '16384' }] },
  runtime: { value: 'runsc' },
  group_add: { value: ['1500'] },
  labels: { value: [{ team: 'web' }] },
  ports: { value: ['http', 'admin'] },
  port_map: { value: [{ http: 8081 }] },
  cpu_hard_limit: { value: true },
  cpu_cfs_period: { value: 50_000, with: { cpu_hard_limit: true } },
  memory_hard_limit: { value: 1024 },
  image_pull_timeout: { value: '10m' },
  healthchecks: { value: [{ disable: true }] },
  container_exists_timeout: { value: '10s' },
  advertise_ipv6_address: { value: true },
  init: { value: true },
  ulimit: { value: [{ nofile: '65536:65536' }] },
  security_opt: { value: ['no-new-privileges'] },
  devices: { value: [{ host_path: '/dev/fuse' }] },
  logging: { value: [{ type: 'json-file', config: [{ 'max-size': '10m' }] }] },
  mac_address: { value: '02:42:ac:11:00:02' },
  oom_score_adj: { value: 500 },
  pids_limit: { value: 100 },
  storage_opt: { value: [{ size: '10G' }] },
  isolation: { value: 'process' },
  load: { value: 'nginx.tar' },
  cpuset_cpus: { value: '0-1' },
  network_aliases: { value: ['web'] },
  ipv4_address: { value: '172.20.0.5' },
  ipv6_address: { value: 'fd00::5' },
  volume_driver: { value: 'local' },
  cgroupns: { value: 'host' },
  // Settings inside blocks and strings, each against the same block without it:
  'volumes.propagation': {
    option: 'volumes',
    value: ['/var/log:/host-log:rslave'],
    with: { volumes: ['/var/log:/host-log'] },
  },
  'volumes.mode': {
    option: 'volumes',
    value: ['/var/log:/host-log:ro,z'],
    with: { volumes: ['/var/log:/host-log:ro'] },
  },
  'mount.readonly': {
    option: 'mount',
    value: [{ type: 'bind', source: '/var/run', target: '/host-run', readonly: true }],
    with: { mount: [{ type: 'bind', source: '/var/run', target: '/host-run' }] },
  },
  'mount.bind_options': {
    option: 'mount',
    value: [
      { type: 'bind', source: '/var/run', target: '/host-run', bind_options: [{ propagation: 'rslave' }] },
    ],
    with: { mount: [{ type: 'bind', source: '/var/run', target: '/host-run' }] },
  },
  'mount.tmpfs_options.mode': {
    option: 'mount',
    value: [{ type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 1_000_000, mode: 448 }] }],
    with: { mount: [{ type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 1_000_000 }] }] },
  },
  'auth.server_address': {
    option: 'auth',
    value: [{ username: 'deploy', password: 'secret', server_address: 'registry.example:5000' }],
    with: { auth: [{ username: 'deploy', password: 'secret' }] },
  },
  'auth.email': {
    option: 'auth',
    value: [{ username: 'deploy', password: 'secret', email: 'ops@example.com' }],
    with: { auth: [{ username: 'deploy', password: 'secret' }] },
  },
};

/** The exec/raw_exec driver's task options (set on an exec task in place of the docker one). */
export const EXEC_OPTIONS: Readonly<Record<string, DockerOption>> = {
  command: { value: '/usr/local/bin/other' },
  args: { value: ['--port', '8080'] },
  work_dir: { value: '/srv' },
  cap_add: { value: ['NET_ADMIN'] },
  cap_drop: { value: ['ALL'] },
  pid_mode: { value: 'host' },
  ipc_mode: { value: 'host' },
  cgroup_v2_override: { value: 'custom.slice/app.scope' },
  cgroup_v1_override: { value: [{ pids: '/custom/app' }] },
  oom_score_adj: { value: 500 },
  denied_envvars: { value: ['SECRET_*'] },
};

/** The java driver's task options. */
export const JAVA_OPTIONS: Readonly<Record<string, DockerOption>> = {
  jar_path: { value: 'local/other.jar' },
  class: { value: 'com.example.Main' },
  class_path: { value: 'local/lib' },
  jvm_options: { value: ['-Xmx512m'] },
  args: { value: ['--verbose'] },
  work_dir: { value: '/srv' },
};

const DRIVER_TASKS: Readonly<Record<'exec' | 'java', Obj>> = {
  exec: { Driver: 'exec', Config: { command: '/usr/local/bin/app' } },
  java: { Driver: 'java', Config: { class: 'com.example.App', class_path: 'local/app.jar' } },
};

export function walkDockerOptions(variants: readonly Variant[] = ['service', 'sysbatch']): FieldResult[] {
  return walkOptions(DOCKER_OPTIONS, variants, () => {});
}

/** Options of another driver: the first task becomes an exec or java task first. */
export function walkDriverOptions(
  driver: 'exec' | 'java',
  options: Readonly<Record<string, DockerOption>>,
  variants: readonly Variant[] = ['service'],
): FieldResult[] {
  return walkOptions(options, variants, (job) => {
    Object.assign(firstTask(job), structuredClone(DRIVER_TASKS[driver]));
  });
}

function walkOptions(
  options: Readonly<Record<string, DockerOption>>,
  variants: readonly Variant[],
  setUp: (job: Obj) => void,
): FieldResult[] {
  const results: FieldResult[] = [];
  for (const variant of variants) {
    for (const [name, { option = name, value, with: beside }] of Object.entries(options)) {
      const field = `Config.${name}`;
      const path = `TaskGroups[0].Tasks[0].Config.${option}`;
      const push = (outcome: Outcome) => results.push({ field, variant, path, outcome });
      const raw = variantJob(variant);
      setUp(raw);
      const config = firstTask(raw).Config as Obj;
      Object.assign(config, beside ?? {});
      const context = prepare(raw, variant);
      if (same(config[option], value)) {
        push({ kind: 'no-value' });
        continue;
      }
      config[option] = value;
      const changed = prepare(raw, variant);
      if (context.errors.length > 0 || changed.errors.length > 0) {
        push({ kind: 'rejected', errors: [...context.errors, ...changed.errors] });
        continue;
      }
      const before = translated(context.job, variant);
      const after = translated(changed.job, variant);
      if (after.objects !== before.objects) {
        push({ kind: 'changed' });
        continue;
      }
      const beforeKeys = new Set(before.warnings.map(key));
      const fresh = after.warnings.filter((w) => !beforeKeys.has(key(w)) && inside(w.path, path));
      push(fresh.length > 0 ? { kind: 'warned', warnings: fresh } : { kind: 'silent' });
    }
  }
  return results;
}
