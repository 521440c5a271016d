// GET /v1/evaluation/:id: an evaluation, from the job's evaluation record (or, for a purged job, what
// this server remembers of it).
import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../errors.ts';
import { findEvaluation } from '../evals.ts';
import { type ApiDeps, blockingQuery, handlerResult, READ, withPermission } from '../http.ts';

export async function evaluationRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  if (!deps.actions) return;
  const store = deps.store;
  // Answered at once when the caller's rights are known (http.ts withPermission).
  app.all<{ Params: { id: string } }>('/v1/evaluation/:id', (request, reply) => {
    if (request.method !== 'GET') throw new ApiError(405, 'Invalid method');
    const id = request.params.id;
    const found = findEvaluation(deps, id);
    const k8sNamespace = found ? found.k8sNamespace : store.defaultNamespace;
    const answer = () =>
      blockingQuery(request, reply, deps, () => {
        const index = store.state.index('ConfigMap', 'NomadJob');
        const now = findEvaluation(deps, id);
        if (!now) return { index, error: notFound('eval not found') };
        return {
          index: Math.max(index, Number(now.evaluation.ModifyIndex) || 0),
          body: { ...now.evaluation, RelatedEvals: null },
        };
      });
    return handlerResult(reply, withPermission(request, deps, k8sNamespace, READ, answer, undefined));
  });
}
