// The Nomad view of the cluster: NomadJobs as Nomad jobs (namespace and ID from the identity
// annotations, the spec decoded and canonicalized), their versions (ControllerRevisions), their
// pods, rollouts and Services, found through the job label every owned object carries. Reads only
// the informer caches (ClusterState); writes go through the process's ClusterWriter (src/kube/writer.ts).
//
// Answers computed from one job's objects (its list stub, its full job, their JSON bytes) are kept per
// job entry until the state files a change of one of those objects (ClusterState.jobChangedAt): a
// read of an unchanged job costs a lookup, not a recomputation.
import type {
  KubernetesObject,
  V1ControllerRevision,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Pod,
  V1ReplicaSet,
  V1Service,
} from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import { decodeSpec } from '../jobs/spec.ts';
import { nextVersion, type StoredVersion, storedVersionOf, submitTimeOf } from '../jobs/versions.ts';
import { isOwnedBy } from '../kube/owner-reference.ts';
import type { ClusterWriter } from '../kube/writer.ts';
import {
  createNamespaceMapper,
  jobObjectName,
  type NamespaceMapper,
  NOMAD_DEFAULT_NAMESPACE,
  readIdentity,
} from '../nomad/ids.ts';
import { LABEL_JOB } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { type ClusterState, jobKey, type Kind, resourceVersionOf } from './state.ts';

/**
 * JobModifyIndex of a NomadJob whose current spec has no recorded version to tell it (not recorded
 * yet, or a revision that does not hold it): the controller's record once it observed this generation,
 * else the resourceVersion (the spec write's, unless other writes came since).
 */
function unrecordedJobModifyIndex(object: NomadJobObject): number {
  const status = object.status;
  if (status?.jobModifyIndex && status.observedGeneration === (object.metadata?.generation ?? 0))
    return status.jobModifyIndex;
  return resourceVersionOf(object);
}

/** The JobModifyIndex of a recorded version that is not the current one. */
export function recordedJobModifyIndex(record: VersionRecord): number {
  return record.jobModifyIndex ?? record.resourceVersion ?? 0;
}

export interface JobEntry {
  object: NomadJobObject;
  /** Kubernetes namespace and name. */
  k8sNamespace: string;
  name: string;
  /** Nomad namespace and job ID. */
  namespace: string;
  id: string;
  /** The canonical job (best effort when the spec does not decode). */
  job: Job;
  /** Why the spec is not a valid job, if it is not. */
  error?: string;
}

export interface VersionRecord extends StoredVersion {
  /** resourceVersion of the ControllerRevision (undefined: not recorded yet). */
  resourceVersion?: number;
  revision?: V1ControllerRevision;
}

export interface VersionState {
  /** The version the current spec is (or will be, once the controller records it). */
  version: number;
  stable: boolean;
  /** Unix ns, decimal. */
  submitTime: string;
  jobModifyIndex: number;
  /** The job's CreateIndex (createIndex over the same history). */
  createIndex: number;
  /** The controller has not recorded this version yet. */
  pending: boolean;
}

export interface StoreOptions {
  /** Kubernetes namespace of Nomad's `default`. */
  defaultNamespace?: string;
  /** Job versions kept per job (--history-limit). Default 6. */
  historyLimit?: number;
  mapNamespace?: NamespaceMapper;
}

export class ApiStore {
  readonly state: ClusterState;
  readonly writer: ClusterWriter;
  readonly mapNamespace: NamespaceMapper;
  readonly defaultNamespace: string;
  readonly historyLimit: number;
  readonly #entries = new WeakMap<NomadJobObject, JobEntry>();
  readonly #nextVersions = new WeakMap<
    JobEntry,
    { revisions: object[]; next: ReturnType<typeof nextVersion> }
  >();
  /** The evaluation recorded for a job version, when evaluations are recorded (set by the app). */
  versionEvalId: ((entry: JobEntry, version: number) => string | undefined) | undefined;
  /** Answers kept per job entry (answer()), with the state's sequence number they were computed at. */
  readonly #answers = new WeakMap<
    JobEntry,
    { at: number; values: Map<string, unknown>; key: string; parent: boolean }
  >();
  /** Evaluations of purged jobs (their record went with them), newest last, bounded. */
  readonly #detached = new Map<string, { namespace: string; evaluation: Record<string, unknown> }>();

