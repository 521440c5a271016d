// NomadJobs as this controller last wrote them, until its cache shows them.
//
// A reconcile reads the NomadJob from the informer's cache, and its status patch reaches that cache
// only with the watch event, a moment later. A reconcile of the same job in between (a pod's event
// enqueues it again) would otherwise read the status from before the patch and decide the same
// transition again: a second Warning event for one refusal of the scheduler, a status written twice.
// So the answer of every NomadJob write passes through here, and the reconciler's reader returns
// the newer (by resourceVersion) of the cached copy and the written one. An entry is dropped once
// the cache holds that resourceVersion or a later one, or no longer holds the job (deleted).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import type { CacheTransform } from '../jobs/cache-transforms.ts';
import type { CacheSource } from '../kube/reader.ts';
import { resourceVersionOf } from '../kube/resource-version.ts';
import type { ClusterWriter, ObjectRef } from '../kube/writer.ts';

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class OwnWrites {
  readonly #written = new Map<string, NomadJobObject>();
  readonly #transform: CacheTransform;

  /** `transform`: the NomadJob cache's own, so a written copy looks as a cached one would. */
  constructor(transform: CacheTransform) {
    this.#transform = transform;
  }

  /** Notes the apiserver's answer to a write of a NomadJob (a copy: the caller keeps its object). */
  note(object: NomadJobObject): void {
    const name = object.metadata?.name;
    if (!name) return;
    const key = keyOf(object.metadata?.namespace, name);
    const known = this.#written.get(key);
    if (known && resourceVersionOf(known) >= resourceVersionOf(object)) return;
    this.#written.set(key, this.#transform(structuredClone(object)));
  }

  /** The newer of `cached` and the written copy of the job. */
  latest(
    namespace: string | undefined,
    name: string,
    cached: NomadJobObject | undefined,
  ): NomadJobObject | undefined {
    const key = keyOf(namespace, name);
    const written = this.#written.get(key);
    if (!written) return cached;
    if (!cached || resourceVersionOf(cached) >= resourceVersionOf(written)) {
      this.#written.delete(key);
      return cached;
    }
    return written;
  }

  /** The NomadJob cache, read through the written copies (for the reconciler's reader). */
  over(cache: CacheSource): CacheSource {
    return {
      list: (namespace) => cache.list(namespace),
      get: (namespace, name) =>
        this.latest(namespace, name, cache.get(namespace, name) as NomadJobObject | undefined),
    };
  }

  /** `writer`, noting the answer of every merge patch of a NomadJob (status included). */
  noting(writer: ClusterWriter): ClusterWriter {
    return {
      ...writer,
      mergePatch: async <T extends KubernetesObject>(
        ref: ObjectRef,
        patch: Record<string, unknown>,
        options?: { status?: boolean },
      ): Promise<T> => {
        const answer = await writer.mergePatch<T>(ref, patch, options);
        if (ref.kind === 'NomadJob') this.note(answer as unknown as NomadJobObject);
        return answer;
      },
    };
  }
}
