// The resilient informer against the real apiserver: sync, events, cache, and convergence after
// restarts of every kind (stop/start, an apiserver error, the staleness watchdog) with no missed
// deletes.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeType, Informer, objectKey } from '../../src/kube/informer.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';

const managed = 'app.kubernetes.io/managed-by=nomad-operator';

interface Recorded {
  type: ChangeType;
  key: string;
  resourceVersion: string | undefined;
}

function record<T extends KubernetesObject>(informer: Informer<T>): Recorded[] {
  const events: Recorded[] = [];
  informer.onChange((object, type) =>
    events.push({ type, key: objectKey(object), resourceVersion: object.metadata?.resourceVersion }),
  );
  return events;
}

/** Name → resourceVersion, for comparing the cache with the live state. */
function versions(objects: readonly KubernetesObject[]): Record<string, string | undefined> {
  return Object.fromEntries(objects.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion]));
}

let kc: KubeConfig;
let core: CoreV1Api;
let namespace: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  kc = testKubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  namespace = await createTestNamespace(kc, 'informer');
});

afterAll(async () => {
  await namespace?.remove();
});

async function createConfigMap(
  name: string,
  labels: Record<string, string>,
  data: Record<string, string> = {},
) {
  return core.createNamespacedConfigMap({
    namespace: namespace.name,
    body: { metadata: { name, labels }, data },
  });
}

async function liveConfigMaps(labelSelector: string): Promise<V1ConfigMap[]> {
  return (await core.listNamespacedConfigMap({ namespace: namespace.name, labelSelector })).items;
}

async function expectConverged(informer: Informer<V1ConfigMap>, labelSelector: string) {
  await waitFor(
    'the cache to equal the live state',
    async () => {
      const live = versions(await liveConfigMaps(labelSelector));
      const cached = versions(informer.list(namespace.name));
      return JSON.stringify(live) === JSON.stringify(cached) && live;
    },
    { timeoutMs: 30_000 },
  );
}

