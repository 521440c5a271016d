// Checking job input, in two steps, both reporting every problem at once and never throwing:
//
// 1. `parseJobJson`: is this JSON a job at all? Runs the zod schemas (types, integer ranges), with
//    Go's leniencies (nulls, unknown keys, case-insensitive keys) and with limits on size and depth
//    so hostile input cannot exhaust the process. Problems come back as `path: message`.
// 2. `validateJob`: is this job acceptable? Nomad's own rules (Job.Validate and the server's
//    validation hook) with Nomad's own messages, so clients see the same text a Nomad server sends
//    (`formatMultiError` turns the list into that text).
//
// Nomad validates a job after canonicalizing it (canonicalize.ts), and so should callers: on a raw
// job, unset fields count as Go's zero values, so e.g. a job without datacenters is reported as
// "Missing job datacenters" instead of being defaulted to ["*"].
import type { z } from 'zod';
import { goQuote } from './go.ts';
import { keepProtoEntries, matchKeysLikeGo } from './schema/introspect.ts';
import { jsonTypeOf } from './schema/primitives.ts';
import { type Job, JobSchema } from './schema.ts';
import {
  connectValidatorError,
  consulValidatorError,
  exposeValidatorError,
  type NamespaceLimits,
  namespaceValidatorError,
  serviceIdentityErrors,
} from './validate/admission.ts';
import { groupErrors } from './validate/group.ts';
import { nest } from './validate/multierror.ts';
import { affinityErrors, constraintErrors, spreadErrors } from './validate/placement.ts';
import { isMultiregion, parameterizedErrors, periodicErrors } from './validate/policies.ts';

export type { NamespaceCapabilities, NamespaceLimits } from './validate/admission.ts';
export { connectMutatorError } from './validate/group.ts';
export { formatMultiError, formatWarnings } from './validate/multierror.ts';

// ---------------------------------------------------------------------------------------------------
// Nomad's validation rules

const JOB_TYPES = ['_core', 'service', 'batch', 'system', 'sysbatch'];
/** Longest UI / version-tag description Nomad accepts, in bytes. */
const MAX_DESCRIPTION_BYTES = 1000;

export interface ValidateOptions {
  /** The server's `job_max_priority` (Nomad's default is 100). */
  maxPriority?: number;
  /**
   * The job's namespace, when its capabilities are known: Nomad refuses task drivers and group
   * network modes the namespace does not allow. Without it, that check is skipped.
   */
  namespace?: NamespaceLimits;
}

export interface ValidationResult {
  /**
   * Nomad's validation errors in Nomad's order, one entry per error of the top-level multierror
   * (what `/v1/validate/job` returns as ValidationErrors). Entries for nested blocks contain the
   * nested multierror text, e.g. `Task group web validation failed: 1 error occurred:\n\t* …\n\n`.
   */
  errors: string[];
}

