// PUT/POST /v1/job/<id>/plan: Nomad's dry run of a register. Nothing is written: the submitted job
// is decoded and validated as a register would, diffed against the stored one, and its placement
// predicted from the scheduler's view of the cluster (plan-evals.ts).
import { nextPeriodicLaunch } from '../../../jobs/periodic.ts';
import { type NomadJson, planDiff } from '../../../nomad/diff.ts';
import { type Job, JobSchema } from '../../../nomad/schema.ts';
import { boolField, field, objectBody, stringField } from '../../body.ts';
import { badRequest } from '../../errors.ts';
import { query, requireInNamespace, sendPlain } from '../../http.ts';
import { CREATE, prepareJob, UPDATE, withoutBookkeeping } from '../../jobwrite.ts';
import { checkJobLimits } from '../../limits.ts';
import { queryValue } from '../../params.ts';
import { plannedPlacement } from '../../plan-evals.ts';
import { ZERO_TIME } from '../../responses/common.ts';
import { fillZeroValues } from '../../responses/zero.ts';
import type { JobRequest } from './context.ts';

export async function plan({ request, reply, deps, namespace: queryNamespace, id }: JobRequest) {
  const store = deps.store;
  const body = objectBody(request.body, 'api.JobPlanRequest', 'Request body is empty');
  const rawJob = field(body, 'Job');
  if (rawJob === undefined) throw badRequest('Job must be specified');
  if (typeof rawJob !== 'object' || Array.isArray(rawJob))
    throw badRequest('json: cannot unmarshal into Go struct field JobPlanRequest.Job of type api.Job');
  const rawId = field(rawJob as Record<string, unknown>, 'ID');
  if (rawId === undefined || rawId !== id) throw badRequest('Job ID does not match');
  const wantDiff = boolField(body, 'Diff');
  boolField(body, 'PolicyOverride');
  const bodyNamespace = stringField(body, 'Namespace');
  const namespace = queryValue(query(request), 'namespace')
    ? queryNamespace
    : bodyNamespace || queryNamespace;
  const { job, warnings } = prepareJob(rawJob, namespace);
  checkJobLimits(job, deps.limits);
  const jobNamespace = job.Namespace ?? namespace;
  const existing = store.findJob(jobNamespace, id);
  await requireInNamespace(request, deps, jobNamespace, existing ? UPDATE : CREATE);
  // Nomad diffs Go structs, where every plain field holds a value: both sides get their zero
  // values filled in, so a job read with GET (which prints them) diffs as unchanged.
  const asStruct = (j: Job) => fillZeroValues(withoutBookkeeping(j), JobSchema) as NomadJson;
  const oldJob = existing && !existing.error ? asStruct(existing.job) : null;
  const { diff, annotations } = planDiff(oldJob, asStruct(job));
  // As Nomad: the plan's index is the stored job's JobModifyIndex (0 for a new job), and its
  // evaluation's JobModifyIndex the next one when the spec changes.
  const index = existing ? store.versionState(existing).jobModifyIndex : 0;
  const changed = existing !== undefined && (diff as { Type?: string }).Type !== 'None';
  const placement = plannedPlacement(store, existing, job, changed ? index + 1 : 0);
  reply.header('X-Nomad-Index', String(index));
  return sendPlain(reply, {
    Annotations: annotations,
    FailedTGAllocs: placement.FailedTGAllocs,
    JobModifyIndex: index,
    CreatedEvals: placement.CreatedEvals,
    Diff: wantDiff ? diff : null,
    NextPeriodicLaunch: job.Periodic?.Enabled
      ? (nextPeriodicLaunch(job, new Date()) ?? ZERO_TIME)
      : ZERO_TIME,
    Warnings: warnings,
    Index: index,
  });
}
