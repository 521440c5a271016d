// /v1/jobs (list; register is ./job/register.ts) and /v1/jobs/parse.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NomadJobObject } from '../../crd/resource.ts';
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
  handlerResult,
  JsonBytes,
  knownPermission,
  LIST,
  query,
  requestNamespace,
  sendPlain,
} from '../http.ts';
import { boolParam, pagingParams, queryValue } from '../params.ts';
import { filterView, jsonArray, listStubJson } from '../responses/job.ts';
import { jobKey, splitJobKey } from '../state.ts';
import type { ApiStore, JobEntry } from '../store.ts';
import { registerFromBody } from './job/register.ts';

const methodNotAllowed = () => new ApiError(405, 'Invalid method');

/** Which Kubernetes namespaces a list shows, and a key naming that set (for shared answers). */
interface Listable {
  allows: (k8sNamespace: string) => boolean;
  key: string;
}

const EVERY_NAMESPACE: Listable = { allows: () => true, key: '*' };

/**
 * Which Kubernetes namespaces the caller may list jobs in, for the request's Nomad namespace: that
 * one namespace, or for `*` every namespace the caller may list (403 when none).
 */
async function listableNamespaces(
  deps: ApiDeps,
  request: Parameters<typeof callerOf>[0],
  namespace: string,
): Promise<Listable> {
  const caller = await callerOf(request, deps);
  const store = deps.store;
  if (namespace !== '*') {
    const k8s = store.mapNamespace(namespace);
    if (!(await deps.authorizer.allowed(caller, k8s, LIST))) throw permissionDenied();
    return { allows: (ns) => ns === k8s, key: k8s };
  }
  if (await deps.authorizer.allowed(caller, '', LIST)) return EVERY_NAMESPACE;
  const allowed = new Set<string>();
  const candidates = new Set([store.defaultNamespace, ...store.jobs('*').map((e) => e.k8sNamespace)]);
  for (const k8s of candidates) {
    if (await deps.authorizer.allowed(caller, k8s, LIST)) allowed.add(k8s);
  }
  if (allowed.size === 0) throw permissionDenied();
  return { allows: (ns) => allowed.has(ns), key: [...allowed].sort().join(',') };
}

/**
 * listableNamespaces' answer when the authorizer already knows it (the caller may list the
 * namespace asked, or every namespace for `*`), without a promise; undefined when it must be asked.
 */
function knownListable(deps: ApiDeps, request: FastifyRequest, namespace: string): Listable | undefined {
  if (namespace === '*') return knownPermission(request, deps, '', LIST) ? EVERY_NAMESPACE : undefined;
  const k8s = deps.store.mapNamespace(namespace);
  return knownPermission(request, deps, k8s, LIST) ? { allows: (ns) => ns === k8s, key: k8s } : undefined;
}

/** A list request's parameters, read (and checked) before the caller's rights, as Nomad does. */
interface ListQuery {
  namespace: string;
  prefix: string;
  withMeta: boolean;
  paging: ReturnType<typeof pagingParams>;
  filterText: string;
  filter: ReturnType<typeof compileFilter> | undefined;
}

function listQuery(request: FastifyRequest): ListQuery {
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
  return { namespace, prefix, withMeta, paging, filterText, filter };
}

function answerList(
  deps: ApiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  list: ListQuery,
  allowed: Listable,
): FastifyReply | Promise<FastifyReply> {
  const { namespace, prefix, withMeta, paging, filterText, filter } = list;
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
      const shows = (entry: JobEntry) => allowed.allows(entry.k8sNamespace) && entry.id.startsWith(prefix);
      const visible = visibleJobs(store, [namespace, allowed.key, prefix, paging.reverse], {
        listed: (object) => {
          const entry = store.listedEntry(namespace, object);
          return entry && shows(entry) ? entry : undefined;
        },
        all: () => store.jobs(namespace).filter(shows),
        reverse: paging.reverse,
      });
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
}