describe('Informer', () => {
  it('syncs, reports add/update/delete through onChange, and keeps the cache current', async () => {
    const selector = `${managed},test=events`;
    const labels = { 'app.kubernetes.io/managed-by': 'nomad-operator', test: 'events' };
    await createConfigMap('a', labels, { v: '1' });
    await createConfigMap('b', labels);
    await createConfigMap('unlabelled', { test: 'events' });

    const informer = new Informer<V1ConfigMap>({
      kubeConfig: operatorConfig(kc),
      path: `/api/v1/namespaces/${namespace.name}/configmaps`,
      labelSelector: selector,
    });
    expect(informer.resource).toBe('configmaps');
    const events = record(informer);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    try {
      expect(await informer.waitForSync(30_000)).toBe(true);
      expect(informer.hasSynced()).toBe(true);
      expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual([
        `add ${namespace.name}/a`,
        `add ${namespace.name}/b`,
      ]);
      const a = informer.get(namespace.name, 'a');
      // Listed items carry apiVersion and kind, as watched ones do.
      expect(a).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { v: '1' } });
      expect(informer.get(namespace.name, 'unlabelled')).toBeUndefined();
      expect(
        informer
          .list()
          .map((o) => o.metadata?.name)
          .sort(),
      ).toEqual(['a', 'b']);

      await createConfigMap('c', labels);
      await waitFor('add of c', async () => events.some((e) => e.type === 'add' && e.key.endsWith('/c')));
      expect(informer.get(namespace.name, 'c')?.kind).toBe('ConfigMap');

      await core.patchNamespacedConfigMap({
        name: 'a',
        namespace: namespace.name,
        body: [{ op: 'replace', path: '/data/v', value: '2' }],
      });
      await waitFor('update of a', async () => informer.get(namespace.name, 'a')?.data?.v === '2');
      expect(events.filter((e) => e.type === 'update').map((e) => e.key)).toEqual([`${namespace.name}/a`]);

      await core.deleteNamespacedConfigMap({ name: 'b', namespace: namespace.name });
      await waitFor('delete of b', async () =>
        events.some((e) => e.type === 'delete' && e.key.endsWith('/b')),
      );
      expect(informer.get(namespace.name, 'b')).toBeUndefined();

      // Dropping the label takes the object out of the selection: a delete.
      await core.patchNamespacedConfigMap({
        name: 'c',
        namespace: namespace.name,
        body: [{ op: 'remove', path: '/metadata/labels/test' }],
      });
      await waitFor('delete of c', async () =>
        events.some((e) => e.type === 'delete' && e.key.endsWith('/c')),
      );
      await expectConverged(informer, selector);
      expect(informer.stats).toMatchObject({ restarts: 0, errors: 0, lists: 1 });
    } finally {
      await informer.stop();
    }
  });

  it('converges after stop() and start(), reporting what changed meanwhile (deletes too)', async () => {
    const selector = `${managed},test=restart`;
    const labels = { 'app.kubernetes.io/managed-by': 'nomad-operator', test: 'restart' };
    for (const name of ['r1', 'r2', 'r3']) await createConfigMap(name, labels);

    // All namespaces: the selector alone picks this test's objects.
    const informer = new Informer<V1ConfigMap>({
      kubeConfig: operatorConfig(kc),
      path: '/api/v1/configmaps',
      labelSelector: selector,
    });
    const events = record(informer);
    informer.start();
    try {
      expect(await informer.waitForSync(30_000)).toBe(true);
      await expectConverged(informer, selector);

      await informer.stop();
      expect(informer.running).toBe(false);
      await core.deleteNamespacedConfigMap({ name: 'r1', namespace: namespace.name });
      await core.patchNamespacedConfigMap({
        name: 'r2',
        namespace: namespace.name,
        body: [{ op: 'add', path: '/data', value: { x: 'y' } }],
      });
      await createConfigMap('r4', labels);
      await sleep(500);
      // Nothing is reported while stopped, and the cache still shows the old state.
      expect(events.length).toBe(3);
      expect(informer.get(namespace.name, 'r1')).toBeDefined();

      informer.start();
      await expectConverged(informer, selector);
      const after = events.slice(3).map((e) => `${e.type} ${e.key.split('/')[1]}`);
      expect(after.sort()).toEqual(['add r4', 'delete r1', 'update r2']);
      expect(informer.get(namespace.name, 'r2')?.data).toEqual({ x: 'y' });

      // A forced restart of a quiet resource relists and reports nothing new.
      const lists = informer.stats.lists;
      informer.restart();
      await waitFor('a relist', async () => informer.stats.lists > lists);
      expect(events.length).toBe(6);
      expect(informer.stats.restartsByReason.manual).toBe(1);
      await expectConverged(informer, selector);
    } finally {
      await informer.stop();
    }
  });

  it('relists when it saw nothing for staleAfterMs (watchdog), and stays quiet after stop()', async () => {
    const selector = `${managed},test=stale`;
    const labels = { 'app.kubernetes.io/managed-by': 'nomad-operator', test: 'stale' };
    await createConfigMap('s1', labels);
    const informer = new Informer<V1ConfigMap>({
      kubeConfig: operatorConfig(kc),
      path: `/api/v1/namespaces/${namespace.name}/configmaps`,
      labelSelector: selector,
      staleAfterMs: 1_000,
    });
    const events = record(informer);
    informer.start();
    try {
      expect(await informer.waitForSync(30_000)).toBe(true);
      // A restart is counted when it begins and its list completes a moment later: wait for both.
      await waitFor(
        'two stale restarts, each with its relist done',
        async () => informer.stats.restartsByReason.stale >= 2 && informer.stats.lists >= 3,
        { timeoutMs: 20_000 },
      );
      expect(events.map((e) => e.type)).toEqual(['add']);
      // A change between relists is still seen (by the watch of the current run).
      await createConfigMap('s2', labels);
      await expectConverged(informer, selector);
    } finally {
      await informer.stop();
    }
    const lists = informer.stats.lists;
    await sleep(2_500);
    expect(informer.stats.lists).toBe(lists);
    expect(informer.stats.restarts).toBe(informer.stats.restartsByReason.stale);
  });

  it('recovers from apiserver errors (its resource type deleted, then re-created) with no missed deletes', async () => {
    const group = `informer-${Date.now().toString(36)}.test.nomadoperator.dev`;
    const crdName = `widgets.${group}`;
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const createCrd = async () => {
      await extensions.createCustomResourceDefinition({
        body: {
          metadata: { name: crdName },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: { spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
                  },
                },
              },
            ],
          },
        },
      });
      // Established, and actually served (discovery and storage catch up a moment later).
      await waitFor(`CRD ${crdName} served`, async () => {
        await custom.listNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: namespace.name,
          plural: 'widgets',
        });
        return true;
      });
    };
    const createWidget = (name: string) =>
      custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: namespace.name,
        plural: 'widgets',
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name }, spec: { size: 1 } },
      });

    await createCrd();
    await createWidget('w1');
    await createWidget('w2');
    const informer = new Informer<KubernetesObject>({
      kubeConfig: operatorConfig(kc),
      path: `/apis/${group}/v1/namespaces/${namespace.name}/widgets`,
      backoffInitialMs: 200,
      backoffMaxMs: 1_000,
    });
    const events = record(informer);
    informer.start();
    try {
      expect(await informer.waitForSync(30_000)).toBe(true);
      expect(
        informer
          .list()
          .map((o) => o.metadata?.name)
          .sort(),
      ).toEqual(['w1', 'w2']);

      await extensions.deleteCustomResourceDefinition({ name: crdName });
      await waitFor(
        'the informer to fail (404 from list or watch)',
        async () => informer.stats.errors > 0 && informer.stats.restartsByReason.error > 0,
        { timeoutMs: 90_000 },
      );
      expect(String(informer.stats.lastError)).toMatch(/404|Not Found/iu);
      await waitFor('CRD gone', async () => {
        try {
          await extensions.readCustomResourceDefinition({ name: crdName });
          return false;
        } catch {
          return true;
        }
      });

      await createCrd();
      await createWidget('w3');
      await waitFor(
        'the cache to hold exactly w3',
        async () => JSON.stringify(informer.list().map((o) => o.metadata?.name)) === '["w3"]',
        { timeoutMs: 60_000 },
      );
      const seen = events.map((e) => `${e.type} ${e.key.split('/')[1]}`);
      expect(seen).toEqual(expect.arrayContaining(['add w1', 'add w2', 'delete w1', 'delete w2', 'add w3']));
      expect(seen.filter((e) => e.startsWith('delete')).sort()).toEqual(['delete w1', 'delete w2']);
      expect(informer.get(namespace.name, 'w3')).toMatchObject({ kind: 'Widget', spec: { size: 1 } });
    } finally {
      await informer.stop();
      await extensions.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
    }
  });
});
