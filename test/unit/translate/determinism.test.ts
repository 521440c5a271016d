// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolations are literal "${…}" text
// translate() is deterministic, never throws, and emits only objects the apiserver's validation would
// accept (checked here structurally; the integration tests dry-run them against a real apiserver):
// on every corpus job and on generated jobs.
import type {
  KubernetesObject,
  V1Container,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Service,
} from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue } from '../../../src/nomad/ids.ts';
import { type Job, JobSchema } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import type { TranslateResult } from '../../../src/translate/types.ts';
import { arbitraryFor } from '../../support/arbitrary-job.ts';
import { corpusJob, corpusNames, run } from './workload-support.ts';

const names = corpusNames();

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function memoryBytes(quantity: string | undefined): number {
  const match = /^(\d+)(Mi|Gi|Ti|Pi)$/.exec(quantity ?? '');
  if (!match) return Number.NaN;
  const unit = { Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 }[match[2] as 'Mi'];
  return Number(match[1]) * unit;
}

/** The problems the apiserver would find in a pod template (the rules this translator can break). */
function podProblems(template: V1PodTemplateSpec | undefined, restartPolicies: string[]): string[] {
  const problems: string[] = [];
  const spec = template?.spec as V1PodSpec | undefined;
  if (!spec) return ['no pod spec'];
  if (!restartPolicies.includes(spec.restartPolicy ?? ''))
    problems.push(`restartPolicy ${spec.restartPolicy}`);
  if (spec.containers.length === 0) problems.push('no containers');
  const all: V1Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  const containerNames = new Set<string>();
  const volumeNames = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (!isDns1123Label(v.name) || volumeNames.has(v.name)) problems.push(`volume name ${v.name}`);
    volumeNames.add(v.name);
  }
  const hostPorts = new Set<string>();
  for (const c of all) {
    const isInit = spec.initContainers?.includes(c) ?? false;
    const sidecar = isInit && c.restartPolicy === 'Always';
    if (!isDns1123Label(c.name) || containerNames.has(c.name)) problems.push(`container name ${c.name}`);
    containerNames.add(c.name);
    if (!c.image || c.image.trim() === '') problems.push(`${c.name}: no image`);
    if (!isInit && c.restartPolicy !== undefined) problems.push(`${c.name}: restartPolicy on a container`);
    if (isInit && !sidecar && (c.lifecycle || c.readinessProbe || c.livenessProbe || c.startupProbe)) {
      problems.push(`${c.name}: init container with lifecycle or probes`);
    }
    if (c.lifecycle?.stopSignal && !spec.os?.name) problems.push(`${c.name}: stopSignal without pod OS`);
    const sleep = c.lifecycle?.preStop?.sleep?.seconds;
    if (sleep !== undefined && !(sleep > 0)) problems.push(`${c.name}: preStop sleep ${sleep}`);
    const mountPaths = new Set<string>();
    for (const m of c.volumeMounts ?? []) {
      if (!volumeNames.has(m.name)) problems.push(`${c.name}: mount of unknown volume ${m.name}`);
      if (mountPaths.has(m.mountPath)) problems.push(`${c.name}: ${m.mountPath} mounted twice`);
      mountPaths.add(m.mountPath);
    }
    const portNames = new Set<string>();
    for (const p of c.ports ?? []) {
      if (p.name !== undefined) {
        if (portNames.has(p.name) || p.name.length > 15) problems.push(`${c.name}: port name ${p.name}`);
        portNames.add(p.name);
      }
      if (!(p.containerPort >= 1 && p.containerPort <= 65535))
        problems.push(`${c.name}: port ${p.containerPort}`);
      if (p.hostPort !== undefined) {
        const key = `${p.hostIP ?? ''}/${p.hostPort}/${p.protocol ?? 'TCP'}`;
        if (hostPorts.has(key)) problems.push(`${c.name}: duplicate host port ${key}`);
        hostPorts.add(key);
        if (spec.hostNetwork && p.hostPort !== p.containerPort) problems.push(`${c.name}: host network port`);
      }
    }
    const requests = c.resources?.requests?.memory;
    const limits = c.resources?.limits?.memory;
    if (requests && limits && memoryBytes(requests) > memoryBytes(limits)) {
      problems.push(`${c.name}: memory request above limit`);
    }
  }
  if ((spec.terminationGracePeriodSeconds ?? 0) < 0) problems.push('negative grace period');
  if (spec.hostname !== undefined && !isDns1123Label(spec.hostname))
    problems.push(`hostname ${spec.hostname}`);
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0)
    problems.push('dnsPolicy None');
  for (const search of spec.dnsConfig?.searches ?? []) {
    if (!isDns1123Subdomain(search)) problems.push(`DNS search ${search}`);
  }
  for (const option of spec.dnsConfig?.options ?? [])
    if (!option.name) problems.push('DNS option without a name');
  for (const [key, value] of Object.entries(template?.metadata?.labels ?? {})) {
    if (!isLabelValue(value)) problems.push(`pod label ${key}=${value}`);
  }
  return problems;
}

