// Client-side rate limit on apiserver writes: a token bucket, as client-go's flowcontrol
// (NewTokenBucketRateLimiter) does for every request of a rest.Config.
//
// Defaults: 50 writes per second with bursts of 100 (--kube-api-qps / --kube-api-burst). The operator
// must never be the slower half of a rollout: kube-controller-manager writes about five times per new
// Deployment at its own 20 per second, and a job costs the operator a few writes too, so 20/s (the
// controller-runtime default) made the operator the bottleneck (docs/performance.md). 50/s stays far
// inside the apiserver's priority-and-fairness budget: a service account's requests share the
// workload-low level, about 245 of a default apiserver's 600 seats, and a write holds a seat for
// milliseconds, so 50 writes/s keep about one seat busy. The bucket holds
// at most `burst` tokens and refills at `qps` tokens per second; `take()` resolves at once while a
// token is available, otherwise after the time the next token needs. Waiters are served in call
// order. A non-finite or non-positive qps means "no limit".
//
// Only writes are limited: reads come from the informer caches, not the apiserver.

export const DEFAULT_WRITE_QPS = 50;
export const DEFAULT_WRITE_BURST = 100;

export interface TokenBucketOptions {
  /** Tokens added per second. Default DEFAULT_WRITE_QPS; <= 0 or Infinity disables the limit. */
  qps?: number;
  /** Bucket size (and the initial fill). Default DEFAULT_WRITE_BURST; at least 1. */
  burst?: number;
  /** Clock in milliseconds (tests). Default Date.now, so fake timers move it. */
  now?: () => number;
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  /** The end of the queue of waiters: each take() waits for the previous one. */
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  constructor(options: TokenBucketOptions = {}) {
    const qps = options.qps ?? DEFAULT_WRITE_QPS;
    this.qps = Number.isFinite(qps) && qps > 0 ? qps : Number.POSITIVE_INFINITY;
    const burst = options.burst ?? DEFAULT_WRITE_BURST;
    this.burst = Number.isFinite(burst) && burst >= 1 ? Math.floor(burst) : 1;
    this.#now = options.now ?? Date.now;
    this.#tokens = this.burst;
    this.#last = this.#now();
  }

  get unlimited(): boolean {
    return this.qps === Number.POSITIVE_INFINITY;
  }

  /** Callers currently waiting for a token. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Tokens available now (fractional while refilling). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes a token if one is available now, without waiting. */
  tryTake(): boolean {
    if (this.unlimited) return true;
    if (this.#waiting > 0) return false;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Resolves once a token is taken; callers are served in order. */
  take(): Promise<void> {
    if (this.unlimited) return Promise.resolve();
    this.#waiting++;
    const turn = this.#tail.then(() => this.#acquire());
    this.#tail = turn;
    return turn;
  }

  async #acquire(): Promise<void> {
    try {
      for (;;) {
        this.#refill();
        if (this.#tokens >= 1) {
          this.#tokens -= 1;
          return;
        }
        const waitMs = Math.max(1, Math.ceil(((1 - this.#tokens) / this.qps) * 1000));
        await new Promise<void>((resolve) => setTimeout(resolve, waitMs));
      }
    } finally {
      this.#waiting--;
    }
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.qps);
  }
}

const sharedBuckets = new WeakMap<object, TokenBucket>();

/**
 * The one bucket of every writer made for these credentials (a KubeConfig: the controller's and the
 * Nomad API's in one process share it, as all clients of one rest.Config share client-go's limiter).
 * The first call's options size it; later calls get the same bucket whatever they pass.
 */
export function sharedWriteLimiter(credentials: object, options: TokenBucketOptions = {}): TokenBucket {
  let bucket = sharedBuckets.get(credentials);
  if (!bucket) {
    bucket = new TokenBucket(options);
    sharedBuckets.set(credentials, bucket);
  }
  return bucket;
}