/** Nomad's `Job.Validate()`. */
function jobErrors(job: Job): string[] {
  const errors: string[] = [];
  const type = job.Type ?? '';
  const id = job.ID ?? '';
  const name = job.Name ?? '';

  if ((job.Region ?? '') === '' && job.Multiregion === undefined) errors.push('Missing job region');
  if (id === '') errors.push('Missing job ID');
  else if (id.includes(' ')) errors.push('Job ID contains a space');
  else if (id.includes('\0')) errors.push('Job ID contains a null character');
  if (name === '') errors.push('Missing job name');
  else if (name.includes('\0')) errors.push('Job Name contains a null character');
  if ((job.Namespace ?? '') === '') errors.push('Job must be in a namespace');

  if (type === '') errors.push('Missing job type');
  else if (!JOB_TYPES.includes(type)) errors.push(`Invalid job type: ${goQuote(type)}`);

  const datacenters = job.Datacenters ?? [];
  if (datacenters.length === 0 && !isMultiregion(job)) errors.push('Missing job datacenters');
  else {
    for (const dc of datacenters) if (dc === '') errors.push('Job datacenter must be non-empty string');
  }

  const groups = job.TaskGroups ?? [];
  if (groups.length === 0) errors.push('Missing job task groups');
  for (const [i, constraint] of (job.Constraints ?? []).entries()) {
    errors.push(...nest(constraintErrors(constraint), `Constraint ${i + 1} validation failed: `));
  }
  if (type === 'system') {
    if (job.Affinities !== undefined) errors.push('System jobs may not have an affinity block');
    if (job.Spreads !== undefined) errors.push('System jobs may not have a spread block');
  } else {
    for (const [i, affinity] of (job.Affinities ?? []).entries()) {
      errors.push(...nest(affinityErrors(affinity), `Affinity ${i + 1} validation failed: `));
    }
    for (const [i, spread] of (job.Spreads ?? []).entries()) {
      errors.push(...nest(spreadErrors(spread), `Spread ${i + 1} validation failed: `));
    }
  }

  const uiDescription = Buffer.byteLength(job.UI?.Description ?? '');
  if (uiDescription > MAX_DESCRIPTION_BYTES) {
    errors.push(`UI description must be under 1000 characters, currently ${uiDescription}`);
  }
  const tagDescription = Buffer.byteLength(job.VersionTag?.Description ?? '');
  if (tagDescription > MAX_DESCRIPTION_BYTES) {
    errors.push(`Tagged version description must be under 1000 characters, currently ${tagDescription}`);
  }

  const seen = new Map<string, number>();
  for (const [i, group] of groups.entries()) {
    const groupName = group.Name ?? '';
    const existing = seen.get(groupName);
    if (groupName === '') errors.push(`Job task group ${i + 1} missing name`);
    else if (existing !== undefined) {
      errors.push(`Job task group ${i + 1} redefines '${groupName}' from group ${existing + 1}`);
    } else seen.set(groupName, i);
    if ((group.ShutdownDelay ?? 0) < 0) errors.push('ShutdownDelay must be a positive value');
    const count = group.Count ?? 0;
    if (type === 'system' && count > 1) {
      errors.push(
        `Job task group ${groupName} has count ${count}. Count cannot exceed 1 with system scheduler`,
      );
    }
  }
  for (const group of groups) {
    errors.push(...nest(groupErrors(group, job), `Task group ${group.Name ?? ''} validation failed: `));
  }

  // Nomad appends these two blocks' multierrors without a prefix: their whole text is one entry.
  if (job.Periodic?.Enabled) {
    if (type !== 'batch' && type !== 'sysbatch') {
      errors.push('Periodic can only be used with "batch" or "sysbatch" scheduler');
    }
    errors.push(...nest(periodicErrors(job.Periodic)));
  }
  if (job.ParameterizedJob && !job.Dispatched) {
    if (type !== 'batch' && type !== 'sysbatch') {
      errors.push('Parameterized job can only be used with "batch" or "sysbatch" scheduler');
    }
    errors.push(...nest(parameterizedErrors(job.ParameterizedJob)));
  }
  // Multiregion deployments are an Enterprise feature; open-source Nomad refuses any multiregion
  // block, even an empty one.
  if (job.Multiregion !== undefined) errors.push('Multiregion jobs are unlicensed.');
  return errors;
}

/**
 * What Nomad's Connect admission mutator changes that validation reads: a Connect native service in a
 * group with a network gets the name of the task it runs in (the group's only task) when it names none.
 */
function withConnectMutations(job: Job): Job {
  const inferred = (job.TaskGroups ?? []).some(
    (g) =>
      (g.Networks ?? []).length > 0 &&
      (g.Tasks ?? []).length === 1 &&
      (g.Services ?? []).some((s) => s.Connect?.Native && (s.TaskName ?? '') === ''),
  );
  if (!inferred) return job;
  const out = structuredClone(job);
  for (const group of out.TaskGroups ?? []) {
    const only = group.Tasks?.length === 1 ? group.Tasks[0] : undefined;
    if ((group.Networks ?? []).length === 0 || !only) continue;
    for (const service of group.Services ?? []) {
      if (service.Connect?.Native && (service.TaskName ?? '') === '') service.TaskName = only.Name ?? '';
    }
  }
  return out;
}

/** The server's admission checks on top of Job.Validate (nomad/job_endpoint_hooks.go). */
function admissionErrors(job: Job, maxPriority: number): string[] {
  const errors: string[] = [];
  if (job.Type === '_core') errors.push('job type cannot be core');
  if ((job.Payload ?? '') !== '') errors.push("job can't be submitted with a payload, only dispatched");
  const priority = job.Priority ?? 0;
  if (priority < 1 || priority > maxPriority) errors.push(`job priority must be between [1, ${maxPriority}]`);
  return errors;
}

/**
 * Nomad's validation of a job being registered, planned or validated: every error at once, with
 * Nomad's messages and order. Never throws. Pass a canonicalized job (see the file comment).
 */
export function validateJob(job: Job, options: ValidateOptions = {}): ValidationResult {
  try {
    const mutated = withConnectMutations(job);
    // Nomad's validators in their order; each hook's error comes whole, jobValidate's flattened.
    const namespace = options.namespace;
    const hooks = [
      connectValidatorError(mutated),
      exposeValidatorError(mutated),
      consulValidatorError(mutated),
      namespace ? namespaceValidatorError(mutated, namespace) : undefined,
    ].filter((e): e is string => e !== undefined);
    return {
      errors: [
        ...hooks,
        ...jobErrors(mutated),
        ...admissionErrors(mutated, options.maxPriority ?? 100),
        ...serviceIdentityErrors(mutated),
      ],
    };
  } catch (error) {
    // Only reachable with input that bypassed the schema (e.g. a hand-built object of wrong types).
    return { errors: [`job could not be validated: ${(error as Error).message}`] };
  }
}

