// Starting the Nomad /v1 API server on its own: informers for everything the API reads (or the
// caller's, e.g. the controller's, when given), the store, the authorizer, the Fastify app, listening.
// Used by `nomad-operator run` and by tests (test/integration/api, test/compat).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ApiLimits, ListenAddress } from '../config.ts';
import { cacheTransformFor } from '../jobs/cache-transforms.ts';
import { apiKinds } from '../jobs/owned.ts';
import { Informer } from '../kube/informer.ts';
import { makeKubeWriter } from '../kube/kube-writer.ts';
import type { KubeConfig } from '../kube/kubeconfig.ts';
import type { ApiserverReachability } from '../kube/reachability.ts';
import type { ClusterWriter } from '../kube/writer.ts';
import { silentLogger } from '../log.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { type Authorizer, makeKubeAuthorizer } from './acl.ts';
import { type JobActions, makeKubeActions } from './actions.ts';
import { buildApiApp } from './app.ts';
import { refuseWritesWhileUnreachable } from './availability.ts';
import { ClusterState, type Kind, type ObjectSource } from './state.ts';
import { ApiStore } from './store.ts';

export interface ApiServerOptions {
  kubeConfig: KubeConfig;
  listen: ListenAddress;
  /** Kubernetes namespace of Nomad's `default` namespace. Default `default`. */
  defaultNamespace?: string;
  /**
   * Serve requests without a token (with every right: development only). Default: on only when
   * listening on a loopback address. Requests with a token are always authenticated and authorized.
   */
  allowAnonymous?: boolean;
  /** Replaces TokenReview/SubjectAccessReview authorization (tests). */
  authorizer?: Authorizer;
  /** Replaces the domain services' job actions (tests). */
  actions?: JobActions;
  /** The write side; default a writer of its own, under API_FIELD_MANAGER (same rate limit). */
  writer?: ClusterWriter;
  /** Where the default writer counts its writes (the process's /metrics); default a registry of its own. */
  metrics?: OperatorMetrics;
  /** Caches to read from instead of starting informers of its own (e.g. the controller's). */
  sources?: Partial<Record<Kind, ObjectSource>>;
  region?: string;
  /** Bounds on jobs and requests (limits.ts; default DEFAULT_API_LIMITS). */
  limits?: ApiLimits;
  /** Job versions kept per job, as the controller's --history-limit. Default 6. */
  historyLimit?: number;
  logger?: Logger;
  /** How long to wait for the caches before serving. Default 2 minutes. */
  syncTimeoutMs?: number;
  informerStaleAfterMs?: number;
  /** When given, writes are refused at once while the kube-apiserver is unreachable (availability.ts). */
  reachability?: ApiserverReachability;
}

export interface ApiServer {
  /** `http://host:port` actually bound. */
  url: string;
  store: ApiStore;
  /** The informers this server started (not those it was given). */
  informers: Informer<KubernetesObject>[];
  close(): Promise<void>;
  /** Closes every connection, busy or idle: a shutdown whose bound has passed. */
  closeConnections(): void;
}

/** The field manager of the NomadJobs and namespaces the Nomad API writes. */
export const API_FIELD_MANAGER = 'nomad-operator-api';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Informers for the kinds `sources` does not provide. */
export function makeInformers(
  kubeConfig: KubeConfig,
  provided: Partial<Record<Kind, ObjectSource>>,
  options: { logger?: Logger; staleAfterMs?: number } = {},
): Map<Kind, Informer<KubernetesObject>> {
  const out = new Map<Kind, Informer<KubernetesObject>>();
  for (const { kind, path, labelSelector } of apiKinds) {
    if (provided[kind]) continue;
    out.set(
      kind,
      new Informer<KubernetesObject>({
        kubeConfig,
        path,
        ...(labelSelector ? { labelSelector } : {}),
        transform: cacheTransformFor(kind),
        resource: `api-${kind.toLowerCase()}`,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.staleAfterMs ? { staleAfterMs: options.staleAfterMs } : {}),
      }),
    );
  }
  return out;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const logger = options.logger ?? silentLogger();
  const provided = options.sources ?? {};
  const informers = makeInformers(options.kubeConfig, provided, {
    logger,
    ...(options.informerStaleAfterMs ? { staleAfterMs: options.informerStaleAfterMs } : {}),
  });
  for (const informer of informers.values()) informer.start();
  const stopInformers = async () => {
    await Promise.all([...informers.values()].map((i) => i.stop()));
  };
  try {
    const timeout = options.syncTimeoutMs ?? 120_000;
    const synced = await Promise.all([...informers.values()].map((i) => i.waitForSync(timeout)));
    if (!synced.every(Boolean)) throw new Error('the API caches did not sync');
    const sources: Partial<Record<Kind, ObjectSource>> = { ...provided };
    for (const [kind, informer] of informers) sources[kind] = informer;
    const state = new ClusterState(sources);
    const defaultNamespace = options.defaultNamespace ?? 'default';
    // The process's writers share one rate limit (kube/rate-limit.ts sharedWriteLimiter): the
    // controller's, when it runs here with the same KubeConfig, and this one.
    const writer =
      options.writer ??
      makeKubeWriter(options.kubeConfig, {
        fieldManager: API_FIELD_MANAGER,
        ...(options.metrics ? { metrics: options.metrics } : {}),
      });
    const store = new ApiStore(state, writer, {
      defaultNamespace,
      ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}),
    });
    const allowAnonymous = options.allowAnonymous ?? isLoopback(options.listen.host);
    const authorizer =
      options.authorizer ??
      makeKubeAuthorizer({
        kubeConfig: options.kubeConfig,
        allowAnonymous,
        ...(options.reachability ? { reachability: options.reachability } : {}),
      });
    const app = buildApiApp(
      {
        store,
        authorizer,
        actions: options.actions ?? makeKubeActions(writer),
        ...(options.region ? { region: options.region } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
      },
      { logger: logger.child({ server: 'nomad-api' }) },
    );
    if (options.reachability) refuseWritesWhileUnreachable(app, options.reachability);
    await app.listen({ host: options.listen.host, port: options.listen.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.listen.port;
    const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
    return {
      url: `http://${host}:${port}`,
      store,
      informers: [...informers.values()],
      closeConnections: () => app.server.closeAllConnections(),
      close: async () => {
        await app.close();
        state.close();
        await stopInformers();
      },
    };
  } catch (error) {
    await stopInformers();
    throw error;
  }
}
