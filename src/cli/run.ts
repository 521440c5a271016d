// `nomad-operator run`: the operator process. Every replica keeps warm informer caches, serves the
// Nomad API from them and /metrics, /healthz and /readyz; only the leader (a coordination.k8s.io
// Lease) runs reconcile workers, and a leader that loses the Lease becomes a standby (it never
// exits for it). /readyz fails while the kube-apiserver is unreachable (reads are still served
// from the caches, writes fail at once) and once a shutdown began. SIGTERM/SIGINT: within
// --shutdown-timeout, answer held blocking queries, stop taking work, finish in-flight reconciles,
// release the Lease, close the connections, exit 0.
// Configuration (flags, environment variables, translator options): src/config.ts. Bad values exit 2
// before anything starts, each error naming its flag or variable.
import { informerChecks, startOpsServer } from '../api/ops.ts';
import { type ApiServer, startApiServer } from '../api/server.ts';
import type { Kind, ObjectSource } from '../api/state.ts';
import { configUsage, type OperatorConfig, parseConfig } from '../config.ts';
import { Controller } from '../controller/controller.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { LeaderElector } from '../kube/leader.ts';
import { sharedWriteLimiter } from '../kube/rate-limit.ts';
import { ApiserverProbe } from '../kube/reachability.ts';
import { createLogger, type Logger } from '../log.ts';
import { createMetrics } from '../metrics.ts';