export async function jobsRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  // Not an async function: a list whose caller's rights are known is answered at once, without a
  // promise (errors thrown here reach the error handler as a rejection would).
  app.all('/v1/jobs', (request, reply) => {
    if (request.method === 'PUT' || request.method === 'POST') return registerFromBody(deps, request, reply);
    if (request.method !== 'GET') throw methodNotAllowed();
    checkRegion(request, deps);
    const list = listQuery(request);
    const known = knownListable(deps, request, list.namespace);
    if (known) return handlerResult(reply, answerList(deps, request, reply, list, known));
    return listableNamespaces(deps, request, list.namespace).then((allowed) =>
      answerList(deps, request, reply, list, allowed),
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

/** A job a list shows: its entry, its position's token and its key (state.ts jobKey). */
type VisibleJobs = ReadonlyArray<{ entry: JobEntry; token: string; key: string }>;

/** What a list shows: which NomadJobs (one by one, and all of them), in which order. */
interface VisibleQuestion {
  /** The entry of the object if the list shows it. */
  listed: (object: NomadJobObject) => JobEntry | undefined;
  /** Every job the list shows, in the order the caches list them. */
  all: () => JobEntry[];
  reverse: boolean;
}

/**
 * The jobs a list shows, in order, kept per store and question (namespace, caller's namespaces,
 * prefix, order): which jobs there are and their order depend on the NomadJobs only, and a pod's
 * change (what wakes most blocking queries) leaves them as they were. When NomadJobs change (a
 * register creates one, then patches it), the kept order is updated for those jobs alone — each
 * taken out and, if still shown, put back at its place — instead of listing and sorting every job
 * again: at 2,000 jobs that recomputation is most of what a woken blocking query costs. Jobs with
 * the same token (never two in a consistent cluster) keep the caches' order only in a full
 * computation, so a change that would tie two tokens recomputes.
 */
const visibleKept = new WeakMap<ApiStore, Map<string, { at: number; jobs: VisibleJobs }>>();
const VISIBLE_KEPT = 16;
/** More changed jobs than this since the kept order: recomputing is as cheap as patching. */
const VISIBLE_PATCH_LIMIT = 64;

function visibleJobs(store: ApiStore, question: unknown[], ask: VisibleQuestion): VisibleJobs {
  const at = store.state.sequence();
  const changedAt = store.state.kindChangedAt('NomadJob');
  let kept = visibleKept.get(store);
  if (!kept) {
    kept = new Map();
    visibleKept.set(store, kept);
  }
  const key = JSON.stringify(question);
  const known = kept.get(key);
  if (known && known.at >= changedAt) return known.jobs;
  const jobs = (known && patchVisible(store, known, ask)) ?? computeVisible(ask);
  kept.delete(key);
  kept.set(key, { at, jobs });
  if (kept.size > VISIBLE_KEPT) {
    const oldest = kept.keys().next().value;
    if (oldest !== undefined) kept.delete(oldest);
  }
  return jobs;
}

function computeVisible(ask: VisibleQuestion): VisibleJobs {
  const sign = ask.reverse ? -1 : 1;
  return ask
    .all()
    .map((entry) => ({ entry, token: token(entry), key: jobKey(entry.k8sNamespace, entry.name) }))
    .sort((a, b) => compareTokens(a.token, b.token) * sign);
}

/** The kept order with the NomadJobs changed since it was kept taken out and put back; undefined: recompute. */
function patchVisible(
  store: ApiStore,
  known: { at: number; jobs: VisibleJobs },
  ask: VisibleQuestion,
): VisibleJobs | undefined {
  const changed = store.state.nomadJobsChangedSince(known.at);
  if (changed === undefined || changed.size > VISIBLE_PATCH_LIMIT) return undefined;
  const sign = ask.reverse ? -1 : 1;
  const jobs = [...known.jobs];
  for (const key of changed) {
    const { namespace: k8sNamespace, name } = splitJobKey(key);
    const at = jobs.findIndex((j) => j.key === key);
    if (at >= 0) jobs.splice(at, 1);
    const object = store.state.get<NomadJobObject>('NomadJob', k8sNamespace, name);
    const entry = object && ask.listed(object);
    if (!entry) continue;
    const entryToken = token(entry);
    // The first position whose token sorts after this one.
    let low = 0;
    let high = jobs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const cmp = compareTokens((jobs[middle] as { token: string }).token, entryToken) * sign;
      if (cmp === 0) return undefined;
      if (cmp < 0) low = middle + 1;
      else high = middle;
    }
    if (jobs[low - 1]?.token === entryToken) return undefined;
    jobs.splice(low, 0, { entry, token: entryToken, key });
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
