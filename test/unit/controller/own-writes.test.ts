// The reconciler reads the NomadJob it last wrote until its cache shows that write (own-writes.ts):
// a reconcile right after a status patch, with the cache still holding the copy from before it,
// decides from the patched status and writes nothing again; the cache's copy wins once it is as new,
// and a job the cache no longer holds is gone whatever was written.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { OwnWrites } from '../../../src/controller/own-writes.ts';
import { reconcile } from '../../../src/controller/reconcile.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { cacheTransformFor } from '../../../src/jobs/cache-transforms.ts';
import { type CacheSource, cacheReader } from '../../../src/kube/reader.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const now = () => new Date('2026-01-02T03:04:05Z');
const webJob = {
  ID: 'web',
  Type: 'service',
  Datacenters: ['*'],
  TaskGroups: [
    { Name: 'app', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'x' } }] },
  ],
};

/** The memory cluster's objects, except the NomadJob: the copy `lagging()` says the cache holds. */
function laggingSource(cluster: MemoryCluster, lagging: () => NomadJobObject | undefined) {
  return (kind: string): CacheSource => ({
    list: (namespace) => cluster.list(kind, namespace),
    get: (namespace, name) =>
      kind === 'NomadJob' ? lagging() : cluster.get<KubernetesObject>(kind, namespace ?? '', name),
  });
}

describe('own writes', () => {
  it('a reconcile right after a status patch reads the patched job, not the cache’s older copy', async () => {
    for (const throughOwnWrites of [false, true]) {
      const cluster = new MemoryCluster(now);
      cluster.put(nomadJobObject(webJob));
      const beforePatch = cluster.get<NomadJobObject>('NomadJob', 'default', 'web');
      const own = new OwnWrites(cacheTransformFor('NomadJob'));
      const sourceOf = laggingSource(cluster, () => beforePatch);
      const view = throughOwnWrites
        ? cacheReader((kind) => (kind === 'NomadJob' ? own.over(sourceOf(kind)) : sourceOf(kind)))
        : cacheReader(sourceOf);
      const writer = throughOwnWrites ? own.noting(cluster.writer) : cluster.writer;

      await reconcile('default/web', view, writer, { now });
      expect(cluster.writes.some((w) => w.verb === 'patchStatus')).toBe(true);
      cluster.clearWrites();
      await reconcile('default/web', view, writer, { now });
      const again = cluster.writes.filter((w) => w.verb === 'patchStatus');
      expect([throughOwnWrites, again.length]).toEqual([throughOwnWrites, throughOwnWrites ? 0 : 1]);
    }
  });

  it('the cache’s copy wins once it is as new; a job the cache no longer holds is gone', () => {
    const own = new OwnWrites((object) => object);
    const at = (rv: number, status: string): NomadJobObject => ({
      ...nomadJobObject(webJob),
      metadata: { name: 'web', namespace: 'default', resourceVersion: String(rv) },
      status: { status } as NomadJobObject['status'],
    });
    own.note(at(5, 'running'));
    own.note(at(4, 'pending')); // an older answer arriving late changes nothing
    expect(own.latest('default', 'web', at(3, 'pending'))?.status?.status).toBe('running');
    expect(own.latest('default', 'web', at(6, 'dead'))?.status?.status).toBe('dead');
    // Dropped once the cache caught up: an older cached copy is now what there is.
    expect(own.latest('default', 'web', at(3, 'pending'))?.status?.status).toBe('pending');
    own.note(at(7, 'running'));
    expect(own.latest('default', 'web', undefined)).toBeUndefined();
  });
});
