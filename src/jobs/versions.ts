// Nomad job versions as ControllerRevisions. Every change of a job's spec is a new version (0, 1,
// 2, …), stored as a ControllerRevision owned by the NomadJob (so purging the job purges its
// history) and holding the Nomad job JSON of that version and, as annotations, its JobModifyIndex
// and the job's CreateIndex (no other write records them). History is bounded like Nomad's
// (JobTrackedVersions, default 6). recordVersion writes them, for the reconciler and the Nomad API alike;
// the rest are pure.
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ControllerRevision } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import { isOwnedBy, ownerReference } from '../kube/owner-reference.ts';
import { resourceVersionOf } from '../kube/resource-version.ts';
import { type ClusterWriter, createIfAbsent } from '../kube/writer.ts';
import { REGISTRATION_FIELDS } from '../nomad/bookkeeping.ts';
import { canonicalJson } from '../nomad/canonical-json.ts';
import { childName, identityLabels, readIdentity } from '../nomad/ids.ts';
import {
  ANNOTATION_CREATE_INDEX,
  ANNOTATION_GENERATION,
  ANNOTATION_JOB_MODIFY_INDEX,
  ANNOTATION_PARENT_ID,
  ANNOTATION_STABLE,
  ANNOTATION_SUBMIT_TIME,
  LABEL_VERSION,
} from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { shareJobParts } from './shared-parts.ts';

export const defaultHistoryLimit = 6;

const bookkeeping = new Set<string>(REGISTRATION_FIELDS);

/** JSON with sorted keys and without bookkeeping fields: equal for jobs of the same version. */
export function specFingerprint(job: Record<string, unknown>): string {
  const spec = Object.fromEntries(Object.entries(job).filter(([k]) => !bookkeeping.has(k)));
  return canonicalJson(spec);
}

/** What a revision holds. */
export interface StoredVersion {
  version: number;
  stable: boolean;
  /** Unix nanoseconds as a decimal string. */
  submitTime: string;
  job: Record<string, unknown>;
  /**
   * The version's JobModifyIndex: the resourceVersion of the NomadJob write that made its spec
   * (undefined: a revision that does not record it).
   */
  jobModifyIndex?: number;
  /** The job's CreateIndex, carried from version to version (undefined: not known to its recorder). */
  createIndex?: number;
}

/** The ANNOTATION_SUBMIT_TIME value for a spec written at `at` that will be `generation`. */
export function submitTimeAnnotation(at: Date, generation: number): string {
  return `${BigInt(at.getTime()) * 1_000_000n}/${generation}`;
}

/** Whether the NomadJob's current spec carries the submit-time stamp of its write (the API's writes do). */
export function submitTimeStamped(object: Pick<NomadJobObject, 'metadata'>): boolean {
  const annotated = /^\d{1,20}\/(\d+)$/.exec(object.metadata?.annotations?.[ANNOTATION_SUBMIT_TIME] ?? '');
  return annotated !== null && Number(annotated[1]) === (object.metadata?.generation ?? 0);
}

/**
 * How long the reconciler leaves a new version to the Nomad API that wrote its spec: the API records
 * it right after its write (the register's answer waits for it), so a reconciler that sees the write
 * first would only race it to the same revision, one more write refused as already-exists at the
 * moment the register's own writes are made. Past this time after the spec's submit time (the API
 * failed before recording), the reconciler records it itself.
 */
export const API_RECORDS_VERSION_MS = 5_000;

/**
 * Milliseconds the reconciler should leave the current spec's new version to the Nomad API, at `now`:
 * when the spec is one the API wrote (stamped with its submit time, not a dispatched child, whose
 * version the reconciler records) less than API_RECORDS_VERSION_MS before `now`; else undefined.
 */
