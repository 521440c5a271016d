// An in-memory cluster for unit tests of reconcile(): the ClusterView and ClusterWriter it takes
// (src/controller/reconcile.ts), backed by one object store that behaves like the apiserver where the
// reconciler relies on it — uids and resourceVersions are assigned, a conditional apply with a stale
// resourceVersion is refused with 409, create of an existing object resolves false, status is a JSON
// merge patch — and a log of every write, so a test asserts exactly what was written.
// The view selects a job's objects as the controller's cache view does (controller.ts): by the job
// label, or by a NomadJob ownerReference (shared Services).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterView, ClusterWriter } from '../../../../src/controller/cluster.ts';
import type { NomadJobObject, NomadJobStatus } from '../../../../src/crd/resource.ts';
import { hasJobOwnerReference } from '../../../../src/jobs/owned.ts';
import { LABEL_JOB } from '../../../../src/nomad/keys.ts';

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

export class MemoryCluster {
  readonly #objects = new Map<string, KubernetesObject>();
  #resourceVersion = 0;
  #uid = 0;
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
    stored.metadata.uid ??= previous?.metadata?.uid ?? `uid-${++this.#uid}`;
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

  readonly view: ClusterView = {
    nomadJob: (namespace, name) => this.get<NomadJobObject>('NomadJob', namespace, name),
    nomadJobs: (namespace) => this.list<NomadJobObject>('NomadJob', namespace),
    owned: <T extends KubernetesObject>(kind: string, namespace: string, jobName: string) =>
      this.list<T>(kind, namespace).filter(
        (o) => o.metadata?.labels?.[LABEL_JOB] === jobName || hasJobOwnerReference(o, jobName),
      ),
    get: <T extends KubernetesObject>(kind: string, namespace: string, name: string) =>
      this.get<T>(kind, namespace, name),
  };

  readonly writer: ClusterWriter = {
    apply: async (object, options) => {
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
        throw Object.assign(new Error(`${kind} ${name}: the object has been modified`), { code: 409 });
      const applied = structuredClone(object);
      applied.metadata ??= {};
      delete applied.metadata.resourceVersion;
      if (live?.metadata?.uid) applied.metadata.uid = live.metadata.uid;
      return this.put(applied);
    },
    create: async (object) => {
      const created = !this.#objects.has(this.#keyOfObject(object));
      this.writes.push({
        verb: 'create',
        kind: object.kind ?? '',
        name: object.metadata?.name ?? '',
        object: structuredClone(object),
        created,
      });
      if (created) this.put(object);
      return created;
    },
    delete: async (object) => {
      this.writes.push({ verb: 'delete', kind: object.kind ?? '', name: object.metadata?.name ?? '' });
      this.#objects.delete(this.#keyOfObject(object));
    },
    patchStatus: async (job, status) => {
      this.writes.push({
        verb: 'patchStatus',
        kind: 'NomadJob',
        name: job.metadata?.name ?? '',
        status: structuredClone(status),
      });
      const live = this.#objects.get(this.#keyOfObject(job)) as NomadJobObject | undefined;
      if (!live) throw Object.assign(new Error('not found'), { code: 404 });
      live.status = mergePatch(live.status, status) as NomadJobStatus;
      live.metadata ??= {};
      live.metadata.resourceVersion = String(++this.#resourceVersion);
    },
    event: async (job, type, reason, message) => {
      this.writes.push({
        verb: 'event',
        kind: 'Event',
        name: job.metadata?.name ?? '',
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
