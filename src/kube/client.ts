// How the product finds its cluster: an explicit kubeconfig file, else the in-cluster service
// account, else the usual default chain (KUBECONFIG, ~/.kube/config).
//
// Connections: client-node builds a new undici Agent for every request it authenticates
// (KubeConfig.applySecurityAuthentication), so every apiserver call opened a new TLS connection,
// with a fresh SecureContext and handshake: milliseconds of CPU and latency on every write, every
// list and every read-modify-write of the register path. PooledKubeConfig keeps one Agent per TLS
// identity (cluster, CA, client certificate and key; files by path and modification time, so a
// rotated certificate starts a new pool), as client-go keeps one transport per rest.Config.
import { statSync } from 'node:fs';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const modified = (file: string | undefined): number | undefined => {
  if (!file) return undefined;
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
};

export class PooledKubeConfig extends KubeConfig {
  #key: string | undefined;
  #dispatcher: Dispatcher | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const created = context.getDispatcher();
    if (!created) return;
    const key = this.#tlsIdentity();
    if (key === this.#key && this.#dispatcher) {
      // The Agent just built has opened nothing yet: drop it, use the pool.
      context.setDispatcher(this.#dispatcher);
      return;
    }
    // A new identity (first use, a rotated certificate, another context): a new pool; the old one
    // closes once its requests (watches included) are done.
    const previous = this.#dispatcher;
    this.#key = key;
    this.#dispatcher = created;
    if (previous) void previous.close().catch(() => undefined);
  }

  #tlsIdentity(): string {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    return JSON.stringify([
      cluster?.name,
      cluster?.server,
      cluster?.caFile,
      modified(cluster?.caFile),
      cluster?.caData,
      cluster?.skipTLSVerify,
      cluster?.tlsServerName,
      cluster?.proxyUrl,
      user?.name,
      user?.certFile,
      modified(user?.certFile),
      user?.certData,
      user?.keyFile,
      modified(user?.keyFile),
      user?.keyData,
    ]);
  }
}

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new PooledKubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}
