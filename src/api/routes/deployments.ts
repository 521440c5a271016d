// GET /v1/deployment/:id: a deployment (one job version rolling out), found among every service job's.
import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../errors.ts';
import { type ApiDeps, blockingQuery, handlerResult, READ, withPermission } from '../http.ts';
import { deploymentsOf } from '../responses/deployment.ts';

export async function deploymentRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const store = deps.store;
  const find = (id: string) => {
    for (const entry of store.jobs('*')) {
      if ((entry.job.Type ?? 'service') !== 'service') continue;
      const deployment = deploymentsOf(store, entry).find((d) => d.ID === id);
      if (deployment) return { entry, deployment };
    }
    return undefined;
  };
  // Answered at once when the caller's rights are known (http.ts withPermission).
  app.all<{ Params: { id: string } }>('/v1/deployment/:id', (request, reply) => {
    if (request.method !== 'GET') throw new ApiError(405, 'Invalid method');
    const id = request.params.id;
    const found = find(id);
    const k8sNamespace = found ? found.entry.k8sNamespace : store.defaultNamespace;
    const answer = () =>
      blockingQuery(request, reply, deps, () => {
        const index = store.state.index('Deployment', 'ReplicaSet', 'NomadJob');
        const now = find(id);
        if (!now) return { index, error: notFound('deployment not found') };
        return { index, body: now.deployment };
      });
    return handlerResult(reply, withPermission(request, deps, k8sNamespace, READ, answer, undefined));
  });
}
