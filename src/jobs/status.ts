// Observed state → NomadJob status, as a pure function: Nomad's job status rules (its state store's
// getJobStatus) applied to what Kubernetes shows, per-group allocation counts from pods, and the
// Ready / Scheduled / Progressing / Degraded conditions with observedGeneration. The reconciler feeds
// it from the informer caches; the API computes job status and summary with the same functions.
//
// A pod no node has taken yet is an allocation Nomad has not placed: it counts as queued, and a job
// whose allocations are all unplaced is `pending` (Nomad: a pending or blocked evaluation, no
// allocation), `running` only once one is placed. Pods the kube-scheduler refused (PodScheduled=False,
// Unschedulable) make the Scheduled condition False with the scheduler's message (scheduling.ts).
//
// A sysbatch pod (docs/translation.md "sysbatch") runs its tasks as init containers and then only a
// pause container: its allocation is complete once those init containers all exited 0, failed while
// one's last exit was not 0 (the kubelet retries it without end, Nomad would have failed the
// allocation), whatever the pod's phase says.
//
// A group the translator made no workload for by design (a Connect gateway without tasks) is not an
// allocation waiting for a node: it is left out of the desired count and reported with reason
// NotTranslated and the translation's warning; the job status follows the groups that run.
//
// A group of count 0 has nothing placed, in Nomad as here (no workload, or a Deployment of 0
// replicas): nothing desired, nothing to report. A job none of whose groups places anything is dead,
// as Nomad's evaluation of it completes without an allocation or a deployment (unless it is a system,
// periodic or parameterized job, running until stopped).
import type {
  V1Container,
  V1ContainerStatus,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Pod,
} from '@kubernetes/client-node';
import type { Condition, GroupSummary, NomadJobStatus } from '../crd/resource.ts';
import { labelValueFor } from '../nomad/ids.ts';
import { keyedBy } from '../nomad/keyed.ts';
import { ANNOTATION_GROUP, LABEL_GROUP } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { PAUSE_IMAGE } from '../translate/pod-template.ts';
import { groupPlacesNothing, WORKLOAD_KINDS } from '../translate/workloads.ts';
import { unschedulableByGroup, unschedulableSummary } from './scheduling.ts';

export interface Observed {
  /** Pods owned (through workloads) by this job, with the group label set. */
  pods: V1Pod[];
  deployments: V1Deployment[];
  jobs: V1Job[];
  /** Desired allocations per task group (count, or the number of eligible nodes for system jobs). */
  desired: Record<string, number>;
  /**
   * Groups the translation made no workload for, with the warning saying why (by group name): they
   * have no allocation to wait for.
   */
  notTranslated?: Record<string, string>;
  /** Children of a periodic or parameterized job, by their Nomad status. */
  children?: Array<{ status?: string }>;
  /** Why the spec could not be turned into workloads, if it could not. */
  failure?: { reason: string; message: string };
  /** Did this reconcile change anything on the server. */
  progressing?: boolean;
}

export function emptySummary(): GroupSummary {
  return { queued: 0, starting: 0, running: 0, complete: 0, failed: 0, lost: 0, unknown: 0 };
}

/** Which Nomad allocation state a pod is in. */
export function allocationState(pod: V1Pod): keyof GroupSummary {
  const phase = pod.status?.phase;
  if (pod.status?.reason === 'NodeLost' || pod.status?.reason === 'Evicted') return 'lost';
  switch (phase) {
    case 'Succeeded':
      return 'complete';
    case 'Failed':
      return 'failed';
    case 'Running':
      return (isRunOncePod(pod) && runOnceOutcome(pod)) || 'running';
    case 'Pending': {
      const scheduled =
        pod.spec?.nodeName ||
        pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True');
      if (!scheduled) return 'queued';
      return (isRunOncePod(pod) && runOnceOutcome(pod)) || 'starting';
    }
    default:
      return 'unknown';
  }
}

