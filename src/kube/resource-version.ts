// An object's resourceVersion as a number: the Nomad API's indexes are resourceVersions, and the
// caches compare them to tell the newer of two copies of one object (etcd's revisions, which the
// apiserver hands out, only grow).
import type { KubernetesObject } from '@kubernetes/client-node';

export function resourceVersionOf(object: KubernetesObject | undefined): number {
  const rv = Number(object?.metadata?.resourceVersion ?? 0);
  return Number.isFinite(rv) ? rv : 0;
}
