// Server-side apply of whole objects under one field manager (or one per NomadJob for shared Services). The operator always sends its full
// intent for the fields it owns (never a read-modify-write), so a re-apply of the same intent is a
// no-op on the server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { defaultMetrics, type WriteCounter } from '../metrics.ts';
import type { KubeConfig } from './kubeconfig.ts';
import { kubeObjects } from './objects.ts';

export const fieldManager = 'nomad-operator';

export interface ApplyOptions {
  dryRun?: boolean;
  /** Apply under another field manager than the applier's (one per NomadJob for shared Services). */
  fieldManager?: string;
  /** Take over fields other managers own. Default true: the operator's intent is authoritative. */
  force?: boolean;
}

export interface Applier {
  apply<T extends KubernetesObject>(object: T, options?: ApplyOptions): Promise<T>;
}

/** `writes` counts every non-dry-run apply as an `apply` write of the object's kind. */
export function makeApplier(
  kc: KubeConfig,
  manager = fieldManager,
  writes: WriteCounter = defaultMetrics(),
): Applier {
  const objects = kubeObjects(kc);
  return {
    apply: (object, options = {}) => {
      if (!options.dryRun) writes.countWrite('apply', object.kind ?? 'Unknown');
      return objects.apply(object, {
        dryRun: options.dryRun ?? false,
        fieldManager: options.fieldManager ?? manager,
        force: options.force ?? true,
      });
    },
  };
}
