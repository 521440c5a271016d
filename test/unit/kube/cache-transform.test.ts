// What the informers' default cache transform (stripForCache) keeps of the objects the operator
// caches for every job: a workload (Deployment, ReplicaSet, DaemonSet, Job, CronJob) loses its pod
// template, a Secret its values, a pod its containers' environment and volume mounts, its volumes and
// its tolerations; everything the reconciler and the API read stays
// (metadata, status, a pod's node and containers' names, images, ports and restart policies), and what
// they compute from the stripped objects is what they compute from the whole ones. The objects are
// shaped as the apiserver returns them for the translator's output of a one-group service job.

import v8 from 'node:v8';
import vm from 'node:vm';
import type { KubernetesObject, V1Deployment, V1Pod, V1PodSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podVersion } from '../../../src/jobs/pod-version.ts';
import { allocationState, isRunOncePod } from '../../../src/jobs/status.ts';
import { stripForCache } from '../../../src/kube/informer.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import { translate } from '../../../src/translate/index.ts';

const namespace = 'apps';

function translatedDeployment(): V1Deployment {
  const parsed = parseJobJson({
    ID: 'web',
    Name: 'web',
    Type: 'service',
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: 'web',
        Count: 1,
        Tasks: [
          {
            Name: 'web',
            Driver: 'docker',
            Config: { image: 'nginx:1.27', ports: ['http'] },
            Env: { GREETING: 'hello' },
            Resources: { CPU: 50, MemoryMB: 32 },
          },
        ],
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const { objects } = translate(canonicalize(parsed.job), { namespace });
  const deployment = objects.find((o: KubernetesObject) => o.kind === 'Deployment') as
    | V1Deployment
    | undefined;
  if (!deployment?.spec) throw new Error('no Deployment');
  return {
    ...deployment,
    metadata: {
      ...deployment.metadata,
      uid: 'd-1',
      resourceVersion: '101',
      annotations: { ...deployment.metadata?.annotations, 'deployment.kubernetes.io/revision': '2' },
      managedFields: [
        { manager: 'nomad-operator', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: {} },
      ],
    },
  };
}

function replicaSetOf(deployment: V1Deployment, revision: string): V1ReplicaSet {
  const template = structuredClone(deployment.spec?.template);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata?.name}-5d9c7b8f4`,
      namespace,
      uid: `rs-${revision}`,
      resourceVersion: '102',
      labels: { ...template?.metadata?.labels, 'pod-template-hash': '5d9c7b8f4' },
      annotations: {
        ...deployment.metadata?.annotations,
        'deployment.kubernetes.io/desired-replicas': '1',
        'deployment.kubernetes.io/max-replicas': '2',
        'deployment.kubernetes.io/revision': revision,
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: deployment.metadata?.name ?? '',
          uid: 'd-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsType: 'FieldsV1' }],
    },
    spec: {
      replicas: 1,
      selector: {
        matchLabels: { ...deployment.spec?.selector?.matchLabels, 'pod-template-hash': '5d9c7b8f4' },
      },
      ...(template ? { template } : {}),
    },
    status: {
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      fullyLabeledReplicas: 1,
      observedGeneration: 1,
    },
  };
}

/**
 * The pod of `rs` as admission and the kubelet leave it: token volume, default tolerations, status;
 * as JSON gives it (times are strings).
 */
function podOf(rs: V1ReplicaSet): V1Pod {
  return JSON.parse(JSON.stringify(podObjectOf(rs))) as V1Pod;
}

function podObjectOf(rs: V1ReplicaSet): V1Pod {
  const template = structuredClone(rs.spec?.template);
  const spec = template?.spec as V1PodSpec;
  const tokenMount = {
    name: 'kube-api-access-x',
    mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${rs.metadata?.name}-abcde`,
      namespace,
      uid: 'p-1',
      resourceVersion: '103',
      labels: { ...template?.metadata?.labels },
      ...(template?.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata?.name ?? '',
          uid: 'rs-1',
          controller: true,
        },
      ],
    },
    spec: {
      ...spec,
      nodeName: 'kwok-node-0',
      containers: spec.containers.map((c) => ({
        ...c,
        volumeMounts: [...(c.volumeMounts ?? []), tokenMount],
      })),
      volumes: [...(spec.volumes ?? []), { name: tokenMount.name, projected: { sources: [] } }],
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: spec.containers.map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: new Date('2026-01-01T00:00:00Z') } },
      })),
    },
  };
}

