// The namespaces API on an in-memory cluster: Nomad's requests, answers and error texts for register,
// read, list and delete; what is stored on the Kubernetes namespace; the Kubernetes permission each
// write asks for; and the index rules of reads of an unknown job.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Authorizer, Permission } from '../../../src/api/acl.ts';
import { buildApiApp } from '../../../src/api/app.ts';
import { createNamespaceMapper } from '../../../src/nomad/ids.ts';
import { ANNOTATION_NAMESPACE_DESCRIPTION } from '../../../src/nomad/keys.ts';
import { serviceJob, testApi } from './support.ts';

const put = (url: string, body: unknown) => ({ method: 'PUT' as const, url, payload: JSON.stringify(body) });

describe('namespace register, read, list, delete', () => {
  it('creates the Kubernetes namespace and answers what was stored', async () => {
    const { app, cluster } = await testApi();
    const created = await app.inject(
      put('/v1/namespace', {
        Name: 'team-a',
        Description: 'Team A',
        Meta: { owner: 'a' },
        Capabilities: { EnabledTaskDrivers: ['docker'], DisabledNetworkModes: ['host'] },
      }),
    );
    expect(created.statusCode).toBe(200);
    expect(created.body).toBe('');
    const k8s = cluster.sources.Namespace.get(undefined, 'team-a') as V1Namespace;
    expect(k8s.metadata?.annotations?.[ANNOTATION_NAMESPACE_DESCRIPTION]).toBe('Team A');
    expect(created.headers['x-nomad-index']).toBe(k8s.metadata?.resourceVersion);

    const read = await app.inject({ method: 'GET', url: '/v1/namespace/team-a' });
    expect(read.statusCode).toBe(200);
    expect(read.headers['x-nomad-index']).toBe(k8s.metadata?.resourceVersion);
    expect(JSON.parse(read.body)).toEqual({
      Name: 'team-a',
      Description: 'Team A',
      Quota: '',
      Capabilities: {
        EnabledTaskDrivers: ['docker'],
        DisabledTaskDrivers: null,
        EnabledNetworkModes: null,
        DisabledNetworkModes: ['host'],
      },
      NodePoolConfiguration: null,
      VaultConfiguration: null,
      ConsulConfiguration: null,
      Meta: { owner: 'a' },
      CreateIndex: Number(k8s.metadata?.resourceVersion),
      ModifyIndex: Number(k8s.metadata?.resourceVersion),
      RequiredExtraClaims: null,
      OptionalExtraClaims: null,
    });

    // An update replaces the namespace, as Nomad's upsert does: Meta and Capabilities go.
    const updated = await app.inject(put('/v1/namespace/team-a', { Name: 'team-a', Description: 'A' }));
    expect(updated.statusCode).toBe(200);
    const again = JSON.parse((await app.inject({ method: 'GET', url: '/v1/namespace/team-a' })).body);
    expect(again).toMatchObject({ Description: 'A', Meta: null, Capabilities: null });
    expect(again.CreateIndex).toBe(Number(k8s.metadata?.resourceVersion));
    expect(again.ModifyIndex).toBeGreaterThan(again.CreateIndex);

    const list = await app.inject({ method: 'GET', url: '/v1/namespaces' });
    expect(JSON.parse(list.body).map((n: { Name: string }) => n.Name)).toEqual(['default', 'team-a']);
    expect(JSON.parse(list.body)[0].Description).toBe('Default shared namespace');
    const prefixed = await app.inject({ method: 'GET', url: '/v1/namespaces?prefix=team' });
    expect(JSON.parse(prefixed.body).map((n: { Name: string }) => n.Name)).toEqual(['team-a']);

    const deleted = await app.inject({ method: 'DELETE', url: '/v1/namespace/team-a' });
    expect(deleted.statusCode).toBe(200);
    expect(Number(deleted.headers['x-nomad-index'])).toBeGreaterThan(again.ModifyIndex);
    const gone = await app.inject({ method: 'GET', url: '/v1/namespace/team-a' });
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toBe('Namespace not found');
  });

  it('keeps names Kubernetes cannot hold in a hashed namespace, under their exact name', async () => {
    const { app, cluster, store } = await testApi();
    expect((await app.inject(put('/v1/namespace', { Name: 'TeamB' }))).statusCode).toBe(200);
    const k8sName = createNamespaceMapper()('TeamB');
    expect(k8sName).toMatch(/--/);
    expect(cluster.sources.Namespace.get(undefined, k8sName)).toBeDefined();
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/v1/namespace/TeamB' })).body).Name).toBe(
      'TeamB',
    );
    const names = JSON.parse((await app.inject({ method: 'GET', url: '/v1/namespaces' })).body).map(
      (n: { Name: string }) => n.Name,
    );
    expect(names).toEqual(['TeamB', 'default']);
    // Jobs registered into it land in that Kubernetes namespace.
    const registered = await app.inject(put('/v1/jobs?namespace=TeamB', { Job: serviceJob('web') }));
    expect(registered.statusCode).toBe(200);
    expect(store.findJob('TeamB', 'web')?.k8sNamespace).toBe(k8sName);
  });

  it("answers Nomad's errors", async () => {
    const { app } = await testApi();
    const expectError = async (request: InjectOptions, status: number, body: string) => {
      const response = await app.inject(request);
      expect([response.statusCode, response.body]).toEqual([status, body]);
    };
    await expectError({ method: 'PUT', url: '/v1/namespace' }, 400, 'Request body is empty');
    await expectError(
      put('/v1/namespace/a', { Name: 'b' }),
      400,
      'Namespace name does not match request path',
    );
    await expectError(
      put('/v1/namespace', { Name: 5 }),
      400,
      'json: cannot unmarshal number into Go struct field Namespace.Name of type string',
    );
    await expectError(
      put('/v1/namespace', { Name: 'a/b' }),
      500,
      'Invalid namespace "a/b": 1 error occurred:\n\t* invalid name "a/b". Must match regex ^[a-zA-Z0-9-]{1,128}$\n\n',
    );
    await expectError(
      put('/v1/namespace', {
        Name: 'x',
        Description: 'd'.repeat(257),
        NodePoolConfiguration: { Default: 'p' },
      }),
      500,
      'Invalid namespace "x": 2 errors occurred:\n\t* description longer than 256\n\t* invalid node pool configuration: Node Pools Governance is unlicensed.\n\n',
    );
    await expectError(
      put('/v1/namespace', { Name: 'x', Quota: 'q' }),
      500,
      'namespace "x" using non-existent quota "q"',
    );
    await expectError(
      put('/v1/namespace', { Name: 'x', Capabilities: { EnabledTaskDrivers: 'docker' } }),
      400,
      'json: cannot unmarshal string into Go struct field Namespace.Capabilities.EnabledTaskDrivers of type []string',
    );
    await expectError({ method: 'GET', url: '/v1/namespace/' }, 400, 'Missing Namespace Name');
    await expectError({ method: 'GET', url: '/v1/namespace' }, 405, 'Invalid method');
    await expectError({ method: 'POST', url: '/v1/namespaces' }, 405, 'Invalid method');
    await expectError({ method: 'PATCH', url: '/v1/namespace/x' }, 405, 'Invalid method');
    await expectError({ method: 'GET', url: '/v1/namespace/none' }, 404, 'Namespace not found');
    await expectError(
      { method: 'DELETE', url: '/v1/namespace/default' },
      500,
      'can not delete default namespace',
    );
    await expectError({ method: 'DELETE', url: '/v1/namespace/none' }, 500, 'namespace not found');
  });

  it('refuses to delete a namespace with non-terminal jobs, and deletes it once they are stopped', async () => {
    const { app, cluster } = await testApi();
    await app.inject(put('/v1/namespace', { Name: 'busy' }));
    await app.inject(put('/v1/jobs?namespace=busy', { Job: serviceJob('web') }));
    const job = cluster.sources.NomadJob.get('busy', 'web');
    cluster.put('Pod', {
      metadata: {
        name: 'web-1',
        namespace: 'busy',
        labels: { 'nomadoperator.dev/job': 'web' },
        ownerReferences: [],
        annotations: { 'nomadoperator.dev/group': 'web' },
      },
      spec: { nodeName: 'n1', containers: [] },
      status: { phase: 'Running' },
    });
    expect(job).toBeDefined();
    const refused = await app.inject({ method: 'DELETE', url: '/v1/namespace/busy' });
    expect([refused.statusCode, refused.body]).toEqual([
      500,
      '2 errors occurred:\n\t* namespace "busy" has non-terminal jobs in regions: [global]\n\t* namespace "busy" has non-terminal allocations in regions: [global]\n\n',
    ]);
    expect(cluster.sources.Namespace.get(undefined, 'busy')).toBeDefined();
    cluster.sources.Pod.remove('busy', 'web-1', Number(cluster.nextRv()));
    const stopped = await app.inject({ method: 'DELETE', url: '/v1/job/web?namespace=busy' });
    expect(stopped.statusCode).toBe(200);
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/namespace/busy' });
    expect([deleted.statusCode, deleted.body]).toEqual([200, '']);
    expect(cluster.sources.Namespace.get(undefined, 'busy')).toBeUndefined();
  });
});

