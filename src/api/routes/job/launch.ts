// PUT/POST /v1/job/<id>/dispatch and …/periodic/force: a child job of a parameterized or periodic
// parent, made by the domain services src/jobs/dispatch.ts and src/jobs/periodic.ts (behind
// JobActions, ../../actions.ts; the reconciler launches periodic children with the latter too).
// The child's evaluation record is written from the API's cached copy (none, for a new child: one
// create, no read). The answer waits until the cache shows the child, so its indexes are its own.

import type { NomadJobObject } from '../../../crd/resource.ts';
import type { JobActions } from '../../actions.ts';
import { field, intField, objectBody, stringField, stringMapField } from '../../body.ts';
import { ApiError, badRequest, internal } from '../../errors.ts';
import { cachedRecord, evaluationsOfJob } from '../../evals.ts';
import { query, requireInNamespace, sendWrite } from '../../http.ts';
import { awaitCache, CREATE, evaluationShown, UPDATE } from '../../jobwrite.ts';
import { checkDispatchLimits } from '../../limits.ts';
import { queryValue } from '../../params.ts';
import { resourceVersionOf } from '../../state.ts';
import type { JobRequest } from './context.ts';

/** The child's evaluation, when one was recorded: the answer waits until the caches show it. */
function childEvaluationShows(
  deps: JobRequest['deps'],
  result: { child: NomadJobObject; evalId?: string | undefined },
): (() => boolean) | undefined {
  const id = result.evalId;
  return id ? () => evaluationShown(deps, result.child, id) : undefined;
}

export async function dispatch({ request, reply, deps, namespace, id }: JobRequest) {
  const store = deps.store;
  const actions = deps.actions as JobActions;
  const body = objectBody(request.body, 'api.JobDispatchRequest');
  // Nomad's request embeds its WriteRequest, so the token is a body field too; a non-empty
  // `?idempotency_token=` overrides it, as Nomad parses the query after decoding the body.
  const bodyToken = stringField(body, 'IdempotencyToken');
  const bodyJobId = stringField(body, 'JobID');
  if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
  const payload = field(body, 'Payload');
  if (payload !== undefined && typeof payload !== 'string') {
    throw badRequest(
      'json: cannot unmarshal into Go struct field JobDispatchRequest.Payload of type []uint8',
    );
  }
  const meta = stringMapField(body, 'Meta');
  const priority = intField(body, 'Priority');
  const idPrefixTemplate = stringField(body, 'IdPrefixTemplate');
  const token = queryValue(query(request), 'idempotency_token') || bodyToken;
  await requireInNamespace(request, deps, namespace, [
    { verb: 'create', subresource: 'dispatch' },
    ...CREATE,
  ]);
  const parent = store.findJob(namespace, id);
  if (!parent) throw internal('parameterized job not found');
  checkDispatchLimits(parent.job, { idPrefixTemplate, ...(meta ? { meta } : {}) }, deps.limits);
  const result = await actions.dispatch(
    parent.object,
    {
      ...(payload !== undefined ? { payload } : {}),
      ...(meta ? { meta } : {}),
      ...(token ? { idempotencyToken: token } : {}),
      ...(priority ? { priority } : {}),
      ...(idPrefixTemplate ? { idPrefixTemplate } : {}),
    },
    (child) => cachedRecord(store, child),
  );
  if (!result.ok) throw new ApiError(result.status, result.message);
  await awaitCache(store, result.child, { shows: childEvaluationShows(deps, result) });
  const child = store.findJob(namespace, result.childId);
  const childIndex = child ? store.createIndex(child) : resourceVersionOf(result.child);
  if (!result.created) {
    // The token had dispatched this child already: Nomad answers with the child and its modify
    // index, and no evaluation (it creates none).
    const modifyIndex = resourceVersionOf(child?.object ?? result.child);
    return sendWrite(reply, modifyIndex, {
      DispatchedJobID: result.childId,
      EvalID: '',
      EvalCreateIndex: 0,
      JobCreateIndex: childIndex,
      Index: modifyIndex,
    });
  }
  const evaluation = child ? evaluationsOfJob(deps, child).find((e) => e.ID === result.evalId) : undefined;
  const index = Math.max(resourceVersionOf(result.child), evaluation?.CreateIndex ?? 0);
  return sendWrite(reply, index, {
    DispatchedJobID: result.childId,
    EvalID: result.evalId ?? '',
    EvalCreateIndex: result.evalId ? (evaluation?.CreateIndex ?? index) : 0,
    JobCreateIndex: childIndex,
    Index: index,
  });
}

export async function periodicForce({ request, reply, deps, namespace, id }: JobRequest) {
  const store = deps.store;
  const actions = deps.actions as JobActions;
  await requireInNamespace(request, deps, namespace, [
    { verb: 'create', subresource: 'dispatch' },
    ...UPDATE,
  ]);
  const parent = store.findJob(namespace, id);
  const result = await actions.forcePeriodic(parent?.object, (child) => cachedRecord(store, child));
  if (!result.ok) throw new ApiError(result.status, result.message);
  await awaitCache(store, result.child, { shows: childEvaluationShows(deps, result) });
  const child = store.findJob(namespace, result.childId);
  const evaluation = child ? evaluationsOfJob(deps, child).find((e) => e.ID === result.evalId) : undefined;
  const index = Math.max(resourceVersionOf(result.child), evaluation?.CreateIndex ?? 0);
  return sendWrite(reply, index, {
    EvalID: result.evalId ?? '',
    EvalCreateIndex: result.evalId ? (evaluation?.CreateIndex ?? index) : 0,
    Index: index,
  });
}
