// The two sides of the cluster the reconciler works on: a read side (the informer caches) and a write
// side (the apiserver). controller.ts provides the real ones, the unit tests an in-memory cluster. A module
// of its own so that the reconciler's helpers (shared-services.ts) name them without importing the
// reconciler.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NomadJobObject, NomadJobStatus } from '../crd/resource.ts';
import type { ApplyOptions } from '../kube/apply.ts';

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

/** Write side: the apiserver. */
export interface ClusterWriter {
  /**
   * Server-side apply; a `metadata.resourceVersion` on the object makes it conditional (409 if stale).
   * Options choose another field manager and whether to force (shared-services.ts). Resolves to the
   * object as the apiserver holds it after the apply, when the writer has it.
   */
  apply(
    object: KubernetesObject,
    options?: Pick<ApplyOptions, 'fieldManager' | 'force'>,
  ): Promise<KubernetesObject | undefined>;
  /** Plain create; resolves false when the object already exists (409 AlreadyExists). */
  create(object: KubernetesObject): Promise<boolean>;
  delete(object: KubernetesObject): Promise<void>;
  patchStatus(job: NomadJobObject, status: NomadJobStatus): Promise<void>;
  event(job: NomadJobObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}
