// PUT/POST /v1/jobs and /v1/job/<id>: register (create or replace) a job, read top to bottom:
// 1. the JobRegisterRequest envelope: the job's ID, EvalPriority, EnforceIndex/JobModifyIndex,
//    PreserveCounts/PreserveResources, the submitted source, the namespace;
// 2. the job, decoded from the request once: decoded and checked (400), canonicalized, validated
//    (500 with Nomad's multierror), all in prepareJob (../../jobwrite.ts);
// 3. the write, registerJob (../../jobwrite.ts): authorize create or update, enforce the index,
//    write the NomadJob, then at once its version, evaluation, indexes and submission (each depends
//    on the written NomadJob only), and wait until the caches show them. The version is recorded
//    from the written NomadJob as the store reads it (its spec decoded the way the reconciler
//    decodes it, src/jobs/spec.ts), not from the request's job: the revision must hold the job byte
//    for byte as the reconciler would record it, key order included;
// 4. the answer: the write's index, the evaluation and the JobModifyIndex.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JobSubmission } from '../../../jobs/submissions.ts';
import {
  boolField,
  field,
  intField,
  objectBody,
  objectField,
  stringField,
  stringMapField,
} from '../../body.ts';
import { badRequest } from '../../errors.ts';
import { type ApiDeps, checkRegion, requestNamespace, sendWriteWithMeta } from '../../http.ts';
import { prepareJob, registerJob } from '../../jobwrite.ts';
import { checkJobLimits } from '../../limits.ts';
import type { JobRequest } from './context.ts';

/** The submitted source (HCL or JSON) with its variables, kept for GET …/submission. */
function parseSubmission(body: Record<string, unknown>): JobSubmission | undefined {
  const raw = objectField(body, 'Submission', 'api.JobSubmission');
  if (!raw) return undefined;
  return {
    Source: stringField(raw, 'Source'),
    Format: stringField(raw, 'Format'),
    VariableFlags: stringMapField(raw, 'VariableFlags') ?? null,
    Variables: stringField(raw, 'Variables'),
  };
}

/** PUT/POST /v1/jobs. */
export function registerFromBody(deps: ApiDeps, request: FastifyRequest, reply: FastifyReply) {
  checkRegion(request, deps);
  return register(deps, request, reply);
}

/** PUT/POST /v1/job/<id>: the same, with the body's job ID matching the path's. */
export function registerAtPath({ request, reply, deps, id }: JobRequest) {
  if (id === '') throw badRequest("Job ID hasn't been provided");
  return register(deps, request, reply, id);
}

async function register(deps: ApiDeps, request: FastifyRequest, reply: FastifyReply, pathId?: string) {
  const body = objectBody(request.body, 'api.JobRegisterRequest', 'Request body is empty');
  const rawJob = field(body, 'Job');
  if (rawJob === undefined) throw badRequest('Job must be specified');
  if (typeof rawJob !== 'object' || Array.isArray(rawJob)) {
    throw badRequest('json: cannot unmarshal into Go struct field JobRegisterRequest.Job of type api.Job');
  }
  const rawId = field(rawJob as Record<string, unknown>, 'ID');
  if (rawId === undefined || rawId === '') throw badRequest("Job ID hasn't been provided");
  if (pathId !== undefined && rawId !== pathId) throw badRequest('Job ID does not match name');
  const evalPriority = intField(body, 'EvalPriority');
  if (evalPriority !== 0 && (evalPriority < 1 || evalPriority > 100)) {
    throw badRequest('Eval priority must be between 1 and 100 inclusively');
  }
  const enforceIndex = boolField(body, 'EnforceIndex');
  const jobModifyIndex = intField(body, 'JobModifyIndex', 'uint64');
  const preserveCounts = boolField(body, 'PreserveCounts');
  const preserveResources = boolField(body, 'PreserveResources');
  const submission = parseSubmission(body);
  const bodyNamespace = stringField(body, 'Namespace');
  const namespace = requestNamespace(request, bodyNamespace || 'default');

  const { job, warnings } = prepareJob(rawJob, namespace);
  checkJobLimits(job, deps.limits);

  const result = await registerJob(request, deps, {
    job,
    enforceIndex,
    jobModifyIndex,
    preserveCounts,
    preserveResources,
    evalPriority,
    ...(submission ? { submission } : {}),
  });

  return sendWriteWithMeta(reply, result.index, {
    EvalID: result.evalId,
    EvalCreateIndex: result.evalCreateIndex,
    JobModifyIndex: result.jobModifyIndex,
    Warnings: warnings,
  });
}
