// Request and reply plumbing shared by the route plugins: the caller's namespace and token, ACL
// checks, blocking queries woken by cache changes, and Nomad's index headers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiLimits } from '../config.ts';
import { type Authorizer, authorize, type Caller, type Permission } from './acl.ts';
import type { JobActions } from './actions.ts';
import { ApiError, internal } from './errors.ts';
import { type BlockingQueryGate, holdBlockingQuery } from './limits.ts';
import { blockingParams, type Query, queryValue } from './params.ts';
import type { ApiStore } from './store.ts';

export interface ApiDeps {
  store: ApiStore;
  authorizer: Authorizer;
  /** The region this server answers for (Nomad's default: `global`). */
  region?: string;
  /** Name of this server in /v1/status/leader and /v1/agent/self. */
  advertise?: string;
  /** Aborted when the server closes: blocked queries then answer at once. */
  closing?: AbortSignal;
  /** Evaluations, dispatch, periodic force, revert, stability (the controller package's); routes that need them are not served without. */
  actions?: JobActions;
  /** Bounds on jobs and requests (limits.ts); buildApiApp fills in the defaults. */
  limits?: ApiLimits;
  /** Bounds the blocking queries held at once (buildApiApp makes one for `limits` when not given). */
  blockingQueries?: BlockingQueryGate;
}

export function query(request: FastifyRequest): Query {
  return (request.query ?? {}) as Query;
}

/** The Nomad namespace of a request: `?namespace=`, else `default`. */
export function requestNamespace(request: FastifyRequest, fallback = 'default'): string {
  const value = queryValue(query(request), 'namespace');
  return value === undefined || value === '' ? fallback : value;
}

/** The ACL token: `X-Nomad-Token`, else `Authorization: Bearer`. */
export function requestToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-nomad-token'];
  const token = Array.isArray(header) ? header[0] : header;
  if (token) return token;
  const authorization = request.headers.authorization;
  const match = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return match?.[1]?.trim() || undefined;
}

export function checkRegion(request: FastifyRequest, deps: ApiDeps): void {
  const region = queryValue(query(request), 'region');
  if (region !== undefined && region !== '' && region !== (deps.region ?? 'global')) {
    throw internal('No path to region');
  }
}

const callers = new WeakMap<FastifyRequest, Promise<Caller>>();

export function callerOf(request: FastifyRequest, deps: ApiDeps): Promise<Caller> {
  let caller = callers.get(request);
  if (!caller) {
    caller = deps.authorizer.authenticate(requestToken(request));
    callers.set(request, caller);
  }
  return caller;
}

/**
 * The caller, when the authorizer already knows, without asking anyone, that it holds any of
 * `permissions` in the Kubernetes namespace (Authorizer.knownCaller/knownAllowed); undefined when it
 * must be asked (requirePermission), which also gives every refusal its answer.
 */
export function knownPermission(
  request: FastifyRequest,
  deps: ApiDeps,
  k8sNamespace: string,
  permissions: readonly Permission[],
): Caller | undefined {
  const authorizer = deps.authorizer;
  if (!authorizer.knownCaller || !authorizer.knownAllowed) return undefined;
  const caller = authorizer.knownCaller(requestToken(request));
  if (caller === undefined) return undefined;
  return authorizer.knownAllowed(caller, k8sNamespace, permissions) === true ? caller : undefined;
}

/**
 * `next(arg)` once the caller holds any of `permissions` in the Kubernetes namespace: called at
 * once, without a promise, when the authorizer already knows (knownPermission), else after
 * requirePermission. `next` and `arg` are separate so that a hot path need create no closure.
 */
export function withPermission<A, R>(
  request: FastifyRequest,
  deps: ApiDeps,
  k8sNamespace: string,
  permissions: readonly Permission[],
  next: (arg: A) => R,
  arg: A,
): R | Promise<unknown> {
  if (knownPermission(request, deps, k8sNamespace, permissions)) return next(arg);
  return requirePermission(request, deps, k8sNamespace, permissions).then(() => next(arg));
}

/**
 * What a route handler returns for its answer: nothing when that is the reply, already answered
 * (a reply is a thenable, which Fastify would wait on for nothing), else the promise.
 */
