// Children of periodic jobs, as Nomad's periodic dispatcher derives them (nomad/periodic.go
// deriveJob): the parent's copy with `ParentID`, `ID` = `Name` = `<parent>/periodic-<unix seconds>`
// and no `Periodic` block, so each child is a plain batch job.
//
// Two kinds:
// * forced (`forcePeriodic`, Nomad's `periodic/force`): a child NomadJob created at once and run by
//   its own reconcile as a batch Job — the equivalent of `kubectl create job --from=cronjob/…`.
// * CronJob-launched: the parent runs as CronJobs (translate), and the CronJob controller launches the
//   Kubernetes Jobs. The parent's reconcile records a child NomadJob for each (cronChildObject), ID from
//   the Job's `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation (else its creation time),
//   annotated `nomadoperator.dev/launched-by: cronjob`: its reconcile translates nothing (the Job
//   already runs) and mirrors the status of the Jobs launched for that time (one per task group's
//   CronJob). It is owned by the Kubernetes Job (not the parent directly): when the CronJob's history
//   limit deletes the Job, the child goes with it, as Nomad's GC removes old children; purging the
//   parent deletes the CronJobs, their Jobs and so the children.
import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import { nomadJobObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { ownerReference } from '../kube/owner-reference.ts';
import { type ClusterWriter, isWriteError, nomadJobRef, type ObjectRef } from '../kube/writer.ts';
import { REGISTRATION_FIELDS } from '../nomad/bookkeeping.ts';
import { nextCronTime, parseCronSchedule } from '../nomad/cron.ts';
import { jobObjectName, NOMAD_DEFAULT_NAMESPACE } from '../nomad/ids.ts';
import { ANNOTATION_CRON_JOB, ANNOTATION_JOB_ID, ANNOTATION_LAUNCHED_BY } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { type CachedEvaluations, recordEvaluation } from './evaluations.ts';
import { checkSpec } from './spec.ts';
import { jobFinished } from './status.ts';

export const LAUNCHED_BY_CRONJOB = 'cronjob';
/** Set by the CronJob controller (Kubernetes >= 1.28) on the Jobs it creates: RFC 3339. */
export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export type ForceResult =
  | { ok: true; child: NomadJobObject; childId: string; created: boolean; evalId?: string }
  | { ok: false; status: 500; message: string };

/** `<parent>/periodic-<unix seconds>` (Nomad's derivedJobID). */
export function periodicChildId(parentId: string, at: Date): string {
  return `${parentId}/periodic-${Math.floor(at.getTime() / 1000)}`;
}

/** The child Nomad derives from a periodic parent for one launch: no Periodic, ParentID set. */
export function derivePeriodicJob(parent: Job, childId: string): Job {
  const child = structuredClone(parent) as Record<string, unknown>;
  for (const field of REGISTRATION_FIELDS) delete child[field];
  delete child.Periodic;
  child.ID = childId;
  child.Name = childId;
  child.ParentID = parent.ID;
  return child as Job;
}

/** Nomad's PeriodicDispatch tracks (and so can force) enabled periodic jobs that run and are no templates. */
function isTracked(job: Job): boolean {
  return (
    job.Periodic?.Enabled === true &&
    job.Stop !== true &&
    !(job.ParameterizedJob !== undefined && job.Dispatched !== true)
  );
}

/** True when a child NomadJob mirrors a Job some other controller launched (no workload of its own). */
export function isCronLaunched(object: KubernetesObject): boolean {
  return object.metadata?.annotations?.[ANNOTATION_LAUNCHED_BY] === LAUNCHED_BY_CRONJOB;
}

/**
 * The runs a CronJob-launched child stands for: every Job its parent's CronJobs (one per group and
 * cron spec) launched at its time, among `parentJobs` (the parent's Jobs, from a cache). None for any
 * other job.
 */
export function cronChildRuns(child: KubernetesObject, parentJobs: readonly V1Job[]): V1Job[] {
  if (!isCronLaunched(child)) return [];
  const id = child.metadata?.annotations?.[ANNOTATION_JOB_ID];
  return parentJobs.filter(
    (run) =>
      !run.metadata?.deletionTimestamp &&
      run.metadata?.namespace === child.metadata?.namespace &&
      cronChildId(run) === id,
  );
}

function runRef(run: V1Job): ObjectRef {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace: run.metadata?.namespace ?? '',
    name: run.metadata?.name ?? '',
  };
}

