// The read side of the cluster the reconciler works on: the informer caches. The write side is the
// process's one ClusterWriter (src/kube/writer.ts). controller.ts provides the real ones, the unit tests
// an in-memory cluster. A module of its own so that the reconciler's helpers (shared-services.ts) name
// it without importing the reconciler.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';

/** Read side: the informer caches. */
export interface ClusterView {
  nomadJob(namespace: string, name: string): NomadJobObject | undefined;
  nomadJobs(namespace: string): NomadJobObject[];
  /**
   * Objects of `kind` in `namespace` labelled as belonging to the NomadJob `jobName`, and the shared
   * Services it is an owner of (shared-services.ts).
   */
  owned<T extends KubernetesObject>(kind: string, namespace: string, jobName: string): T[];
  /** A managed object of `kind` by name, whoever owns it (shared Services). */
  get<T extends KubernetesObject>(kind: string, namespace: string, name: string): T | undefined;
}