export function handlerResult(reply: FastifyReply, answer: unknown): unknown {
  return answer === reply ? undefined : answer;
}

/** Authenticates the request and checks `permissions` (any of) in the Kubernetes namespace. */
export async function requirePermission(
  request: FastifyRequest,
  deps: ApiDeps,
  k8sNamespace: string,
  permissions: readonly Permission[],
): Promise<Caller> {
  const caller = await callerOf(request, deps);
  await authorize(deps.authorizer, caller, k8sNamespace, permissions);
  return caller;
}

/** Same for a Nomad namespace. */
export function requireInNamespace(
  request: FastifyRequest,
  deps: ApiDeps,
  nomadNamespace: string,
  permissions: readonly Permission[],
): Promise<Caller> {
  return requirePermission(request, deps, deps.store.mapNamespace(nomadNamespace), permissions);
}

export const READ: readonly Permission[] = [{ verb: 'get' }];
export const LIST: readonly Permission[] = [{ verb: 'list' }];

export interface QueryResult {
  index: number;
  body?: unknown;
  error?: ApiError;
  nextToken?: string;
}

/** The bytes of every JsonBytes: never modified, so what is derived from them may be kept with them. */
const keptBytes = new WeakSet<Buffer>();

/** A body already encoded as JSON (UTF-8): answers kept between requests are not encoded again. */
export class JsonBytes {
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
    keptBytes.add(bytes);
  }
}

/** Whether `payload` is the bytes of a JsonBytes (an answer that may be sent again as it is). */
export function isKeptJson(payload: Buffer): boolean {
  return keptBytes.has(payload);
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  // Fastify adds the charset to a text body's JSON type, not to a buffer's: the same header for both.
  if (body instanceof JsonBytes)
    return reply.code(200).type('application/json; charset=utf-8').send(body.bytes);
  return reply
    .code(200)
    .type('application/json')
    .send(JSON.stringify(body ?? null));
}

function setQueryMeta(reply: FastifyReply, result: QueryResult): void {
  reply.header('X-Nomad-Index', String(Math.max(0, Math.floor(result.index))));
  reply.header('X-Nomad-LastContact', '0');
  reply.header('X-Nomad-KnownLeader', 'true');
  if (result.nextToken) reply.header('X-Nomad-NextToken', result.nextToken);
}

export interface BlockingQueryOptions {
  /**
   * The index `compute` would answer with, computed without the answer (an error answer aside):
   * while a held query waits, a change that leaves it at or below the client's index does not
   * recompute the answer, which could not be sent anyway.
   */
  index?: () => number;
  /**
   * Names the answer: queries with the same key get the same answer from the same state, so one
   * computation per change of the state serves every request (held or not) that asks it.
   */
  shared?: string;
}

/**
 * Answers kept per store and key (BlockingQueryOptions.shared), of the state's current sequence
 * only: an answer of an earlier state is never served again, so it is dropped.
 */
const sharedAnswers = new WeakMap<ApiStore, { at: number; answers: Map<string, QueryResult> }>();
const SHARED_ANSWERS_KEPT = 8;

function sharedAnswer(store: ApiStore, key: string, compute: () => QueryResult): QueryResult {
  const at = store.state.sequence();
  let kept = sharedAnswers.get(store);
  if (kept?.at !== at) {
    kept = { at, answers: new Map() };
    sharedAnswers.set(store, kept);
  }
  const known = kept.answers.get(key);
  if (known) return known;
  const result = compute();
  if (kept.answers.size >= SHARED_ANSWERS_KEPT) kept.answers.clear();
  kept.answers.set(key, result);
  return result;
}

/** `compute`'s answer, or the same answer as the store's shared one under `shared`; an ApiError as an answer. */
function runQuery(deps: ApiDeps, compute: () => QueryResult, shared: string | undefined): QueryResult {
  try {
    return shared === undefined ? compute() : sharedAnswer(deps.store, shared, compute);
  } catch (error) {
    if (error instanceof ApiError) return { index: deps.store.state.globalIndex(), error };
    throw error;
  }
}

