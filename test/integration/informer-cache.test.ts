// What the operator's caches hold, against the real apiserver: the informers the controller and the
// Nomad API build select the operator's own objects by label (nothing of an unrelated workload: its
// Deployment, ReplicaSet, pods, ConfigMaps, Secrets), and strip managed fields and kubectl's
// last-applied copy at the informer, from the first list and from watch events alike; NomadJobs keep
// only the newest spec write of their managed fields, so their submit time reads as from the live object;
// workloads lose their pod templates, Secrets their values, and revisions hold their job decoded.
// Lookups by label and by owner (byLabel, byOwner) come from indexes that follow every change.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ControllerRevision,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInformers } from '../../src/api/server.ts';
import { Controller } from '../../src/controller/controller.ts';
import { nomadJobObject } from '../../src/crd/object.ts';
import { group, type NomadJobObject, plural, version } from '../../src/crd/resource.ts';
import { revisionObject, storedVersionOf, submitTimeOf } from '../../src/jobs/versions.ts';
import { makeApplier } from '../../src/kube/apply.ts';
import { ensureNomadJobCrd } from '../../src/kube/crds.ts';
import type { Informer } from '../../src/kube/informer.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createNamespaceMapper } from '../../src/nomad/ids.ts';
import { LABEL_JOB, LABEL_MANAGED_BY, MANAGED_BY } from '../../src/nomad/keys.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

let kc: KubeConfig;
let namespace: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  kc = testKubeConfig();
  await ensureNomadJobCrd(operatorConfig(kc));
  namespace = await createTestNamespace(kc, 'informer-cache');
});

afterAll(async () => {
  await namespace?.remove();
});

/** Server-side apply under a kubectl-like field manager, so the live objects carry managed fields. */
function apply<T extends KubernetesObject>(object: T): Promise<T> {
  return makeApplier(operatorConfig(kc), 'kubectl').apply(object);
}

function configMap(name: string, labels: Record<string, string>, value: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: namespace.name,
      labels,
      annotations: { [lastApplied]: JSON.stringify({ name, value }) },
    },
    data: { value },
  } as KubernetesObject;
}

/** Every object the informers hold in the test namespace, by informer. */
function cachedInNamespace(informers: Informer<KubernetesObject>[]): Map<string, KubernetesObject[]> {
  return new Map(informers.map((i) => [i.resource, i.list(namespace.name)]));
}

