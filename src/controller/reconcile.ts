// One reconcile of one NomadJob, level-triggered: read the latest object from the cache, turn its
// spec into the desired objects (the pure translator), apply what differs, prune what is no longer
// desired, record versions, and write status only when it changed. Nothing here depends on which
// event caused the call.
import { createHash } from 'node:crypto';
import type {
  KubernetesObject,
  V1ConfigMap,
  V1ControllerRevision,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Pod,
  V1Secret,
} from '@kubernetes/client-node';
import type { NomadJobObject, NomadJobStatus } from '../crd/resource.ts';
import {
  evaluationsConfigMapName,
  groupOfPodFor,
  nextRecord,
  readRecord,
  saveRecord,
  serializeRecord,
} from '../jobs/evaluations.ts';
import { ownedKinds } from '../jobs/owned.ts';
import {
  cronChildId,
  cronChildObject,
  endCronChildRuns,
  isCronLaunched,
  launchedByCronJob,
} from '../jobs/periodic.ts';
import { type ObjectLookup, podVersion } from '../jobs/pod-version.ts';
import { checkSharedSpec } from '../jobs/spec.ts';
import {
  computeStatus,
  desiredAllocations,
  groupsWithoutWorkload,
  isParentJob,
  type Observed,
} from '../jobs/status.ts';
import {
  defaultHistoryLimit,
  type RecordedVersion,
  recordedFromNewerGeneration,
  recordVersion,
  versionLeftToTheApi,
} from '../jobs/versions.ts';
import { isOwnedBy, ownerReference } from '../kube/owner-reference.ts';
import type { ClusterReader } from '../kube/reader.ts';
import { type ClusterWriter, createIfAbsent, nomadJobRef } from '../kube/writer.ts';
import { canonicalJson } from '../nomad/canonical-json.ts';
import {
  childName,
  identityAnnotations,
  identityLabels,
  jobObjectName,
  NOMAD_DEFAULT_NAMESPACE,
  readIdentity,
} from '../nomad/ids.ts';
import { ANNOTATION_APPLIED_HASH, ANNOTATION_PARENT_ID } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { translate } from '../translate/index.ts';
import { isSharedService } from '../translate/networking.ts';
import type { TranslateOptions, Warning } from '../translate/types.ts';
import { reconcileSharedServices } from './shared-services.ts';
import type { Translated, TranslationMemo } from './translations.ts';

export { type Checked, checkSpec } from '../jobs/spec.ts';

export interface ReconcileOptions {
  historyLimit?: number;
  translate?: Omit<TranslateOptions, 'namespace' | 'version'>;
  now?: () => Date;
  /**
   * Translations kept between reconciles (translations.ts), made for these `translate` options: the
   * controller's. Without it every reconcile translates.
   */
  translations?: TranslationMemo;
}

export type ReconcileOutcome =
  | { result: 'success' }
  | { result: 'invalid'; message: string }
  | { result: 'gone' }
  /**
   * A cache is behind: the NomadJob is older than a version recorded from it, or the revisions are
   * older than the version numbers taken. The late events bring the job again. Or the job's new
   * version is the Nomad API's to record (versions.ts versionLeftToTheApi): its revision's event
   * brings the job again, and should the API fail to record it, a reconcile after `retryAfterMs`
   * records it.
   */
  | { result: 'behind'; retryAfterMs?: number };

