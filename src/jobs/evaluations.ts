// Nomad evaluations: one record per trigger (job-register, job-deregister, job-scaling, periodic-job,
// alloc-failure, …) in Nomad's shape (api.Evaluation), kept per job and
// bounded (the last EVALUATION_LIMIT).
//
// Where they live — one ConfigMap per NomadJob, `<job>--evaluations`:
// * it carries the job's identity labels, so the operator's ConfigMap informer (managed-by selector)
//   caches it: the API answers `GET /v1/job/:id/evaluations` from the cache (evaluationsOf);
// * it is controller-owned by the NomadJob, so purging the job purges its evaluations;
// * it survives operator restarts (etcd), unlike memory.
// Not in the NomadJob itself: status is rewritten by every reconcile, shown by kubectl and fixed by
// the CRD schema (ten evaluations would drown it); annotations would bump the NomadJob's
// resourceVersion (its JobModifyIndex) and trigger reconciles of their own.
//
// Writers: the reconciler (evaluations for new versions, placement status, alloc failures) and
// recordEvaluation (dispatch, periodic force, the API), both through saveRecord: a create, or an apply
// conditioned on the copy the new record was computed from. The reconciler computes from its cache and
// leaves a lost race to its next reconcile (the other write's event enqueues it); recordEvaluation
// reads the apiserver's copy and retries at once. Evaluations bound to a job version are idempotent:
// one per version, whoever records it first wins.
//
// Status: an evaluation bound to the job's current version is `pending` until the pods of that version
// are placed (`complete`). When any of them cannot be scheduled (PodScheduled=False, Unschedulable),
// it goes as in Nomad: the evaluation completes with FailedTGAllocs (an AllocMetric per task group,
// read from the scheduler's message by scheduling.ts) and BlockedEval naming a new `blocked`
// evaluation (TriggeredBy queued-allocs, PreviousEval the first one) that carries the same metrics,
// kept current, until every allocation is placed: then it completes. Evaluations of older versions
// still pending or blocked when a newer version is registered become `canceled`.
import { randomUUID } from 'node:crypto';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { jobOfObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { ownerReference } from '../kube/owner-reference.ts';
import type { ClusterReader } from '../kube/reader.ts';
import { type ClusterWriter, isWriteError } from '../kube/writer.ts';
import { childName, identityLabels, NOMAD_DEFAULT_NAMESPACE, readIdentity } from '../nomad/ids.ts';
import { keyedBy } from '../nomad/keyed.ts';
import { LABEL_RECORD } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import {
  type AllocationMetric,
  allocationMetric,
  dominantMessage,
  groupTasks,
  isPlaced,
  unschedulableByGroup,
} from './scheduling.ts';
import { specFingerprint } from './versions.ts';

export type { AllocationMetric } from './scheduling.ts';
/** Re-exported for the evaluation writers' callers. */
export { groupOfPodFor } from './status.ts';

/** Evaluations kept per job (Nomad keeps evaluations until GC; a bound keeps the ConfigMap small). */
export const EVALUATION_LIMIT = 10;
/** Data key of the evaluations ConfigMap: the EvaluationRecord as JSON. */
export const EVALUATIONS_KEY = 'evaluations.json';

export type EvaluationStatus = 'pending' | 'blocked' | 'complete' | 'failed' | 'canceled';

/** Nomad's EvalTrigger* values (nomad/structs). */
export type EvaluationTrigger =
  | 'job-register'
  | 'job-deregister'
  | 'job-scaling'
  | 'periodic-job'
  | 'alloc-failure'
  | 'deployment-watcher'
  | 'queued-allocs'
  | 'rolling-update'
  | (string & {});

/** Nomad's api.Evaluation. Times are Unix nanoseconds. */
export interface Evaluation {
  ID: string;
  Priority: number;
  Type: string;
  TriggeredBy: EvaluationTrigger;
  Namespace: string;
  JobID: string;
  JobModifyIndex: number;
  NodeID: string;
  NodeModifyIndex: number;
  DeploymentID: string;
  Status: EvaluationStatus;
  StatusDescription: string;
  Wait: number;
  WaitUntil: string;
  NextEval: string;
  PreviousEval: string;
  BlockedEval: string;
  RelatedEvals: null;
  FailedTGAllocs: Record<string, AllocationMetric> | null;
  PlanAnnotations: null;
  ClassEligibility: Record<string, boolean> | null;
  EscapedComputedClass: boolean;
  QuotaLimitReached: string;
  MissingNonNodeResources: string[] | null;
  AnnotatePlan: boolean;
  QueuedAllocations: Record<string, number> | null;
  SnapshotIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
}

export interface EvaluationEntry {
  /** The job version the evaluation was created for; unset for evaluations not bound to one. */
  version?: number;
  /**
   * Set on the blocked evaluation that follows up the version's evaluation (its ID) to place what the
   * scheduler could not: bound to the same version, but not the version's evaluation.
   */
  followUpOf?: string;
  /** The kube-scheduler's message per task group while blocked (not part of Nomad's evaluation). */
  schedulerMessages?: Record<string, string>;
  evaluation: Evaluation;
}

/** What the ConfigMap holds. */
export interface EvaluationRecord {
  /** Highest job version an evaluation was recorded for (-1: none). */
  lastVersion: number;
  /** Failed or lost allocations already answered with an alloc-failure evaluation. */
  failedSeen: number;
  /** Oldest first, at most EVALUATION_LIMIT. */
  entries: EvaluationEntry[];
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const terminal = new Set<EvaluationStatus>(['complete', 'failed', 'canceled']);

export function emptyRecord(): EvaluationRecord {
  return { lastVersion: -1, failedSeen: 0, entries: [] };
}

/** Name of a job's evaluations ConfigMap. */
export function evaluationsConfigMapName(jobName: string): string {
  return childName(jobName, 'evaluations');
}

/** The record a ConfigMap holds; an empty record for a missing or unreadable one. */
export function readRecord(configMap: V1ConfigMap | undefined): EvaluationRecord {
  const text = configMap?.data?.[EVALUATIONS_KEY];
  if (!text) return emptyRecord();
  try {
    const parsed = JSON.parse(text) as Partial<EvaluationRecord>;
    return {
      lastVersion: typeof parsed.lastVersion === 'number' ? parsed.lastVersion : -1,
      failedSeen: typeof parsed.failedSeen === 'number' ? parsed.failedSeen : 0,
      entries: Array.isArray(parsed.entries)
        ? parsed.entries.filter((e) => typeof e?.evaluation?.ID === 'string')
        : [],
    };
  } catch {
    return emptyRecord();
  }
}

export function serializeRecord(record: EvaluationRecord): string {
  return JSON.stringify(record);
}

/** The evaluations ConfigMap of `owner` holding `record` (with a resourceVersion precondition if given). */
export function recordConfigMap(
  owner: NomadJobObject,
  record: EvaluationRecord,
  resourceVersion?: string,
): V1ConfigMap {
  const name = owner.metadata?.name ?? '';
  const identity = readIdentity(owner.metadata ?? {}) ?? { namespace: NOMAD_DEFAULT_NAMESPACE, jobId: name };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: evaluationsConfigMapName(name),
      namespace: owner.metadata?.namespace,
      labels: { ...identityLabels(identity), [LABEL_RECORD]: 'evaluations' },
      ownerReferences: [ownerReference(owner, { controller: true, blockOwnerDeletion: true })],
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { [EVALUATIONS_KEY]: serializeRecord(record) },
  };
}

/** The fields of a job an evaluation copies. */
export type EvaluatedJob = Pick<Job, 'ID' | 'Namespace' | 'Priority' | 'Type'>;

export interface NewEvaluation {
  triggeredBy: EvaluationTrigger;
  status?: EvaluationStatus;
  statusDescription?: string;
  jobModifyIndex: number;
  /** CreateIndex = ModifyIndex = SnapshotIndex. */
  index: number;
  /** Unix nanoseconds. */
  nowNs: number;
  id?: string;
  priority?: number;
  type?: string;
}

export function newEvaluation(job: EvaluatedJob, input: NewEvaluation): Evaluation {
  return {
    ID: input.id ?? randomUUID(),
    Priority: input.priority ?? job.Priority ?? 50,
    Type: input.type ?? job.Type ?? 'service',
    TriggeredBy: input.triggeredBy,
    Namespace: job.Namespace || NOMAD_DEFAULT_NAMESPACE,
    JobID: job.ID ?? '',
    JobModifyIndex: input.jobModifyIndex,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: input.status ?? 'pending',
    StatusDescription: input.statusDescription ?? '',
    Wait: 0,
    WaitUntil: GO_ZERO_TIME,
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    RelatedEvals: null,
    FailedTGAllocs: null,
    PlanAnnotations: null,
    ClassEligibility: null,
    EscapedComputedClass: false,
    QuotaLimitReached: '',
    MissingNonNodeResources: null,
    AnnotatePlan: false,
    QueuedAllocations: null,
    SnapshotIndex: input.index,
    CreateIndex: input.index,
    ModifyIndex: input.index,
    CreateTime: input.nowNs,
    ModifyTime: input.nowNs,
  };
}

/** Unix nanoseconds of a date, as a safe-to-print integer (millisecond precision). */
export function unixNanos(date: Date): number {
  return date.getTime() * 1_000_000;
}

/** Highest index in the record. */
export function maxIndex(record: EvaluationRecord): number {
  return record.entries.reduce(
    (max, e) => Math.max(max, e.evaluation.CreateIndex, e.evaluation.ModifyIndex),
    0,
  );
}

/**
 * Adds an evaluation: evaluations of older versions still pending or blocked are canceled (a newer
 * version supersedes them), and only the newest `limit` are kept.
 */
export function withEvaluation(
  record: EvaluationRecord,
  entry: EvaluationEntry,
  limit = EVALUATION_LIMIT,
): EvaluationRecord {
  const entries = record.entries.map((e) => {
    if (
      entry.version === undefined ||
      e.version === undefined ||
      e.version >= entry.version ||
      terminal.has(e.evaluation.Status)
    )
      return e;
    return {
      ...e,
      evaluation: {
        ...e.evaluation,
        Status: 'canceled' as const,
        StatusDescription: `canceled after more recent eval was processed`,
        ModifyIndex: entry.evaluation.CreateIndex,
        ModifyTime: entry.evaluation.CreateTime,
      },
    };
  });
  entries.push(entry);
  return {
    lastVersion:
      entry.version !== undefined ? Math.max(record.lastVersion, entry.version) : record.lastVersion,
    failedSeen: record.failedSeen,
    entries: entries.slice(Math.max(0, entries.length - Math.max(1, limit))),
  };
}

/** The entry bound to `version`, if recorded (and not yet trimmed). */
export function entryOfVersion(record: EvaluationRecord, version: number): EvaluationEntry | undefined {
  return record.entries.find((e) => e.version === version && e.followUpOf === undefined);
}

// ---------------------------------------------------------------------------------------------------
// Placement

/** Nomad's StatusDescription of the blocked evaluation it creates for failed placements. */
export const BLOCKED_DESCRIPTION = 'created to place remaining allocations';

export interface Placement {
  status: 'pending' | 'blocked' | 'complete';
  /** Allocations still to place, per task group. */
  queued: Record<string, number>;
  /** Per task group that has pods no node can run: why (Nomad's FailedTGAllocs). */
  failed: Record<string, AllocationMetric> | null;
  /** The kube-scheduler's message per failed task group. */
  messages: Record<string, string>;
}

/**
 * Where the pods of one job version stand: `blocked` while any cannot be scheduled, `complete` once
 * every group has its desired number placed (scheduled or finished), else `pending`. `pods` are the
 * pods of that version only; `desired` is per task group; `job` gives the node pool and the task
 * resources for the metrics.
 */
export function placementOf(
  pods: V1Pod[],
  desired: Record<string, number>,
  groupOfPod: (pod: V1Pod) => string | undefined,
  job?: Job,
): Placement {
  const placed = keyedBy<number>();
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp || !isPlaced(pod)) continue;
    const group = groupOfPod(pod);
    if (group !== undefined) placed[group] = (placed[group] ?? 0) + 1;
  }
  const queued = keyedBy<number>();
  for (const [group, count] of Object.entries(desired))
    queued[group] = Math.max(0, count - (placed[group] ?? 0));
  const unschedulable = unschedulableByGroup(pods, groupOfPod);
  if (unschedulable.size > 0) {
    const failed = keyedBy<AllocationMetric>();
    const messages = keyedBy<string>();
    for (const group of [...unschedulable.keys()].sort()) {
      const failures = unschedulable.get(group)!;
      failed[group] = allocationMetric(failures, {
        ...(job?.NodePool ? { nodePool: job.NodePool } : {}),
        ...(job ? { tasks: groupTasks(job, group) } : {}),
      });
      messages[group] = dominantMessage(failures).message;
    }
    return { status: 'blocked', queued, failed, messages };
  }
  const complete = Object.values(queued).every((n) => n === 0);
  return { status: complete ? 'complete' : 'pending', queued, failed: null, messages: {} };
}

