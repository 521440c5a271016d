// Vitest global setup for the integration project. Where the cluster comes from, in order:
//   1. KUBECONFIG is set: use that cluster as it is (nothing is started or stopped).
//   2. Otherwise: start a private local cluster (building the binaries on first use) for this run
//      and stop it afterwards. It has local-cluster.ts's default nodes (DEFAULT_NODE_COUNT, as
//      `npm run cluster:up` starts): tests read the node count from the cluster, never assume it.
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from './binaries.ts';
import { down, up } from './local-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    /** Set when the run owns a local cluster: its bin dir, for kubectl/helm in tests. */
    binDir: string;
    /** True when the tests started the cluster themselves (and may add kwok nodes freely). */
    localCluster: boolean;
  }
}

export default async function setup(project: TestProject) {
  const { ensureBinaries } = await import('./binaries.ts');
  if (process.env.KUBECONFIG) {
    project.provide('kubeconfig', process.env.KUBECONFIG);
    project.provide('binDir', ensureBinaries().dir);
    project.provide('localCluster', false);
    return;
  }
  const dir = path.join(repoRoot, '.local', 'clusters', `test-${process.pid}`);
  const { state } = await up({ name: `test-${process.pid}`, dir });
  project.provide('kubeconfig', state.kubeconfig);
  project.provide('binDir', state.binDir);
  project.provide('localCluster', true);
  return async () => {
    await down({ dir });
  };
}
