// DELETE /v1/job/<id>: stop the job (its spec gets Stop: true, a new version) or, with
// `?purge=true`, delete the NomadJob and everything it owns. An evaluation is recorded for either
// (none for a parameterized or periodic parent); an unknown job answers with zero indexes, as Nomad.
import { badRequest } from '../../errors.ts';
import { type RecordedEval, recordEval } from '../../evals.ts';
import { query, requireInNamespace, sendWriteWithMeta } from '../../http.ts';
import { DELETE, deleteJob, UPDATE, updateJob } from '../../jobwrite.ts';
import { parseGoInt, queryValue } from '../../params.ts';
import { newEvalId } from '../../responses/evaluation.ts';
import { isParent } from '../../responses/job.ts';
import { resourceVersionOf } from '../../state.ts';
import { boolQuery, type JobRequest } from './context.ts';

/** `?eval_priority=`: 0 (the job's priority) or 1–100. */
function evalPriorityOf(job: JobRequest): number {
  const text = queryValue(query(job.request), 'eval_priority');
  if (text === undefined || text === '') return 0;
  const priority = parseGoInt(text);
  if (priority === undefined) {
    throw badRequest(
      `Failed to parse value of "eval_priority" (${text}) as a int: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`,
    );
  }
  if (priority !== 0 && (priority < 1 || priority > 100)) {
    throw badRequest('Eval priority must be between 1 and 100 inclusively');
  }
  return priority;
}

export async function deregister(job: JobRequest) {
  const { request, reply, deps, namespace, id } = job;
  const store = deps.store;
  const purge = boolQuery(request, 'purge');
  boolQuery(request, 'global');
  boolQuery(request, 'no_shutdown_delay');
  const evalPriority = evalPriorityOf(job);
  if (id === '') throw badRequest("Job ID hasn't been provided");
  await requireInNamespace(request, deps, namespace, purge ? DELETE : UPDATE);
  const entry = store.findJob(namespace, id);
  if (!entry) {
    return sendWriteWithMeta(reply, store.state.index('NomadJob'), {
      EvalID: '',
      EvalCreateIndex: 0,
      JobModifyIndex: 0,
      VolumeEvalID: '',
      VolumeEvalIndex: 0,
    });
  }
  const noEval = isParent(entry.job);
  if (purge) {
    const recorded = noEval
      ? { id: '', createIndex: 0 }
      : await recordEval(
          request,
          deps,
          entry.object,
          { triggeredBy: 'job-deregister', ...(evalPriority ? { priority: evalPriority } : {}) },
          { id: newEvalId(), createIndex: 0 },
        );
    if ('evaluation' in recorded && recorded.evaluation) {
      // The evaluation record goes with the job: kept in memory so GET /v1/evaluation/<id> finds it.
      store.rememberEvaluation(entry.k8sNamespace, recorded.evaluation as unknown as Record<string, unknown>);
    }
    await deleteJob(store, entry);
    await store.state.waitUntil(() => store.findJob(namespace, id) === undefined);
    const index = store.state.index('NomadJob');
    return sendWriteWithMeta(reply, index, {
      EvalID: recorded.id,
      EvalCreateIndex: recorded.id ? recorded.createIndex || index : 0,
      JobModifyIndex: index,
      VolumeEvalID: '',
      VolumeEvalIndex: 0,
    });
  }
  let recorded: RecordedEval = { id: '', createIndex: 0 };
  const { entry: stopped, written } = await updateJob(
    deps,
    entry,
    (spec) => ({ job: { ...spec, Stop: true } }),
    async (object, specChanged) => {
      if (noEval) return undefined;
      const early = store.versionState(store.entry(object));
      recorded = await recordEval(
        request,
        deps,
        object,
        {
          triggeredBy: 'job-deregister',
          version: early.version,
          jobModifyIndex: specChanged ? resourceVersionOf(object) : early.jobModifyIndex,
          ...(evalPriority ? { priority: evalPriority } : {}),
        },
        { id: newEvalId(), createIndex: resourceVersionOf(object) },
      );
      return recorded;
    },
  );
  const index = Math.max(resourceVersionOf(written), recorded.createIndex);
  return sendWriteWithMeta(reply, index, {
    EvalID: recorded.id,
    EvalCreateIndex: recorded.createIndex,
    JobModifyIndex: store.versionState(stopped).jobModifyIndex,
    VolumeEvalID: '',
    VolumeEvalIndex: 0,
  });
}