export async function reconcile(
  key: string,
  view: ClusterReader,
  writer: ClusterWriter,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const [namespace = '', name = ''] = key.split('/');
  const object = view.nomadJob(namespace, name);
  if (!object || object.metadata?.deletionTimestamp) return { result: 'gone' };
  // The NomadJob and its revisions come from two watches, in no set order: a revision recorded from a
  // newer spec (by the Nomad API, right after writing it) can be cached before that spec is. This copy
  // of the job is then behind: recording its spec would make a version of an old spec, and applying
  // it would roll the workloads back. Its update event re-enqueues the job.
  if (recordedFromNewerGeneration(object, view.owned('ControllerRevision', namespace, name)))
    return { result: 'behind' };
  const now = (options.now ?? (() => new Date()))();
  const generation = object.metadata?.generation ?? 0;

  const checked = checkSharedSpec(object);
  if (!checked.ok) {
    const status = computeStatus({
      job: {},
      generation,
      previous: object.status,
      observed: {
        pods: [],
        deployments: [],
        jobs: [],
        desired: {},
        failure: { reason: 'InvalidSpec', message: checked.message },
      },
      now: now.toISOString(),
      warnings: object.status?.warnings ?? [],
      version: object.status?.version ?? 0,
      jobModifyIndex: object.status?.jobModifyIndex ?? 0,
      submitTime: object.status?.submitTime ?? '0',
      stable: object.status?.stable ?? false,
    });
    if (statusChanged(object, status)) {
      await writer.event(object, 'Warning', 'InvalidSpec', checked.message);
      await patchStatus(writer, object, status);
    }
    return { result: 'invalid', message: checked.message };
  }

  const version = await versionOf(
    object,
    checked.job,
    view,
    writer,
    options.historyLimit ?? defaultHistoryLimit,
    now,
  );
  if ('behind' in version) return version.behind;
  // The decoded spec is shared (and frozen): the job at its version is a shallow copy of it.
  const job: Job = { ...checked.job, Version: version.version, Stable: version.stable };

  const cronLaunched = isCronLaunched(object);
  // The translation kept from an earlier reconcile when its objects are all applied (translations.ts):
  // nothing to apply then, but Services the job shared before are still released.
  const kept = options.translations?.applied(object, version.version, view);
  const translated = kept
    ? { ...kept, changed: await reconcileSharedServices(object, [], view, writer) }
    : await translateAndApply(object, job, version.version, view, writer, options);
  const changed = translated.changed;
  await pruneUndesired(object, translated.objects, view, writer, [
    `ConfigMap/${evaluationsConfigMapName(name)}`,
  ]);
  if (job.Periodic?.Enabled === true && !job.Stop) await recordCronChildren(object, job, view, writer);
  if (cronLaunched && job.Stop) {
    const parentJobs = view.owned<V1Job>('Job', namespace, jobObjectName(job.ParentID ?? ''));
    await endCronChildRuns(object, parentJobs, writer);
  }

  const observed = cronLaunched ? observeCronLaunched(object, job, view) : observe(object, job, view);
  observed.progressing = changed;
  // Groups translated into no workload on purpose (a Connect gateway's): nothing of theirs to wait for.
  if (!job.Stop && !cronLaunched && !isParentJob(job)) {
    const without = translated.withoutWorkload;
    if (Object.keys(without).length > 0) observed.notTranslated = { ...without };
  }
  const status = computeStatus({
    job,
    generation,
    previous: object.status,
    observed,
    now: now.toISOString(),
    warnings: [...(checked.dropped ?? []), ...translated.warnings].map((w) => `${w.path}: ${w.message}`),
    version: version.version,
    jobModifyIndex: version.jobModifyIndex,
    submitTime: version.submitTime,
    stable: version.stable,
  });
  if (statusChanged(object, status)) {
    // Said once, when the scheduler starts refusing the job's pods (kubectl describe shows it).
    const scheduled = status.conditions?.find((c) => c.type === 'Scheduled');
    const before = object.status?.conditions?.find((c) => c.type === 'Scheduled');
    if (scheduled?.reason === 'Unschedulable' && before?.reason !== 'Unschedulable')
      await writer.event(object, 'Warning', 'Unschedulable', scheduled.message);
    await patchStatus(writer, object, status);
  }
  await updateEvaluations(object, job, version, observed, status, view, writer, now);
  return { result: 'success' };
}

/**
 * Translates the job's spec at `version`, applies what differs (and the job's shared Services), and
 * keeps what later reconciles need of the translation when `options.translations` is given and the job
 * shares no Service. Returns the translation as kept and whether anything was written.
 */
async function translateAndApply(
  object: NomadJobObject,
  job: Job,
  version: number,
  view: ClusterReader,
  writer: ClusterWriter,
  options: ReconcileOptions,
): Promise<Translated & { changed: boolean }> {
  const { objects, warnings } = desiredObjects(object, job, version, options.translate);
  // Services named after Nomad services are shared by the jobs of the namespace: shared-services.ts.
  const shared = objects.filter(isSharedService);
  const desired = objects.filter((o) => !isSharedService(o)).map((o) => withOwnership(o, object));
  const sharedChanged = await reconcileSharedServices(object, shared, view, writer);
  const changed = (await applyDesired(object, desired, view, writer)) || sharedChanged;
  const withoutWorkload = groupsWithoutWorkload(job, objects, warnings);
  const translated = { objects: appliedRefs(desired), warnings, withoutWorkload };
  // A shared Service is applied by intent, not by hash: such jobs are translated every time.
  if (shared.length === 0) options.translations?.remember(object, version, translated);
  return { ...translated, changed };
}

/**
 * The objects a NomadJob should have (before ownership metadata) and the translation's warnings: the
 * translator's output for `job` at `version`, in the NomadJob's namespace, with the operator's translator
 * options. Pure, so `convert --manifests` with the same options is checked to print the same objects.
 */