describe('stripForCache', () => {
  it("drops a ReplicaSet's pod template and managed fields, and keeps its metadata, the rest of its spec and its status", () => {
    const rs = replicaSetOf(translatedDeployment(), '2');
    const stripped = stripForCache(structuredClone(rs));
    const { managedFields: _managed, ...metadata } = rs.metadata ?? {};
    const { template: _template, ...spec } = rs.spec ?? { selector: {} };
    expect(stripped).toEqual({ ...rs, metadata, spec });
    expect(stripped.spec?.template).toBeUndefined();
  });

  it("drops a pod's environment, volume mounts, volumes and tolerations, and keeps what is read of it", () => {
    const pod = podOf(replicaSetOf(translatedDeployment(), '2'));
    expect(pod.spec?.containers[0]?.env?.length).toBeGreaterThan(0);
    const stripped = stripForCache(structuredClone(pod));
    expect(stripped.metadata).toEqual(pod.metadata);
    expect(stripped.status).toEqual(pod.status);
    expect(stripped.spec?.nodeName).toBe('kwok-node-0');
    expect(stripped.spec?.volumes).toBeUndefined();
    expect(stripped.spec?.tolerations).toBeUndefined();
    expect(stripped.spec?.containers.length).toBe(pod.spec?.containers.length);
    for (const [i, container] of (pod.spec?.containers ?? []).entries()) {
      const { env: _env, envFrom: _envFrom, volumeMounts: _mounts, ...kept } = container;
      expect(stripped.spec?.containers[i]).toEqual(kept);
      expect(kept.ports?.length).toBeGreaterThan(0);
    }
  });

  it('strips init containers of a run-once pod alike, and it still reads as one', () => {
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'batch-abcde',
        namespace,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'batch', uid: 'ds-1', controller: true },
        ],
      },
      spec: {
        nodeName: 'kwok-node-0',
        initContainers: [
          {
            name: 'task',
            image: 'busybox',
            env: [{ name: 'A', value: 'b' }],
            volumeMounts: [{ name: 'v', mountPath: '/v' }],
          },
        ],
        containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
      status: {
        phase: 'Running',
        initContainerStatuses: [
          {
            name: 'task',
            image: 'busybox',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0 } },
          },
        ],
      },
    };
    const stripped = stripForCache(structuredClone(pod));
    expect(stripped.spec?.initContainers).toEqual([{ name: 'task', image: 'busybox' }]);
    expect(isRunOncePod(stripped)).toBe(true);
    expect(allocationState(stripped)).toBe(allocationState(pod));
  });

  it('gives the reconciler and the API the same pod version from the stripped pod, ReplicaSet and Deployment', () => {
    const whole = translatedDeployment();
    const deployment = stripForCache(structuredClone(whole));
    for (const revision of ['2', '1']) {
      const rs = replicaSetOf(whole, revision);
      const pod = podOf(rs);
      delete pod.metadata?.labels?.['nomadoperator.dev/version'];
      const uncached = { Deployment: whole, ReplicaSet: rs } as Record<string, KubernetesObject>;
      const cached = { Deployment: deployment, ReplicaSet: stripForCache(structuredClone(rs)) } as Record<
        string,
        KubernetesObject
      >;
      expect(podVersion((kind) => cached[kind], stripForCache(structuredClone(pod)))).toBe(
        podVersion((kind) => uncached[kind], pod),
      );
    }
  });

  it("drops a Deployment's pod template and managed fields, and keeps its metadata, the rest of its spec and its status", () => {
    const deployment = {
      ...translatedDeployment(),
      status: { replicas: 1, updatedReplicas: 1, availableReplicas: 1, observedGeneration: 3 },
    };
    const stripped = stripForCache(structuredClone(deployment));
    const { managedFields: _managed, ...metadata } = deployment.metadata ?? {};
    const { template: _template, ...spec } = deployment.spec ?? { selector: {} };
    expect(stripped).toEqual({ ...deployment, metadata, spec });
    expect(stripped.spec?.replicas).toBe(1);
    expect(stripped.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('drops the template of a DaemonSet, a Job and a CronJob, and nothing else of their spec', () => {
    const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 't', image: 'i' }] } };
    const objects: KubernetesObject[] = [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: { selector: {}, template } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { backoffLimit: 0, template } },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c' },
        spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      },
    ] as unknown as KubernetesObject[];
    expect(objects.map((o) => (stripForCache(structuredClone(o)) as { spec?: unknown }).spec)).toEqual([
      { selector: {} },
      { backoffLimit: 0 },
      { schedule: '*/5 * * * *', suspend: false },
    ]);
  });

  it("drops a Secret's values and keeps its metadata and type", () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-payload', labels: { 'app.kubernetes.io/managed-by': 'nomad-operator' } },
      type: 'Opaque',
      data: { payload: 'aGVsbG8=' },
    };
    expect(stripForCache(structuredClone(secret) as KubernetesObject)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: secret.metadata,
      type: 'Opaque',
    });
  });

  it('leaves kinds it does not know alone but for managed fields', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', managedFields: [{ manager: 'm' }] },
      spec: { selector: { a: 'b' }, ports: [{ name: 'http', port: 80 }] },
    };
    const stripped = stripForCache(structuredClone(service) as KubernetesObject);
    expect(stripped).toEqual({ ...service, metadata: { name: 's' } });
  });

  it('keeps a stripped pod compact: well under half the heap of the same pod stripped by deletes alone', () => {
    // The deletes leave V8 hash-table objects, larger than the whole pod was; the transform rebuilds
    // the object and interns its short strings (src/kube/compact.ts). Measured on the heap itself,
    // after full collections, over enough distinct pods that the figure is the objects' own.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const text = JSON.stringify(podOf(replicaSetOf(translatedDeployment(), '2')));
    const pods = (count: number) =>
      Array.from({ length: count }, (_, i) => {
        const pod = JSON.parse(text.replaceAll('p-1', `uid-${i}`).replaceAll('-abcde', `-${i}`)) as V1Pod;
        return pod;
      });
    const deletedOnly = (pod: V1Pod): V1Pod => {
      delete pod.metadata?.managedFields;
      for (const container of pod.spec?.containers ?? []) {
        delete container.env;
        delete container.volumeMounts;
      }
      delete pod.spec?.volumes;
      delete pod.spec?.tolerations;
      return pod;
    };
    const heapOf = (make: () => unknown[]) => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const kept = make();
      gc();
      const bytes = process.memoryUsage().heapUsed - before;
      expect(kept.length).toBe(2000);
      return bytes;
    };
    const byDeletes = heapOf(() => pods(2000).map(deletedOnly));
    const byTransform = heapOf(() => pods(2000).map((pod) => stripForCache(pod)));
    expect(byTransform).toBeLessThan(byDeletes * 0.6);
    // And it is the same pod.
    const [one] = pods(1);
    expect(stripForCache(structuredClone(one as V1Pod))).toEqual(deletedOnly(structuredClone(one as V1Pod)));
  });
});
