// A keyed, deduplicating work queue in the manner of client-go's workqueue, which controller-runtime
// and kube-rs both build on. Events only ever add keys; reconcile reads the latest object itself.
//
// Guarantees:
// * a key is queued at most once, however many events arrive before a worker takes it;
// * a key is never handed to two workers at once: a key added while it is being processed is
//   marked dirty and queued again when the worker calls done();
// * failures back off per key, exponentially, until forget(key) resets it after a success;
// * addAfter() delays a key (requeue-after, periodic resync) without losing dedupe;
// * pause() hands out no keys (waiting get() calls resolve with undefined) but keeps collecting
//   them, so that resume() lets workers pick up where they left (a leader that lost its Lease
//   and won it back).

export interface BackoffOptions {
  /** First retry delay. Default 200 ms. */
  baseMs?: number;
  /** Cap on the delay. Default 5 minutes. */
  maxMs?: number;
}

export class WorkQueue<K extends string = string> {
  readonly #queue: K[] = [];
  /** Keys waiting in #queue or to be re-queued (dirty while processing). */
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #failures = new Map<K, number>();
  readonly #timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: Array<(key: K | undefined) => void> = [];
  readonly #baseMs: number;
  readonly #maxMs: number;
  #shuttingDown = false;
  #paused = false;

  constructor(options: BackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 200;
    this.#maxMs = options.maxMs ?? 5 * 60_000;
  }

  /** Number of keys waiting for a worker (not counting delayed or in-flight ones). */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys waiting, delayed or in flight: what a metric of "queue depth" should show. */
  get depth(): { waiting: number; delayed: number; processing: number } {
    return { waiting: this.#queue.length, delayed: this.#timers.size, processing: this.#processing.size };
  }

  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // done() will queue it again
    const waiter = this.#paused ? undefined : this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
    } else {
      this.#queue.push(key);
    }
  }

  /** Stops handing out keys until resume(): waiting get() calls resolve with undefined. */
  pause(): void {
    this.#paused = true;
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  resume(): void {
    this.#paused = false;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Adds `key` after `delayMs`. An earlier pending delay for the same key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Adds `key` after its next backoff delay: base × 2^(failures), capped. */
  addRateLimited(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(failures, 30));
    this.addAfter(key, delay);
    return delay;
  }

  /** How many times in a row `key` has failed. */
  retries(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Resets the backoff of `key` (call after a successful reconcile). */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** The next key to process; waits for one. `undefined` once the queue is shut down or paused. */
  get(): Promise<K | undefined> {
    if (this.#paused) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` as processed; queues it again if it was added meanwhile. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  /** Stops handing out keys: waiting get() calls resolve with undefined, delayed keys are dropped. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys currently handed to workers. */
  get inFlight(): number {
    return this.#processing.size;
  }
}