export function versionLeftToTheApi(object: Pick<NomadJobObject, 'metadata'>, now: Date): number | undefined {
  if (!submitTimeStamped(object) || object.metadata?.annotations?.[ANNOTATION_PARENT_ID] !== undefined)
    return undefined;
  const stamp = object.metadata?.annotations?.[ANNOTATION_SUBMIT_TIME] ?? '';
  const submittedMs = Number(BigInt(stamp.slice(0, stamp.indexOf('/'))) / 1_000_000n);
  const elapsed = now.getTime() - submittedMs;
  // A clock behind the writer's cannot tell how long ago that was: recorded here, as past the time.
  return elapsed >= 0 && elapsed < API_RECORDS_VERSION_MS ? API_RECORDS_VERSION_MS - elapsed : undefined;
}

/**
 * The submit time (unix nanoseconds, decimal) of the NomadJob's current spec, the same whoever asks
 * and however often: the annotation when it was written for the current generation; else (a spec
 * written with kubectl) the time of the newest write by a manager of spec fields as the apiserver
 * recorded it, else the creation time. Only an object that carries none of them (never one the
 * apiserver returned: it always sets the creation time) takes `fallback`.
 */
export function submitTimeOf(object: Pick<NomadJobObject, 'metadata'>, fallback?: Date): string {
  const metadata = object.metadata ?? {};
  const annotated = /^(\d{1,20})\/(\d+)$/.exec(metadata.annotations?.[ANNOTATION_SUBMIT_TIME] ?? '');
  if (annotated && Number(annotated[2]) === (metadata.generation ?? 0))
    return BigInt(annotated[1] ?? '0').toString();
  let newest: number | undefined;
  for (const entry of metadata.managedFields ?? []) {
    if (entry.subresource === 'status' || !entry.time) continue;
    if (!Object.hasOwn((entry.fieldsV1 as Record<string, unknown> | undefined) ?? {}, 'f:spec')) continue;
    const time = new Date(entry.time).getTime();
    if (Number.isFinite(time) && (newest === undefined || time > newest)) newest = time;
  }
  const created = metadata.creationTimestamp ? new Date(metadata.creationTimestamp).getTime() : Number.NaN;
  const ms = newest ?? (Number.isFinite(created) ? created : (fallback?.getTime() ?? 0));
  return (BigInt(ms) * 1_000_000n).toString();
}

/**
 * Whether a version of `object` was recorded from a newer generation of it than the one `object` is
 * at: then `object` is a cache's copy that is behind (the NomadJob's watch event not delivered yet,
 * while the revision's was). Its spec is not a new version, and nothing should be applied from it.
 */
export function recordedFromNewerGeneration(
  object: Pick<NomadJobObject, 'metadata'>,
  revisions: V1ControllerRevision[],
): boolean {
  const generation = object.metadata?.generation;
  if (generation === undefined) return false;
  const uid = object.metadata?.uid;
  return revisions.some((revision) => {
    if (uid && !isOwnedBy(revision, uid)) return false;
    const recordedFrom = Number(revision.metadata?.annotations?.[ANNOTATION_GENERATION]);
    return Number.isFinite(recordedFrom) && recordedFrom > generation;
  });
}

export function revisionName(jobName: string, version: number): string {
  return childName(jobName, `v${version}`);
}

export function revisionObject(owner: NomadJobObject, stored: StoredVersion): V1ControllerRevision {
  const name = owner.metadata?.name ?? '';
  const identity = readIdentity(owner.metadata ?? {}) ?? { namespace: 'default', jobId: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(name, stored.version),
      namespace: owner.metadata?.namespace,
      labels: { ...identityLabels(identity), [LABEL_VERSION]: String(stored.version) },
      annotations: revisionAnnotations(owner, stored),
      ownerReferences: [ownerReference(owner, { controller: true, blockOwnerDeletion: true })],
    },
    // ControllerRevision.revision must be positive: version 0 is revision 1.
    revision: stored.version + 1,
    // The job is kept as base64 of its JSON: `data` is immutable, and the apiserver compares it byte
    // for byte on every update of the revision (the stable annotation). Re-encoding a JSON job can
    // change its bytes (Go escapes <, > and & in strings), so the job travels as opaque text.
    data: {
      version: stored.version,
      stable: stored.stable,
      submitTime: stored.submitTime,
      jobBase64: Buffer.from(JSON.stringify(stored.job)).toString('base64'),
    },
  };
}

