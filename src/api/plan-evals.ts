// What a plan reports about placement, as Nomad's dry-run scheduler does (JobPlanResponse
// FailedTGAllocs and CreatedEvals). Nomad runs its scheduler on a snapshot: allocations it cannot
// place are counted in FailedTGAllocs and it creates one blocked evaluation (TriggeredBy
// queued-allocs, "created to place remaining allocations", PreviousEval the plan's own evaluation),
// which the plan returns in CreatedEvals and never stores. Placement here is the kube-scheduler's, so
// the plan can only know what it refuses now: a group of the planned job whose pods the scheduler
// currently leaves unschedulable (PodScheduled=False, Unschedulable) fails its placements again, with
// the same reasons as the job's evaluations report (jobs/scheduling.ts). Other groups, and new
// jobs, place: FailedTGAllocs and CreatedEvals stay null, as in Nomad when everything fits.
import { randomUUID } from 'node:crypto';
import {
  type AllocationMetric,
  BLOCKED_DESCRIPTION,
  type Evaluation,
  groupOfPodFor,
  newEvaluation,
} from '../jobs/evaluations.ts';
import { allocationMetric, groupTasks, unschedulableByGroup } from '../jobs/scheduling.ts';
import { keyedBy } from '../nomad/keyed.ts';
import type { Job } from '../nomad/schema.ts';
import type { ApiStore, JobEntry } from './store.ts';

export interface PlannedPlacement {
  FailedTGAllocs: Record<string, AllocationMetric> | null;
  CreatedEvals: Evaluation[] | null;
}

/**
 * Placement failures of `planned` (the canonical submitted job) given the stored job's pods.
 * `jobModifyIndex` is the plan evaluation's (Nomad: the stored JobModifyIndex + 1 when the spec
 * changes, else 0), which the blocked evaluation inherits.
 */
export function plannedPlacement(
  store: ApiStore,
  existing: JobEntry | undefined,
  planned: Job,
  jobModifyIndex: number,
): PlannedPlacement {
  const none: PlannedPlacement = { FailedTGAllocs: null, CreatedEvals: null };
  if (!existing || existing.error || planned.Stop) return none;
  const unschedulable = unschedulableByGroup(store.pods(existing), groupOfPodFor(existing.job));
  const failed = keyedBy<AllocationMetric>();
  for (const group of planned.TaskGroups ?? []) {
    const name = group.Name ?? '';
    const failures = unschedulable.get(name);
    if (!failures || (group.Count ?? 1) === 0) continue;
    failed[name] = allocationMetric(failures, {
      ...(planned.NodePool ? { nodePool: planned.NodePool } : {}),
      tasks: groupTasks(planned, name),
    });
  }
  if (Object.keys(failed).length === 0) return none;
  const blocked = newEvaluation(planned, {
    triggeredBy: 'queued-allocs',
    status: 'blocked',
    statusDescription: BLOCKED_DESCRIPTION,
    jobModifyIndex,
    // Never stored: no Raft index, as in Nomad's plan.
    index: 0,
    nowNs: Date.now() * 1_000_000,
  });
  blocked.PreviousEval = randomUUID();
  blocked.FailedTGAllocs = failed;
  return { FailedTGAllocs: failed, CreatedEvals: [blocked] };
}
