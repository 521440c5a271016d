// What `nomad-operator import` decides about each job, without I/O: which jobs to leave out (their
// parents bring them back), which Nomad namespace a job gets in its target Kubernetes namespace, the
// Kubernetes objects it becomes, its warnings grouped by kind, its verdict, and whether applying it
// changes anything. The command (src/cli/import.ts) does the reading and writing around these.
//
// Verdicts (docs/migration.md):
//   needs action       the job cannot be read, parsed, validated or applied (or would take the place of
//                      another imported job: src/cli/import.ts decides those); or it runs nothing at all
//                      (a job type the operator cannot run); or one of its task groups becomes no
//                      workload (the translator left the group out: its tasks would not run); or the
//                      translator failed on it.
//   runs with warnings every group runs, but some fields are not (fully) translated: the warnings say
//                      which and what happens instead.
//   runs as is         every group runs and nothing was left out.
import type { KubernetesObject } from '@kubernetes/client-node';
import { NOMAD_DEFAULT_NAMESPACE } from '../nomad/ids.ts';
import { ANNOTATION_GROUP } from '../nomad/keys.ts';
import type { Job } from '../nomad/schema.ts';
import { translate } from '../translate/index.ts';
import type { TranslatorOptions } from '../translate/options.ts';
import type { Warning } from '../translate/types.ts';

export type Verdict = 'runs as is' | 'runs with warnings' | 'needs action';
export const verdicts: readonly Verdict[] = ['runs as is', 'runs with warnings', 'needs action'];

/** How the target compares with what is already there (cluster or -o folder). */
export type Change = 'new' | 'changed' | 'unchanged';

/** The identity fields of a job as listed or read. */
export interface JobIdentity {
  ID: string;
  ParentID?: string | undefined;
  Dispatched?: boolean | undefined;
}

/**
 * Why a job is left out, or undefined to import it. Dispatched children (ParentID set and Dispatched,
 * or Nomad's `<parent>/dispatch-<time>-<id>` form when the list does not say) and periodic launches
 * (`<parent>/periodic-<time>`) are made again by their imported parents.
 */
export function skipReason(job: JobIdentity): string | undefined {
  const parent = job.ParentID;
  if (parent === undefined || parent === '') return undefined;
  if (job.Dispatched === true || job.ID.startsWith(`${parent}/dispatch-`)) {
    return `dispatched child of ${JSON.stringify(parent)}: dispatch it again from the imported parent`;
  }
  if (job.ID.startsWith(`${parent}/periodic-`)) {
    return `periodic launch of ${JSON.stringify(parent)}: the imported parent launches it on its schedule`;
  }
  return undefined;
}

/**
 * Job fields the source server owns (its status, versions, Raft indexes, submit time, the submitting
 * token): never part of the imported spec, as the API leaves them out of the NomadJobs it writes.
 */
const SERVER_FIELDS = [
  'Status',
  'StatusDescription',
  'Stable',
  'Version',
  'VersionTag',
  'SubmitTime',
  'CreateIndex',
  'ModifyIndex',
  'JobModifyIndex',
  'NomadTokenID',
] as const;

/** The job without the fields its source server owns. */
export function withoutServerFields(job: Job): Job {
  const out: Record<string, unknown> = { ...job };
  for (const key of SERVER_FIELDS) delete out[key];
  return out as Job;
}

/**
 * The Nomad namespace of jobs in Kubernetes namespace `kubernetesNamespace`, for an operator whose
 * Nomad `default` namespace is `defaultNamespace` and which maps other namespaces by name (the
 * identity mapping of src/nomad/ids.ts).
 */
export function nomadNamespaceOf(kubernetesNamespace: string, defaultNamespace: string): string {
  return kubernetesNamespace === defaultNamespace ? NOMAD_DEFAULT_NAMESPACE : kubernetesNamespace;
}

export interface WarningGroup {
  /** The field the warnings are about, e.g. `Vault`, `Constraints`, `Config`; `Job` for the job itself. */
  kind: string;
  warnings: Warning[];
}

/**
 * The kind of a warning: the first field of its path below the task group and task, without list
 * indexes (`TaskGroups[0].Tasks[1].Vault` → `Vault`, `TaskGroups[0].Networks[0].Mode` → `Networks`);
 * `TaskGroup` or `Task` when the path ends there, `Job` when it is empty.
 */
export function warningKind(path: string): string {
  const segments = path
    .replace(/\[[^\]]*\]/g, '')
    .split('.')
    .filter((s) => s !== '');
  if (segments.length === 0) return 'Job';
  if (segments[0] !== 'TaskGroups') return segments[0] ?? 'Job';
  if (segments.length === 1) return 'TaskGroup';
  if (segments[1] !== 'Tasks') return segments[1] ?? 'TaskGroup';
  return segments[2] ?? 'Task';
}

