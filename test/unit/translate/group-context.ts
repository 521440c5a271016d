// Test support for the per-group translators (env, networking, placement): canonical jobs from the
// corpus or built by hand, and a GroupContext that records warnings.
import { readFileSync } from 'node:fs';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { identityLabels, jobObjectName, labelValueFor } from '../../../src/nomad/ids.ts';
import { LABEL_GROUP } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import type { GroupContext, ResolvedOptions, Warning } from '../../../src/translate/types.ts';

const corpusDir = new URL('../../fixtures/jobspecs/', import.meta.url);

/** A corpus job (`<name>.canonical.json`), parsed and canonicalized as Nomad stores it. */
export function corpusJob(name: string): Job {
  return job(JSON.parse(readFileSync(new URL(`${name}.canonical.json`, corpusDir), 'utf8')));
}

/** A hand-built job, parsed as the API parses one (parseJobJson) and canonicalized. */
export function job(input: Job): Job {
  const parsed = parseJobJson(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return canonicalize(parsed.job);
}

export const testOptions: ResolvedOptions = {
  namespace: 'apps',
  version: 0,
  millicoresPerMHz: 1,
  execImage: 'busybox:1',
  javaImage: 'eclipse-temurin:21',
  artifactImage: 'busybox:1',
  nodeAttributeLabels: {},
  allowedUnsafeSysctls: [],
};

export interface TestContext extends GroupContext {
  warnings: Warning[];
}

/** The context of group `groupIndex` of a canonical job; warnings are collected in `warnings`. */
export function groupContext(
  canonicalJob: Job,
  groupIndex = 0,
  options: Partial<ResolvedOptions> = {},
): TestContext {
  const group = canonicalJob.TaskGroups?.[groupIndex];
  if (!group) throw new Error(`job has no group ${groupIndex}`);
  const jobId = canonicalJob.ID ?? '';
  const identity = { namespace: canonicalJob.Namespace ?? 'default', jobId };
  const selector = { ...identityLabels(identity), [LABEL_GROUP]: labelValueFor(group.Name ?? '') };
  const warnings: Warning[] = [];
  return {
    job: canonicalJob,
    group,
    groupIndex,
    options: { ...testOptions, ...options },
    jobName: jobObjectName(jobId),
    labels: { ...selector, 'nomadoperator.dev/version': '0' },
    selector,
    path: `TaskGroups[${groupIndex}]`,
    warn(path, message) {
      warnings.push({ path, message });
    },
    warnings,
  };
}

/** The warnings at exactly `path`. */
export function warningsAt(ctx: TestContext, path: string): string[] {
  return ctx.warnings.filter((w) => w.path === path).map((w) => w.message);
}
