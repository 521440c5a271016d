// Leader election on a coordination.k8s.io/v1 Lease, after client-go's tools/leaderelection, with
// controller-runtime's defaults: LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s. Each Lease
// request is bounded by RenewDeadline (client.ts); the Lease's times are sent as MicroTime strings.
//
// * Candidates read the Lease every RetryPeriod (×1..1.2 jitter) and take it when it is free
//   (no holder: created, or released) or expired: its record has not changed for LeaseDuration as
//   measured on the candidate's own monotonic clock since it last saw the record change (so clock
//   skew between replicas does not matter, as in client-go).
// * Every write is a replace carrying the resourceVersion just read: 409 Conflict = lost the race.
// * The leader renews every RetryPeriod. Leadership lasts until (start of the last successful
//   renew request) + RenewDeadline; a timer enforces that even while a request hangs, so the
//   leader's signal is aborted before anyone else can see the lease expire
//   (RenewDeadline < LeaseDuration; the successful write happened after the request started and
//   others measure LeaseDuration from when they saw it).
// * After losing leadership the elector campaigns again and may lead again (a new signal each
//   term): `nomad-operator run` stays up as a standby meanwhile (src/cli/run.ts); a process that
//   prefers to exit can do so in onStoppedLeading. release() and stop() end the campaign first,
//   so a shutting-down process never wins the Lease back.
// * release() (graceful shutdown) aborts the signal, waits for the leader's work to settle (never
//   past its leadership deadline), then writes an empty holder so a successor takes over at once.
//   stop() gives up without touching the Lease (as a crash would): successors wait LeaseDuration.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeApiError, type KubeClient, kubeClient } from './client.ts';
import type { KubeConfig } from './kubeconfig.ts';
import { sleepUnlessAborted } from './sleep.ts';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease. */
  name: string;
  /** Unique per replica. Default: hostname + '_' + 8 random hex digits. */
  identity?: string;
  /** How long a lease stays valid without renewal, seen from a candidate. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps leading without a successful renewal. Default 10 s. */
  renewDeadlineMs?: number;
  /** Interval between attempts (to acquire or renew). Default 2 s. */
  retryPeriodMs?: number;
  /** Called on becoming leader; `signal` aborts when leadership ends. May return the work's promise. */
  onStartedLeading: (signal: AbortSignal) => unknown;
  /** Called once per term after the signal was aborted. */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this replica). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
}

export const leaderElectionDefaults = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
} as const;

/** client-go's JitterFactor: acquire attempts wait RetryPeriod × [1, 1.2). */
const jitterFactor = 1.2;

/** Checks client-go's constraints: LeaseDuration > RenewDeadline > 1.2 × RetryPeriod > 0. */
export function validateLeaderTimings(t: {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}): string | undefined {
  if (!(t.retryPeriodMs > 0)) return 'retry period must be > 0';
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) return 'lease duration must be greater than renew deadline';
  if (!(t.renewDeadlineMs > jitterFactor * t.retryPeriodMs))
    return `renew deadline must be greater than ${jitterFactor} × retry period`;
  return undefined;
}

export function defaultIdentity(): string {
  return `${os.hostname()}_${randomBytes(4).toString('hex')}`;
}

interface Term {
  abort: AbortController;
  /** performance.now() at which leadership ends unless renewed. */
  deadline: number;
  timer: NodeJS.Timeout;
  work: Promise<unknown>;
}

function httpStatus(error: unknown): number | undefined {
  return error instanceof KubeApiError ? error.code : undefined;
}