/** Warnings grouped by kind, kinds in alphabetical order, each group in the translator's order. */
export function groupWarnings(warnings: readonly Warning[]): WarningGroup[] {
  const groups = new Map<string, Warning[]>();
  for (const w of warnings) {
    const kind = warningKind(w.path);
    groups.set(kind, [...(groups.get(kind) ?? []), w]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([kind, list]) => ({ kind, warnings: list }));
}

export interface ObjectRef {
  kind: string;
  name: string;
}

export interface Assessment {
  /** The Kubernetes objects the job becomes (for a parameterized job: those of each dispatched child). */
  objects: ObjectRef[];
  /** Whether the objects are made per dispatch (a parameterized job) rather than once. */
  perDispatch: boolean;
  warnings: Warning[];
  verdict: Verdict;
  /** Why the verdict is `needs action`; empty otherwise. */
  reasons: string[];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'Job', 'CronJob', 'DaemonSet', 'StatefulSet']);

/**
 * What a job becomes with the operator's translator options, in Kubernetes namespace `namespace`.
 * A parameterized job runs nothing until dispatched, so it is assessed as its dispatched children are
 * translated (that is what will run); the translator's note that the parent itself runs nothing is
 * the point of a parameterized job, not a warning.
 */
export function assessJob(job: Job, namespace: string, options: TranslatorOptions): Assessment {
  const perDispatch = job.ParameterizedJob !== undefined && job.Dispatched !== true;
  const subject: Job = perDispatch
    ? { ...job, ID: `${job.ID ?? ''}/dispatch-import`, ParentID: job.ID ?? '', Dispatched: true }
    : job;
  const result = translate(subject, { ...options, namespace });
  return assessTranslation(job, result.objects, result.warnings, perDispatch);
}

/** The verdict rules of the file comment, on a translation already made. */
export function assessTranslation(
  job: Job,
  objects: readonly KubernetesObject[],
  warnings: readonly Warning[],
  perDispatch: boolean,
): Assessment {
  const reasons: string[] = [];
  const workloadGroups = new Set(
    objects
      .filter((o) => WORKLOAD_KINDS.has(o.kind ?? ''))
      .map((o) => o.metadata?.annotations?.[ANNOTATION_GROUP])
      .filter((g): g is string => g !== undefined),
  );
  const runsNothing = warnings.some((w) => w.path === 'Type' && / cannot be run/.test(w.message));
  if (runsNothing) reasons.push(`job type ${JSON.stringify(job.Type ?? 'service')} cannot be run`);
  else {
    for (const group of job.TaskGroups ?? []) {
      const name = group.Name ?? '';
      if (!workloadGroups.has(name)) reasons.push(`group ${JSON.stringify(name)} becomes no workload`);
    }
  }
  if (warnings.some((w) => w.message.startsWith('internal error')))
    reasons.push('the translator failed on it');
  const verdict: Verdict =
    reasons.length > 0 ? 'needs action' : warnings.length > 0 ? 'runs with warnings' : 'runs as is';
  return {
    objects: objects.map((o) => ({ kind: o.kind ?? 'Object', name: o.metadata?.name ?? '' })),
    perDispatch,
    warnings: [...warnings],
    verdict,
    reasons,
  };
}

/** The part of a NomadJob that an apply sets: labels, annotations and spec. */
function appliedPart(object: KubernetesObject & { spec?: unknown }): string {
  return stableJson({
    labels: object.metadata?.labels ?? {},
    annotations: object.metadata?.annotations ?? {},
    spec: object.spec ?? {},
  });
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Whether a NomadJob in the cluster holds exactly the spec the import sets (key order aside). */
export function holdsSpec(
  object: KubernetesObject & { spec?: unknown },
  intent: KubernetesObject & { spec?: unknown },
): boolean {
  return stableJson(object.spec ?? {}) === stableJson(intent.spec ?? {});
}

/**
 * How `after` (what the cluster holds once applied, or would hold on a dry run) compares with
 * `before` (what it held; undefined when there was no such object). Only the fields the import sets
 * count: the operator's own status and bookkeeping do not.
 */
export function changeOf(
  before: (KubernetesObject & { spec?: unknown }) | undefined,
  after: KubernetesObject & { spec?: unknown },
): Change {
  if (before === undefined) return 'new';
  return appliedPart(before) === appliedPart(after) ? 'unchanged' : 'changed';
}

/** The same for a file: its old text (undefined when there was none) and the new one. */
export function fileChangeOf(before: string | undefined, after: string): Change {
  if (before === undefined) return 'new';
  return before === after ? 'unchanged' : 'changed';
}
