// Server-side apply of whole objects under one field manager. The operator always sends its full
// intent for the fields it owns (never a read-modify-write), so a re-apply of the same intent is a
// no-op on the server.
import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';

export const fieldManager = 'nomad-operator';

export interface Applier {
  apply<T extends KubernetesObject>(object: T, options?: { dryRun?: boolean }): Promise<T>;
}

export function makeApplier(kc: KubeConfig, manager = fieldManager): Applier {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  return {
    apply: (object, options = {}) =>
      objects.patch(
        object,
        undefined,
        options.dryRun ? 'All' : undefined,
        manager,
        true,
        PatchStrategy.ServerSideApply,
      ),
  };
}