  constructor(state: ClusterState, writer: ClusterWriter, options: StoreOptions = {}) {
    this.state = state;
    this.writer = writer;
    this.defaultNamespace = options.defaultNamespace ?? 'default';
    this.historyLimit = options.historyLimit ?? 6;
    this.mapNamespace =
      options.mapNamespace ?? createNamespaceMapper({ defaultNamespace: this.defaultNamespace });
  }

  /** The Nomad namespace of a NomadJob: its annotation, else the one its Kubernetes namespace maps from. */
  nomadNamespaceOf(object: KubernetesObject): string {
    const identity = readIdentity(object.metadata ?? {});
    if (identity) return identity.namespace;
    return this.nomadNamespaceForK8s(object.metadata?.namespace ?? '');
  }

  /** Reverse of the namespace mapping where it is plain (hashed namespaces need an annotation). */
  nomadNamespaceForK8s(k8sNamespace: string): string {
    return k8sNamespace === this.defaultNamespace ? NOMAD_DEFAULT_NAMESPACE : k8sNamespace;
  }

  entry(object: NomadJobObject): JobEntry {
    const cached = this.#entries.get(object);
    if (cached) return cached;
    const namespace = this.nomadNamespaceOf(object);
    // The reconciler's decoding (jobs/spec.ts), without its validation: a job that does not validate
    // is still shown, with its error.
    const decoded = decodeSpec(object);
    // A copy of the shared decoding (jobs/spec.ts): the entry stamps its identity on it.
    const job: Job = decoded.ok ? { ...decoded.job } : {};
    const error = decoded.ok ? undefined : decoded.message;
    const identity = readIdentity(object.metadata ?? {});
    const id =
      identity?.jobId ??
      (typeof job.ID === 'string' && job.ID !== '' ? job.ID : (object.metadata?.name ?? ''));
    job.ID = id;
    job.Name ??= id;
    job.Namespace = namespace;
    if (identity?.parentId) job.ParentID = identity.parentId;
    const entry: JobEntry = {
      object,
      k8sNamespace: object.metadata?.namespace ?? '',
      name: object.metadata?.name ?? '',
      namespace,
      id,
      job,
      ...(error !== undefined ? { error } : {}),
    };
    this.#entries.set(object, entry);
    return entry;
  }

  /**
   * `compute()`'s value for the entry, kept under `slot` until a change of the job or of an object
   * labelled with it (for a periodic or parameterized job, also of a child job in its namespace) is
   * filed in the state. `compute` must read nothing else that changes: the job's own objects, found
   * through its label, and its children. Values are shared between callers: never modify one.
   */
  answer<T>(entry: JobEntry, slot: string, compute: () => T): T {
    let kept = this.#answers.get(entry);
    // The job's key and kind, worked out once per entry (GET /v1/jobs asks for every job).
    const key = kept?.key ?? jobKey(entry.k8sNamespace, entry.name);
    const parent =
      kept?.parent ?? (entry.job.Periodic !== undefined || entry.job.ParameterizedJob !== undefined);
    const changedAt = this.state.jobChangedAt(key, parent ? entry.k8sNamespace : undefined);
    // Without a creation time a pending version's submit time is the clock's (versionState): not kept.
    if (changedAt === undefined || !entry.object.metadata?.creationTimestamp) return compute();
    if (!kept || kept.at < changedAt) {
      kept = { at: this.state.sequence(), values: new Map(), key, parent };
      this.#answers.set(entry, kept);
    }
    if (kept.values.has(slot)) return kept.values.get(slot) as T;
    const value = compute();
    kept.values.set(slot, value);
    return value;
  }

