// `nomad-operator run`: the operator process. Every replica keeps warm informer caches and serves
// /metrics, /healthz and /readyz; only the leader (a coordination.k8s.io Lease) runs reconcile
// workers. SIGTERM/SIGINT: stop taking work, finish in-flight reconciles, release the lease, exit.
// Configuration (flags, environment variables, translator options): src/config.ts. Bad values exit 2
// before anything starts, each error naming its flag or variable.
import { informerChecks, startOpsServer } from '../api/ops.ts';
import { type ApiServer, startApiServer } from '../api/server.ts';
import type { Kind, ObjectSource } from '../api/state.ts';
import { configUsage, type OperatorConfig, parseConfig } from '../config.ts';
import { Controller } from '../controller/controller.ts';
import { loadKubeConfig } from '../kube/client.ts';
import { LeaderElector } from '../kube/leader.ts';
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
        // The same options `convert` takes (src/translate/options.ts), so both translate alike.
        translate: config.translator,
      })
    : undefined;
  controller?.startInformers();
  let api: ApiServer | undefined;
  const ops = await startOpsServer({
    listen: config.metricsListen,
    metrics,
    logger,
    readiness: () => [
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
      sources,
      logger,
      informerStaleAfterMs: config.informerStaleAfterMs,
    });
    logger.info({ url: api.url, allowAnonymous: config.allowAnonymous }, 'serving the Nomad /v1 API');
  }

  let exitCode = 0;
  let elector: LeaderElector | undefined;
  let shuttingDown = false;
  let finished: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ reason }, 'shutting down');
    await api?.close();
    await controller?.stop();
    await elector?.release();
    await ops.close();
    finished(exitCode);
  };
  const lead = async (signal?: AbortSignal) => {
    if (!controller) return;
    if (!(await controller.waitForSync())) throw new Error('informer caches did not sync');
    controller.run();
    logger.info({ workers: config.workers }, 'reconciling');
    if (signal) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  };
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
        // As controller-runtime does: a replica that lost the lease exits and is restarted
        // with clean state, rather than risking two leaders' writes.
        if (shuttingDown) return;
        logger.error('lost leadership; exiting');
        exitCode = 1;
        void shutdown('lost-leadership');
      },
    });
    metrics.trackLeader(elector);
    elector.start();
  } else if (controller) {
    await lead();
  }

  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return done;
}
