// PUT/POST /v1/job/<id>/evaluate: a new evaluation of the job as it is (Nomad's Job.Evaluate). An
// annotation naming the evaluation is written to the NomadJob (the write re-enqueues it for the
// reconciler); with ForceReschedule the job's failed and lost pods are deleted first, so their
// workloads replace them.
import { ANNOTATION_EVALUATE } from '../../../nomad/keys.ts';
import { boolField, objectBody, objectField, stringField } from '../../body.ts';
import { badRequest, internal } from '../../errors.ts';
import { recordEval } from '../../evals.ts';
import { requireInNamespace, sendWriteWithMeta } from '../../http.ts';
import { annotateJob, awaitCache, deletePods, evaluationShows, UPDATE } from '../../jobwrite.ts';
import { clientStatusOf } from '../../responses/allocation.ts';
import { newEvalId } from '../../responses/evaluation.ts';
import { resourceVersionOf } from '../../state.ts';
import type { JobRequest } from './context.ts';

export async function evaluate({ request, reply, deps, namespace, id }: JobRequest) {
  const store = deps.store;
  const body = objectBody(request.body, 'api.JobEvaluateRequest');
  const options = objectField(body, 'EvalOptions', 'api.EvalOptions') ?? {};
  const forceReschedule = boolField(options, 'ForceReschedule');
  const bodyJobId = stringField(body, 'JobID');
  if (bodyJobId !== '' && bodyJobId !== id) throw badRequest('Job ID does not match');
  await requireInNamespace(request, deps, namespace, UPDATE);
  const entry = store.findJob(namespace, id);
  if (!entry) throw internal('job not found');
  if (entry.job.Periodic?.Enabled) throw internal("can't evaluate periodic job");
  if (entry.job.ParameterizedJob) throw internal("can't evaluate parameterized job");
  const recorded = await recordEval(
    request,
    deps,
    entry.object,
    { triggeredBy: 'job-register' },
    { id: newEvalId(), createIndex: 0 },
  );
  if (forceReschedule) {
    const failed = store.pods(entry).filter((p) => ['failed', 'lost'].includes(clientStatusOf(p)));
    await deletePods(
      store,
      entry.k8sNamespace,
      failed.map((p) => p.metadata?.name ?? ''),
    );
  }
  const written = await annotateJob(store, entry.k8sNamespace, entry.name, {
    [ANNOTATION_EVALUATE]: recorded.id,
  });
  // One wait for the annotated job and the evaluation, so a read after the answer finds both.
  await awaitCache(store, written, { shows: evaluationShows(deps, written, recorded) });
  const index = resourceVersionOf(written);
  return sendWriteWithMeta(reply, index, {
    EvalID: recorded.id,
    EvalCreateIndex: recorded.createIndex || index,
    JobModifyIndex: store.versionState(entry).jobModifyIndex,
    Warnings: '',
  });
}
