// Runtime expectations of the realistic corpus (test/fixtures/corpus-expectations/<job>.yaml, schema in
// that folder's README.md): what the user of each corpus jobspec expects to find at runtime (files at
// paths with their content, environment values, command lines, ports, host mounts, Services and probes),
// written from the jobspec and Nomad's behaviour, never from the translator's output.
//
// This module loads them (validated with zod: the files are hand-written) and checks them against a set
// of Kubernetes objects: the objects `convert --manifests` prints (test/unit/corpus-expectations.test.ts)
// or the live objects of the local cluster (test/integration/corpus.test.ts: workloads, the
// pods as the apiserver stores them, Services, ConfigMaps, Secrets, EndpointSlices). Each expectation
// is resolved the way the kubelet would resolve it in a pod: a file is the volume mounted at that path
// (or at a parent directory, or through a subPath) and, for ConfigMap/Secret/projected volumes, the data
// key the mount lands on; for a file the templates init container writes into an emptyDir, the key it
// copies, with the mode it sets (src/translate/storage.ts `templateCopies` reads its arguments); an env
// value is the container's env/envFrom entry with ConfigMap/Secret keys read and `$(VAR)` references
// expanded; a probe port named after a container port is that port's number.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1Secret,
  V1Service,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ANNOTATION_GROUP, LABEL_GROUP, LABEL_JOB } from '../../src/nomad/keys.ts';
import { templateCopies } from '../../src/translate/storage.ts';

export const expectationsDir = fileURLToPath(new URL('../fixtures/corpus-expectations/', import.meta.url));

// --- Schema ---------------------------------------------------------------------------------------------

/**
 * An expected string. A plain string is compared exactly; `{matches}` is a regular expression the value
 * must match. In both, `${port:<label>}` stands for the number of the container port the job's port
 * label became (for dynamic ports whose number only the runtime knows).
 */
const expectedString = z.union([z.string(), z.strictObject({ matches: z.string() })]);
export type ExpectedString = z.infer<typeof expectedString>;

const envValue = z.union([
  expectedString,
  z.strictObject({
    /** Only that the variable is set (its value comes from a secret store the test cannot see). */
    defined: z.literal(true),
  }),
  z.strictObject({
    matches: z.string(),
    /** In live pods, every pod of the group has a different value (an allocation index). */
    unique: z.literal(true),
  }),
]);

const fileExpectation = z.strictObject({
  path: z.string().startsWith('/'),
  /** Substrings the file's content must hold. */
  contains: z.array(z.string()).optional(),
  /** Substrings it must not hold (e.g. unrendered template actions `{{`). */
  notContains: z.array(z.string()).optional(),
  /** Regular expressions (multiline) the content must match. */
  matches: z.array(z.string()).optional(),
  /** File mode, octal as Nomad's template `perms` ("0755"). */
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/)
    .optional(),
  /**
   * The content is fetched or written when the allocation starts (an artifact, a dispatch payload): the
   * path must be on a volume some init container of the pod writes to, or on a ConfigMap/Secret.
   */
  writtenAtStart: z.literal(true).optional(),
});
export type FileExpectation = z.infer<typeof fileExpectation>;

const mountExpectation = z.strictObject({
  path: z.string().startsWith('/'),
  /** The node's path (docker `volumes = ["/host:/container"]`). */
  hostPath: z.string().startsWith('/').optional(),
  /** Data outlives the pod: a host or CSI volume, never an emptyDir. */
  persistent: z.literal(true).optional(),
  readOnly: z.boolean().optional(),
});

const portExpectation = z.strictObject({
  /** The Nomad port label (omitted where the label is not a valid Kubernetes port name). */
  name: z.string().optional(),
  containerPort: z.number().int().positive().optional(),
  /** Static ports: the port on the node. */
  hostPort: z.number().int().positive().optional(),
});

/** A probe port: a number, or a Nomad port label resolved to the container's port number. */
const probePort = z.union([z.number().int().positive(), z.string()]);

const probeExpectation = z
  .strictObject({
    /** readiness: a Nomad check (service health); liveness: a check with check_restart. */
    kind: z.enum(['readiness', 'liveness', 'startup']).default('readiness'),
    http: z.strictObject({ path: z.string(), port: probePort.optional() }).optional(),
    tcp: z.strictObject({ port: probePort }).optional(),
    grpc: z.strictObject({ port: probePort }).optional(),
    exec: z.strictObject({ command: z.array(z.string()) }).optional(),
  })
  .refine((p) => [p.http, p.tcp, p.grpc, p.exec].filter(Boolean).length === 1, {
    message: 'a probe expectation has exactly one of http, tcp, grpc, exec',
  });
export type ProbeExpectation = z.infer<typeof probeExpectation>;

const taskExpectation = z.strictObject({
  image: expectedString.optional(),
  /** The process's command line ends with these words (the image's entrypoint may come first). */
  argv: z.array(expectedString).optional(),
  env: z.record(z.string(), envValue).optional(),
  files: z.array(fileExpectation).optional(),
  mounts: z.array(mountExpectation).optional(),
  ports: z.array(portExpectation).optional(),
  probes: z.array(probeExpectation).optional(),
  /** Nomad's `memory` (or `memory_max`) is a hard limit: the task is OOM-killed above it. */
  memoryLimitMiB: z.number().int().positive().optional(),
  /** docker `privileged = true`. */
  privileged: z.literal(true).optional(),
  /** The task's numeric `user` (root is 0). */
  runAsUser: z.number().int().nonnegative().optional(),
});
export type TaskExpectation = z.infer<typeof taskExpectation>;

