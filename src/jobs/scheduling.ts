// Why the Kubernetes scheduler could not place a pod, in Nomad's terms. A pod the kube-scheduler
// cannot place carries PodScheduled=False, reason Unschedulable, and a message such as
// "0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. preemption: …". Such a pod is a
// Nomad allocation that was never placed: it is queued, its job is pending (status.ts), and its
// evaluation is blocked with an AllocMetric per task group (evaluations.ts) read from that message:
// "0/N nodes" → NodesEvaluated, "k Insufficient memory" → NodesExhausted and DimensionExhausted
// {"memory": k}, any other reason (node affinity/selector, taints, volumes) → NodesFiltered and
// ConstraintFiltered {reason: k}, as Nomad's scheduler counts exhausted and filtered nodes.
import type { V1Pod } from '@kubernetes/client-node';
import type { Job } from '../nomad/schema.ts';

/** The scheduler's message when a pod cannot be placed, else undefined. */
export function unschedulableMessage(pod: V1Pod): string | undefined {
  if (pod.spec?.nodeName) return undefined;
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (condition?.status === 'False' && condition.reason === 'Unschedulable')
    return condition.message || 'no node can run the allocation';
  return undefined;
}

/** Placed on a node (or already finished, which implies it was). */
export function isPlaced(pod: V1Pod): boolean {
  return !!pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** One "k reason" item of the scheduler's message; `nodes` is undefined when no count was given. */
export interface SchedulerReason {
  nodes: number | undefined;
  reason: string;
}

export interface SchedulerMessage {
  /** N of "0/N nodes are available" (undefined when the message is not in that form). */
  nodes: number | undefined;
  available: number;
  reasons: SchedulerReason[];
}

/**
 * Reads the kube-scheduler's FitError text: "<a>/<n> nodes are available: <k reason>, <k reason>."
 * optionally followed by " preemption: …". Reasons are split at ", " followed by a count, since
 * reasons (taints, PVC names) may contain commas of their own.
 */
export function parseSchedulerMessage(message: string): SchedulerMessage {
  const head = /^(\d+)\/(\d+) nodes? (?:are|is) available:?\s*/.exec(message);
  if (!head) return { nodes: undefined, available: 0, reasons: [{ nodes: undefined, reason: message }] };
  let body = message.slice(head[0].length);
  const preemption = body.indexOf(' preemption:');
  if (preemption >= 0) body = body.slice(0, preemption);
  body = body.trim().replace(/\.$/, '');
  const reasons: SchedulerReason[] = [];
  for (const part of body.split(/, (?=\d+ )/)) {
    if (!part) continue;
    const counted = /^(\d+) (.+)$/s.exec(part);
    reasons.push(
      counted ? { nodes: Number(counted[1]), reason: counted[2]! } : { nodes: undefined, reason: part },
    );
  }
  return { nodes: Number(head[2]), available: Number(head[1]), reasons };
}

/** The resource dimension an "Insufficient <resource>" reason names, in Nomad's words where it has them. */
function exhaustedDimension(reason: string): string | undefined {
  const insufficient = /^Insufficient (.+)$/.exec(reason);
  if (insufficient) {
    const resource = insufficient[1]!;
    if (resource === 'memory' || resource === 'cpu') return resource;
    if (resource === 'ephemeral-storage') return 'disk';
    return resource;
  }
  if (/didn't have free ports/.test(reason)) return 'network: port collision';
  if (reason === 'Too many pods') return 'pods';
  return undefined;
}

/** api.Resources as Nomad fills ResourcesExhausted (CPU and memory of each task). */
export interface ExhaustedResources {
  CPU: number;
  Cores: number;
  MemoryMB: number;
  MemoryMaxMB: number;
  DiskMB: number;
  IOPS: number;
  Networks: null;
  Devices: null;
  NUMA: null;
  SecretsMB: number;
}

/** Nomad's AllocationMetric, as far as Kubernetes' scheduler tells it. */
export interface AllocationMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesInPool: number;
  NodePool: string;
  NodesAvailable: Record<string, number> | null;
  ClassFiltered: Record<string, number> | null;
  ConstraintFiltered: Record<string, number> | null;
  NodesExhausted: number;
  ClassExhausted: Record<string, number> | null;
  DimensionExhausted: Record<string, number> | null;
  QuotaExhausted: string[] | null;
  ResourcesExhausted: Record<string, ExhaustedResources> | null;
  Scores: Record<string, number> | null;
  ScoreMetaData: unknown[] | null;
  AllocationTime: number;
  CoalescedFailures: number;
}

/** The unplaceable pods of one task group: how many carried each scheduler message. */
export type GroupFailures = Map<string, number>;

/** The message most pods of a group carry (ties: the first in sort order), and the pod count. */
export function dominantMessage(failures: GroupFailures): { message: string; pods: number } {
  const [message, count] = [...failures].sort(
    ([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0),
  )[0] ?? ['', 0];
  const pods = [...failures.values()].reduce((sum, n) => sum + n, 0);
  return { message: count > 0 ? message : '', pods };
}

/**
 * Nomad's AllocMetric for a task group none of whose `failures` could be placed: the metric of one
 * placement attempt (the message most of them carry), the others coalesced into it, and — as Nomad
 * does when memory or cpu ran out — the group's task resources summed over the failed allocations.
 */
export function allocationMetric(
  failures: GroupFailures,
  context: { nodePool?: string; tasks?: Array<{ name: string; cpu: number; memoryMB: number }> } = {},
): AllocationMetric {
  const { message, pods } = dominantMessage(failures);
  const parsed = parseSchedulerMessage(message);
  const total = parsed.nodes ?? 0;
  const constraintFiltered: Record<string, number> = {};
  const dimensionExhausted: Record<string, number> = {};
  let filtered = 0;
  let exhausted = 0;
  for (const { nodes, reason } of parsed.reasons) {
    // A reason without a count (e.g. "pod has unbound immediate PersistentVolumeClaims") held for every node.
    const count = nodes ?? total;
    const dimension = exhaustedDimension(reason);
    if (dimension) {
      dimensionExhausted[dimension] = (dimensionExhausted[dimension] ?? 0) + count;
      exhausted += count;
    } else {
      constraintFiltered[reason] = (constraintFiltered[reason] ?? 0) + count;
      filtered += count;
    }
  }
  const hasDimensions = Object.keys(dimensionExhausted).length > 0;
  let resourcesExhausted: Record<string, ExhaustedResources> | null = null;
  if ((dimensionExhausted.memory ?? 0) > 0 || (dimensionExhausted.cpu ?? 0) > 0) {
    resourcesExhausted = {};
    for (const task of context.tasks ?? [])
      resourcesExhausted[task.name] = {
        CPU: (dimensionExhausted.cpu ?? 0) > 0 ? task.cpu * pods : 0,
        Cores: 0,
        MemoryMB: (dimensionExhausted.memory ?? 0) > 0 ? task.memoryMB * pods : 0,
        MemoryMaxMB: 0,
        DiskMB: 0,
        IOPS: 0,
        Networks: null,
        Devices: null,
        NUMA: null,
        SecretsMB: 0,
      };
  }
  return {
    NodesEvaluated: total,
    NodesFiltered: filtered,
    NodesInPool: total,
    NodePool: context.nodePool || 'default',
    NodesAvailable: null,
    ClassFiltered: null,
    ConstraintFiltered: Object.keys(constraintFiltered).length > 0 ? constraintFiltered : null,
    NodesExhausted: exhausted,
    ClassExhausted: null,
    DimensionExhausted: hasDimensions ? dimensionExhausted : null,
    QuotaExhausted: null,
    ResourcesExhausted: resourcesExhausted,
    Scores: null,
    ScoreMetaData: null,
    AllocationTime: 0,
    CoalescedFailures: Math.max(0, pods - 1),
  };
}

/** The task resources of one group, for ResourcesExhausted. */
export function groupTasks(job: Job, group: string): Array<{ name: string; cpu: number; memoryMB: number }> {
  const taskGroup = (job.TaskGroups ?? []).find((g) => (g.Name ?? '') === group);
  return (taskGroup?.Tasks ?? []).map((task) => ({
    name: task.Name ?? '',
    cpu: task.Resources?.CPU ?? 0,
    memoryMB: task.Resources?.MemoryMB ?? 0,
  }));
}

/**
 * Per task group, the scheduler messages of pods that cannot be placed. `groupOfPod` tells a pod's
 * task group (undefined: not one of the job's pods). Pods being deleted are left out.
 */
export function unschedulableByGroup(
  pods: V1Pod[],
  groupOfPod: (pod: V1Pod) => string | undefined,
): Map<string, GroupFailures> {
  const byGroup = new Map<string, GroupFailures>();
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const message = unschedulableMessage(pod);
    if (message === undefined) continue;
    const group = groupOfPod(pod);
    if (group === undefined) continue;
    const failures = byGroup.get(group) ?? new Map<string, number>();
    failures.set(message, (failures.get(message) ?? 0) + 1);
    byGroup.set(group, failures);
  }
  return byGroup;
}

/**
 * One line for people (the Scheduled condition): the scheduler's message for a single group; with
 * several groups, each group's message prefixed with its name, groups in name order.
 */
export function unschedulableSummary(byGroup: Map<string, GroupFailures>): string {
  const groups = [...byGroup.keys()].sort();
  if (groups.length === 1) return dominantMessage(byGroup.get(groups[0]!)!).message;
  return groups.map((g) => `${g}: ${dominantMessage(byGroup.get(g)!).message}`).join('; ');
}
