// The local control plane behaves like a real cluster: controllers, scheduler, kwok-simulated
// kubelets, garbage collection and RBAC. Everything the product does later rests on these facts.
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'cluster'));
});
afterAll(async () => removeNamespace());

const container = { name: 'main', image: 'registry.example/app:1' };

function deployment(name: string, replicas: number): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
    },
  };
}

describe('local cluster', () => {
  it('runs a Deployment with 2 replicas as 2 Running, Ready pods on a kwok node', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 2) });
    const pods = await waitFor('2 ready pods of deployment web', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
      const ready = list.items.filter(
        (p) =>
          p.status?.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === 2 ? ready : undefined;
    });
    for (const pod of pods) {
      const node = await core.readNode({ name: pod.spec?.nodeName ?? '' });
      expect(node.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    }
    const available = await waitFor('deployment web available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
      return d.status?.availableReplicas === 2 ? d : undefined;
    });
    expect(available.status?.readyReplicas).toBe(2);
  });

  it('completes a Job: its pod Succeeds and the Job gets condition Complete', async () => {
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'once' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } },
      },
    });
    const job = await waitFor('job once Complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'once', namespace });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(1);
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: 'batch.kubernetes.io/job-name=once',
    });
    expect(pods.items.map((p) => p.status?.phase)).toEqual(['Succeeded']);
  });

  it('lets a CronJob with schedule "* * * * *" create a Job within 70 seconds', async () => {
    await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'every-minute' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: {
            spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container] } } },
          },
        },
      },
    });
    const jobs = await waitFor(
      'a Job created by cronjob every-minute',
      async () => {
        const list = await batch.listNamespacedJob({ namespace });
        const owned = list.items.filter((j) =>
          j.metadata?.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === 'every-minute'),
        );
        return owned.length > 0 ? owned : undefined;
      },
      { timeoutMs: 70_000, intervalMs: 1000 },
    );
    expect(jobs[0]?.metadata?.name).toMatch(/^every-minute-\d+$/);
  });

  it('garbage-collects dependents when their owner is deleted', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('doomed', 1) });
    const replicaSet = await waitFor('the ReplicaSet of deployment doomed', async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=doomed' });
      return list.items[0];
    });
    await waitFor('a pod of deployment doomed', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=doomed' });
      return list.items.length > 0;
    });
    await apps.deleteNamespacedDeployment({ name: 'doomed', namespace, propagationPolicy: 'Background' });
    await waitFor('ReplicaSet and pods of doomed collected', async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=doomed' });
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=doomed' });
      return sets.items.length === 0 && pods.items.length === 0;
    });
    await expect(
      apps.readNamespacedReplicaSet({ name: replicaSet.metadata?.name ?? '', namespace }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('enforces RBAC on service-account tokens: 403 without rights, allowed after a RoleBinding', async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'deployer' } } });
    const tokenRequest = await core.createNamespacedServiceAccountToken({
      name: 'deployer',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const token = tokenRequest.status?.token ?? '';
    expect(token).not.toBe('');

    const asDeployer = new KubeConfig();
    const cluster = kc.getCurrentCluster()!;
    asDeployer.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'deployer', token }],
      contexts: [{ name: 'deployer', cluster: cluster.name, user: 'deployer' }],
      currentContext: 'deployer',
    });
    const deployerApps = asDeployer.makeApiClient(AppsV1Api);

    const denied = await deployerApps
      .createNamespacedDeployment({ namespace, body: deployment('by-deployer', 1) })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(denied).toBeInstanceOf(ApiException);
    expect((denied as ApiException<unknown>).code).toBe(403);

    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'deploy' },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'get'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'deployer-deploys' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deploy' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }],
      },
    });
    // RBAC changes reach the authorizer's cache within moments; retry briefly.
    const created = await waitFor('the deployer to be allowed', async () =>
      deployerApps.createNamespacedDeployment({ namespace, body: deployment('by-deployer', 1) }),
    );
    expect(created.metadata?.name).toBe('by-deployer');
  });
});
