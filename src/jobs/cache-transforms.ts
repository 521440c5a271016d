// What each kind's informer cache keeps, one transform per kind, for the controller's informers and
// the API's own (when it runs without a controller) alike: every kind passes through stripForCache
// (src/kube/informer.ts: no managed fields, no workload templates, no Secret values, no unread pod
// fields); NomadJobs keep the time of their newest spec write instead (their submit time, when a spec
// was written without the annotation); ControllerRevisions keep their job decoded rather than as the
// base64 text they travel as, one copy instead of two.
import type { KubernetesObject } from '@kubernetes/client-node';
import { keepSpecWriteTime, stripForCache } from '../kube/informer.ts';
import { decodeRevisionJobInPlace } from './versions.ts';

/**
 * Shrinks a freshly decoded object for the cache and returns what the cache keeps (the built-in
 * transforms: a compact copy, src/kube/compact.ts); may mutate its argument.
 */
export type CacheTransform = <T extends KubernetesObject>(object: T) => T;

const keepDecodedRevision: CacheTransform = (object) => decodeRevisionJobInPlace(stripForCache(object));

/** The transform of the informer caching `kind` (a kind of src/jobs/owned.ts, or NomadJob). */
export function cacheTransformFor(kind: string): CacheTransform {
  if (kind === 'NomadJob') return keepSpecWriteTime;
  if (kind === 'ControllerRevision') return keepDecodedRevision;
  return stripForCache;
}