export async function runOperator(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(configUsage());
    return 0;
  }
  const parsed = parseConfig(argv, process.env);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.errors.map((e) => `error: ${e}`).join('\n')}\n\n${configUsage()}`);
    return 2;
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel });
  try {
    const stopped = await start(config, logger);
    return await stopped;
  } catch (error) {
    logger.fatal({ err: error }, 'operator failed to start');
    return 1;
  }
}

/** Starts everything; resolves (to the exit code) once a signal has shut it all down. */
async function start(config: OperatorConfig, logger: Logger): Promise<Promise<number>> {
  const kubeConfig = loadKubeConfig(config.kubeconfig);
  // The one write limit of the process (--kube-api-qps/--kube-api-burst), sized before any writer
  // takes it: the controller's and the Nomad API's writers share it, with or without a controller.
  sharedWriteLimiter(kubeConfig, { qps: config.kubeApiQps, burst: config.kubeApiBurst });
  const metrics = createMetrics({ processMetrics: true });
  const controller = config.controller
    ? new Controller({
        kubeConfig,
        metrics,
        logger,
        workers: config.workers,
        resyncMs: config.resyncMs,
        historyLimit: config.historyLimit,
        informerStaleAfterMs: config.informerStaleAfterMs,
        writeQps: config.kubeApiQps,
        writeBurst: config.kubeApiBurst,
        // The same options `convert` takes (src/translate/options.ts), so both translate alike.
        translate: config.translator,
      })
    : undefined;
  controller?.startInformers();
  const probe = new ApiserverProbe({ kubeConfig, logger });
  probe.start();
  let api: ApiServer | undefined;
  let shuttingDown = false;
  const ops = await startOpsServer({
    listen: config.metricsListen,
    metrics,
    logger,
    readiness: () => [
      { name: 'kube-apiserver', check: () => probe.reachable() },
      { name: 'shutting-down', check: () => !shuttingDown },
      ...(controller ? informerChecks(controller.informers) : []),
      ...(config.api ? [{ name: 'nomad-api', check: () => api !== undefined }] : []),
      ...(api ? informerChecks(api.informers) : []),
    ],
  });
  logger.info({ url: ops.url }, 'serving /metrics, /healthz, /readyz');
  if (controller) logger.info({ translator: config.translator }, 'translator options');

  if (config.api) {
    // The API reads the controller's caches when there is a controller (one watch per kind).
    const sources: Partial<Record<Kind, ObjectSource>> = {};
    if (controller) {
      sources.NomadJob = controller.nomadJobs;
      for (const [kind, informer] of controller.owned) sources[kind as Kind] = informer;
      if (!(await controller.waitForSync())) throw new Error('informer caches did not sync');
    }
    api = await startApiServer({
      kubeConfig,
      listen: config.listen,
      defaultNamespace: config.defaultNamespace,
      allowAnonymous: config.allowAnonymous,
      historyLimit: config.historyLimit,
      limits: config.apiLimits,
      metrics,
      sources,
      logger,
      informerStaleAfterMs: config.informerStaleAfterMs,
      reachability: probe,
    });
    logger.info({ url: api.url, allowAnonymous: config.allowAnonymous }, 'serving the Nomad /v1 API');
  }

  // Back from an outage, every informer lists and watches again at once instead of when its
  // error backoff (up to 30 s) ends: the API's register waits for its write to reach the cache,
  // and the reconciler acts on what the caches see.
  probe.onChange((reachable) => {
    if (!reachable || shuttingDown) return;
    for (const informer of [...(controller?.informers ?? []), ...(api?.informers ?? [])]) {
      informer.restart('manual');
    }
  });

  // Leadership. Every replica serves the Nomad API from its caches; only the Lease holder runs
  // reconcile workers. Losing the Lease (renew deadline exceeded: the apiserver unreachable, the
  // process starved) pauses the workers at once and leaves the process a standby that keeps
  // serving and campaigns again; the next term resumes with the keys queued meanwhile. Terms are
  // chained: a new term's workers start only once the previous term's in-flight reconciles ended.
  let previousTerm: Promise<void> = Promise.resolve();
  const lead = (signal?: AbortSignal): Promise<void> => {
    const previous = previousTerm;
    const term = (async () => {
      if (!controller) return;
      await previous;
      if (signal?.aborted || shuttingDown) return;
      if (!(await controller.waitForSync())) throw new Error('informer caches did not sync');
      if (signal?.aborted || shuttingDown) return;
      controller.run();
      logger.info({ workers: config.workers }, 'reconciling');
      if (!signal) return;
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await controller.pause();
      logger.info('stopped reconciling');
    })();
    previousTerm = term.catch(() => undefined);
    return term;
  };
  let elector: LeaderElector | undefined;
  if (controller && config.leaderElection.enabled) {
    const le = config.leaderElection;
    elector = new LeaderElector({
      kubeConfig,
      namespace: le.namespace,
      name: le.id,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      logger,
      onStartedLeading: (signal) => lead(signal),
      onStoppedLeading: () => {
        if (shuttingDown) return;
        logger.warn(
          'lost leadership: reconciling paused; serving the API as a standby and campaigning again',
        );
      },
    });
    metrics.trackLeader(elector);
    elector.start();
  } else if (controller) {
    await lead();
  }

  // Graceful shutdown within config.shutdownTimeoutMs: stop campaigning and leading first (a
  // shutting-down process never wins the Lease back), answer held blocking queries at once (the
  // API's preClose), let in-flight reconciles and requests finish, release the Lease, then close
  // whatever connection is still open when the bound has passed.
  let finished: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const started = performance.now();
    const bound = config.shutdownTimeoutMs;
    logger.info({ reason, timeoutMs: bound }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn('shutdown bound reached: closing the connections still open');
      api?.closeConnections();
    }, bound);
    // The backstop: a reconcile or request that never ends (a request to an apiserver that never
    // answers) must not keep the process past its bound and into the kubelet's SIGKILL. Unref'd, it
    // only fires if something still holds the process a second after the bound.
    let completed = false;
    setTimeout(() => {
      logger.error(
        completed
          ? 'shut down, but something still holds the process a second after the bound; exiting'
          : 'shutdown did not finish within its bound; exiting',
      );
      process.exit(completed ? 0 : 1);
    }, bound + 1_000).unref();
    const stopLeading = async () => {
      if (elector) await elector.release({ timeoutMs: bound });
      else await controller?.pause();
    };
    await Promise.all([api?.close(), stopLeading()]);
    clearTimeout(force);
    probe.stop();
    await controller?.stop();
    await ops.close();
    completed = true;
    logger.info({ ms: Math.round(performance.now() - started) }, 'shut down');
    finished(0);
  };

  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return done;
}