const groupExpectation = z.strictObject({
  /** `host`: the group shares the node's network and still resolves cluster DNS names. */
  network: z.literal('host').optional(),
  /** docker `pid_mode = "host"`: the task sees the node's processes. */
  hostPID: z.literal(true).optional(),
  /** docker `hostname`. */
  hostname: z.string().optional(),
  /** A stop waits at least this long before the task is killed (kill_timeout plus shutdown_delay). */
  stopGraceSeconds: z.number().int().nonnegative().optional(),
  tasks: z.record(z.string(), taskExpectation),
});

const serviceExpectation = z.strictObject({
  /** The Nomad service name, as consumers look it up. */
  name: z.string(),
  /** The groups whose allocations register it. */
  groups: z.array(z.string()).min(1),
  ports: z
    .array(
      z.strictObject({
        /** The port consumers connect to, where the jobspec fixes it (static ports). */
        port: z.number().int().positive().optional(),
        /** The container port the traffic reaches: a number, or a Nomad port label (dynamic ports). */
        targetPort: z.union([z.number().int().positive(), z.string()]),
        /** UDP: Nomad publishes every port for UDP too (a DNS or statsd service). Default TCP. */
        protocol: z.enum(['TCP', 'UDP']).optional(),
      }),
    )
    .min(1),
});
export type ServiceExpectation = z.infer<typeof serviceExpectation>;

/**
 * Something of the job that is deliberately not converted (a poststop task outside sysbatch pods, a
 * task-less Connect gateway group): the translation must say so with exactly one warning at `path`
 * whose message matches `warning` (which names what to do instead), and the thing must indeed be
 * missing, so the expectation fails once it is converted (and should become a real expectation).
 */
const unconvertedExpectation = z.strictObject({
  /** The Nomad path the warning names (`TaskGroups[0].Tasks[2].Lifecycle`). */
  path: z.string().min(1),
  /** The group; without `task`, the whole group has no workload. */
  group: z.string(),
  /** The task that has no container in the group's pods. */
  task: z.string().optional(),
  /** A regular expression the warning's message matches, including what the user should do. */
  warning: z.string().min(1),
});
export type UnconvertedExpectation = z.infer<typeof unconvertedExpectation>;

export const jobExpectationsSchema = z.strictObject({
  job: z.string(),
  /** Parameterized jobs: the expectations hold for the child dispatched with this meta and payload. */
  dispatch: z
    .strictObject({ meta: z.record(z.string(), z.string()), payload: z.string().optional() })
    .optional(),
  groups: z.record(z.string(), groupExpectation),
  services: z.array(serviceExpectation).optional(),
  unconverted: z.array(unconvertedExpectation).optional(),
});
export type JobExpectations = z.infer<typeof jobExpectationsSchema>;

/** Every `<job>.yaml` of the expectations folder, by job name; throws on a file that breaks the schema. */
export function loadExpectations(): Map<string, JobExpectations> {
  const result = new Map<string, JobExpectations>();
  for (const file of readdirSync(expectationsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const parsed = jobExpectationsSchema.safeParse(
      yaml.load(readFileSync(`${expectationsDir}${file}`, 'utf8')),
    );
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    if (`${parsed.data.job}.yaml` !== file) throw new Error(`${file}: holds job ${parsed.data.job}`);
    result.set(parsed.data.job, parsed.data);
  }
  return result;
}

/** How many expectations a job's file states (tests require a meaningful number). */
export function expectationCount(expectations: JobExpectations): number {
  let count = 0;
  for (const group of Object.values(expectations.groups)) {
    count += [group.network, group.hostPID, group.hostname, group.stopGraceSeconds].filter(
      (v) => v !== undefined,
    ).length;
    for (const task of Object.values(group.tasks)) {
      count += task.image ? 1 : 0;
      count += task.argv ? 1 : 0;
      count += Object.keys(task.env ?? {}).length;
      count += (task.files ?? []).length + (task.mounts ?? []).length;
      count += (task.ports ?? []).length + (task.probes ?? []).length;
      count += [task.memoryLimitMiB, task.privileged, task.runAsUser].filter((v) => v !== undefined).length;
    }
  }
  return count + (expectations.services ?? []).length + (expectations.unconverted ?? []).length;
}

// --- The objects checked ---------------------------------------------------------------------------------

/** A pod spec to check: a workload's template, or (live) a pod as the apiserver stores it. */
export interface PodSource {
  /** `Deployment/web--web`, `Pod/web--web-abc12`. */
  describe: string;
  spec: V1PodSpec;
  labels: Record<string, string>;
  /** Set for live pods: fieldRef values resolve from it. */
  pod?: KubernetesObject & { spec?: V1PodSpec; status?: PodStatusLike };
}

interface PodStatusLike {
  podIP?: string;
  hostIP?: string;
  phase?: string;
  conditions?: Array<{ type: string; status: string }>;
}

interface EndpointSliceLike extends KubernetesObject {
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'Job', 'CronJob', 'StatefulSet']);

function templateOf(object: KubernetesObject): V1PodTemplateSpec | undefined {
  const spec = (object as { spec?: Record<string, unknown> }).spec;
  if (!spec) return undefined;
  if (object.kind === 'CronJob')
    return (spec.jobTemplate as { spec?: { template?: V1PodTemplateSpec } } | undefined)?.spec?.template;
  return spec.template as V1PodTemplateSpec | undefined;
}

const groupOf = (o: KubernetesObject) =>
  o.metadata?.annotations?.[ANNOTATION_GROUP] ?? o.metadata?.labels?.[LABEL_GROUP] ?? '';

