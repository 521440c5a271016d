// Runs the real controller in-process against the test cluster, watching one test namespace, and
// gives tests a way to submit Nomad jobs as NomadJobs and read them back.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { Controller, type ControllerOptions } from '../../../src/controller/controller.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { makeApplier } from '../../../src/kube/apply.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { silentLogger } from '../../../src/log.ts';
import { createMetrics, type OperatorMetrics } from '../../../src/metrics.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';

export interface Harness {
  controller: Controller;
  metrics: OperatorMetrics;
  submit(job: Job): Promise<NomadJobObject>;
  read(name: string): Promise<NomadJobObject>;
  stop(): Promise<void>;
}

export async function startController(
  kc: KubeConfig,
  namespace: string,
  options: { resyncMs?: number; workers?: number; translate?: ControllerOptions['translate'] } = {},
): Promise<Harness> {
  await ensureNomadJobCrd(operatorConfig(kc));
  const metrics = createMetrics();
  const controller = new Controller({
    kubeConfig: operatorConfig(kc),
    metrics,
    logger: silentLogger(),
    namespace,
    workers: options.workers ?? 4,
    resyncMs: options.resyncMs ?? 10 * 60_000,
    ...(options.translate ? { translate: options.translate } : {}),
  });
  controller.startInformers();
  if (!(await controller.waitForSync(60_000))) throw new Error('controller caches did not sync');
  controller.run();
  const custom = kc.makeApiClient(CustomObjectsApi);
  // Submitting is what `kubectl apply` or the Nomad API does: a user write, not the controller's.
  const applier = makeApplier(operatorConfig(kc), 'test-user', createMetrics());
  return {
    controller,
    metrics,
    submit: (job) =>
      applier.apply(nomadJobObject(canonicalize(job) as Record<string, unknown>, () => namespace)),
    read: async (name) =>
      (await custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as NomadJobObject,
    stop: () => controller.stop(),
  };
}

/** A minimal Nomad job with one docker task. */
export function dockerJob(id: string, extra: Partial<Job> = {}, count = 1): Job {
  return {
    ID: id,
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: 'app',
        Count: count,
        Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'registry.example/app:1' } }],
      },
    ],
    ...extra,
  };
}
