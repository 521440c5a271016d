// An in-memory cluster for API unit tests: object sources that behave like informers, and a writer
// that stores NomadJobs there with increasing resourceVersions, as the apiserver would.
import { randomUUID } from 'node:crypto';
import type { KubernetesObject, V1ControllerRevision } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { Authorizer } from '../../../src/api/acl.ts';
import { allowAll } from '../../../src/api/acl.ts';
import type { JobActions } from '../../../src/api/actions.ts';
import { buildApiApp } from '../../../src/api/app.ts';
import { ClusterState, type Kind, kinds, type ObjectSource } from '../../../src/api/state.ts';
import { ApiStore } from '../../../src/api/store.ts';
import { jobOfObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import type { DispatchRequest } from '../../../src/jobs/dispatch.ts';
import {
  newVersionIndexes,
  nextVersion,
  revisionObject,
  storedVersionOf,
} from '../../../src/jobs/versions.ts';
import type { ChangeType } from '../../../src/kube/informer.ts';
import { type ClusterWriter, type ObjectRef, WriteError } from '../../../src/kube/writer.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';

export class MemorySource<T extends KubernetesObject = KubernetesObject> implements ObjectSource<T> {
  readonly objects = new Map<string, T>();
  readonly listeners = new Set<(object: T, type: ChangeType) => void>();
  list(namespace?: string): T[] {
    return [...this.objects.values()].filter(
      (o) => namespace === undefined || o.metadata?.namespace === namespace,
    );
  }
  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }
  onChange(listener: (object: T, type: ChangeType) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  put(object: T): void {
    const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    const type = this.objects.has(key) ? 'update' : 'add';
    this.objects.set(key, object);
    for (const l of this.listeners) l(object, type);
  }
  remove(namespace: string, name: string, rv: number): void {
    const key = `${namespace}/${name}`;
    const object = this.objects.get(key);
    if (!object) return;
    this.objects.delete(key);
    const final = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    for (const l of this.listeners) l(final, 'delete');
  }
}

export class MemoryCluster {
  rv = 100;
  readonly sources = Object.fromEntries(kinds.map((k) => [k, new MemorySource()])) as Record<
    Kind,
    MemorySource
  >;
  readonly missingNamespaces = new Set<string>();
  /** Record versions as the controller would, right after each write. */
  controller = true;

  nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  /** Adds or updates any object, with a fresh resourceVersion. */
  put<T extends KubernetesObject>(kind: Kind, object: T): T {
    const stored = {
      ...object,
      metadata: {
        uid: randomUUID(),
        creationTimestamp: new Date(),
        generation: 1,
        ...object.metadata,
        resourceVersion: this.nextRv(),
      },
    } as T;
    this.sources[kind].put(stored);
    return stored;
  }

  /** What the controller does on a spec change: a new version (ControllerRevision) and its status. */
  recordVersion(object: NomadJobObject): void {
    const decoded = jobOfObject(object);
    if (!decoded.ok) return;
    const parsed = parseJobJson(decoded.job);
    if (!parsed.ok) return;
    const job = canonicalize(parsed.job) as Record<string, unknown>;
    const history = (
      this.sources.ControllerRevision.list(object.metadata?.namespace) as V1ControllerRevision[]
    )
      .filter((r) => r.metadata?.labels?.[LABEL_JOB] === object.metadata?.name)
      .flatMap((r) => {
        const v = storedVersionOf(r);
        return v ? [v] : [];
      });
    const next = nextVersion(history, job);
    const rv = Number(object.metadata?.resourceVersion);
    if (next.isNew) {
      const stored = {
        version: next.version,
        stable: false,
        submitTime: String(Date.now() * 1e6),
        job: { ...job, Version: next.version },
        ...newVersionIndexes(object, next.latest),
      };
      this.put('ControllerRevision', revisionObject(object, stored));
    }
    const status = {
      ...object.status,
      version: next.version,
      jobModifyIndex: next.isNew ? rv : (object.status?.jobModifyIndex ?? rv),
    };
    const updated: NomadJobObject = {
      ...object,
      status,
      metadata: { ...object.metadata, resourceVersion: this.nextRv() },
    };
    this.sources.NomadJob.put(updated);
  }

  /** Events the writer recorded, in order. */
  readonly events: Array<{ name: string; type: string; reason: string; message: string }> = [];

  /** A ClusterWriter over the sources, as the apiserver would answer. */
  writer(): ClusterWriter {
    const jobs = this.sources.NomadJob as unknown as MemorySource<NomadJobObject>;
    const sourceOf = (kind: string): MemorySource | undefined =>
      (this.sources as Record<string, MemorySource | undefined>)[kind];
    const merged = (current: Record<string, string> | undefined, patch: Record<string, string | null>) => {
      const out: Record<string, string> = { ...current };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = v;
      }
      return out;
    };
    return {
      read: async <T extends KubernetesObject>(ref: ObjectRef) =>
        sourceOf(ref.kind)?.get(ref.namespace, ref.name) as T | undefined,
      list: async <T extends KubernetesObject>(
        of: { kind: string; namespace: string },
        labelSelector: string,
      ) => {
        const [key, value] = labelSelector.split('=');
        return (sourceOf(of.kind)?.list(of.namespace) ?? []).filter(
          (o) => o.metadata?.labels?.[key ?? ''] === value,
        ) as T[];
      },
      create: async <T extends KubernetesObject>(object: T) => {
        const ns = object.metadata?.namespace ?? '';
        const name = object.metadata?.name ?? '';
        if (object.kind === 'Namespace') {
          if (this.sources.Namespace.get(undefined, name))
            throw new WriteError('already-exists', `namespaces "${name}" already exists`, 409);
          this.missingNamespaces.delete(name);
          return this.put('Namespace', object);
        }
        if (this.missingNamespaces.has(ns))
          throw new WriteError('namespace-missing', `namespaces "${ns}" not found`, 404);
        const source = sourceOf(object.kind ?? '');
        if (!source) throw new WriteError('other', `no ${object.kind} here`);
        if (source.get(ns, name)) throw new WriteError('already-exists', 'already exists', 409);
        if (object.kind !== 'NomadJob') return this.put(object.kind as Kind, object);
        const stored = structuredClone({
          ...object,
          metadata: {
            ...object.metadata,
            uid: randomUUID(),
            creationTimestamp: new Date(),
            generation: 1,
            resourceVersion: this.nextRv(),
          },
        }) as T;
        jobs.put(stored as unknown as NomadJobObject);
        if (this.controller) this.recordVersion(stored as unknown as NomadJobObject);
        return stored;
      },
      replace: async <T extends KubernetesObject>(object: T) => {
        const ns = object.metadata?.namespace ?? '';
        const source = sourceOf(object.kind ?? '');
        const current = source?.get(ns, object.metadata?.name ?? '') as NomadJobObject | undefined;
        if (!current) throw new WriteError('not-found', 'not found', 404);
        if (
          object.metadata?.resourceVersion &&
          object.metadata.resourceVersion !== current.metadata?.resourceVersion
        ) {
          throw new WriteError('conflict', 'the object has been modified', 409);
        }
        if (object.kind !== 'NomadJob') return this.put(object.kind as Kind, object);
        const next = object as unknown as NomadJobObject;
        const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
        const stored = structuredClone({
          ...next,
          status: current.status,
          metadata: {
            ...next.metadata,
            uid: current.metadata?.uid,
            creationTimestamp: current.metadata?.creationTimestamp,
            generation: (current.metadata?.generation ?? 1) + (specChanged ? 1 : 0),
            resourceVersion: this.nextRv(),
          },
        });
        jobs.put(stored);
        if (this.controller) this.recordVersion(stored);
        return stored as unknown as T;
      },
      apply: async <T extends KubernetesObject>(object: T) => this.put(object.kind as Kind, object),
      mergePatch: async <T extends KubernetesObject>(ref: ObjectRef, patch: Record<string, unknown>) => {
        const source = sourceOf(ref.kind);
        const current = source?.get(ref.namespace, ref.name);
        if (!source || !current)
          throw new WriteError(
            'not-found',
            ref.kind === 'Namespace' ? `namespaces "${ref.name}" not found` : 'not found',
            404,
          );
        const annotations = (patch.metadata as { annotations?: Record<string, string | null> } | undefined)
          ?.annotations;
        const stored = {
          ...current,
          ...(patch.status ? { status: patch.status } : {}),
          metadata: {
            ...current.metadata,
            ...(annotations ? { annotations: merged(current.metadata?.annotations, annotations) } : {}),
            resourceVersion: this.nextRv(),
          },
        };
        source.put(stored);
        return stored as T;
      },
      // Kubernetes deletes a namespace's contents first; here it goes at once, with its NomadJobs.
      delete: async (ref: ObjectRef) => {
        const source = sourceOf(ref.kind);
        if (!source?.get(ref.namespace, ref.name)) return undefined;
        if (ref.kind === 'Namespace') {
          for (const job of jobs.list(ref.name))
            jobs.remove(ref.name, job.metadata?.name ?? '', Number(this.nextRv()));
          this.missingNamespaces.add(ref.name);
        }
        const rv = Number(this.nextRv());
        source.remove(ref.namespace ?? '', ref.name, rv);
        return rv;
      },
      event: async (object, type, reason, message) => {
        this.events.push({ name: object.metadata?.name ?? '', type, reason, message });
      },
    };
  }
}

