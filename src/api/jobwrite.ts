// Writing jobs: register (with EnforceIndex, PreserveCounts, PreserveResources), stop, purge and
// scale, as NomadJob creates/replaces/deletes through the process's ClusterWriter (src/kube/writer.ts).
// Every write waits (briefly) until the informer cache shows it, so a read right after a write sees
// it, as with Nomad.
//
// A spec write is one NomadJob write and then, at once and concurrently, the writes that depend only
// on it: the version's ControllerRevision (which also records the version's JobModifyIndex, the spec
// write's resourceVersion, and the job's CreateIndex: jobs/versions.ts), the evaluation record and the
// submitted source; then one wait until the caches show them. Each of them depends on the written
// NomadJob (its uid, resourceVersion and generation), none on another: the version they name is the
// one the store computes from the written object over the cached history, the same recordVersion
// records; so a spec write right after another of the same job first waits until the cache shows that
// one's version (untilVersionRecorded).
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { V1Job } from '@kubernetes/client-node';
import type { FastifyRequest } from 'fastify';
import { nomadJobObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { deleteCronChildRuns, isCronLaunched } from '../jobs/periodic.ts';
import { checkSharedSpec, decodeAhead, rememberAhead } from '../jobs/spec.ts';
import { type JobSubmission, writeSubmission } from '../jobs/submissions.ts';
import {
  jobFingerprint,
  recordVersion,
  specFingerprint,
  submitTimeAnnotation,
  submitTimeStamped,
} from '../jobs/versions.ts';
import { nomadJobRef, WriteError } from '../kube/writer.ts';
import { REGISTRATION_FIELDS } from '../nomad/bookkeeping.ts';
import { agentDrops, canonicalize, mergeForReregistration } from '../nomad/canonicalize.ts';
import { identityAnnotations, identityLabels, jobObjectName } from '../nomad/ids.ts';
import { ANNOTATION_SUBMIT_TIME } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { sameJobSpec } from '../nomad/spec-equal.ts';
import {
  connectMutatorError,
  formatMultiError,
  formatWarnings,
  parseJobJson,
  validateJob,
} from '../nomad/validate.ts';
import type { Permission } from './acl.ts';
import { ApiError, badRequest, internal } from './errors.ts';
import { evaluationsOfJob, type RecordedEval, recordEval } from './evals.ts';
import { type ApiDeps, requirePermission } from './http.ts';
import { evalIdFor } from './responses/evaluation.ts';
import { isParent } from './responses/job.ts';
import { resourceVersionOf } from './state.ts';
import type { ApiStore, JobEntry } from './store.ts';

export function withoutBookkeeping(job: Job): Job {
  const out = { ...job } as Record<string, unknown>;
  // The registration bookkeeping (nomad/bookkeeping.ts) is the server's: never stored in the NomadJob spec.
  for (const key of REGISTRATION_FIELDS) delete out[key];
  return out as Job;
}

export const CREATE: readonly Permission[] = [{ verb: 'create' }];
export const UPDATE: readonly Permission[] = [{ verb: 'update' }];
export const DELETE: readonly Permission[] = [{ verb: 'delete' }];

/** Decodes and checks a submitted job (400 for decode problems), fills its namespace, canonicalizes it. */
export function decodeJob(raw: unknown, namespace: string): Job {
  const parsed = parseJobJson(raw);
  if (!parsed.ok) throw badRequest(parsed.errors.join('; '));
  const job = parsed.job;
  if (job.Namespace === undefined || job.Namespace === '') job.Namespace = namespace;
  return job;
}

/** Nomad's validation of a canonical job; 500 with the multierror text, as Nomad's RPC answers. */
export function validateOrThrow(job: Job): void {
  if (job.Type === 'system' && (job.TaskGroups ?? []).some((g) => g.Scaling !== undefined)) {
    throw badRequest('Task groups with job type system do not support scaling blocks');
  }
  // Nomad's admission mutators run before validation; their error alone ends the request.
  const mutatorError = connectMutatorError(job);
  if (mutatorError !== undefined) throw internal(mutatorError);
  const { errors } = validateJob(job);
  if (errors.length > 0) throw internal(formatMultiError(errors));
}

/** The NomadJob for `job`, keeping what another writer put on an existing object's metadata. */
function objectFor(store: ApiStore, job: Job, existing: NomadJobObject | undefined): NomadJobObject {
  const fresh = nomadJobObject(withoutBookkeeping(job) as Record<string, unknown>, store.mapNamespace);
  if (!existing) return fresh;
  const identity = {
    namespace: job.Namespace ?? 'default',
    jobId: job.ID ?? '',
    ...(job.ParentID ? { parentId: job.ParentID } : {}),
  };
  return {
    ...fresh,
    metadata: {
      ...existing.metadata,
      labels: { ...existing.metadata?.labels, ...identityLabels(identity) },
      annotations: { ...existing.metadata?.annotations, ...identityAnnotations(identity) },
      managedFields: undefined,
    },
  };
}

/**
 * Stamps the submit time on a NomadJob about to be written, when the write changes its spec: the
 * generation it will have is the existing one plus one (1 for a new object), as the apiserver counts
 * spec changes. The stamp is what makes the revision of the new version the same whether the API or
 * the reconciler records it (versions.ts ANNOTATION_SUBMIT_TIME).
 */
export function stampSubmitTime(
  object: NomadJobObject,
  existing: NomadJobObject | undefined,
  at = new Date(),
): boolean {
  const spec = (o: NomadJobObject) => specFingerprint((o.spec ?? {}) as Record<string, unknown>);
  if (existing && spec(existing) === spec(object)) return false;
  const generation = existing ? (existing.metadata?.generation ?? 0) + 1 : 1;
  object.metadata = {
    ...object.metadata,
    annotations: {
      ...object.metadata?.annotations,
      [ANNOTATION_SUBMIT_TIME]: submitTimeAnnotation(at, generation),
    },
  };
  return true;
}

/**
 * Creates (no `existing`) or replaces the NomadJob, and for a new spec (`specChanges`) does meanwhile
 * what every reader of the written object needs first: its spec decoded, validated and fingerprinted
 * (jobs/spec.ts decodeAhead), handed over once the apiserver answers with that spec. That work (a few
 * milliseconds) then overlaps the apiserver's instead of delaying the writes that follow.
 */
async function writeSpec(
  store: ApiStore,
  object: NomadJobObject,
  existing: NomadJobObject | undefined,
  specChanges: boolean,
): Promise<NomadJobObject> {
  const writing = existing ? store.writer.replace(object) : store.writer.create(object);
  if (!specChanges) return writing;
  // Awaited below; it must not count as unhandled if it fails while the spec is decoded.
  writing.catch(() => undefined);
  await nextTurn(); // the request is on its way
  let ahead: ReturnType<typeof decodeAhead> | undefined;
  try {
    ahead = decodeAhead(object);
    if (ahead.decoded.ok) jobFingerprint(ahead.decoded.job as Record<string, unknown>);
  } catch {
    // Only a head start: the written object is then decoded when first read, as any other.
    ahead = undefined;
  }
  const written = await writing;
  if (ahead) rememberAhead(written, ahead);
  return written;
}

function writeFailure(error: unknown, job: Job): never {
  if (error instanceof WriteError) {
    if (error.kind === 'namespace-missing') {
      throw internal(`job "${job.ID}" is in nonexistent namespace "${job.Namespace}"`);
    }
    throw internal(error.message);
  }
  throw error;
}

/**
 * Deletes a NomadJob (its owned objects go with it): this very one (its uid), if it is still there.
 * A CronJob-launched child's runs are its parent's Jobs, not objects of its own: they go first
 * (periodic.ts deleteCronChildRuns).
 */
export async function deleteJob(store: ApiStore, entry: JobEntry): Promise<number | undefined> {
  if (isCronLaunched(entry.object)) {
    const parent = jobObjectName(entry.job.ParentID ?? '');
    const parentJobs = store.lister.owned<V1Job>('Job', entry.k8sNamespace, parent);
    await deleteCronChildRuns(entry.object, parentJobs, store.writer);
  }
  const uid = entry.object.metadata?.uid;
  return store.writer.delete(nomadJobRef(entry.k8sNamespace, entry.name), uid ? { uid } : {});
}

/** Deletes pods (force reschedule of failed allocations); those already gone are no error. */
export async function deletePods(store: ApiStore, namespace: string, names: string[]): Promise<void> {
  for (const name of names) await store.writer.delete({ apiVersion: 'v1', kind: 'Pod', namespace, name });
}

/** Merges annotations into a NomadJob's metadata (null removes a key). */
export function annotateJob(
  store: ApiStore,
  namespace: string,
  name: string,
  annotations: Record<string, string | null>,
): Promise<NomadJobObject> {
  return store.writer.mergePatch<NomadJobObject>(nomadJobRef(namespace, name), { metadata: { annotations } });
}

/**
 * Records the version a spec write made, right away (jobs/versions.ts recordVersion, as the reconciler
 * does): Nomad bumps the version at register time, and two registers in a row must make two versions
 * even if the reconciler only gets to see the second. Resolves to the version, without waiting for
 * the cache (awaitCache does, given it). Best effort: a failure is logged (undefined), and the
 * reconciler records the version.
 */
export async function recordVersionOf(
  store: ApiStore,
  written: NomadJobObject,
  log?: FastifyRequest['log'],
): Promise<number | undefined> {
  if (!written.metadata?.uid) return undefined;
  // The job as the reconciler checks it (its shared copy, only read here), so both record the same
  // revision byte for byte.
  const checked = checkSharedSpec(written);
  if (!checked.ok) return undefined;
  const revisions = store.versions(store.entry(written)).flatMap((v) => (v.revision ? [v.revision] : []));
  try {
    const { version } = await recordVersion(store.writer, {
      object: written,
      job: checked.job,
      revisions,
      historyLimit: store.historyLimit,
    });
    return version;
  } catch (error) {
    log?.warn({ err: error }, 'could not record the job version');
    return undefined;
  }
}

function hasVersion(store: ApiStore, written: NomadJobObject, version: number): boolean {
  return store.versions(store.entry(written)).some((v) => v.version === version);
}

/**
 * Waits until the cache holds the object at `rv` or later (or it is gone, for deletes), and whatever
 * `also` asks for (the version a write recorded, its evaluation): one wait for every write of a
 * request, which costs nothing when the watch events arrived while the writes were answered.
 */
export async function awaitCache(
  store: ApiStore,
  object: NomadJobObject,
  also: { version?: number | undefined; shows?: (() => boolean) | undefined } = {},
): Promise<void> {
  const rv = resourceVersionOf(object);
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  store.state.noteWrite('NomadJob', object);
  const { version, shows } = also;
  await store.state.waitUntil(
    () =>
      resourceVersionOf(store.state.get('NomadJob', namespace, name)) >= rv &&
      (version === undefined || hasVersion(store, object, version)) &&
      (shows === undefined || shows()),
  );
}

/** Whether the caches show the evaluation `id` among the job's. */
export function evaluationShown(deps: ApiDeps, written: NomadJobObject, id: string): boolean {
  return evaluationsOfJob(deps, deps.store.entry(written)).some((e) => e.ID === id);
}

/**
 * The `shows` condition of awaitCache for an evaluation a request recorded: the caches show it, so
 * that `GET /v1/evaluation/<id>` right after the answer finds it. Undefined (nothing to wait for)
 * when nothing was recorded (a fallback ID, or no evaluation at all).
 */
export function evaluationShows(
  deps: ApiDeps,
  written: NomadJobObject,
  recorded: Pick<RecordedEval, 'id' | 'evaluation'> | undefined,
): (() => boolean) | undefined {
  if (!recorded?.evaluation) return undefined;
  const id = recorded.id;
  return () => evaluationShown(deps, written, id);
}

/**
 * Waits (briefly) while the job's current spec is one the API wrote a moment ago whose version is not
 * in the cache yet (its revision is being recorded, by that write's request or the reconciler): a spec
 * write decided before the cache shows that version would take the same version number again, and find
 * its revision taken by the other spec. A spec written otherwise (kubectl) carries no submit-time stamp
 * of its generation and is not waited for: the reconciler records it, and versions are told from the
 * cached history as before. Resolves whether it waited.
 */
async function untilVersionRecorded(store: ApiStore, namespace: string, id: string): Promise<boolean> {
  const recording = () => {
    const entry = store.findJob(namespace, id);
    return (
      entry !== undefined &&
      !entry.error &&
      submitTimeStamped(entry.object) &&
      store.versionState(entry).pending
    );
  };
  if (!recording()) return false;
  await store.state.waitUntil(() => !recording(), 5_000);
  return true;
}

/**
 * After a NomadJob write refused because the object changed (conflict) or came to exist
 * (already-exists) since `decidedFrom`, the cached copy the write was decided from (undefined: none):
 * waits until the cache holds another copy (or none), that change's watch event, so that the next
 * attempt decides from it, and at least a pause growing with the attempts. A pause alone bets on the
 * watch's delay (a slow watch made every attempt decide from the same stale copy), and the wait alone
 * lets attempts follow each other at once while writes of others keep landing (a clean-clone CI run
 * met six refusals in a row on a job the reconciler was writing the status of). Bounded, for an
 * informer that delivers nothing.
 */
async function untilCacheMovesPast(
  store: ApiStore,
  refused: NomadJobObject,
  decidedFrom: NomadJobObject | undefined,
  attempt: number,
): Promise<void> {
  const namespace = refused.metadata?.namespace ?? '';
  const name = refused.metadata?.name ?? '';
  const rv = resourceVersionOf(decidedFrom);
  await Promise.all([
    store.state.waitUntil(
      () => resourceVersionOf(store.state.get('NomadJob', namespace, name)) !== rv,
      2_000,
    ),
    // And a growing pause: the cache may show one newer copy while the apiserver holds a newer one
    // still (a status patch right behind it), and attempts decided at once would all be refused.
    sleep(50 * (attempt + 1)),
  ]);
}

export interface RegisterInput {
  job: Job;
  enforceIndex: boolean;
  jobModifyIndex: number;
  preserveCounts: boolean;
  preserveResources: boolean;
  /** The register request's EvalPriority (0: the job's priority). */
  evalPriority?: number;
  submission?: JobSubmission;
}

export interface RegisterResult {
  entry: JobEntry;
  index: number;
  evalId: string;
  evalCreateIndex: number;
  jobModifyIndex: number;
}

/** Registers (creates or replaces) a canonical, valid job on behalf of the request's caller. */
export async function registerJob(
  request: FastifyRequest,
  deps: ApiDeps,
  input: RegisterInput,
): Promise<RegisterResult> {
  const store = deps.store;
  const namespace = input.job.Namespace ?? 'default';
  const id = input.job.ID ?? '';
  const k8sNamespace = store.mapNamespace(namespace);
  let existingEntry = store.findJob(namespace, id);
  await requirePermission(request, deps, k8sNamespace, existingEntry ? UPDATE : CREATE);

  for (let attempt = 0; ; attempt++) {
    await untilVersionRecorded(store, namespace, id);
    const before = existingEntry;
    existingEntry = store.findJob(namespace, id);
    // Created or deleted meanwhile: the other verb is needed now.
    if (attempt > 0 && !before !== !existingEntry) {
      await requirePermission(request, deps, k8sNamespace, existingEntry ? UPDATE : CREATE);
    }
    if (input.enforceIndex) {
      const prefix = `Enforcing job modify index ${input.jobModifyIndex}`;
      if (input.jobModifyIndex === 0 && existingEntry) throw internal(`${prefix}: job already exists`);
      if (input.jobModifyIndex > 0 && !existingEntry) throw internal(`${prefix}: job does not exist`);
      if (existingEntry) {
        const current = store.versionState(existingEntry).jobModifyIndex;
        if (current !== input.jobModifyIndex) {
          throw internal(`${prefix}: job exists with conflicting job modify index: ${current}`);
        }
      }
    }
    const job =
      existingEntry && !existingEntry.error && (input.preserveCounts || input.preserveResources)
        ? mergeForReregistration(existingEntry.job, input.job, {
            preserveCounts: input.preserveCounts,
            preserveResources: input.preserveResources,
          })
        : input.job;
    // The same spec again (e.g. a job read with GET and written back) changes nothing: Nomad makes
    // no new version then. The stored spec is kept as it is, so the object's generation stays.
    const sameSpec = existingEntry && !existingEntry.error && sameJobSpec(existingEntry.job, job);
    const object = objectFor(store, job, existingEntry?.object);
    if (sameSpec && existingEntry) object.spec = existingEntry.object.spec;
    const specChanges = stampSubmitTime(object, existingEntry?.object);
    let written: NomadJobObject;
    try {
      written = await writeSpec(store, object, existingEntry?.object, specChanges);
    } catch (error) {
      const retryable =
        error instanceof WriteError && (error.kind === 'conflict' || error.kind === 'already-exists');
      if (retryable && attempt < 5) {
        // Someone else wrote the job meanwhile: decide again once the cache shows that write.
        await untilCacheMovesPast(store, object, existingEntry?.object, attempt);
        continue;
      }
      writeFailure(error, job);
    }
    const specIndex = resourceVersionOf(written);
    const specChanged =
      !existingEntry || existingEntry.object.metadata?.generation !== written.metadata?.generation;
    // The version of the written spec over the cached history: the next one for a new spec, the one
    // recordVersion records (both ask jobs/versions.ts nextVersion of the same revisions). A spec
    // change's JobModifyIndex is its write's resourceVersion (its revision records that one).
    const current = store.versionState(store.entry(written));
    const version = current.version;
    const jobModifyIndex = specChanged ? specIndex : current.jobModifyIndex;
    const submission = input.submission;
    // Everything below depends on the written NomadJob only, not on each other: written at once.
    // The evaluation is recorded right after the write, before the controller is likely to have
    // seen the new version (it records one evaluation per version, whoever is first).
    const [recordedVersion, recorded] = await Promise.all([
      specChanged ? recordVersionOf(store, written, request.log) : undefined,
      isParent(job)
        ? ({ id: '', createIndex: 0 } as RecordedEval)
        : recordEval(
            request,
            deps,
            written,
            {
              triggeredBy: 'job-register',
              version,
              jobModifyIndex,
              ...(input.evalPriority ? { priority: input.evalPriority } : {}),
            },
            { id: evalIdFor(store.entry(written), version), createIndex: specIndex },
          ),
      submission && submission.Source !== ''
        ? writeSubmission(store.writer, written, version, submission).catch((error: unknown) => {
            request.log.warn({ err: error }, 'could not store the job submission');
          })
        : undefined,
    ]);
    await awaitCache(store, written, {
      version: recordedVersion,
      shows: evaluationShows(deps, written, recorded),
    });
    const entry = store.findJob(namespace, id) ?? store.entry(written);
    return {
      entry,
      index: Math.max(resourceVersionOf(written), recorded.createIndex),
      evalId: recorded.id,
      evalCreateIndex: recorded.createIndex,
      // A spec change answers its own write's index, as Nomad's register does, even when a newer
      // register of the job came in between (the job now shows that one's).
      jobModifyIndex: specChanged ? specIndex : store.versionState(entry).jobModifyIndex,
    };
  }
}

/** Replaces the spec of an existing job with `update(job)` (stop, scale), retrying on conflicts. */
export async function updateJob(
  deps: ApiDeps,
  entry: JobEntry,
  update: (job: Job, object: NomadJobObject) => { job: Job; annotations?: Record<string, string> },
  /**
   * Runs right after the write, concurrently with recording the version (so it must not wait for
   * it), e.g. to record an evaluation: an evaluation it resolves to is waited for with the rest, so a
   * read right after the answer finds it.
   */
  afterWrite?: (written: NomadJobObject, specChanged: boolean) => Promise<RecordedEval | undefined>,
): Promise<{ entry: JobEntry; written: NomadJobObject }> {
  const store = deps.store;
  let current: JobEntry = entry;
  for (let attempt = 0; ; attempt++) {
    if (await untilVersionRecorded(store, entry.namespace, entry.id))
      current = store.findJob(entry.namespace, entry.id) ?? current;
    const { job, annotations } = update(structuredClone(current.job), current.object);
    const object = objectFor(store, job, current.object);
    const specChanges = stampSubmitTime(object, current.object);
    if (annotations)
      object.metadata = {
        ...object.metadata,
        annotations: { ...object.metadata?.annotations, ...annotations },
      };
    try {
      const written = await writeSpec(store, object, current.object, specChanges);
      const specChanged = written.metadata?.generation !== current.object.metadata?.generation;
      // As in registerJob: the writes that depend only on the replaced NomadJob, at once.
      const [version, recorded] = await Promise.all([
        specChanged ? recordVersionOf(store, written) : undefined,
        afterWrite?.(written, specChanged),
      ]);
      await awaitCache(store, written, { version, shows: evaluationShows(deps, written, recorded) });
      return { entry: store.findJob(entry.namespace, entry.id) ?? store.entry(written), written };
    } catch (error) {
      if (error instanceof WriteError && error.kind === 'conflict' && attempt < 5) {
        await untilCacheMovesPast(store, object, current.object, attempt);
        const fresh = store.findJob(entry.namespace, entry.id);
        if (!fresh) throw new ApiError(404, 'job not found');
        current = fresh;
        continue;
      }
      writeFailure(error, current.job);
    }
  }
}

/**
 * Canonical form of a submitted job, validated (the input for registerJob), and the answer's
 * Warnings: what Nomad's HTTP API drops of the job as submitted (canonicalize.ts agentDrops).
 */
export function prepareJob(raw: unknown, namespace: string): { job: Job; warnings: string } {
  const { job, warnings } = canonicalSubmission(raw, namespace);
  validateOrThrow(job);
  return { job, warnings };
}

/** A submitted job decoded and canonical, unvalidated, with the Warnings text of prepareJob. */
export function canonicalSubmission(raw: unknown, namespace: string): { job: Job; warnings: string } {
  const submitted = decodeJob(raw, namespace);
  const warnings = formatWarnings(agentDrops(submitted).map((d) => `${d.path}: ${d.message}`));
  return { job: canonicalize(submitted), warnings };
}
