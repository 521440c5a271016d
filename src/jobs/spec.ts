// A NomadJob's spec as a canonical Nomad job (decodeSpec: what the API reads) and as a valid one
// (checkSpec: what the reconciler runs and what dispatch, periodic force and revert derive from).
//
// Decoding (codec, parse, canonicalize) and validation cost milliseconds per job, and the reconciler
// meets the same spec many times while a job's workloads come up (every pod and status change
// re-enqueues the job), as the API does on every read: the result is kept per NomadJob (uid) for
// the spec generation and identity it was made from, one decoded copy that both share. decodeSpec's
// and checkSharedSpec's job is that shared copy, frozen (read it, copy before changing it); checkSpec
// hands out a copy of its own. A writer of a spec (the Nomad API) decodes it while the write is in
// flight (decodeAhead) and hands that decoding over for the written object (rememberAhead), so that
// the work is not done after the apiserver answered.
import { jobOfObject } from '../crd/object.ts';
import type { NomadJobObject } from '../crd/resource.ts';
import { sortedKeys } from '../nomad/canonical-json.ts';
import { agentDrops, canonicalize } from '../nomad/canonicalize.ts';
import { ANNOTATION_JOB_ID, ANNOTATION_NAMESPACE, ANNOTATION_PARENT_ID } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { formatMultiError, parseJobJson, validateJob } from '../nomad/validate.ts';
import { shareJobParts } from './shared-parts.ts';

/**
 * A decoded spec: the canonical job and what canonicalization dropped of the spec as written
 * (canonicalize.ts agentDrops: a task's disk, say), which the status reports; or why it is no job.
 */
export type Checked = { ok: true; job: Job; dropped?: readonly Dropped[] } | { ok: false; message: string };

type Dropped = { path: string; message: string };

interface Remembered {
  /** What the decoding depends on besides the spec: its generation, and the identity annotations. */
  key: string;
  decoded: Checked;
  checked?: Checked;
}

/** uid → the decoding of that NomadJob's current spec; oldest first (a bound, not a working set). */
const remembered = new Map<string, Remembered>();
const REMEMBERED_MAX = 20_000;

/**
 * What a NomadJob's decoded spec depends on besides its uid: the spec's generation, the object's name
 * and its identity annotations. Undefined for an object that did not come from the apiserver (no uid
 * or generation), whose spec may change without a new generation.
 */
export function specIdentity(object: Pick<NomadJobObject, 'metadata'>): string | undefined {
  const metadata = object.metadata;
  if (!metadata?.uid || metadata.generation === undefined) return undefined;
  const annotations = metadata.annotations ?? {};
  return JSON.stringify([
    metadata.generation,
    metadata.name,
    annotations[ANNOTATION_NAMESPACE],
    annotations[ANNOTATION_JOB_ID],
    annotations[ANNOTATION_PARENT_ID],
  ]);
}