// ---------------------------------------------------------------------------------------------------
// The reconciler's view

/** Which trigger a newly registered version gets, or undefined when Nomad records none. */
export function registrationTrigger(
  job: Job,
  previous: Job | undefined,
  isParent: boolean,
): EvaluationTrigger | undefined {
  // Periodic and parameterized jobs get no evaluation on register or deregister, as in Nomad.
  if (isParent) return undefined;
  if (job.Stop === true && previous?.Stop !== true) return 'job-deregister';
  if (previous && previous.Stop !== true && countOnlyChange(previous, job)) return 'job-scaling';
  if (!previous && job.ParentID && job.Dispatched !== true) return 'periodic-job';
  return 'job-register';
}

/** The spec without group counts, key order and bookkeeping aside (a stored version went through JSON). */
const withoutCounts = (job: Job): string =>
  specFingerprint({
    ...job,
    TaskGroups: (job.TaskGroups ?? []).map((g) => ({ ...g, Count: undefined })),
  } as Record<string, unknown>);

/** True when two versions differ in group counts only. */
export function countOnlyChange(previous: Job, next: Job): boolean {
  const counts = (job: Job) => (job.TaskGroups ?? []).map((g) => g.Count ?? 1).join(',');
  return counts(previous) !== counts(next) && withoutCounts(previous) === withoutCounts(next);
}

