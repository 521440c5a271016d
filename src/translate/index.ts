// translate(): a canonical Nomad job → the Kubernetes objects that run it, plus warnings. See types.ts
// for the contract and the module map. Pure: no I/O, no clock, no randomness; the same job and options
// always give the same objects in the same order, byte for byte once serialized.
import type { KubernetesObject } from '@kubernetes/client-node';
import { identityLabels, jobObjectName, labelValueFor, NOMAD_DEFAULT_NAMESPACE } from '../nomad/ids.ts';
import { ANNOTATION_GROUP, LABEL_GROUP, LABEL_VERSION } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { notApplicableWarnings } from './conversion-table.ts';
import { DEFAULT_EXEC_IMAGE, DEFAULT_JAVA_IMAGE } from './drivers.ts';
import { isSharedService } from './networking.ts';
import { groupAnnotations } from './pod-template.ts';
import type { GroupContext, ResolvedOptions, TranslateOptions, TranslateResult, Warning } from './types.ts';
import { groupObjects, workloadOf } from './workloads.ts';

export type { TranslateOptions, TranslateResult, Warning } from './types.ts';

/** Default image of the init containers that fetch artifacts and write template files (storage.ts). */
export const DEFAULT_ARTIFACT_IMAGE = 'curlimages/curl:8.11.0';

/**
 * The options with their defaults:
 *   version 0; millicoresPerMHz 1 (100 MHz → 100m, 1000 MHz → one core; a non-positive or non-finite
 *   ratio also means 1); execImage `busybox:1.37` (exec/raw_exec commands run there: a small image with a
 *   shell and coreutils; set an image that has the task's binaries); javaImage `eclipse-temurin:21-jre`;
 *   artifactImage `curlimages/curl:8.11.0`; nodeAttributeLabels `{}` (placement.ts merges them over its
 *   defaults, which map only the attributes every node has a label for: without a mapping, datacenters,
 *   node pools, regions and rules on other attributes pin nothing); allowedUnsafeSysctls `[]` (a task's
 *   sysctls outside Kubernetes' safe set are left out); dispatch unset. Operators set these
 *   through options.ts (flags, environment variables, Helm values).
 */
export function resolveOptions(options: TranslateOptions): ResolvedOptions {
  const version = options.version;
  const ratio = options.millicoresPerMHz;
  const resolved: ResolvedOptions = {
    namespace: options.namespace,
    version: typeof version === 'number' && Number.isInteger(version) && version >= 0 ? version : 0,
    millicoresPerMHz: typeof ratio === 'number' && Number.isFinite(ratio) && ratio > 0 ? ratio : 1,
    execImage: options.execImage || DEFAULT_EXEC_IMAGE,
    javaImage: options.javaImage || DEFAULT_JAVA_IMAGE,
    artifactImage: options.artifactImage || DEFAULT_ARTIFACT_IMAGE,
    nodeAttributeLabels: { ...(options.nodeAttributeLabels ?? {}) },
    allowedUnsafeSysctls: [...(options.allowedUnsafeSysctls ?? [])],
  };
  if (options.dispatch !== undefined) resolved.dispatch = { ...options.dispatch };
  return resolved;
}

/**
 * The context of group `groupIndex`: labels are the job identity (`identityLabels`), the group and the
 * version; the selector is the same without the version, so it stays stable across versions.
 */
