// GET /v1/allocation/:id: an allocation (a pod, by UID) with its job.
import type { V1Pod } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import type { NomadJobObject } from '../../crd/resource.ts';
import { LABEL_JOB } from '../../nomad/keys.ts';
import { ApiError, notFound } from '../errors.ts';
import { type ApiDeps, blockingQuery, handlerResult, READ, withPermission } from '../http.ts';
import { allocationResponse } from '../responses/allocation.ts';
import { jobResponse } from '../responses/job.ts';
import { resourceVersionOf } from '../state.ts';

export async function allocationRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const store = deps.store;
  const find = (id: string) => {
    const pod = store.state.list<V1Pod>('Pod').find((p) => p.metadata?.uid === id);
    const jobName = pod?.metadata?.labels?.[LABEL_JOB];
    if (!pod || !jobName) return undefined;
    const object = store.state.get<NomadJobObject>('NomadJob', pod.metadata?.namespace, jobName);
    return object ? { pod, entry: store.entry(object) } : undefined;
  };
  // Answered at once when the caller's rights are known (http.ts withPermission).
  app.all<{ Params: { id: string } }>('/v1/allocation/:id', (request, reply) => {
    if (request.method !== 'GET') throw new ApiError(405, 'Invalid method');
    const id = request.params.id;
    const found = find(id);
    // Unknown allocations need no namespace rights, as in Nomad (which filters after lookup).
    const k8sNamespace = found ? found.entry.k8sNamespace : store.defaultNamespace;
    const answer = () =>
      blockingQuery(request, reply, deps, () => {
        const now = find(id);
        if (!now) return { index: store.state.index('Pod'), error: notFound('alloc not found') };
        return {
          index: resourceVersionOf(now.pod),
          body: allocationResponse(store, now.entry, now.pod, jobResponse(store, now.entry)),
        };
      });
    return handlerResult(reply, withPermission(request, deps, k8sNamespace, READ, answer, undefined));
  });
}