function selectorProblems(
  selector: Record<string, string> | undefined,
  template?: V1PodTemplateSpec,
): string[] {
  const labels = template?.metadata?.labels ?? {};
  return Object.entries(selector ?? {})
    .filter(([k, v]) => labels[k] !== v)
    .map(([k]) => `selector ${k} does not match the template`);
}

/** Structural validity of every object, as far as the apiserver checks what translate() controls. */
function objectProblems(object: KubernetesObject, namespace: string): string[] {
  const problems: string[] = [];
  const name = object.metadata?.name ?? '';
  const at = `${object.kind}/${name}`;
  if (!object.apiVersion || !object.kind) problems.push('no apiVersion/kind');
  if (!isDns1123Subdomain(name)) problems.push('invalid name');
  if (['Deployment', 'DaemonSet', 'Job', 'Service'].includes(object.kind ?? '') && !isDns1035Label(name)) {
    problems.push('name is not a DNS-1035 label');
  }
  if (object.kind === 'CronJob' && name.length > 52) problems.push('CronJob name over 52 characters');
  if (object.metadata?.namespace !== namespace) problems.push('namespace');
  for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
    if (!isLabelValue(value)) problems.push(`label ${key}=${value}`);
  }
  if (!object.metadata?.annotations?.['nomadoperator.dev/job-id'] === undefined) problems.push('no identity');
  switch (object.kind) {
    case 'Deployment': {
      const spec = (object as V1Deployment).spec;
      problems.push(...podProblems(spec?.template, ['Always']));
      problems.push(...selectorProblems(spec?.selector.matchLabels, spec?.template));
      if ((spec?.progressDeadlineSeconds ?? 600) <= (spec?.minReadySeconds ?? 0))
        problems.push('progress deadline');
      const rolling = spec?.strategy?.rollingUpdate;
      if (rolling && rolling.maxSurge === 0 && rolling.maxUnavailable === 0)
        problems.push('rolling update 0/0');
      break;
    }
    case 'DaemonSet': {
      const spec = (object as V1DaemonSet).spec;
      problems.push(...podProblems(spec?.template, ['Always']));
      problems.push(...selectorProblems(spec?.selector.matchLabels, spec?.template));
      break;
    }
    case 'Job': {
      const spec = (object as V1Job).spec;
      problems.push(...podProblems(spec?.template, ['OnFailure', 'Never']));
      if (spec?.completionMode === 'Indexed' && !((spec.completions ?? 0) >= 1))
        problems.push('Indexed completions');
      break;
    }
    case 'Service': {
      const spec = (object as V1Service).spec;
      const portNames = new Set<string>();
      for (const p of spec?.ports ?? []) {
        if (!(p.port >= 1 && p.port <= 65535)) problems.push(`service port ${p.port}`);
        if (typeof p.targetPort === 'number' && !(p.targetPort >= 1 && p.targetPort <= 65535)) {
          problems.push(`service target port ${p.targetPort}`);
        }
        if ((spec?.ports?.length ?? 0) > 1 && !p.name) problems.push('unnamed service port');
        if (p.name !== undefined && (portNames.has(p.name) || !isDns1123Label(p.name))) {
          problems.push(`service port name ${p.name}`);
        }
        if (p.name !== undefined) portNames.add(p.name);
      }
      for (const [key, value] of Object.entries(spec?.selector ?? {})) {
        if (!isLabelValue(value)) problems.push(`selector ${key}=${value}`);
      }
      break;
    }
    case 'CronJob': {
      const spec = (object as V1CronJob).spec;
      problems.push(...podProblems(spec?.jobTemplate.spec?.template, ['OnFailure', 'Never']));
      if (!/^(@\w+|\S+ \S+ \S+ \S+ \S+)$/.test(spec?.schedule ?? ''))
        problems.push(`schedule ${spec?.schedule}`);
      break;
    }
  }
  return problems.map((p) => `${at}: ${p}`);
}