export interface TestApi {
  app: FastifyInstance;
  cluster: MemoryCluster;
  store: ApiStore;
}

export async function testApi(
  options: { authorizer?: Authorizer; defaultNamespace?: string; actions?: JobActions } = {},
): Promise<TestApi> {
  const cluster = new MemoryCluster();
  const state = new ClusterState(cluster.sources);
  const store = new ApiStore(state, cluster.writer(), {
    defaultNamespace: options.defaultNamespace ?? 'default',
  });
  const app = buildApiApp({
    store,
    authorizer: options.authorizer ?? allowAll,
    ...(options.actions ? { actions: options.actions } : {}),
  });
  await app.ready();
  return { app, cluster, store };
}

/** A minimal service job. */
export function serviceJob(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ID: id,
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'web',
        Count: 2,
        Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1' } }],
      },
    ],
    ...extra,
  };
}

/**
 * Job actions that record every dispatch request and answer it with `message` (a 500, so no child
 * is made); the other actions are never expected to run.
 */
export function recordingDispatchActions(message: (request: DispatchRequest) => string): {
  actions: JobActions;
  requests: DispatchRequest[];
} {
  const requests: DispatchRequest[] = [];
  const refuse = async () => ({ ok: false as const, status: 500 as const, message: 'unused' });
  const actions: JobActions = {
    recordEvaluation: async () => {
      throw new Error('unused');
    },
    evaluationsOf: () => [],
    evaluationOfVersion: () => undefined,
    dispatch: async (_parent, request) => {
      requests.push(request);
      return { ok: false, status: 500, message: message(request) };
    },
    forcePeriodic: refuse,
    revert: refuse,
    setStable: refuse,
  };
  return { actions, requests };
}