export function desiredObjects(
  object: NomadJobObject,
  job: Job,
  version: number,
  options: ReconcileOptions['translate'] = {},
): { objects: KubernetesObject[]; warnings: Warning[] } {
  // A CronJob-launched child mirrors the Job the CronJob controller runs: no workload of its own.
  if (job.Stop || isCronLaunched(object)) return { objects: [], warnings: [] };
  const payloadSecret = payloadSecretOf(object, job);
  const { objects, warnings } = translate(job, {
    ...options,
    namespace: object.metadata?.namespace ?? '',
    version,
    ...(payloadSecret ? { dispatch: { payloadSecretName: payloadSecret.metadata?.name ?? '' } } : {}),
  });
  // The payload first: pods mounting it should not wait for it.
  return { objects: [...(payloadSecret ? [payloadSecret] : []), ...objects], warnings };
}

/**
 * The Secret holding a dispatched child's payload (key `payload`: the raw bytes, so `data.payload` is
 * the job's base64 Payload as is), mounted by the translator at each task's dispatch_payload file.
 * Made by the reconciler, like every other object of the job, so it exists whatever happened to the
 * dispatch call that created the child. A child is recognised by `Dispatched: true` and a ParentID.
 */
export function payloadSecretOf(object: NomadJobObject, job: Job): V1Secret | undefined {
  if (job.Dispatched !== true || !job.ParentID || !job.Payload) return undefined;
  const identity = readIdentity(object.metadata ?? {}) ?? {
    namespace: job.Namespace || NOMAD_DEFAULT_NAMESPACE,
    jobId: job.ID ?? '',
    parentId: job.ParentID,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: childName(object.metadata?.name ?? '', 'payload'),
      namespace: object.metadata?.namespace,
      labels: identityLabels(identity),
      annotations: identityAnnotations(identity),
    },
    type: 'Opaque',
    data: { payload: job.Payload },
  };
}

/**
 * A periodic parent records a child NomadJob for every Job its CronJobs launched (periodic.ts), once:
 * an existing child (cache) is left alone, a concurrent create is a no-op.
 */
async function recordCronChildren(
  owner: NomadJobObject,
  job: Job,
  view: ClusterReader,
  writer: ClusterWriter,
): Promise<void> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const cronJobs = new Set(
    view
      .owned<V1CronJob>('CronJob', namespace, jobName)
      .filter((c) => isOwnedBy(c, owner.metadata?.uid))
      .map((c) => c.metadata?.uid),
  );
  const recorded = new Set<string>();
  for (const launched of view.owned<V1Job>('Job', namespace, jobName)) {
    if (launched.metadata?.deletionTimestamp || !launchedByCronJob(launched)) continue;
    const cronJob = launched.metadata?.ownerReferences?.find((r) => r.kind === 'CronJob' && r.controller);
    if (!cronJob || !cronJobs.has(cronJob.uid)) continue;
    const child = cronChildObject(owner, job, launched);
    const name = child?.metadata?.name;
    if (!child || !name || recorded.has(name) || view.nomadJob(namespace, name)) continue;
    recorded.add(name);
    if (await createIfAbsent(writer, child))
      await writer.event(
        owner,
        'Normal',
        'PeriodicLaunch',
        `Recorded periodic launch ${cronChildId(launched)}`,
      );
  }
}

/** A CronJob-launched child observes the parent's Jobs launched for its time, and their pods. */
function observeCronLaunched(owner: NomadJobObject, job: Job, view: ClusterReader): Observed {
  const namespace = owner.metadata?.namespace ?? '';
  const parentName = jobObjectName(job.ParentID ?? '');
  const jobs = view
    .owned<V1Job>('Job', namespace, parentName)
    .filter((j) => cronChildId(j) === job.ID && j.metadata?.namespace === namespace);
  const uids = new Set(jobs.map((j) => j.metadata?.uid));
  const pods = view
    .owned<V1Pod>('Pod', namespace, parentName)
    .filter((p) => (p.metadata?.ownerReferences ?? []).some((r) => uids.has(r.uid)));
  return { pods, deployments: [], jobs, desired: desiredAllocations(job, []) };
}

