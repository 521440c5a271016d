// GET /v1/evaluation/:id: an evaluation, from the job's evaluation record (or, for a purged job, what
// this server remembers of it).
import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../errors.ts';
import { findEvaluation } from '../evals.ts';
import { type ApiDeps, blockingQuery, READ, requirePermission } from '../http.ts';

export async function evaluationRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  if (!deps.actions) return;
  const store = deps.store;
  app.all<{ Params: { id: string } }>('/v1/evaluation/:id', async (request, reply) => {
    if (request.method !== 'GET') throw new ApiError(405, 'Invalid method');
    const id = request.params.id;
    const found = findEvaluation(deps, id);
    await requirePermission(request, deps, found ? found.k8sNamespace : store.defaultNamespace, READ);
    return blockingQuery(request, reply, deps, () => {
      const index = store.state.index('ConfigMap', 'NomadJob');
      const now = findEvaluation(deps, id);
      if (!now) return { index, error: notFound('eval not found') };
      return {
        index: Math.max(index, Number(now.evaluation.ModifyIndex) || 0),
        body: { ...now.evaluation, RelatedEvals: null },
      };
    });
  });
}
