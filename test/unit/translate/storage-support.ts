// Builds GroupContexts from corpus jobs for the storage and conversion-table tests, without depending
// on the core translator: the context is what translate() hands every per-group module.
import { readFileSync } from 'node:fs';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import type { GroupContext, ResolvedOptions, Warning } from '../../../src/translate/types.ts';

const corpusDir = new URL('../../fixtures/jobspecs/', import.meta.url);

/** A corpus job (`<name>.json`, the parser's output) as translate() receives it: parsed and canonical. */
export function corpusJob(name: string): Job {
  const parsed = parseJobJson(JSON.parse(readFileSync(new URL(`${name}.json`, corpusDir), 'utf8')));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.errors.join('; ')}`);
  return canonicalize(parsed.job);
}

/** Parses and canonicalizes a job literal. */
export function jobOf(input: unknown): Job {
  const parsed = parseJobJson(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return canonicalize(parsed.job);
}

export const testOptions: ResolvedOptions = {
  namespace: 'apps',
  version: 3,
  millicoresPerMHz: 1,
  execImage: 'example/exec:1',
  javaImage: 'example/java:1',
  artifactImage: 'example/fetch:1',
  nodeAttributeLabels: {},
  allowedUnsafeSysctls: [],
};

export interface TestContext extends GroupContext {
  warnings: Warning[];
}

export function groupContext(job: Job, groupIndex = 0, options: Partial<ResolvedOptions> = {}): TestContext {
  const group = job.TaskGroups?.[groupIndex];
  if (!group) throw new Error(`no task group ${groupIndex}`);
  const warnings: Warning[] = [];
  return {
    job,
    group,
    groupIndex,
    options: { ...testOptions, ...options },
    jobName: job.ID ?? 'job',
    labels: { 'nomadoperator.dev/job': job.ID ?? 'job', 'nomadoperator.dev/group': group.Name ?? '' },
    selector: { 'nomadoperator.dev/job': job.ID ?? 'job' },
    path: `TaskGroups[${groupIndex}]`,
    warnings,
    warn(path: string, message: string) {
      warnings.push({ path, message });
    },
  };
}

/**
 * The value at a warning path (`TaskGroups[0].Tasks[1].Templates[0].EmbeddedTmpl`,
 * `TaskGroups[0].Volumes["my-vol"].Source`), or a marker when the path does not exist in the job.
 */
export const MISSING = Symbol('missing');
export function valueAt(root: unknown, path: string): unknown {
  let current: unknown = root;
  const steps = path.matchAll(/(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g);
  let consumed = 0;
  for (const step of steps) {
    if (step.index !== consumed) return MISSING;
    consumed = step.index + step[0].length;
    const key =
      step[1] ?? (step[2] !== undefined ? Number(step[2]) : (JSON.parse(step[3] ?? '""') as string));
    if (typeof current !== 'object' || current === null) return MISSING;
    if (Array.isArray(current) !== (typeof key === 'number')) return MISSING;
    if (!Object.hasOwn(current, key)) return MISSING;
    current = (current as Record<string | number, unknown>)[key];
  }
  return consumed === path.length ? current : MISSING;
}
