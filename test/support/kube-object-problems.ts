// The problems the apiserver's validation would find in objects the translator emits, checked
// structurally without a cluster (the integration tests apply the same objects to a real apiserver).
// Covers what translate() controls: names, namespaces, labels and selectors, pod templates (containers,
// volumes and mounts, ports, restart policies, lifecycle hooks, resources, DNS), Services, CronJob
// schedules and ConfigMap/Secret keys. Two rules are stricter than the apiserver on purpose: the pod
// restartPolicy must be written (the translator never leaves it to the apiserver's defaulting), and a
// preStop sleep must be positive (zero is refused by apiservers before 1.33).
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1PodTemplateSpec,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue } from '../../src/nomad/ids.ts';

function memoryBytes(quantity: string | undefined): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti|Pi)?$/.exec(quantity ?? '');
  if (!match) return Number.NaN;
  const units: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
  };
  const unit = units[match[2] ?? ''] ?? Number.NaN;
  return Number(match[1]) * unit;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function podTemplateProblems(template: V1PodTemplateSpec | undefined, restartPolicies: string[]): string[] {
  const spec = template?.spec;
  if (!spec) return ['no pod spec'];
  const problems: string[] = [];
  if (!restartPolicies.includes(spec.restartPolicy ?? ''))
    problems.push(`restartPolicy ${spec.restartPolicy} (allowed: ${restartPolicies.join(', ')})`);
  if (spec.containers.length === 0) problems.push('no containers');
  for (const [key, value] of Object.entries(template?.metadata?.labels ?? {})) {
    if (!isLabelValue(value)) problems.push(`pod label ${key}=${value}`);
  }
  const volumes = new Set<string>();
  for (const volume of spec.volumes ?? []) {
    if (!isDns1123Label(volume.name) || volumes.has(volume.name)) problems.push(`volume name ${volume.name}`);
    volumes.add(volume.name);
  }
  const containers: Array<{ container: V1Container; init: boolean }> = [
    ...(spec.initContainers ?? []).map((container) => ({ container, init: true })),
    ...spec.containers.map((container) => ({ container, init: false })),
  ];
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  for (const { container: c, init } of containers) {
    const at = `container ${c.name}`;
    if (!isDns1123Label(c.name) || names.has(c.name)) problems.push(`${at}: invalid or duplicate name`);
    names.add(c.name);
    if (!c.image?.trim()) problems.push(`${at}: no image`);
    if (!init && c.restartPolicy !== undefined) problems.push(`${at}: restartPolicy on a regular container`);
    const sidecar = init && c.restartPolicy === 'Always';
    if (init && c.restartPolicy !== undefined && !sidecar)
      problems.push(`${at}: restartPolicy ${c.restartPolicy} on an init container`);
    if (init && !sidecar && (c.lifecycle || c.readinessProbe || c.livenessProbe || c.startupProbe))
      problems.push(`${at}: lifecycle or probes on an init container`);
    if (c.lifecycle?.stopSignal && !spec.os?.name) problems.push(`${at}: stopSignal without a pod OS`);
    const sleep = c.lifecycle?.preStop?.sleep?.seconds;
    if (sleep !== undefined && !(sleep > 0)) problems.push(`${at}: preStop sleep ${sleep}`);
    const mountPaths = new Set<string>();
    for (const mount of c.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) problems.push(`${at}: mounts unknown volume ${mount.name}`);
      if (mountPaths.has(mount.mountPath)) problems.push(`${at}: ${mount.mountPath} mounted twice`);
      mountPaths.add(mount.mountPath);
    }
    const portNames = new Set<string>();
    for (const port of c.ports ?? []) {
      if (port.name !== undefined) {
        if (!IANA_SVC_NAME.test(port.name) || port.name.length > 15 || portNames.has(port.name))
          problems.push(`${at}: port name ${port.name}`);
        portNames.add(port.name);
      }
      if (!(port.containerPort >= 1 && port.containerPort <= 65535))
        problems.push(`${at}: containerPort ${port.containerPort}`);
      if (port.hostPort !== undefined) {
        // The apiserver's key: the same host port on two host IPs is accepted.
        const key = `${port.hostIP ?? ''}/${port.hostPort}/${port.protocol ?? 'TCP'}`;
        if (hostPorts.has(key)) problems.push(`${at}: host port ${key} used twice`);
        hostPorts.add(key);
        if (spec.hostNetwork && port.hostPort !== port.containerPort)
          problems.push(`${at}: host network needs hostPort = containerPort (${key})`);
      }
    }
    for (const env of c.env ?? []) {
      if (!env.name) problems.push(`${at}: env var without a name`);
    }
    const requests = c.resources?.requests?.memory;
    const limits = c.resources?.limits?.memory;
    if (requests && limits && memoryBytes(requests) > memoryBytes(limits))
      problems.push(`${at}: memory request above limit`);
  }
  if ((spec.terminationGracePeriodSeconds ?? 0) < 0) problems.push('negative terminationGracePeriodSeconds');
  if (spec.hostname !== undefined && !isDns1123Label(spec.hostname))
    problems.push(`hostname ${spec.hostname}`);
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0)
    problems.push('dnsPolicy None without nameservers');
  for (const search of spec.dnsConfig?.searches ?? []) {
    if (!isDns1123Subdomain(search)) problems.push(`DNS search ${search}`);
  }
  for (const option of spec.dnsConfig?.options ?? []) {
    if (!option.name) problems.push('DNS option without a name');
  }
  return problems;
}