/**
 * The objects of one namespace, as the checks read them. `jobObjectName` selects the job's workloads
 * and pods (label nomadoperator.dev/job); ConfigMaps, Secrets, Services and EndpointSlices are looked up
 * by name, as the kubelet and kube-proxy do.
 */
export class ObjectSet {
  readonly configMaps = new Map<string, V1ConfigMap>();
  readonly secrets = new Map<string, V1Secret>();
  readonly services = new Map<string, V1Service>();
  readonly endpointSlices: EndpointSliceLike[] = [];
  readonly workloads: KubernetesObject[] = [];
  readonly pods: Array<KubernetesObject & { spec?: V1PodSpec; status?: PodStatusLike }> = [];

  /** Live objects: pods are checked too and EndpointSlices must list ready pods. */
  readonly live: boolean;

  constructor(objects: KubernetesObject[], live: boolean) {
    this.live = live;
    for (const o of objects) {
      const name = o.metadata?.name ?? '';
      if (o.kind === 'ConfigMap') this.configMaps.set(name, o as V1ConfigMap);
      else if (o.kind === 'Secret') this.secrets.set(name, o as V1Secret);
      else if (o.kind === 'Service') this.services.set(name, o as V1Service);
      else if (o.kind === 'EndpointSlice') this.endpointSlices.push(o as EndpointSliceLike);
      else if (o.kind === 'Pod') this.pods.push(o as KubernetesObject & { spec?: V1PodSpec });
      else if (o.kind && WORKLOAD_KINDS.has(o.kind)) this.workloads.push(o);
    }
  }

  /** Every pod spec of one group of one job: workload templates, then (live) the pods. */
  podSources(jobObjectName: string, group: string): PodSource[] {
    const ofJob = (o: KubernetesObject) => o.metadata?.labels?.[LABEL_JOB] === jobObjectName;
    const sources: PodSource[] = [];
    for (const w of this.workloads.filter((o) => ofJob(o) && groupOf(o) === group)) {
      // Jobs a CronJob launched copy its template; the CronJob itself is checked.
      if ((w.metadata?.ownerReferences ?? []).some((r) => r.kind === 'CronJob')) continue;
      const template = templateOf(w);
      if (template?.spec)
        sources.push({
          describe: `${w.kind}/${w.metadata?.name}`,
          spec: template.spec,
          labels: template.metadata?.labels ?? {},
        });
    }
    for (const pod of this.pods.filter((p) => ofJob(p) && groupOf(p) === group && p.spec)) {
      sources.push({
        // Pods of one workload differ only by their random suffix: one description for all of them.
        describe: `Pod/${pod.metadata?.generateName ? `${pod.metadata.generateName}*` : pod.metadata?.name}`,
        spec: pod.spec as V1PodSpec,
        labels: pod.metadata?.labels ?? {},
        pod,
      });
    }
    return sources;
  }
}

// --- Resolution -------------------------------------------------------------------------------------------

function findContainer(spec: V1PodSpec, task: string): V1Container | undefined {
  return [...spec.containers, ...(spec.initContainers ?? [])].find((c) => c.name === task);
}

/** A value only the running pod has (a fieldRef in a template): shown as `<fieldRef:path>`. */
const RUNTIME_ONLY = /<(fieldRef|resourceFieldRef):[^>]*>/;

function fieldRefValue(path: string, source: PodSource): string | undefined {
  const pod = source.pod;
  if (!pod) return undefined;
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2] ?? ''];
  switch (path) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace;
    case 'metadata.uid':
      return meta.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName;
    case 'status.podIP':
      return pod.status?.podIP;
    case 'status.hostIP':
      return pod.status?.hostIP;
    default:
      return undefined;
  }
}

function decodeSecretValue(secret: V1Secret, key: string): string | undefined {
  const fromString = secret.stringData?.[key];
  if (fromString !== undefined) return fromString;
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

function configMapValue(configMap: V1ConfigMap, key: string): string | undefined {
  const text = configMap.data?.[key];
  if (text !== undefined) return text;
  const binary = configMap.binaryData?.[key];
  return binary === undefined ? undefined : Buffer.from(binary, 'base64').toString('utf8');
}

/** `$(VAR)` as the kubelet expands it: defined variables replaced, `$$` escapes, the rest left as is. */
function expand(value: string, defined: Map<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    const v = name === undefined ? undefined : defined.get(name);
    return v ?? match;
  });
}

/**
 * The container's environment as the process sees it: envFrom sources first (ConfigMap/Secret keys,
 * with prefix), then env entries in order, each expanded against those before it. Problems (a missing
 * ConfigMap, key or Secret) are reported with the variable.
 */
function resolveEnv(
  container: V1Container,
  source: PodSource,
  objects: ObjectSet,
): { env: Map<string, string>; problems: string[] } {
  const env = new Map<string, string>();
  const problems: string[] = [];
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = objects.configMaps.get(from.configMapRef.name ?? '');
      if (!cm) {
        if (!from.configMapRef.optional) problems.push(`envFrom ConfigMap ${from.configMapRef.name} missing`);
        continue;
      }
      for (const key of Object.keys({ ...cm.data, ...cm.binaryData }))
        env.set(prefix + key, configMapValue(cm, key) ?? '');
    }
    if (from.secretRef) {
      const secret = objects.secrets.get(from.secretRef.name ?? '');
      if (!secret) {
        if (!from.secretRef.optional) problems.push(`envFrom Secret ${from.secretRef.name} missing`);
        continue;
      }
      for (const key of Object.keys({ ...secret.data, ...secret.stringData }))
        env.set(prefix + key, decodeSecretValue(secret, key) ?? '');
    }
  }
  for (const variable of container.env ?? []) {
    const value = envVarValue(variable, source, objects, problems);
    if (value !== undefined) env.set(variable.name, expand(value, env));
  }
  return { env, problems };
}

