// Installs (or updates) the NomadJob CRD with server-side apply and waits until the apiserver
// serves it.

import { setTimeout as sleep } from 'node:timers/promises';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { nomadJobCrd } from '../crd/definition.ts';
import { makeApplier } from './apply.ts';
import { kubeClient } from './client.ts';
import type { KubeConfig } from './kubeconfig.ts';

export async function ensureNomadJobCrd(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const crd = nomadJobCrd();
  await makeApplier(kc).apply(crd);
  const client = kubeClient(kc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await client.request<V1CustomResourceDefinition>({
      method: 'GET',
      path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(crd.metadata!.name!)}`,
    });
    const established = live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (established) return;
    if (Date.now() > deadline)
      throw new Error(`CRD ${crd.metadata!.name} not Established after ${timeoutMs / 1000}s`);
    await sleep(200);
  }
}
