// Whether two jobs have the same spec, as Nomad's server decides it when a job is registered again
// (Job.SpecChanged: the stored and the submitted struct compared field by field, bookkeeping
// ignored). A re-registration with the same spec makes no new version.
//
// Nomad compares Go structs, in which a plain field (string, number, bool) has no "unset": its zero
// value is all there is. A job read with `GET /v1/job/:id` prints every such field ("User": "",
// "Cores": 0, "Leader": false); written back, it must compare equal to the stored job that left
// them out. So here a plain field holding its zero value counts as unset, as do `null`, empty
// lists and empty maps. Fields that are pointers in Nomad's structs (schema `pointer()`, e.g. a
// group's MaxRunDuration) keep the difference between unset and zero, as in Nomad. Keys the model
// does not know are compared as they are. Pure.
import { z } from 'zod';
import { REGISTRATION_FIELDS } from './bookkeeping.ts';
import { defineOwn } from './keyed.ts';
import { unwrapField } from './schema/introspect.ts';
import { goTypeNameOf, isGoPointer } from './schema/primitives.ts';
import { type Job, JobSchema } from './schema.ts';

/** Registration bookkeeping, and the token that submitted the job (Nomad's SpecChanged skips it too). */
const BOOKKEEPING = new Set<string>([...REGISTRATION_FIELDS, 'NomadTokenID']);

function isZeroScalar(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

/** `value` with unset-equivalent fields removed and object keys sorted, for comparison. */
function normalize(value: unknown, schema: z.ZodType | undefined): unknown {
  const inner = schema ? unwrapField(schema) : undefined;
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    const element = inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
    return value.map((item) => normalize(item, element) ?? null);
  }
  if (typeof value !== 'object') {
    const plain = inner !== undefined && goTypeNameOf(inner) !== undefined && !isGoPointer(inner);
    return plain && isZeroScalar(value) ? undefined : value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  if (inner instanceof z.ZodRecord) {
    // Free-form maps (driver config) are the user's data: compared verbatim.
    if (inner.valueType instanceof z.ZodUnknown) {
      for (const key of keys) defineOwn(out, key, record[key]);
      return out;
    }
    for (const key of keys) defineOwn(out, key, normalize(record[key], inner.valueType as z.ZodType) ?? null);
    return out;
  }
  const shape = inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
  for (const key of keys) {
    const fieldSchema = shape && Object.hasOwn(shape, key) ? shape[key] : undefined;
    const item = normalize(record[key], fieldSchema);
    if (item !== undefined) defineOwn(out, key, item);
  }
  return Object.keys(out).length === 0 && shape ? {} : out;
}

/** A text that is equal for two jobs exactly when they have the same spec (see the file comment). */
export function specKey(job: Job | Record<string, unknown>): string {
  const spec = Object.fromEntries(Object.entries(job).filter(([key]) => !BOOKKEEPING.has(key)));
  return JSON.stringify(normalize(spec, JobSchema) ?? {});
}

/** Nomad's `!existing.SpecChanged(submitted)` for two canonical jobs. */
export function sameJobSpec(a: Job | Record<string, unknown>, b: Job | Record<string, unknown>): boolean {
  return specKey(a) === specKey(b);
}