  /** The job with this Nomad namespace and ID, if it exists (and is not being deleted). */
  findJob(namespace: string, id: string): JobEntry | undefined {
    const object = this.state.get<NomadJobObject>(
      'NomadJob',
      this.mapNamespace(namespace),
      jobObjectName(id),
    );
    if (!object || object.metadata?.deletionTimestamp) return undefined;
    const entry = this.entry(object);
    return entry.id === id && entry.namespace === namespace ? entry : undefined;
  }

  /** Jobs of one Nomad namespace, or of all (`*`), or of the given Kubernetes namespaces. */
  jobs(namespace: string): JobEntry[] {
    const objects =
      namespace === '*'
        ? this.state.list<NomadJobObject>('NomadJob')
        : this.state.list<NomadJobObject>('NomadJob', this.mapNamespace(namespace));
    return objects.flatMap((o) => {
      const entry = this.#listed(namespace, o);
      return entry ? [entry] : [];
    });
  }

  /** The entry of a NomadJob if `jobs(namespace)` lists it (what that list holds, object by object). */
  listedEntry(namespace: string, object: NomadJobObject): JobEntry | undefined {
    if (namespace !== '*' && object.metadata?.namespace !== this.mapNamespace(namespace)) return undefined;
    return this.#listed(namespace, object);
  }

