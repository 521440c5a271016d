// The operator's own kubeconfig (src/kube/kubeconfig.ts) for the cluster and user of a client-node
// KubeConfig: the tests drive the cluster with client-node, the operator's code takes its own type.
// And a kubeconfig for a server of a test's own (a fake apiserver, or a closed port).
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFromYaml, type KubeConfig as OperatorKubeConfig } from '../../src/kube/kubeconfig.ts';

const converted = new WeakMap<KubeConfig, OperatorKubeConfig>();

/** One per `kc` (so everything given the same `kc` shares one connection pool and write limit). */
export function operatorConfig(kc: KubeConfig): OperatorKubeConfig {
  let config = converted.get(kc);
  if (!config) {
    config = kubeConfigFromYaml(kc.exportConfig());
    converted.set(kc, config);
  }
  return config;
}

/** A client-node KubeConfig for `server` (e.g. `http://127.0.0.1:<port>`), with `token` when given. */
export function kubeConfigForServer(server: string, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [token === undefined ? { name: 'u' } : { name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
