// A resilient informer: a local cache of one resource kind kept in step with the apiserver by a
// list, then a watch from the list's resourceVersion (watch.ts), hardened as controller-runtime's and
// client-go's informers are:
//
// * any failure (of the list, of the watch request, a broken stream) restarts the run with a fresh
//   list, with exponential backoff (1 s → 30 s, ±10 % jitter; the count resets once a run lasted a
//   minute); a watch the server ended, or one silent past its inactivity bound, resumes from the last
//   resourceVersion seen (event or bookmark); 410 Gone lists afresh at once; a watch answered 429
//   (a watch cache still initializing after an apiserver restart) is tried again from the same
//   resourceVersion after its Retry-After, as client-go's reflector does;
// * watches can stall silently (half-open TCP, lost events): besides the watch's own inactivity
//   bound, a staleness watchdog restarts with a fresh list when nothing (no event, no list) was seen
//   for `staleAfterMs` (default 10 min);
// * the cache lives here, across restarts, and every (re)list is diffed against it, so objects that
//   vanished while no watch ran fire `delete`, changed ones `update`, new ones `add`.
//
// Every restart begins a new run; callbacks of a superseded run are ignored (a generation counter
// guards every one of them). onChange exists to enqueue keys: the controller reads the latest object
// from the cache (or the apiserver) when it reconciles.
//
// Memory: the cache holds only what the operator needs, as controller-runtime's cache transforms do.
// Callers select with a label selector (owned.ts: the operator's own objects only), and every object
// passes through `transform` before anything stores it (by default stripForCache: no managedFields,
// no kubectl last-applied copy, no workload pod templates, no Secret values, none of a pod's
// environment, volumes and tolerations), then is rebuilt compact with its short strings interned
// (compact.ts). The cache holds that one copy.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeApiError, kubeClient } from './client.ts';
import { compactJson } from './compact.ts';
import type { KubeConfig } from './kubeconfig.ts';
import { sleepUnlessAborted } from './sleep.ts';
import { type WatchEnd, watchCollection } from './watch.ts';

/** Watches answered 429 in a row before the run fails (and restarts with its backoff). */
const maxWatchRetries = 10;

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
 * and kubectl's last-applied annotation, a workload's pod template, a Secret's values and what of a
 * pod is never read (dropWorkloadTemplate, dropSecretData, dropUnreadPodFields). Returns a compact
 * copy (compact.ts: the deletes would leave hash-table objects larger than the whole object was);
 * `object` is left stripped.
 */
export function stripForCache<T extends KubernetesObject>(object: T): T {
  dropUnreadFields(object);
  return compactJson(object);
}

/** stripForCache's dropping, in place, without the compaction. */
function dropUnreadFields(object: KubernetesObject): void {
  const metadata = object.metadata;
  if (!metadata) return;
  delete metadata.managedFields;
  if (metadata.annotations && LAST_APPLIED in metadata.annotations) delete metadata.annotations[LAST_APPLIED];
  if (WORKLOAD_TEMPLATE[`${object.apiVersion} ${object.kind}`]) dropWorkloadTemplate(object);
  if (object.kind === 'Secret' && object.apiVersion === 'v1') dropSecretData(object);
  if (object.kind === 'Pod' && object.apiVersion === 'v1') dropUnreadPodFields(object);
}

/** Workload kinds and the field of their spec that holds the pod (or Job) template. */
const WORKLOAD_TEMPLATE: Record<string, 'template' | 'jobTemplate'> = {
  'apps/v1 Deployment': 'template',
  'apps/v1 ReplicaSet': 'template',
  'apps/v1 DaemonSet': 'template',
  'batch/v1 Job': 'template',
  'batch/v1 CronJob': 'jobTemplate',
};

/**
 * A workload's pod template is the translator's output (over half of the object, about 2.5 KB of heap
 * for a one-task Deployment, as much again for each of its ReplicaSets): the operator writes it and
 * never reads it back. The reconciler knows an applied workload by its applied-hash annotation and
 * translates afresh what it launches (a forced periodic run, a dispatch); the API and the status read
 * a workload's metadata (labels, annotations such as `deployment.kubernetes.io/revision`,
 * ownerReferences, resourceVersion), the rest of its spec (replicas, schedule, suspend) and its
 * status (pod-version.ts, owned.ts, status.ts, the API's job index). Those stay.
 */
function dropWorkloadTemplate(object: KubernetesObject): void {
  const field = WORKLOAD_TEMPLATE[`${object.apiVersion} ${object.kind}`];
  const spec = (object as { spec?: Record<string, unknown> }).spec;
  if (field && spec && field in spec) delete spec[field];
}

/**
 * A Secret's values (a dispatched child's payload, up to 16 KiB each): written by the reconciler,
 * known by its applied-hash annotation, never read back; and values the operator does not hold
 * cannot leak from its memory. Metadata and type stay.
 */
function dropSecretData(object: KubernetesObject): void {
  const secret = object as { data?: unknown; stringData?: unknown };
  delete secret.data;
  delete secret.stringData;
}

/**
 * What of a pod the operator never reads and holds elsewhere: the containers' environment and volume
 * mounts, the pod's volumes (the translator's output, in the Deployment or Job of the same cache, plus
 * the service-account token volume admission adds) and the tolerations admission adds. Of a pod's spec
 * the operator reads the node name and, of each container and init container, the name, image, ports
 * and restartPolicy (jobs/status.ts, jobs/scheduling.ts, api/responses/allocation.ts and service.ts);
 * those and the whole status and metadata stay.
 */
