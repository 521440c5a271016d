// Which job version a pod runs. Pods do not carry the version (a count-only version must not roll
// them): it is the version label of the workload that made the pod, and for a Deployment's older
// ReplicaSet (mid-rollout) the version before the Deployment's. Shared by the reconciler
// (evaluations) and the API (allocations).
//
// A Deployment's version label is ours (the reconciler's apply), its revision annotation and
// observedGeneration the Deployment controller's, written after it has seen our apply and made the
// new ReplicaSet. Until it has observed the Deployment's generation, the annotation may still name
// the old ReplicaSet as the current one: its pods are then told the version before, not the label's
// (else the old pods would place, and complete, the new version's evaluation before any of its pods
// exists).
//
// A DaemonSet rolls its pods node by node: a pod made from an older template than the DaemonSet's
// (its pod-template-generation label against the DaemonSet's template generation) runs the version
// before the DaemonSet's. A version that leaves the template as it was (the update block, say) rolls
// nothing, and its pods are told the new version: Nomad updates those allocations in place.
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { LABEL_VERSION } from '../nomad/keys.ts';

/**
 * The generation of a DaemonSet's pod template, set by the apiserver with the template change itself
 * (so already right when our apply of a new version lands), and the same number on each pod the
 * DaemonSet controller makes from that template.
 */
const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';
const POD_TEMPLATE_GENERATION = 'pod-template-generation';

/** Looks up a cached object of `kind` by namespace and name. */
export type ObjectLookup = (
  kind: string,
  namespace: string | undefined,
  name: string,
) => KubernetesObject | undefined;

export function versionLabelOf(
  object: { metadata?: { labels?: Record<string, string> } } | undefined,
): number | undefined {
  const raw = object?.metadata?.labels?.[LABEL_VERSION];
  const v = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(v) ? v : undefined;
}

export function podVersion(lookup: ObjectLookup, pod: V1Pod): number {
  const own = versionLabelOf(pod);
  if (own !== undefined) return own;
  const namespace = pod.metadata?.namespace;
  const owner = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller);
  if (!owner) return 0;
  if (owner.kind === 'ReplicaSet') {
    const rs = lookup('ReplicaSet', namespace, owner.name);
    const depOwner = (rs?.metadata?.ownerReferences ?? []).find(
      (r) => r.controller && r.kind === 'Deployment',
    );
    const deployment = depOwner
      ? (lookup('Deployment', namespace, depOwner.name) as V1Deployment | undefined)
      : undefined;
    const version = versionLabelOf(deployment) ?? 0;
    const revision = (o: KubernetesObject | undefined) =>
      o?.metadata?.annotations?.['deployment.kubernetes.io/revision'];
    const unobserved =
      (deployment?.status?.observedGeneration ?? 0) < (deployment?.metadata?.generation ?? 0);
    return revision(rs) !== undefined && (unobserved || revision(rs) !== revision(deployment))
      ? Math.max(0, version - 1)
      : version;
  }
  if (owner.kind === 'DaemonSet') {
    const daemonSet = lookup('DaemonSet', namespace, owner.name);
    const version = versionLabelOf(daemonSet) ?? 0;
    const podGeneration = pod.metadata?.labels?.[POD_TEMPLATE_GENERATION];
    const current = daemonSet?.metadata?.annotations?.[TEMPLATE_GENERATION];
    return podGeneration !== undefined && current !== undefined && podGeneration !== current
      ? Math.max(0, version - 1)
      : version;
  }
  if (owner.kind === 'Job') return versionLabelOf(lookup('Job', namespace, owner.name)) ?? 0;
  return 0;
}
