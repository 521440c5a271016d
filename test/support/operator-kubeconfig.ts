// The operator's own kubeconfig (src/kube/kubeconfig.ts) for the cluster and user of a client-node
// KubeConfig: the tests drive the cluster with client-node, the operator's code takes its own type.
import type { KubeConfig } from '@kubernetes/client-node';
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
