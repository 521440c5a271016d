// A revert while the reconciler keeps patching the job's status: the write conflicts until the job
// settles, and the revert reads the job again and succeeds rather than answering the conflict. A
// version marked stable while it is pruned or purged is answered as Nomad answers a missing version.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { revertJob, setStable } from '../../../src/jobs/history.ts';
import { type ClusterWriter, WriteError } from '../../../src/kube/writer.ts';
import { serviceJob, testApi } from '../api/support.ts';

/** `writer` whose first `conflicts` replaces fail as the apiserver answers a stale resourceVersion. */
function conflicting(writer: ClusterWriter, conflicts: number): ClusterWriter & { tries: () => number } {
  let tries = 0;
  return {
    ...writer,
    replace: async <T extends KubernetesObject>(object: T) => {
      tries++;
      if (tries <= conflicts) throw new WriteError('conflict', 'the object has been modified', 409);
      return writer.replace(object);
    },
    tries: () => tries,
  };
}

describe('revertJob', () => {
  it('reads the job again after each conflict, for as long as the status keeps changing', async () => {
    const api = await testApi();
    for (const image of ['nginx:1', 'nginx:2']) {
      const job = serviceJob('web', {
        TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'server', Driver: 'docker', Config: { image } }] }],
      });
      const put = await api.app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: job } });
      expect(put.statusCode, put.body).toBe(200);
    }
    const object = api.cluster.sources.NomadJob.get('default', 'web') as NomadJobObject;
    const writer = conflicting(api.cluster.writer(), 5);
    const result = await revertJob(writer, object, { version: 0 });
    expect(result).toMatchObject({ ok: true, version: 2 });
    expect(writer.tries()).toBe(6);
    // A conflict that does not end is still answered.
    const stuck = await revertJob(conflicting(api.cluster.writer(), 100), object, { version: 1 });
    expect(stuck).toMatchObject({ ok: false });
  });
});

describe('setStable', () => {
  it('answers a version deleted between its listing and the patch as a version not found', async () => {
    const api = await testApi();
    const put = await api.app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: serviceJob('web') } });
    expect(put.statusCode, put.body).toBe(200);
    const object = api.cluster.sources.NomadJob.get('default', 'web') as NomadJobObject;
    const base = api.cluster.writer();
    // The revision goes away (pruned, purged) as the patch is sent.
    const vanishing: ClusterWriter = {
      ...base,
      mergePatch: async () => {
        throw new WriteError('not-found', 'controllerrevisions.apps "web--v0" not found', 404);
      },
    };
    expect(await setStable(vanishing, object, 0, true)).toEqual({
      ok: false,
      status: 500,
      message: 'job "web" in namespace "default" at version 0 not found',
    });
    expect(await setStable(base, object, 0, true)).toEqual({ ok: true, version: 0, stable: true });
  });
});