function envVarValue(
  variable: V1EnvVar,
  source: PodSource,
  objects: ObjectSet,
  problems: string[],
): string | undefined {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  if (!from) return '';
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = objects.configMaps.get(ref.name ?? '');
    const value = cm ? configMapValue(cm, ref.key) : undefined;
    if (value === undefined && !ref.optional)
      problems.push(`${variable.name}: ConfigMap ${ref.name} key ${ref.key} ${cm ? 'missing' : 'not found'}`);
    return value;
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const secret = objects.secrets.get(ref.name ?? '');
    const value = secret ? decodeSecretValue(secret, ref.key) : undefined;
    if (value === undefined && !ref.optional)
      problems.push(
        `${variable.name}: Secret ${ref.name} key ${ref.key} ${secret ? 'missing' : 'not found'}`,
      );
    return value;
  }
  if (from.fieldRef)
    return fieldRefValue(from.fieldRef.fieldPath, source) ?? `<fieldRef:${from.fieldRef.fieldPath}>`;
  if (from.resourceFieldRef) return `<resourceFieldRef:${from.resourceFieldRef.resource}>`;
  return undefined;
}

/** The container port a Nomad port label became (names are the label, lower-cased and shortened). */
function portByLabel(spec: V1PodSpec, container: V1Container | undefined, label: string): number | undefined {
  const candidates = [label, label.toLowerCase().replace(/_/g, '-')];
  const all = [...(container ? [container] : []), ...spec.containers, ...(spec.initContainers ?? [])];
  for (const c of all)
    for (const p of c.ports ?? []) if (p.name && candidates.includes(p.name)) return p.containerPort;
  return undefined;
}

/** Replaces `${port:<label>}` with the port's number; undefined (with a problem) when there is none. */
function substitutePorts(
  text: string,
  spec: V1PodSpec,
  container: V1Container | undefined,
  problems: string[],
  asRegExp: boolean,
): string {
  return text.replace(/\$\{port:([A-Za-z0-9_-]+)\}/g, (_match, label: string) => {
    const port = portByLabel(spec, container, label);
    if (port === undefined) {
      problems.push(`no container port for Nomad port "${label}"`);
      return asRegExp ? '(?!)' : `<no port ${label}>`;
    }
    return String(port);
  });
}

function matchesExpected(
  actual: string | undefined,
  expected: ExpectedString,
  spec: V1PodSpec,
  container: V1Container | undefined,
  problems: string[],
): boolean {
  if (actual === undefined) return false;
  if (typeof expected === 'string')
    return actual === substitutePorts(expected, spec, container, problems, false);
  return new RegExp(substitutePorts(expected.matches, spec, container, problems, true)).test(actual);
}

const show = (expected: ExpectedString) =>
  typeof expected === 'string' ? JSON.stringify(expected) : `~ /${expected.matches}/`;

/** A memory quantity in MiB (`256Mi`, `1Gi`, `268435456`, `512M`), undefined when not whole MiB. */
function quantityMiB(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) return undefined;
  const factor: Record<string, number> = {
    '': 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  const bytes = Number(match[1]) * (factor[match[2] ?? ''] ?? Number.NaN);
  const mib = bytes / 1024 ** 2;
  return Number.isInteger(mib) ? mib : undefined;
}

/** Where a path of the container's filesystem comes from: the deepest mount holding it. */
function mountFor(container: V1Container, path: string): { mount: V1VolumeMount; rest: string } | undefined {
  let best: { mount: V1VolumeMount; rest: string } | undefined;
  for (const mount of container.volumeMounts ?? []) {
    const base = mount.mountPath.replace(/\/+$/, '');
    if (path !== base && !path.startsWith(`${base}/`)) continue;
    if (best && best.mount.mountPath.replace(/\/+$/, '').length >= base.length) continue;
    best = { mount, rest: path.slice(base.length).replace(/^\/+/, '') };
  }
  return best;
}

/** The file's content in a ConfigMap/Secret/projected volume, with the mode it gets. */
type FileSource =
  | { kind: 'data'; content: string; mode?: number; from: string }
  | { kind: 'missing'; why: string }
  | { kind: 'opaque'; volume: V1Volume; what: string };

function keyedSource(
  items: Array<{ key: string; path: string; mode?: number }> | undefined,
  relative: string,
  keys: string[],
  defaultMode: number | undefined,
): { key: string; mode?: number } | undefined {
  if (items) {
    const item = items.find((i) => i.path.replace(/^\/+/, '') === relative);
    return item ? { key: item.key, mode: item.mode ?? defaultMode } : undefined;
  }
  return keys.includes(relative) ? { key: relative, mode: defaultMode } : undefined;
}

