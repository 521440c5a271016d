// The running controller: informers fill caches and enqueue keys; workers take keys from the queue
// and reconcile them; failures back off per key; every job is resynced periodically as a safety
// net. Only the leader runs workers (see leader.ts); every replica keeps warm caches.
import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { NomadJobObject } from '../crd/resource.ts';
import { cacheTransformFor } from '../jobs/cache-transforms.ts';
import { managedSelector, nomadJobKind, ownedKinds, ownerKeysOf } from '../jobs/owned.ts';
import { cronChildKey } from '../jobs/periodic.ts';
import { Informer, objectKey } from '../kube/informer.ts';
import { makeKubeWriter } from '../kube/kube-writer.ts';
import type { KubeConfig } from '../kube/kubeconfig.ts';
import { WorkQueue } from '../kube/queue.ts';
import {
  DEFAULT_WRITE_BURST,
  DEFAULT_WRITE_QPS,
  sharedWriteLimiter,
  type TokenBucket,
} from '../kube/rate-limit.ts';
import { type CacheSource, type ClusterReader, cacheReader } from '../kube/reader.ts';
import type { ClusterWriter } from '../kube/writer.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { jobObjectName } from '../nomad/ids.ts';
import { ANNOTATION_PARENT_ID } from '../nomad/keys.ts';
import { OwnWrites } from './own-writes.ts';
import { type ReconcileOptions, reconcile } from './reconcile.ts';
import { TranslationMemo } from './translations.ts';

export interface ControllerOptions extends ReconcileOptions {
  kubeConfig: KubeConfig;
  metrics: OperatorMetrics;
  logger: Logger;
  workers?: number;
  resyncMs?: number;
  informerStaleAfterMs?: number;
  /** Watch one namespace only (default: all namespaces). */
  namespace?: string;
  /**
   * Client-side limit on apiserver writes (token bucket, see kube/rate-limit.ts), shared with every
   * other writer of the same KubeConfig (the Nomad API's). Default DEFAULT_WRITE_QPS.
   */
  writeQps?: number;
  /** Burst of that limit. Default DEFAULT_WRITE_BURST. */
  writeBurst?: number;
}

/** `/apis/apps/v1/deployments` → `/apis/apps/v1/namespaces/<ns>/deployments`. */
export function namespacedPath(path: string, namespace: string | undefined): string {
  if (!namespace) return path;
  const cut = path.lastIndexOf('/');
  return `${path.slice(0, cut)}/namespaces/${namespace}${path.slice(cut)}`;
}

