// A resilient informer: a local cache of one resource kind kept in step with the apiserver by
// client-node's ListWatch, hardened against the ways client-node's informers are known to fail
// (as controller-runtime's and client-go's informers do):
//
// * client-node stops for good after any error other than 410 Gone: this one restarts, with
//   exponential backoff (1 s → 30 s, ±10 % jitter; the count resets once a run lasted a minute);
// * watches can stall silently (half-open TCP, lost events): a staleness watchdog restarts with a
//   fresh list when nothing (no event, no list) was seen for `staleAfterMs` (default 10 min);
// * a restarted client-node informer does not replay adds nor notice deletes made while it was
//   down: the cache lives here, across restarts, and every (re)list is diffed against it, so
//   objects that vanished fire `delete`, changed ones `update`, new ones `add`.
//
// Every restart builds a new ListWatch and lists afresh; callbacks of a superseded ListWatch are
// ignored (a generation counter guards every one of them). onChange exists to enqueue keys: the
// controller reads the latest object from the cache (or the apiserver) when it reconciles.
//
// Memory: the cache holds only what the operator needs, as controller-runtime's cache transforms do.
// Callers select with a label selector (owned.ts: the operator's own objects only), and every object
// passes through `transform` before anything stores it (by default stripForCache: no managedFields,
// no kubectl last-applied copy). The transform runs in place on the freshly decoded object, before
// client-node's ListWatch files it in its own map, so that map and this cache share one copy.
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  RequestContext,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export type ChangeType = 'add' | 'update' | 'delete';
export type ChangeListener<T> = (object: T, type: ChangeType) => void;
export type RestartReason = 'error' | 'stale' | 'manual';

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  kubeConfig: KubeConfig;
  /**
   * The collection's URL path: `/apis/apps/v1/deployments` (all namespaces),
   * `/api/v1/namespaces/<ns>/configmaps` (one namespace), `/apis/nomadoperator.dev/v1alpha1/nomadjobs`.
   */
  path: string;
  /** Label for logs and metrics; default: the last path segment (`deployments`). */
  resource?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Restart with a fresh list after this long without any event or list. Default 10 minutes. */
  staleAfterMs?: number;
  /** First restart delay after an error. Default 1 s. */
  backoffInitialMs?: number;
  /** Cap on the restart delay. Default 30 s. */
  backoffMaxMs?: number;
  /** A run that lasted this long resets the backoff. Default 60 s. */
  backoffResetMs?: number;
  /** Page size of list requests. Default 500. */
  pageSize?: number;
  /**
   * Shrinks each listed or watched object before it is cached (may mutate it: it is freshly decoded
   * and nobody else holds it yet). Default stripForCache.
   */
  transform?: (object: T) => T;
  logger?: Logger;
}

/** kubectl's copy of the whole applied object, as an annotation: never read by the operator. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The default cache transform: drops `metadata.managedFields` (often larger than the object itself)
 * and kubectl's last-applied annotation. Mutates and returns `object`.
 */
export function stripForCache<T extends KubernetesObject>(object: T): T {
  const metadata = object.metadata;
  if (!metadata) return object;
  delete metadata.managedFields;
  if (metadata.annotations && LAST_APPLIED in metadata.annotations) delete metadata.annotations[LAST_APPLIED];
  return object;
}

/**
 * stripForCache, except that the newest write of top-level `spec` fields stays, as a managedFields
 * entry of its manager, operation and time whose fieldsV1 is just `{"f:spec": {}}`: what tells when
 * a spec written without the submit-time annotation (kubectl) was submitted (jobs/versions.ts
 * submitTimeOf). For NomadJobs. Mutates and returns `object`.
 */
export function keepSpecWriteTime<T extends KubernetesObject>(object: T): T {
  const entries = object.metadata?.managedFields ?? [];
  let newest: (typeof entries)[number] | undefined;
  for (const entry of entries) {
    if (entry.subresource === 'status' || !entry.time) continue;
    if (!Object.hasOwn((entry.fieldsV1 as Record<string, unknown> | undefined) ?? {}, 'f:spec')) continue;
    if (!newest || new Date(entry.time).getTime() > new Date(newest.time ?? 0).getTime()) newest = entry;
  }
  stripForCache(object);
  if (newest && object.metadata) {
    object.metadata.managedFields = [
      {
        ...(newest.manager ? { manager: newest.manager } : {}),
        ...(newest.operation ? { operation: newest.operation } : {}),
        ...(newest.apiVersion ? { apiVersion: newest.apiVersion } : {}),
        time: newest.time,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': {} },
      },
    ];
  }
  return object;
}

