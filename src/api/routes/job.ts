// /v1/job/* routed the way Nomad routes it: the raw path (query dropped) is percent-decoded once,
// `/v1/job/` is stripped and the sub-resource is matched by suffix in Nomad's order, so job IDs may
// contain `/` (dispatched and periodic children), escaped (Go client) or raw (python-nomad). The
// route table below names the handler of each sub-resource and method; the handlers live in ./job/.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../errors.ts';
import { type ApiDeps, checkRegion, handlerResult, requestNamespace } from '../http.ts';
import type { JobHandler } from './job/context.ts';
import { deregister } from './job/deregister.ts';
import { evaluate } from './job/evaluate.ts';
import { revert, stable } from './job/history.ts';
import { dispatch, periodicForce } from './job/launch.ts';
import {
  latestDeployment,
  listAllocations,
  listDeployments,
  listEvaluations,
  listServices,
} from './job/owned.ts';
import { plan } from './job/plan.ts';
import { readJob, readSubmission, readSummary, readVersions } from './job/read.ts';
import { registerAtPath } from './job/register.ts';
import { readScale, scale } from './job/scale.ts';

/** Nomad's suffix order (command/agent/http.go jobSpecificRequest). */
const SUFFIXES = [
  '/evaluate',
  '/allocations',
  '/evaluations',
  '/periodic/force',
  '/plan',
  '/summary',
  '/dispatch',
  '/versions',
  '/revert',
  '/deployments',
  '/deployment',
  '/stable',
  '/scale',
  '/services',
  '/submission',
  '/actions',
  '/action',
  '/tag',
] as const;

export type JobSuffix = (typeof SUFFIXES)[number] | '';

/** Splits the path after `/v1/job/` into (job ID, sub-resource), as Nomad does. */
export function routeJobPath(rawUrl: string): { id: string; suffix: JobSuffix } {
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  let path = rawPath;
  // Without a `%` there is nothing to decode (and decoding would only copy the path).
  if (rawPath.includes('%')) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw badRequest(`invalid URL escape in ${JSON.stringify(rawPath)}`);
    }
  }
  const rest = path.startsWith('/v1/job/') ? path.slice('/v1/job/'.length) : '';
  // An index loop: this runs on every request, and a for-of allocates a result per step unless
  // the optimizing compiler removes it (the image runs with --max-opt=1, which does not).
  for (let i = 0; i < SUFFIXES.length; i++) {
    const suffix = SUFFIXES[i] as (typeof SUFFIXES)[number];
    if (rest.endsWith(suffix)) return { id: rest.slice(0, -suffix.length), suffix };
  }
  return { id: rest, suffix: '' };
}

interface JobRoute {
  GET?: JobHandler;
  /** PUT and POST (Nomad treats them alike). */
  WRITE?: JobHandler;
  DELETE?: JobHandler;
  /** Served only with job actions (evaluations, dispatch, periodic force, revert, stability). */
  needsActions?: true;
  /** Answer to any other method: 405, or 404 where Nomad has no route for it. Default 405. */
  otherMethods?: 404 | 405;
}

/** Each sub-resource's handlers; a suffix without an entry (…/actions, …/action, …/tag) is not served. */
const ROUTES: Partial<Record<JobSuffix, JobRoute>> = {
  '': { GET: readJob, WRITE: registerAtPath, DELETE: deregister },
  '/summary': { GET: readSummary },
  '/versions': { GET: readVersions },
  '/submission': { GET: readSubmission },
  '/allocations': { GET: listAllocations },
  '/deployments': { GET: listDeployments },
  '/deployment': { GET: latestDeployment },
  '/services': { GET: listServices },
  '/scale': { GET: readScale, WRITE: scale },
  '/plan': { WRITE: plan },
  '/evaluate': { WRITE: evaluate },
  '/evaluations': { GET: listEvaluations, needsActions: true },
  '/dispatch': { WRITE: dispatch, needsActions: true, otherMethods: 404 },
  '/periodic/force': { WRITE: periodicForce, needsActions: true, otherMethods: 404 },
  '/revert': { WRITE: revert, needsActions: true, otherMethods: 404 },
  '/stable': { WRITE: stable, needsActions: true, otherMethods: 404 },
};

function handlerFor(route: JobRoute, method: string): JobHandler | undefined {
  if (method === 'GET') return route.GET;
  if (method === 'PUT' || method === 'POST') return route.WRITE;
  if (method === 'DELETE') return route.DELETE;
  return undefined;
}

// Not served: answered like a path without a route.
const noRoute = () => new ApiError(404, '404 page not found');

export async function jobRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  // Not an async function: a handler that answered at once (a read whose caller's rights were
  // known) costs no promise; errors thrown here reach the error handler as a rejection would.
  const route = (request: FastifyRequest, reply: FastifyReply) => {
    checkRegion(request, deps);
    const { id, suffix } = routeJobPath(request.raw.url ?? request.url);
    const namespace = requestNamespace(request);
    const entry = ROUTES[suffix];
    if (!entry || (entry.needsActions && !deps.actions)) throw noRoute();
    const handler = handlerFor(entry, request.method);
    if (!handler) throw entry.otherMethods === 404 ? noRoute() : new ApiError(405, 'Invalid method');
    return handlerResult(reply, handler({ request, reply, deps, namespace, id }));
  };
  app.all('/v1/job/*', route);
  app.all('/v1/job/', route);
}
