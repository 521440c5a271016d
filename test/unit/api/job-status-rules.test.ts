// The controller's status rules as the Nomad API answers them (Fastify inject on the in-memory
// cluster): a sysbatch allocation whose tasks exited 0 is complete and its job dead; a periodic job
// switched off is running and registers without an evaluation; a task-less gateway group the
// controller reported without a workload is not queued in the job summary.
import type { KubernetesObject, V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { NomadJobObject } from '../../../src/crd/resource.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import { testApi } from './support.ts';

const sysbatchJob = {
  ID: 'prune',
  Type: 'sysbatch',
  Datacenters: ['dc1'],
  TaskGroups: [
    { Name: 'prune', Tasks: [{ Name: 'prune', Driver: 'docker', Config: { image: 'busybox:1.37' } }] },
  ],
};

const gatewayJob = {
  ID: 'gw',
  Datacenters: ['dc1'],
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
    { Name: 'web', Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] },
  ],
};

const translated = (job: unknown) => translate(canonicalize(job as Job), { namespace: 'default' });

describe('status rules through the Nomad API', () => {
  it('a sysbatch allocation whose tasks exited 0 is complete, and its job dead', async () => {
    const { app, cluster } = await testApi();
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: sysbatchJob } });
    expect(reg.statusCode, reg.body).toBe(200);
    const daemonSet = translated(sysbatchJob).objects.find((o) => o.kind === 'DaemonSet') as V1DaemonSet;
    const template = daemonSet.spec?.template;
    // As kwok (and a kubelet) shows it: the init container terminated with 0, the pause container running.
    const pod: V1Pod = {
      metadata: {
        ...template?.metadata,
        name: 'prune--prune-abcde',
        namespace: 'default',
        uid: 'pod-1',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'prune--prune', uid: 'ds' }],
      },
      spec: { ...template?.spec, containers: template?.spec?.containers ?? [], nodeName: 'kwok-node-0' },
      status: {
        phase: 'Running',
        initContainerStatuses: [
          {
            name: 'prune',
            image: 'busybox:1.37',
            imageID: '',
            ready: true,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
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
      },
    };
    cluster.put('Pod', pod);
    const allocations = (await app.inject({ method: 'GET', url: '/v1/job/prune/allocations' })).json();
    expect(allocations.map((a: { ClientStatus: string }) => a.ClientStatus)).toEqual(['complete']);
    expect((await app.inject({ method: 'GET', url: '/v1/job/prune' })).json().Status).toBe('dead');
    const summary = (await app.inject({ method: 'GET', url: '/v1/job/prune/summary' })).json();
    expect(summary.Summary.prune).toMatchObject({ Complete: 1, Running: 0 });
  });

  it('a periodic job switched off is running and registers without an evaluation', async () => {
    const { app } = await testApi();
    const off = {
      ID: 'weekly',
      Type: 'batch',
      Datacenters: ['dc1'],
      Periodic: { Enabled: false, Spec: '0 8 * * 1' },
      TaskGroups: [
        { Name: 'report', Tasks: [{ Name: 'report', Driver: 'docker', Config: { image: 'python:3.12' } }] },
      ],
    };
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: off } });
    expect(reg.statusCode, reg.body).toBe(200);
    expect(reg.json().EvalID).toBe('');
    expect((await app.inject({ method: 'GET', url: '/v1/job/weekly' })).json().Status).toBe('running');
    const listed = (await app.inject({ method: 'GET', url: '/v1/jobs' })).json();
    expect(listed.find((j: { ID: string }) => j.ID === 'weekly')).toMatchObject({
      Status: 'running',
      Periodic: true,
    });
  });

  it('a gateway group the controller made no workload for is not queued in the summary', async () => {
    const { app, cluster } = await testApi();
    const reg = await app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: gatewayJob } });
    expect(reg.statusCode, reg.body).toBe(200);
    const before = (await app.inject({ method: 'GET', url: '/v1/job/gw/summary' })).json();
    expect(before.Summary.gateway).toMatchObject({ Queued: 1 });
    // The status the controller writes records the translation's warnings.
    const owner = cluster.sources.NomadJob.get('default', 'gw') as NomadJobObject;
    const warnings = translated(gatewayJob).warnings.map((w) => `${w.path}: ${w.message}`);
    expect(warnings.some((w) => w.includes('terminating gateway is not converted'))).toBe(true);
    cluster.put('NomadJob', { ...owner, status: { ...owner.status, warnings } } as KubernetesObject);
    const after = (await app.inject({ method: 'GET', url: '/v1/job/gw/summary' })).json();
    expect(after.Summary.gateway).toMatchObject({ Queued: 0, Running: 0 });
    expect(after.Summary.web).toMatchObject({ Queued: 1 });
  });
});
