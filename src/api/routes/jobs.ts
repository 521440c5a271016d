// /v1/jobs (list; register is ./job/register.ts) and /v1/jobs/parse.
import type { FastifyInstance } from 'fastify';
import { parseJobspec } from '../../nomad/hcl/jobspec.ts';
import { JobSchema } from '../../nomad/schema.ts';
import type { Permission } from '../acl.ts';
import { boolField, objectBody, stringField } from '../body.ts';
import {
  ApiError,
  badRequest,
  FILTER_EVAL_PREFIX,
  FILTER_PARSE_PREFIX,
  internal,
  permissionDenied,
} from '../errors.ts';
import { compileFilter, FilterEvalError, FilterSyntaxError } from '../filter/bexpr.ts';
import {
  type ApiDeps,
  blockingQuery,
  callerOf,
  checkRegion,
  JsonBytes,
  LIST,
  query,
  requestNamespace,
  sendPlain,
} from '../http.ts';
import { boolParam, pagingParams, queryValue } from '../params.ts';
import { filterView, jsonArray, listStubJson } from '../responses/job.ts';
import type { ApiStore, JobEntry } from '../store.ts';
import { registerFromBody } from './job/register.ts';

const methodNotAllowed = () => new ApiError(405, 'Invalid method');

/**
 * Which Kubernetes namespaces the caller may list jobs in, for the request's Nomad namespace: that
 * one namespace, or for `*` every namespace the caller may list (403 when none).
 */
async function listableNamespaces(
  deps: ApiDeps,
  request: Parameters<typeof callerOf>[0],
  namespace: string,
): Promise<{ allows: (k8sNamespace: string) => boolean; key: string }> {
  const caller = await callerOf(request, deps);
  const store = deps.store;
  if (namespace !== '*') {
    const k8s = store.mapNamespace(namespace);
    if (!(await deps.authorizer.allowed(caller, k8s, LIST))) throw permissionDenied();
    return { allows: (ns) => ns === k8s, key: k8s };
  }
  if (await deps.authorizer.allowed(caller, '', LIST)) return { allows: () => true, key: '*' };
  const allowed = new Set<string>();
  const candidates = new Set([store.defaultNamespace, ...store.jobs('*').map((e) => e.k8sNamespace)]);
  for (const k8s of candidates) {
    if (await deps.authorizer.allowed(caller, k8s, LIST)) allowed.add(k8s);
  }
  if (allowed.size === 0) throw permissionDenied();
  return { allows: (ns) => allowed.has(ns), key: [...allowed].sort().join(',') };
}

