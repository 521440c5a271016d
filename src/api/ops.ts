// Operational endpoints, served on their own listener (--metrics-listen):
//   /metrics  Prometheus exposition of the operator's registry;
//   /healthz  liveness: the process is up and its event loop answers;
//   /readyz   readiness: every check passes. `nomad-operator run` checks that every informer has
//             synced, that the kube-apiserver answers (false during an outage, though reads are
//             still served from the caches: writes cannot succeed) and that no shutdown began.
//             Leadership is deliberately not a check: a standby replica with warm caches is ready
//             (it serves the Nomad API from them and takes over reconciling at once).
// /readyz answers like kube-apiserver's: "ok", or 503 with one "[+]name ok" / "[-]name failed"
// line per check (all lines with ?verbose).
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config.ts';
import { silentLogger } from '../log.ts';
import type { OperatorMetrics } from '../metrics.ts';

export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

export interface OpsOptions {
  metrics: OperatorMetrics;
  /** Checks, read at every request (so checks added later count). */
  readiness?: ReadinessCheck[] | (() => ReadinessCheck[]);
}

/** One readiness check per informer: `informer:<resource>`, passing once it has synced. */
export function informerChecks(
  informers: Iterable<{ readonly resource: string; hasSynced(): boolean }>,
): ReadinessCheck[] {
  return [...informers].map((informer) => ({
    name: `informer:${informer.resource}`,
    check: () => informer.hasSynced(),
  }));
}

/** Fastify plugin with the three routes; register it on any instance. */
export async function opsRoutes(app: FastifyInstance, options: OpsOptions): Promise<void> {
  const checks = () =>
    typeof options.readiness === 'function' ? options.readiness() : (options.readiness ?? []);

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await options.metrics.exposition();
    return reply.type(contentType).send(body);
  });

  app.get('/healthz', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok'));

  app.get<{ Querystring: { verbose?: string } }>('/readyz', async (request, reply) => {
    const results = await Promise.all(
      checks().map(async ({ name, check }) => {
        try {
          return { name, ok: await check() };
        } catch {
          return { name, ok: false };
        }
      }),
    );
    const ready = results.every((result) => result.ok);
    const verbose = request.query.verbose !== undefined;
    reply.code(ready ? 200 : 503).type('text/plain; charset=utf-8');
    if (ready && !verbose) return reply.send('ok');
    const lines = results.map(({ name, ok }) => (ok ? `[+]${name} ok` : `[-]${name} failed`));
    lines.push(ready ? 'readyz check passed' : 'readyz check failed');
    return reply.send(`${lines.join('\n')}\n`);
  });
}

export interface OpsServer {
  app: FastifyInstance;
  /** `http://host:port` actually bound (port 0 picks a free one). */
  url: string;
  close(): Promise<void>;
}

/** Starts a Fastify server with only the ops routes, on `listen`. */
export async function startOpsServer(
  options: OpsOptions & { listen: ListenAddress; logger?: Logger },
): Promise<OpsServer> {
  const loggerInstance: FastifyBaseLogger = (options.logger ?? silentLogger()).child({ server: 'ops' });
  // Scrapes and probes every few seconds: no per-request log lines.
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });
  await app.register(opsRoutes, { metrics: options.metrics, readiness: options.readiness });
  await app.listen({ host: options.listen.host, port: options.listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.listen.port;
  const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