function describe(error: unknown): string {
  if (error instanceof KubeApiError) return `HTTP ${error.code}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A MicroTime as the apiserver parses it (RFC 3339 with exactly six fractional digits): a Lease's
 * acquireTime and renewTime are refused with a Date's three.
 */
export function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/u, '.$1000Z');
}

/** `V1LeaseSpec` with its times as the strings the apiserver sends and takes. */
type LeaseSpecOnWire = Omit<V1LeaseSpec, 'acquireTime' | 'renewTime'> & {
  acquireTime?: string;
  renewTime?: string;
};
type LeaseOnWire = Omit<V1Lease, 'spec'> & { spec?: LeaseSpecOnWire };

export class LeaderElector {
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly #client: KubeClient;
  readonly #options: LeaderElectionOptions;
  readonly #log: Logger | undefined;

  #running = false;
  #loop: Promise<void> | undefined;
  /** Aborts in-flight requests and the wait between attempts. */
  #stopAbort = new AbortController();
  #term: Term | undefined;
  #observedVersion: string | undefined;
  #observedAt = 0;
  #observedHolder = '';

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.identity = options.identity ?? defaultIdentity();
    this.namespace = options.namespace;
    this.name = options.name;
    this.leaseDurationMs = options.leaseDurationMs ?? leaderElectionDefaults.leaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? leaderElectionDefaults.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? leaderElectionDefaults.retryPeriodMs;
    const invalid = validateLeaderTimings(this);
    if (invalid) throw new RangeError(`leader election: ${invalid}`);
    if (!this.identity) throw new RangeError('leader election: identity must not be empty');
    this.#client = kubeClient(options.kubeConfig);
    this.#log = options.logger?.child({ lease: `${this.namespace}/${this.name}`, identity: this.identity });
  }

  /** Starts campaigning in the background (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopAbort = new AbortController();
    this.#loop = this.#run();
  }

  isLeader(): boolean {
    return this.#term !== undefined;
  }

  /** The holder last seen on the Lease ('' when free or not read yet). */
  get observedLeader(): string {
    return this.#observedHolder;
  }

  /**
   * Stops campaigning and leading without touching the Lease: what a crash looks like to the
   * other replicas, which take over once the lease expires.
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopAbort.abort();
    this.#stepDown('stopped');
    await this.#loop;
    this.#loop = undefined;
  }

  /**
   * Graceful hand-over: stops campaigning and leading (aborts the signal), waits for the promise
   * returned by onStartedLeading to settle (at most until the leadership deadline), then clears the
   * holder if this replica is still named on the Lease, so that a successor takes over at once.
   * `timeoutMs` bounds the whole (a shutdown's bound): the wait for the work is cut short, and the
   * Lease requests are given what is left (at least half a second each).
   */
  async release(options: { timeoutMs?: number } = {}): Promise<void> {
    const end = performance.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
    const term = this.#term;
    this.#running = false;
    this.#stopAbort.abort();
    this.#stepDown('released');
    await this.#loop;
    this.#loop = undefined;
    if (term) {
      const window = Math.min(term.deadline, end) - performance.now();
      if (window > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          term.work,
          new Promise((resolve) => {
            timer = setTimeout(resolve, window);
          }),
        ]);
        clearTimeout(timer);
      }
    }
    // Also after a lost term (renew deadline exceeded) while the Lease still names this replica.
    if (term || this.#observedHolder === this.identity) {
      await this.#releaseLease(Math.max(500, Math.min(this.renewDeadlineMs, end - performance.now())));
    }
  }

  // --- the campaign loop ---------------------------------------------------------------------

  async #run(): Promise<void> {
    while (this.#running) {
      await this.#tryAcquireOrRenew();
      if (!this.#running) break;
      const wait = this.#term
        ? this.retryPeriodMs
        : this.retryPeriodMs * (1 + (jitterFactor - 1) * Math.random());
      await sleepUnlessAborted(wait, this.#stopAbort.signal);
    }
  }

  /** A request on the Lease (`name`: the Lease itself, else its collection), aborted by stop() or after RenewDeadline. */
  async #call(
    method: 'GET' | 'POST' | 'PUT',
    body?: LeaseOnWire,
    stoppable = true,
    timeoutMs = this.renewDeadlineMs,
  ): Promise<LeaseOnWire> {
    const abort = new AbortController();
    const onStop = () => abort.abort(new Error('stopped'));
    if (stoppable) this.#stopAbort.signal.addEventListener('abort', onStop, { once: true });
    const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
    try {
      return await this.#client.request<LeaseOnWire>({
        method,
        path: method === 'POST' ? collection : `${collection}/${encodeURIComponent(this.name)}`,
        ...(body ? { body } : {}),
        timeoutMs,
        signal: abort.signal,
      });
    } finally {
      this.#stopAbort.signal.removeEventListener('abort', onStop);
    }
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const started = performance.now();
    const now = microTime();
    let lease: LeaseOnWire;
    try {
      lease = await this.#call('GET');
    } catch (error) {
      if (httpStatus(error) !== 404) {
        this.#log?.debug({ error: describe(error) }, 'Could not read the lease');
        return;
      }
      try {
        const created = await this.#call('POST', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        });
        this.#observe(created);
        this.#renewed(started);
      } catch (createError) {
        this.#log?.debug({ error: describe(createError) }, 'Could not create the lease');
      }
      return;
    }

    this.#observe(lease);
    const holder = lease.spec?.holderIdentity ?? '';
    if (
      holder !== '' &&
      holder !== this.identity &&
      this.#observedAt + this.leaseDurationMs > performance.now()
    ) {
      // Held by another replica, and not expired.
      if (this.#term) this.#stepDown(`lease taken by ${holder}`);
      return;
    }
    const previous: LeaseSpecOnWire = lease.spec ?? {};
    const spec: LeaseSpecOnWire = {
      ...previous,
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: now,
      acquireTime: holder === this.identity && previous.acquireTime ? previous.acquireTime : now,
      leaseTransitions: (previous.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1),
    };
    try {
      const replaced = await this.#call('PUT', { ...lease, spec });
      this.#observe(replaced);
      this.#renewed(started);
    } catch (error) {
      // 409: another replica wrote first (or the leader renewed). Anything else: retry later; the
      // leadership deadline decides whether that costs the lead.
      this.#log?.debug({ error: describe(error) }, 'Could not acquire or renew the lease');
    }
  }

  #observe(lease: LeaseOnWire): void {
    const version = lease.metadata?.resourceVersion;
    if (version !== this.#observedVersion) {
      this.#observedVersion = version;
      this.#observedAt = performance.now();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.#observedHolder) {
      this.#observedHolder = holder;
      if (holder !== '') {
        this.#log?.info({ leader: holder }, 'Observed a new leader');
        try {
          this.#options.onNewLeader?.(holder);
        } catch (error) {
          this.#log?.error({ err: error }, 'onNewLeader threw');
        }
      }
    }
  }

  /** A write that started at `started` made this replica the holder. */
  #renewed(started: number): void {
    const deadline = started + this.renewDeadlineMs;
    const remaining = deadline - performance.now();
    // Too late to count (the request took longer than the deadline), or stopped meanwhile.
    if (remaining <= 0 || !this.#running) return;
    const term = this.#term;
    if (term) {
      term.deadline = deadline;
      clearTimeout(term.timer);
      term.timer = this.#deadlineTimer(remaining);
      return;
    }
    const abort = new AbortController();
    const next: Term = { abort, deadline, timer: this.#deadlineTimer(remaining), work: Promise.resolve() };
    this.#term = next;
    this.#log?.info('Became leader');
    try {
      next.work = Promise.resolve(this.#options.onStartedLeading(abort.signal)).catch((error: unknown) => {
        this.#log?.error({ err: error }, 'Leader work failed');
      });
    } catch (error) {
      this.#log?.error({ err: error }, 'onStartedLeading threw');
    }
  }

  #deadlineTimer(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.#stepDown('renew deadline exceeded'), ms);
  }

  #stepDown(reason: string): void {
    const term = this.#term;
    if (!term) return;
    this.#term = undefined;
    clearTimeout(term.timer);
    term.abort.abort(new Error(`leadership ended: ${reason}`));
    this.#log?.info({ reason }, 'Stopped leading');
    try {
      this.#options.onStoppedLeading?.();
    } catch (error) {
      this.#log?.error({ err: error }, 'onStoppedLeading threw');
    }
  }

  /** Clears the holder if this replica still holds the lease; each request within `timeoutMs`. */
  async #releaseLease(timeoutMs: number): Promise<void> {
    try {
      const lease = await this.#call('GET', undefined, false, timeoutMs);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime();
      await this.#call(
        'PUT',
        {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
        },
        false,
        timeoutMs,
      );
      this.#log?.info('Released the lease');
    } catch (error) {
      this.#log?.warn(
        { error: describe(error) },
        'Could not release the lease; successors wait for it to expire',
      );
    }
  }
}