export async function jobsRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.all('/v1/jobs', async (request, reply) => {
    if (request.method === 'PUT' || request.method === 'POST') return registerFromBody(deps, request, reply);
    if (request.method !== 'GET') throw methodNotAllowed();
    checkRegion(request, deps);
    const q = query(request);
    const namespace = requestNamespace(request);
    const prefix = queryValue(q, 'prefix') ?? '';
    const withMeta = boolParam(q, 'meta');
    const paging = pagingParams(q);
    const filterText = queryValue(q, 'filter') ?? '';
    let filter: ReturnType<typeof compileFilter> | undefined;
    if (filterText !== '') {
      try {
        filter = compileFilter(filterText, JobSchema);
      } catch (error) {
        if (error instanceof FilterSyntaxError) throw badRequest(FILTER_PARSE_PREFIX + error.message);
        throw error;
      }
    }
    const allowed = await listableNamespaces(deps, request, namespace);
    const store = deps.store;
    // Every request asking the same list from the same state gets one computation of it (held
    // blocking queries woken together, pollers), and each job's entry is its kept JSON.
    const shared = JSON.stringify([
      namespace,
      allowed.key,
      prefix,
      withMeta,
      paging.perPage,
      paging.nextToken,
      paging.reverse,
      filterText,
    ]);
    const listIndex = () => store.state.index('NomadJob', 'Pod');
    return blockingQuery(
      request,
      reply,
      deps,
      () => {
        const index = listIndex();
        const visible = visibleJobs(store, [namespace, allowed.key, prefix, paging.reverse], () =>
          store
            .jobs(namespace)
            .filter((e) => allowed.allows(e.k8sNamespace) && e.id.startsWith(prefix))
            .map((entry) => ({ entry, token: token(entry) }))
            .sort((a, b) => compareTokens(a.token, b.token) * (paging.reverse ? -1 : 1)),
        );
        const out: Buffer[] = [];
        let nextToken = '';
        for (const { entry, token: entryToken } of visible) {
          if (paging.nextToken !== '') {
            const cmp = compareTokens(entryToken, paging.nextToken) * (paging.reverse ? -1 : 1);
            if (cmp < 0) continue;
          }
          if (filter) {
            try {
              if (!filter.matches(filterView(store, entry))) continue;
            } catch (error) {
              if (error instanceof FilterEvalError) throw badRequest(FILTER_EVAL_PREFIX + error.message);
              throw error;
            }
          }
          if (paging.perPage > 0 && out.length === paging.perPage) {
            nextToken = entryToken;
            break;
          }
          out.push(listStubJson(store, entry, withMeta));
        }
        return { index, body: new JsonBytes(jsonArray(out)), ...(nextToken ? { nextToken } : {}) };
      },
      { index: listIndex, shared },
    );
  });

  app.all('/v1/jobs/parse', async (request, reply) => {
    if (request.method !== 'PUT' && request.method !== 'POST') throw methodNotAllowed();
    const namespace = requestNamespace(request);
    const caller = await callerOf(request, deps);
    const perms: Permission[] = [{ verb: 'get' }, { verb: 'create' }];
    if (!(await deps.authorizer.allowed(caller, deps.store.mapNamespace(namespace), perms)))
      throw permissionDenied();
    const body = objectBody(request.body, 'api.JobsParseRequest');
    const hcl = stringField(body, 'JobHCL');
    if (hcl === '') throw badRequest('Job spec is empty');
    const result = await parseJobspec({
      hcl,
      variables: stringField(body, 'Variables'),
      canonicalize: boolField(body, 'Canonicalize'),
    });
    if (!result.ok) {
      if (result.kind === 'empty') throw badRequest('Job spec is empty');
      if (result.kind === 'internal') throw internal(result.error);
      throw badRequest(result.kind === 'parse' ? `Failed to parse job: ${result.error}` : result.error);
    }
    return sendPlain(reply, result.job);
  });
}

type VisibleJobs = ReadonlyArray<{ entry: JobEntry; token: string }>;

/**
 * The jobs a list shows, in order, kept per store and question (namespace, caller's namespaces,
 * prefix, order) until a NomadJob changes: which jobs there are and their order depend on nothing
 * else, and a pod's change (what wakes most blocking queries) leaves them as they were.
 */
const visibleKept = new WeakMap<ApiStore, Map<string, { at: number; jobs: VisibleJobs }>>();
const VISIBLE_KEPT = 16;

function visibleJobs(store: ApiStore, question: unknown[], compute: () => VisibleJobs): VisibleJobs {
  const at = store.state.kindChangedAt('NomadJob');
  let kept = visibleKept.get(store);
  if (!kept) {
    kept = new Map();
    visibleKept.set(store, kept);
  }
  const key = JSON.stringify(question);
  const known = kept.get(key);
  if (known?.at === at) return known.jobs;
  const jobs = compute();
  kept.delete(key);
  kept.set(key, { at, jobs });
  if (kept.size > VISIBLE_KEPT) {
    const oldest = kept.keys().next().value;
    if (oldest !== undefined) kept.delete(oldest);
  }
  return jobs;
}

/** Nomad's NamespaceIDTokenizer: `<namespace>.<jobID>`. */
function token(entry: JobEntry): string {
  return `${entry.namespace}.${entry.id}`;
}

function compareTokens(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