/** Evaluations: new ones for new versions and alloc failures, placement status of the current one. */
async function updateEvaluations(
  owner: NomadJobObject,
  job: Job,
  version: VersionState,
  observed: Observed,
  status: NomadJobStatus,
  view: ClusterReader,
  writer: ClusterWriter,
  now: Date,
): Promise<void> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const configMapName = evaluationsConfigMapName(jobName);
  const live = view
    .owned<V1ConfigMap>('ConfigMap', namespace, jobName)
    .find((c) => c.metadata?.name === configMapName);
  // A purged namesake's evaluations, not yet garbage-collected: wait for the collector.
  if (live && !isOwnedBy(live, owner.metadata?.uid)) return;
  const record = readRecord(live);
  const pods = isCronLaunched(owner)
    ? observed.pods
    : observed.pods.filter((p) => podVersion(lookupIn(view, namespace, jobName), p) === version.version);
  const failed = Object.values(status.summary ?? {}).reduce((sum, s) => sum + s.failed + s.lost, 0);
  const next = nextRecord(record, {
    job,
    version: version.version,
    ...(version.previous ? { previous: version.previous as Job } : {}),
    isParent: isParentJob(job),
    jobModifyIndex: version.jobModifyIndex,
    pods,
    desired: observed.desired,
    groupOfPod: groupOfPodFor(job),
    failedAllocations: failed,
    index: Number(owner.metadata?.resourceVersion ?? 0) || 0,
    now,
  });
  if (live ? serializeRecord(next) === serializeRecord(record) : next.entries.length === 0) return;
  // Someone else (dispatch, the API) wrote the record since the cache saw it: its event re-enqueues
  // this job, whose next reconcile starts from that newer record.
  await saveRecord(writer, owner, next, live);
}

function patchStatus(writer: ClusterWriter, job: NomadJobObject, status: NomadJobStatus): Promise<unknown> {
  return writer.mergePatch(
    nomadJobRef(job.metadata?.namespace ?? '', job.metadata?.name ?? ''),
    { status },
    { status: true },
  );
}

/** Compares everything but condition timestamps (which only move when a condition flips anyway). */
function statusChanged(object: NomadJobObject, status: NomadJobStatus): boolean {
  return canonicalJson(object.status ?? {}) !== canonicalJson(status);
}

interface VersionState {
  version: number;
  stable: boolean;
  submitTime: string;
  jobModifyIndex: number;
  /** The job of the version before this one, when still in the history. */
  previous?: Record<string, unknown>;
}

/**
 * The version of the job's spec, recorded when new (jobs/versions.ts), with what status needs of it;
 * or why the reconcile cannot go on yet (a cache behind, or a new version left to the Nomad API).
 */
async function versionOf(
  object: NomadJobObject,
  job: Job,
  view: ClusterReader,
  writer: ClusterWriter,
  historyLimit: number,
  now: Date,
): Promise<VersionState | { behind: Extract<ReconcileOutcome, { result: 'behind' }> }> {
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  const leftToTheApi = versionLeftToTheApi(object, now);
  const recorded = await recordVersion(writer, {
    object,
    job,
    revisions: view.owned<V1ControllerRevision>('ControllerRevision', namespace, name),
    historyLimit,
    now,
    leaveNew: leftToTheApi !== undefined,
  });
  if (recorded.isNew && leftToTheApi !== undefined)
    return { behind: { result: 'behind', retryAfterMs: leftToTheApi } };
  // The version number the cached history gave is recorded already, by someone else (the Nomad API,
  // right after its spec write): the cache of revisions is behind. That revision may hold this spec, or
  // a newer one (two registers in a row) whose number this spec must not be labelled, statused and
  // evaluated with; its watch event (and any newer one's) re-enqueues the job, decided then from a
  // history that shows it. No read of the apiserver: the event is a few milliseconds away.
  if (recorded.isNew && !recorded.created) return { behind: { result: 'behind' } };
  return {
    version: recorded.version,
    stable: recorded.stable,
    submitTime: recorded.submitTime,
    jobModifyIndex: jobModifyIndexOf(object, recorded),
    ...(recorded.previous ? { previous: recorded.previous.job } : {}),
  };
}

/**
 * JobModifyIndex of the generation `object` is at, whoever recorded its version (the Nomad API records
 * a registered one before this reconciler sees it, so `isNew` alone does not tell a new spec): the index
 * the version's revision holds (the resourceVersion of the write that made its spec; a spec edit Nomad
 * would not see as a change keeps it, as Nomad's register of an unchanged job does); else the one the
 * status already holds for this generation, or for the same version; else, for a new version, the
 * resourceVersion this generation is first seen at (the spec write's, unless other writes came first).
 * Never the index of an older version: the status of the previous generation holds that.
 */
