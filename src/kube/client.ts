// The operator's Kubernetes REST client: JSON requests to the apiserver of a KubeConfig
// (kubeconfig.ts), over one pooled keep-alive Agent per TLS identity, and the response stream of a
// watch (watch.ts parses it). It replaces client-node at run time: importing client-node loads every
// generated API and model module, about 80 MiB of resident memory (docs/performance.md).
//
// * Connections: one node:https Agent per TLS identity (server, CA, client certificate and key;
//   files by path and modification time, so a rotated certificate starts a new pool; the old one
//   closes its idle connections and lets requests in flight finish), as client-go keeps one
//   transport per rest.Config. node:https rather than undici: the operator loads node:http anyway
//   (Fastify), undici's import alone costs about 27 MiB of resident memory.
// * Every request but a watch has a deadline (default 30 s, as a write to a frozen apiserver must
//   fail rather than hang until shutdown); a GET answered 429 is retried after its Retry-After (at
//   most ten times, each wait at most 10 s, as client-go's clients do: a CRD's storage answers 429
//   for seconds while it reinitializes after an apiserver restart); writes are never retried.
// * A non-2xx answer is a KubeApiError carrying the status code, the headers and the apiserver's
//   Status body; no answer at all (refused, reset, timed out) is any other Error.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import https from 'node:https';
import { WatchedFile } from './credentials.ts';
import type { KubeConfig } from './kubeconfig.ts';

// node:http through process.getBuiltinModule, not an ESM import: building the ESM namespace of
// node:http reads its lazy WebSocket/MessageEvent/CloseEvent exports, which loads undici and the web
// streams (about 7 MiB of resident memory the operator never uses). Fastify, a CommonJS module,
// requires node:http and never touches them.
const http = process.getBuiltinModule('node:http');

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const contentTypes = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  strategicMergePatch: 'application/strategic-merge-patch+json',
  /** Server-side apply; the body is JSON (JSON is YAML). */
  apply: 'application/apply-patch+yaml',
} as const;

export type QueryValue = string | number | boolean | undefined;

export interface KubeRequest {
  method: HttpVerb;
  /** `/api/v1/namespaces/x/configmaps/y` */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Of the body. Default application/json. */
  contentType?: string;
  /** Deadline of each attempt, until the whole answer is read. Default: the client's (30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Retry a GET answered 429 (default true). */
  retryTooManyRequests?: boolean;
  /** On a connection of its own, closed after the answer, rather than a pooled one (probes). */
  freshConnection?: boolean;
}

/** The apiserver answered, but not with success: `code`, its headers and its (Status) body. */
export class KubeApiError extends Error {
  readonly code: number;
  /** The same as `code` (the name watch errors used). */
  readonly statusCode: number;
  /** The Status object when the body was JSON, else its text. */
  readonly body: unknown;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  constructor(code: number, body: unknown, headers: Record<string, string>, what: string) {
    const said = (body as { message?: unknown } | null | undefined)?.message;
    super(typeof said === 'string' ? said : `${what}: HTTP ${code}`);
    this.name = 'KubeApiError';
    this.code = code;
    this.statusCode = code;
    this.body = body;
    this.headers = headers;
  }
}