describe('namespace ACL', () => {
  /** Allows only `granted` (as JSON of namespace and permission); records every question. */
  function recordingAuthorizer(granted: Array<[string, Permission]>) {
    const asked: Array<[string, Permission[]]> = [];
    const key = (ns: string, p: Permission) => JSON.stringify([ns, p.verb, p.resource, p.name ?? '']);
    const allowed = new Set(granted.map(([ns, p]) => key(ns, p)));
    const authorizer: Authorizer = {
      authenticate: async () => ({ anonymous: false, username: 'alice', groups: [] }),
      allowed: async (_caller, namespace, permissions) => {
        asked.push([namespace, [...permissions]]);
        return permissions.some((p) => allowed.has(key(namespace, p)));
      },
    };
    return { authorizer, asked };
  }

  it('asks for create, update or patch, and delete of the Kubernetes namespace, and writes nothing when refused', async () => {
    const none = recordingAuthorizer([]);
    const denied = await testApi({ authorizer: none.authorizer });
    const refused = await denied.app.inject(put('/v1/namespace', { Name: 'team' }));
    expect([refused.statusCode, refused.body]).toEqual([403, 'Permission denied']);
    expect(none.asked).toEqual([['', [{ verb: 'create', resource: 'namespaces' }]]]);
    expect(denied.cluster.sources.Namespace.get(undefined, 'team')).toBeUndefined();

    const admin = recordingAuthorizer([
      ['', { verb: 'create', resource: 'namespaces' }],
      ['team', { verb: 'patch', resource: 'namespaces', name: 'team' }],
    ]);
    const { app, cluster } = await testApi({ authorizer: admin.authorizer });
    expect((await app.inject(put('/v1/namespace', { Name: 'team' }))).statusCode).toBe(200);
    expect((await app.inject(put('/v1/namespace/team', { Name: 'team', Description: 'x' }))).statusCode).toBe(
      200,
    );
    expect(admin.asked[1]).toEqual([
      'team',
      [
        { verb: 'update', resource: 'namespaces', name: 'team' },
        { verb: 'patch', resource: 'namespaces', name: 'team' },
      ],
    ]);
    const notDeleted = await app.inject({ method: 'DELETE', url: '/v1/namespace/team' });
    expect([notDeleted.statusCode, notDeleted.body]).toEqual([403, 'Permission denied']);
    expect(admin.asked[2]).toEqual(['team', [{ verb: 'delete', resource: 'namespaces', name: 'team' }]]);
    expect(cluster.sources.Namespace.get(undefined, 'team')).toBeDefined();
    // Even the default namespace's refusal comes after the permission check, as in Nomad.
    expect((await app.inject({ method: 'DELETE', url: '/v1/namespace/default' })).statusCode).toBe(403);
  });
});

