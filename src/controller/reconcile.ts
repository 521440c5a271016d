// One reconcile of one NomadJob, level-triggered: read the latest object from the cache, turn its
// spec into the desired objects (the pure translator), apply what differs, prune what is no longer
// desired, record versions, and write status only when it changed. Nothing here depends on which
// event caused the call.
import { createHash } from 'node:crypto';
import type {
  KubernetesObject,
  V1ControllerRevision,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Pod,
} from '@kubernetes/client-node';
import { jobOfObject } from '../crd/object.ts';
import type { NomadJobObject, NomadJobStatus } from '../crd/resource.ts';
import { canonicalize } from '../nomad/canonicalize.ts';
import { ANNOTATION_PARENT_ID, readIdentity } from '../nomad/ids.ts';
import type { Job } from '../nomad/schema.ts';
import { formatMultiError, parseJobJson, validateJob } from '../nomad/validate.ts';
import { translate } from '../translate/index.ts';
import type { TranslateOptions } from '../translate/types.ts';
import { isOwnedBy, ownedKinds } from './owned.ts';
import { computeStatus, type Observed } from './status.ts';
import {
  defaultHistoryLimit,
  nextVersion,
  revisionName,
  revisionObject,
  type StoredVersion,
  storedVersionOf,
  versionsToPrune,
} from './versions.ts';

/** Read side: the informer caches. */
export interface ClusterView {
  nomadJob(namespace: string, name: string): NomadJobObject | undefined;
  nomadJobs(namespace: string): NomadJobObject[];
  /** Objects of `kind` in `namespace` labelled as belonging to the NomadJob `jobName`. */
  owned<T extends KubernetesObject>(kind: string, namespace: string, jobName: string): T[];
}

/** Write side: the apiserver. */
export interface ClusterWriter {
  apply(object: KubernetesObject): Promise<void>;
  delete(object: KubernetesObject): Promise<void>;
  patchStatus(job: NomadJobObject, status: NomadJobStatus): Promise<void>;
  event(job: NomadJobObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface ReconcileOptions {
  historyLimit?: number;
  translate?: Omit<TranslateOptions, 'namespace' | 'version'>;
  now?: () => Date;
}

export type ReconcileOutcome =
  | { result: 'success' }
  | { result: 'invalid'; message: string }
  | { result: 'gone' };

/** Hash of the desired object, kept on it: equal hash on the live object means nothing to apply. */
export const appliedHashAnnotation = 'nomadoperator.dev/applied-hash';

export async function reconcile(
  key: string,
  view: ClusterView,
  writer: ClusterWriter,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const [namespace = '', name = ''] = key.split('/');
  const object = view.nomadJob(namespace, name);
  if (!object || object.metadata?.deletionTimestamp) return { result: 'gone' };
  const now = (options.now ?? (() => new Date()))();
  const generation = object.metadata?.generation ?? 0;

  const checked = checkSpec(object);
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
      await writer.patchStatus(object, status);
    }
    return { result: 'invalid', message: checked.message };
  }

  const job = checked.job;
  const version = await recordVersion(
    object,
    job,
    view,
    writer,
    options.historyLimit ?? defaultHistoryLimit,
    now,
  );
  job.Version = version.version;
  job.Stable = version.stable;

  const { objects, warnings } = job.Stop
    ? { objects: [], warnings: [] }
    : translate(job, { ...options.translate, namespace, version: version.version });
  const desired = objects.map((o) => withOwnership(o, object));
  const changed = await applyDesired(object, desired, view, writer);
  await pruneUndesired(object, desired, view, writer);

  const observed = observe(object, job, view);
  observed.progressing = changed;
  const status = computeStatus({
    job,
    generation,
    previous: object.status,
    observed,
    now: now.toISOString(),
    warnings: warnings.map((w) => `${w.path}: ${w.message}`),
    version: version.version,
    jobModifyIndex: version.jobModifyIndex,
    submitTime: version.submitTime,
    stable: version.stable,
  });
  if (statusChanged(object, status)) await writer.patchStatus(object, status);
  return { result: 'success' };
}

type Checked = { ok: true; job: Job } | { ok: false; message: string };

/** Spec → canonical, valid Nomad job, or every reason why not (Nomad's multierror text). */
function checkSpec(object: NomadJobObject): Checked {
  const decoded = jobOfObject(object);
  if (!decoded.ok) return { ok: false, message: formatMultiError(decoded.errors) };
  const parsed = parseJobJson(decoded.job);
  if (!parsed.ok) return { ok: false, message: formatMultiError(parsed.errors) };
  const job = canonicalize(parsed.job);
  const { errors } = validateJob(job);
  if (errors.length > 0) return { ok: false, message: formatMultiError(errors) };
  return { ok: true, job };
}

