// GET and PUT/POST /v1/job/<id>/scale: the scale status of each task group (counts from the pods,
// the recent scaling events) and a scaling action (a new count, or an event only), as Nomad's
// Job.Scale: the count is checked against the group's scaling policy, an evaluation is recorded
// when the count changes, and the event is kept on the NomadJob (the newest 20 per group).
import { nextVersion } from '../../../jobs/versions.ts';
import { keyedBy } from '../../../nomad/keyed.ts';
import { ANNOTATION_GROUP, ANNOTATION_SCALING_EVENTS } from '../../../nomad/keys.ts';
import type { Job } from '../../../nomad/schema.ts';
import { boolField, objectBody, objectField, optionalIntField, stringField } from '../../body.ts';
import { badRequest, notFound } from '../../errors.ts';
import { type RecordedEval, recordEval } from '../../evals.ts';
import { query, requireInNamespace, sendWriteWithMeta } from '../../http.ts';
import { UPDATE, updateJob } from '../../jobwrite.ts';
import { checkScaleCount } from '../../limits.ts';
import { queryValue } from '../../params.ts';
import { clientStatusOf } from '../../responses/allocation.ts';
import { newEvalId } from '../../responses/evaluation.ts';
import { isParent } from '../../responses/job.ts';
import { resourceVersionOf } from '../../state.ts';
import type { ApiStore, JobEntry } from '../../store.ts';
import { afterRead, type JobRequest, readAboutJob } from './context.ts';

/** Scaling events kept per group (Nomad keeps 20). */
const MAX_SCALING_EVENTS = 20;

type ScalingEvents = Record<string, Array<Record<string, unknown>>>;

function scalingEventsOf(entry: JobEntry): ScalingEvents {
  const raw = entry.object.metadata?.annotations?.[ANNOTATION_SCALING_EVENTS];
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ScalingEvents) : {};
  } catch {
    return {};
  }
}

function scaleStatus(store: ApiStore, entry: JobEntry): Record<string, unknown> {
  const pods = store.pods(entry);
  const events = scalingEventsOf(entry);
  const groups = keyedBy<unknown>();
  for (const group of entry.job.TaskGroups ?? []) {
    const name = group.Name ?? '';
    const mine = pods.filter((p) => p.metadata?.annotations?.[ANNOTATION_GROUP] === name);
    const live = mine.filter((p) => !['complete', 'failed', 'lost'].includes(clientStatusOf(p)));
    const ready = live.filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    groups[name] = {
      Desired: group.Count ?? 1,
      Placed: live.length,
      Running: live.filter((p) => clientStatusOf(p) === 'running').length,
      Healthy: ready.length,
      Unhealthy: mine.filter((p) => clientStatusOf(p) === 'failed').length,
      Events: events[name] ?? null,
    };
  }
  return {
    JobID: entry.id,
    Namespace: entry.namespace,
    JobCreateIndex: store.createIndex(entry),
    JobModifyIndex: store.versionState(entry).jobModifyIndex,
    JobStopped: entry.job.Stop === true,
    TaskGroups: groups,
  };
}

const scaleOfJob = (job: JobRequest) =>
  readAboutJob(job, (entry, store) => {
    if (!entry) return { index: store.state.index('NomadJob'), error: notFound('job not found') };
    return { index: store.jobTreeIndex(entry), body: scaleStatus(store, entry) };
  });

/** Answers at once when the caller's read right is known (context.ts afterRead). */
export function readScale(job: JobRequest) {
  return afterRead(job, scaleOfJob);
}

export async function scale({ request, reply, deps, namespace: queryNamespace, id }: JobRequest) {
  const store = deps.store;
  const body = objectBody(request.body, 'api.ScalingRequest', 'Request body is empty');
  const bodyNamespace = stringField(body, 'Namespace');
  const namespace = queryValue(query(request), 'namespace')
    ? queryNamespace
    : bodyNamespace || queryNamespace;
  const target = objectField(body, 'Target', 'map[string]string') ?? {};
  const groupName = typeof target.Group === 'string' ? target.Group : '';
  if (groupName === '') throw badRequest('missing task group name for scaling action');
  if (typeof target.Job === 'string' && target.Job !== '' && target.Job !== id) {
    throw badRequest('job ID in payload did not match URL');
  }
  if (id === '') throw badRequest("Job ID hasn't been provided");
  const count = optionalIntField(body, 'Count', 'int64');
  const isError = boolField(body, 'Error');
  const message = stringField(body, 'Message');
  const meta = objectField(body, 'Meta', 'map[string]interface {}') ?? null;
  if (count !== undefined && count < 0) throw badRequest("scaling action count can't be negative");
  if (isError && count !== undefined)
    throw badRequest('scaling action should not contain count if error is true');
  const entry = store.findJob(namespace, id);
  await requireInNamespace(request, deps, namespace, [{ verb: 'update', subresource: 'scale' }, ...UPDATE]);
  if (!entry) throw notFound(`job "${id}" not found`);
  const group = (entry.job.TaskGroups ?? []).find((g) => g.Name === groupName);
  if (!group) throw badRequest(`task group "${groupName}" specified for scaling does not exist in job`);
  if (count !== undefined && group.Scaling) {
    const min = group.Scaling.Min ?? 0;
    const max = group.Scaling.Max ?? Number.MAX_SAFE_INTEGER;
    if (count < min) throw badRequest(`group count was less than scaling policy minimum: ${count} < ${min}`);
    if (count > max)
      throw badRequest(`group count was greater than scaling policy maximum: ${count} > ${max}`);
  }
  if (count !== undefined) checkScaleCount(entry.job, groupName, count, deps.limits);
  const changesCount = count !== undefined && !isError;
  let recorded: RecordedEval | undefined;
  if (changesCount && !isParent(entry.job)) {
    // The evaluation of the version the new count makes, recorded first so the event can name it.
    const next = structuredClone(entry.job);
    for (const g of next.TaskGroups ?? []) if (g.Name === groupName) g.Count = count;
    const version = nextVersion(store.versions(entry), next as Record<string, unknown>).version;
    recorded = await recordEval(
      request,
      deps,
      entry.object,
      { triggeredBy: 'job-scaling', version },
      { id: newEvalId(), createIndex: 0 },
    );
  }
  const evalId = recorded?.id ?? null;
  const evalIndex = recorded?.createIndex ?? 0;
  const previous = group.Count ?? 1;
  const { entry: updated, written } = await updateJob(
    deps,
    entry,
    (job: Job, object) => {
      const events = scalingEventsOf(store.entry(object));
      const event = {
        Time: Date.now() * 1_000_000,
        Count: count ?? null,
        PreviousCount: previous,
        Message: message,
        Error: isError,
        Meta: meta,
        EvalID: evalId,
        CreateIndex: resourceVersionOf(object),
      };
      events[groupName] = [event, ...(events[groupName] ?? [])].slice(0, MAX_SCALING_EVENTS);
      if (changesCount) {
        for (const g of job.TaskGroups ?? []) if (g.Name === groupName) g.Count = count;
      }
      return { job, annotations: { [ANNOTATION_SCALING_EVENTS]: JSON.stringify(events) } };
    },
    // The evaluation recorded above is waited for with the write, so a read after the answer finds it.
    async () => recorded,
  );
  const index = resourceVersionOf(written);
  return sendWriteWithMeta(reply, index, {
    EvalID: evalId ?? '',
    EvalCreateIndex: evalId ? evalIndex || index : 0,
    JobModifyIndex: store.versionState(updated).jobModifyIndex,
    Warnings: '',
  });
}