/** What a revision records beside its data: the generation it was recorded from, the version's indexes. */
function revisionAnnotations(owner: NomadJobObject, stored: StoredVersion): Record<string, string> {
  const annotations: Record<string, string> = {};
  const generation = owner.metadata?.generation;
  if (generation !== undefined) annotations[ANNOTATION_GENERATION] = String(generation);
  if (stored.jobModifyIndex !== undefined)
    annotations[ANNOTATION_JOB_MODIFY_INDEX] = String(stored.jobModifyIndex);
  if (stored.createIndex !== undefined) annotations[ANNOTATION_CREATE_INDEX] = String(stored.createIndex);
  return annotations;
}

/** An index annotation's value: a positive integer, else undefined. */
function indexAnnotation(revision: V1ControllerRevision, key: string): number | undefined {
  const raw = revision.metadata?.annotations?.[key];
  if (raw === undefined || !/^\d{1,16}$/.test(raw)) return undefined;
  const index = Number(raw);
  return index > 0 ? index : undefined;
}

function decodeJob(data: { job?: unknown; jobBase64?: unknown }): Record<string, unknown> | undefined {
  if (typeof data.jobBase64 === 'string') {
    try {
      const job = JSON.parse(Buffer.from(data.jobBase64, 'base64').toString('utf8')) as unknown;
      return typeof job === 'object' && job !== null && !Array.isArray(job)
        ? (job as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof data.job === 'object' && data.job !== null
    ? (data.job as Record<string, unknown>)
    : undefined;
}

/**
 * For the cache (cache-transforms.ts): a revision's job decoded once, in place of its base64 text
 * (`data.jobBase64` → `data.job`), so that the cache holds one copy of each version's job, not the
 * text and, once read, its decoding. The revision is never written back from the cache (its stable
 * annotation is merge-patched, history.ts), so the apiserver's copy keeps its exact bytes. A job that
 * does not decode is left as it came (decodeRevision then reads no version from it). Mutates and
 * returns `object`.
 */
export function decodeRevisionJobInPlace<T extends KubernetesObject>(object: T): T {
  const revision = object as unknown as V1ControllerRevision;
  const data = revision.data as ({ jobBase64?: unknown } & Record<string, unknown>) | undefined;
  if (object.kind !== 'ControllerRevision' || typeof data?.jobBase64 !== 'string') return object;
  const job = decodeJob(data);
  if (!job) return object;
  const { jobBase64: _text, ...rest } = data;
  // Its parts shared with the same job decoded from the NomadJob's spec (shared-parts.ts).
  revision.data = { ...rest, job: shareJobParts(job) };
  return object;
}

/**
 * Revisions decoded, per revision object: the reconciler reads a job's history on every reconcile
 * and the API on every read, and informers replace cached objects rather than change them. The
 * StoredVersion (and its job) is shared by every caller: copy before changing it.
 */
const decodedRevisions = new WeakMap<
  V1ControllerRevision,
  { data: unknown; stable: string | undefined; stored: StoredVersion | undefined }
>();

export function storedVersionOf(revision: V1ControllerRevision): StoredVersion | undefined {
  const stable = revision.metadata?.annotations?.[ANNOTATION_STABLE];
  const known = decodedRevisions.get(revision);
  // The same object with the same data and stability (in-memory objects may be changed in place).
  if (known && known.data === revision.data && known.stable === stable) return known.stored;
  const stored = decodeRevision(revision);
  decodedRevisions.set(revision, { data: revision.data, stable, stored });
  return stored;
}

/**
 * Digests of specFingerprint of jobs that never change, computed once per job: stored versions' jobs
 * (shared and unchanging) and the decoded specs jobs/spec.ts shares (frozen), which the reconciler
 * compares with the latest version on every reconcile. The digest rather than the text is kept: it
 * lives as long as the job, and the text is as long as the job's JSON (1.5 KB for a one-group job).
 */
const keptFingerprints = new WeakMap<object, string>();

function keptFingerprint(job: Record<string, unknown>): string {
  let digest = keptFingerprints.get(job);
  if (digest === undefined) {
    digest = fingerprintDigest(specFingerprint(job));
    keptFingerprints.set(job, digest);
  }
  return digest;
}

function storedFingerprint(stored: StoredVersion): string {
  return keptFingerprint(stored.job);
}

/**
 * The fingerprint digest of a job's spec, which nextVersion compares: kept for a frozen job (a writer
 * that computes it ahead spares the first reader), computed for any other.
 */
export function jobFingerprint(job: Record<string, unknown>): string {
  return Object.isFrozen(job) ? keptFingerprint(job) : fingerprintDigest(specFingerprint(job));
}

const fingerprintDigest = (fingerprint: string) => createHash('sha256').update(fingerprint).digest('base64');

function decodeRevision(revision: V1ControllerRevision): StoredVersion | undefined {
  const data = revision.data as (Partial<StoredVersion> & { jobBase64?: unknown }) | undefined;
  const job = data ? decodeJob(data) : undefined;
  if (!data || typeof data.version !== 'number' || !job) return undefined;
  const annotated = revision.metadata?.annotations?.[ANNOTATION_STABLE];
  const jobModifyIndex = indexAnnotation(revision, ANNOTATION_JOB_MODIFY_INDEX);
  const createIndex = indexAnnotation(revision, ANNOTATION_CREATE_INDEX);
  return {
    version: data.version,
    stable: annotated === 'true' ? true : annotated === 'false' ? false : data.stable === true,
    submitTime: String(data.submitTime ?? '0'),
    job,
    ...(jobModifyIndex !== undefined ? { jobModifyIndex } : {}),
    ...(createIndex !== undefined ? { createIndex } : {}),
  };
}

/**
 * Decides the version of `job` given the history (any order): the latest version when the spec is
 * unchanged, else a new one (latest + 1, or 0 for a new job).
 */
export function nextVersion(
  history: StoredVersion[],
  job: Record<string, unknown>,
): { version: number; isNew: boolean; latest?: StoredVersion } {
  const latest = history.reduce<StoredVersion | undefined>(
    (a, v) => (a && a.version >= v.version ? a : v),
    undefined,
  );
  if (latest && storedFingerprint(latest) === jobFingerprint(job))
    return { version: latest.version, isNew: false, latest };
  return { version: latest ? latest.version + 1 : 0, isNew: true, ...(latest ? { latest } : {}) };
}

/**
 * Versions to delete so that `limit` remain: the newest ones, except that the newest stable version is
 * kept in place of the oldest kept one, as Nomad's state store swaps it into the tracked set, so a revert to
 * the last stable version (what `auto_revert` and operators reach for) stays possible. The current version
 * is always kept; with a limit of 1 the stable one is kept beside it.
 */
export function versionsToPrune(history: StoredVersion[], limit = defaultHistoryLimit): number[] {
  const sorted = [...history].sort((a, b) => b.version - a.version);
  const keep = sorted.slice(0, Math.max(1, limit));
  const stable = sorted.find((v) => v.stable);
  if (stable && !keep.includes(stable)) {
    if (keep.length > 1) keep[keep.length - 1] = stable;
    else keep.push(stable);
  }
  return sorted.filter((v) => !keep.includes(v)).map((v) => v.version);
}

/** What recordVersion found or made. */
export interface RecordedVersion {
  /** The version of the spec: the latest one when unchanged, else the new one. */
  version: number;
  stable: boolean;
  /** Unix nanoseconds, decimal. */
  submitTime: string;
  /** A new version: the spec differs from the latest recorded one. */
  isNew: boolean;
  /** This call created the version's revision (false: someone else recorded it first). */
  created: boolean;
  /**
   * The version's JobModifyIndex as its revision records it: the recorded one's, or the one this
   * call created; undefined for a version left to another recorder, or a revision without it.
   */
  jobModifyIndex?: number;
  /** The version before this one, when still in the history. */
  previous?: StoredVersion;
}

export interface RecordVersionInput {
  /** The live NomadJob (with its uid), as the apiserver returned it or a cache holds it. */
  object: NomadJobObject;
  /** Its spec as a canonical, valid job (jobs/spec.ts checkSpec). */
  job: Job;
  /** The revisions the caller's cache holds for the job; only those owned by `object` count. */
  revisions: V1ControllerRevision[];
  historyLimit?: number;
  /** Only for an object that carries no time of its own (never one the apiserver returned). */
  now?: Date;
  /** Find the version without creating a new one (someone else records it). Default false. */
  leaveNew?: boolean;
}

/**
 * The indexes a new version's revision records: its JobModifyIndex is the resourceVersion of the
 * NomadJob as the recorder holds it (the Nomad API: its own spec write's answer; the reconciler: the
 * object as first seen at the new generation, that same write unless another came first); the job's
 * CreateIndex is carried from the latest recorded version, and is that same resourceVersion for a
 * job's first version (its creation, unless another write came first).
 */
export function newVersionIndexes(
  object: NomadJobObject,
  latest: StoredVersion | undefined,
): Pick<StoredVersion, 'jobModifyIndex' | 'createIndex'> {
  const jobModifyIndex = resourceVersionOf(object);
  const createIndex = latest ? latest.createIndex : jobModifyIndex;
  return {
    ...(jobModifyIndex > 0 ? { jobModifyIndex } : {}),
    ...(createIndex !== undefined && createIndex > 0 ? { createIndex } : {}),
  };
}

/**
 * Records the version of a NomadJob's spec, the one owner of version history for the reconciler (every
 * reconcile) and the Nomad API (right after a spec write, since Nomad bumps the version at register
 * time, and two registers in a row must make two versions even if the reconciler only sees the second).
 * When the spec differs from the latest recorded version, creates the revision of the next version and
 * prunes the history beyond the limit. Both callers derive the same revision from the same object
 * (its submit time is the object's own record, never a clock: submitTimeOf), so whoever is second finds
 * it already there (`already-exists`) and takes it as recorded. A `Registered` event says who made it.
 */
export async function recordVersion(
  writer: ClusterWriter,
  input: RecordVersionInput,
): Promise<RecordedVersion> {
  const { object } = input;
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  const revisions = input.revisions.filter((r) => isOwnedBy(r, object.metadata?.uid));
  const history = revisions.map(storedVersionOf).filter((v): v is StoredVersion => v !== undefined);
  const next = nextVersion(history, input.job as Record<string, unknown>);
  const previous = history
    .filter((v) => v.version < next.version)
    .reduce<StoredVersion | undefined>((a, v) => (a && a.version >= v.version ? a : v), undefined);
  const before = previous ? { previous } : {};
  if (!next.isNew && next.latest) {
    const { version, stable, submitTime, jobModifyIndex } = next.latest;
    return {
      version,
      stable,
      submitTime,
      isNew: false,
      created: false,
      ...before,
      ...(jobModifyIndex !== undefined ? { jobModifyIndex } : {}),
    };
  }
  if (input.leaveNew) {
    const submitTime = submitTimeOf(object, input.now);
    return { version: next.version, stable: false, submitTime, isNew: true, created: false, ...before };
  }
  const stored: StoredVersion = {
    version: next.version,
    stable: false,
    submitTime: submitTimeOf(object, input.now),
    job: { ...(input.job as Record<string, unknown>), Version: next.version },
    ...newVersionIndexes(object, next.latest),
  };
  const pruned = versionsToPrune([...history, stored], input.historyLimit ?? defaultHistoryLimit).filter(
    (version) => revisions.some((r) => r.metadata?.name === revisionName(name, version)),
  );
  // No Event: the status says the version (and the Nomad API its history); one write per version.
  // The revisions beyond the limit go at the same time: deleting them does not depend on the new one
  // (a register answers only once both are done).
  const [created] = await Promise.all([
    createIfAbsent(writer, revisionObject(object, stored)),
    ...pruned.map((version) =>
      writer.delete({
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        namespace,
        name: revisionName(name, version),
      }),
    ),
  ]);
  return {
    version: next.version,
    stable: false,
    submitTime: stored.submitTime,
    isNew: true,
    created,
    ...before,
    ...(created && stored.jobModifyIndex !== undefined ? { jobModifyIndex: stored.jobModifyIndex } : {}),
  };
}
