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
  /** Objects labelled `key=value`, from an index (informers have one; without it, a scan). */
  byLabel?(namespace: string, key: string, value: string): KubernetesObject[];
  /** Objects with an ownerReference to `ownerKind`/`ownerName`, from an index (informers have one). */
  byOwner?(namespace: string, ownerKind: string, ownerName: string): KubernetesObject[];
}

/**
 * A job's objects of one cache: labelled with its name, or owned by it without that label. With the
 * cache's indexes this costs the size of the answer: the reconciler asks for every kind on every
 * reconcile, and a scan of the namespace's cache made reconciles cost O(jobs) each.
 */
function ownedIn(source: CacheSource, namespace: string, jobName: string): KubernetesObject[] {
  if (!source.byLabel || !source.byOwner)
    return source
      .list(namespace)
      .filter((o) => o.metadata?.labels?.[LABEL_JOB] === jobName || hasJobOwnerReference(o, jobName));
  const labelled = source.byLabel(namespace, LABEL_JOB, jobName);
  const ownedOnly = source
    .byOwner(namespace, 'NomadJob', jobName)
    .filter((o) => o.metadata?.labels?.[LABEL_JOB] !== jobName && hasJobOwnerReference(o, jobName));
  return ownedOnly.length === 0 ? labelled : [...labelled, ...ownedOnly];
}

/** The reader over the caches `sourceOf` has, by kind (`NomadJob` and the owned kinds; none: empty). */
export function cacheReader(sourceOf: (kind: string) => CacheSource | undefined): ClusterReader {
  return {
    nomadJob: (namespace, name) => sourceOf('NomadJob')?.get(namespace, name) as NomadJobObject | undefined,
    nomadJobs: (namespace) => (sourceOf('NomadJob')?.list(namespace) ?? []) as NomadJobObject[],
    owned: <T extends KubernetesObject>(kind: string, namespace: string, jobName: string) => {
      const source = sourceOf(kind);
      return (source ? ownedIn(source, namespace, jobName) : []) as T[];
    },
    get: <T extends KubernetesObject>(kind: string, namespace: string, name: string) =>
      sourceOf(kind)?.get(namespace, name) as T | undefined,
  };
}
