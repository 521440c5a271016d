// Whether the kube-apiserver answers: its /readyz polled every `intervalMs` (default 2 s) with a
// short timeout. The operator's own /readyz reports it (src/api/ops.ts), and the Nomad API refuses
// writes at once while it is unreachable instead of letting them wait on a dead connection
// (src/api/server.ts). Every authenticated identity may read /readyz (the apiserver's default
// system:public-info-viewer role), so this needs no RBAC of its own.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

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
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (!cluster) return false;
    const options: https.RequestOptions = { method: 'GET', timeout: this.#timeoutMs };
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const url = new URL('/readyz', cluster.server);
    const request = url.protocol === 'https:' ? https.request : http.request;
    try {
      return await new Promise<boolean>((resolve) => {
        const req = request(url, options, (res) => {
          res.resume();
          // 200: ready. 401/403: it answers, though a hardened cluster hides its readiness from
          // this identity; count that as reachable rather than never becoming ready. Anything else
          // (500 while etcd is away, 503 while starting or stopping) cannot take writes.
          resolve(res.statusCode === 200 || res.statusCode === 401 || res.statusCode === 403);
        });
        req.on('error', () => resolve(false));
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.end();
      });
    } finally {
      // applyToHTTPSOptions makes an agent per call: close its sockets rather than keep them alive.
      (options.agent as http.Agent | undefined)?.destroy();
    }
  }
}
