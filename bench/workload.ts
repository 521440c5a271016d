// What the benchmark runs: one-replica service jobs, and for the direct path the very Deployment the
// translator makes of the same job, relabelled so that nothing of the operator's selects it (it is
// the "unrelated" workload the operator's caches must not hold).
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { nomadJobObject } from '../src/crd/object.ts';
import type { NomadJobObject } from '../src/crd/resource.ts';
import { canonicalize } from '../src/nomad/canonicalize.ts';
import { createNamespaceMapper } from '../src/nomad/ids.ts';
import { parseJobJson } from '../src/nomad/validate.ts';
import { translate } from '../src/translate/index.ts';

export const DIRECT_NAMESPACE = 'bench-direct';
export const JOBS_NAMESPACE = 'bench-jobs';

/** A one-replica service job in Nomad's API JSON (what `PUT /v1/jobs` takes as `Job`), its task's env naming it. */
export function benchJob(id: string, meta: Record<string, string> = {}): Record<string, unknown> {
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['*'],
    ...(Object.keys(meta).length ? { Meta: meta } : {}),
    TaskGroups: [
      {
        Name: 'web',
        Count: 1,
        Tasks: [
          {
            Name: 'web',
            Driver: 'docker',
            Config: { image: 'registry.k8s.io/pause:3.10' },
            // Each job's task groups its own, as in a real fleet: the operator holds one copy of
            // parts jobs have alike (src/jobs/shared-parts.ts), and the bench must not flatter that.
            Env: { INSTANCE: id },
            Resources: { CPU: 50, MemoryMB: 32 },
          },
        ],
      },
    ],
  };
}

/** The NomadJob object of `benchJob(id)` in the jobs namespace (what `kubectl apply` would create). */
export function benchNomadJob(id: string): NomadJobObject {
  return nomadJobObject(benchJob(id), createNamespaceMapper({ defaultNamespace: JOBS_NAMESPACE }));
}

/** The translator's Deployment of `benchJob(id)`, with labels and selector of its own. */
export function directDeployment(id: string): V1Deployment {
  const parsed = parseJobJson(benchJob(id));
  if (!parsed.ok) throw new Error(`bench job does not parse: ${parsed.errors.join('; ')}`);
  const { objects } = translate(canonicalize(parsed.job), { namespace: DIRECT_NAMESPACE });
  const translated = objects.find((o: KubernetesObject) => o.kind === 'Deployment') as
    | V1Deployment
    | undefined;
  if (!translated?.spec) throw new Error('the translator made no Deployment of the bench job');
  const labels = { 'bench.nomadoperator.dev/app': id };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: id, namespace: DIRECT_NAMESPACE, labels },
    spec: {
      ...translated.spec,
      selector: { matchLabels: labels },
      template: { ...translated.spec.template, metadata: { labels } },
    },
  };
}
