// PUT|POST /v1/validate/job: Nomad's validation without registering.
import type { FastifyInstance } from 'fastify';
import { connectMutatorError, formatMultiError, validateJob } from '../../nomad/validate.ts';
import { field, objectBody, stringField } from '../body.ts';
import { ApiError, badRequest, internal } from '../errors.ts';
import { type ApiDeps, READ, requestNamespace, requireInNamespace, sendPlain } from '../http.ts';
import { canonicalSubmission } from '../jobwrite.ts';
import { jobLimitProblems } from '../limits.ts';

export async function validateRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  app.all('/v1/validate/job', async (request, reply) => {
    if (request.method !== 'PUT' && request.method !== 'POST') throw new ApiError(405, 'Invalid method');
    const body = objectBody(request.body, 'api.JobValidateRequest', 'Request body is empty');
    const rawJob = field(body, 'Job');
    if (rawJob === undefined) throw badRequest('Job must be specified');
    const namespace = requestNamespace(request, stringField(body, 'Namespace') || 'default');
    await requireInNamespace(request, deps, namespace, READ);
    const { job, warnings } = canonicalSubmission(rawJob, namespace);
    // Nomad runs the admission mutators first; a mutator's error is the RPC's error, not a
    // validation error.
    const mutatorError = connectMutatorError(job);
    if (mutatorError !== undefined) throw internal(mutatorError);
    const errors = [...validateJob(job).errors, ...jobLimitProblems(job, deps.limits)];
    return sendPlain(reply, {
      DriverConfigValidated: true,
      ValidationErrors: errors.length > 0 ? errors : null,
      Error: errors.length > 0 ? formatMultiError(errors) : '',
      Warnings: warnings,
    });
  });
}