export interface EvaluationInput {
  job: Job;
  version: number;
  /** The version before `version`, if any (to tell scaling and deregistration from registration). */
  previous?: Job;
  isParent: boolean;
  jobModifyIndex: number;
  /** Pods of the current version (every pod for a CronJob-launched child). */
  pods: V1Pod[];
  desired: Record<string, number>;
  groupOfPod: (pod: V1Pod) => string | undefined;
  /** Failed and lost allocations now. */
  failedAllocations: number;
  /** Lower bound for new indexes (e.g. the NomadJob's resourceVersion). */
  index: number;
  now: Date;
  newId?: () => string;
}

/**
 * The record after one reconcile: an evaluation for a version not yet evaluated, the placement status
 * of the current version's pending/blocked evaluations, an alloc-failure evaluation when more
 * allocations failed. Returns the same object when nothing changed.
 */
export function nextRecord(record: EvaluationRecord, input: EvaluationInput): EvaluationRecord {
  let next = record;
  const nowNs = unixNanos(input.now);
  let index = Math.max(input.index, maxIndex(record) + 1);
  const { job } = input;
  /** Evaluations created in this pass: their placement is part of their creation, not a modification. */
  const fresh = new Set<string>();

  if (input.version > record.lastVersion && !entryOfVersion(record, input.version)) {
    const trigger = registrationTrigger(job, input.previous, input.isParent);
    if (trigger) {
      const evaluation = newEvaluation(job, {
        triggeredBy: trigger,
        jobModifyIndex: input.jobModifyIndex,
        index,
        nowNs,
        ...(input.newId ? { id: input.newId() } : {}),
        // Nomad's deregistration evaluation is typed service whatever the job (job_endpoint.go).
        ...(trigger === 'job-deregister' ? { type: 'service' } : {}),
      });
      next = withEvaluation(next, { version: input.version, evaluation });
      fresh.add(evaluation.ID);
      index++;
    } else {
      next = { ...next, lastVersion: input.version };
    }
  }

  const placement: Placement =
    job.Stop === true || input.isParent
      ? { status: 'complete', queued: {}, failed: null, messages: {} }
      : placementOf(input.pods, input.desired, input.groupOfPod, job);
  const queued = Object.keys(placement.queued).length > 0 ? placement.queued : null;
  let changed = false;
  let spawned: EvaluationEntry | undefined;
  const entries = next.entries.map((entry) => {
    const e = entry.evaluation;
    if (entry.version !== input.version || terminal.has(e.Status)) return entry;
    let updated: Evaluation;
    let messages = entry.schedulerMessages;
    if (entry.followUpOf === undefined) {
      // The version's own evaluation. As Nomad's scheduler does when it cannot place everything, it
      // completes (placing what it can, saying why not the rest) and hands over to a blocked one.
      updated = { ...e, StatusDescription: '', QueuedAllocations: queued, FailedTGAllocs: placement.failed };
      if (placement.status === 'blocked' && !spawned) {
        const blocked = newEvaluation(job, {
          triggeredBy: 'queued-allocs',
          status: 'blocked',
          statusDescription: BLOCKED_DESCRIPTION,
          jobModifyIndex: e.JobModifyIndex,
          index,
          nowNs,
          priority: e.Priority,
          type: e.Type,
          ...(input.newId ? { id: input.newId() } : {}),
        });
        blocked.PreviousEval = e.ID;
        blocked.FailedTGAllocs = placement.failed;
        blocked.QueuedAllocations = queued;
        spawned = {
          version: input.version,
          followUpOf: e.ID,
          schedulerMessages: placement.messages,
          evaluation: blocked,
        };
        updated = { ...updated, Status: 'complete', BlockedEval: blocked.ID };
      } else {
        updated = { ...updated, Status: placement.status === 'blocked' ? 'pending' : placement.status };
      }
    } else if (placement.status === 'complete') {
      // The blocked evaluation placed the rest: complete, nothing failed (Nomad's unblocked eval).
      updated = {
        ...e,
        Status: 'complete',
        StatusDescription: '',
        QueuedAllocations: queued,
        FailedTGAllocs: null,
      };
      messages = undefined;
    } else if (placement.status === 'blocked') {
      // Still blocked: what fails now (Nomad re-blocks the evaluation with fresh metrics).
      updated = { ...e, QueuedAllocations: queued, FailedTGAllocs: placement.failed };
      messages = placement.messages;
    } else {
      updated = { ...e, QueuedAllocations: queued };
    }
    const sameMessages = JSON.stringify(messages) === JSON.stringify(entry.schedulerMessages);
    if (JSON.stringify(updated) === JSON.stringify(e) && sameMessages) return entry;
    const { schedulerMessages: _, ...rest } = entry;
    const withMessages = messages ? { ...rest, schedulerMessages: messages } : rest;
    if (fresh.has(e.ID) && !spawned) return { ...withMessages, evaluation: updated };
    changed = true;
    return { ...withMessages, evaluation: { ...updated, ModifyIndex: index, ModifyTime: nowNs } };
  });
  if (fresh.size > 0 || changed) next = { ...next, entries };
  if (spawned) next = withEvaluation(next, spawned);
  if (changed || spawned) index++;

  if (!input.isParent && job.Stop !== true && input.failedAllocations !== next.failedSeen) {
    if (input.failedAllocations > next.failedSeen) {
      const evaluation = newEvaluation(job, {
        triggeredBy: 'alloc-failure',
        status: 'complete',
        jobModifyIndex: input.jobModifyIndex,
        index,
        nowNs,
        ...(input.newId ? { id: input.newId() } : {}),
      });
      next = withEvaluation(next, { evaluation });
    }
    next = { ...next, failedSeen: input.failedAllocations };
  }
  return next;
}