function fileSource(volume: V1Volume, relative: string, objects: ObjectSet): FileSource {
  const fromConfigMap = (
    name: string,
    items: Array<{ key: string; path: string; mode?: number }> | undefined,
    defaultMode: number | undefined,
  ): FileSource => {
    const cm = objects.configMaps.get(name);
    if (!cm) return { kind: 'missing', why: `ConfigMap ${name} not found` };
    const keyed = keyedSource(items, relative, Object.keys({ ...cm.data, ...cm.binaryData }), defaultMode);
    if (!keyed) return { kind: 'missing', why: `ConfigMap ${name} has no item at ${relative || '.'}` };
    const content = configMapValue(cm, keyed.key);
    if (content === undefined) return { kind: 'missing', why: `ConfigMap ${name} has no key ${keyed.key}` };
    return { kind: 'data', content, from: `ConfigMap ${name} key ${keyed.key}`, mode: keyed.mode };
  };
  const fromSecret = (
    name: string,
    items: Array<{ key: string; path: string; mode?: number }> | undefined,
    defaultMode: number | undefined,
  ): FileSource => {
    const secret = objects.secrets.get(name);
    if (!secret) return { kind: 'missing', why: `Secret ${name} not found` };
    const keyed = keyedSource(
      items,
      relative,
      Object.keys({ ...secret.data, ...secret.stringData }),
      defaultMode,
    );
    if (!keyed) return { kind: 'missing', why: `Secret ${name} has no item at ${relative || '.'}` };
    const content = decodeSecretValue(secret, keyed.key);
    if (content === undefined) return { kind: 'missing', why: `Secret ${name} has no key ${keyed.key}` };
    return { kind: 'data', content, from: `Secret ${name} key ${keyed.key}`, mode: keyed.mode };
  };
  if (volume.configMap)
    return fromConfigMap(volume.configMap.name ?? '', volume.configMap.items, volume.configMap.defaultMode);
  if (volume.secret)
    return fromSecret(volume.secret.secretName ?? '', volume.secret.items, volume.secret.defaultMode);
  if (volume.projected) {
    let last: FileSource = {
      kind: 'missing',
      why: `projected volume ${volume.name} has nothing at ${relative}`,
    };
    for (const s of volume.projected.sources ?? []) {
      const found = s.configMap
        ? fromConfigMap(s.configMap.name ?? '', s.configMap.items, volume.projected.defaultMode)
        : s.secret
          ? fromSecret(s.secret.name ?? '', s.secret.items, volume.projected.defaultMode)
          : undefined;
      if (found?.kind === 'data') return found;
      if (found) last = found;
    }
    return last;
  }
  const what = volume.emptyDir
    ? 'emptyDir'
    : volume.hostPath
      ? `hostPath ${volume.hostPath.path}`
      : volume.persistentVolumeClaim
        ? `PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName}`
        : volume.ephemeral
          ? 'ephemeral volume'
          : volume.csi
            ? 'CSI volume'
            : 'volume';
  return { kind: 'opaque', volume, what };
}

/**
 * The file the templates init container writes at `relative` of volume `volume` (the last copy there
 * wins): its source resolved through the init container's own mounts (a template ConfigMap/Secret key,
 * with the mode the copy sets), or opaque when the source is a file an artifact fetches.
 */
function copiedFile(
  spec: V1PodSpec,
  volume: string,
  relative: string,
  objects: ObjectSet,
): FileSource | undefined {
  let found: FileSource | undefined;
  for (const init of spec.initContainers ?? []) {
    for (const copy of templateCopies(init)) {
      const to = mountFor(init, copy.destination);
      if (!to || to.mount.name !== volume) continue;
      if ([to.mount.subPath ?? '', to.rest].filter((p) => p !== '').join('/') !== relative) continue;
      const from = mountFor(init, copy.source);
      const fromVolume = (spec.volumes ?? []).find((v) => v.name === from?.mount.name);
      if (!from || !fromVolume) {
        found = {
          kind: 'missing',
          why: `init container ${init.name} copies ${copy.source}, which it does not mount`,
        };
        continue;
      }
      const source = fileSource(
        fromVolume,
        [from.mount.subPath ?? '', from.rest].filter((p) => p !== '').join('/'),
        objects,
      );
      found =
        source.kind === 'data'
          ? { ...source, mode: copy.mode, from: `${source.from}, copied by init container ${init.name}` }
          : source;
    }
  }
  return found;
}

/** Does an init container of the pod write to this volume (an artifact download, a rendered file)? */
function writtenByInitContainer(spec: V1PodSpec, volume: string): boolean {
  return (spec.initContainers ?? []).some((c) =>
    (c.volumeMounts ?? []).some((m) => m.name === volume && !m.readOnly),
  );
}

function checkFile(
  file: FileExpectation,
  spec: V1PodSpec,
  container: V1Container,
  objects: ObjectSet,
): string[] {
  const where = `file ${file.path}`;
  const mounted = mountFor(container, file.path);
  if (!mounted) return [`${where}: no volume mounted at or above it`];
  const volume = (spec.volumes ?? []).find((v) => v.name === mounted.mount.name);
  if (!volume)
    return [`${where}: mount ${mounted.mount.mountPath} names missing volume ${mounted.mount.name}`];
  const relative = [mounted.mount.subPath ?? '', mounted.rest].filter((p) => p !== '').join('/');
  let source = fileSource(volume, relative, objects);
  // A template's file: written into the task directory's emptyDir by the templates init container.
  if (source.kind === 'opaque') source = copiedFile(spec, volume.name, relative, objects) ?? source;
  if (source.kind === 'missing') return [`${where}: ${source.why}`];
  const wantsContent = Boolean(file.contains || file.notContains || file.matches || file.mode);
  if (source.kind === 'opaque') {
    const on = `on ${source.what} ${volume.name} (mounted at ${mounted.mount.mountPath})`;
    const written = writtenByInitContainer(spec, volume.name);
    if (file.writtenAtStart) return written ? [] : [`${where}: ${on} that no init container writes`];
    if (wantsContent) return [`${where}: ${on}: no content the job gave it`];
    // An empty directory (or the node's) does not hold the file unless something writes it there.
    return written ? [] : [`${where}: ${on}: nothing puts the file there`];
  }
  const problems: string[] = [];
  for (const text of file.contains ?? [])
    if (!source.content.includes(text))
      problems.push(`${where}: ${source.from} lacks ${JSON.stringify(text)}`);
  for (const text of file.notContains ?? [])
    if (source.content.includes(text))
      problems.push(`${where}: ${source.from} holds ${JSON.stringify(text)}`);
  for (const pattern of file.matches ?? [])
    if (!new RegExp(pattern, 'm').test(source.content))
      problems.push(`${where}: ${source.from} does not match /${pattern}/`);
  if (file.mode !== undefined) {
    const want = Number.parseInt(file.mode, 8);
    // Kubernetes' default mode for ConfigMap/Secret files is 0644.
    const got = source.mode ?? 0o644;
    if (got !== want) problems.push(`${where}: mode ${got.toString(8)}, expected ${file.mode}`);
  }
  return problems;
}