function resultProblems(result: TranslateResult, namespace: string): string[] {
  const problems = result.objects.flatMap((o) => objectProblems(o, namespace));
  const keys = result.objects.map((o) => `${o.kind}\u0000${o.metadata?.name}`);
  if (new Set(keys).size !== keys.length) problems.push('duplicate objects');
  const sortedKeys = [...keys].sort(compare);
  if (JSON.stringify(sortedKeys) !== JSON.stringify(keys)) problems.push('objects are not sorted');
  const warningKeys = result.warnings.map((w) => `${w.path}\u0000${w.message}`);
  if (JSON.stringify([...warningKeys].sort(compare)) !== JSON.stringify(warningKeys)) {
    problems.push('warnings are not sorted');
  }
  for (const w of result.warnings) {
    if (w.message.includes('internal error')) problems.push(`${w.path}: ${w.message}`);
  }
  return problems;
}

describe('every corpus job', () => {
  it.each(names)('%s: deterministic, valid, sorted, without internal errors', (name) => {
    const job = corpusJob(name);
    const before = JSON.stringify(job);
    const first = run(job);
    const second = run(corpusJob(name));
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(JSON.stringify(job)).toBe(before); // the input is not modified
    expect(resultProblems(first, 'apps')).toEqual([]);
  });

  it('most corpus jobs produce a workload', () => {
    const withWorkloads = names.filter((name) =>
      run(corpusJob(name)).objects.some((o) =>
        ['Deployment', 'Job', 'CronJob', 'DaemonSet'].includes(o.kind ?? ''),
      ),
    );
    expect(withWorkloads.length).toBeGreaterThanOrEqual(names.length - 2);
  });
});

// ---------------------------------------------------------------------------------------------------
// Generated jobs: the model's own generator (as in test/unit/crd/codec.test.ts), steered towards the
// job types and drivers the translator knows, with driver configs of plausible and implausible shapes.