describe('informer caches', () => {
  it('hold only what the operator owns, without managed fields, from the list and from the watch', async () => {
    const ns = namespace.name;
    const managed = { [LABEL_MANAGED_BY]: MANAGED_BY };
    // An unrelated workload and objects beside the operator's own.
    await apply(configMap('owned', managed, 'one'));
    await apply(configMap('foreign', {}, 'x'));
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'foreign', namespace: ns },
      stringData: { token: 'x' },
    } as KubernetesObject);
    await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'foreign', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'foreign' } },
        template: {
          metadata: { labels: { app: 'foreign' } },
          spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    } as KubernetesObject);
    const job = nomadJobObject(
      { ID: 'cached', Type: 'batch', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker' }] }] },
      createNamespaceMapper({ defaultNamespace: ns }),
    );
    await apply(job);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await waitFor('the unrelated pod and ReplicaSet', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns });
      const sets = await apps.listNamespacedReplicaSet({ namespace: ns });
      return pods.items.length > 0 && sets.items.length > 0;
    });

    const controller = new Controller({
      kubeConfig: operatorConfig(kc),
      metrics: createMetrics(),
      logger: silentLogger(),
      namespace: ns,
    });
    const api = [...makeInformers(operatorConfig(kc), {}).values()];
    const informers = [...controller.informers, ...api];
    for (const informer of informers) informer.start();
    try {
      expect(await Promise.all(informers.map((i) => i.waitForSync(60_000)))).not.toContain(false);

      const check = (expectedOwnedValue: string) => {
        const cached = cachedInNamespace(informers);
        for (const [resource, objects] of cached) {
          for (const object of objects) {
            const where = `${resource}: ${object.metadata?.name}`;
            if (object.kind !== 'NomadJob' && object.kind !== 'Namespace')
              expect(object.metadata?.labels?.[LABEL_MANAGED_BY], where).toBe(MANAGED_BY);
            expect(object.metadata?.annotations?.[lastApplied], where).toBeUndefined();
            if (object.kind === 'NomadJob')
              expect(object.metadata?.managedFields, where).toEqual([
                expect.objectContaining({ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }),
              ]);
            else expect(object.metadata?.managedFields, where).toBeUndefined();
          }
        }
        const names = (kind: string) =>
          [...cached.entries()]
            .filter(([resource]) => resource.toLowerCase().includes(kind))
            .flatMap(([, objects]) => objects.map((o) => o.metadata?.name));
        expect(names('configmap')).toContain('owned');
        expect(names('configmap')).not.toContain('foreign');
        for (const kind of ['pod', 'replicaset', 'deployment', 'secret'])
          expect(names(kind), kind).toEqual([]);
        const owned = controller.owned.get('ConfigMap')?.get(ns, 'owned') as { data?: { value?: string } };
        expect(owned?.data?.value).toBe(expectedOwnedValue);
      };
      check('one');

      // The cached NomadJob tells its submit time as the live one does (the kubectl write's time).
      const live = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: ns,
        name: job.metadata?.name ?? '',
      })) as NomadJobObject;
      const cachedJob = controller.nomadJobs.get(ns, job.metadata?.name ?? '');
      expect(cachedJob).toBeDefined();
      expect(submitTimeOf(cachedJob!)).toBe(submitTimeOf(live));

      // Watch events are stripped as the list was.
      const updated = await apply(configMap('owned', managed, 'two'));
      expect(updated.metadata?.managedFields?.length).toBeGreaterThan(0);
      await waitFor('the update in the caches', async () =>
        informers
          .filter((i) => i.resource.toLowerCase().includes('configmap'))
          .every((i) => i.get(ns, 'owned')?.metadata?.resourceVersion === updated.metadata?.resourceVersion),
      );
      check('two');

      // The label index follows relabelling.
      const configMaps = controller.owned.get('ConfigMap')!;
      const indexed = (value: string) =>
        configMaps.byLabel(ns, LABEL_JOB, value).map((o) => o.metadata?.name);
      const relabelled = async (value: string) => {
        const written = await apply(configMap('owned', { ...managed, [LABEL_JOB]: value }, 'two'));
        await waitFor(
          `the ${value} label in the cache`,
          async () =>
            configMaps.get(ns, 'owned')?.metadata?.resourceVersion === written.metadata?.resourceVersion,
        );
      };
      await relabelled('a');
      expect(indexed('a')).toEqual(['owned']);
      await relabelled('b');
      expect(indexed('a')).toEqual([]);
      expect(indexed('b')).toEqual(['owned']);

      // So does the owner index.
      const owner = {
        apiVersion: live.apiVersion,
        kind: 'NomadJob',
        name: live.metadata?.name ?? '',
        uid: live.metadata?.uid ?? '',
      };
      const byOwner = () => configMaps.byOwner(ns, 'NomadJob', owner.name).map((o) => o.metadata?.name);
      expect(byOwner()).toEqual([]);
      const withOwner = configMap('owned', managed, 'two');
      withOwner.metadata!.ownerReferences = [owner];
      const owned = await apply(withOwner);
      await waitFor(
        'the owner in the cache',
        async () =>
          configMaps.get(ns, 'owned')?.metadata?.resourceVersion === owned.metadata?.resourceVersion,
      );
      expect(byOwner()).toEqual(['owned']);
    } finally {
      await Promise.all(informers.map((i) => i.stop()));
    }
  });

  it("hold the operator's workloads without pod templates, Secrets without values, revisions with their job decoded", async () => {
    const ns = namespace.name;
    const managed = { [LABEL_MANAGED_BY]: MANAGED_BY };
    const owner = await apply(
      nomadJobObject(
        {
          ID: 'shapes',
          Type: 'service',
          TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker' }] }],
        },
        createNamespaceMapper({ defaultNamespace: ns }),
      ),
    );
    await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shapes-g', namespace: ns, labels: managed },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'shapes' } },
        template: {
          metadata: { labels: { ...managed, app: 'shapes' } },
          spec: { containers: [{ name: 't', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    } as KubernetesObject);
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'shapes-payload', namespace: ns, labels: managed },
      type: 'Opaque',
      data: { payload: Buffer.from('secret payload').toString('base64') },
    } as KubernetesObject);
    const stored = { version: 0, stable: false, submitTime: '1', job: { ID: 'shapes', Meta: { a: '<&>' } } };
    const revision = revisionObject(owner as NomadJobObject, stored);
    revision.metadata!.labels = { ...revision.metadata?.labels, ...managed };
    await apply(revision);

    const controller = new Controller({
      kubeConfig: operatorConfig(kc),
      metrics: createMetrics(),
      logger: silentLogger(),
      namespace: ns,
    });
    const api = makeInformers(operatorConfig(kc), {});
    const informers = [...controller.informers, ...api.values()];
    for (const informer of informers) informer.start();
    try {
      expect(await Promise.all(informers.map((i) => i.waitForSync(60_000)))).not.toContain(false);
      await waitFor('the ReplicaSet and its pods in the cache', async () => {
        const sets = controller.owned.get('ReplicaSet')?.list(ns) ?? [];
        return sets.length > 0;
      });
      for (const cache of [controller.owned, api]) {
        const deployment = cache.get('Deployment')?.get(ns, 'shapes-g') as
          | { spec?: Record<string, unknown> }
          | undefined;
        expect(deployment?.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: 'shapes' } } });
        expect(deployment?.spec).not.toHaveProperty('template');
        for (const set of cache.get('ReplicaSet')?.list(ns) ?? [])
          expect((set as { spec?: object }).spec).not.toHaveProperty('template');
        const cachedRevision = cache.get('ControllerRevision')?.get(ns, revision.metadata?.name ?? '');
        expect(cachedRevision).toBeDefined();
        expect((cachedRevision as { data?: unknown }).data).toEqual({
          version: 0,
          stable: false,
          submitTime: '1',
          job: stored.job,
        });
        expect(storedVersionOf(cachedRevision as V1ControllerRevision)).toEqual(stored);
      }
      const secret = controller.owned.get('Secret')?.get(ns, 'shapes-payload') as
        | { type?: string; data?: unknown }
        | undefined;
      expect(secret?.type).toBe('Opaque');
      expect(secret).not.toHaveProperty('data');
    } finally {
      await Promise.all(informers.map((i) => i.stop()));
    }
  });
});