function dropUnreadPodFields(object: KubernetesObject): void {
  const spec = (object as { spec?: PodSpecFields }).spec;
  if (!spec) return;
  delete spec.volumes;
  delete spec.tolerations;
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    delete container.env;
    delete container.envFrom;
    delete container.volumeMounts;
  }
}

interface PodSpecFields {
  volumes?: unknown;
  tolerations?: unknown;
  containers?: { env?: unknown; envFrom?: unknown; volumeMounts?: unknown }[];
  initContainers?: { env?: unknown; envFrom?: unknown; volumeMounts?: unknown }[];
}

/**
 * stripForCache, except that the newest write of top-level `spec` fields stays, as a managedFields
 * entry of its manager, operation and time whose fieldsV1 is just `{"f:spec": {}}`: what tells when
 * a spec written without the submit-time annotation (kubectl) was submitted (jobs/versions.ts
 * submitTimeOf). For NomadJobs. Returns a compact copy, as stripForCache does.
 */
export function keepSpecWriteTime<T extends KubernetesObject>(object: T): T {
  const entries = object.metadata?.managedFields ?? [];
  let newest: (typeof entries)[number] | undefined;
  for (const entry of entries) {
    if (entry.subresource === 'status' || !entry.time) continue;
    if (!Object.hasOwn((entry.fieldsV1 as Record<string, unknown> | undefined) ?? {}, 'f:spec')) continue;
    if (!newest || new Date(entry.time).getTime() > new Date(newest.time ?? 0).getTime()) newest = entry;
  }
  dropUnreadFields(object);
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
  return compactJson(object);
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

type CacheMap<T> = Map<string, Map<string, T>>;

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
  const client = kubeClient(kc);
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  let continueToken: string | undefined;
  do {
    const page = await client.request<KubernetesListObject<T> & { metadata?: { continue?: string } }>({
      method: 'GET',
      path,
      query: {
        labelSelector: options.labelSelector || undefined,
        fieldSelector: options.fieldSelector || undefined,
        limit: options.pageSize ?? 500,
        continue: continueToken,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
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
  #run: Promise<void> | undefined;
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

  // --- one run: a fresh list, then watches from its resourceVersion ---------------------------

  #begin(): void {
    const generation = ++this.#generation;
    const abort = new AbortController();
    this.#runAbort = abort;
    this.#runStartedAt = Date.now();
    const current = () => generation === this.#generation && this.#running;
    this.#log?.debug({ generation }, 'Starting list and watch');
    this.#run = this.#listAndWatch(current, abort.signal).catch((error: unknown) => {
      if (current()) this.#onError(error);
    });
  }

  /** Lists, then watches until superseded; relists only after 410 Gone. Rejects on any failure. */
  async #listAndWatch(current: () => boolean, signal: AbortSignal): Promise<void> {
    const client = kubeClient(this.#kc);
    let resourceVersion = '';
    // After a watch that ended without a single event, the next waits (1 s doubling to 30 s), so a
    // server that closes watches at once is not hammered; any event resets it (as client-node's
    // ListWatch did).
    let reconnectDelayMs = 0;
    let watched = false;
    let tooManyRequests = 0;
    while (current()) {
      if (!resourceVersion) {
        const list = await listPath<T>(this.#kc, this.path, {
          labelSelector: this.#labelSelector,
          fieldSelector: this.#fieldSelector,
          pageSize: this.#pageSize,
          signal,
        });
        if (!current()) return;
        list.items = list.items.map(this.#transform);
        this.#replace(list.items);
        resourceVersion = list.metadata?.resourceVersion ?? '';
        if (!resourceVersion) throw new Error(`list ${this.path}: no resourceVersion to watch from`);
      }
      if (watched && reconnectDelayMs > 0)
        await sleepUnlessAborted(reconnectDelayMs, signal, { unref: true });
      if (!current()) return;
      if (watched) reconnectDelayMs = Math.min(reconnectDelayMs > 0 ? reconnectDelayMs * 2 : 1_000, 30_000);
      watched = true;
      let end: WatchEnd;
      try {
        end = await watchCollection<T>(
          client,
          this.path,
          {
            resourceVersion,
            ...(this.#labelSelector ? { labelSelector: this.#labelSelector } : {}),
            ...(this.#fieldSelector ? { fieldSelector: this.#fieldSelector } : {}),
            signal,
          },
          (event) => {
            if (!current()) return;
            this.#touch();
            if (event.type === 'ERROR') return;
            reconnectDelayMs = 0;
            if (event.type === 'ADDED' || event.type === 'MODIFIED')
              this.#upsert(this.#transform(event.object));
            else if (event.type === 'DELETED') this.#remove(this.#transform(event.object));
          },
        );
        tooManyRequests = 0;
      } catch (error) {
        // 429 (the watch cache of a resource still initializing after an apiserver restart, or
        // priority and fairness): wait its Retry-After and watch again from the same
        // resourceVersion, as client-go's reflector does, rather than restart with a fresh list.
        if (!(error instanceof KubeApiError && error.code === 429) || ++tooManyRequests > maxWatchRetries)
          throw error;
        const seconds = Number(error.headers['retry-after']);
        await sleepUnlessAborted(
          Math.min(10, Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000,
          signal,
          { unref: true },
        );
        watched = false;
        continue;
      }
      if (!current()) return;
      // 410 Gone: the resourceVersion is too old to resume from; list afresh.
      resourceVersion = end.reason === 'gone' ? '' : end.resourceVersion;
      // A silent watch already waited its inactivity bound: resume at once.
      if (end.reason === 'inactive') reconnectDelayMs = 0;
    }
  }

  async #endRun(): Promise<void> {
    this.#generation++;
    this.#runAbort?.abort();
    this.#runAbort = undefined;
    const run = this.#run;
    this.#run = undefined;
    await run;
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
