// A NomadJob's spec as a canonical, valid Nomad job: what the reconciler runs and what dispatch,
// periodic force and revert derive from.
import { jobOfObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { canonicalize } from '../nomad/canonicalize.ts';
import type { Job } from '../nomad/schema.ts';
import { formatMultiError, parseJobJson, validateJob } from '../nomad/validate.ts';

export type Checked = { ok: true; job: Job } | { ok: false; message: string };

/**
 * Spec → canonical, valid Nomad job, or every reason why not (Nomad's multierror text). A dispatched
 * child carries the payload it was dispatched with, which registration forbids ("job can't be
 * submitted with a payload, only dispatched"): that rule is not applied to it.
 */
export function checkSpec(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  const decoded = jobOfObject(object);
  if (!decoded.ok) return { ok: false, message: formatMultiError(decoded.errors) };
  const parsed = parseJobJson(decoded.job);
  if (!parsed.ok) return { ok: false, message: formatMultiError(parsed.errors) };
  const job = canonicalize(parsed.job);
  const { errors } = validateJob(job.Dispatched === true ? { ...job, Payload: undefined } : job);
  if (errors.length > 0) return { ok: false, message: formatMultiError(errors) };
  return { ok: true, job };
}
