// The write side of the API: what it asks of the Kubernetes API. kube-writer.ts implements it with
// the operator's credentials; unit tests use an in-memory one. Every write is made only after the
// caller was authorized for it (acl.ts): the API never lends the operator's rights.
import type { V1ControllerRevision, V1Namespace } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';

export type WriteErrorKind =
  | 'conflict'
  | 'not-found'
  | 'namespace-missing'
  | 'already-exists'
  | 'invalid'
  | 'other';

export class WriteError extends Error {
  readonly kind: WriteErrorKind;
  constructor(kind: WriteErrorKind, message: string) {
    super(message);
    this.name = 'WriteError';
    this.kind = kind;
  }
}

/** The source a job was submitted from (`/v1/job/:id/submission`). */
export interface JobSubmission {
  Source: string;
  Format: string;
  VariableFlags: Record<string, string> | null;
  Variables: string;
}

export interface ClusterWriter {
  /** Creates a NomadJob; `already-exists` / `namespace-missing` on those failures. */
  createJob(object: NomadJobObject): Promise<NomadJobObject>;
  /** Replaces a NomadJob (metadata and spec); `metadata.resourceVersion` is a precondition (`conflict`). */
  replaceJob(object: NomadJobObject): Promise<NomadJobObject>;
  /** Deletes a NomadJob (its owned objects go with it); returns the deletion's resourceVersion if known. */
  deleteJob(namespace: string, name: string, uid?: string): Promise<number | undefined>;
  /** Merges annotations into a NomadJob's metadata (null removes a key). */
  annotateJob(
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<NomadJobObject>;
  /** Stores the submitted source of one job version. */
  writeSubmission(owner: NomadJobObject, version: number, submission: JobSubmission): Promise<void>;
  readSubmission(owner: NomadJobObject, version: number): Promise<JobSubmission | undefined>;
  /** Creates a job version (ControllerRevision); `already-exists` when someone recorded it first. */
  createRevision(revision: V1ControllerRevision): Promise<V1ControllerRevision>;
  /** Deletes a job version (history beyond the limit). */
  deleteRevision(namespace: string, name: string): Promise<void>;
  /** Deletes pods (force reschedule of failed allocations). */
  deletePods(namespace: string, names: string[]): Promise<void>;
  /** Creates a Kubernetes namespace with these annotations; `already-exists` when it exists. */
  createNamespace(name: string, annotations: Record<string, string>): Promise<V1Namespace>;
  /** Merges annotations into a Kubernetes namespace (null removes a key); `not-found` when it is gone. */
  annotateNamespace(name: string, annotations: Record<string, string | null>): Promise<V1Namespace>;
  /** Deletes a Kubernetes namespace (and everything in it); the deletion's resourceVersion if known. */
  deleteNamespace(name: string): Promise<number | undefined>;
}