/**
 * Purging a CronJob-launched child deletes its runs: their pods stop, as a purged Nomad child's
 * allocations do, and the parent's reconcile, which records a child for every launched Job it sees,
 * does not record it again. A run already gone, or replaced by another of the same name, is no error.
 */
export async function deleteCronChildRuns(
  child: KubernetesObject,
  parentJobs: readonly V1Job[],
  writer: ClusterWriter,
): Promise<void> {
  for (const run of cronChildRuns(child, parentJobs)) {
    const uid = run.metadata?.uid;
    await writer.delete(runRef(run), uid ? { uid } : {}).catch((error: unknown) => {
      if (!isWriteError(error, 'conflict')) throw error;
    });
  }
}

/**
 * A stopped CronJob-launched child ends its unfinished runs, as a stopped Nomad child's allocations
 * stop: an active deadline of one second makes the Job controller fail each (DeadlineExceeded) and
 * delete its pods. A failed Job leaves its CronJob's active list, so a parent that prohibits overlap
 * launches again on schedule (a suspended Job would stay active and block it), and the CronJob's
 * history limit collects it like any other run. A run cannot be started again. Returns whether it
 * wrote.
 */
export async function endCronChildRuns(
  child: KubernetesObject,
  parentJobs: readonly V1Job[],
  writer: ClusterWriter,
): Promise<boolean> {
  let wrote = false;
  for (const run of cronChildRuns(child, parentJobs)) {
    if (jobFinished(run) || run.spec?.activeDeadlineSeconds === 1) continue;
    try {
      await writer.mergePatch(runRef(run), { spec: { activeDeadlineSeconds: 1 } });
      wrote = true;
    } catch (error) {
      // Gone since the cache saw it: nothing left to end.
      if (!isWriteError(error, 'not-found')) throw error;
    }
  }
  return wrote;
}

/** Whether a Kubernetes Job was created by a CronJob. */
export function launchedByCronJob(job: V1Job): boolean {
  return (job.metadata?.ownerReferences ?? []).some((r) => r.kind === 'CronJob' && r.controller === true);
}