// ---------------------------------------------------------------------------------------------------
// Readers and the direct writer

/** What the evaluation readers need of the cache reader (src/kube/reader.ts). */
export type OwnedLister = Pick<ClusterReader, 'owned'>;

/**
 * The evaluations of a NomadJob, newest first (CreateIndex descending). `source` is the controller's
 * cache view (or anything with `owned(kind, namespace, jobName)`) or the evaluations ConfigMap itself.
 * Evaluations are only read from a ConfigMap owned by this very job (not a purged namesake's).
 */
export function evaluationsOf(
  job: NomadJobObject,
  source: OwnedLister | V1ConfigMap | undefined,
): Evaluation[] {
  const name = job.metadata?.name ?? '';
  const namespace = job.metadata?.namespace ?? '';
  const configMap =
    source === undefined
      ? undefined
      : 'owned' in source
        ? source
            .owned<V1ConfigMap>('ConfigMap', namespace, name)
            .find((c) => c.metadata?.name === evaluationsConfigMapName(name))
        : source;
  if (!configMap || !ownedBy(configMap, job)) return [];
  return readRecord(configMap)
    .entries.map((e) => e.evaluation)
    .sort((a, b) => b.CreateIndex - a.CreateIndex || b.CreateTime - a.CreateTime);
}