export interface InformerStats {
  /** Restarts of every kind (what `nomad_operator_informer_restarts_total` counts). */
  restarts: number;
  restartsByReason: Record<RestartReason, number>;
  /** Errors seen (list or watch failures); each one schedules a restart. */
  errors: number;
  /** Completed lists (the first sync and every relist). */
  lists: number;
  lastError: unknown;
}

/** An error from a raw list request, shaped like client-node's watch errors (`statusCode`). */
export class KubeRequestError extends Error {
  readonly statusCode: number;
  readonly code: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'KubeRequestError';
    this.statusCode = statusCode;
    this.code = statusCode;
  }
}

class StaleGenerationError extends Error {
  constructor() {
    super('superseded informer run');
    this.name = 'StaleGenerationError';
  }
}

type CacheMap<T> = Map<string, Map<string, T>>;

/** A Watch that stays inert once its informer run is superseded, and reports activity. */
class GuardedWatch extends Watch {
  readonly #isCurrent: () => boolean;
  readonly #onEvent: () => void;
  readonly #transform: (object: unknown) => unknown;

  constructor(
    kc: KubeConfig,
    isCurrent: () => boolean,
    onEvent: () => void,
    transform: (object: unknown) => unknown,
  ) {
    super(kc);
    this.#isCurrent = isCurrent;
    this.#onEvent = onEvent;
    this.#transform = transform;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (!this.#isCurrent()) return new AbortController();
    let controller: AbortController;
    try {
      controller = await super.watch(
        path,
        queryParams,
        (phase, object, raw) => {
          if (!this.#isCurrent()) return;
          this.#onEvent();
          // Before ListWatch stores it: its map and the informer's cache share the shrunk object.
          const shrunk =
            typeof object === 'object' && object !== null && phase !== 'ERROR' && phase !== 'BOOKMARK'
              ? this.#transform(object)
              : object;
          callback(phase, shrunk, raw);
        },
        done,
      );
    } catch (error) {
      // Failed before the request (no cluster, credential plugin failure): report it like a
      // failed watch instead of leaving a rejected promise in client-node's reconnect path.
      done(error);
      return new AbortController();
    }
    // Stopped while the request was being set up: ListWatch has no handle to abort it yet.
    if (!this.#isCurrent()) controller.abort();
    return controller;
  }
}

/**
 * Lists a collection by URL path, following `continue` tokens. Items get `apiVersion` and `kind`
 * (a list leaves them out; watch events carry them), so cached objects look alike whatever filled
 * the cache.
 */
export async function listPath<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  options: { labelSelector?: string; fieldSelector?: string; pageSize?: number; signal?: AbortSignal } = {},
): Promise<KubernetesListObject<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const http = new IsomorphicFetchHttpLibrary();
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  let continueToken: string | undefined;
  do {
    const url = new URL(cluster.server.replace(/\/$/u, '') + path);
    if (options.labelSelector) url.searchParams.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) url.searchParams.set('fieldSelector', options.fieldSelector);
    url.searchParams.set('limit', String(options.pageSize ?? 500));
    if (continueToken) url.searchParams.set('continue', continueToken);
    const request = new RequestContext(url.toString(), HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    await kc.applySecurityAuthentication(request);
    if (options.signal) request.setSignal(options.signal);
    const response = await http.send(request).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode !== 200) {
      let message = text;
      try {
        const status = JSON.parse(text) as { message?: unknown };
        if (typeof status.message === 'string') message = status.message;
      } catch {
        // not a Status object: keep the raw text
      }
      throw new KubeRequestError(
        response.httpStatusCode,
        `list ${path}: ${response.httpStatusCode} ${message}`,
      );
    }
    // Raw JSON: the list metadata's `continue` (client-node's model renames it `_continue`).
    const page = JSON.parse(text) as KubernetesListObject<T> & { metadata?: { continue?: string } };
    first ??= page;
    const apiVersion = page.apiVersion;
    const kind = page.kind?.replace(/List$/u, '');
    for (const item of page.items ?? []) items.push({ apiVersion, kind, ...item });
    continueToken = page.metadata?.continue || undefined;
    if (!continueToken) {
      // Every page of one list shares the snapshot's resourceVersion.
      return { ...first, metadata: { ...page.metadata }, items };
    }
  } while (continueToken);
  throw new Error('unreachable');
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones: the queue's key. */
export function objectKey(object: KubernetesObject): string {
  const { namespace, name = '' } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : name;
}

const defaultStaleAfterMs = 10 * 60_000;

