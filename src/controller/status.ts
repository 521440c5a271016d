// Observed state → NomadJob status, as a pure function: Nomad's job status rules
// (nomad/job_endpoint.go getJobStatus, see shared/reference/nomad-clients.md 1.4) applied to what
// Kubernetes shows, per-group allocation counts from pods, and the Ready / Progressing / Degraded
// conditions with observedGeneration. The reconciler feeds it from the informer caches.
import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Condition, GroupSummary, NomadJobStatus } from '../crd/resource.ts';
import { LABEL_GROUP, labelValueFor } from '../nomad/ids.ts';
import type { Job } from '../nomad/schema.ts';

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

export function summarize(job: Job, observed: Observed): Record<string, GroupSummary> {
  const summary: Record<string, GroupSummary> = {};
  // Pods carry the group as a label value, which may be a hashed form of the exact name.
  const groupByLabel = new Map<string, string>();
  for (const group of job.TaskGroups ?? []) {
    const name = group.Name ?? '';
    summary[name] = emptySummary();
    groupByLabel.set(labelValueFor(name), name);
  }
  for (const pod of observed.pods) {
    const label = pod.metadata?.labels?.[LABEL_GROUP];
    const group = label !== undefined ? groupByLabel.get(label) : undefined;
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

/** Nomad's getJobStatus, on Kubernetes observations. */
export function nomadStatus(job: Job, observed: Observed): 'pending' | 'running' | 'dead' {
  const isParent = isParentJob(job);
  const liveAllocations = observed.pods.some((p) => !isTerminal(allocationState(p)));
  if (job.Type === 'system' || isParent)
    return job.Stop ? (liveAllocations && !isParent ? 'running' : 'dead') : 'running';
  if (liveAllocations) return 'running';
  const rollingOut = observed.deployments.some(
    (d) => (d.status?.updatedReplicas ?? 0) < (d.spec?.replicas ?? 0),
  );
  if (rollingOut && !job.Stop) return 'running';
  if (job.Stop) return 'dead';
  const finishedJobs = observed.jobs.some((j) =>
    j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'),
  );
  if (observed.pods.length > 0 || finishedJobs) return 'dead';
  return 'pending';
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
  const conditions: Array<Omit<Condition, 'lastTransitionTime'>> = [
    observed.failure
      ? { type: 'Ready', status: 'False', reason: observed.failure.reason, message: observed.failure.message }
      : satisfied
        ? {
            type: 'Ready',
            status: 'True',
            reason: 'AllocationsRunning',
            message: `${running}/${desired} allocations running`,
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: 'AllocationsPending',
            message: `${running}/${desired} allocations running`,
          },
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