function ownedBy(configMap: V1ConfigMap, job: NomadJobObject): boolean {
  const uid = job.metadata?.uid;
  return !uid || (configMap.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
}

/**
 * A caller's cache of evaluation records: a job's evaluations ConfigMap as it holds it (null: none),
 * for RecordEvaluationInput `cached`.
 */
export type CachedEvaluations = (job: NomadJobObject) => V1ConfigMap | null;

export interface RecordEvaluationInput {
  triggeredBy: EvaluationTrigger;
  /**
   * Binds the evaluation to this job version: one evaluation per version, so when the reconciler (or
   * an earlier call) already recorded one for it, that one is returned and nothing is written.
   */
  version?: number;
  /** Default `pending` for version-bound evaluations (the reconciler completes them), else `complete`. */
  status?: EvaluationStatus;
  statusDescription?: string;
  priority?: number;
  now?: Date;
  /**
   * The evaluations ConfigMap as the caller's cache holds it (null: the cache holds none). The first
   * attempt computes from it and writes conditioned on it (a create when null) instead of reading
   * the apiserver's copy first; a stale cache only costs a failed write, after which the record is
   * read from the apiserver as without it. Undefined: read first.
   */
  cached?: V1ConfigMap | null;
}

/**
 * Writes a job's evaluation record: creates the ConfigMap when `live` (the copy the record was computed
 * from) is undefined, else applies it on the condition that `live` is still current. The one writer of
 * the record, for the reconciler and recordEvaluation alike. Resolves false when someone else wrote it
 * since (created it first, changed or deleted it): the caller starts again from the newer record (the
 * reconciler on the event that write makes, recordEvaluation at once).
 */
export async function saveRecord(
  writer: ClusterWriter,
  owner: NomadJobObject,
  record: EvaluationRecord,
  live: V1ConfigMap | undefined,
): Promise<boolean> {
  const configMap = recordConfigMap(owner, record, live?.metadata?.resourceVersion);
  try {
    if (live) await writer.apply(configMap);
    else await writer.create(configMap);
    return true;
  } catch (error) {
    if (isWriteError(error, 'already-exists', 'conflict', 'not-found')) return false;
    throw error;
  }
}

/**
 * Records an evaluation for a NomadJob right away (read-modify-write of its evaluations ConfigMap with
 * optimistic concurrency, retried when someone else wrote it meanwhile) and returns it. For API calls
 * that must answer with an EvalID (dispatch, periodic force, register, evaluate). `job` must be the live
 * object (with its uid). With `input.cached`, the first attempt skips the read: one round trip instead
 * of two when the cache is current (a new job's record is then a single create).
 */
export async function recordEvaluation(
  writer: ClusterWriter,
  job: NomadJobObject,
  input: RecordEvaluationInput,
): Promise<Evaluation> {
  const namespace = job.metadata?.namespace ?? '';
  const name = evaluationsConfigMapName(job.metadata?.name ?? '');
  const decoded = jobOfObject(job);
  const nomadJob = (decoded.ok ? decoded.job : {}) as Job;
  for (let attempt = 0; ; attempt++) {
    // The cached copy stands in for the read once: a write conditioned on it fails if it is stale.
    const live =
      attempt === 0 && input.cached !== undefined
        ? (input.cached ?? undefined)
        : await writer.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
    const record = live && ownedBy(live, job) ? readRecord(live) : emptyRecord();
    if (input.version !== undefined) {
      const existing = entryOfVersion(record, input.version);
      if (existing) return existing.evaluation;
    }
    const index = Math.max(
      Number(job.metadata?.resourceVersion ?? 0) || 0,
      Number(live?.metadata?.resourceVersion ?? 0) || 0,
      maxIndex(record) + 1,
    );
    const evaluation = newEvaluation(nomadJob, {
      triggeredBy: input.triggeredBy,
      status: input.status ?? (input.version !== undefined ? 'pending' : 'complete'),
      statusDescription: input.statusDescription ?? '',
      jobModifyIndex: job.status?.jobModifyIndex ?? (Number(job.metadata?.resourceVersion ?? 0) || 0),
      index,
      nowNs: unixNanos(input.now ?? new Date()),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      ...(input.triggeredBy === 'job-deregister' ? { type: 'service' } : {}),
    });
    const next = withEvaluation(record, {
      ...(input.version !== undefined ? { version: input.version } : {}),
      evaluation,
    });
    if (await saveRecord(writer, job, next, live)) return evaluation;
    // A stale cached copy: read the apiserver's at once.
    if (attempt === 0 && input.cached !== undefined) continue;
    if (attempt >= 8) throw new Error(`the evaluations of ${namespace}/${job.metadata?.name} keep changing`);
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
  }
}
