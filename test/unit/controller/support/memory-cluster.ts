// An in-memory cluster for unit tests of reconcile(): the ClusterReader it takes (src/kube/reader.ts,
// the real one over this store) and a ClusterWriter (src/kube/writer.ts), backed by one object store that
// behaves like the apiserver where the reconciler relies on it — uids and resourceVersions are
// assigned, a conditional apply or replace with a stale resourceVersion is refused (conflict), create of
// an existing object fails as already-exists, patches are JSON merge patches (status ones logged as
// `patchStatus`) or RFC 6902 JSON patches (a failed `test` refuses one) — and a log of every write, so
// a test asserts exactly what was written.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NomadJobObject, NomadJobStatus } from '../../../../src/crd/resource.ts';
import { type ClusterReader, cacheReader } from '../../../../src/kube/reader.ts';
import { type ClusterWriter, type ObjectRef, WriteError } from '../../../../src/kube/writer.ts';

export type Write =
  | {
      verb: 'apply';
      kind: string;
      name: string;
      object: KubernetesObject;
      fieldManager?: string;
      force?: boolean;
    }
  | { verb: 'create'; kind: string; name: string; object: KubernetesObject; created: boolean }
  | { verb: 'delete'; kind: string; name: string }
  | { verb: 'patchStatus'; kind: 'NomadJob'; name: string; status: NomadJobStatus }
  | {
      verb: 'event';
      kind: 'Event';
      name: string;
      type: 'Normal' | 'Warning';
      reason: string;
      message: string;
    };

const specOf = (object: KubernetesObject): unknown => (object as Partial<NomadJobObject>).spec;

const keyOf = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

/** RFC 7386 JSON merge patch, as the apiserver applies a `application/merge-patch+json` body. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (value !== undefined) result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * uids are unique across clusters, as the apiserver's are: decodings and translations are kept per
 * uid for the whole process (jobs/spec.ts, controller/translations.ts).
 */
let uids = 0;

export class MemoryCluster {
  readonly #objects = new Map<string, KubernetesObject>();
  #resourceVersion = 0;
  /** Every write, in order. */
  writes: Write[] = [];
  /** Stamps `metadata.creationTimestamp` on new objects, as the apiserver does. */
  readonly #clock: () => Date;

  constructor(clock: () => Date = () => new Date()) {
    this.#clock = clock;
  }