/** A request that got no full answer within its deadline. */
export class KubeTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from the kube-apiserver within ${ms / 1000} s`);
    this.name = 'TimeoutError';
  }
}

export interface KubeClientOptions {
  /** Default deadline of a request (not of a watch). Default 30 s. */
  requestTimeoutMs?: number;
  /** Attempts of a GET answered 429 (the first included). Default 11: client-go's ten retries. */
  maxAttempts?: number;
  /** Longest wait a Retry-After is honoured for. Default 10 s. */
  maxRetryAfterMs?: number;
  /** How often the CA file's modification time is checked. Default 1 s. */
  fileRecheckMs?: number;
}

const defaultRequestTimeoutMs = 30_000;

/** Marks an error of a reused keep-alive connection the server had closed. */
const staleConnection = Symbol('stale keep-alive connection');

function headersOf(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Seconds (or an HTTP date) of Retry-After, as ms; 1 s when absent or unreadable. */
function retryAfterMs(value: string | undefined, now = Date.now()): number {
  if (value === undefined) return 1_000;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : 1_000;
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class KubeClient {
  readonly config: KubeConfig;
  readonly #requestTimeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryAfterMs: number;
  readonly #https: boolean;
  readonly #caFile: WatchedFile | undefined;
  #agentKey: string | undefined;
  #agent: HttpAgent | undefined;
  /** Agents of earlier identities still finishing requests. */
  readonly #retired = new Set<HttpAgent>();

  constructor(config: KubeConfig, options: KubeClientOptions = {}) {
    this.config = config;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 11);
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
    this.#https = config.server.startsWith('https:');
    this.#caFile =
      config.tls.caData || !config.tls.caFile
        ? undefined
        : new WatchedFile(config.tls.caFile, options.fileRecheckMs);
  }

  /** The connection pool requests go through now (tests compare it across requests). */
  async currentAgent(): Promise<HttpAgent> {
    const auth = await this.config.authenticate();
    return this.#agentFor(auth.certIdentity, auth.cert, auth.key);
  }

  /** A JSON request; resolves to the parsed answer (undefined for an empty one). */
  async request<T = unknown>(options: KubeRequest): Promise<T> {
    const what = `${options.method} ${options.path}`;
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new KubeTimeoutError(what, timeoutMs)), timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
      let response: IncomingMessage;
      let text: string;
      try {
        response = await this.#open(options, signal);
        text = await readText(response, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        // A read that met a connection the apiserver had just closed is sent again, once, on a
        // new one (as Go's transport does); a write is not.
        if (
          options.method === 'GET' &&
          attempt === 1 &&
          (error as { [staleConnection]?: boolean })[staleConnection]
        )
          continue;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return parseBody(text) as T;
      const headers = headersOf(response);
      if (status === 401) this.config.credentialsRejected();
      // Only reads are retried: a write the apiserver refused for load may still be retried by its
      // caller, who knows whether it is idempotent.
      if (
        status === 429 &&
        options.method === 'GET' &&
        options.retryTooManyRequests !== false &&
        attempt < this.#maxAttempts
      ) {
        await abortableSleep(
          Math.min(this.#maxRetryAfterMs, retryAfterMs(headers['retry-after'])),
          options.signal,
        );
        continue;
      }
      throw new KubeApiError(status, parseBody(text), headers, what);
    }
  }

  /**
   * A streaming GET (a watch): resolves to the response once the apiserver answered 200, for the
   * caller to read until it ends or `signal` aborts it; otherwise rejects with a KubeApiError. No
   * deadline beyond `connectTimeoutMs` for the answer's headers.
   */
  async stream(
    path: string,
    query: Record<string, QueryValue>,
    signal: AbortSignal,
    connectTimeoutMs = this.#requestTimeoutMs,
  ): Promise<IncomingMessage> {
    const what = `GET ${path} (watch)`;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new KubeTimeoutError(what, connectTimeoutMs)),
      connectTimeoutMs,
    );
    const headersSignal = AbortSignal.any([signal, deadline.signal]);
    let response: IncomingMessage;
    try {
      response = await this.#open({ method: 'GET', path, query }, signal, headersSignal);
    } catch (error) {
      throw headersSignal.aborted ? (headersSignal.reason ?? error) : error;
    } finally {
      clearTimeout(timer);
    }
    const status = response.statusCode ?? 0;
    if (status === 200) return response;
    const text = await readText(response, signal);
    if (status === 401) this.config.credentialsRejected();
    throw new KubeApiError(status, parseBody(text), headersOf(response), what);
  }

  /** Closes every pooled connection (watches included). */
  close(): void {
    this.#agent?.destroy();
    for (const agent of this.#retired) agent.destroy();
    this.#retired.clear();
    this.#agent = undefined;
    this.#agentKey = undefined;
  }

  /**
   * Sends the request; resolves to the response once its headers arrived. `signal` aborts the whole
   * exchange; `headersSignal` (default `signal`) only the wait for the headers.
   */
  async #open(
    options: Pick<KubeRequest, 'method' | 'path' | 'query' | 'body' | 'contentType' | 'freshConnection'>,
    signal: AbortSignal,
    headersSignal: AbortSignal = signal,
  ): Promise<IncomingMessage> {
    const auth = await this.config.authenticate();
    const url = new URL(this.config.server + options.path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (auth.authorization) headers.Authorization = auth.authorization;
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['Content-Type'] = options.contentType ?? contentTypes.json;
      headers['Content-Length'] = String(payload.length);
    }
    const agent = options.freshConnection
      ? this.#newAgent(auth.cert, auth.key, false)
      : this.#agentFor(auth.certIdentity, auth.cert, auth.key);
    const send = this.#https ? https.request : http.request;
    return await new Promise<IncomingMessage>((resolve, reject) => {
      if (signal.aborted || headersSignal.aborted) return reject(signal.reason ?? headersSignal.reason);
      const request = send(url, { method: options.method, headers, agent });
      const onAbort = () =>
        request.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const onHeadersAbort = () =>
        request.destroy(headersSignal.reason instanceof Error ? headersSignal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      if (headersSignal !== signal) headersSignal.addEventListener('abort', onHeadersAbort, { once: true });
      request.on('response', (response) => {
        headersSignal.removeEventListener('abort', onHeadersAbort);
        response.on('close', () => {
          signal.removeEventListener('abort', onAbort);
          if (options.freshConnection) agent.destroy();
        });
        resolve(response);
      });
      request.on('error', (error) => {
        // A kept-alive connection the server closed just as it was reused: nothing was answered.
        if (request.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET')
          Object.assign(error, { [staleConnection]: true });
        if (options.freshConnection) agent.destroy();
        signal.removeEventListener('abort', onAbort);
        headersSignal.removeEventListener('abort', onHeadersAbort);
        reject(error);
      });
      request.end(payload);
    });
  }

  #agentFor(certIdentity: string, cert: Buffer | undefined, key: Buffer | undefined): HttpAgent {
    const tls = this.config.tls;
    const caIdentity = tls.caData
      ? 'data'
      : this.#caFile
        ? `${this.#caFile.path}@${this.#caFile.read().version}`
        : '';
    const identity = JSON.stringify([caIdentity, tls.insecureSkipTlsVerify, tls.tlsServerName, certIdentity]);
    if (this.#agent && identity === this.#agentKey) return this.#agent;
    const previous = this.#agent;
    this.#agent = this.#newAgent(cert, key, true);
    this.#agentKey = identity;
    if (previous) retire(previous, this.#retired);
    return this.#agent;
  }

  #newAgent(cert: Buffer | undefined, key: Buffer | undefined, keepAlive: boolean): HttpAgent {
    const tls = this.config.tls;
    // Idle connections close after 60 s, before the apiserver closes them (its idle timeout is
    // 90 s), so a request rarely meets one the server is closing. The timeout ends idle pooled
    // connections only: a quiet watch is not cut by it.
    const options: https.AgentOptions = {
      keepAlive,
      scheduling: 'lifo',
      ...(keepAlive ? { timeout: 60_000 } : {}),
    };
    if (!this.#https) return new http.Agent(options);
    const ca = tls.caData ?? this.#caFile?.read().content;
    if (ca) options.ca = ca;
    if (cert && key) Object.assign(options, { cert, key });
    if (tls.insecureSkipTlsVerify) options.rejectUnauthorized = false;
    if (tls.tlsServerName) options.servername = tls.tlsServerName;
    return new https.Agent(options);
  }
}

/** An Agent of an old identity: its idle connections close now, busy ones once their request ends. */
function retire(agent: HttpAgent, retired: Set<HttpAgent>): void {
  retired.add(agent);
  for (const sockets of Object.values(agent.freeSockets))
    for (const socket of sockets ?? []) socket.destroy();
  agent.on('free', (socket) => socket.destroy());
  // Nothing more can be sent through it; forget it once its connections are gone.
  const forget = setInterval(() => {
    const busy = Object.values(agent.sockets).some((sockets) => (sockets?.length ?? 0) > 0);
    if (!busy) {
      clearInterval(forget);
      retired.delete(agent);
      agent.destroy();
    }
  }, 10_000);
  forget.unref();
}

async function readText(response: IncomingMessage, signal: AbortSignal): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  try {
    for await (const chunk of response) text += chunk as string;
  } catch (error) {
    throw signal.aborted ? (signal.reason ?? error) : error;
  }
  if (!response.complete)
    throw signal.aborted ? signal.reason : new Error('the kube-apiserver closed the connection mid-answer');
  return text;
}

const clients = new WeakMap<KubeConfig, KubeClient>();

/** The one client (one connection pool) of a KubeConfig. */
export function kubeClient(config: KubeConfig): KubeClient {
  let client = clients.get(config);
  if (!client) {
    client = new KubeClient(config);
    clients.set(config, client);
  }
  return client;
}

// The loader lives in kubeconfig.ts; scripts/dev.ts and the fault suite's setup import it from here.
export { type KubeConfig, loadKubeConfig } from './kubeconfig.ts';