/**
 * A sysbatch pod as the translator builds it: a DaemonSet's pod whose only container is the pause
 * container keeping it in place once its tasks (the init containers) have run.
 */
export function isRunOncePod(pod: V1Pod): boolean {
  const containers = pod.spec?.containers ?? [];
  return (
    containers.length === 1 &&
    containers[0]?.image === PAUSE_IMAGE &&
    (pod.spec?.initContainers ?? []).some(runsOnce) &&
    (pod.metadata?.ownerReferences ?? []).some((r) => r.kind === 'DaemonSet')
  );
}

/** An init container that runs to completion (a native sidecar, restartPolicy Always, keeps running). */
const runsOnce = (container: V1Container) => container.restartPolicy !== 'Always';

/** The last time a container ended: now if it is terminated, else before its current try. */
const lastTermination = (status: V1ContainerStatus | undefined) =>
  status?.state?.terminated ?? status?.lastState?.terminated;

/**
 * A run-once pod's outcome from its init containers: failed while one's last exit was not 0 (the
 * kubelet retries it, but Nomad would have failed the allocation once its restarts were spent),
 * complete once all exited 0, undefined while they are still running.
 */
function runOnceOutcome(pod: V1Pod): 'complete' | 'failed' | undefined {
  const statuses = new Map((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
  const tasks = (pod.spec?.initContainers ?? []).filter(runsOnce).map((c) => statuses.get(c.name));
  if (tasks.some((s) => (lastTermination(s)?.exitCode ?? 0) !== 0)) return 'failed';
  if (tasks.every((s) => s?.state?.terminated?.exitCode === 0)) return 'complete';
  return undefined;
}

const isTerminal = (state: keyof GroupSummary) =>
  state === 'complete' || state === 'failed' || state === 'lost';

/** The task group of a pod, from its group label, among the job's groups. */
export function groupOfPodFor(job: Job): (pod: V1Pod) => string | undefined {
  // Pods carry the group as a label value, which may be a hashed form of the exact name.
  const byLabel = new Map<string, string>();
  for (const group of job.TaskGroups ?? []) {
    const name = group.Name ?? '';
    byLabel.set(labelValueFor(name), name);
  }
  return (pod) => {
    const label = pod.metadata?.labels?.[LABEL_GROUP];
    return label === undefined ? undefined : byLabel.get(label);
  };
}

/**
 * Desired allocations per task group: its count, or for a system or sysbatch job whose DaemonSets
 * exist, the number of nodes the DaemonSet controller found eligible.
 */
export function desiredAllocations(job: Job, daemonSets: V1DaemonSet[]): Record<string, number> {
  const groups = job.TaskGroups ?? [];
  const perNode = (job.Type === 'system' || job.Type === 'sysbatch') && daemonSets.length > 0;
  const desired = keyedBy<number>();
  for (const group of groups) desired[group.Name ?? ''] = perNode ? 0 : (group.Count ?? 1);
  if (!perNode) return desired;
  for (const ds of daemonSets) {
    const named = ds.metadata?.annotations?.[ANNOTATION_GROUP];
    const group = groups.find((g) => g.Name === named) ?? groups[0];
    if (group === undefined) continue;
    const name = group.Name ?? '';
    desired[name] = (desired[name] ?? 0) + (ds.status?.desiredNumberScheduled ?? 0);
  }
  return desired;
}

export function summarize(job: Job, observed: Observed): Record<string, GroupSummary> {
  const summary = keyedBy<GroupSummary>();
  for (const group of job.TaskGroups ?? []) summary[group.Name ?? ''] = emptySummary();
  const groupOf = groupOfPodFor(job);
  for (const pod of observed.pods) {
    const group = groupOf(pod);
    if (group !== undefined) summary[group]![allocationState(pod)]++;
  }
  // Allocations Nomad would still have to place show as queued.
  if (!isBatchLike(job) && !job.Stop) {
    const desired = desiredOf(observed);
    for (const [group, counts] of Object.entries(summary)) {
      const live = counts.queued + counts.starting + counts.running + counts.unknown;
      counts.queued += Math.max(0, (desired[group] ?? 0) - live);
    }
  }
  return summary;
}

/** Desired allocations per group, none for a group without a workload (nothing will ever be placed). */
function desiredOf(observed: Observed): Record<string, number> {
  const desired = Object.assign(keyedBy<number>(), observed.desired);
  for (const group of Object.keys(observed.notTranslated ?? {})) desired[group] = 0;
  return desired;
}

/**
 * The groups of `job` the translator made no workload for, and why: the warnings under that group
 * saying so (the gateway's, "task group has no tasks", …), else a generic reason. Only meaningful
 * for a job whose groups are translated into workloads (not stopped, not a periodic or
 * parameterized parent): the caller checks that.
 */
export function groupsWithoutWorkload(
  job: Job,
  objects: Array<{ kind?: string; metadata?: { annotations?: Record<string, string> } }>,
  warnings: Array<{ path: string; message: string }>,
): Record<string, string> {
  const withWorkload = new Set(
    objects
      .filter((o) => workloadKinds.has(o.kind ?? ''))
      .map((o) => o.metadata?.annotations?.[ANNOTATION_GROUP]),
  );
  const result = keyedBy<string>();
  (job.TaskGroups ?? []).forEach((group, index) => {
    const name = group.Name ?? '';
    if (withWorkload.has(name) || groupPlacesNothing(group)) return;
    const why = noWorkloadWarnings(index, warnings);
    result[name] = why.length > 0 ? why.join('; ') : 'the translation created no workload for it';
  });
  return result;
}

/**
 * The same from the warnings a NomadJob's status records (`path: message`), for readers without the
 * translation at hand (the API): the groups whose warnings say no workload is created for them.
 */
export function groupsReportedWithoutWorkload(job: Job, recorded: string[]): Record<string, string> {
  const warnings = recorded.map((w) => {
    const at = w.indexOf(': ');
    return at < 0 ? { path: '', message: w } : { path: w.slice(0, at), message: w.slice(at + 2) };
  });
  const result = keyedBy<string>();
  (job.TaskGroups ?? []).forEach((group, index) => {
    if (groupPlacesNothing(group)) return;
    const why = noWorkloadWarnings(index, warnings);
    if (why.length > 0) result[group.Name ?? ''] = why.join('; ');
  });
  return result;
}

/** The translator's words for a group it creates no workload for (pod-template.ts). */
const NO_WORKLOAD = 'no workload is created for';

/** The messages of the warnings under group `index` that say it gets no workload. */
function noWorkloadWarnings(index: number, warnings: Array<{ path: string; message: string }>): string[] {
  const prefix = `TaskGroups[${index}]`;
  return warnings
    .filter((w) => (w.path === prefix || w.path.startsWith(`${prefix}.`)) && w.message.includes(NO_WORKLOAD))
    .map((w) => w.message);
}

const workloadKinds = new Set<string>(WORKLOAD_KINDS);

function isBatchLike(job: Job): boolean {
  return job.Type === 'batch' || job.Type === 'sysbatch';
}

/**
 * A periodic or parameterized job: a template whose runs are child jobs. A periodic job is one even
 * while `enabled = false` (Nomad's Job.IsPeriodic is `Periodic != nil`): it is running until stopped,
 * gets no evaluation on register, and its runs would be children (its CronJob is suspended meanwhile).
 * A periodic child has no Periodic block; a dispatched child keeps its parent's ParameterizedJob block
 * (as in Nomad, whose Job.IsParameterized is `ParameterizedJob != nil && !Dispatched`), so
 * `Dispatched` excludes it.
 */
export function isParentJob(job: Job): boolean {
  return job.Periodic !== undefined || (job.ParameterizedJob !== undefined && job.Dispatched !== true);
}

/** Placed on a node and not finished: what Nomad counts as a live allocation. */
const isPlacedLive = (state: keyof GroupSummary) =>
  state === 'starting' || state === 'running' || state === 'unknown';

/**
 * Nomad's getJobStatus, on Kubernetes observations. Unplaced pods are not allocations yet: while
 * they are all the job has, it is pending (Nomad's evaluation is pending or blocked).
 */
export function nomadStatus(job: Job, observed: Observed): 'pending' | 'running' | 'dead' {
  const isParent = isParentJob(job);
  const states = observed.pods.map(allocationState);
  if (job.Type === 'system' || isParent) {
    const liveAllocations = states.some((s) => !isTerminal(s));
    return job.Stop ? (liveAllocations && !isParent ? 'running' : 'dead') : 'running';
  }
  if (states.some(isPlacedLive)) return 'running';
  if (states.some((s) => s === 'queued')) return job.Stop ? 'dead' : 'pending';
  // A rollout between the old pods' end and the new pods' creation (Recreate) is still running, as
  // Nomad's non-terminal deployment keeps the job running; a Deployment's first revision without pods
  // is a first placement not done yet.
  const rollingOut = observed.deployments.some(
    (d) =>
      (d.status?.updatedReplicas ?? 0) < (d.spec?.replicas ?? 0) &&
      Number(d.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 1) > 1,
  );
  if (rollingOut && !job.Stop) return 'running';
  if (job.Stop || placesNothing(job)) return 'dead';
  if (observed.pods.length > 0 || observed.jobs.some(jobFinished)) return 'dead';
  return 'pending';
}

/** Every group has count 0: Nomad's evaluation places nothing, and the job is dead once it is done. */
function placesNothing(job: Job): boolean {
  const groups = job.TaskGroups ?? [];
  return groups.length > 0 && groups.every(groupPlacesNothing);
}

/** Whether the Job controller has finished a Kubernetes Job: Complete or Failed. */
export function jobFinished(job: V1Job): boolean {
  return (job.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

type ConditionBody = Omit<Condition, 'lastTransitionTime'>;

/** The groups without a workload and why, one clause per group; undefined when every group has one. */
function notTranslatedMessage(observed: Observed): string | undefined {
  const entries = Object.entries(observed.notTranslated ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  if (entries.length === 0) return undefined;
  return entries.map(([group, why]) => `group ${JSON.stringify(group)} has no workload: ${why}`).join('; ');
}

/**
 * Scheduled: True once nothing waits for a node; False with reason Unschedulable and the scheduler's
 * message (per group when several) while pods cannot be placed, reason Queued while they wait.
 */
function scheduledCondition(
  job: Job,
  observed: Observed,
  summary: Record<string, GroupSummary>,
): ConditionBody {
  if (observed.failure)
    return {
      type: 'Scheduled',
      status: 'Unknown',
      reason: observed.failure.reason,
      message: observed.failure.message,
    };
  if (job.Stop || isParentJob(job))
    return {
      type: 'Scheduled',
      status: 'True',
      reason: 'NothingToPlace',
      message: job.Stop ? 'the job is stopped' : "allocations are placed for the job's children",
    };
  const unschedulable = unschedulableByGroup(observed.pods, groupOfPodFor(job));
  const queued = Object.values(summary).reduce((a, s) => a + s.queued, 0);
  if (unschedulable.size > 0)
    return {
      type: 'Scheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: unschedulableSummary(unschedulable),
    };
  const notTranslated = notTranslatedMessage(observed);
  if (queued > 0)
    return {
      type: 'Scheduled',
      status: 'False',
      reason: 'Queued',
      message: `${queued} allocations waiting for a node${notTranslated ? `; ${notTranslated}` : ''}`,
    };
  if (notTranslated !== undefined)
    return { type: 'Scheduled', status: 'False', reason: 'NotTranslated', message: notTranslated };
  return { type: 'Scheduled', status: 'True', reason: 'Placed', message: 'every allocation is placed' };
}

export interface StatusInput {
  job: Job;
  generation: number;
  previous?: NomadJobStatus;
  observed: Observed;
  now: string;
  warnings: string[];
  version: number;
  jobModifyIndex: number;
  submitTime: string;
  stable: boolean;
}

/** The full status subresource. Condition transition times only move when a status flips. */
export function computeStatus(input: StatusInput): NomadJobStatus {
  const { job, observed, generation } = input;
  const summary = summarize(job, observed);
  const status = observed.failure ? (input.previous?.status ?? 'pending') : nomadStatus(job, observed);
  const desired = job.Stop ? 0 : Object.values(desiredOf(observed)).reduce((a, b) => a + b, 0);
  const running = Object.values(summary).reduce((a, s) => a + s.running, 0);
  const failed = Object.values(summary).reduce((a, s) => a + s.failed + s.lost, 0);
  const starting = Object.values(summary).reduce((a, s) => a + s.starting + s.queued, 0);

  const result: NomadJobStatus = {
    status,
    statusDescription: observed.failure?.message ?? '',
    version: input.version,
    jobModifyIndex: input.jobModifyIndex,
    stable: input.stable,
    submitTime: input.submitTime,
    allocations: `${running}/${desired}`,
    summary,
    warnings: input.warnings,
    observedGeneration: generation,
  };
  if (observed.children) {
    const children = { pending: 0, running: 0, dead: 0 };
    for (const child of observed.children) {
      const key = child.status === 'running' || child.status === 'dead' ? child.status : 'pending';
      children[key]++;
    }
    result.children = children;
  }

  const scheduled = scheduledCondition(job, observed, summary);
  // A job none of whose groups has a workload runs nothing: never ready, however 0/0 compares.
  const nothingRuns = scheduled.reason === 'NotTranslated' && desired === 0;
  const satisfied =
    !nothingRuns &&
    (isBatchLike(job) || job.Stop ? status !== 'pending' || desired === 0 : running >= desired);
  const runningMessage = `${running}/${desired} allocations running`;
  const conditions: ConditionBody[] = [
    observed.failure
      ? { type: 'Ready', status: 'False', reason: observed.failure.reason, message: observed.failure.message }
      : nothingRuns
        ? { type: 'Ready', status: 'False', reason: 'NotTranslated', message: scheduled.message }
        : satisfied
          ? { type: 'Ready', status: 'True', reason: 'AllocationsRunning', message: runningMessage }
          : scheduled.reason === 'Unschedulable'
            ? {
                type: 'Ready',
                status: 'False',
                reason: 'Unschedulable',
                message: `${runningMessage}; ${scheduled.message}`,
              }
            : { type: 'Ready', status: 'False', reason: 'AllocationsPending', message: runningMessage },
    scheduled,
    observed.progressing || starting > 0
      ? {
          type: 'Progressing',
          status: 'True',
          reason: 'Placing',
          message: `${starting} allocations starting or queued`,
        }
      : { type: 'Progressing', status: 'False', reason: 'Settled', message: 'nothing to place' },
    observed.failure
      ? {
          type: 'Degraded',
          status: 'True',
          reason: observed.failure.reason,
          message: observed.failure.message,
        }
      : failed > 0 && !isBatchLike(job)
        ? {
            type: 'Degraded',
            status: 'True',
            reason: 'AllocationsFailed',
            message: `${failed} allocations failed or lost`,
          }
        : { type: 'Degraded', status: 'False', reason: 'Healthy', message: 'no failed allocations' },
  ];
  result.conditions = conditions.map((condition) => {
    const before = input.previous?.conditions?.find((c) => c.type === condition.type);
    const lastTransitionTime =
      before && before.status === condition.status ? before.lastTransitionTime : input.now;
    return { ...condition, lastTransitionTime, observedGeneration: generation };
  });
  return result;
}
