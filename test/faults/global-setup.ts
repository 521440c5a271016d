// Vitest global setup for the fault tests: always a private local cluster of their own, named
// faults-<pid>, started for the run and stopped afterwards. Never the cluster KUBECONFIG names: these
// tests stop its kube-apiserver and kill operator processes holding its Lease.
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadKubeConfig } from '../../src/kube/client.ts';
import { ensureNomadJobCrd } from '../../src/kube/crds.ts';
import { repoRoot } from '../cluster/binaries.ts';
import { down, up } from '../cluster/local-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The private cluster's state folder (test/cluster/local-cluster.ts readState()). */
    faultClusterDir: string;
  }
}

export default async function setup(project: TestProject) {
  const name = `faults-${process.pid}`;
  const dir = path.join(repoRoot, '.local', 'clusters', name);
  const { state } = await up({ name, dir });
  try {
    await ensureNomadJobCrd(loadKubeConfig(state.kubeconfig));
  } catch (error) {
    await down({ dir });
    throw error;
  }
  project.provide('kubeconfig', state.kubeconfig);
  project.provide('binDir', state.binDir);
  project.provide('localCluster', true);
  project.provide('faultClusterDir', dir);
  return async () => {
    await down({ dir });
  };
}