export class Controller {
  readonly queue = new WorkQueue();
  readonly nomadJobs: Informer<NomadJobObject>;
  readonly owned = new Map<string, Informer<KubernetesObject>>();
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  readonly #writer: ClusterWriter;
  readonly #view: ClusterReader;
  /** NomadJobs as the reconciler last patched them, until the cache shows them (own-writes.ts). */
  readonly #ownWrites = new OwnWrites(cacheTransformFor('NomadJob'));
  /** What each reconcile is given: the options, and the translations kept between reconciles. */
  readonly #reconcileOptions: ReconcileOptions;
  /** Every apiserver write of the process waits for a token of this bucket. */
  readonly writeLimiter: TokenBucket;
  #workers: Promise<void>[] = [];
  #resyncTimer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    const translations = new TranslationMemo();
    this.#reconcileOptions = { ...options, translations };
    this.#log = options.logger.child({ component: 'controller' });
    const kubeConfig = options.kubeConfig;
    const common = { kubeConfig, logger: options.logger, staleAfterMs: options.informerStaleAfterMs };
    this.nomadJobs = new Informer<NomadJobObject>({
      ...common,
      path: namespacedPath(nomadJobKind.path, options.namespace),
      transform: cacheTransformFor('NomadJob'),
    });
    this.nomadJobs.onChange((job, type) => {
      if (type === 'delete') translations.forget(job);
      this.queue.add(objectKey(job));
      // A child's status is part of its parent's (status.children).
      const parentId = job.metadata?.annotations?.[ANNOTATION_PARENT_ID];
      if (parentId !== undefined && job.metadata?.namespace)
        this.queue.add(`${job.metadata.namespace}/${jobObjectName(parentId)}`);
    });
    for (const kind of ownedKinds) {
      const informer = new Informer<KubernetesObject>({
        ...common,
        path: kind.path,
        labelSelector: managedSelector,
        transform: cacheTransformFor(kind.kind),
      });
      informer.onChange((object) => {
        for (const key of ownerKeysOf(object)) this.queue.add(key);
        // Jobs launched by a parent's CronJobs, and their pods, also belong to a child NomadJob.
        const childKey = this.#cronChildKeyOf(kind.kind, object);
        if (childKey) this.queue.add(childKey);
      });
      this.owned.set(kind.kind, informer);
    }
    this.writeLimiter = sharedWriteLimiter(kubeConfig, {
      qps: options.writeQps ?? DEFAULT_WRITE_QPS,
      burst: options.writeBurst ?? DEFAULT_WRITE_BURST,
    });
    for (const informer of this.informers) options.metrics.trackInformer(informer);
    options.metrics.observeQueue(this.queue);
    this.#view = this.#makeView();
    this.#writer = this.#ownWrites.noting(
      makeKubeWriter(kubeConfig, {
        limiter: this.writeLimiter,
        metrics: options.metrics,
        onEventFailure: (reason) => this.#log.warn({ reason }, 'could not record an event'),
      }),
    );
  }

  /** The write side (rate-limited: writeLimiter), for whatever else writes for this process. */
  get writer(): ClusterWriter {
    return this.#writer;
  }

  /** The read side over the caches (what reconciles read; the API may read evaluations through it). */
  get view(): ClusterReader {
    return this.#view;
  }

  get informers(): Informer<KubernetesObject>[] {
    return [this.nomadJobs as unknown as Informer<KubernetesObject>, ...this.owned.values()];
  }

  /** Starts the caches (every replica does this, so a new leader starts warm). */
  startInformers(): void {
    for (const informer of this.informers) informer.start();
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  async waitForSync(timeoutMs = 120_000): Promise<boolean> {
    const results = await Promise.all(this.informers.map((i) => i.waitForSync(timeoutMs)));
    return results.every(Boolean);
  }

  /**
   * Runs the workers until pause() or stop(); call once the caches are synced and this replica
   * leads. After pause() it runs again with the keys queued meanwhile.
   */
  run(): void {
    if (this.#running || this.queue.shuttingDown) return;
    this.#running = true;
    this.queue.resume();
    for (const job of this.nomadJobs.list()) this.queue.add(objectKey(job));
    const workers = this.#options.workers ?? 4;
    this.#workers = Array.from({ length: workers }, () => this.#work());
    this.#scheduleResync();
  }

  /**
   * Stops taking new keys and lets in-flight reconciles finish; the caches stay warm and keys keep
   * being queued for the next run() (a replica that lost the Lease becomes a standby).
   */
  async pause(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#resyncTimer);
    this.queue.pause();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  /** Stops taking new keys, lets in-flight reconciles finish, stops the informers. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.#workers);
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  #scheduleResync(): void {
    const every = this.#options.resyncMs ?? 10 * 60_000;
    this.#resyncTimer = setTimeout(() => {
      for (const job of this.nomadJobs.list()) this.queue.add(objectKey(job));
      if (this.#running) this.#scheduleResync();
    }, every);
    this.#resyncTimer.unref();
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      // The key arrives in a microtask of the watch event that enqueued it, ahead of what the same
      // event resolves for the Nomad API (a register's wait for its echo, a blocking query): a turn of
      // the event loop first lets those answer before this reconcile's own work.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const log = this.#log.child({ job: key });
      const end = this.#options.metrics.reconcileDuration.startTimer();
      try {
        const outcome = await reconcile(key, this.#view, this.#writer, this.#reconcileOptions);
        if (outcome.result === 'invalid') {
          // A spec the user must fix: retried with backoff (the fix itself also enqueues it).
          this.#options.metrics.reconcileTotal.inc({ result: 'requeue' });
          this.#options.metrics.queueRetries.inc();
          log.warn({ reason: outcome.message }, 'invalid job spec');
          this.queue.addRateLimited(key);
        } else {
          this.#options.metrics.reconcileTotal.inc({ result: 'success' });
          this.queue.forget(key);
          if (outcome.result === 'behind' && outcome.retryAfterMs !== undefined)
            this.queue.addAfter(key, outcome.retryAfterMs);
        }
      } catch (error) {
        this.#options.metrics.reconcileTotal.inc({ result: 'error' });
        this.#options.metrics.reconcileErrors.inc();
        this.#options.metrics.queueRetries.inc();
        const delay = this.queue.addRateLimited(key);
        log.error({ err: error, retryInMs: delay }, 'reconcile failed');
      } finally {
        end();
        this.queue.done(key);
      }
      // A reconcile that writes nothing never leaves the microtask queue, so a run of them (a resync
      // re-enqueues every job) would hold the event loop for seconds: no watch event, no Nomad API
      // request in between. Each reconcile ends with a turn of the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #cronChildKeyOf(kind: string, object: KubernetesObject): string | undefined {
    if (kind === 'Job') return cronChildKey(object as V1Job);
    if (kind !== 'Pod') return undefined;
    const owner = object.metadata?.ownerReferences?.find((r) => r.kind === 'Job' && r.controller);
    if (!owner) return undefined;
    const job = this.owned.get('Job')?.get(object.metadata?.namespace, owner.name);
    return job ? cronChildKey(job as V1Job) : undefined;
  }

  #makeView(): ClusterReader {
    const nomadJobs = this.#ownWrites.over(this.nomadJobs);
    return cacheReader((kind) =>
      kind === 'NomadJob' ? nomadJobs : (this.owned.get(kind) as CacheSource | undefined),
    );
  }
}