function checkMount(
  expected: z.infer<typeof mountExpectation>,
  spec: V1PodSpec,
  container: V1Container,
): string[] {
  const where = `mount ${expected.path}`;
  const mount = (container.volumeMounts ?? []).find(
    (m) =>
      m.mountPath.replace(/\/+$/, '') === expected.path.replace(/\/+$/, '') ||
      (expected.path === '/' && m.mountPath === '/'),
  );
  if (!mount) return [`${where}: nothing mounted there`];
  const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume) return [`${where}: names missing volume ${mount.name}`];
  const problems: string[] = [];
  if (expected.hostPath !== undefined) {
    const node = volume.hostPath
      ? [volume.hostPath.path.replace(/\/+$/, ''), mount.subPath ?? ''].filter((p) => p !== '').join('/') ||
        '/'
      : undefined;
    if (node !== expected.hostPath)
      problems.push(
        `${where}: ${node ? `host path ${node}` : `volume ${mount.name} is not a hostPath`}, expected ${expected.hostPath}`,
      );
  }
  if (expected.persistent && (volume.emptyDir || volume.configMap || volume.secret || volume.projected))
    problems.push(
      `${where}: volume ${mount.name} does not outlive the pod (${Object.keys(volume)
        .filter((k) => k !== 'name')
        .join(', ')})`,
    );
  if (expected.readOnly !== undefined && Boolean(mount.readOnly) !== expected.readOnly)
    problems.push(`${where}: readOnly ${Boolean(mount.readOnly)}, expected ${expected.readOnly}`);
  return problems;
}

function resolveProbePort(port: number | string | undefined, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string') {
    if (/^\d+$/.test(port)) return Number(port);
    return (container.ports ?? []).find((p) => p.name === port)?.containerPort;
  }
  return undefined;
}

function expectedPort(port: number | string, spec: V1PodSpec, container: V1Container): number | undefined {
  return typeof port === 'number' ? port : portByLabel(spec, container, port);
}

function probeMatches(
  probe: V1Probe,
  expected: ProbeExpectation,
  spec: V1PodSpec,
  container: V1Container,
): boolean {
  const samePort = (actual: number | string | undefined, want: number | string | undefined) =>
    want === undefined ||
    (actual !== undefined && resolveProbePort(actual, container) === expectedPort(want, spec, container));
  if (expected.http)
    return (
      probe.httpGet !== undefined &&
      (probe.httpGet.path ?? '/') === expected.http.path &&
      samePort(probe.httpGet.port, expected.http.port)
    );
  if (expected.tcp) return probe.tcpSocket !== undefined && samePort(probe.tcpSocket.port, expected.tcp.port);
  if (expected.grpc) return probe.grpc !== undefined && samePort(probe.grpc.port, expected.grpc.port);
  if (expected.exec) {
    const command = probe.exec?.command ?? [];
    const want = expected.exec.command;
    // A shell wrapper is fine as long as the words are there in order.
    return command.join(' ').includes(want.join(' '));
  }
  return false;
}

const describeProbe = (p: V1Probe | undefined) =>
  p === undefined
    ? 'none'
    : p.httpGet
      ? `http GET ${p.httpGet.path} on ${p.httpGet.port}`
      : p.tcpSocket
        ? `tcp ${p.tcpSocket.port}`
        : p.grpc
          ? `grpc ${p.grpc.port}`
          : p.exec
            ? `exec ${JSON.stringify(p.exec.command)}`
            : JSON.stringify(p);

const describeExpectedProbe = (p: ProbeExpectation) =>
  p.http
    ? `http GET ${p.http.path}${p.http.port !== undefined ? ` on ${p.http.port}` : ''}`
    : p.tcp
      ? `tcp ${p.tcp.port}`
      : p.grpc
        ? `grpc ${p.grpc.port}`
        : `exec ${JSON.stringify(p.exec?.command)}`;