// ---------------------------------------------------------------------------------------------------
// Parsing untrusted JSON

/**
 * Largest job JSON accepted, in bytes: 4 MiB. That is four times Nomad's default limit on a stored
 * job source (job_max_source_size, 1 MiB) and more than a Kubernetes object can hold (etcd's default
 * request limit is 1.5 MiB), so no job that could be stored is refused.
 */
export const MAX_JOB_JSON_BYTES = 4 * 1024 * 1024;

/**
 * Deepest nesting accepted (objects and arrays; the job object itself is level 1). A job's own
 * structure is under 15 levels deep; the rest is headroom for free-form driver config.
 */
export const MAX_JOB_JSON_DEPTH = 64;

export type ParseJobResult = { ok: true; job: Job } | { ok: false; errors: string[] };

/** `TaskGroups[0].Tasks[1].Resources.CPU`; keys that are not identifiers are quoted: `Meta["a.b"]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Deepest nesting of JSON text, counted without parsing; stops early once over `limit`. */
function textDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** Deepest nesting of an already-parsed value, iteratively; `Infinity` for a cyclic value. */
function valueDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const onPath = new Set<object>();
  const stack: { node: unknown; depth: number; leave?: boolean }[] = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const item = stack.pop();
    if (!item || typeof item.node !== 'object' || item.node === null) continue;
    if (item.leave) {
      onPath.delete(item.node);
      continue;
    }
    if (onPath.has(item.node)) return Number.POSITIVE_INFINITY;
    deepest = Math.max(deepest, item.depth);
    if (deepest > limit) return deepest;
    onPath.add(item.node);
    stack.push({ node: item.node, depth: item.depth, leave: true });
    for (const child of Object.values(item.node)) stack.push({ node: child, depth: item.depth + 1 });
  }
  return deepest;
}

/** Removes the keys whose value parsing turned into `undefined` (JSON nulls), recursively. */
function dropUnsetKeys(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropUnsetKeys(item);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      if (item === undefined) delete record[key];
      else dropUnsetKeys(item);
    }
  }
}

const tooDeep = `job JSON is nested more than ${MAX_JOB_JSON_DEPTH} levels deep`;
const tooBig = (bytes: number) =>
  `job JSON is ${bytes} bytes, more than the limit of ${MAX_JOB_JSON_BYTES} bytes`;

/**
 * Parses a job from JSON text (string or bytes) or from an already-parsed JSON value, as a Nomad
 * server would decode it: `null` means unset, unknown keys are kept, keys match fields
 * case-insensitively, integer fields reject fractions and out-of-range values. Returns the job with
 * nulls removed, or every problem found, each as `path: message`. Input over MAX_JOB_JSON_BYTES or
 * MAX_JOB_JSON_DEPTH is refused before it is looked at further. Never throws.
 */
export function parseJobJson(input: unknown): ParseJobResult {
  let value: unknown = input;
  // Only then is the walk of keepProtoEntries needed: most jobs never have such a key.
  let mayHaveProtoKey: boolean;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (bytes > MAX_JOB_JSON_BYTES) return { ok: false, errors: [tooBig(bytes)] };
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    if (textDepth(text, MAX_JOB_JSON_DEPTH) > MAX_JOB_JSON_DEPTH) return { ok: false, errors: [tooDeep] };
    // A key may spell it with escapes (`"\u005f_proto__"`).
    mayHaveProtoKey = text.includes('__proto__') || text.includes('\\u');
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, errors: [`invalid JSON: ${(error as Error).message}`] };
    }
  } else {
    const depth = valueDepth(input, MAX_JOB_JSON_DEPTH);
    if (depth === Number.POSITIVE_INFINITY)
      return { ok: false, errors: ['job is not JSON data: it contains a cycle'] };
    if (depth > MAX_JOB_JSON_DEPTH) return { ok: false, errors: [tooDeep] };
    let text: string;
    try {
      text = JSON.stringify(input) ?? '';
    } catch (error) {
      return { ok: false, errors: [`job is not JSON data: ${(error as Error).message}`] };
    }
    const bytes = Buffer.byteLength(text);
    mayHaveProtoKey = text.includes('__proto__');
    if (bytes > MAX_JOB_JSON_BYTES) return { ok: false, errors: [tooBig(bytes)] };
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [`expected a job object, received ${jsonTypeOf(value)}`] };
  }
  const matched = matchKeysLikeGo(value, JobSchema);
  const result = JobSchema.safeParse(matched);
  if (!result.success) return { ok: false, errors: issueMessages(result.error.issues) };
  if (mayHaveProtoKey) {
    const issues = keepProtoEntries(matched, result.data, JobSchema);
    if (issues.length > 0) return { ok: false, errors: issueMessages(issues) };
  }
  dropUnsetKeys(result.data);
  return { ok: true, job: result.data };
}

function issueMessages(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = formatIssuePath(issue.path);
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
}
