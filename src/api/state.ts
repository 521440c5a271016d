// The read side of the API: the Kubernetes objects it answers from, kept by informers (or, in unit
// tests, by in-memory sources), plus the bookkeeping Nomad's indexes need:
//
// * a high-water mark per kind: the largest resourceVersion seen (deletes included), which is
//   Nomad's per-table index (`index("jobs")`, `index("allocs")`, ...). resourceVersions are etcd
//   revisions, one counter for the whole cluster, so they work as Nomad's Raft index;
// * the resourceVersion at which this process first saw each object (by uid): its creation
//   revision when it was seen through a watch, used as CreateIndex;
// * one change signal that wakes blocking queries (no polling);
// * which job each change concerns (a sequence number per job: the NomadJob itself and every object
//   labelled with its name), so that answers computed from one job's objects can be kept until one
//   of them changes (ApiStore.answer). Every change of what the sources return passes through here
//   (their change events, or `noteWrite`), which makes this the one place caches are invalidated;
// * which NomadJobs changed lately (bounded), so that the list's kept order is updated for those
//   jobs alone (routes/jobs.ts), and which jobs any change concerned lately (bounded), so that the
//   answers kept warm are recomputed for those jobs alone (warm.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { type ApiKind, apiKinds } from '../jobs/owned.ts';
import type { ChangeType } from '../kube/informer.ts';
import { resourceVersionOf } from '../kube/resource-version.ts';
import { ANNOTATION_PARENT_ID, LABEL_JOB } from '../nomad/keys.ts';

/** The kinds the API reads (one list for every component: jobs/owned.ts). */
export type Kind = ApiKind;

export const kinds: readonly Kind[] = apiKinds.map((k) => k.kind);

/** What an informer offers (src/kube/informer.ts satisfies it). */
export interface ObjectSource<T extends KubernetesObject = KubernetesObject> {
  list(namespace?: string): T[];
  get(namespace: string | undefined, name: string): T | undefined;
  onChange(listener: (object: T, type: ChangeType) => void): () => void;
  hasSynced?(): boolean;
  /** Objects of `namespace` whose label `key` is `value`, from an index (informers have one). */
  byLabel?(namespace: string, key: string, value: string): T[];
}

// The API's routes take it from here, with the rest of what they read of the caches.
export { resourceVersionOf } from '../kube/resource-version.ts';

type Listener = () => void;

/** Changes remembered by each ChangeLog (between this many and twice as many). */
const CHANGES_KEPT = 256;

/**
 * The job keys of the latest changes, oldest first, bounded: which jobs changed after a sequence
 * number, for those who keep something per job and update it for those jobs alone.
 */
class ChangeLog {
  readonly #changes: Array<{ sequence: number; key: string }> = [];
  /** The sequence number of the newest change dropped (0: none dropped). */
  #forgotten = 0;

  add(sequence: number, key: string): void {
    this.#changes.push({ sequence, key });
    if (this.#changes.length > CHANGES_KEPT * 2) {
      const dropped = this.#changes.splice(0, CHANGES_KEPT);
      this.#forgotten = dropped[dropped.length - 1]?.sequence ?? this.#forgotten;
    }
  }

