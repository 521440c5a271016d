// Sysbatch pods (run-once DaemonSet pods: the tasks are init containers, then a pause container keeps
// the pod): their allocation is complete once the tasks exited 0, failed while a task's last exit was
// not 0, whatever the pod's phase; the job is dead once every allocation is. The pods are built from
// the translator's own DaemonSet template, with statuses as the kubelet (and kwok) reports them.
import type { V1ContainerStatus, V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { clientStatusOf } from '../../../src/api/responses/allocation.ts';
import {
  allocationState,
  isRunOncePod,
  nomadStatus,
  type Observed,
  summarize,
} from '../../../src/jobs/status.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import { statusOf } from './status-support.ts';

const task = (name: string, lifecycle?: { Hook: string; Sidecar?: boolean }) => ({
  Name: name,
  Driver: 'docker',
  Config: { image: 'busybox:1.37', command: 'true' },
  ...(lifecycle ? { Lifecycle: lifecycle } : {}),
});

const sysbatch = (tasks = [task('prune')], extra: Partial<Job> = {}): Job =>
  canonicalize({
    ID: 'docker-prune',
    Type: 'sysbatch',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'prune', Tasks: tasks }],
    ...extra,
  });

function daemonSetOf(job: Job): V1DaemonSet {
  const { objects } = translate(job, { namespace: 'default' });
  const daemonSet = objects.find((o) => o.kind === 'DaemonSet') as V1DaemonSet | undefined;
  if (!daemonSet) throw new Error('no DaemonSet translated');
  return daemonSet;
}

const done = (name: string, exitCode = 0): V1ContainerStatus => ({
  name,
  image: 'busybox:1.37',
  imageID: '',
  ready: exitCode === 0,
  restartCount: 0,
  state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } },
});

/** A pod of the DaemonSet on a node, in `phase`, with these init container statuses. */
function podOf(daemonSet: V1DaemonSet, phase: string, initStatuses: V1ContainerStatus[]): V1Pod {
  const template = daemonSet.spec?.template;
  return {
    metadata: {
      ...template?.metadata,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: daemonSet.metadata?.name ?? '', uid: 'ds' },
      ],
    },
    spec: { ...template?.spec, containers: template?.spec?.containers ?? [], nodeName: 'kwok-node-0' },
    status: {
      phase,
      initContainerStatuses: initStatuses,
      ...(phase === 'Running'
        ? {
            containerStatuses: [
              {
                name: 'pause',
                image: 'registry.k8s.io/pause:3.10',
                imageID: '',
                ready: true,
                restartCount: 0,
                state: { running: {} },
              },
            ],
          }
        : {}),
    },
  };
}

const observed = (pods: V1Pod[]): Observed => ({ pods, deployments: [], jobs: [], desired: { prune: 1 } });

describe('sysbatch allocations', () => {
  const job = sysbatch();
  const daemonSet = daemonSetOf(job);

  it('are complete once the tasks exited 0, though the pause container keeps the pod Running', () => {
    const pod = podOf(daemonSet, 'Running', [done('prune')]);
    expect(isRunOncePod(pod)).toBe(true);
    expect(allocationState(pod)).toBe('complete');
    expect(clientStatusOf(pod)).toBe('complete');
    expect(summarize(job, observed([pod])).prune).toMatchObject({ running: 0, complete: 1 });
  });

  it('are starting while a task runs, failed while a task’s last exit was not 0', () => {
    const running: V1ContainerStatus = {
      ...done('prune'),
      state: { running: { startedAt: new Date() } },
    };
    expect(allocationState(podOf(daemonSet, 'Pending', [running]))).toBe('starting');
    // Exited 1, now waiting in the kubelet's back-off before it is tried again.
    const backOff: V1ContainerStatus = {
      ...done('prune'),
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    };
    expect(allocationState(podOf(daemonSet, 'Pending', [done('prune', 1)]))).toBe('failed');
    expect(allocationState(podOf(daemonSet, 'Pending', [backOff]))).toBe('failed');
    // Tried again: failed until a try exits 0.
    expect(allocationState(podOf(daemonSet, 'Pending', [{ ...backOff, state: running.state }]))).toBe(
      'failed',
    );
    expect(allocationState(podOf(daemonSet, 'Running', [{ ...backOff, state: done('prune').state }]))).toBe(
      'complete',
    );
    expect(clientStatusOf(podOf(daemonSet, 'Pending', [backOff]))).toBe('failed');
  });

  it('wait for every task: a task not yet run keeps the allocation starting, a failed one fails it', () => {
    const twoTasks = sysbatch([task('backup', { Hook: 'prestart' }), task('prune')]);
    const ds = daemonSetOf(twoTasks);
    const waiting: V1ContainerStatus = {
      ...done('prune'),
      state: { waiting: { reason: 'PodInitializing' } },
    };
    expect(allocationState(podOf(ds, 'Pending', [done('backup'), waiting]))).toBe('starting');
    expect(allocationState(podOf(ds, 'Running', [done('backup'), done('prune')]))).toBe('complete');
    expect(allocationState(podOf(ds, 'Pending', [done('backup', 2), waiting]))).toBe('failed');
  });

  it('do not wait for a sidecar task, which keeps running', () => {
    const withSidecar = sysbatch([task('proxy', { Hook: 'prestart', Sidecar: true }), task('prune')]);
    const ds = daemonSetOf(withSidecar);
    const sidecar: V1ContainerStatus = { ...done('proxy'), state: { running: {} } };
    expect(allocationState(podOf(ds, 'Running', [sidecar, done('prune')]))).toBe('complete');
  });

  it('make the job dead once all are terminal, running while one is not', () => {
    const complete = podOf(daemonSet, 'Running', [done('prune')]);
    const failed = podOf(daemonSet, 'Pending', [done('prune', 1)]);
    const starting = podOf(daemonSet, 'Pending', [{ ...done('prune'), state: { running: {} } }]);
    expect(nomadStatus(job, observed([complete, failed]))).toBe('dead');
    expect(nomadStatus(job, observed([complete, starting]))).toBe('running');
    const status = statusOf(job, observed([complete]));
    expect(status.status).toBe('dead');
    expect(status.allocations).toBe('0/1');
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });

  it('are told apart from a system job’s pods, whose containers run', () => {
    const system = canonicalize({
      ID: 'agent',
      Type: 'system',
      Datacenters: ['dc1'],
      TaskGroups: [{ Name: 'prune', Tasks: [task('setup', { Hook: 'prestart' }), task('agent')] }],
    });
    const pod = podOf(daemonSetOf(system), 'Running', [done('setup')]);
    expect(isRunOncePod(pod)).toBe(false);
    expect(allocationState(pod)).toBe('running');
  });
});
