// What every /v1/job/<id>/<sub-resource> handler receives, and the checks they share. The route
// table (../job.ts) has already checked the region, split the path and found the handler for the
// method; a handler checks the caller's rights itself, at the point Nomad's endpoint does.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../errors.ts';
import {
  type ApiDeps,
  blockingQuery,
  type QueryResult,
  query,
  READ,
  requireInNamespace,
  withPermission,
} from '../../http.ts';
import { parseGoBool, queryValue } from '../../params.ts';
import type { ApiStore, JobEntry } from '../../store.ts';

export interface JobRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  deps: ApiDeps;
  /** The request's Nomad namespace (`?namespace=`, else `default`). */
  namespace: string;
  /** The job ID from the path, percent-decoded once (may contain `/`). */
  id: string;
}

/**
 * A handler answers through `reply`: it returns the reply when it answered at once (a read whose
 * caller's rights were known, see `afterRead`), else a promise.
 */
export type JobHandler = (job: JobRequest) => FastifyReply | Promise<unknown>;

/** Read access to the request's namespace (every GET under /v1/job/<id>). */
export async function requireRead({ request, deps, namespace }: JobRequest): Promise<void> {
  await requireInNamespace(request, deps, namespace, READ);
}

/**
 * `then(job)` once the caller may read the request's namespace, as after requireRead; called at
 * once, without a promise, when the authorizer already knows the answer (http.ts withPermission).
 */
export function afterRead<R>(job: JobRequest, then: (job: JobRequest) => R): R | Promise<unknown> {
  const { request, deps, namespace } = job;
  return withPermission(request, deps, deps.store.mapNamespace(namespace), READ, then, job);
}

/**
 * A blocking read about the job in the path (Nomad's GET endpoints under /v1/job/<id>), once the
 * caller's read right is checked: `answer` from the caches each time they change, with the job's
 * entry (undefined when there is no such job).
 */
export function readAboutJob(
  job: JobRequest,
  answer: (entry: JobEntry | undefined, store: ApiStore) => QueryResult,
): FastifyReply | Promise<FastifyReply> {
  const { request, reply, deps, namespace, id } = job;
  return blockingQuery(request, reply, deps, () => answer(deps.store.findJob(namespace, id), deps.store));
}

/** A boolean query parameter as Go's strconv.ParseBool reads it (absent or empty: false). */
export function boolQuery(request: FastifyRequest, name: string): boolean {
  const raw = queryValue(query(request), name);
  if (raw === undefined || raw === '') return false;
  const value = parseGoBool(raw);
  if (value === undefined) {
    throw badRequest(
      `Failed to parse value of "${name}" (${raw}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`,
    );
  }
  return value;
}
