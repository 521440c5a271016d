// reconcile() against an in-memory cluster (support/memory-cluster.ts): what one reconcile of a
// NomadJob writes, write by write, for a new job, a reconcile with nothing to do, a spec change, a
// stopped job, a spec that does not decode, a system-like job whose desired count comes from its
// DaemonSet, a group the translator makes no workload for, and the JobModifyIndex of a new generation
// whose version the Nomad API recorded first, a cached job older than a version recorded from it, and
// revisions cached behind the version numbers the API took.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1ControllerRevision,
  V1DaemonSet,
  V1Deployment,
} from '@kubernetes/client-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../../src/controller/reconcile.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { checkSpec } from '../../../src/jobs/spec.ts';
import { API_RECORDS_VERSION_MS, recordVersion, submitTimeAnnotation } from '../../../src/jobs/versions.ts';
import {
  ANNOTATION_APPLIED_HASH,
  ANNOTATION_CREATE_INDEX,
  ANNOTATION_GENERATION,
  ANNOTATION_JOB_MODIFY_INDEX,
  ANNOTATION_PARENT_ID,
  ANNOTATION_SUBMIT_TIME,
  LABEL_JOB,
  LABEL_VERSION,
} from '../../../src/nomad/keys.ts';
import { MemoryCluster, type Write } from './support/memory-cluster.ts';
import { serverTask, webJob } from './support/web-job.ts';

const now = () => new Date('2026-01-02T03:04:05Z');
const reconcileWeb = (cluster: MemoryCluster, name = 'web') =>
  reconcile(`default/${name}`, cluster.view, cluster.writer, { now });

/** A new NomadJob `id` as the Nomad API writes it at `at`: stamped with its submit time. */
function stampedByTheApi(id: string, at: Date, annotations: Record<string, string> = {}): NomadJobObject {
  const object = nomadJobObject(webJob({ ID: id }));
  object.metadata = {
    ...object.metadata,
    annotations: {
      ...object.metadata?.annotations,
      [ANNOTATION_SUBMIT_TIME]: submitTimeAnnotation(at, 1),
      ...annotations,
    },
  };
  return object;
}

/** Writes as `verb Kind/name` (events as `event Reason`): the shape of a reconcile at a glance. */
const summary = (writes: Write[]) =>
  writes.map((w) => (w.verb === 'event' ? `event ${w.reason}` : `${w.verb} ${w.kind}/${w.name}`));

const statusWrites = (writes: Write[]) => writes.flatMap((w) => (w.verb === 'patchStatus' ? [w.status] : []));

/** What the Nomad API does at a register of `web` with `count`, before the reconciler sees it: the spec, then its version. */
async function registerAsTheApi(cluster: MemoryCluster, count: number): Promise<NomadJobObject> {
  const spec = nomadJobObject(
    webJob({ TaskGroups: [{ Name: 'app', Count: count, Tasks: [serverTask] }] }),
  ).spec;
  const written = cluster.updateSpec('default', 'web', spec);
  const checked = checkSpec(written);
  if (!checked.ok) throw new Error(checked.message);
  await recordVersion(cluster.writer, {
    object: written,
    job: checked.job,
    revisions: cluster.list<V1ControllerRevision>('ControllerRevision', 'default'),
  });
  return written;
}

