// Whether the kube-apiserver answers: its /readyz polled every `intervalMs` (default 2 s) with a
// short timeout. The operator's own /readyz reports it (src/api/ops.ts), and the Nomad API refuses
// writes at once while it is unreachable instead of letting them wait on a dead connection
// (src/api/server.ts). Every authenticated identity may read /readyz (the apiserver's default
// system:public-info-viewer role), so this needs no RBAC of its own.
import type { Logger } from 'pino';
import { KubeApiError, kubeClient } from './client.ts';
import type { KubeConfig } from './kubeconfig.ts';

export interface ApiserverReachability {
  /** The last probe's answer; true until the first probe failed. */
  reachable(): boolean;
}

export interface ApiserverProbeOptions {
  kubeConfig: KubeConfig;
  intervalMs?: number;
  /** How long one probe may take. Default 2 s. */
  timeoutMs?: number;
  logger?: Logger;
}

export class ApiserverProbe implements ApiserverReachability {
  readonly #kubeConfig: KubeConfig;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #log: Logger | undefined;
  #reachable = true;
  readonly #listeners = new Set<(reachable: boolean) => void>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: ApiserverProbeOptions) {
    this.#kubeConfig = options.kubeConfig;
    this.#intervalMs = options.intervalMs ?? 2_000;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#log = options.logger;
  }

  reachable(): boolean {
    return this.#reachable;
  }

  /** Calls `listener` on every change (unreachable → reachable and back); returns the unsubscribe. */
  onChange(listener: (reachable: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#tick();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  /** Probes once now and records the answer. */
  async probe(): Promise<boolean> {
    const ok = await this.#get().catch(() => false);
    if (ok === this.#reachable) return ok;
    this.#reachable = ok;
    if (ok) this.#log?.info('kube-apiserver reachable again');
    else this.#log?.warn('kube-apiserver unreachable');
    for (const listener of this.#listeners) {
      try {
        listener(ok);
      } catch (error) {
        this.#log?.error({ err: error }, 'reachability listener threw');
      }
    }
    return ok;
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    await this.probe();
    if (!this.#running) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  async #get(): Promise<boolean> {
    try {
      // A connection of its own each time: a pooled one the apiserver dropped while idle would make
      // one probe fail for nothing.
      await kubeClient(this.#kubeConfig).request({
        method: 'GET',
        path: '/readyz',
        timeoutMs: this.#timeoutMs,
        retryTooManyRequests: false,
        freshConnection: true,
      });
      return true;
    } catch (error) {
      // 200: ready. 401/403: it answers, though a hardened cluster hides its readiness from this
      // identity; count that as reachable rather than never becoming ready. Anything else (500
      // while etcd is away, 503 while starting or stopping, no answer) cannot take writes.
      return error instanceof KubeApiError && (error.code === 401 || error.code === 403);
    }
  }
}
