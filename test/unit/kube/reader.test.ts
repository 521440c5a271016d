// cacheReader.owned answers the same whether the cache has label and owner indexes (informers) or
// only a list (in-memory caches): a job's objects by its job label, and those it owns without it.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type CacheSource, cacheReader } from '../../../src/kube/reader.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';

const object = (
  namespace: string,
  name: string,
  job: string | undefined,
  owners: Array<{ apiVersion: string; kind: string; name: string }> = [],
): KubernetesObject => ({
  metadata: {
    namespace,
    name,
    ...(job ? { labels: { [LABEL_JOB]: job } } : {}),
    ownerReferences: owners.map((o) => ({ ...o, uid: `${o.name}-uid` })),
  },
});

const nomadJob = (name: string) => ({ apiVersion: 'nomadoperator.dev/v1alpha1', kind: 'NomadJob', name });

const objects = [
  object('a', 'web-svc', 'web', [nomadJob('web')]),
  object('a', 'shared', undefined, [nomadJob('web'), nomadJob('api')]),
  object('a', 'api-svc', 'api', [nomadJob('api')]),
  object('a', 'labelled-only', 'web'),
  object('a', 'other-group', undefined, [{ apiVersion: 'example.com/v1', kind: 'NomadJob', name: 'web' }]),
  object('b', 'web-svc', 'web', [nomadJob('web')]),
];

const listOnly: CacheSource = {
  list: (namespace) => objects.filter((o) => namespace === undefined || o.metadata?.namespace === namespace),
  get: (namespace, name) =>
    objects.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
};

const indexed: CacheSource = {
  ...listOnly,
  byLabel: (namespace, key, value) =>
    listOnly.list(namespace).filter((o) => o.metadata?.labels?.[key] === value),
  byOwner: (namespace, kind, name) =>
    listOnly
      .list(namespace)
      .filter((o) => (o.metadata?.ownerReferences ?? []).some((r) => r.kind === kind && r.name === name)),
};

const names = (source: CacheSource, namespace: string, job: string) =>
  cacheReader(() => source)
    .owned('Service', namespace, job)
    .map((o) => o.metadata?.name)
    .sort();

describe('cacheReader.owned', () => {
  it('finds the same objects through indexes as through a scan', () => {
    for (const [namespace, job] of [
      ['a', 'web'],
      ['a', 'api'],
      ['b', 'web'],
      ['a', 'none'],
    ] as const) {
      expect(names(indexed, namespace, job)).toEqual(names(listOnly, namespace, job));
    }
    expect(names(indexed, 'a', 'web')).toEqual(['labelled-only', 'shared', 'web-svc']);
  });
});
