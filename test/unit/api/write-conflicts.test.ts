// A spec write refused because the NomadJob changed since the cached copy it was decided from (the
// reconciler's status patch, another client's write) is decided again from the cache once the cache
// shows that change, however late its watch event: the API's caches here are fed from the in-memory
// apiserver (support.ts) through a relay that can hold the NomadJob's events back, as a slow watch does.

import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { allowAll } from '../../../src/api/acl.ts';
import { buildApiApp } from '../../../src/api/app.ts';
import { ClusterState, type Kind, kinds } from '../../../src/api/state.ts';
import { ApiStore } from '../../../src/api/store.ts';
import type { ChangeType } from '../../../src/kube/informer.ts';
import { nomadJobRef } from '../../../src/kube/writer.ts';
import { MemoryCluster, MemorySource, serviceJob } from './support.ts';

/** The apiserver's watch of each kind, relayed into caches; NomadJob events can be held back. */
function laggingCaches(cluster: MemoryCluster) {
  const caches = Object.fromEntries(kinds.map((k) => [k, new MemorySource()])) as Record<Kind, MemorySource>;
  const held: Array<() => void> = [];
  let holding = false;
  for (const kind of kinds) {
    const cache = caches[kind];
    for (const object of cluster.sources[kind].list()) cache.put(object);
    cluster.sources[kind].onChange((object: KubernetesObject, type: ChangeType) => {
      const deliver = () =>
        type === 'delete'
          ? cache.remove(
              object.metadata?.namespace ?? '',
              object.metadata?.name ?? '',
              Number(object.metadata?.resourceVersion),
            )
          : cache.put(object);
      if (holding && kind === 'NomadJob') held.push(deliver);
      else deliver();
    });
  }
  return {
    caches,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const deliver of held.splice(0)) deliver();
    },
  };
}

const put = (url: string, body: unknown) => ({
  method: 'PUT' as const,
  url,
  payload: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

describe('a spec write that meets a change the cache does not show yet', () => {
  it('is written once the cache shows it, not refused after a few pauses', async () => {
    const cluster = new MemoryCluster();
    const writer = cluster.writer();
    const relay = laggingCaches(cluster);
    const store = new ApiStore(new ClusterState(relay.caches), writer, { defaultNamespace: 'default' });
    const app = buildApiApp({ store, authorizer: allowAll });
    await app.ready();
    const registered = await app.inject(put('/v1/jobs', { Job: serviceJob('slow') }));
    expect(registered.statusCode).toBe(200);

    // Each time, the reconciler patches the job's status and that watch event reaches the API's cache a
    // second later: longer than the pauses the retries used to take (750 ms in all).
    const writes = [
      { method: 'DELETE' as const, url: '/v1/job/slow' },
      put('/v1/jobs', { Job: serviceJob('slow', { Meta: { again: 'yes' } }) }),
      put('/v1/job/slow/scale', { Count: 3, Target: { Group: 'web' } }),
    ];
    for (const write of writes) {
      relay.hold();
      await writer.mergePatch(
        nomadJobRef('default', 'slow'),
        { status: { status: 'running' } },
        { status: true },
      );
      const late = setTimeout(relay.release, 1_000);
      try {
        const answer = await app.inject(write);
        expect([write.url, answer.statusCode, answer.body]).toEqual([write.url, 200, expect.any(String)]);
      } finally {
        clearTimeout(late);
        relay.release();
      }
    }
    const job = await app.inject({ method: 'GET', url: '/v1/job/slow' });
    expect(JSON.parse(job.body)).toMatchObject({ Meta: { again: 'yes' }, TaskGroups: [{ Count: 3 }] });
    await app.close();
  });
});
