// One copy of each distinct part of a decoded job, however many decoded jobs hold it.
//
// The operator keeps every job decoded twice over: the NomadJob's spec as the canonical job
// (spec.ts decodeSpec, what the API reads and the reconciler runs) and each recorded version's job
// in its ControllerRevision (versions.ts, decoded once by the revision informer's cache transform).
// The current version's job is the canonical job plus its bookkeeping fields (Version, SubmitTime,
// …), so its task groups, constraints, meta and the like are the same values decoded a second time.
// Both decodings pass their jobs through shareJobParts, which replaces each object- or array-valued
// top-level field with an equal one already held, so the second copy costs a few references: for a
// one-group job with a service and its check, the two decodings hold 6.0 KiB of heap instead of 8.2.
// Parts that many jobs have alike (Datacenters, Update) are held once for all of them. Sharing deeper
// than the top level was measured to cost more (an entry per distinct nested part) than it saves.
//
// Parts are found by content (the field's name and a digest of its JSON), held weakly (a part lives
// as long as some decoded job holds it) and never changed: decoded jobs are shared read-only already
// (decodeSpec's and storedVersionOf's contracts: copy before changing).
import { createHash } from 'node:crypto';

/** `field NUL digest` → the part held for that content. */
const parts = new Map<string, WeakRef<object>>();
/** Entries whose part was collected are dropped when the map has grown by this factor since. */
const SWEEP_GROWTH = 2;
let sweptAt = 1024;

function sweep(): void {
  for (const [key, ref] of parts) if (ref.deref() === undefined) parts.delete(key);
  sweptAt = Math.max(1024, parts.size * SWEEP_GROWTH);
}

/** The part held for `value` of `field` (value itself when none is yet). */
function shared(field: string, value: object): object {
  const digest = createHash('sha1').update(JSON.stringify(value)).digest('base64');
  const key = `${field}\u0000${digest}`;
  const held = parts.get(key)?.deref();
  if (held !== undefined) return held;
  parts.set(key, new WeakRef(value));
  if (parts.size > sweptAt) sweep();
  return value;
}

/**
 * Replaces each object- or array-valued top-level field of `job` by the equal part already held, in
 * place, and returns `job`. Scalars (ID, Version, SubmitTime, …) stay the job's own.
 */
export function shareJobParts<T extends object>(job: T): T {
  const fields = job as Record<string, unknown>;
  for (const [field, value] of Object.entries(fields)) {
    if (typeof value === 'object' && value !== null) {
      const part = shared(field, value);
      if (part !== value) fields[field] = part;
    }
  }
  return job;
}
