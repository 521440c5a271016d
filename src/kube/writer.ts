// The one port to the apiserver for everything that changes the cluster: the reconciler, the Nomad API
// and the domain services (src/jobs) all write through a ClusterWriter, so every write shares one rate
// limit (kube-writer.ts) and one mapping of failures (WriteError). What they read to decide comes from
// the informer caches; `read` and `list` are for the few read-modify-write steps that must see the
// apiserver's latest copy (an evaluation record, a revert's base, a token claim).
//
// kube-writer.ts implements it on the Kubernetes API; unit tests use in-memory ones. Every write the
// Nomad API makes through it is made only after the caller was authorized for it (src/api/acl.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { group, version } from '../crd/resource.ts';
import type { ApplyOptions } from './apply.ts';
import { kubeErrorCode, kubeErrorMessage } from './errors.ts';

export type WriteErrorKind =
  | 'conflict'
  | 'not-found'
  | 'namespace-missing'
  | 'already-exists'
  | 'invalid'
  | 'other';

/** A failed write, as one of a few kinds; `code` and `body` are the apiserver's status and Status. */
export class WriteError extends Error {
  readonly kind: WriteErrorKind;
  readonly code: number | undefined;
  readonly body: unknown;
  constructor(kind: WriteErrorKind, message: string, code?: number, body?: unknown) {
    super(message);
    this.name = 'WriteError';
    this.kind = kind;
    this.code = code;
    this.body = body;
  }
}

/** The one mapping of apiserver failures (a WriteError passes through). */
export function writeErrorOf(error: unknown): WriteError {
  if (error instanceof WriteError) return error;
  const code = kubeErrorCode(error);
  const message = kubeErrorMessage(error);
  const body = (error as { body?: unknown } | undefined)?.body;
  const kind: WriteErrorKind =
    code === 409 && /already exists/i.test(message)
      ? 'already-exists'
      : code === 409
        ? 'conflict'
        : code === 404 && /namespaces? "[^"]*" not found/i.test(message)
          ? 'namespace-missing'
          : code === 404
            ? 'not-found'
            : code === 422 || code === 400
              ? 'invalid'
              : 'other';
  return new WriteError(kind, message, code, body);
}

/** Whether `error` is a WriteError of one of these kinds. */
export function isWriteError(error: unknown, ...kinds: WriteErrorKind[]): error is WriteError {
  return error instanceof WriteError && (kinds.length === 0 || kinds.includes(error.kind));
}

/** Which object: enough to address it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Unset for cluster-scoped kinds (Namespace). */
  namespace?: string;
  name: string;
}

export function refOf(object: KubernetesObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata?.name ?? '',
  };
}

export function nomadJobRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: `${group}/${version}`, kind: 'NomadJob', namespace, name };
}

export function namespaceRef(name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'Namespace', name };
}

export interface ClusterWriter {
  /** The apiserver's current copy (not a cache), undefined when there is none. Not rate-limited. */
  read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  /** The objects of a kind in a namespace matching a label selector, from the apiserver. */
  list<T extends KubernetesObject>(
    of: { apiVersion: string; kind: string; namespace: string },
    labelSelector: string,
  ): Promise<T[]>;
  /** Creates; `already-exists` (someone created it first) and `namespace-missing` are their own kinds. */
  create<T extends KubernetesObject>(object: T): Promise<T>;
  /** Replaces; `metadata.resourceVersion`, when set, is a precondition (`conflict` when stale). */
  replace<T extends KubernetesObject>(object: T): Promise<T>;
  /**
   * Server-side apply; a `metadata.resourceVersion` on the object makes it conditional (`conflict`).
   * Resolves to the object as the apiserver holds it after the apply.
   */
  apply<T extends KubernetesObject>(
    object: T,
    options?: Pick<ApplyOptions, 'fieldManager' | 'force'>,
  ): Promise<T>;
  /** JSON merge patch (RFC 7386; null removes a key), of the status subresource with `status`. */
  mergePatch<T extends KubernetesObject>(
    ref: ObjectRef,
    patch: Record<string, unknown>,
    options?: { status?: boolean },
  ): Promise<T>;
  /**
   * Deletes (dependents in the background), with the object's uid and resourceVersion as
   * preconditions when given (`conflict` when the object is another one, or has changed since).
   * Resolves to the resourceVersion the delete answered with, undefined when it was already gone.
   */
  delete(ref: ObjectRef, options?: { uid?: string; resourceVersion?: string }): Promise<number | undefined>;
  /** Records a Kubernetes Event about `object`; best effort, never fails. */
  event(object: KubernetesObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

/** Creates `object` unless it exists; resolves whether this call created it. */
export async function createIfAbsent(writer: ClusterWriter, object: KubernetesObject): Promise<boolean> {
  try {
    await writer.create(object);
    return true;
  } catch (error) {
    if (isWriteError(error, 'already-exists')) return false;
    throw error;
  }
}
