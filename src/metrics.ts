// The operator's Prometheus metrics (src/prometheus.ts), in a registry per instance, so that embedding
// the operator or running two in one process, as tests do, keeps counts apart. Names mirror
// controller-runtime's under `nomad_operator_`.
//
// Values that live elsewhere (queue depth, informer restarts, leadership) are read at scrape time
// from the objects registered with observeQueue(), trackInformer() and trackLeader().
import { registerProcessMetrics } from './process-metrics.ts';
import { Counter, Gauge, Histogram, Registry } from './prometheus.ts';

export type WriteVerb = 'apply' | 'create' | 'update' | 'patch' | 'delete';
export type ReconcileResult = 'success' | 'error' | 'requeue';

/** What a write helper needs: count one apiserver write. */
export interface WriteCounter {
  countWrite(verb: WriteVerb, kind: string): void;
}

/** A WorkQueue, as far as the depth gauges are concerned. */
export interface QueueLike {
  readonly depth: { waiting: number; delayed: number; processing: number };
}

/** An Informer, as far as the restarts counter is concerned. */
export interface InformerLike {
  readonly resource: string;
  readonly restarts: number;
}

export interface LeaderLike {
  isLeader(): boolean;
}

export interface MetricsOptions {
  /** Also export the process's CPU, memory and event-loop metrics (`nomad_operator_process_…`, `…_nodejs_…`). Default false. */
  processMetrics?: boolean;
}