export class Informer<T extends KubernetesObject> {
  readonly resource: string;
  readonly path: string;
  readonly #kc: KubeConfig;
  readonly #labelSelector: string | undefined;
  readonly #fieldSelector: string | undefined;
  readonly #staleAfterMs: number;
  readonly #backoffInitialMs: number;
  readonly #backoffMaxMs: number;
  readonly #backoffResetMs: number;
  readonly #pageSize: number;
  readonly #transform: (object: T) => T;
  readonly #log: Logger | undefined;

  readonly #cache: CacheMap<T> = new Map();
  /** label key → `namespace\0value` → name → object (byLabel). */
  readonly #labelIndexes = new Map<string, Map<string, Map<string, T>>>();
  /** `namespace\0ownerKind\0ownerName` → name → object (byOwner), once asked for. */
  #ownerIndex: Map<string, Map<string, T>> | undefined;
  readonly #listeners = new Set<ChangeListener<T>>();
  readonly #syncWaiters = new Set<(synced: boolean) => void>();

  #running = false;
  #synced = false;
  #generation = 0;
  #runStartedAt = 0;
  #runAbort: AbortController | undefined;
  #listWatch: ListWatch<T> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #lastActivity = 0;
  #attempt = 0;
  readonly #stats: InformerStats = {
    restarts: 0,
    restartsByReason: { error: 0, stale: 0, manual: 0 },
    errors: 0,
    lists: 0,
    lastError: undefined,
  };

  constructor(options: InformerOptions<T>) {
    this.#kc = options.kubeConfig;
    this.path = options.path;
    this.resource = options.resource ?? options.path.split('/').filter(Boolean).at(-1) ?? options.path;
    this.#labelSelector = options.labelSelector || undefined;
    this.#fieldSelector = options.fieldSelector || undefined;
    this.#staleAfterMs = options.staleAfterMs ?? defaultStaleAfterMs;
    this.#backoffInitialMs = options.backoffInitialMs ?? 1_000;
    this.#backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.#backoffResetMs = options.backoffResetMs ?? 60_000;
    this.#pageSize = options.pageSize ?? 500;
    this.#transform = options.transform ?? stripForCache;
    this.#log = options.logger?.child({ informer: this.resource });
    if (!(this.#staleAfterMs > 0)) throw new RangeError('staleAfterMs must be > 0');
  }

  /** Starts listing and watching (idempotent). Returns at once; see waitForSync(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastActivity = Date.now();
    this.#attempt = 0;
    this.#begin();
    this.#armWatchdog();
  }

  /**
   * Stops the watch and every timer. The cache is kept: a later start() lists afresh and reports
   * what changed meanwhile (including deletes) through onChange.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    await this.#endRun();
    for (const waiter of [...this.#syncWaiters]) waiter(this.#synced);
  }

  /** Drops the current watch and lists afresh now (also what the watchdog does). */
  restart(reason: RestartReason = 'manual'): void {
    if (!this.#running) return;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#countRestart(reason);
    void this.#endRun();
    this.#begin();
  }

  get running(): boolean {
    return this.#running;
  }

  /** True once a first list has filled the cache (stays true across restarts). */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once synced, false after `timeoutMs` (default 2 minutes) or if stopped first. */
  waitForSync(timeoutMs = 120_000): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (!this.#running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (synced: boolean) => {
        clearTimeout(timer);
        this.#syncWaiters.delete(finish);
        resolve(synced);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      timer.unref();
      this.#syncWaiters.add(finish);
    });
  }

  /** The cached object; `namespace` undefined or '' for cluster-scoped resources. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(namespace ?? '')?.get(name);
  }

  /**
   * Cached objects of `namespace` whose label `key` has `value`, from an index kept for that label
   * (built on the first call, then maintained by every change): lookups by owner label cost the
   * size of the answer, not of the cache.
   */
  byLabel(namespace: string, key: string, value: string): T[] {
    let index = this.#labelIndexes.get(key);
    if (!index) {
      index = new Map();
      this.#labelIndexes.set(key, index);
      for (const object of this.list()) indexAdd(index, key, object);
    }
    return [...(index.get(labelBucket(namespace, value))?.values() ?? [])];
  }

  /**
   * Cached objects of `namespace` with an ownerReference to an object of `ownerKind` named
   * `ownerName` (any API group: callers check it), from an index built on the first call and
   * maintained by every change.
   */
  byOwner(namespace: string, ownerKind: string, ownerName: string): T[] {
    if (!this.#ownerIndex) {
      this.#ownerIndex = new Map();
      for (const object of this.list()) ownerIndexAdd(this.#ownerIndex, object);
    }
    return [...(this.#ownerIndex.get(ownerBucket(namespace, ownerKind, ownerName))?.values() ?? [])];
  }

  /** Cached objects, of one namespace or all. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.#cache.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.#cache.values()) all.push(...objects.values());
    return all;
  }

  /** Subscribes to changes (for enqueueing keys only). Returns the unsubscribe function. */
  onChange(listener: ChangeListener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get stats(): Readonly<InformerStats> {
    return { ...this.#stats, restartsByReason: { ...this.#stats.restartsByReason } };
  }

  /** Total restarts (for the restarts counter). */
  get restarts(): number {
    return this.#stats.restarts;
  }

  // --- one run: a ListWatch from a fresh list ------------------------------------------------

  #begin(): void {
    const generation = ++this.#generation;
    const abort = new AbortController();
    this.#runAbort = abort;
    this.#runStartedAt = Date.now();
    const current = () => generation === this.#generation && this.#running;
    const watch = new GuardedWatch(
      this.#kc,
      current,
      () => this.#touch(),
      (object) => this.#transform(object as T),
    );
    const listFn = async (): Promise<KubernetesListObject<T>> => {
      const list = await listPath<T>(this.#kc, this.path, {
        labelSelector: this.#labelSelector,
        fieldSelector: this.#fieldSelector,
        pageSize: this.#pageSize,
        signal: abort.signal,
      });
      if (!current()) throw new StaleGenerationError();
      list.items = list.items.map(this.#transform);
      this.#replace(list.items);
      return list;
    };
    const listWatch = new ListWatch<T>(
      this.path,
      watch,
      listFn,
      false,
      this.#labelSelector,
      this.#fieldSelector,
      {
        // client-node waits between watch reconnects with a timer it cannot cancel and then
        // reconnects even if stopped meanwhile: a delay that never ends once the run is over.
        delayFn: (ms) =>
          new Promise<void>((resolve) => {
            if (abort.signal.aborted) return;
            const timer = setTimeout(resolve, ms);
            timer.unref();
            abort.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
          }),
      },
    );
    listWatch.on('add', (object) => {
      if (current()) this.#upsert(object);
    });
    listWatch.on('update', (object) => {
      if (current()) this.#upsert(object);
    });
    listWatch.on('delete', (object) => {
      if (current()) this.#remove(object);
    });
    listWatch.on('error', (error) => {
      if (current()) this.#onError(error);
    });
    this.#listWatch = listWatch;
    this.#log?.debug({ generation }, 'Starting list and watch');
    listWatch.start().catch((error: unknown) => {
      if (current()) this.#onError(error);
    });
  }

  async #endRun(): Promise<void> {
    this.#generation++;
    this.#runAbort?.abort();
    this.#runAbort = undefined;
    const listWatch = this.#listWatch;
    this.#listWatch = undefined;
    await listWatch?.stop();
  }

  #onError(error: unknown): void {
    this.#stats.errors++;
    this.#stats.lastError = error;
    if (!this.#running) return;
    if (Date.now() - this.#runStartedAt >= this.#backoffResetMs) this.#attempt = 0;
    const base = Math.min(this.#backoffMaxMs, this.#backoffInitialMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.round(base * (0.9 + 0.2 * Math.random()));
    this.#attempt++;
    this.#log?.warn(
      {
        err: error instanceof Error ? error : { message: String(error) },
        retryInMs: delay,
        attempt: this.#attempt,
      },
      'Informer failed, restarting',
    );
    void this.#endRun();
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#running) return;
      this.#countRestart('error');
      this.#begin();
    }, delay);
    this.#restartTimer.unref();
  }

  #countRestart(reason: RestartReason): void {
    this.#stats.restarts++;
    this.#stats.restartsByReason[reason]++;
    this.#log?.info({ reason }, 'Restarted informer');
  }

  // --- staleness watchdog --------------------------------------------------------------------

  #touch(): void {
    this.#lastActivity = Date.now();
  }

  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    if (!this.#running) return;
    const idle = Date.now() - this.#lastActivity;
    const jitter = Math.random() * 0.1 * this.#staleAfterMs;
    this.#watchdog = setTimeout(
      () => {
        this.#watchdog = undefined;
        if (!this.#running) return;
        // While a restart after an error is pending, the backoff owns the schedule.
        if (this.#restartTimer === undefined && Date.now() - this.#lastActivity >= this.#staleAfterMs) {
          this.#log?.warn({ idleMs: Date.now() - this.#lastActivity }, 'Informer saw nothing for too long');
          this.#touch();
          this.restart('stale');
        }
        this.#armWatchdog();
      },
      Math.max(0, this.#staleAfterMs - idle) + jitter,
    );
    this.#watchdog.unref();
  }

  // --- the cache -----------------------------------------------------------------------------

  /** Makes the cache equal to a fresh list, reporting the differences. */
  #replace(items: T[]): void {
    const fresh = new Set(
      items.map((item) => `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`),
    );
    for (const [namespace, objects] of this.#cache) {
      for (const [name, object] of objects) {
        if (!fresh.has(`${namespace}/${name}`)) this.#remove(object);
      }
    }
    for (const item of items) this.#upsert(item);
    this.#stats.lists++;
    this.#touch();
    if (!this.#synced) {
      this.#synced = true;
      this.#log?.debug({ objects: items.length }, 'Informer synced');
      for (const waiter of [...this.#syncWaiters]) waiter(true);
    }
  }

  #upsert(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    let objects = this.#cache.get(namespace);
    if (!objects) {
      objects = new Map();
      this.#cache.set(namespace, objects);
    }
    const existing = objects.get(name);
    if (existing && existing.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    objects.set(name, object);
    for (const [key, index] of this.#labelIndexes) {
      if (existing) indexRemove(index, key, existing);
      indexAdd(index, key, object);
    }
    if (this.#ownerIndex) {
      if (existing) ownerIndexRemove(this.#ownerIndex, existing);
      ownerIndexAdd(this.#ownerIndex, object);
    }
    this.#emit(object, existing ? 'update' : 'add');
  }

  #remove(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    const objects = this.#cache.get(namespace);
    const existing = objects?.get(name);
    if (!objects || !existing) return;
    objects.delete(name);
    if (objects.size === 0) this.#cache.delete(namespace);
    for (const [key, index] of this.#labelIndexes) indexRemove(index, key, existing);
    if (this.#ownerIndex) ownerIndexRemove(this.#ownerIndex, existing);
    // The last state seen, as client-go's DeletedFinalStateUnknown would carry it when the delete
    // itself was missed.
    this.#emit(object.metadata?.resourceVersion ? object : existing, 'delete');
  }

  #emit(object: T, type: ChangeType): void {
    for (const listener of this.#listeners) {
      try {
        listener(object, type);
      } catch (error) {
        this.#log?.error({ err: error, type }, 'Informer change listener threw');
      }
    }
  }
}

const labelBucket = (namespace: string, value: string) => `${namespace}\0${value}`;

function indexAdd<T extends KubernetesObject>(
  index: Map<string, Map<string, T>>,
  key: string,
  object: T,
): void {
  const value = object.metadata?.labels?.[key];
  if (value === undefined) return;
  const bucket = labelBucket(object.metadata?.namespace ?? '', value);
  let objects = index.get(bucket);
  if (!objects) {
    objects = new Map();
    index.set(bucket, objects);
  }
  objects.set(object.metadata?.name ?? '', object);
}

function indexRemove<T extends KubernetesObject>(
  index: Map<string, Map<string, T>>,
  key: string,
  object: T,
): void {
  const value = object.metadata?.labels?.[key];
  if (value === undefined) return;
  const bucket = labelBucket(object.metadata?.namespace ?? '', value);
  const objects = index.get(bucket);
  if (!objects) return;
  objects.delete(object.metadata?.name ?? '');
  if (objects.size === 0) index.delete(bucket);
}

const ownerBucket = (namespace: string, kind: string, name: string) => `${namespace}\0${kind}\0${name}`;

function ownerBucketsOf(object: KubernetesObject): string[] {
  const namespace = object.metadata?.namespace ?? '';
  return (object.metadata?.ownerReferences ?? []).map((ref) => ownerBucket(namespace, ref.kind, ref.name));
}

function ownerIndexAdd<T extends KubernetesObject>(index: Map<string, Map<string, T>>, object: T): void {
  for (const bucket of ownerBucketsOf(object)) {
    let objects = index.get(bucket);
    if (!objects) {
      objects = new Map();
      index.set(bucket, objects);
    }
    objects.set(object.metadata?.name ?? '', object);
  }
}

function ownerIndexRemove<T extends KubernetesObject>(index: Map<string, Map<string, T>>, object: T): void {
  for (const bucket of ownerBucketsOf(object)) {
    const objects = index.get(bucket);
    if (!objects) continue;
    objects.delete(object.metadata?.name ?? '');
    if (objects.size === 0) index.delete(bucket);
  }
}

/** Waits until every informer has synced; false if one did not within `timeoutMs`. */
export async function waitForAllSynced(
  informers: Iterable<{ waitForSync(timeoutMs?: number): Promise<boolean> }>,
  timeoutMs = 120_000,
): Promise<boolean> {
  const results = await Promise.all([...informers].map((informer) => informer.waitForSync(timeoutMs)));
  return results.every(Boolean);
}
