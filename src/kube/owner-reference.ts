// The ownerReference that makes `owner` an owner of another object, and the test whether an object is
// controlled by a given owner. The garbage collector deletes an object once its last owner is gone;
// `controller` marks the one owner that manages it (isOwnedBy), `blockOwnerDeletion` makes a foreground
// deletion of the owner wait for it.
// Key order is fixed: desired objects are hashed as JSON (controller/reconcile.ts), so the same
// reference must always serialise the same way.
import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_GROUP } from '../nomad/keys.ts';

/** An owner: objects read from an informer cache lack apiVersion and kind, so callers name them. */
export interface Owner {
  apiVersion: string;
  kind: string;
  metadata?: V1ObjectMeta;
}

export interface OwnerReferenceOptions {
  controller: boolean;
  /** Left out of the reference when undefined (the apiserver's default, false). */
  blockOwnerDeletion?: boolean;
}

export function ownerReference(owner: Owner, options: OwnerReferenceOptions): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: options.controller,
    ...(options.blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion: options.blockOwnerDeletion }),
  };
}

/**
 * True when `object` is controlled by the owner with this uid (its controller reference names it).
 * Without a uid nothing is owned: an owner not yet created cannot control anything.
 */
export function isOwnedBy(object: KubernetesObject, uid: string | undefined): boolean {
  return (
    !!uid &&
    (object.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid && ref.controller === true)
  );
}

/** Whether a NomadJob named `jobName` is among the object's ownerReferences. */
export function hasJobOwnerReference(object: KubernetesObject, jobName: string): boolean {
  return (object.metadata?.ownerReferences ?? []).some(
    (ref) => ref.kind === 'NomadJob' && ref.name === jobName && ref.apiVersion.startsWith(`${API_GROUP}/`),
  );
}
