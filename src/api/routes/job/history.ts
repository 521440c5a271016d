// PUT/POST /v1/job/<id>/revert and …/stable: work on the recorded version history (the job's
// ControllerRevisions) through the domain service src/jobs/history.ts (behind JobActions,
// ../../actions.ts). Both first wait until the current version is recorded: a register may answer
// before the version's revision is in the cache.

import type { JobActions } from '../../actions.ts';
import { boolField, intField, objectBody, optionalIntField, stringField } from '../../body.ts';
import { ApiError, badRequest, internal } from '../../errors.ts';
import { type RecordedEval, recordEval } from '../../evals.ts';
import { requireInNamespace, sendWrite, sendWriteWithMeta } from '../../http.ts';
import { awaitCache, evaluationShows, recordVersionOf, UPDATE } from '../../jobwrite.ts';
import { newEvalId } from '../../responses/evaluation.ts';
import { isParent } from '../../responses/job.ts';
import { resourceVersionOf } from '../../state.ts';
import type { ApiStore, JobEntry } from '../../store.ts';
import type { JobRequest } from './context.ts';

/** The job once its current version is recorded (waits up to 5 seconds). */
async function recordedJob(store: ApiStore, namespace: string, id: string): Promise<JobEntry | undefined> {
  await store.state.waitUntil(() => {
    const entry = store.findJob(namespace, id);
    return !entry || !store.versionState(entry).pending;
  }, 5_000);
  return store.findJob(namespace, id);
}

export async function revert({ request, reply, deps, namespace, id }: JobRequest) {
  const store = deps.store;
  const actions = deps.actions as JobActions;
  const body = objectBody(request.body, 'api.JobRevertRequest', 'Request body is empty');
  const bodyJobId = stringField(body, 'JobID');
  if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
  const version = intField(body, 'JobVersion', 'uint64');
  const enforcePriorVersion = optionalIntField(body, 'EnforcePriorVersion', 'uint64');
  await requireInNamespace(request, deps, namespace, UPDATE);
  const entry = await recordedJob(store, namespace, id);
  if (!entry) throw internal(`job "${id}" not found`);
  const result = await actions.revert(entry.object, {
    version,
    ...(enforcePriorVersion !== undefined ? { enforcePriorVersion } : {}),
  });
  if (!result.ok) throw new ApiError(result.status, result.message);
  // As a register (jobwrite.ts registerJob): the writes that depend only on the written NomadJob at
  // once, then one wait for the caches.
  const written = result.object;
  const specIndex = resourceVersionOf(written);
  const specChanged = written.metadata?.generation !== entry.object.metadata?.generation;
  const current = store.versionState(store.entry(written));
  const newVersion = current.version;
  const jobModifyIndex = specChanged ? specIndex : current.jobModifyIndex;
  const parent = isParent(store.entry(written).job);
  const [recordedVersion, recorded] = await Promise.all([
    specChanged ? recordVersionOf(store, written, request.log) : undefined,
    parent
      ? ({ id: '', createIndex: 0 } as RecordedEval)
      : recordEval(
          request,
          deps,
          written,
          { triggeredBy: 'job-register', version: newVersion, jobModifyIndex },
          { id: newEvalId(), createIndex: specIndex },
        ),
  ]);
  await awaitCache(store, written, {
    version: recordedVersion,
    shows: evaluationShows(deps, written, recorded),
  });
  const reverted = store.findJob(namespace, id) ?? store.entry(written);
  const index = Math.max(resourceVersionOf(written), recorded.createIndex);
  return sendWriteWithMeta(reply, index, {
    EvalID: recorded.id,
    EvalCreateIndex: recorded.createIndex,
    // Its own spec write's index, as a register answers (a newer write may have come since).
    JobModifyIndex: specChanged ? specIndex : store.versionState(reverted).jobModifyIndex,
    Warnings: '',
  });
}

export async function stable({ request, reply, deps, namespace, id }: JobRequest) {
  const store = deps.store;
  const actions = deps.actions as JobActions;
  const body = objectBody(request.body, 'api.JobStabilityRequest', 'Request body is empty');
  const bodyJobId = stringField(body, 'JobID');
  if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
  const version = intField(body, 'JobVersion', 'uint64');
  const isStable = boolField(body, 'Stable');
  await requireInNamespace(request, deps, namespace, UPDATE);
  const entry = await recordedJob(store, namespace, id);
  if (!entry) throw internal(`job "${id}" not found`);
  const result = await actions.setStable(entry.object, version, isStable);
  if (!result.ok) throw new ApiError(result.status, result.message);
  // The answer's index covers the revision's new stable flag (waited for as long as any other write's
  // echo: a slow watch must not answer before a read right after would show the flag).
  await store.state.waitUntil(() => {
    const now = store.findJob(namespace, id);
    return !!now && store.versions(now).some((v) => v.version === version && v.stable === isStable);
  });
  const now = store.findJob(namespace, id) ?? entry;
  const index = Math.max(store.jobTreeIndex(now), 1);
  return sendWrite(reply, index, { JobModifyIndex: store.versionState(now).jobModifyIndex, Index: index });
}