function checkTask(task: string, expected: TaskExpectation, source: PodSource, objects: ObjectSet): string[] {
  const spec = source.spec;
  const container = findContainer(spec, task);
  if (!container) return [`no container for task ${task}`];
  const problems: string[] = [];
  const at = (p: string) => problems.push(`${task}: ${p}`);
  if (expected.image && !matchesExpected(container.image, expected.image, spec, container, problems))
    at(`image ${container.image}, expected ${show(expected.image)}`);

  const { env, problems: envProblems } = resolveEnv(container, source, objects);
  for (const p of envProblems) at(`env ${p}`);
  if (expected.argv) {
    const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, env));
    const tail = argv.slice(Math.max(0, argv.length - expected.argv.length));
    const ok =
      tail.length === expected.argv.length &&
      expected.argv.every((want, i) => {
        const got = tail[i] ?? '';
        return (
          (!source.pod && RUNTIME_ONLY.test(got)) || matchesExpected(got, want, spec, container, problems)
        );
      });
    if (!ok) at(`argv ${JSON.stringify(argv)}, expected to end with [${expected.argv.map(show).join(', ')}]`);
  }
  for (const [name, want] of Object.entries(expected.env ?? {})) {
    const got = env.get(name);
    if (got === undefined) {
      at(`env ${name} not set`);
      continue;
    }
    if (typeof want === 'object' && 'defined' in want) continue;
    // A template cannot know a pod's IP or index: only pods are judged on those.
    if (!source.pod && RUNTIME_ONLY.test(got)) continue;
    if (!matchesExpected(got, want, spec, container, problems))
      at(`env ${name}=${JSON.stringify(got)}, expected ${show(want)}`);
  }
  for (const file of expected.files ?? []) for (const p of checkFile(file, spec, container, objects)) at(p);
  for (const mount of expected.mounts ?? []) for (const p of checkMount(mount, spec, container)) at(p);
  for (const port of expected.ports ?? []) {
    const found = (container.ports ?? []).find(
      (p) =>
        (port.name === undefined || p.name === port.name) &&
        (port.containerPort === undefined || p.containerPort === port.containerPort) &&
        (port.hostPort === undefined ||
          p.hostPort === port.hostPort ||
          (spec.hostNetwork && p.containerPort === port.hostPort)),
    );
    if (!found)
      at(
        `no container port ${JSON.stringify(port)}; has ${JSON.stringify((container.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, hostPort: p.hostPort })))}`,
      );
  }
  if (expected.memoryLimitMiB !== undefined) {
    const limit = container.resources?.limits?.memory;
    const mib = limit === undefined ? undefined : quantityMiB(String(limit));
    if (mib !== expected.memoryLimitMiB)
      at(`memory limit ${limit ?? 'none'}, expected ${expected.memoryLimitMiB}Mi`);
  }
  if (expected.privileged && container.securityContext?.privileged !== true) at('not privileged');
  if (expected.runAsUser !== undefined) {
    const user = container.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
    if (user !== expected.runAsUser)
      at(`runs as user ${user ?? "(the image's)"}, expected ${expected.runAsUser}`);
  }
  for (const probe of expected.probes ?? []) {
    const kind = probe.kind;
    const actual =
      kind === 'readiness'
        ? container.readinessProbe
        : kind === 'liveness'
          ? container.livenessProbe
          : container.startupProbe;
    if (!actual || !probeMatches(actual, probe, spec, container))
      at(`${kind} probe ${describeProbe(actual)}, expected ${describeExpectedProbe(probe)}`);
  }
  return problems;
}

/** Values of `{matches, unique}` env expectations must differ between the live pods of a group. */
function checkUnique(
  group: string,
  tasks: Record<string, TaskExpectation>,
  sources: PodSource[],
  objects: ObjectSet,
): string[] {
  const problems: string[] = [];
  const pods = sources.filter((s) => s.pod);
  for (const [task, expected] of Object.entries(tasks)) {
    for (const [name, want] of Object.entries(expected.env ?? {})) {
      if (typeof want !== 'object' || !('unique' in want)) continue;
      const values = pods.map((s) => {
        const container = findContainer(s.spec, task);
        return container ? resolveEnv(container, s, objects).env.get(name) : undefined;
      });
      if (new Set(values).size !== values.length)
        problems.push(
          `group ${group}: ${task}: env ${name} is not unique across pods: ${JSON.stringify(values)}`,
        );
    }
  }
  return problems;
}

