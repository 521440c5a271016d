// How the product finds its cluster: an explicit kubeconfig file, else the in-cluster service
// account, else the usual default chain (KUBECONFIG, ~/.kube/config).
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}