const jsonValue = fc.jsonValue({ maxDepth: 2 });
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('${NOMAD_ALLOC_ID}', '$(HOME)', '${attr.kernel.name}', '/abs/path:/mnt:ro', 'a:b'),
);
const driverConfig = fc.record(
  {
    image: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('redis:7', 'app:${NOMAD_META_v}', 'ghcr.io/o/r:1') },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    command: text,
    args: fc.oneof(fc.array(fc.oneof(text, fc.integer())), jsonValue),
    entrypoint: fc.array(text, { maxLength: 2 }),
    volumes: fc.oneof(fc.array(text, { maxLength: 3 }), jsonValue),
    mount: fc.oneof(
      fc.array(
        fc.record(
          {
            type: fc.constantFrom('bind', 'tmpfs', 'volume', 'x'),
            source: text,
            target: text,
            readonly: fc.boolean(),
            tmpfs_options: fc.array(fc.record({ size: fc.oneof(fc.integer(), fc.string()) })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      jsonValue,
    ),
    labels: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), text, { maxKeys: 2 }), jsonValue),
    sysctl: fc.oneof(
      fc.dictionary(fc.constantFrom('net.core.somaxconn', 'kernel.shm_rmid_forced', 'Bad Name'), text),
      jsonValue,
    ),
    hostname: text,
    dns_servers: fc.array(fc.oneof(text, fc.ipV4(), fc.ipV6()), { maxLength: 4 }),
    dns_search_domains: fc.array(fc.oneof(text, fc.domain()), { maxLength: 2 }),
    dns_options: fc.array(text, { maxLength: 2 }),
    extra_hosts: fc.array(text, { maxLength: 2 }),
    auth: fc.oneof(
      fc.record({ username: text, password: text, server_address: text }, { requiredKeys: [] }),
      jsonValue,
    ),
    network_mode: fc.constantFrom('host', 'bridge', 'none', ''),
    pid_mode: fc.constantFrom('host', ''),
    ipc_mode: fc.constantFrom('host', 'private'),
    cap_add: fc.oneof(fc.array(text, { maxLength: 2 }), jsonValue),
    shm_size: fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.double()),
    jar_path: text,
    class: text,
    jvm_options: fc.array(text, { maxLength: 2 }),
    runtime: text,
    group_add: fc.array(text, { maxLength: 2 }),
    ports: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const generatedJob = fc
  .tuple(
    arbitraryFor(JobSchema, { durationMin: -1e12 }),
    fc.constantFrom('service', 'batch', 'system', 'sysbatch', 'other'),
    fc.array(fc.constantFrom('docker', 'exec', 'raw_exec', 'java', 'podman', ''), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.array(driverConfig, { minLength: 1, maxLength: 4 }),
    fc.array(fc.constantFrom('', '', '', 'prestart', 'poststart', 'poststop', 'weird'), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.nat(9),
  )
  .map(([raw, type, drivers, configs, hooks, dice]) => {
    const job = raw as Job;
    job.Type = type;
    if (job.Periodic && type !== 'batch') delete job.Periodic;
    // Mostly jobs that run something: not parameterized templates, at least one group with a task.
    if (dice > 0) delete job.ParameterizedJob;
    if (dice > 1) {
      job.TaskGroups = job.TaskGroups?.length ? job.TaskGroups : [{ Name: 'g' }];
      for (const group of job.TaskGroups) group.Tasks = group.Tasks?.length ? group.Tasks : [{ Name: 't' }];
    }
    let n = 0;
    for (const group of job.TaskGroups ?? []) {
      for (const task of group.Tasks ?? []) {
        task.Driver = drivers[n % drivers.length];
        task.Config = { ...(task.Config ?? {}), ...configs[n % configs.length] };
        task.Lifecycle = { ...(task.Lifecycle ?? {}), Hook: hooks[n % hooks.length] };
        n++;
      }
    }
    return job;
  });

// TRANSLATE_RUNS=5000 npx vitest run --project unit test/unit/translate/determinism.test.ts for a longer search.
const runs = Number(process.env.TRANSLATE_RUNS ?? 300);

describe('generated jobs', () => {
  it('never throw, are deterministic and valid, raw and canonicalized', {
    timeout: 60_000 + runs * 50,
  }, () => {
    let withWorkload = 0;
    fc.assert(
      fc.property(generatedJob, (job) => {
        const copy = structuredClone(job);
        const first = translate(job, { namespace: 'gen' });
        if (first.objects.some((o) => o.kind !== 'Service')) withWorkload++;
        expect(JSON.stringify(translate(copy, { namespace: 'gen' }))).toBe(JSON.stringify(first));
        expect(resultProblems(first, 'gen')).toEqual([]);
        let canonical: Job | undefined;
        try {
          canonical = canonicalize(job);
        } catch {
          canonical = undefined; // not a job Nomad could store; translate() must still not throw above
        }
        if (canonical) expect(resultProblems(translate(canonical, { namespace: 'gen' }), 'gen')).toEqual([]);
      }),
      { numRuns: runs },
    );
    // The generator must reach the workload code, not only the early exits.
    expect(withWorkload).toBeGreaterThan(runs / 4);
  });
});