  /** The keys changed after sequence number `after`; undefined when some are no longer remembered. */
  since(after: number): ReadonlySet<string> | undefined {
    if (after < this.#forgotten) return undefined;
    const keys = new Set<string>();
    for (let i = this.#changes.length - 1; i >= 0; i--) {
      const change = this.#changes[i];
      if (change === undefined || change.sequence <= after) break;
      keys.add(change.key);
    }
    return keys;
  }
}

/** The key of a job's objects: Kubernetes namespace and NomadJob name (the value of their job label). */
export function jobKey(namespace: string, jobName: string): string {
  return `${namespace}/${jobName}`;
}

/** The Kubernetes namespace and NomadJob name of a jobKey (namespaces hold no slash). */
export function splitJobKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The job an object of `kind` belongs to: the NomadJob itself, or the job its label names. */
function jobKeyOf(kind: Kind, object: KubernetesObject): string | undefined {
  const namespace = object.metadata?.namespace ?? '';
  if (kind === 'NomadJob') return jobKey(namespace, object.metadata?.name ?? '');
  const label = object.metadata?.labels?.[LABEL_JOB];
  return label === undefined ? undefined : jobKey(namespace, label);
}

export class ClusterState {
  readonly #sources: Record<Kind, ObjectSource>;
  readonly #highWater = new Map<Kind, number>();
  readonly #firstSeen = new Map<string, number>();
  readonly #listeners = new Set<Listener>();
  readonly #unsubscribe: Array<() => void> = [];
  /** Counts every change seen (events and noted writes). */
  #sequence = 0;
  /** Job key → the sequence number of the latest change of the job or of an object labelled with it. */
  readonly #jobChanged = new Map<string, number>();
  /** Object uid → the job key it was filed under (an object relabelled away still changes its old job). */
  readonly #jobOfUid = new Map<string, string>();
  /** Kind → the sequence number of the latest change of an object of that kind. */
  readonly #kindChanged = new Map<Kind, number>();
  /** Keys of the NomadJobs that are children (dispatched or periodic runs) of another job. */
  readonly #childJobs = new Set<string>();
  /** Kubernetes namespace → the sequence number of the latest change of a child job or its objects. */
  readonly #childrenChanged = new Map<string, number>();
  /** The latest changes of NomadJobs. */
  readonly #nomadJobChanges = new ChangeLog();
  /** The latest changes filed under a job (the NomadJob or an object labelled with it). */
  readonly #jobChanges = new ChangeLog();

  constructor(sources: Partial<Record<Kind, ObjectSource>>) {
    const empty: ObjectSource = { list: () => [], get: () => undefined, onChange: () => () => undefined };
    this.#sources = Object.fromEntries(kinds.map((k) => [k, sources[k] ?? empty])) as Record<
      Kind,
      ObjectSource
    >;
    for (const kind of kinds) {
      const source = this.#sources[kind];
      for (const object of source.list()) {
        this.#observe(kind, object);
        this.#fileChange(kind, object, 'add');
      }
      this.#unsubscribe.push(
        source.onChange((object, type) => {
          this.#observe(kind, object);
          if (type === 'delete' && object.metadata?.uid) this.#firstSeen.delete(object.metadata.uid);
          this.#fileChange(kind, object, type);
          this.#notify();
        }),
      );
    }
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#listeners.clear();
  }

  list<T extends KubernetesObject>(kind: Kind, namespace?: string): T[] {
    return this.#sources[kind].list(namespace) as T[];
  }

  /** Objects of `kind` in `namespace` labelled `key=value`: the source's label index when it has one. */
  labelled<T extends KubernetesObject>(kind: Kind, namespace: string, key: string, value: string): T[] {
    const source = this.#sources[kind];
    if (source.byLabel) return source.byLabel(namespace, key, value) as T[];
    return source.list(namespace).filter((o) => o.metadata?.labels?.[key] === value) as T[];
  }

  get<T extends KubernetesObject>(kind: Kind, namespace: string | undefined, name: string): T | undefined {
    return this.#sources[kind].get(namespace, name) as T | undefined;
  }

