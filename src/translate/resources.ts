// Task resources → container resource requests and limits.
//
//   CPU (MHz)      → requests.cpu = CPU × millicoresPerMHz millicores. The default ratio is 1, so
//                    100 MHz (Nomad's default) is 100m and 1000 MHz one core: Nomad's MHz are shares of
//                    a node's total clock, and 1 GHz ≈ one core is the usual reading of them. No CPU
//                    limit: Nomad's CPU is a soft share, except with the docker option
//                    `cpu_hard_limit = true`, which sets limits.cpu = requests.cpu.
//   Cores          → requests.cpu = limits.cpu = whole CPUs (Nomad reserves the cores exclusively; a
//                    Guaranteed pod with integer CPUs gets exclusive cores from the static CPU manager).
//   MemoryMB       → requests.memory, and limits.memory too (Nomad enforces memory as a hard limit).
//   MemoryMaxMB    → limits.memory when above MemoryMB (Nomad's memory oversubscription); the docker
//                    option `memory_hard_limit` (MB) does the same.
//   Devices        → `nvidia/gpu` (also `gpu`, `nvidia/gpu/<model>`) → limits `nvidia.com/gpu` = Count;
//                    anything else is a warning. Device constraints and affinities are warnings.
//   NUMA           → warning when an affinity or devices are set (the kubelet's topology manager is node
//                    configuration).
//   DiskMB, IOPS   → ignored: deprecated in Nomad, ephemeral disk is a group setting (storage.ts).
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { Task } from '../nomad/schema.ts';
import type { GroupContext } from './types.ts';

/** Kubernetes memory quantity for a number of MiB, in the canonical form the apiserver writes. */
export function mebibytes(mb: number): string {
  let value = mb;
  for (const unit of ['Mi', 'Gi', 'Ti', 'Pi']) {
    if (value % 1024 !== 0 || unit === 'Pi') return `${value}${unit}`;
    value /= 1024;
  }
  return `${value}Pi`;
}

/** Kubernetes CPU quantity for a number of millicores, in canonical form (`1500m`, `2`). */
export function millicores(milli: number): string {
  return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}

/** Millicores for a Nomad CPU value in MHz; at least 1m for any positive value. */
export function cpuMillicores(mhz: number, millicoresPerMHz: number): number {
  const milli = Math.round(mhz * millicoresPerMHz);
  return Math.max(1, Math.min(milli, Number.MAX_SAFE_INTEGER));
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The Kubernetes extended resource for a Nomad device name, or undefined if there is none. */
export function deviceResourceName(name: string): { resource: string; model?: string } | undefined {
  const parts = name.split('/');
  // Nomad device names: `<type>`, `<vendor>/<type>` or `<vendor>/<type>/<model>`.
  if (parts.length === 1 && parts[0] === 'gpu') return { resource: 'nvidia.com/gpu' };
  if (parts.length >= 2 && parts[0] === 'nvidia' && parts[1] === 'gpu') {
    const model = parts.slice(2).join('/');
    return model === '' ? { resource: 'nvidia.com/gpu' } : { resource: 'nvidia.com/gpu', model };
  }
  return undefined;
}

/** Requests and limits of one task's container; undefined when the task asks for nothing. */
export function taskResources(
  ctx: GroupContext,
  task: Task,
  taskIndex: number,
): V1ResourceRequirements | undefined {
  const path = `${ctx.path}.Tasks[${taskIndex}].Resources`;
  const r = task.Resources ?? {};
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  const config = task.Driver === 'docker' ? (task.Config ?? {}) : {};

  const cores = positiveInt(r.Cores);
  const mhz = positiveInt(r.CPU);
  if (cores !== undefined) {
    requests.cpu = `${cores}`;
    limits.cpu = `${cores}`;
    if (mhz !== undefined) {
      ctx.warn(`${path}.CPU`, 'cpu is ignored when cores is set: the container reserves whole CPUs');
    }
  } else if (mhz !== undefined) {
    requests.cpu = millicores(cpuMillicores(mhz, ctx.options.millicoresPerMHz));
    if (config.cpu_hard_limit === true) limits.cpu = requests.cpu;
  }

  const memory = positiveInt(r.MemoryMB);
  const memoryMax = positiveInt(r.MemoryMaxMB);
  const hardLimit = positiveInt(config.memory_hard_limit);
  if (memory !== undefined) {
    requests.memory = mebibytes(memory);
    const max = Math.max(memory, memoryMax ?? 0, hardLimit ?? 0);
    limits.memory = mebibytes(max);
  } else if (memoryMax !== undefined || hardLimit !== undefined) {
    limits.memory = mebibytes(Math.max(memoryMax ?? 0, hardLimit ?? 0));
  }

  (r.Devices ?? []).forEach((device, i) => {
    const devicePath = `${path}.Devices[${i}]`;
    const name = device.Name ?? '';
    const mapped = deviceResourceName(name);
    if (!mapped) {
      ctx.warn(
        devicePath,
        `device ${JSON.stringify(name)} has no Kubernetes equivalent here (only nvidia/gpu → nvidia.com/gpu is converted); the container does not request it`,
      );
      return;
    }
    const count = typeof device.Count === 'number' && Number.isInteger(device.Count) ? device.Count : 1;
    if (count <= 0) return;
    const total = Number(limits[mapped.resource] ?? '0') + count;
    limits[mapped.resource] = `${total}`;
    if (mapped.model !== undefined) {
      ctx.warn(
        `${devicePath}.Name`,
        `the GPU model ${JSON.stringify(mapped.model)} is not selected: the pod gets any ${mapped.resource}; add a node selector for the model`,
      );
    }
    if (name === 'gpu') {
      ctx.warn(`${devicePath}.Name`, 'a vendor-less "gpu" device is requested as nvidia.com/gpu');
    }
    if ((device.Constraints ?? []).length > 0) {
      ctx.warn(
        `${devicePath}.Constraints`,
        'device constraints are not converted: Kubernetes device plugins do not expose device attributes to the scheduler',
      );
    }
    if ((device.Affinities ?? []).length > 0) {
      ctx.warn(
        `${devicePath}.Affinities`,
        'device affinities are not converted: Kubernetes device plugins do not expose device attributes to the scheduler',
      );
    }
  });

  const numaAffinity = r.NUMA?.Affinity ?? 'none';
  const numaDevices = r.NUMA?.Devices ?? [];
  if (numaAffinity !== 'none' || numaDevices.length > 0) {
    const what = [
      ...(numaAffinity !== 'none' ? [`affinity ${JSON.stringify(numaAffinity)}`] : []),
      ...(numaDevices.length > 0 ? [`devices ${numaDevices.map((d) => JSON.stringify(d)).join(', ')}`] : []),
    ].join(', ');
    ctx.warn(
      `${path}.NUMA`,
      `the numa block (${what}) is not converted: NUMA alignment is the kubelet topology manager policy of the node, not a pod setting`,
    );
  }

  const out: V1ResourceRequirements = {};
  if (Object.keys(requests).length > 0) out.requests = requests;
  if (Object.keys(limits).length > 0) out.limits = limits;
  return out.requests || out.limits ? out : undefined;
}