/** Reconcile latencies: from a no-op (milliseconds) to a slow apply round (a minute). */
const reconcileBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class OperatorMetrics implements WriteCounter {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileDuration: Histogram;
  readonly queueDepth: Gauge;
  readonly queueDelayed: Gauge;
  readonly queueInFlight: Gauge;
  readonly queueRetries: Counter;
  readonly apiserverWrites: Counter;
  readonly informerRestarts: Counter;
  readonly leader: Gauge;

  readonly #queues = new Set<QueueLike>();
  /** Tracked informers and the restarts already added to the counter. */
  readonly #informers = new Map<InformerLike, number>();
  readonly #electors = new Set<LeaderLike>();
  #leaderValue = 0;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const queueTotals = () => {
      const totals = { waiting: 0, delayed: 0, processing: 0 };
      for (const queue of this.#queues) {
        const { waiting, delayed, processing } = queue.depth;
        totals.waiting += waiting;
        totals.delayed += delayed;
        totals.processing += processing;
      }
      return totals;
    };
    const collectInformers = () => {
      for (const informer of this.#informers.keys()) this.#collectInformer(informer);
    };

    this.reconcileTotal = new Counter({
      name: 'nomad_operator_reconcile_total',
      help: 'Reconciles by result (success, error, requeue).',
      labelNames: ['result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'nomad_operator_reconcile_errors_total',
      help: 'Reconciles that failed.',
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'nomad_operator_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      buckets: reconcileBuckets,
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'nomad_operator_queue_depth',
      help: 'Keys waiting for a worker (not counting delayed or in-flight keys).',
      registers,
      collect: () => this.queueDepth.set(queueTotals().waiting),
    });
    this.queueDelayed = new Gauge({
      name: 'nomad_operator_queue_delayed',
      help: 'Keys scheduled for later (backoff, requeue-after, resync).',
      registers,
      collect: () => this.queueDelayed.set(queueTotals().delayed),
    });
    this.queueInFlight = new Gauge({
      name: 'nomad_operator_queue_in_flight',
      help: 'Keys being reconciled.',
      registers,
      collect: () => this.queueInFlight.set(queueTotals().processing),
    });
    this.queueRetries = new Counter({
      name: 'nomad_operator_queue_retries_total',
      help: 'Keys re-queued with backoff after a failed reconcile.',
      registers,
    });
    this.apiserverWrites = new Counter({
      name: 'nomad_operator_apiserver_writes_total',
      help: 'Write requests sent to the apiserver, by verb and kind.',
      labelNames: ['verb', 'kind'],
      registers,
    });
    this.informerRestarts = new Counter({
      name: 'nomad_operator_informer_restarts_total',
      help: 'Informer restarts (after errors, staleness or on request), by resource.',
      labelNames: ['resource'],
      registers,
      collect: collectInformers,
    });
    this.leader = new Gauge({
      name: 'nomad_operator_leader',
      help: '1 while this replica is the leader (runs the controller), else 0.',
      registers,
      collect: () =>
        this.leader.set([...this.#electors].some((elector) => elector.isLeader()) ? 1 : this.#leaderValue),
    });
    if (options.processMetrics) registerProcessMetrics(this.registry, 'nomad_operator_');
  }

  /** Records one finished reconcile. */
  recordReconcile(result: ReconcileResult, durationSeconds: number): void {
    this.reconcileTotal.inc({ result });
    if (result === 'error') this.reconcileErrors.inc();
    this.reconcileDuration.observe(durationSeconds);
  }

  /** Counts one key re-queued with backoff (call next to WorkQueue.addRateLimited). */
  recordRetry(): void {
    this.queueRetries.inc();
  }

  countWrite(verb: WriteVerb, kind: string): void {
    this.apiserverWrites.inc({ verb, kind });
  }

  /** Reports this queue's depth at every scrape. Returns the function that stops it. */
  observeQueue(queue: QueueLike): () => void {
    this.#queues.add(queue);
    return () => this.#queues.delete(queue);
  }

  /** Counts this informer's restarts at every scrape. Returns the function that stops it. */
  trackInformer(informer: InformerLike): () => void {
    if (!this.#informers.has(informer)) {
      this.#informers.set(informer, 0);
      // Export the series at 0 from the start (rate() needs a first sample).
      this.informerRestarts.inc({ resource: informer.resource }, 0);
    }
    return () => {
      this.#collectInformer(informer);
      this.#informers.delete(informer);
    };
  }

  #collectInformer(informer: InformerLike): void {
    const counted = this.#informers.get(informer);
    if (counted === undefined) return;
    if (informer.restarts > counted)
      this.informerRestarts.inc({ resource: informer.resource }, informer.restarts - counted);
    this.#informers.set(informer, Math.max(counted, informer.restarts));
  }

  /** Reports leadership from an elector at every scrape. Returns the function that stops it. */
  trackLeader(elector: LeaderLike): () => void {
    this.#electors.add(elector);
    return () => this.#electors.delete(elector);
  }

  /** Sets leadership directly (e.g. 1 when leader election is off and the controller runs). */
  setLeader(leading: boolean): void {
    this.#leaderValue = leading ? 1 : 0;
  }

  /** The exposition text and its content type, for a /metrics handler. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: this.registry.metrics() };
  }

  /** Sum of apiserver writes so far, optionally of one verb and/or kind (for no-hot-loop checks). */
  async writes(filter: { verb?: WriteVerb; kind?: string } = {}): Promise<number> {
    const { values } = this.apiserverWrites.get();
    return values
      .filter(
        (sample) =>
          (filter.verb === undefined || sample.labels.verb === filter.verb) &&
          (filter.kind === undefined || sample.labels.kind === filter.kind),
      )
      .reduce((sum, sample) => sum + sample.value, 0);
  }
}

export function createMetrics(options: MetricsOptions = {}): OperatorMetrics {
  return new OperatorMetrics(options);
}

let processDefault: OperatorMetrics | undefined;

/**
 * The process-wide metrics that helpers fall back to when not handed an instance. The operator's
 * entry point should use this one (and serve its registry) unless it runs several operators.
 */
export function defaultMetrics(): OperatorMetrics {
  processDefault ??= createMetrics();
  return processDefault;
}

/** Counts one apiserver write; apply/patch/delete helpers call this. */
export function countWrite(verb: WriteVerb, kind: string, counter: WriteCounter = defaultMetrics()): void {
  counter.countWrite(verb, kind);
}
