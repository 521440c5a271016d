// GET /v1/namespaces and /v1/namespace/:name. Nomad namespaces are Kubernetes namespaces through the
// mapping (ids.ts createNamespaceMapper): `default` is the --default-namespace, every Kubernetes
// namespace whose name maps to itself is the Nomad namespace of that name, and namespaces of jobs
// (identity annotations) are listed too.
import type { V1Namespace } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../errors.ts';
import { type ApiDeps, blockingQuery, callerOf } from '../http.ts';
import { unixNanos } from '../responses/common.ts';
import { resourceVersionOf } from '../state.ts';

export async function namespaceRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const store = deps.store;
  const namespaces = () => {
    const out = new Map<string, { k8s?: V1Namespace; index: number }>();
    const k8sList = store.state.list<V1Namespace>('Namespace');
    const byName = new Map(k8sList.map((n) => [n.metadata?.name ?? '', n]));
    const add = (nomad: string) => {
      if (out.has(nomad)) return;
      const k8s = byName.get(store.mapNamespace(nomad));
      out.set(nomad, { ...(k8s ? { k8s } : {}), index: k8s ? resourceVersionOf(k8s) : 1 });
    };
    add('default');
    for (const ns of k8sList) {
      const name = ns.metadata?.name ?? '';
      if (name !== '' && store.mapNamespace(name) === name) add(name);
    }
    for (const entry of store.jobs('*')) add(entry.namespace);
    return [...out.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, { k8s, index }]) => ({
        Name: name,
        Description: name === 'default' ? 'Default shared namespace' : '',
        Quota: '',
        Capabilities: null,
        NodePoolConfiguration: null,
        VaultConfiguration: null,
        ConsulConfiguration: null,
        Meta: null,
        CreateIndex: k8s ? (store.state.firstSeen(k8s) ?? index) : index,
        ModifyIndex: index,
        CreateTime: unixNanos(k8s?.metadata?.creationTimestamp),
      }));
  };
  app.all('/v1/namespaces', async (request, reply) => {
    if (request.method !== 'GET') throw new ApiError(405, 'Invalid method');
    await callerOf(request, deps);
    return blockingQuery(request, reply, deps, () => ({
      index: Math.max(1, store.state.index('Namespace', 'NomadJob')),
      body: namespaces(),
    }));
  });
  app.all<{ Params: { name: string } }>('/v1/namespace/:name', async (request, reply) => {
    if (request.method !== 'GET') throw new ApiError(405, 'Invalid method');
    await callerOf(request, deps);
    return blockingQuery(request, reply, deps, () => {
      const found = namespaces().find((n) => n.Name === request.params.name);
      const index = Math.max(1, store.state.index('Namespace', 'NomadJob'));
      return found ? { index, body: found } : { index, error: notFound('namespace not found') };
    });
  });
}