  /** True once every source has listed (sources without hasSynced count as synced). */
  hasSynced(): boolean {
    return kinds.every((k) => this.#sources[k].hasSynced?.() ?? true);
  }

  /** Largest resourceVersion seen for `kind`, deletes included; 0 before anything was seen. */
  index(...of: Kind[]): number {
    let max = 0;
    for (const kind of of) max = Math.max(max, this.#highWater.get(kind) ?? 0);
    return max;
  }

  /** Largest resourceVersion seen of any kind. */
  globalIndex(): number {
    return this.index(...kinds);
  }

  /** resourceVersion at which this process first saw the object (undefined: never seen). */
  firstSeen(object: KubernetesObject): number | undefined {
    const uid = object.metadata?.uid;
    return uid ? this.#firstSeen.get(uid) : undefined;
  }

  /** Records a resourceVersion the API itself got back from a write (before the watch delivers it). */
  noteWrite(kind: Kind, object: KubernetesObject): void {
    this.#observe(kind, object);
    // Its CreateIndex may just have been noted (firstSeen): answers about its job are recomputed.
    this.#fileChange(kind, object, 'update');
  }

  /** The number of changes seen so far: an answer computed at one value is current while it stays. */
  sequence(): number {
    return this.#sequence;
  }

  /** The sequence number of the latest change of an object of `kind` (0: none seen). */
  kindChangedAt(kind: Kind): number {
    return this.#kindChanged.get(kind) ?? 0;
  }

  /**
   * The keys (jobKey) of the NomadJobs changed after sequence number `after`, each once; undefined
   * when some of those changes are no longer remembered (the caller recomputes what it kept).
   */
  nomadJobsChangedSince(after: number): ReadonlySet<string> | undefined {
    return this.#nomadJobChanges.since(after);
  }

  /**
   * The keys (jobKey) of the jobs a change was filed under after sequence number `after` (see
   * jobChangedAt; not the parents a child job's change also concerns); undefined when some of those
   * changes are no longer remembered.
   */
  jobsChangedSince(after: number): ReadonlySet<string> | undefined {
    return this.#jobChanges.since(after);
  }

  /**
   * The sequence number of the latest change of the NomadJob of `key` (jobKey) or of an object
   * labelled with it (with `childrenIn`, its namespace, also of that namespace's child jobs and their
   * objects, which a parent's status and summary count). Undefined for a job no change was seen of:
   * nothing about it may be kept.
   */
  jobChangedAt(key: string, childrenIn?: string): number | undefined {
    const own = this.#jobChanged.get(key);
    if (own === undefined || childrenIn === undefined) return own;
    return Math.max(own, this.#childrenChanged.get(childrenIn) ?? 0);
  }

  /** Calls `listener` after every change of any object. Returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves once `predicate` holds (checked now and after every change), or after `timeoutMs`
   * with false. Used after writes so that a read right after a write sees it.
   */
  waitUntil(predicate: () => boolean, timeoutMs = 5_000): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        off();
        resolve(ok);
      };
      const off = this.onChange(() => {
        if (predicate()) finish(true);
      });
      const timer = setTimeout(() => finish(predicate()), timeoutMs);
      timer.unref?.();
    });
  }

  #observe(kind: Kind, object: KubernetesObject): void {
    const rv = resourceVersionOf(object);
    if (rv > (this.#highWater.get(kind) ?? 0)) this.#highWater.set(kind, rv);
    const uid = object.metadata?.uid;
    if (uid && !this.#firstSeen.has(uid)) this.#firstSeen.set(uid, rv);
  }

  /** Files a change under the job it concerns (and under the job it was filed under before). */
  #fileChange(kind: Kind, object: KubernetesObject, type: ChangeType): void {
    const sequence = ++this.#sequence;
    this.#kindChanged.set(kind, sequence);
    const key = jobKeyOf(kind, object);
    const uid = object.metadata?.uid;
    const before = uid === undefined ? undefined : this.#jobOfUid.get(uid);
    if (uid !== undefined) {
      if (type === 'delete' || key === undefined) this.#jobOfUid.delete(uid);
      else this.#jobOfUid.set(uid, key);
    }
    const namespace = object.metadata?.namespace ?? '';
    if (kind === 'NomadJob' && key !== undefined) {
      this.#nomadJobChanges.add(sequence, key);
      const wasChild = this.#childJobs.has(key);
      const isChild = type !== 'delete' && !!object.metadata?.annotations?.[ANNOTATION_PARENT_ID];
      if (isChild) this.#childJobs.add(key);
      else this.#childJobs.delete(key);
      if (wasChild || isChild) this.#childrenChanged.set(namespace, sequence);
    }
    for (const changed of new Set([key, before])) {
      if (changed === undefined) continue;
      this.#jobChanges.add(sequence, changed);
      // A deleted NomadJob's key is forgotten (its answers are unreachable, and a namesake created
      // later starts with nothing kept); its objects' later changes file it again until they go.
      if (type === 'delete' && (kind === 'NomadJob' || !this.#jobExists(changed)))
        this.#jobChanged.delete(changed);
      else this.#jobChanged.set(changed, sequence);
      if (this.#childJobs.has(changed)) this.#childrenChanged.set(namespace, sequence);
    }
  }

  #jobExists(key: string): boolean {
    const { namespace, name } = splitJobKey(key);
    return this.#sources.NomadJob.get(namespace, name) !== undefined;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // a waiter's problem is its own
      }
    }
  }
}
