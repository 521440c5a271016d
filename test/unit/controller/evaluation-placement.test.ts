// The placement an evaluation records for a new version of a service job, against an in-memory
// cluster (support/memory-cluster.ts) whose Deployment, ReplicaSets and pods are set as the apiserver
// and the Deployment controller leave them. The reconciler's Deployment and ReplicaSet caches come from
// two watches, and the Deployment controller answers a template change in writes of its own (the new
// ReplicaSet, then the Deployment's revision annotation, then its observedGeneration): until it has,
// the old ReplicaSet's pods are not the new version's, and must not complete its evaluation.
import type { V1ConfigMap, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../../src/controller/reconcile.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { readRecord } from '../../../src/jobs/evaluations.ts';
import { labelValueFor } from '../../../src/nomad/ids.ts';
import { LABEL_GROUP, LABEL_JOB } from '../../../src/nomad/keys.ts';
import { MemoryCluster } from './support/memory-cluster.ts';

const now = () => new Date('2026-01-02T03:04:05Z');
const namespace = 'default';
const REVISION = 'deployment.kubernetes.io/revision';

const webJob = (image: string) => ({
  ID: 'web',
  Type: 'service',
  Datacenters: ['*'],
  TaskGroups: [{ Name: 'app', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image } }] }],
});

describe('the evaluation of a new version of a service job', () => {
  let cluster: MemoryCluster;
  const reconcileWeb = () => reconcile(`${namespace}/web`, cluster.view, cluster.writer, { now });
  const deployment = () => {
    const found = cluster.get<V1Deployment>('Deployment', namespace, 'web--app');
    if (!found) throw new Error('no Deployment');
    return found;
  };
  /** The Deployment as the apiserver holds it: our apply over what the Deployment controller wrote. */
  const deploymentState = (generation: number, revision: string, observedGeneration: number) => {
    const d = deployment();
    cluster.put<V1Deployment>({
      ...d,
      metadata: {
        ...d.metadata,
        generation,
        annotations: { ...d.metadata?.annotations, [REVISION]: revision },
      },
      status: { observedGeneration, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    });
  };
  /** A ReplicaSet of the Deployment with `count` running pods. */
  const replicaSet = (revision: string, count: number) => {
    const d = deployment();
    const name = `web--app-rs${revision}`;
    const rs = cluster.put<V1ReplicaSet>({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace,
        labels: { [LABEL_JOB]: 'web', [LABEL_GROUP]: labelValueFor('app') },
        annotations: { [REVISION]: revision },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web--app',
            uid: d.metadata?.uid ?? '',
            controller: true,
          },
        ],
      },
      spec: { replicas: count, selector: {} },
    });
    for (let i = 0; i < count; i++) {
      cluster.put<V1Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${i}`,
          namespace,
          labels: { [LABEL_JOB]: 'web', [LABEL_GROUP]: labelValueFor('app') },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name,
              uid: rs.metadata?.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: { nodeName: 'node-0', containers: [{ name: 'server', image: 'nginx' }] },
        status: { phase: 'Running' },
      });
    }
  };
  const evaluationStatus = (version: number) =>
    readRecord(cluster.get<V1ConfigMap>('ConfigMap', namespace, 'web--evaluations')).entries.find(
      (e) => e.version === version && e.followUpOf === undefined,
    )?.evaluation.Status;

  beforeEach(async () => {
    cluster = new MemoryCluster(now);
    cluster.put(nomadJobObject(webJob('nginx:1.27')));
    await reconcileWeb();
    // Version 0 rolled out: revision 1, observed, two pods running.
    deploymentState(1, '1', 1);
    replicaSet('1', 2);
    await reconcileWeb();
    expect(evaluationStatus(0)).toBe('complete');
  });

  it('is not completed by the old pods while the Deployment controller has not taken up the new template', async () => {
    cluster.updateSpec(namespace, 'web', nomadJobObject(webJob('nginx:1.28')).spec);
    await reconcileWeb();
    expect(evaluationStatus(1)).toBe('pending');
    // Our apply of version 1's template is in the cache (the version label, generation 2), the
    // Deployment controller's answer to it not yet: revision 1 and observedGeneration 1 still.
    deploymentState(2, '1', 1);
    await reconcileWeb();
    expect(evaluationStatus(1)).toBe('pending');
    // It made revision 2's ReplicaSet and said so, not yet observed: still not the old pods' doing.
    replicaSet('2', 2);
    deploymentState(2, '2', 1);
    await reconcileWeb();
    expect(evaluationStatus(1)).toBe('pending');
    // Observed: revision 2's pods are version 1's, and place it.
    deploymentState(2, '2', 2);
    await reconcileWeb();
    expect(evaluationStatus(1)).toBe('complete');
  });
});