function selects(service: V1Service, labels: Record<string, string>): boolean {
  const selector = service.spec?.selector ?? {};
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

const isReady = (pod: PodSource['pod']) =>
  pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

function checkService(expected: ServiceExpectation, jobObjectName: string, objects: ObjectSet): string[] {
  const where = `Service ${expected.name}`;
  const service = objects.services.get(expected.name);
  if (!service) {
    const names = [...objects.services.keys()].filter(
      (n) => n.startsWith(jobObjectName) || n.includes(expected.name),
    );
    return [`${where}: not found${names.length ? ` (there are: ${names.join(', ')})` : ''}`];
  }
  const problems: string[] = [];
  const sources = expected.groups.flatMap((g) => objects.podSources(jobObjectName, g));
  for (const group of expected.groups) {
    const templates = objects.podSources(jobObjectName, group).filter((s) => !s.pod);
    if (templates.length === 0) problems.push(`${where}: group ${group} has no workload`);
    for (const t of templates)
      if (!selects(service, t.labels)) problems.push(`${where}: does not select the pods of ${t.describe}`);
  }
  // Nor anything else: consumers of the name reach only the groups that register it.
  for (const w of objects.workloads) {
    const ours = w.metadata?.labels?.[LABEL_JOB] === jobObjectName && expected.groups.includes(groupOf(w));
    const labels = templateOf(w)?.metadata?.labels ?? {};
    if (!ours && selects(service, labels))
      problems.push(`${where}: also selects the pods of ${w.kind}/${w.metadata?.name}`);
  }
  const targetNumber = (target: number | string, s: PodSource) =>
    typeof target === 'number' ? target : portByLabel(s.spec, undefined, target);
  for (const port of expected.ports) {
    const found = (service.spec?.ports ?? []).find((sp) => {
      if (port.port !== undefined && sp.port !== port.port) return false;
      if ((sp.protocol ?? 'TCP') !== (port.protocol ?? 'TCP')) return false;
      const target = sp.targetPort ?? sp.port;
      return sources.every((s) => {
        const want = targetNumber(port.targetPort, s);
        if (want === undefined) return false;
        if (typeof target === 'number') return target === want;
        if (/^\d+$/.test(target)) return Number(target) === want;
        return [...s.spec.containers, ...(s.spec.initContainers ?? [])].some((c) =>
          (c.ports ?? []).some((p) => p.name === target && p.containerPort === want),
        );
      });
    });
    if (!found)
      problems.push(
        `${where}: no ${port.protocol ?? 'TCP'} port ${port.port ?? '(any)'} → container port ${port.targetPort}; has ${JSON.stringify((service.spec?.ports ?? []).map((p) => ({ port: p.port, targetPort: p.targetPort, protocol: p.protocol })))}`,
      );
  }
  if (objects.live) {
    // kube-proxy routes to what the EndpointSlices list: every ready pod of the groups, on the target port.
    const slices = objects.endpointSlices.filter(
      (s) => s.metadata?.labels?.['kubernetes.io/service-name'] === expected.name,
    );
    const listed = new Set(
      slices.flatMap((s) =>
        (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses),
      ),
    );
    const slicePorts = new Set(
      slices.flatMap((s) => (s.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`)),
    );
    for (const s of sources.filter((s) => s.pod && isReady(s.pod))) {
      const ip = s.pod?.status?.podIP;
      if (ip && !listed.has(ip)) problems.push(`${where}: ready ${s.describe} (${ip}) is not an endpoint`);
    }
    const readyPod = sources.find((s) => s.pod && isReady(s.pod));
    if (readyPod)
      for (const port of expected.ports) {
        const want = targetNumber(port.targetPort, readyPod);
        if (want === undefined || !slicePorts.has(`${want}/${port.protocol ?? 'TCP'}`))
          problems.push(
            `${where}: EndpointSlices have no port ${want ?? port.targetPort}/${port.protocol ?? 'TCP'} (have ${[...slicePorts].join(', ') || 'none'})`,
          );
      }
  }
  return problems;
}

/**
 * Everything about one job that does not hold in `objects`; empty when every expectation holds. Each
 * expectation is checked in every pod spec of its group (the workload's template and, live, each pod).
 */
/**
 * The unconverted expectations (see `unconvertedExpectation`): `warnings` are the translation's
 * warnings as `<path>: <message>` (convert's `warning:` lines without the prefix, or a NomadJob's
 * status.warnings).
 */
function checkUnconverted(
  expectations: JobExpectations,
  jobObjectName: string,
  objects: ObjectSet,
  warnings: readonly string[] | undefined,
): string[] {
  const problems: string[] = [];
  for (const expected of expectations.unconverted ?? []) {
    const what = expected.task
      ? `task ${expected.task} of group ${expected.group}`
      : `group ${expected.group}`;
    if (expected.task && expectations.groups[expected.group]?.tasks[expected.task]) {
      problems.push(`${what}: listed as unconverted and with expectations`);
    }
    const sources = objects.podSources(jobObjectName, expected.group);
    if (expected.task) {
      const task = expected.task;
      for (const source of sources.filter((s) => findContainer(s.spec, task)))
        problems.push(`${what}: converted (a container in ${source.describe}); state what it does instead`);
    } else if (sources.length > 0) {
      problems.push(
        `${what}: converted (${sources.map((s) => s.describe).join(', ')}); state what it does instead`,
      );
    }
    if (warnings === undefined) {
      problems.push(`${what}: the translation's warnings are not available to check`);
      continue;
    }
    const prefix = `${expected.path}: `;
    const at = warnings.filter((w) => w.startsWith(prefix)).map((w) => w.slice(prefix.length));
    if (at.length !== 1) {
      problems.push(`${what}: ${at.length} warnings at ${expected.path}, expected exactly one`);
    } else if (!new RegExp(expected.warning).test(at[0] ?? '')) {
      problems.push(
        `${what}: the warning at ${expected.path} is ${JSON.stringify(at[0])}, expected /${expected.warning}/`,
      );
    }
  }
  return problems;
}

export function checkJob(
  expectations: JobExpectations,
  jobObjectName: string,
  objects: ObjectSet,
  warnings?: readonly string[],
): string[] {
  const problems = new Set<string>(checkUnconverted(expectations, jobObjectName, objects, warnings));
  for (const [group, expected] of Object.entries(expectations.groups)) {
    const sources = objects.podSources(jobObjectName, group);
    if (sources.length === 0) {
      problems.add(`group ${group}: no workload`);
      continue;
    }
    for (const source of sources) {
      const add = (p: string) => problems.add(`group ${group}: ${p} [${source.describe}]`);
      if (expected.network === 'host') {
        if (source.spec.hostNetwork !== true) add('not on the host network');
        if (source.spec.dnsPolicy !== 'ClusterFirstWithHostNet')
          add(
            `dnsPolicy ${source.spec.dnsPolicy ?? '(default)'}: Service names do not resolve on the host network`,
          );
      }
      if (expected.hostPID && source.spec.hostPID !== true)
        add("does not share the node's process namespace");
      if (expected.hostname !== undefined && source.spec.hostname !== expected.hostname)
        add(`hostname ${source.spec.hostname ?? '(the pod name)'}, expected ${expected.hostname}`);
      if (expected.stopGraceSeconds !== undefined) {
        // Kubernetes' default grace period is 30 s.
        const grace = source.spec.terminationGracePeriodSeconds ?? 30;
        if (grace < expected.stopGraceSeconds)
          add(`terminationGracePeriodSeconds ${grace}, expected at least ${expected.stopGraceSeconds}`);
      }
      for (const [task, taskExpected] of Object.entries(expected.tasks))
        for (const p of checkTask(task, taskExpected, source, objects)) add(p);
    }
    if (objects.live) for (const p of checkUnique(group, expected.tasks, sources, objects)) problems.add(p);
  }
  for (const service of expectations.services ?? [])
    for (const p of checkService(service, jobObjectName, objects)) problems.add(p);
  return [...problems];
}
