// The job actions the domain services implement (src/jobs: evaluations, dispatch, periodic force,
// revert, stability), behind one interface so the API can be tested without a cluster. makeKubeActions
// wires them to the process's one ClusterWriter (src/kube/writer.ts), with the operator's credentials
// (called only after the caller was authorized, see acl.ts).
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { NomadJobObject } from '../crd/resource.ts';
import { type DispatchRequest, type DispatchResult, dispatchJob } from '../jobs/dispatch.ts';
import {
  type CachedEvaluations,
  type Evaluation,
  entryOfVersion,
  evaluationsConfigMapName,
  evaluationsOf,
  type OwnedLister,
  type RecordEvaluationInput,
  readRecord,
  recordEvaluation,
} from '../jobs/evaluations.ts';
import { type RevertResult, revertJob, type StableResult, setStable } from '../jobs/history.ts';
import { type ForceResult, forcePeriodic } from '../jobs/periodic.ts';
import type { ClusterWriter } from '../kube/writer.ts';

export type { DispatchRequest, DispatchResult, Evaluation, ForceResult, RevertResult, StableResult };

export interface JobActions {
  recordEvaluation(job: NomadJobObject, input: RecordEvaluationInput): Promise<Evaluation>;
  evaluationsOf(job: NomadJobObject, source: OwnedLister): Evaluation[];
  /** The evaluation recorded for one version of the job, if any. */
  evaluationOfVersion(job: NomadJobObject, source: OwnedLister, version: number): Evaluation | undefined;
  /** `cached`: the caller's cached evaluation records, sparing a read before the child's is written. */
  dispatch(
    parent: NomadJobObject,
    request: DispatchRequest,
    cached?: CachedEvaluations,
  ): Promise<DispatchResult>;
  forcePeriodic(parent: NomadJobObject | undefined, cached?: CachedEvaluations): Promise<ForceResult>;
  revert(
    object: NomadJobObject,
    options: { version: number; enforcePriorVersion?: number },
  ): Promise<RevertResult>;
  setStable(object: NomadJobObject, version: number, stable: boolean): Promise<StableResult>;
}

export function makeKubeActions(writer: ClusterWriter): JobActions {
  return {
    recordEvaluation: (job, input) => recordEvaluation(writer, job, input),
    evaluationsOf: (job, source) => evaluationsOf(job, source),
    evaluationOfVersion: (job, source, version) => evaluationOfVersion(job, source, version),
    dispatch: (parent, request, cached) => dispatchJob(writer, parent, request, new Date(), cached),
    forcePeriodic: (parent, cached) => forcePeriodic(writer, parent, new Date(), cached),
    revert: (object, options) => revertJob(writer, object, options),
    setStable: (object, version, stable) => setStable(writer, object, version, stable),
  };
}

/** The evaluation the record holds for `version` (read from the cached ConfigMap). */
export function evaluationOfVersion(
  job: NomadJobObject,
  source: OwnedLister,
  version: number,
): Evaluation | undefined {
  const name = job.metadata?.name ?? '';
  const configMap = source
    .owned<V1ConfigMap>('ConfigMap', job.metadata?.namespace ?? '', name)
    .find((c) => c.metadata?.name === evaluationsConfigMapName(name));
  const uid = job.metadata?.uid;
  if (!configMap || (uid && !(configMap.metadata?.ownerReferences ?? []).some((r) => r.uid === uid)))
    return undefined;
  return entryOfVersion(readRecord(configMap), version)?.evaluation;
}