  /** listedEntry for an object of the Kubernetes namespace `namespace` maps to. */
  #listed(namespace: string, object: NomadJobObject): JobEntry | undefined {
    if (object.metadata?.deletionTimestamp) return undefined;
    const entry = this.entry(object);
    return namespace === '*' || entry.namespace === namespace ? entry : undefined;
  }

  /** Keeps an evaluation whose job is being purged, so `GET /v1/evaluation/:id` still finds it. */
  rememberEvaluation(k8sNamespace: string, evaluation: Record<string, unknown>): void {
    this.#detached.set(String(evaluation.ID), { namespace: k8sNamespace, evaluation });
    while (this.#detached.size > 1000) {
      const oldest = this.#detached.keys().next().value;
      if (oldest === undefined) break;
      this.#detached.delete(oldest);
    }
  }

  detachedEvaluation(id: string): { namespace: string; evaluation: Record<string, unknown> } | undefined {
    return this.#detached.get(id);
  }

  /** `owned(kind, namespace, jobName)` over the caches, as the controller's evaluation readers expect. */
  readonly lister = {
    owned: <T extends { metadata?: { name?: string } }>(
      kind: string,
      namespace: string,
      jobName: string,
    ): T[] => this.state.labelled(kind as Kind, namespace, LABEL_JOB, jobName) as unknown as T[],
  };

  /** Objects of `kind` labelled as belonging to the job. */
  owned<T extends KubernetesObject>(kind: Kind, entry: JobEntry): T[] {
    return this.state.labelled<T>(kind, entry.k8sNamespace, LABEL_JOB, entry.name);
  }

  /** Owned objects that are controlled by this very NomadJob (not a deleted namesake's). */
  controlled<T extends KubernetesObject>(kind: Kind, entry: JobEntry): T[] {
    const uid = entry.object.metadata?.uid;
    return this.owned<T>(kind, entry).filter(
      (o) => !uid || !(o.metadata?.ownerReferences ?? []).some((r) => r.controller) || isOwnedBy(o, uid),
    );
  }

  pods(entry: JobEntry): V1Pod[] {
    return this.owned<V1Pod>('Pod', entry);
  }
  deployments(entry: JobEntry): V1Deployment[] {
    return this.controlled<V1Deployment>('Deployment', entry);
  }
  replicaSets(entry: JobEntry): V1ReplicaSet[] {
    return this.owned<V1ReplicaSet>('ReplicaSet', entry);
  }
  batchJobs(entry: JobEntry): V1Job[] {
    return this.owned<V1Job>('Job', entry);
  }
  daemonSets(entry: JobEntry): V1DaemonSet[] {
    return this.controlled<V1DaemonSet>('DaemonSet', entry);
  }
  services(entry: JobEntry): V1Service[] {
    // Services named after Nomad services are shared: the job is one of their (non-controller) owners.
    const uid = entry.object.metadata?.uid;
    const shared = this.state
      .list<V1Service>('Service', entry.k8sNamespace)
      .filter(
        (s) =>
          s.metadata?.labels?.[LABEL_JOB] === undefined &&
          !!uid &&
          (s.metadata?.ownerReferences ?? []).some((r) => r.uid === uid),
      );
    return [...this.controlled<V1Service>('Service', entry), ...shared];
  }

  /** Recorded versions, newest first. */
  versions(entry: JobEntry): VersionRecord[] {
    const uid = entry.object.metadata?.uid;
    return this.owned<V1ControllerRevision>('ControllerRevision', entry)
      .filter((r) => !uid || isOwnedBy(r, uid))
      .flatMap((revision) => {
        const stored = storedVersionOf(revision);
        return stored ? [{ ...stored, resourceVersion: resourceVersionOf(revision), revision }] : [];
      })
      .sort((a, b) => b.version - a.version);
  }

  /** Version, stability, submit time and JobModifyIndex of the job as it is now. */
  versionState(entry: JobEntry, history: VersionRecord[] = this.versions(entry)): VersionState {
    const jobModifyIndex = unrecordedJobModifyIndex(entry.object);
    const createIndex = this.createIndex(entry, history);
    if (entry.error) {
      const status = entry.object.status;
      return {
        version: status?.version ?? 0,
        stable: status?.stable ?? false,
        submitTime: status?.submitTime ?? '0',
        jobModifyIndex,
        createIndex,
        pending: false,
      };
    }
    const next = this.#nextVersionOf(entry, history);
    if (!next.isNew && next.latest) {
      const recorded = next.latest as VersionRecord;
      return {
        version: next.version,
        stable: recorded.stable,
        submitTime: recorded.submitTime,
        jobModifyIndex: recorded.jobModifyIndex ?? jobModifyIndex,
        createIndex,
        pending: false,
      };
    }
    return {
      version: next.version,
      stable: false,
      // What the revision of this version will hold, whoever records it.
      submitTime: submitTimeOf(entry.object, new Date()),
      jobModifyIndex,
      createIndex,
      pending: true,
    };
  }

  /**
   * nextVersion of the entry's job over its history, remembered while the job object and the
   * revision objects stay the same: comparing specs takes two canonical JSON encodings of whole
   * jobs, which every read of a job (and GET /v1/jobs, for every job) would otherwise pay again.
   */
  #nextVersionOf(entry: JobEntry, history: VersionRecord[]): ReturnType<typeof nextVersion> {
    const revisions = history.map((record) => record.revision ?? record);
    const cached = this.#nextVersions.get(entry);
    if (
      cached &&
      cached.revisions.length === revisions.length &&
      cached.revisions.every((revision, i) => revision === revisions[i])
    )
      return cached.next;
    const next = nextVersion(history, entry.job as Record<string, unknown>);
    this.#nextVersions.set(entry, { revisions, next });
    return next;
  }

  /**
   * CreateIndex: as the newest recorded version holds it, else the resourceVersion this process first
   * saw the object at (its creation's, when seen through a watch).
   */
  createIndex(entry: JobEntry, history: VersionRecord[] = this.versions(entry)): number {
    const recorded = history.find((record) => record.createIndex !== undefined)?.createIndex;
    if (recorded !== undefined) return recorded;
    const seen = this.state.firstSeen(entry.object);
    const rv = resourceVersionOf(entry.object);
    return seen !== undefined && seen > 0 ? Math.min(seen, rv) : rv;
  }

  /** The largest resourceVersion among the job and everything it owns (the job's own "table"). */
  jobTreeIndex(entry: JobEntry): number {
    let max = resourceVersionOf(entry.object);
    for (const kind of [
      'Pod',
      'Deployment',
      'ReplicaSet',
      'Job',
      'DaemonSet',
      'ControllerRevision',
    ] as const) {
      for (const o of this.owned(kind, entry)) max = Math.max(max, resourceVersionOf(o));
    }
    return max;
  }
}
