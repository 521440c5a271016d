// Translations kept between reconciles (src/controller/translations.ts): a reconcile that finds every
// object of the kept translation applied goes on from it without translating, and whatever the
// sequence of changes, reconciles with kept translations write exactly what reconciles without them
// write: a new job, pods coming up, a Deployment edited or deleted by someone else, a spec change, a
// job sharing a Service, a stopped job.
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../../src/controller/reconcile.ts';
import { TranslationMemo } from '../../../src/controller/translations.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { ANNOTATION_APPLIED_HASH, LABEL_JOB } from '../../../src/nomad/keys.ts';
import { MemoryCluster, type Write } from './support/memory-cluster.ts';
import { serverTask, webJob } from './support/web-job.ts';

const now = () => new Date('2026-01-02T03:04:05Z');
/** A group registering the Nomad service `api`: its Service is shared by name (shared-services.ts). */
const sharingJob = () =>
  webJob({
    TaskGroups: [
      {
        Name: 'app',
        Count: 1,
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
        Services: [{ Name: 'api', PortLabel: 'http' }],
        Tasks: [serverTask],
      },
    ],
  });

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Writes as `verb Kind/name` with each applied or created object's content, less what differs between
 * two clusters only because their uids do (ownerReferences, the hashes computed over them, and the
 * evaluation IDs derived from them).
 */
const shape = (writes: Write[]) =>
  writes.map((w) => {
    if (w.verb === 'event') return `event ${w.reason}`;
    if (w.verb === 'patchStatus')
      return `patchStatus ${w.status.status} ${JSON.stringify(w.status.warnings ?? [])}`;
    if (w.verb !== 'apply' && w.verb !== 'create') return `${w.verb} ${w.kind}/${w.name}`;
    const { ownerReferences: _, annotations = {}, ...metadata } = w.object.metadata ?? {};
    const kept = Object.entries(annotations).filter(
      ([k]) => k !== ANNOTATION_APPLIED_HASH && !k.startsWith('applied.'),
    );
    const content = { ...w.object, metadata: { ...metadata, annotations: Object.fromEntries(kept) } };
    return `${w.verb} ${w.kind}/${w.name} ${JSON.stringify(content).replace(UUID, '<uuid>')}`;
  });

