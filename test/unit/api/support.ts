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
import { type ClusterWriter, type JobSubmission, WriteError } from '../../../src/api/writer.ts';
import { jobOfObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { nextVersion, revisionObject, storedVersionOf } from '../../../src/jobs/versions.ts';
import type { ChangeType } from '../../../src/kube/informer.ts';
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
  readonly submissions = new Map<string, JobSubmission>();
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

  writer(): ClusterWriter {
    const jobs = this.sources.NomadJob as unknown as MemorySource<NomadJobObject>;
    return {
      createJob: async (object) => {
        const ns = object.metadata?.namespace ?? '';
        if (this.missingNamespaces.has(ns))
          throw new WriteError('namespace-missing', `namespaces "${ns}" not found`);
        if (jobs.get(ns, object.metadata?.name ?? ''))
          throw new WriteError('already-exists', 'already exists');
        const stored = structuredClone({
          ...object,
          metadata: {
            ...object.metadata,
            uid: randomUUID(),
            creationTimestamp: new Date(),
            generation: 1,
            resourceVersion: this.nextRv(),
          },
        });
        jobs.put(stored);
        if (this.controller) this.recordVersion(stored);
        return stored;
      },
      replaceJob: async (object) => {
        const ns = object.metadata?.namespace ?? '';
        const current = jobs.get(ns, object.metadata?.name ?? '');
        if (!current) throw new WriteError('not-found', 'not found');
        if (
          object.metadata?.resourceVersion &&
          object.metadata.resourceVersion !== current.metadata?.resourceVersion
        ) {
          throw new WriteError('conflict', 'the object has been modified');
        }
        const specChanged = JSON.stringify(object.spec) !== JSON.stringify(current.spec);
        const stored = structuredClone({
          ...object,
          status: current.status,
          metadata: {
            ...object.metadata,
            uid: current.metadata?.uid,
            creationTimestamp: current.metadata?.creationTimestamp,
            generation: (current.metadata?.generation ?? 1) + (specChanged ? 1 : 0),
            resourceVersion: this.nextRv(),
          },
        });
        jobs.put(stored);
        if (this.controller) this.recordVersion(stored);
        return stored;
      },
      deleteJob: async (namespace, name) => {
        if (!jobs.get(namespace, name)) return undefined;
        const rv = Number(this.nextRv());
        jobs.remove(namespace, name, rv);
        return rv;
      },
      annotateJob: async (namespace, name, annotations) => {
        const current = jobs.get(namespace, name);
        if (!current) throw new WriteError('not-found', 'not found');
        const merged: Record<string, string> = { ...current.metadata?.annotations };
        for (const [k, v] of Object.entries(annotations)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        const stored = {
          ...current,
          metadata: { ...current.metadata, annotations: merged, resourceVersion: this.nextRv() },
        };
        jobs.put(stored);
        return stored;
      },
      writeSubmission: async (owner, version, submission) => {
        this.submissions.set(`${owner.metadata?.uid}/${version}`, submission);
      },
      readSubmission: async (owner, version) => this.submissions.get(`${owner.metadata?.uid}/${version}`),
      createRevision: async (revision) => {
        const ns = revision.metadata?.namespace ?? '';
        if (this.sources.ControllerRevision.get(ns, revision.metadata?.name ?? '')) {
          throw new WriteError('already-exists', 'already exists');
        }
        return this.put('ControllerRevision', revision);
      },
      deleteRevision: async (namespace, name) => {
        this.sources.ControllerRevision.remove(namespace, name, Number(this.nextRv()));
      },
      deletePods: async (namespace, names) => {
        for (const name of names) this.sources.Pod.remove(namespace, name, Number(this.nextRv()));
      },
      createNamespace: async (name, annotations) => {
        if (this.sources.Namespace.get(undefined, name))
          throw new WriteError('already-exists', `namespaces "${name}" already exists`);
        this.missingNamespaces.delete(name);
        return this.put('Namespace', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, annotations },
        });
      },
      annotateNamespace: async (name, annotations) => {
        const current = this.sources.Namespace.get(undefined, name);
        if (!current) throw new WriteError('not-found', `namespaces "${name}" not found`);
        const merged: Record<string, string> = { ...current.metadata?.annotations };
        for (const [k, v] of Object.entries(annotations)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        const stored = {
          ...current,
          metadata: { ...current.metadata, annotations: merged, resourceVersion: this.nextRv() },
        };
        this.sources.Namespace.put(stored);
        return stored;
      },
      // Kubernetes deletes a namespace's contents first; here it goes at once, with its NomadJobs.
      deleteNamespace: async (name) => {
        if (!this.sources.Namespace.get(undefined, name)) return undefined;
        for (const job of jobs.list(name)) jobs.remove(name, job.metadata?.name ?? '', Number(this.nextRv()));
        const rv = Number(this.nextRv());
        this.sources.Namespace.remove('', name, rv);
        this.missingNamespaces.add(name);
        return rv;
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
