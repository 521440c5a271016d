// Recording evaluations for API calls (register, stop, purge, scale, evaluate) through the domain
// service's recordEvaluation (src/jobs/evaluations.ts, behind JobActions), and finding them again.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { FastifyRequest } from 'fastify';
import type { NomadJobObject } from '../crd/resource.ts';
import { type Evaluation, type EvaluationTrigger, evaluationsConfigMapName } from '../jobs/evaluations.ts';
import type { ApiDeps } from './http.ts';
import type { ApiStore, JobEntry } from './store.ts';

export interface RecordedEval {
  id: string;
  createIndex: number;
  /** The evaluation recorded (unset for the fallback: nothing was recorded). */
  evaluation?: Evaluation;
}

/** The job's evaluations ConfigMap as the caches hold it; null when they hold none. */
export function cachedRecord(store: ApiStore, object: NomadJobObject): V1ConfigMap | null {
  const name = object.metadata?.name ?? '';
  const wanted = evaluationsConfigMapName(name);
  return (
    store.lister
      .owned<V1ConfigMap>('ConfigMap', object.metadata?.namespace ?? '', name)
      .find((c) => c.metadata?.name === wanted) ?? null
  );
}

/**
 * Records an evaluation for `object` (the live NomadJob). Without job actions, or when recording
 * fails, falls back to `fallbackId` (a UUID), so the write itself still succeeds as in Nomad.
 */
export async function recordEval(
  request: FastifyRequest,
  deps: ApiDeps,
  object: NomadJobObject,
  input: { triggeredBy: EvaluationTrigger; version?: number; priority?: number; jobModifyIndex?: number },
  fallback: RecordedEval,
): Promise<RecordedEval> {
  if (!deps.actions) return fallback;
  try {
    // The evaluation names the JobModifyIndex this API reports for the job.
    const job =
      input.jobModifyIndex !== undefined
        ? { ...object, status: { ...object.status, jobModifyIndex: input.jobModifyIndex } }
        : object;
    // Computed from the cached record and written conditioned on it, without reading it first (a
    // stale cache costs a retry from the apiserver's copy, evaluations.ts recordEvaluation).
    const evaluation = await deps.actions.recordEvaluation(job, {
      triggeredBy: input.triggeredBy,
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.priority ? { priority: input.priority } : {}),
      cached: cachedRecord(deps.store, object),
    });
    // A version-bound evaluation is recorded once per version: when the reconciler was first, its
    // evaluation may not say what this call says (trigger, priority, JobModifyIndex). Then this call
    // gets an evaluation of its own, as in Nomad, where every register and deregister makes one.
    const differs =
      input.version !== undefined &&
      (evaluation.TriggeredBy !== input.triggeredBy ||
        (input.priority !== undefined && input.priority !== 0 && evaluation.Priority !== input.priority) ||
        (input.jobModifyIndex !== undefined && evaluation.JobModifyIndex !== input.jobModifyIndex));
    if (differs) {
      const own = await deps.actions.recordEvaluation(job, {
        triggeredBy: input.triggeredBy,
        ...(input.priority ? { priority: input.priority } : {}),
      });
      return { id: own.ID, createIndex: own.CreateIndex, evaluation: own };
    }
    return { id: evaluation.ID, createIndex: evaluation.CreateIndex, evaluation };
  } catch (error) {
    request.log.warn({ err: error }, 'could not record an evaluation');
    return fallback;
  }
}

/** Evaluations of a job, newest first ([] without job actions). */
export function evaluationsOfJob(deps: ApiDeps, entry: JobEntry): Evaluation[] {
  return deps.actions ? deps.actions.evaluationsOf(entry.object, deps.store.lister) : [];
}

/** The evaluation with this ID, among every job's records and those of purged jobs. */
export function findEvaluation(
  deps: ApiDeps,
  id: string,
): { k8sNamespace: string; evaluation: Record<string, unknown> } | undefined {
  for (const entry of deps.store.jobs('*')) {
    const found = evaluationsOfJob(deps, entry).find((e) => e.ID === id);
    if (found)
      return { k8sNamespace: entry.k8sNamespace, evaluation: found as unknown as Record<string, unknown> };
  }
  const detached = deps.store.detachedEvaluation(id);
  return detached ? { k8sNamespace: detached.namespace, evaluation: detached.evaluation } : undefined;
}