function jobModifyIndexOf(object: NomadJobObject, recorded: RecordedVersion): number {
  if (recorded.jobModifyIndex !== undefined) return recorded.jobModifyIndex;
  const status = object.status;
  const sameGeneration = status?.observedGeneration === (object.metadata?.generation ?? 0);
  if (status?.jobModifyIndex && !recorded.isNew && (sameGeneration || status.version === recorded.version))
    return status.jobModifyIndex;
  return Number(object.metadata?.resourceVersion ?? 0);
}

function withOwnership(desired: KubernetesObject, owner: NomadJobObject): KubernetesObject {
  const object = structuredClone(desired);
  object.metadata ??= {};
  object.metadata.ownerReferences = [ownerReference(owner, { controller: true, blockOwnerDeletion: true })];
  const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 32);
  object.metadata.annotations = { ...object.metadata.annotations, [ANNOTATION_APPLIED_HASH]: hash };
  return object;
}

/** Kind, name and applied hash of each desired object (what translations.ts keeps of them). */
function appliedRefs(desired: KubernetesObject[]): Translated['objects'] {
  return desired.map((o) => ({
    kind: o.kind ?? '',
    name: o.metadata?.name ?? '',
    hash: o.metadata?.annotations?.[ANNOTATION_APPLIED_HASH] ?? '',
  }));
}

/** Applies every desired object whose live copy lacks its hash. Returns whether anything was written. */
async function applyDesired(
  owner: NomadJobObject,
  desired: KubernetesObject[],
  view: ClusterReader,
  writer: ClusterWriter,
): Promise<boolean> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  let changed = false;
  for (const object of desired) {
    const live = view
      .owned(object.kind ?? '', namespace, jobName)
      .find((o) => o.metadata?.name === object.metadata?.name);
    const hash = object.metadata?.annotations?.[ANNOTATION_APPLIED_HASH];
    if (live && live.metadata?.annotations?.[ANNOTATION_APPLIED_HASH] === hash) continue;
    if (live && !isOwnedBy(live, owner.metadata?.uid)) {
      // Never take over an object the operator did not create for this job.
      await writer.event(
        owner,
        'Warning',
        'NameConflict',
        `${object.kind} ${object.metadata?.name} exists and is not owned by this job; left alone`,
      );
      continue;
    }
    // No Event for a routine apply: the status shows the rollout, and every Event is one more write
    // per object per version (Events are for what needs attention: the Warnings here).
    await writer.apply(object);
    changed = true;
  }
  return changed;
}

async function pruneUndesired(
  owner: NomadJobObject,
  desired: Translated['objects'],
  view: ClusterReader,
  writer: ClusterWriter,
  keep: string[] = [],
): Promise<void> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const wanted = new Set([...desired.map((o) => `${o.kind}/${o.name}`), ...keep]);
  for (const { apiVersion, kind, pruned } of ownedKinds) {
    if (!pruned) continue;
    for (const live of view.owned(kind, namespace, jobName)) {
      if (!isOwnedBy(live, owner.metadata?.uid) || wanted.has(`${kind}/${live.metadata?.name}`)) continue;
      await writer.delete({ apiVersion, kind, namespace, name: live.metadata?.name ?? '' });
    }
  }
}

function observe(owner: NomadJobObject, job: Job, view: ClusterReader): Observed {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const daemonSets = view.owned<V1DaemonSet>('DaemonSet', namespace, jobName);
  const desired = desiredAllocations(job, daemonSets);
  const isParent = isParentJob(job);
  const observed: Observed = {
    // A parent's allocations belong to its children (the pods of its CronJobs' Jobs, each recorded as
    // a child), as in Nomad, whose parent summaries count children, not allocations.
    pods: isParent ? [] : view.owned<V1Pod>('Pod', namespace, jobName),
    deployments: view.owned<V1Deployment>('Deployment', namespace, jobName),
    jobs: isParent ? [] : view.owned<V1Job>('Job', namespace, jobName),
    desired,
  };
  if (isParent) {
    const identity = readIdentity(owner.metadata ?? {});
    const jobId = identity?.jobId ?? job.ID;
    observed.children = view
      .nomadJobs(namespace)
      .filter(
        (child) =>
          child.metadata?.annotations?.[ANNOTATION_PARENT_ID] === jobId && !child.metadata?.deletionTimestamp,
      )
      .map((child) => ({ status: child.status?.status }));
  }
  return observed;
}

/** Cache lookups by name among the objects of one job. */
function lookupIn(view: ClusterReader, namespace: string, jobName: string): ObjectLookup {
  return (kind, _namespace, name) =>
    view.owned(kind, namespace, jobName).find((o) => o.metadata?.name === name);
}
