// Server-side apply of whole objects under one field manager. The operator always sends its full
// intent for the fields it owns (never a read-modify-write), so a re-apply of the same intent is a
// no-op on the server.
import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { defaultMetrics, type WriteCounter } from '../metrics.ts';

export const fieldManager = 'nomad-operator';

export interface Applier {
  apply<T extends KubernetesObject>(object: T, options?: { dryRun?: boolean }): Promise<T>;
}

/** `writes` counts every non-dry-run apply as an `apply` write of the object's kind. */
export function makeApplier(
  kc: KubeConfig,
  manager = fieldManager,
  writes: WriteCounter = defaultMetrics(),
): Applier {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  return {
    apply: (object, options = {}) => {
      if (!options.dryRun) writes.countWrite('apply', object.kind ?? 'Unknown');
      return objects.patch(
        object,
        undefined,
        options.dryRun ? 'All' : undefined,
        manager,
        true,
        PatchStrategy.ServerSideApply,
      );
    },
  };
}