/** The index headers, then the answer (or its error, thrown for the error handler). */
function sendQueryResult(reply: FastifyReply, deps: ApiDeps, result: QueryResult): FastifyReply {
  setQueryMeta(reply, result);
  // The server is closing: this answer ends the connection too (a keep-alive connection left
  // open would hold the shutdown until its bound).
  if (deps.closing?.aborted) reply.header('Connection', 'close');
  if (result.error) throw result.error;
  return sendJson(reply, result.body);
}

/**
 * Runs a query, Nomad-style: with `?index=N`, waits until the result's index is above N (re-running
 * `compute` after cache changes, never polling) or until `wait` (default and cap 5 minutes, plus up to
 * wait/16 of jitter) has passed, then answers with the latest result. When the server closes
 * (`deps.closing`), held queries answer at once with their current result, as if their wait had
 * ended, and close their connection. Changes that come together (one batch of watch events) are
 * answered with one computation.
 * A query that need not wait is answered at once, without a promise (the reply, or a thrown error:
 * callers are route handlers, or return it from one); only a held query answers with a promise.
 */
export function blockingQuery(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ApiDeps,
  compute: () => QueryResult,
  options?: BlockingQueryOptions,
): FastifyReply | Promise<FastifyReply> {
  const { minIndex, waitMs } = blockingParams(query(request));
  const shared = options?.shared;
  const result = runQuery(deps, compute, shared);
  // Past the bound on held queries, a query is answered at once, as if its wait had ended.
  const release =
    minIndex > 0 && result.index <= minIndex ? holdBlockingQuery(deps.blockingQueries) : undefined;
  if (!release) return sendQueryResult(reply, deps, result);
  const run = () => runQuery(deps, compute, shared);
  const cheapIndex = options?.index;
  const state = deps.store.state;
  const timeout = waitMs + Math.random() * (waitMs / 16);
  return new Promise<QueryResult>((resolve, reject) => {
    let scheduled = false;
    let settled = false;
    const finish = (value: QueryResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      reply.raw.off('close', onClose);
      deps.closing?.removeEventListener('abort', onClosing);
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const check = () => {
      scheduled = false;
      if (settled) return;
      try {
        if (cheapIndex && cheapIndex() <= minIndex) return;
        const next = run();
        if (next.index > minIndex) finish(next);
      } catch (error) {
        finish(error as Error);
      }
    };
    // Checked once the informer has handled what it received (a watch chunk may carry several
    // events), before the event loop turns to other work: a reconcile started by the same change
    // must not delay the answer.
    const off = state.onChange(() => {
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(check);
      }
    });
    // The response closing before it was written means the client went away.
    const onClose = () => {
      if (!reply.raw.writableEnded) finish({ index: 0 });
    };
    reply.raw.on('close', onClose);
    const onClosing = () => finish(run());
    deps.closing?.addEventListener('abort', onClosing, { once: true });
    const timer = setTimeout(() => {
      try {
        finish(run());
      } catch (error) {
        finish(error as Error);
      }
    }, timeout);
  })
    .finally(release)
    .then((held) => sendQueryResult(reply, deps, held));
}

/** Answers a write: `X-Nomad-Index` (> 0) and the JSON body. */
export function sendWrite(reply: FastifyReply, index: number, body: unknown): FastifyReply {
  reply.header('X-Nomad-Index', String(Math.max(1, Math.floor(index))));
  return sendJson(reply, body);
}

/** Answers a write that embeds QueryMeta (register, deregister, evaluate, revert, scale): headers too. */
export function sendWriteWithMeta(
  reply: FastifyReply,
  index: number,
  body: Record<string, unknown>,
): FastifyReply {
  const idx = Math.max(1, Math.floor(index));
  reply.header('X-Nomad-Index', String(idx));
  reply.header('X-Nomad-LastContact', '0');
  reply.header('X-Nomad-KnownLeader', 'true');
  return sendJson(reply, { ...body, Index: idx, LastContact: 0, KnownLeader: true, NextToken: '' });
}

/** Answers without index headers (parse, validate). */
export function sendPlain(reply: FastifyReply, body: unknown): FastifyReply {
  return sendJson(reply, body);
}