function rememberedFor(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Remembered {
  const uid = object.metadata?.uid;
  const key = specIdentity(object);
  // Objects that did not come from the apiserver are decoded every time.
  if (!uid || key === undefined) return { key: '', decoded: decodeOnce(object) };
  const known = remembered.get(uid);
  if (known?.key === key) return known;
  return remember(uid, { key, decoded: decodeOnce(object) });
}

function remember(uid: string, fresh: Remembered): Remembered {
  remembered.delete(uid);
  remembered.set(uid, fresh);
  if (remembered.size > REMEMBERED_MAX) {
    const oldest = remembered.keys().next().value;
    if (oldest !== undefined) remembered.delete(oldest);
  }
  return fresh;
}

/** A spec decoded and checked before its object came back from the apiserver (decodeAhead). */
export interface DecodedAhead {
  /** The object as decoded: its spec as the apiserver encodes it. */
  object: Pick<NomadJobObject, 'metadata' | 'spec'>;
  decoded: Checked;
  checked: Checked;
}

/**
 * decodeSpec's and checkSharedSpec's work for an object about to be written (no uid yet, or an older
 * generation): done while the apiserver stores it, for rememberAhead to hand over once it answers.
 * The spec is decoded as the apiserver will answer it (keys sorted, as it encodes a custom resource;
 * no undefined values), so that the decoding is the one the answer would give, maps in that order.
 */
export function decodeAhead(object: Pick<NomadJobObject, 'metadata' | 'spec'>): DecodedAhead {
  const encoded = { metadata: object.metadata, spec: sortedKeys(object.spec) as NomadJobObject['spec'] };
  const decoded = decodeOnce(encoded);
  return { object: encoded, decoded, checked: validated(decoded) };
}

/**
 * Takes `ahead` as the decoding of `written`, the object the apiserver answered its write with, when
 * `written` holds what was decoded: the same spec, keys in the same order (its schema may have pruned
 * or defaulted fields, and its encoding may order keys otherwise), the same name and identity
 * annotations. Returns whether it did; when not, `written` is decoded as any object is, on its
 * first read.
 */
export function rememberAhead(
  written: Pick<NomadJobObject, 'metadata' | 'spec'>,
  ahead: DecodedAhead,
): boolean {
  const uid = written.metadata?.uid;
  const key = specIdentity(written);
  if (!uid || key === undefined) return false;
  const sent = ahead.object.metadata;
  const identity = [ANNOTATION_NAMESPACE, ANNOTATION_JOB_ID, ANNOTATION_PARENT_ID];
  const same =
    sent?.name === written.metadata?.name &&
    identity.every((k) => sent?.annotations?.[k] === written.metadata?.annotations?.[k]) &&
    sameJson(ahead.object.spec, written.spec);
  if (!same) return false;
  // A reader (the reconciler, woken by the write's watch event) may have decoded it already.
  if (remembered.get(uid)?.key !== key)
    remember(uid, { key, decoded: ahead.decoded, checked: ahead.checked });
  return true;
}

/** Whether two JSON values are equal, object keys in the same order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key, i) =>
      key === keysB[i] && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/**
 * Spec → canonical Nomad job, unvalidated, or why it does not decode (Nomad's multierror text): the
 * one decoding of a NomadJob's spec, for the reconciler (through checkSpec) and the API's reads.
 * The job is shared by every caller: do not change it (copy it first).
 */
export function decodeSpec(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  return rememberedFor(object).decoded;
}

function decodeOnce(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  const decoded = jobOfObject(object);
  if (!decoded.ok) return { ok: false, message: formatMultiError(decoded.errors) };
  const parsed = parseJobJson(decoded.job);
  if (!parsed.ok) return { ok: false, message: formatMultiError(parsed.errors) };
  // Its parts shared with the same job in the version's revision (shared-parts.ts), and frozen: every
  // reader shares this one copy, so a change would be a change of everyone's (and a thrown TypeError
  // beats a silent one).
  const job = deepFreeze(shareJobParts(canonicalize(parsed.job)));
  const dropped = agentDrops(parsed.job);
  return dropped.length > 0 ? { ok: true, job, dropped } : { ok: true, job };
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

/**
 * Spec → canonical, valid Nomad job, or every reason why not (Nomad's multierror text). A dispatched
 * child carries the payload it was dispatched with, which registration forbids ("job can't be
 * submitted with a payload, only dispatched"): that rule is not applied to it.
 */
export function checkSpec(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  const checked = checkSharedSpec(object);
  // The caller's own copy: dispatch, periodic force and revert derive new jobs from it.
  return checked.ok ? { ...checked, job: structuredClone(checked.job) } : checked;
}

/**
 * checkSpec without the copy: the valid job is decodeSpec's shared, frozen one, for readers that
 * never change it (the reconciler, which meets the same spec on every event of the job).
 */
export function checkSharedSpec(object: Pick<NomadJobObject, 'metadata' | 'spec'>): Checked {
  const known = rememberedFor(object);
  known.checked ??= validated(known.decoded);
  return known.checked;
}

function validated(decoded: Checked): Checked {
  if (!decoded.ok) return decoded;
  const job = decoded.job;
  const { errors } = validateJob(job.Dispatched === true ? { ...job, Payload: undefined } : job);
  if (errors.length > 0) return { ok: false, message: formatMultiError(errors) };
  return decoded;
}