describe('reconcile', () => {
  let cluster: MemoryCluster;
  let web: NomadJobObject;
  beforeEach(() => {
    cluster = new MemoryCluster(now);
    web = cluster.put(nomadJobObject(webJob()));
  });

  it('a new service job: records version 0, applies its Deployment owned by the job, patches status with conditions, records no routine Event', async () => {
    expect(await reconcileWeb(cluster)).toEqual({ result: 'success' });
    expect(summary(cluster.writes)).toEqual([
      'create ControllerRevision/web--v0',
      'apply Deployment/web--app',
      'patchStatus NomadJob/web',
      'create ConfigMap/web--evaluations',
    ]);

    const revision = cluster.get<V1ControllerRevision>('ControllerRevision', 'default', 'web--v0');
    expect(revision?.metadata?.labels?.[LABEL_VERSION]).toBe('0');
    expect(revision?.revision).toBe(1);

    const deployment = cluster.get<V1Deployment>('Deployment', 'default', 'web--app');
    expect(deployment?.spec?.replicas).toBe(2);
    expect(deployment?.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'nomadoperator.dev/v1alpha1',
        kind: 'NomadJob',
        name: 'web',
        uid: web.metadata?.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(deployment?.metadata?.annotations?.[ANNOTATION_APPLIED_HASH]).toMatch(/^[0-9a-f]{32}$/);

    const [status] = statusWrites(cluster.writes);
    expect(status).toMatchObject({
      status: 'pending',
      version: 0,
      stable: false,
      submitTime: '1767323045000000000',
      allocations: '0/2',
      observedGeneration: 1,
      summary: { app: { queued: 2, running: 0 } },
    });
    expect(status?.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration])).toEqual([
      ['Ready', 'False', 'AllocationsPending', 1],
      ['Scheduled', 'False', 'Queued', 1],
      ['Progressing', 'True', 'Placing', 1],
      ['Degraded', 'False', 'Healthy', 1],
    ]);
    expect(cluster.get<NomadJobObject>('NomadJob', 'default', 'web')?.status).toEqual(status);
    const evaluations = cluster.get<V1ConfigMap>('ConfigMap', 'default', 'web--evaluations');
    expect(evaluations?.metadata?.ownerReferences?.[0]?.uid).toBe(web.metadata?.uid);
  });

  it("a spec the Nomad API wrote a moment ago: its new version is left to the API's own recording, then recorded here once that time is up", async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const apiWeb = cluster.put(stampedByTheApi('api-web', at));
    const later = (ms: number) => () => new Date(at.getTime() + ms);
    const key = `default/${apiWeb.metadata?.name}`;
    cluster.clearWrites();
    expect(await reconcile(key, cluster.view, cluster.writer, { now: later(1_000) })).toEqual({
      result: 'behind',
      retryAfterMs: API_RECORDS_VERSION_MS - 1_000,
    });
    expect(cluster.writes).toEqual([]);
    // The API did not record it (it failed after its write): recorded here once the time is up.
    expect(
      await reconcile(key, cluster.view, cluster.writer, { now: later(API_RECORDS_VERSION_MS) }),
    ).toEqual({
      result: 'success',
    });
    expect(summary(cluster.writes)[0]).toBe(`create ControllerRevision/${apiWeb.metadata?.name}--v0`);
    // A clock behind the writer's cannot tell how long ago the write was: recorded at once.
    await cluster.writer.delete({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      namespace: 'default',
      name: `${apiWeb.metadata?.name}--v0`,
    });
    cluster.clearWrites();
    expect(await reconcile(key, cluster.view, cluster.writer, { now: later(-60_000) })).toEqual({
      result: 'success',
    });
    expect(summary(cluster.writes)[0]).toBe(`create ControllerRevision/${apiWeb.metadata?.name}--v0`);
  });

  it('a dispatched child, stamped by the API that made it, has its version recorded by the reconciler at once', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const child = cluster.put(stampedByTheApi('child', at, { [ANNOTATION_PARENT_ID]: 'parent' }));
    cluster.clearWrites();
    const outcome = await reconcile(`default/${child.metadata?.name}`, cluster.view, cluster.writer, {
      now: () => new Date(at.getTime() + 10),
    });
    expect(outcome).toEqual({ result: 'success' });
    expect(summary(cluster.writes)[0]).toBe(`create ControllerRevision/${child.metadata?.name}--v0`);
  });

  it('a second reconcile with nothing changed writes nothing', async () => {
    await reconcileWeb(cluster);
    cluster.clearWrites();
    expect(await reconcileWeb(cluster)).toEqual({ result: 'success' });
    expect(cluster.writes).toEqual([]);
  });

  it('a spec (kubectl’s) setting what Nomad’s HTTP API drops: the status warnings say so', async () => {
    const task = { ...serverTask, Resources: { CPU: 100, MemoryMB: 128, DiskMB: 500 } };
    const spec = nomadJobObject(webJob({ TaskGroups: [{ Name: 'app', Count: 1, Tasks: [task] }] })).spec;
    expect(JSON.stringify(spec)).toContain('"diskMB":500');
    cluster.updateSpec('default', 'web', spec);
    expect(await reconcileWeb(cluster)).toEqual({ result: 'success' });
    const [status] = statusWrites(cluster.writes);
    expect(status?.warnings).toContain(
      "TaskGroups[0].Tasks[0].Resources.DiskMB: disk = 500 is dropped, as Nomad's HTTP API drops a task's disk (deprecated): size the group's ephemeral_disk instead",
    );
  });

  it('a spec change records a new version and applies the changed Deployment', async () => {
    await reconcileWeb(cluster);
    cluster.clearWrites();
    cluster.updateSpec(
      'default',
      'web',
      nomadJobObject(webJob({ TaskGroups: [{ Name: 'app', Count: 3, Tasks: [serverTask] }] })).spec,
    );

    expect(await reconcileWeb(cluster)).toEqual({ result: 'success' });
    expect(summary(cluster.writes)).toEqual([
      'create ControllerRevision/web--v1',
      'apply Deployment/web--app',
      'patchStatus NomadJob/web',
      'apply ConfigMap/web--evaluations',
    ]);
    expect(cluster.get<V1Deployment>('Deployment', 'default', 'web--app')?.spec?.replicas).toBe(3);
    expect(cluster.list('ControllerRevision').map((r) => r.metadata?.name)).toEqual(['web--v0', 'web--v1']);
    const [status] = statusWrites(cluster.writes);
    expect(status).toMatchObject({ version: 1, observedGeneration: 2, allocations: '0/3' });
    expect(status?.conditions?.every((c) => c.observedGeneration === 2)).toBe(true);
  });

  it('a cached job older than a version recorded from it is behind: nothing is recorded or applied', async () => {
    await reconcileWeb(cluster);
    const before = cluster.get<NomadJobObject>('NomadJob', 'default', 'web');
    cluster.updateSpec(
      'default',
      'web',
      nomadJobObject(webJob({ TaskGroups: [{ Name: 'app', Count: 3, Tasks: [serverTask] }] })).spec,
    );
    // Version 1 recorded from generation 2 (as the Nomad API does right after its spec write) …
    await reconcileWeb(cluster);
    expect(
      cluster.get<V1ControllerRevision>('ControllerRevision', 'default', 'web--v1')?.metadata?.annotations?.[
        ANNOTATION_GENERATION
      ],
    ).toBe('2');
    cluster.clearWrites();
    // … and a cache that still shows generation 1 (its watch event not delivered yet).
    const behind = { ...cluster.view, nomadJob: () => before };
    expect(await reconcile('default/web', behind, cluster.writer, { now })).toEqual({ result: 'behind' });
    expect(cluster.writes).toEqual([]);
    expect(cluster.list('ControllerRevision').map((r) => r.metadata?.name)).toEqual(['web--v0', 'web--v1']);
    expect(cluster.get<V1Deployment>('Deployment', 'default', 'web--app')?.spec?.replicas).toBe(3);
  });

  it('revisions cached behind the version numbers taken: the job is left for their events', async () => {
    await reconcileWeb(cluster);
    // The Nomad API registers count 3 and then count 4, recording versions 1 and 2 itself …
    for (const count of [3, 4]) await registerAsTheApi(cluster, count);
    // … while the reconciler's cache of revisions still shows version 0 alone.
    const revisionsBehind = {
      ...cluster.view,
      owned: <T extends KubernetesObject>(kind: string, namespace: string, jobName: string) =>
        cluster.view
          .owned<T>(kind, namespace, jobName)
          .filter((o) => kind !== 'ControllerRevision' || o.metadata?.name === 'web--v0'),
    };
    cluster.clearWrites();
    expect(await reconcile('default/web', revisionsBehind, cluster.writer, { now })).toEqual({
      result: 'behind',
    });
    // It tried version 1 (taken, by count 3) and wrote nothing else.
    expect(summary(cluster.writes)).toEqual(['create ControllerRevision/web--v1']);
    expect(cluster.get<V1Deployment>('Deployment', 'default', 'web--app')?.spec?.replicas).toBe(2);
    // Once the cache shows the revisions, the job is version 2.
    cluster.clearWrites();
    expect(await reconcileWeb(cluster)).toEqual({ result: 'success' });
    expect(cluster.get<V1Deployment>('Deployment', 'default', 'web--app')?.spec?.replicas).toBe(4);
    expect(statusWrites(cluster.writes)[0]).toMatchObject({ version: 2 });
  });

  it('a stopped job prunes its workloads and keeps its history and evaluations', async () => {
    await reconcileWeb(cluster);
    cluster.clearWrites();
    cluster.updateSpec('default', 'web', nomadJobObject(webJob({ Stop: true })).spec);

    expect(await reconcileWeb(cluster)).toEqual({ result: 'success' });
    expect(summary(cluster.writes)).toEqual([
      'create ControllerRevision/web--v1',
      'delete Deployment/web--app',
      'patchStatus NomadJob/web',
      'apply ConfigMap/web--evaluations',
    ]);
    expect(cluster.list('Deployment')).toEqual([]);
    expect(cluster.get('ConfigMap', 'default', 'web--evaluations')).toBeDefined();
    expect(statusWrites(cluster.writes)[0]).toMatchObject({ status: 'dead', version: 1, allocations: '0/0' });
  });

  it('a spec that does not decode: a Warning event and a status condition with the reason, no workloads', async () => {
    const broken = cluster.put({
      ...nomadJobObject(webJob({ ID: 'broken' })),
      spec: { taskGroups: 'not a list' },
    });

    const outcome = await reconcileWeb(cluster, 'broken');
    expect(outcome.result).toBe('invalid');
    const message = outcome.result === 'invalid' ? outcome.message : '';
    expect(message).not.toBe('');
    expect(summary(cluster.writes)).toEqual(['event InvalidSpec', 'patchStatus NomadJob/broken']);
    expect(cluster.writes[0]).toMatchObject({ type: 'Warning', reason: 'InvalidSpec', message });
    const [status] = statusWrites(cluster.writes);
    expect(status?.observedGeneration).toBe(broken.metadata?.generation);
    expect(status?.conditions).toContainEqual(
      expect.objectContaining({
        reason: 'InvalidSpec',
        message,
        observedGeneration: broken.metadata?.generation,
      }),
    );
    expect(cluster.list('Deployment')).toEqual([]);
    expect(cluster.list('ControllerRevision')).toEqual([]);

    // Nothing changed: the same status is not written again, nor the event repeated.
    cluster.clearWrites();
    expect((await reconcileWeb(cluster, 'broken')).result).toBe('invalid');
    expect(cluster.writes).toEqual([]);
  });

  it.each(['sysbatch', 'system'])(
    'a %s job desires one allocation per node the DaemonSet schedules on',
    async (type) => {
      cluster.put(
        nomadJobObject({
          ID: 'agent',
          Type: type,
          Datacenters: ['*'],
          TaskGroups: [{ Name: 'node', Tasks: [serverTask] }],
        }),
      );
      await reconcileWeb(cluster, 'agent');
      const [daemonSet] = cluster.list<V1DaemonSet>('DaemonSet');
      expect(daemonSet?.metadata?.name).toBe('agent--node');
      // The DaemonSet controller found three eligible nodes.
      cluster.put({
        ...daemonSet,
        status: {
          desiredNumberScheduled: 3,
          currentNumberScheduled: 0,
          numberMisscheduled: 0,
          numberReady: 0,
        },
      });
      cluster.clearWrites();

      await reconcileWeb(cluster, 'agent');
      expect(summary(cluster.writes)).toEqual(['patchStatus NomadJob/agent']);
      expect(statusWrites(cluster.writes)[0]).toMatchObject({ allocations: '0/3' });
    },
  );

  it('a group the translator makes no workload for reports Scheduled=False NotTranslated', async () => {
    cluster.put(
      nomadJobObject({
        ID: 'gateway-job',
        Datacenters: ['*'],
        TaskGroups: [
          {
            Name: 'gateway',
            Networks: [{ Mode: 'bridge' }],
            Services: [
              {
                Name: 'legacy-db-gateway',
                Connect: { Gateway: { Proxy: {}, Terminating: { Services: [{ Name: 'legacy-postgres' }] } } },
              },
            ],
          },
        ],
      }),
    );
    expect(await reconcileWeb(cluster, 'gateway-job')).toEqual({ result: 'success' });
    expect(cluster.list('Deployment')).toEqual([]);
    const [status] = statusWrites(cluster.writes);
    expect(status?.allocations).toBe('0/0');
    const scheduled = status?.conditions?.find((c) => c.type === 'Scheduled');
    expect(scheduled).toMatchObject({ status: 'False', reason: 'NotTranslated' });
    expect(scheduled?.message).toContain('gateway');
  });

  it('a deleted or deleting job is gone: nothing is written', async () => {
    expect(await reconcileWeb(cluster, 'absent')).toEqual({ result: 'gone' });
    cluster.put({ ...web, metadata: { ...web.metadata, deletionTimestamp: now() } });
    expect(await reconcileWeb(cluster)).toEqual({ result: 'gone' });
    expect(cluster.writes).toEqual([]);
  });

  it('never takes over an object of the same name it does not own: NameConflict event, left alone', async () => {
    const foreign: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web--app', namespace: 'default', labels: { [LABEL_JOB]: 'web' } },
      spec: { replicas: 7, selector: {}, template: {} },
    };
    cluster.put(foreign);

    await reconcileWeb(cluster);
    expect(summary(cluster.writes)).not.toContain('apply Deployment/web--app');
    expect(cluster.writes).toContainEqual(
      expect.objectContaining({ verb: 'event', type: 'Warning', reason: 'NameConflict' }),
    );
    expect(cluster.get<V1Deployment>('Deployment', 'default', 'web--app')?.spec?.replicas).toBe(7);
  });

  it('keeps at most historyLimit versions, deleting the oldest revision', async () => {
    const withLimit = () => reconcile('default/web', cluster.view, cluster.writer, { now, historyLimit: 2 });
    await withLimit();
    for (const count of [3, 4]) {
      cluster.updateSpec(
        'default',
        'web',
        nomadJobObject(webJob({ TaskGroups: [{ Name: 'app', Count: count, Tasks: [serverTask] }] })).spec,
      );
      cluster.clearWrites();
      await withLimit();
    }
    expect(summary(cluster.writes).slice(0, 2)).toEqual([
      'create ControllerRevision/web--v2',
      'delete ControllerRevision/web--v0',
    ]);
    expect(cluster.list('ControllerRevision').map((r) => r.metadata?.name)).toEqual(['web--v1', 'web--v2']);
  });

  describe('JobModifyIndex of a new generation', () => {
    const storedStatus = () => cluster.get<NomadJobObject>('NomadJob', 'default', 'web')?.status;

    beforeEach(async () => {
      await reconcileWeb(cluster);
      expect(storedStatus()?.jobModifyIndex).toBe(Number(web.metadata?.resourceVersion));
    });

    it("is the spec write of a version the API recorded first, not the previous generation's", async () => {
      const written = await registerAsTheApi(cluster, 3);
      cluster.clearWrites();
      await reconcileWeb(cluster);
      expect(summary(cluster.writes)).not.toContain('create ControllerRevision/web--v1');
      expect(storedStatus()).toMatchObject({
        version: 1,
        observedGeneration: 2,
        jobModifyIndex: Number(written.metadata?.resourceVersion),
      });
    });

    it("is the one the version's revision records, even when other writes came after the spec", async () => {
      const written = await registerAsTheApi(cluster, 3);
      const specIndex = Number(written.metadata?.resourceVersion);
      const revision = cluster.get<V1ControllerRevision>('ControllerRevision', 'default', 'web--v1');
      expect(revision?.metadata?.annotations?.[ANNOTATION_JOB_MODIFY_INDEX]).toBe(String(specIndex));
      // Another writer's annotation: a new resourceVersion, the same generation.
      const annotated = cluster.put({
        ...written,
        metadata: { ...written.metadata, annotations: { ...written.metadata?.annotations, team: 'a' } },
      });
      expect(Number(annotated.metadata?.resourceVersion)).toBeGreaterThan(specIndex);
      await reconcileWeb(cluster);
      expect(storedStatus()).toMatchObject({ version: 1, observedGeneration: 2, jobModifyIndex: specIndex });
    });

    it("of a spec written with kubectl is recorded on its revision, the job's CreateIndex carried over", async () => {
      const createIndex = Number(web.metadata?.resourceVersion);
      const first = cluster.get<V1ControllerRevision>('ControllerRevision', 'default', 'web--v0');
      expect(first?.metadata?.annotations).toMatchObject({
        [ANNOTATION_JOB_MODIFY_INDEX]: String(createIndex),
        [ANNOTATION_CREATE_INDEX]: String(createIndex),
      });
      const edited = cluster.updateSpec('default', 'web', nomadJobObject(webJob({ Priority: 70 })).spec);
      await reconcileWeb(cluster);
      const second = cluster.get<V1ControllerRevision>('ControllerRevision', 'default', 'web--v1');
      expect(second?.metadata?.annotations).toMatchObject({
        [ANNOTATION_JOB_MODIFY_INDEX]: edited.metadata?.resourceVersion,
        [ANNOTATION_CREATE_INDEX]: String(createIndex),
      });
      expect(storedStatus()).toMatchObject({
        version: 1,
        jobModifyIndex: Number(edited.metadata?.resourceVersion),
      });
    });

    it('stays for a spec edit that leaves the version as it was', async () => {
      const before = storedStatus()?.jobModifyIndex;
      // The same job, with a default spelled out: a new generation, not a new version.
      const edited = cluster.updateSpec('default', 'web', nomadJobObject(webJob({ Priority: 50 })).spec);
      expect(edited.metadata?.generation).toBe(2);
      await reconcileWeb(cluster);
      expect(storedStatus()).toMatchObject({ version: 0, observedGeneration: 2, jobModifyIndex: before });
    });
  });
});