describe('namespace reads', () => {
  it('show a caller the namespaces where it has a right, as Nomad shows a token its namespaces', async () => {
    const cluster = await testApi();
    for (const name of ['team', 'other'])
      expect((await cluster.app.inject(put('/v1/namespace', { Name: name }))).statusCode).toBe(200);
    const names = async (app: typeof cluster.app) =>
      JSON.parse((await app.inject({ method: 'GET', url: '/v1/namespaces' })).body).map(
        (n: { Name: string }) => n.Name,
      );
    const authorizerFor = (granted: (namespace: string, p: Permission) => boolean): Authorizer => ({
      authenticate: async () => ({ anonymous: false, username: 'bob', groups: [] }),
      allowed: async (_caller, namespace, permissions) => permissions.some((p) => granted(namespace, p)),
    });
    // Same cluster, other callers: a reader of jobs in `team`, a reader of the `other` namespace
    // object, someone who may list namespaces cluster-wide.
    const server = async (authorizer: Authorizer) => {
      const app = buildApiApp({ store: cluster.store, authorizer });
      await app.ready();
      return app;
    };
    const teamReader = await server(
      authorizerFor((ns, p) => ns === 'team' && p.verb === 'list' && !p.resource),
    );
    expect(await names(teamReader)).toEqual(['team']);
    expect((await teamReader.inject({ method: 'GET', url: '/v1/namespace/team' })).statusCode).toBe(200);
    const refused = await teamReader.inject({ method: 'GET', url: '/v1/namespace/other' });
    expect([refused.statusCode, refused.body]).toEqual([403, 'Permission denied']);
    const objectReader = await server(
      authorizerFor((ns, p) => ns === 'other' && p.resource === 'namespaces' && p.verb === 'get'),
    );
    expect(await names(objectReader)).toEqual(['other']);
    const everywhere = await server(
      authorizerFor((ns, p) => ns === '' && p.resource === 'namespaces' && p.verb === 'list'),
    );
    expect(await names(everywhere)).toEqual(['default', 'other', 'team']);
  });
});

describe('index rules of reads of an unknown job', () => {
  it("answer an empty list with the table's index, 0 on a fresh cluster, as Nomad", async () => {
    const { app, cluster } = await testApi({
      actions: {
        evaluationsOf: () => [],
      } as never,
    });
    for (const path of ['allocations', 'evaluations']) {
      const fresh = await app.inject({ method: 'GET', url: `/v1/job/missing/${path}` });
      expect([fresh.statusCode, fresh.body, fresh.headers['x-nomad-index']]).toEqual([200, '[]', '0']);
    }
    // Another job's pods move the allocations table: an unknown job's answer follows it.
    const pod = cluster.put<V1Pod>('Pod', {
      metadata: { name: 'other-1', namespace: 'default', labels: { 'nomadoperator.dev/job': 'other' } },
    });
    const after = await app.inject({ method: 'GET', url: '/v1/job/missing/allocations' });
    expect(after.headers['x-nomad-index']).toBe(pod.metadata?.resourceVersion);
  });
});
