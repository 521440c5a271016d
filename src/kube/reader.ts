// The read side of the cluster for everything that decides what to write: the informer caches, never
// the apiserver. One reader over them (cacheReader) for the reconciler (the controller's informers) and
// the Nomad API (its ClusterState); unit tests give the reconciler an in-memory one.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import { LABEL_JOB } from '../nomad/keys.ts';
import { hasJobOwnerReference } from './owner-reference.ts';

export interface ClusterReader {
  nomadJob(namespace: string, name: string): NomadJobObject | undefined;
  nomadJobs(namespace: string): NomadJobObject[];
  /**
   * Objects of `kind` in `namespace` labelled as belonging to the NomadJob `jobName`, and those it is
   * an owner of without the label (shared Services, src/controller/shared-services.ts).
   */
  owned<T extends KubernetesObject>(kind: string, namespace: string, jobName: string): T[];
  /** A cached object of `kind` by name, whoever owns it (shared Services). */
  get<T extends KubernetesObject>(kind: string, namespace: string, name: string): T | undefined;
}

/** One kind's cache, as an informer offers it (src/kube/informer.ts). */
export interface CacheSource {
  list(namespace?: string): KubernetesObject[];
  get(namespace: string | undefined, name: string): KubernetesObject | undefined;
}

/** The reader over the caches `sourceOf` has, by kind (`NomadJob` and the owned kinds; none: empty). */
export function cacheReader(sourceOf: (kind: string) => CacheSource | undefined): ClusterReader {
  return {
    nomadJob: (namespace, name) => sourceOf('NomadJob')?.get(namespace, name) as NomadJobObject | undefined,
    nomadJobs: (namespace) => (sourceOf('NomadJob')?.list(namespace) ?? []) as NomadJobObject[],
    owned: <T extends KubernetesObject>(kind: string, namespace: string, jobName: string) =>
      (sourceOf(kind)?.list(namespace) ?? []).filter(
        (o) => o.metadata?.labels?.[LABEL_JOB] === jobName || hasJobOwnerReference(o, jobName),
      ) as T[],
    get: <T extends KubernetesObject>(kind: string, namespace: string, name: string) =>
      sourceOf(kind)?.get(namespace, name) as T | undefined,
  };
}
