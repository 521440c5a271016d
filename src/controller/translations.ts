// What the reconciler last translated each NomadJob into, kept so that the reconciles that follow need
// not translate again. A job is reconciled about twenty times while it comes up (every change of its
// pods, ReplicaSets and Deployments enqueues it), and its translation (desiredObjects, with the
// ownership and applied hash of each object) was half of what a reconcile cost, for the same result
// every time: the translation depends only on the spec, the version it is recorded as, the job's
// identity (uid, name, identity annotations) and the operator's translator options, fixed for the
// process (desiredObjects is pure).
//
// Kept per job is not the objects (that would be a second copy of every Deployment in memory) but
// what a reconcile needs of them once they are applied: each object's kind, name and applied hash, the
// translation's warnings, and the groups it made no workload for. When every one of those objects is
// live with its hash, the translation would apply nothing, and the reconcile goes on from what was
// kept. When one is missing or differs (deleted, edited, not yet in the cache), or the job declares
// shared Services (applied by intent, shared-services.ts), the reconcile translates and applies.
import type { NomadJobObject } from '../crd/resource.ts';
import { specIdentity } from '../jobs/spec.ts';
import { isOwnedBy } from '../kube/owner-reference.ts';
import type { ClusterReader } from '../kube/reader.ts';
import { ANNOTATION_APPLIED_HASH } from '../nomad/keys.ts';
import type { Warning } from '../translate/types.ts';

/** What a reconcile needs of a translation once its objects are applied. */
export interface Translated {
  /** Each desired object the job owns (shared Services excepted): kind, name, applied hash. */
  objects: ReadonlyArray<{ kind: string; name: string; hash: string }>;
  warnings: readonly Warning[];
  /** The groups the translation made no workload for, and why (status.ts groupsWithoutWorkload). */
  withoutWorkload: Readonly<Record<string, string>>;
}

/** Jobs remembered at most (oldest dropped first): a bound on memory, not a working set. */
const REMEMBERED_MAX = 20_000;

export class TranslationMemo {
  /** uid → the translation of that job's spec at one version. */
  readonly #byUid = new Map<string, { key: string; translated: Translated }>();

  /**
   * The kept translation of `object`'s current spec at `version`, when every object of it is live in
   * `view` with its applied hash (so translating and applying again would write nothing).
   */
  applied(object: NomadJobObject, version: number, view: ClusterReader): Translated | undefined {
    const key = keyOf(object, version);
    const uid = object.metadata?.uid;
    if (key === undefined || uid === undefined) return undefined;
    const kept = this.#byUid.get(uid);
    if (kept?.key !== key) return undefined;
    const namespace = object.metadata?.namespace ?? '';
    const jobName = object.metadata?.name ?? '';
    for (const { kind, name, hash } of kept.translated.objects) {
      const live = view.owned(kind, namespace, jobName).find((o) => o.metadata?.name === name);
      if (live?.metadata?.annotations?.[ANNOTATION_APPLIED_HASH] !== hash || !isOwnedBy(live, uid))
        return undefined;
    }
    return kept.translated;
  }

  /** Keeps the translation of `object`'s current spec at `version`. */
  remember(object: NomadJobObject, version: number, translated: Translated): void {
    const key = keyOf(object, version);
    const uid = object.metadata?.uid;
    if (key === undefined || uid === undefined) return;
    this.#byUid.delete(uid);
    this.#byUid.set(uid, { key, translated });
    if (this.#byUid.size > REMEMBERED_MAX) {
      const oldest = this.#byUid.keys().next().value;
      if (oldest !== undefined) this.#byUid.delete(oldest);
    }
  }

  /** Forgets a job's translation (it is translated afresh at its next reconcile). */
  forget(object: NomadJobObject): void {
    const uid = object.metadata?.uid;
    if (uid !== undefined) this.#byUid.delete(uid);
  }

  get size(): number {
    return this.#byUid.size;
  }
}

/** What the translation depends on besides the options: the spec and identity, and the version. */
function keyOf(object: NomadJobObject, version: number): string | undefined {
  const spec = specIdentity(object);
  return spec === undefined ? undefined : `${spec}@${version}`;
}