/** Compares everything but condition timestamps (which only move when a condition flips anyway). */
function statusChanged(object: NomadJobObject, status: NomadJobStatus): boolean {
  return JSON.stringify(sortKeys(object.status ?? {})) !== JSON.stringify(sortKeys(status));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

interface VersionState {
  version: number;
  stable: boolean;
  submitTime: string;
  jobModifyIndex: number;
}

/** Records a new version when the spec changed; prunes history beyond the limit. */
async function recordVersion(
  object: NomadJobObject,
  job: Job,
  view: ClusterView,
  writer: ClusterWriter,
  historyLimit: number,
  now: Date,
): Promise<VersionState> {
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  const revisions = view
    .owned<V1ControllerRevision>('ControllerRevision', namespace, name)
    .filter((r) => isOwnedBy(r, object.metadata?.uid));
  const history = revisions.map(storedVersionOf).filter((v): v is StoredVersion => v !== undefined);
  const next = nextVersion(history, job as Record<string, unknown>);
  const resourceVersion = Number(object.metadata?.resourceVersion ?? 0);
  if (!next.isNew) {
    const latest = next.latest!;
    return {
      version: latest.version,
      stable: latest.stable,
      submitTime: latest.submitTime,
      jobModifyIndex: object.status?.jobModifyIndex ?? resourceVersion,
    };
  }
  const stored: StoredVersion = {
    version: next.version,
    stable: false,
    submitTime: (BigInt(now.getTime()) * 1_000_000n).toString(),
    job: { ...(job as Record<string, unknown>), Version: next.version },
  };
  await writer.apply(revisionObject(object, stored));
  await writer.event(object, 'Normal', 'Registered', `Registered job version ${next.version}`);
  for (const version of versionsToPrune([...history, stored], historyLimit)) {
    const revision = revisions.find((r) => r.metadata?.name === revisionName(name, version));
    if (revision) await writer.delete(revision);
  }
  return {
    version: next.version,
    stable: false,
    submitTime: stored.submitTime,
    jobModifyIndex: resourceVersion,
  };
}

function withOwnership(desired: KubernetesObject, owner: NomadJobObject): KubernetesObject {
  const object = structuredClone(desired);
  object.metadata ??= {};
  object.metadata.ownerReferences = [
    {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.metadata?.name ?? '',
      uid: owner.metadata?.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 32);
  object.metadata.annotations = { ...object.metadata.annotations, [appliedHashAnnotation]: hash };
  return object;
}

/** Applies every desired object whose live copy lacks its hash. Returns whether anything was written. */
async function applyDesired(
  owner: NomadJobObject,
  desired: KubernetesObject[],
  view: ClusterView,
  writer: ClusterWriter,
): Promise<boolean> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  let changed = false;
  for (const object of desired) {
    const live = view
      .owned(object.kind ?? '', namespace, jobName)
      .find((o) => o.metadata?.name === object.metadata?.name);
    const hash = object.metadata?.annotations?.[appliedHashAnnotation];
    if (live && live.metadata?.annotations?.[appliedHashAnnotation] === hash) continue;
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
    await writer.apply(object);
    changed = true;
    await writer.event(
      owner,
      'Normal',
      live ? 'Updated' : 'Created',
      `${live ? 'Updated' : 'Created'} ${object.kind} ${object.metadata?.name}`,
    );
  }
  return changed;
}

async function pruneUndesired(
  owner: NomadJobObject,
  desired: KubernetesObject[],
  view: ClusterView,
  writer: ClusterWriter,
): Promise<void> {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const wanted = new Set(desired.map((o) => `${o.kind}/${o.metadata?.name}`));
  for (const { kind, pruned } of ownedKinds) {
    if (!pruned) continue;
    for (const live of view.owned(kind, namespace, jobName)) {
      if (!isOwnedBy(live, owner.metadata?.uid) || wanted.has(`${kind}/${live.metadata?.name}`)) continue;
      await writer.delete({ ...live, kind, apiVersion: ownedKinds.find((k) => k.kind === kind)?.apiVersion });
      await writer.event(owner, 'Normal', 'Deleted', `Deleted ${kind} ${live.metadata?.name}`);
    }
  }
}

function observe(owner: NomadJobObject, job: Job, view: ClusterView): Observed {
  const namespace = owner.metadata?.namespace ?? '';
  const jobName = owner.metadata?.name ?? '';
  const daemonSets = view.owned<V1DaemonSet>('DaemonSet', namespace, jobName);
  const desired: Record<string, number> = {};
  for (const group of job.TaskGroups ?? []) desired[group.Name ?? ''] = group.Count ?? 1;
  if (job.Type === 'system' && daemonSets.length > 0) {
    // One allocation per eligible node: what the DaemonSet controller computed.
    const groups = job.TaskGroups ?? [];
    for (const group of groups) desired[group.Name ?? ''] = 0;
    for (const ds of daemonSets) {
      const group =
        groups.find((g) => ds.metadata?.annotations?.['nomadoperator.dev/group'] === g.Name) ?? groups[0];
      if (group)
        desired[group.Name ?? ''] =
          (desired[group.Name ?? ''] ?? 0) + (ds.status?.desiredNumberScheduled ?? 0);
    }
  }
  const observed: Observed = {
    pods: view.owned<V1Pod>('Pod', namespace, jobName),
    deployments: view.owned<V1Deployment>('Deployment', namespace, jobName),
    jobs: view.owned<V1Job>('Job', namespace, jobName),
    desired,
  };
  const isParent = job.Periodic?.Enabled === true || job.ParameterizedJob !== undefined;
  if (isParent) {
    const identity = readIdentity(owner.metadata ?? {});
    observed.children = view
      .nomadJobs(namespace)
      .filter((child) => child.metadata?.annotations?.[ANNOTATION_PARENT_ID] === identity?.jobId)
      .map((child) => ({ status: child.status?.status }));
  }
  return observed;
}
