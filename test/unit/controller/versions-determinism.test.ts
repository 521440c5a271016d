// A version's ControllerRevision is recorded (jobs/versions.ts recordVersion) by the Nomad API at
// register time and by the reconciler when its cache has not seen the API's revision yet; whoever is
// first creates it, the other finds it there. Revision data is immutable, so the two must be
// byte-identical — whichever clock each side has — or a version's content would depend on who won.
// The submit time therefore comes from the NomadJob itself (submitTimeOf), never from the recording
// process. Both sides run their real code here: the API on its in-memory
// cluster (test/unit/api/support.ts) with its simulated controller off, the reconciler on the
// controller's in-memory cluster fed with the very objects the API wrote.
import type { V1ControllerRevision, V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../../src/controller/reconcile.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { submitTimeAnnotation, submitTimeOf } from '../../../src/jobs/versions.ts';
import { refOf } from '../../../src/kube/writer.ts';
import { ANNOTATION_SUBMIT_TIME } from '../../../src/nomad/keys.ts';
import { serviceJob, testApi } from '../api/support.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const NS = 'default';

/** The API, registering for real, with nobody else recording versions. */
async function api() {
  const t = await testApi();
  t.cluster.controller = false;
  const put = async (url: string, body: unknown) => {
    const res = await t.app.inject({ method: 'PUT', url, payload: JSON.stringify(body) });
    expect(res.statusCode, res.body).toBe(200);
  };
  const object = (name: string) => t.cluster.sources.NomadJob.get(NS, name) as NomadJobObject;
  const revision = (name: string) =>
    t.cluster.sources.ControllerRevision.get(NS, name) as V1ControllerRevision | undefined;
  return { ...t, put, object, revision };
}

/**
 * The revision one reconcile of `object` creates when its cache holds the `earlier` revisions (the
 * API's, of the versions before) but not the API's revision of this one yet.
 */
async function reconcilerRevision(
  cluster: MemoryCluster,
  object: NomadJobObject,
  now: Date,
  earlier: Array<V1ControllerRevision | undefined> = [],
): Promise<V1ControllerRevision | undefined> {
  for (const revision of cluster.list<V1ControllerRevision>('ControllerRevision', NS))
    await cluster.writer.delete(refOf(revision));
  for (const revision of earlier) if (revision) cluster.put(revision);
  const stored = cluster.put(object);
  cluster.clearWrites();
  await reconcile(`${NS}/${stored.metadata?.name}`, cluster.view, cluster.writer, { now: () => now });
  const write = cluster.writes.find((w) => w.verb === 'create' && w.kind === 'ControllerRevision');
  return write?.verb === 'create' ? (write.object as V1ControllerRevision) : undefined;
}

const bytes = (revision: V1ControllerRevision | undefined) => JSON.stringify(revision?.data);

describe('revision data is the same whoever records it', () => {
  it('the API and the reconciler record byte-identical revisions for each version, at any clock', async () => {
    const { put, object, revision } = await api();
    const controller = new MemoryCluster();

    await put('/v1/jobs', { Job: serviceJob('web') });
    const v0 = revision('web--v0');
    expect(v0).toBeDefined();
    const fromReconciler = await reconcilerRevision(
      controller,
      object('web'),
      new Date('2030-01-01T00:00:00Z'),
    );
    expect(bytes(fromReconciler)).toBe(bytes(v0));
    expect(fromReconciler?.metadata?.ownerReferences).toEqual(v0?.metadata?.ownerReferences);
    expect(fromReconciler?.metadata?.labels).toEqual(v0?.metadata?.labels);

    // A retry of the same version, later: the same bytes again.
    const retried = await reconcilerRevision(controller, object('web'), new Date('2031-01-01T00:00:00Z'));
    expect(bytes(retried)).toBe(bytes(v0));

    // A new version through a register, then one through a scale (the API's update path).
    await put('/v1/jobs', { Job: serviceJob('web', { Meta: { release: '2' } }) });
    const v1 = revision('web--v1');
    expect(v1).toBeDefined();
    expect(bytes(await reconcilerRevision(controller, object('web'), new Date(0), [v0]))).toBe(bytes(v1));
    const submitTime = (r: V1ControllerRevision | undefined) =>
      (r?.data as { submitTime?: string } | undefined)?.submitTime;
    expect(submitTime(v1)).not.toBe(submitTime(v0));

    await put('/v1/job/web/scale', { Count: 5, Target: { Group: 'web' } });
    const v2 = revision('web--v2');
    expect(v2).toBeDefined();
    expect(bytes(await reconcilerRevision(controller, object('web'), new Date(0), [v0, v1]))).toBe(bytes(v2));
  });

  it('the same for a periodic batch job with characters Go escapes in its meta', async () => {
    const { put, object, revision, store } = await api();
    const controller = new MemoryCluster();
    await put('/v1/jobs', {
      Job: serviceJob('nightly', {
        Type: 'batch',
        Periodic: { Enabled: true, Spec: '0 3 * * *', SpecType: 'cron' },
        Meta: { a: '<&>' },
      }),
    });
    const name = store.findJob(NS, 'nightly')?.name ?? '';
    const v0 = revision(`${name}--v0`);
    expect(v0).toBeDefined();
    expect(bytes(await reconcilerRevision(controller, object(name), new Date(0)))).toBe(bytes(v0));
  });
});

describe('submitTimeOf', () => {
  const entry = (manager: string, time: string, fields: Record<string, unknown>, subresource?: string) =>
    ({
      manager,
      operation: 'Update',
      time: new Date(time),
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
      ...(subresource ? { subresource } : {}),
    }) as V1ManagedFieldsEntry;

  it('takes the stamp written for the current generation, to the nanosecond', () => {
    const at = new Date('2026-03-04T05:06:07.891Z');
    const object = {
      metadata: { generation: 3, annotations: { [ANNOTATION_SUBMIT_TIME]: submitTimeAnnotation(at, 3) } },
    };
    expect(submitTimeOf(object)).toBe('1772600767891000000');
  });

  it('ignores a stamp of another generation (a kubectl edit since): the newest spec write counts', () => {
    const object = {
      metadata: {
        generation: 4,
        creationTimestamp: new Date('2026-01-01T00:00:00Z'),
        annotations: { [ANNOTATION_SUBMIT_TIME]: '1700000000000000000/3' },
        managedFields: [
          entry('nomad-operator-api', '2026-02-01T00:00:00Z', { 'f:metadata': {}, 'f:spec': {} }),
          entry('kubectl-edit', '2026-02-02T00:00:00Z', { 'f:spec': { 'f:meta': {} } }),
          // Later writes that do not touch the spec do not move it.
          entry('nomad-operator', '2026-02-03T00:00:00Z', { 'f:status': {} }, 'status'),
          entry('labeller', '2026-02-04T00:00:00Z', { 'f:metadata': { 'f:labels': {} } }),
        ],
      },
    };
    expect(submitTimeOf(object)).toBe(String(Date.parse('2026-02-02T00:00:00Z') * 1e6));
  });

  it('falls back to the creation time, and only then to the given time', () => {
    expect(submitTimeOf({ metadata: { creationTimestamp: new Date('2026-01-01T00:00:00Z') } })).toBe(
      String(Date.parse('2026-01-01T00:00:00Z') * 1e6),
    );
    expect(submitTimeOf({ metadata: {} }, new Date(5))).toBe('5000000');
    expect(
      submitTimeOf({ metadata: { annotations: { [ANNOTATION_SUBMIT_TIME]: 'junk/1' }, generation: 1 } }),
    ).toBe('0');
  });
});
