// A NomadJob's spec as a canonical Nomad job (decodeSpec: what the API reads) and as a valid one
// (checkSpec: what the reconciler runs and what dispatch, periodic force and revert derive from).
import { jobOfObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { canonicalize } from '../nomad/canonicalize.ts';
import type { Job } from '../nomad/schema.ts';
import { formatMultiError, parseJobJson, validateJob } from '../nomad/validate.ts';

export type Checked = { ok: true; job: Job } | { ok: false; message: string };

/**
 * Spec → canonical Nomad job, unvalidated, or why it does not decode (Nomad's multierror text): the
 * one decoding of a NomadJob's spec, for the reconciler (through checkSpec) and the API's reads.
 */
export function decodeSpec(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  const decoded = jobOfObject(object);
  if (!decoded.ok) return { ok: false, message: formatMultiError(decoded.errors) };
  const parsed = parseJobJson(decoded.job);
  if (!parsed.ok) return { ok: false, message: formatMultiError(parsed.errors) };
  return { ok: true, job: canonicalize(parsed.job) };
}

/**
 * Spec → canonical, valid Nomad job, or every reason why not (Nomad's multierror text). A dispatched
 * child carries the payload it was dispatched with, which registration forbids ("job can't be
 * submitted with a payload, only dispatched"): that rule is not applied to it.
 */
export function checkSpec(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  const decoded = decodeSpec(object);
  if (!decoded.ok) return decoded;
  const job = decoded.job;
  const { errors } = validateJob(job.Dispatched === true ? { ...job, Payload: undefined } : job);
  if (errors.length > 0) return { ok: false, message: formatMultiError(errors) };
  return { ok: true, job };
}