/** A running pod of the job's Deployment, as the ReplicaSet controller and kwok would make it. */
function runningPod(cluster: MemoryCluster, name: string): V1Pod {
  const deployment = cluster.get<V1Deployment>('Deployment', 'default', 'web--app');
  const template = deployment?.spec?.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template?.metadata, name, namespace: 'default' },
    spec: { containers: template?.spec?.containers ?? [], nodeName: 'kwok-0' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

type Step = (cluster: MemoryCluster) => Promise<unknown> | unknown;

/**
 * Runs the same steps on two clusters, reconciling after each with and without kept translations, and
 * returns both clusters' writes step by step.
 */
async function sideBySide(job: Record<string, unknown>, steps: Step[]) {
  const kept = new MemoryCluster(now);
  const fresh = new MemoryCluster(now);
  const translations = new TranslationMemo();
  const byStep: Array<{ kept: string[]; fresh: string[] }> = [];
  for (const cluster of [kept, fresh]) cluster.put(nomadJobObject(job));
  for (const step of [() => undefined, ...steps]) {
    for (const cluster of [kept, fresh]) {
      await step(cluster);
      cluster.clearWrites();
    }
    await reconcile('default/web', kept.view, kept.writer, { now, translations });
    await reconcile('default/web', fresh.view, fresh.writer, { now });
    byStep.push({ kept: shape(kept.writes), fresh: shape(fresh.writes) });
  }
  return { byStep, translations, kept, fresh };
}

/** `web` reconciled once with kept translations: the cluster, the translations and the job after. */
async function reconciledWeb() {
  const cluster = new MemoryCluster(now);
  cluster.put(nomadJobObject(webJob()));
  const translations = new TranslationMemo();
  await reconcile('default/web', cluster.view, cluster.writer, { now, translations });
  const job = cluster.get<NomadJobObject>('NomadJob', 'default', 'web') as NomadJobObject;
  return { cluster, translations, job };
}

describe('translations kept between reconciles', () => {
  it('reconciles write what they write without kept translations, change after change', async () => {
    const deleteDeployment: Step = (cluster) =>
      cluster.writer.delete({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'default',
        name: 'web--app',
      });
    const editDeployment: Step = (cluster) => {
      const live = cluster.get<V1Deployment>('Deployment', 'default', 'web--app');
      if (!live?.spec) throw new Error('no Deployment');
      live.spec.replicas = 7;
      live.metadata = { ...live.metadata, annotations: { [ANNOTATION_APPLIED_HASH]: 'edited' } };
      cluster.put(live);
    };
    const { byStep, translations } = await sideBySide(webJob(), [
      (cluster) => cluster.put(runningPod(cluster, 'web--app-1')),
      (cluster) => cluster.put(runningPod(cluster, 'web--app-2')),
      () => undefined,
      editDeployment,
      deleteDeployment,
      (cluster) => {
        const job = cluster.get<NomadJobObject>('NomadJob', 'default', 'web');
        cluster.updateSpec('default', 'web', nomadJobObject(webJob({ Meta: { owner: 'team-a' } })).spec);
        return job;
      },
      (cluster) => cluster.updateSpec('default', 'web', nomadJobObject(webJob({ Stop: true })).spec),
    ]);
    for (const [index, { kept, fresh }] of byStep.entries()) expect(kept, `step ${index}`).toEqual(fresh);
    // Something was written at each kind of step: the comparison compared writes, not silence.
    expect(byStep.map((s) => s.fresh.some((w) => w.startsWith('apply Deployment')))).toEqual([
      true,
      false,
      false,
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(translations.size).toBe(1);
  });

  it('a job sharing a Service is translated every time, and writes what it writes without them', async () => {
    const { byStep, translations, fresh } = await sideBySide(sharingJob(), [
      (cluster) => cluster.put(runningPod(cluster, 'web--app-1')),
      () => undefined,
    ]);
    for (const [index, { kept, fresh }] of byStep.entries()) expect(kept, `step ${index}`).toEqual(fresh);
    expect(fresh.list<KubernetesObject>('Service', 'default').map((s) => s.metadata?.name)).toContain('api');
    expect(translations.size).toBe(0);
  });

  it('a kept translation is what the next reconcile goes on from while its objects are live with their hashes', async () => {
    const { cluster, translations, job } = await reconciledWeb();
    const kept = translations.applied(job, 0, cluster.view);
    expect(kept?.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['Deployment/web--app']);
    // A warning only the kept translation has: the status shows it, so the reconcile used it.
    translations.remember(job, 0, {
      ...(kept ?? { objects: [], withoutWorkload: {} }),
      warnings: [{ path: 'Kept', message: 'from the memo' }],
    });
    cluster.put(runningPod(cluster, 'web--app-1'));
    cluster.clearWrites();
    await reconcile('default/web', cluster.view, cluster.writer, { now, translations });
    expect(cluster.get<NomadJobObject>('NomadJob', 'default', 'web')?.status?.warnings).toEqual([
      'Kept: from the memo',
    ]);
  });

  it('a kept translation is not used for another spec, another version, an object not live with its hash, or a forgotten job', async () => {
    const { cluster, translations, job } = await reconciledWeb();
    expect(translations.applied(job, 0, cluster.view)).toBeDefined();
    expect(translations.applied(job, 1, cluster.view)).toBeUndefined();

    const edited = cluster.updateSpec('default', 'web', nomadJobObject(webJob({ Meta: { a: 'b' } })).spec);
    expect(translations.applied(edited, 0, cluster.view)).toBeUndefined();

    const live = cluster.get<V1Deployment>('Deployment', 'default', 'web--app') as V1Deployment;
    cluster.put({ ...live, metadata: { ...live.metadata, labels: { [LABEL_JOB]: 'web' }, annotations: {} } });
    expect(translations.applied(job, 0, cluster.view)).toBeUndefined();
    cluster.put(live);
    expect(translations.applied(job, 0, cluster.view)).toBeDefined();

    translations.forget(job);
    expect(translations.applied(job, 0, cluster.view)).toBeUndefined();
    expect(translations.size).toBe(0);
  });
});
