// Observed state → NomadJob status, as a pure function: Nomad's job status rules (its state store's
// getJobStatus) applied to what Kubernetes shows, per-group allocation counts from pods, and the
// Ready / Scheduled / Progressing / Degraded conditions with observedGeneration. The reconciler feeds
// it from the informer caches; the API computes job status and summary with the same functions.
//
// A pod no node has taken yet is an allocation Nomad has not placed: it counts as queued, and a job
// whose allocations are all unplaced is `pending` (Nomad: a pending or blocked evaluation, no
// allocation), `running` only once one is placed. Pods the kube-scheduler refused (PodScheduled=False,
// Unschedulable) make the Scheduled condition False with the scheduler's message (scheduling.ts).
import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Condition, GroupSummary, NomadJobStatus } from '../crd/resource.ts';
import { LABEL_GROUP, labelValueFor } from '../nomad/ids.ts';
import type { Job } from '../nomad/schema.ts';
import { unschedulableByGroup, unschedulableSummary } from './scheduling.ts';

export interface Observed {
  /** Pods owned (through workloads) by this job, with the group label set. */
  pods: V1Pod[];
  deployments: V1Deployment[];
  jobs: V1Job[];
  /** Desired allocations per task group (count, or the number of eligible nodes for system jobs). */
  desired: Record<string, number>;
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
      return 'running';
    case 'Pending': {
      const scheduled =
        pod.spec?.nodeName ||
        pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True');
      return scheduled ? 'starting' : 'queued';
    }
    default:
      return 'unknown';
  }
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

export function summarize(job: Job, observed: Observed): Record<string, GroupSummary> {
  const summary: Record<string, GroupSummary> = {};
  for (const group of job.TaskGroups ?? []) summary[group.Name ?? ''] = emptySummary();
  const groupOf = groupOfPodFor(job);
  for (const pod of observed.pods) {
    const group = groupOf(pod);
    if (group !== undefined) summary[group]![allocationState(pod)]++;
  }
  // Allocations Nomad would still have to place show as queued.
  if (!isBatchLike(job) && !job.Stop) {
    for (const [group, counts] of Object.entries(summary)) {
      const live = counts.queued + counts.starting + counts.running + counts.unknown;
      counts.queued += Math.max(0, (observed.desired[group] ?? 0) - live);
    }
  }
  return summary;
}

function isBatchLike(job: Job): boolean {
  return job.Type === 'batch' || job.Type === 'sysbatch';
}

/**
 * A periodic or parameterized job: a template whose runs are child jobs. A dispatched child keeps its
 * parent's ParameterizedJob block (as in Nomad, whose Job.IsParameterized is
 * `ParameterizedJob != nil && !Dispatched`), so `Dispatched` excludes it.
 */
export function isParentJob(job: Job): boolean {
  return job.Periodic?.Enabled === true || (job.ParameterizedJob !== undefined && job.Dispatched !== true);
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
  if (job.Stop) return 'dead';
  const finishedJobs = observed.jobs.some((j) =>
    j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'),
  );
  if (observed.pods.length > 0 || finishedJobs) return 'dead';
  return 'pending';
}

type ConditionBody = Omit<Condition, 'lastTransitionTime'>;

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
  if (queued > 0)
    return {
      type: 'Scheduled',
      status: 'False',
      reason: 'Queued',
      message: `${queued} allocations waiting for a node`,
    };
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
  const desired = job.Stop ? 0 : Object.values(observed.desired).reduce((a, b) => a + b, 0);
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

  const satisfied = isBatchLike(job) || job.Stop ? status !== 'pending' || desired === 0 : running >= desired;
  const scheduled = scheduledCondition(job, observed, summary);
  const runningMessage = `${running}/${desired} allocations running`;
  const conditions: ConditionBody[] = [
    observed.failure
      ? { type: 'Ready', status: 'False', reason: observed.failure.reason, message: observed.failure.message }
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