/** When the CronJob controller launched `job`: its scheduled time, else its creation time. */
export function cronLaunchTime(job: V1Job): Date | undefined {
  const scheduled = job.metadata?.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP];
  const parsed = scheduled ? new Date(scheduled) : undefined;
  if (parsed && !Number.isNaN(parsed.getTime())) return parsed;
  const created = job.metadata?.creationTimestamp;
  if (!created) return undefined;
  const date = created instanceof Date ? created : new Date(created);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Nomad ID of the child a CronJob-launched Kubernetes Job stands for (from the parent's annotations). */
export function cronChildId(job: V1Job): string | undefined {
  if (!launchedByCronJob(job)) return undefined;
  const parentId = job.metadata?.annotations?.[ANNOTATION_JOB_ID];
  const at = cronLaunchTime(job);
  return parentId !== undefined && at ? periodicChildId(parentId, at) : undefined;
}

/** Queue key (`namespace/name`) of that child NomadJob. */
export function cronChildKey(job: V1Job): string | undefined {
  const id = cronChildId(job);
  const namespace = job.metadata?.namespace;
  return id !== undefined && namespace ? `${namespace}/${jobObjectName(id)}` : undefined;
}

/** The child NomadJob recording a CronJob-launched Kubernetes Job of `parent` (canonical `parentJob`). */
export function cronChildObject(
  parent: NomadJobObject,
  parentJob: Job,
  job: V1Job,
): NomadJobObject | undefined {
  const childId = cronChildId(job);
  if (childId === undefined || job.metadata?.annotations?.[ANNOTATION_JOB_ID] !== parentJob.ID)
    return undefined;
  const object = nomadJobObject(
    derivePeriodicJob(parentJob, childId) as Record<string, unknown>,
    () => parent.metadata?.namespace ?? '',
  );
  object.metadata = {
    ...object.metadata,
    annotations: {
      ...object.metadata?.annotations,
      [ANNOTATION_LAUNCHED_BY]: LAUNCHED_BY_CRONJOB,
      [ANNOTATION_CRON_JOB]: job.metadata?.name ?? '',
    },
    ownerReferences: [
      ownerReference(
        { apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata },
        { controller: false, blockOwnerDeletion: false },
      ),
    ],
  };
  return object;
}

/**
 * Nomad's `periodic/force`: launches a child of the periodic job `parent` now, whatever its schedule
 * and prohibit_overlap (a NomadJob `<parent>/periodic-<unix>` run as a batch Job), records its
 * periodic-job evaluation (from `cachedEvaluations`, the caller's cached records, when given: no read
 * first) and returns it. Errors carry Nomad's messages: `job not found` (no parent),
 * `can't force launch non-periodic job`, `can't force run non-tracked job <id> (<namespace>)` for a
 * disabled, stopped or parameterized periodic job.
 */
export async function forcePeriodic(
  writer: ClusterWriter,
  parent: NomadJobObject | undefined,
  now: Date = new Date(),
  cachedEvaluations?: CachedEvaluations,
): Promise<ForceResult> {
  if (!parent) return { ok: false, status: 500, message: 'job not found' };
  const checked = checkSpec(parent);
  if (!checked.ok) return { ok: false, status: 500, message: checked.message };
  const job = checked.job;
  if (job.Periodic === undefined)
    return { ok: false, status: 500, message: "can't force launch non-periodic job" };
  if (!isTracked(job)) {
    const namespace = job.Namespace || NOMAD_DEFAULT_NAMESPACE;
    return {
      ok: false,
      status: 500,
      message: `can't force run non-tracked job ${job.ID ?? ''} (${namespace})`,
    };
  }
  const childId = periodicChildId(job.ID ?? '', now);
  const body = nomadJobObject(
    derivePeriodicJob(job, childId) as Record<string, unknown>,
    () => parent.metadata?.namespace ?? '',
  );
  body.metadata = {
    ...body.metadata,
    ownerReferences: [ownerReference(parent, { controller: false, blockOwnerDeletion: true })],
  };
  const namespace = parent.metadata?.namespace ?? '';
  let child: NomadJobObject;
  let created = true;
  try {
    child = await writer.create(body);
  } catch (error) {
    if (!isWriteError(error, 'already-exists')) {
      return { ok: false, status: 500, message: error instanceof Error ? error.message : String(error) };
    }
    // Launched in this very second already (forced, or by the CronJob): that launch is the answer.
    created = false;
    const existing = await writer.read<NomadJobObject>(nomadJobRef(namespace, body.metadata?.name ?? ''));
    if (!existing) return { ok: false, status: 500, message: error.message };
    child = existing;
  }
  if (created)
    await writer.event(parent, 'Normal', 'PeriodicLaunch', `Forced periodic launch of job ${childId}`);
  let evalId: string | undefined;
  try {
    const cached = cachedEvaluations ? { cached: cachedEvaluations(child) } : {};
    evalId = (await recordEvaluation(writer, child, { triggeredBy: 'periodic-job', version: 0, ...cached }))
      .ID;
  } catch {
    evalId = undefined;
  }
  return { ok: true, child, childId, created, ...(evalId ? { evalId } : {}) };
}

/**
 * The next launch of a periodic job after `from` (the plan's NextPeriodicLaunch), RFC 3339: the
 * earliest time one of its cron specs matches in its time zone; undefined when it is not periodic or
 * the time cannot be told (see nomad/cron.ts).
 */
export function nextPeriodicLaunch(job: Job, from: Date): string | undefined {
  const periodic = job.Periodic;
  if (!periodic?.Enabled) return undefined;
  const specs = [...(periodic.Specs ?? []), ...(periodic.Spec ? [periodic.Spec] : [])];
  let best: Date | undefined;
  for (const text of specs) {
    const schedule = parseCronSchedule(text);
    const candidate = schedule ? nextCronTime(schedule, from, periodic.TimeZone || 'UTC') : undefined;
    if (candidate && (!best || candidate < best)) best = candidate;
  }
  return best?.toISOString().replace(/\.000Z$/, 'Z');
}
