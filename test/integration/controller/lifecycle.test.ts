// The reconcile loop on the real cluster: NomadJobs become live workloads with Nomad's status,
// scale, stop and go away with everything they owned; versions are kept; bad specs are reported.
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type CoreV1Event,
  CustomObjectsApi,
  type V1ControllerRevision,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { group, plural, version } from '../../../src/crd/resource.ts';
import { storedVersionOf } from '../../../src/jobs/versions.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { dockerJob, type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'ctrl'));
  harness = await startController(kc, namespace);
});
afterAll(async () => {
  await harness?.stop();
  await removeNamespace();
});

/** Services the NomadJob `job` owns (shared Services carry no job label). */
const servicesOf = async (job: string) => {
  const list = await core.listNamespacedService({ namespace });
  return { items: list.items.filter((s) => s.metadata?.ownerReferences?.some((r) => r.name === job)) };
};

const runningPods = async (job: string) =>
  (await core.listNamespacedPod({ namespace, labelSelector: `${LABEL_JOB}=${job}` })).items.filter(
    (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
  );

describe('service jobs', () => {
  it('run as a Deployment and Service, report running, scale, stop and are collected', async () => {
    await harness.submit(webJob(2));
    const running = await waitFor('NomadJob web running with 2 allocations', async () => {
      const job = await harness.read('web');
      return job.status?.status === 'running' && job.status.summary?.app?.running === 2 ? job : undefined;
    });
    expect(running.status?.allocations).toBe('2/2');
    expect(running.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(running.status?.observedGeneration).toBe(running.metadata?.generation);
    const deployments = await apps.listNamespacedDeployment({ namespace, labelSelector: `${LABEL_JOB}=web` });
    expect(deployments.items).toHaveLength(1);
    expect(deployments.items[0]?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'NomadJob',
      name: 'web',
    });
    // The Service is named after the Nomad service and shared: owned by the job, not labelled with it.
    const services = await servicesOf('web');
    expect(services.items.map((s) => s.metadata?.name)).toEqual(['web']);

    // Scale up: a count change is a new version and more pods.
    await harness.submit(webJob(3));
    await waitFor('3 running pods of web', async () => (await runningPods('web')).length === 3);
    const scaledJob = await waitFor('web version 1 with 3 allocations', async () => {
      const job = await harness.read('web');
      return job.status?.version === 1 && job.status.summary?.app?.running === 3 ? job : undefined;
    });
    expect(scaledJob.status?.allocations).toBe('3/3');

    // Stop: the job stays, dead, with its workloads removed.
    await harness.submit({ ...webJob(3), Stop: true });
    await waitFor('web dead after stop', async () => (await harness.read('web')).status?.status === 'dead', {
      timeoutMs: 60_000,
    });
    expect(
      (await apps.listNamespacedDeployment({ namespace, labelSelector: `${LABEL_JOB}=web` })).items,
    ).toEqual([]);

    // Purge: deleting the NomadJob garbage-collects everything it owned.
    await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: 'web' });
    await waitFor('everything of web collected', async () => {
      const left = await Promise.all([
        servicesOf('web'),
        apps.listNamespacedControllerRevision({ namespace, labelSelector: `${LABEL_JOB}=web` }),
        core.listNamespacedPod({ namespace, labelSelector: `${LABEL_JOB}=web` }),
      ]);
      return left.every((l) => l.items.length === 0);
    });
  });
});

function webJob(count: number) {
  return dockerJob(
    'web',
    {
      TaskGroups: [
        {
          Name: 'app',
          Count: count,
          Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
          Services: [{ Name: 'web', PortLabel: 'http' }],
          Tasks: [
            { Name: 'main', Driver: 'docker', Config: { image: 'registry.example/app:1', ports: ['http'] } },
          ],
        },
      ],
    },
    count,
  );
}

describe('batch jobs', () => {
  it('run as a Job to completion and end dead with Complete = count', async () => {
    await harness.submit(dockerJob('report', { Type: 'batch' }, 2));
    const done = await waitFor('report dead', async () => {
      const job = await harness.read('report');
      return job.status?.status === 'dead' ? job : undefined;
    });
    expect(done.status?.summary?.app?.complete).toBe(2);
    const complete = await waitFor('the Kubernetes Job of report Complete', async () => {
      const jobs = await batch.listNamespacedJob({ namespace, labelSelector: `${LABEL_JOB}=report` });
      const job = jobs.items[0];
      return job?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
        ? job
        : undefined;
    });
    expect(complete.status?.succeeded).toBe(2);
  });
});

describe('versions', () => {
  it('keeps every spec change as a ControllerRevision: versions 0, 1, 2', async () => {
    for (const image of ['a:1', 'a:2', 'a:3']) {
      await harness.submit(
        dockerJob('versioned', {
          TaskGroups: [
            { Name: 'app', Count: 1, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image } }] },
          ],
        }),
      );
      const expected = ['a:1', 'a:2', 'a:3'].indexOf(image);
      await waitFor(
        `versioned at version ${expected}`,
        async () => (await harness.read('versioned')).status?.version === expected,
      );
    }
    const revisions = await apps.listNamespacedControllerRevision({
      namespace,
      labelSelector: `${LABEL_JOB}=versioned`,
    });
    const stored = revisions.items.map((r: V1ControllerRevision) => storedVersionOf(r)!);
    expect(stored.map((v) => v.version).sort()).toEqual([0, 1, 2]);
    const images = stored
      .sort((a, b) => a.version - b.version)
      .map(
        (v) =>
          (v.job as { TaskGroups: Array<{ Tasks: Array<{ Config: { image: string } }> }> }).TaskGroups[0]
            ?.Tasks[0]?.Config.image,
      );
    expect(images).toEqual(['a:1', 'a:2', 'a:3']);
  });
});

describe('bad specs', () => {
  it('get a Degraded condition and a Warning event, and do not block other jobs', async () => {
    await harness.submit({
      ID: 'broken',
      Datacenters: ['*'],
      TaskGroups: [{ Name: 'g', Count: 1, Tasks: [] }],
    });
    await harness.submit(dockerJob('fine'));
    const broken = await waitFor('broken Degraded', async () => {
      const job = await harness.read('broken');
      return job.status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True')
        ? job
        : undefined;
    });
    expect(broken.status?.statusDescription).toContain('Missing tasks for task group');
    await waitFor('fine running', async () => (await harness.read('fine')).status?.status === 'running');
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=broken' });
    expect(events.items.map((e: CoreV1Event) => [e.type, e.reason])).toContainEqual([
      'Warning',
      'InvalidSpec',
    ]);
  });
});