export function groupContext(
  job: Job,
  groupIndex: number,
  options: ResolvedOptions,
  warn: (path: string, message: string) => void,
): GroupContext {
  const group = job.TaskGroups?.[groupIndex] ?? {};
  const jobId = job.ID ?? '';
  const identity = {
    namespace: job.Namespace || NOMAD_DEFAULT_NAMESPACE,
    jobId,
    ...(job.ParentID ? { parentId: job.ParentID } : {}),
  };
  const selector = { ...identityLabels(identity), [LABEL_GROUP]: labelValueFor(group.Name ?? '') };
  return {
    job,
    group,
    groupIndex,
    options,
    jobName: jobObjectName(jobId),
    labels: { ...selector, [LABEL_VERSION]: String(options.version) },
    selector,
    path: `TaskGroups[${groupIndex}]`,
    warn,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Namespace, the group's labels and identity annotations on an object (its own entries win). A Service
 * shared by the jobs of the namespace (networking.ts) gets no job identity: it is the same object
 * whichever group or job makes it.
 */
function stamp(object: KubernetesObject, ctx: GroupContext): KubernetesObject {
  const metadata = object.metadata ?? {};
  if (isSharedService(object)) {
    object.metadata = { ...metadata, namespace: ctx.options.namespace };
    return object;
  }
  object.metadata = {
    ...metadata,
    namespace: ctx.options.namespace,
    labels: { ...ctx.labels, ...(metadata.labels ?? {}) },
    annotations: { ...groupAnnotations(ctx), ...(metadata.annotations ?? {}) },
  };
  return object;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Translates a canonical Nomad job (run `canonicalize` from src/nomad/canonicalize.ts first: the
 * translator relies on Nomad's defaults being filled in) into Kubernetes objects.
 *
 * Never throws for a job the schema accepts: what cannot be translated is a warning naming the Nomad
 * field path, and nothing invalid is emitted in its place (a group that cannot run gets no workload).
 * Objects are sorted by kind, then name; warnings by path, then message, without duplicates.
 */
export function translate(job: Job, options: TranslateOptions): TranslateResult {
  const resolved = resolveOptions(options);
  const warnings: Warning[] = [];
  const warn = (path: string, message: string) => {
    warnings.push({ path, message });
  };
  const objects: KubernetesObject[] = [];
  try {
    translateInto(job, resolved, objects, warn);
  } catch (error) {
    warn('', `internal error while translating the job: ${describe(error)}`);
    objects.length = 0;
  }
  return { objects: sortObjects(objects, warn), warnings: sortWarnings(warnings) };
}

function translateInto(
  job: Job,
  options: ResolvedOptions,
  objects: KubernetesObject[],
  warn: (path: string, message: string) => void,
): void {
  for (const w of notApplicableWarnings(job)) warn(w.path, w.message);
  const type = job.Type ?? 'service';
  if (!workloadOf(type, job.Periodic !== undefined)) {
    warn('Type', `job type ${JSON.stringify(type)} cannot be run; no objects are created`);
    return;
  }
  if (job.ParameterizedJob !== undefined && job.Dispatched !== true) {
    warn(
      'ParameterizedJob',
      'a parameterized job runs nothing until it is dispatched; each dispatched child is translated as a batch job',
    );
    // What every dispatched child will lose, said now rather than at its first dispatch: the groups
    // translated as a child's, their objects left out.
    const child = dispatchedStandIn(job);
    for (let groupIndex = 0; groupIndex < (child.TaskGroups ?? []).length; groupIndex++) {
      const ctx = groupContext(child, groupIndex, options, (path, message) =>
        warn(path, `when dispatched: ${message}`),
      );
      try {
        groupObjects(ctx);
      } catch (error) {
        warn(ctx.path, `when dispatched: internal error while translating the group: ${describe(error)}`);
      }
    }
    return;
  }
  (job.TaskGroups ?? []).forEach((_, groupIndex) => {
    const ctx = groupContext(job, groupIndex, options, warn);
    try {
      for (const object of groupObjects(ctx)) objects.push(stamp(object, ctx));
    } catch (error) {
      warn(ctx.path, `internal error while translating the group; it is left out: ${describe(error)}`);
    }
  });
}

/**
 * A child of parameterized `job` as dispatch makes one (src/jobs/dispatch.ts), for its warnings: its
 * required meta keys hold their own names, values only a dispatch gives; no payload.
 */
function dispatchedStandIn(job: Job): Job {
  const meta: Record<string, string> = { ...job.Meta };
  for (const key of job.ParameterizedJob?.MetaRequired ?? []) meta[key] = key;
  // An ID of a real child's shape (`<parent>/dispatch-<unix time>-<8 hex>`): names derive from it.
  const id = `${job.ID ?? ''}/dispatch-1700000000-00000000`;
  return { ...job, ID: id, Name: id, ParentID: job.ID ?? '', Dispatched: true, Meta: meta };
}

function sortObjects(
  objects: KubernetesObject[],
  warn: (path: string, message: string) => void,
): KubernetesObject[] {
  const sorted = objects
    .map((object, index) => ({ object, index }))
    .sort(
      (a, b) =>
        compare(a.object.kind ?? '', b.object.kind ?? '') ||
        compare(a.object.metadata?.name ?? '', b.object.metadata?.name ?? '') ||
        a.index - b.index,
    );
  const out: KubernetesObject[] = [];
  let previous: KubernetesObject | undefined;
  for (const { object } of sorted) {
    if (previous && previous.kind === object.kind && previous.metadata?.name === object.metadata?.name) {
      // Two groups asked for the same object. Identical copies are one object; otherwise the first wins.
      if (JSON.stringify(previous) !== JSON.stringify(object)) {
        const group = object.metadata?.annotations?.[ANNOTATION_GROUP] ?? '';
        warn(
          'TaskGroups',
          `${object.kind} ${object.metadata?.name} of group ${JSON.stringify(group)} has the name of an object of another group and is left out`,
        );
      }
      continue;
    }
    out.push(object);
    previous = object;
  }
  return out;
}

function sortWarnings(warnings: Warning[]): Warning[] {
  const seen = new Set<string>();
  return warnings
    .filter((w) => {
      const key = `${w.path}\u0000${w.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => compare(a.path, b.path) || compare(a.message, b.message));
}