function selectorProblems(
  selector: Record<string, string> | undefined,
  template?: V1PodTemplateSpec,
): string[] {
  const labels = template?.metadata?.labels ?? {};
  if (Object.keys(selector ?? {}).length === 0) return ['empty selector'];
  return Object.entries(selector ?? {})
    .filter(([key, value]) => labels[key] !== value)
    .map(([key]) => `selector ${key} does not match the pod template`);
}

/** Problems of one object, each prefixed with `Kind/name: `. */
export function objectProblems(object: KubernetesObject, namespace: string): string[] {
  const name = object.metadata?.name ?? '';
  const problems: string[] = [];
  if (!object.apiVersion || !object.kind) problems.push('no apiVersion or kind');
  if (!isDns1123Subdomain(name)) problems.push('name is not a DNS-1123 subdomain');
  if (['Deployment', 'DaemonSet', 'Job', 'Service'].includes(object.kind ?? '') && !isDns1035Label(name))
    problems.push('name is not a DNS-1035 label');
  if (object.metadata?.namespace !== namespace) problems.push(`namespace ${object.metadata?.namespace}`);
  for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
    if (!isLabelValue(value)) problems.push(`label ${key}=${value}`);
  }
  switch (object.kind) {
    case 'Deployment': {
      const spec = (object as V1Deployment).spec;
      problems.push(...podTemplateProblems(spec?.template, ['Always']));
      problems.push(...selectorProblems(spec?.selector.matchLabels, spec?.template));
      const rolling = spec?.strategy?.rollingUpdate;
      if (rolling && rolling.maxSurge === 0 && rolling.maxUnavailable === 0)
        problems.push('rolling update 0/0');
      if ((spec?.progressDeadlineSeconds ?? 600) <= (spec?.minReadySeconds ?? 0))
        problems.push('progressDeadlineSeconds not above minReadySeconds');
      break;
    }
    case 'DaemonSet': {
      const spec = (object as V1DaemonSet).spec;
      problems.push(...podTemplateProblems(spec?.template, ['Always']));
      problems.push(...selectorProblems(spec?.selector.matchLabels, spec?.template));
      break;
    }
    case 'Job': {
      const spec = (object as V1Job).spec;
      problems.push(...podTemplateProblems(spec?.template, ['OnFailure', 'Never']));
      if (spec?.completionMode === 'Indexed' && !((spec.completions ?? 0) >= 1))
        problems.push('Indexed Job without completions');
      break;
    }
    case 'CronJob': {
      const spec = (object as V1CronJob).spec;
      if (name.length > 52) problems.push('CronJob name over 52 characters');
      problems.push(...podTemplateProblems(spec?.jobTemplate.spec?.template, ['OnFailure', 'Never']));
      if (!/^(@\w+|\S+ \S+ \S+ \S+ \S+)$/.test(spec?.schedule ?? ''))
        problems.push(`schedule ${spec?.schedule}`);
      break;
    }
    case 'Service': {
      const spec = (object as V1Service).spec;
      const portNames = new Set<string>();
      for (const port of spec?.ports ?? []) {
        if (!(port.port >= 1 && port.port <= 65535)) problems.push(`service port ${port.port}`);
        if (typeof port.targetPort === 'number' && !(port.targetPort >= 1 && port.targetPort <= 65535))
          problems.push(`service targetPort ${port.targetPort}`);
        if ((spec?.ports?.length ?? 0) > 1 && !port.name)
          problems.push('unnamed port in a multi-port Service');
        if (port.name !== undefined && (!isDns1123Label(port.name) || portNames.has(port.name)))
          problems.push(`service port name ${port.name}`);
        if (port.name !== undefined) portNames.add(port.name);
      }
      for (const [key, value] of Object.entries(spec?.selector ?? {})) {
        if (!isLabelValue(value)) problems.push(`selector ${key}=${value}`);
      }
      break;
    }
    case 'ConfigMap':
    case 'Secret': {
      const data = { ...(object as V1ConfigMap | V1Secret).data };
      for (const key of Object.keys(data)) {
        if (!CONFIG_KEY.test(key) || key.length > 253) problems.push(`data key ${key}`);
      }
      break;
    }
  }
  return problems.map((problem) => `${object.kind}/${name}: ${problem}`);
}

/** Problems of a translation's objects: each object's, and duplicates. */
export function objectsProblems(objects: readonly KubernetesObject[], namespace: string): string[] {
  const problems = objects.flatMap((object) => objectProblems(object, namespace));
  const keys = objects.map((o) => `${o.kind}/${o.metadata?.name}`);
  for (const key of new Set(keys)) {
    if (keys.filter((k) => k === key).length > 1) problems.push(`${key}: emitted twice`);
  }
  return problems;
}