  /** Puts an object as the apiserver would hold it (uid and resourceVersion assigned when missing). */
  put<T extends KubernetesObject>(object: T): T {
    const stored = structuredClone(object);
    stored.metadata ??= {};
    const previous = this.#objects.get(this.#keyOfObject(stored));
    stored.metadata.uid ??= previous?.metadata?.uid ?? `uid-${++uids}`;
    stored.metadata.creationTimestamp ??= previous?.metadata?.creationTimestamp ?? this.#clock();
    stored.metadata.resourceVersion = String(++this.#resourceVersion);
    if (stored.kind === 'NomadJob') {
      const generation = previous?.metadata?.generation ?? 0;
      const specChanged = !previous || JSON.stringify(specOf(previous)) !== JSON.stringify(specOf(stored));
      stored.metadata.generation = specChanged ? generation + 1 : generation;
    }
    this.#objects.set(this.#keyOfObject(stored), stored);
    return structuredClone(stored);
  }

  /** The stored object, or undefined. */
  get<T extends KubernetesObject>(kind: string, namespace: string, name: string): T | undefined {
    const object = this.#objects.get(keyOf(kind, namespace, name));
    return object ? (structuredClone(object) as T) : undefined;
  }

  /** Every stored object of `kind`. */
  list<T extends KubernetesObject>(kind: string, namespace?: string): T[] {
    return [...this.#objects.values()]
      .filter((o) => o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace))
      .map((o) => structuredClone(o) as T);
  }

  /** Changes a stored NomadJob's spec (a user's edit: the generation moves). */
  updateSpec(namespace: string, name: string, spec: NomadJobObject['spec']): NomadJobObject {
    const job = this.get<NomadJobObject>('NomadJob', namespace, name);
    if (!job) throw new Error(`no NomadJob ${namespace}/${name}`);
    return this.put({ ...job, spec });
  }

  /** Forgets the writes recorded so far. */
  clearWrites(): void {
    this.writes = [];
  }

  /** The writes other than events (the state changes). */
  get changes(): Write[] {
    return this.writes.filter((w) => w.verb !== 'event');
  }

  /** The real cache reader (src/kube/reader.ts) over this store. */
  readonly view: ClusterReader = cacheReader((kind) => ({
    list: (namespace) => this.list(kind, namespace),
    get: (namespace, name) => this.get(kind, namespace ?? '', name),
  }));

  readonly writer: ClusterWriter = {
    read: async <T extends KubernetesObject>(ref: ObjectRef) =>
      this.get<T>(ref.kind, ref.namespace ?? '', ref.name),
    list: async <T extends KubernetesObject>(
      of: { kind: string; namespace: string },
      labelSelector: string,
    ) => {
      const [key, value] = labelSelector.split('=');
      return this.list<T>(of.kind, of.namespace).filter((o) => o.metadata?.labels?.[key ?? ''] === value);
    },
    create: async <T extends KubernetesObject>(object: T) => {
      const created = !this.#objects.has(this.#keyOfObject(object));
      this.writes.push({
        verb: 'create',
        kind: object.kind ?? '',
        name: object.metadata?.name ?? '',
        object: structuredClone(object),
        created,
      });
      if (!created)
        throw new WriteError('already-exists', `${object.kind} ${object.metadata?.name} already exists`, 409);
      return this.put(object);
    },
    replace: async <T extends KubernetesObject>(object: T) => {
      const live = this.#objects.get(this.#keyOfObject(object));
      if (!live) throw new WriteError('not-found', 'not found', 404);
      const expected = object.metadata?.resourceVersion;
      if (expected !== undefined && live.metadata?.resourceVersion !== expected)
        throw new WriteError('conflict', 'the object has been modified', 409);
      return this.put(object);
    },
    apply: async <T extends KubernetesObject>(
      object: T,
      options?: { fieldManager?: string; force?: boolean },
    ) => {
      const kind = object.kind ?? '';
      const name = object.metadata?.name ?? '';
      this.writes.push({
        verb: 'apply',
        kind,
        name,
        object: structuredClone(object),
        ...(options?.fieldManager !== undefined ? { fieldManager: options.fieldManager } : {}),
        ...(options?.force !== undefined ? { force: options.force } : {}),
      });
      const live = this.#objects.get(this.#keyOfObject(object));
      const expected = object.metadata?.resourceVersion;
      if (expected !== undefined && live?.metadata?.resourceVersion !== expected)
        throw new WriteError('conflict', `${kind} ${name}: the object has been modified`, 409);
      const applied = structuredClone(object);
      applied.metadata ??= {};
      delete applied.metadata.resourceVersion;
      if (live?.metadata?.uid) applied.metadata.uid = live.metadata.uid;
      return this.put(applied);
    },
    mergePatch: async <T extends KubernetesObject>(
      ref: ObjectRef,
      patch: Record<string, unknown>,
      options?: { status?: boolean },
    ) => {
      const key = keyOf(ref.kind, ref.namespace ?? '', ref.name);
      if (options?.status)
        this.writes.push({
          verb: 'patchStatus',
          kind: 'NomadJob',
          name: ref.name,
          status: structuredClone(patch.status) as NomadJobStatus,
        });
      const live = this.#objects.get(key);
      if (!live) throw new WriteError('not-found', 'not found', 404);
      const patched = mergePatch(live, patch) as KubernetesObject;
      if (options?.status) {
        // The status subresource: no new generation, a new resourceVersion.
        patched.metadata ??= {};
        patched.metadata.resourceVersion = String(++this.#resourceVersion);
        this.#objects.set(key, patched);
        return structuredClone(patched) as T;
      }
      return this.put(patched) as T;
    },
    delete: async (ref: ObjectRef, options?: { uid?: string; resourceVersion?: string }) => {
      this.writes.push({ verb: 'delete', kind: ref.kind, name: ref.name });
      const key = keyOf(ref.kind, ref.namespace ?? '', ref.name);
      const live = this.#objects.get(key);
      if (!live) return undefined;
      if (
        (options?.uid !== undefined && live.metadata?.uid !== options.uid) ||
        (options?.resourceVersion !== undefined && live.metadata?.resourceVersion !== options.resourceVersion)
      )
        throw new WriteError('conflict', `${ref.kind} ${ref.name}: precondition failed`, 409);
      this.#objects.delete(key);
      return ++this.#resourceVersion;
    },
    event: async (object, type, reason, message) => {
      this.writes.push({
        verb: 'event',
        kind: 'Event',
        name: object.metadata?.name ?? '',
        type,
        reason,
        message,
      });
    },
  };

  #keyOfObject(object: KubernetesObject): string {
    return keyOf(object.kind ?? '', object.metadata?.namespace ?? '', object.metadata?.name ?? '');
  }
}
