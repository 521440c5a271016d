// Test support for translate() and its workload, pod, driver and resource modules: corpus jobs as
// Nomad stores them, hand-made jobs, group contexts that collect warnings, and object lookups.
import { readdirSync, readFileSync } from 'node:fs';
import type {
  KubernetesObject,
  V1Container,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1PodSpec,
} from '@kubernetes/client-node';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { parseJobJson } from '../../../src/nomad/validate.ts';
import { groupContext, resolveOptions, translate } from '../../../src/translate/index.ts';
import type {
  GroupContext,
  TranslateOptions,
  TranslateResult,
  Warning,
} from '../../../src/translate/types.ts';

const corpusDir = new URL('../../fixtures/jobspecs/', import.meta.url);

/** Names of the corpus jobspecs (`<name>.nomad.hcl`). */
export function corpusNames(): string[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.nomad.hcl'))
    .map((f) => f.slice(0, -'.nomad.hcl'.length))
    .sort();
}

/** A corpus job as Nomad stores it: the parsed jobspec, canonicalized by the server rules. */
export function corpusJob(name: string): Job {
  const parsed = parseJobJson(readFileSync(new URL(`${name}.canonical.json`, corpusDir), 'utf8'));
  if (!parsed.ok) throw new Error(`${name}: ${parsed.errors.join('; ')}`);
  return canonicalize(parsed.job);
}

/** A hand-made job (Nomad JSON), canonicalized. */
export function makeJob(input: Record<string, unknown>): Job {
  const parsed = parseJobJson(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return canonicalize(parsed.job);
}

/** A one-group, one-task job with the given task and group fields. */
export function simpleJob(
  type: string,
  task: Record<string, unknown>,
  group: Record<string, unknown> = {},
  job: Record<string, unknown> = {},
): Job {
  return makeJob({
    ID: 'app',
    Type: type,
    TaskGroups: [
      { Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x:1' }, ...task }], ...group },
    ],
    ...job,
  });
}

export const OPTIONS: TranslateOptions = { namespace: 'apps' };

export function run(job: Job, options: Partial<TranslateOptions> = {}): TranslateResult {
  return translate(job, { ...OPTIONS, ...options });
}

export interface TestContext extends GroupContext {
  warnings: Warning[];
}

/** The context translate() builds for group `groupIndex`, with warnings collected. */
export function contextOf(job: Job, groupIndex = 0, options: Partial<TranslateOptions> = {}): TestContext {
  const warnings: Warning[] = [];
  const ctx = groupContext(job, groupIndex, resolveOptions({ ...OPTIONS, ...options }), (path, message) => {
    warnings.push({ path, message });
  });
  return Object.assign(ctx, { warnings });
}

export function messagesAt(warnings: readonly Warning[], path: string): string[] {
  return warnings.filter((w) => w.path === path).map((w) => w.message);
}

export function ofKind<T extends KubernetesObject>(objects: readonly KubernetesObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

export function one<T extends KubernetesObject>(objects: readonly KubernetesObject[], kind: string): T {
  const found = ofKind<T>(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as T;
}

/** The pod spec of any workload. */
export function podSpecOf(object: KubernetesObject): V1PodSpec {
  switch (object.kind) {
    case 'Deployment':
      return (object as V1Deployment).spec?.template.spec as V1PodSpec;
    case 'DaemonSet':
      return (object as V1DaemonSet).spec?.template.spec as V1PodSpec;
    case 'Job':
      return (object as V1Job).spec?.template.spec as V1PodSpec;
    case 'CronJob':
      return (object as V1CronJob).spec?.jobTemplate.spec?.template.spec as V1PodSpec;
    default:
      throw new Error(`${object.kind} has no pod template`);
  }
}

export function container(spec: V1PodSpec, name: string): V1Container {
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}
