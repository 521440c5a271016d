// One workload per task group (none for a group of count 0, see below), by job type:
//
//   service          → Deployment. count → replicas. The update block: max_parallel → maxUnavailable
//                      (Nomad stops max_parallel old allocations, then places new ones; maxSurge 0),
//                      max_parallel = 0 → Recreate (Nomad then replaces everything at once),
//                      min_healthy_time → minReadySeconds, progress_deadline → progressDeadlineSeconds
//                      (0 = none → 2^31-1, which Kubernetes reads as "no deadline").
//                      Canaries: Kubernetes Deployments have no canary phase. `canary = N` becomes
//                      maxSurge N with maxUnavailable 0: N new pods start beside the old ones, and no old
//                      pod stops before a new one is ready (Nomad never stops an old allocation for a
//                      canary). The rollout then goes on once they are ready, as with auto_promote, one
//                      surge of N at a time. Manual promotion, auto_revert and healthy_deadline have no
//                      Deployment equivalent (warnings; hold a rollout with `kubectl rollout pause`, undo
//                      it with `kubectl rollout undo`). Reschedule limits and delays are warned: the
//                      kubelet restarts failed containers in place and the Deployment replaces lost pods.
//   batch            → Job, Indexed (the completion index is Nomad's alloc index), count → parallelism
//                      and completions. Restart policy → pod restartPolicy (pod-template.ts); the failures
//                      Nomad tolerates per allocation, (restart attempts + 1) × (reschedule attempts + 1)
//                      - 1, times count → backoffLimit (2^31-1 when restart mode is "delay" or rescheduling
//                      is unlimited). Reschedule delays become the Job controller's own back-off (warning).
//   periodic batch   → CronJob (one per cron spec when `crons` lists several), with the same Job inside.
//                      prohibit_overlap → concurrencyPolicy Forbid (else Allow), time_zone → timeZone,
//                      enabled = false → suspend. Nomad cron specs are rewritten to Kubernetes' five fields
//                      (seconds must be 0, years `*`; `L`, `W`, `#` cannot be expressed: warning, no CronJob).
//   parameterized    → nothing until dispatched (index.ts); a dispatched child (`Dispatched: true`) is
//                      translated like any batch job.
//   system           → DaemonSet; max_parallel → maxUnavailable, min_healthy_time → minReadySeconds.
//                      DaemonSets have no canaries, no per-pod or rollout deadline and no manual health:
//                      canary, auto_promote, healthy_deadline, progress_deadline, health_check "manual",
//                      stagger and auto_revert are each warned when they differ from Nomad's default.
//                      (Nomad refuses an update block in batch and sysbatch jobs: nothing to convert.)
//   sysbatch         → a run-once DaemonSet: the tasks are init containers (run once, in order, on every
//                      eligible node) followed by a pause container that keeps the finished pod in place,
//                      so the DaemonSet controller does not run the tasks again. Why not a Job per node:
//                      the translator knows no nodes (no I/O), Kubernetes has no "one Job per node"
//                      controller, and a Job per node would have to be re-planned by the reconciler as
//                      nodes come and go. The DaemonSet keeps Nomad's semantics (each eligible node runs
//                      the tasks to completion once per job version, new nodes included) with the
//                      scheduler's own node selection; a task's completion shows in the pod's
//                      init-container statuses. Periodic sysbatch: the schedule is not converted (warning).
//
// count = 0: Nomad places nothing for such a group, whatever the job type (its schedulers place `count`
// allocations; a system or sysbatch group, `count` per node). A Deployment scaled to zero is the same
// thing (replicas 0). A Job, CronJob or DaemonSet has no such state — a Job of zero completions would
// still be a run, a CronJob would launch one at every tick, a DaemonSet runs on every node — so the
// group gets no workload (groupPlacesNothing), while its ConfigMaps, Secrets, claims and Services stay:
// a later count needs them, and pruning a claim would delete its data. Job status: src/jobs/status.ts.
import type {
  KubernetesObject,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1DeploymentStrategy,
  V1Job,
  V1JobSpec,
  V1ObjectMeta,
} from '@kubernetes/client-node';
import { cronSpecError, parseCronSchedule } from '../nomad/cron.ts';
import { NOMAD_DEFAULTS } from '../nomad/defaults.ts';
import { boundedChildName, childName } from '../nomad/ids.ts';
import { ANNOTATION_CRON, ANNOTATION_JOB_TYPE } from '../nomad/keys.ts';
import type { TaskGroup } from '../nomad/schema.ts';
import { groupServices } from './networking.ts';
import {
  type GroupPod,
  groupAnnotations,
  groupPodTemplate,
  groupRestarts,
  type PodMode,
  seconds,
} from './pod-template.ts';
import type { GroupContext } from './types.ts';

const INT32_MAX = 2_147_483_647;
/** Largest completions/parallelism of an Indexed Job. */
const MAX_INDEXED = 100_000;
/** Longest CronJob name: the controller appends `-<11 digits>` to name its Jobs. */
export const CRONJOB_NAME_MAX_LENGTH = 52;

/** The kinds the pods of a group run in (one per group, or none: workloadOf). */
export const WORKLOAD_KINDS = ['Deployment', 'Job', 'CronJob', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** The pod mode and workload kind of a job's groups; undefined for job types that run nothing. */
export function workloadOf(
  jobType: string,
  periodic: boolean,
): { mode: PodMode; kind: WorkloadKind } | undefined {
  switch (jobType) {
    case 'service':
      return { mode: 'service', kind: 'Deployment' };
    case 'batch':
      return { mode: 'batch', kind: periodic ? 'CronJob' : 'Job' };
    case 'system':
      return { mode: 'system', kind: 'DaemonSet' };
    case 'sysbatch':
      return { mode: 'sysbatch', kind: 'DaemonSet' };
    default:
      return undefined;
  }
}

function metadata(ctx: GroupContext, name: string, extra: Record<string, string> = {}): V1ObjectMeta {
  return {
    name,
    namespace: ctx.options.namespace,
    labels: { ...ctx.labels },
    annotations: { ...groupAnnotations(ctx), [ANNOTATION_JOB_TYPE]: ctx.job.Type ?? 'service', ...extra },
  };
}

/**
 * Whether Nomad places no allocation for the group: `count = 0` (canonicalization fills the default
 * 1). True for every job type: Nomad's system and sysbatch schedulers place a group `count` times on a
 * node too.
 */
export function groupPlacesNothing(group: TaskGroup): boolean {
  return (group.Count ?? 1) === 0;
}

function count(ctx: GroupContext): number {
  const n = ctx.group.Count ?? 1;
  return Number.isInteger(n) && n > 0 ? Math.min(n, INT32_MAX) : 0;
}

function isDefault(value: number | undefined, fallback: number): boolean {
  return value === undefined || value === fallback;
}

// ---------------------------------------------------------------------------------------------------
// service → Deployment

function deploymentStrategy(
  ctx: GroupContext,
): Pick<NonNullable<V1Deployment['spec']>, 'strategy' | 'minReadySeconds' | 'progressDeadlineSeconds'> {
  const u = ctx.group.Update;
  if (!u) return {};
  const path = `${ctx.path}.Update`;
  const defaults = NOMAD_DEFAULTS.api.update;
  const maxParallel = u.MaxParallel ?? 0;
  const canary = Math.max(0, u.Canary ?? 0);
  let strategy: V1DeploymentStrategy;
  if (maxParallel <= 0) {
    strategy = { type: 'Recreate' };
    if (canary > 0)
      ctx.warn(`${path}.Canary`, 'canaries need max_parallel > 0; the Deployment replaces all pods at once');
  } else {
    // With canaries no old pod may stop before a new one is ready: Nomad keeps every old allocation
    // running until the canaries are healthy and promoted.
    strategy = {
      type: 'RollingUpdate',
      rollingUpdate:
        canary > 0
          ? { maxSurge: Math.min(canary, INT32_MAX), maxUnavailable: 0 }
          : { maxSurge: 0, maxUnavailable: Math.min(maxParallel, INT32_MAX) },
    };
    if (canary > 0) {
      ctx.warn(
        `${path}.Canary`,
        u.AutoPromote === true
          ? `canaries become maxSurge ${canary} with maxUnavailable 0: ${canary} new pod(s) start beside the old ones, no old pod stops before a new one is ready, and the rollout continues ${canary} at a time once they are ready`
          : `canaries become maxSurge ${canary} with maxUnavailable 0: ${canary} new pod(s) start beside the old ones and no old pod stops before a new one is ready, but the rollout continues once they are ready without waiting for a promotion (pause it with kubectl rollout pause)`,
      );
    }
  }
  const out: ReturnType<typeof deploymentStrategy> = { strategy };
  const minReady = seconds(u.MinHealthyTime);
  if (minReady > 0) out.minReadySeconds = minReady;
  let progress = (u.ProgressDeadline ?? 0) > 0 ? seconds(u.ProgressDeadline) : INT32_MAX;
  if (progress <= minReady) {
    ctx.warn(
      `${path}.ProgressDeadline`,
      'progress_deadline must exceed min_healthy_time in Kubernetes; it is set one second above',
    );
    progress = Math.min(INT32_MAX, minReady + 1);
  }
  out.progressDeadlineSeconds = progress;
  if (u.AutoRevert === true) {
    ctx.warn(
      `${path}.AutoRevert`,
      'auto_revert is not converted: Deployments do not roll back by themselves (kubectl rollout undo)',
    );
  }
  if (!isDefault(u.HealthyDeadline, defaults.HealthyDeadline)) {
    ctx.warn(
      `${path}.HealthyDeadline`,
      'healthy_deadline is not converted: Deployments only have a deadline for the whole rollout (progress_deadline)',
    );
  }
  if (u.HealthCheck === 'manual') {
    ctx.warn(
      `${path}.HealthCheck`,
      'health_check "manual" is not converted: a pod counts as healthy when its containers are ready',
    );
  }
  return out;
}

function deployment(ctx: GroupContext, pod: GroupPod): V1Deployment {
  rescheduleWarnings(ctx);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(ctx, childName(ctx.jobName, ctx.group.Name ?? '')),
    spec: {
      replicas: count(ctx),
      selector: { matchLabels: { ...ctx.selector } },
      ...deploymentStrategy(ctx),
      template: pod.template,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// batch → Job, periodic batch → CronJob

/** Failures the Job tolerates: what Nomad tolerates per allocation, times the allocations. */
export function backoffLimit(ctx: GroupContext): number {
  // The tasks' restart policies (the group's, with a task's own block over it), the most attempts.
  const restart = groupRestarts(ctx);
  const reschedule = ctx.group.ReschedulePolicy;
  if (restart.unlimited || reschedule?.Unlimited === true) return INT32_MAX;
  const restarts = restart.attempts;
  const reschedules = Math.max(0, reschedule?.Attempts ?? 0);
  const perAllocation = (restarts + 1) * (reschedules + 1) - 1;
  return Math.min(INT32_MAX, perAllocation * Math.max(1, count(ctx)));
}

/** A duration for messages: `90s`, `2h`, `1h30m`. */
function durationText(ns: number): string {
  let rest = Math.round(ns / 1e9);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/**
 * Reschedule settings the controllers cannot honour, one warning naming them with their values (so a
 * different value is a different warning). Service jobs: a Deployment replaces failed pods without
 * limit and the kubelet restarts failed containers in place with its own back-off; batch jobs: the Job
 * controller retries failed pods with its own back-off (attempts count towards backoffLimit).
 */
function rescheduleWarnings(ctx: GroupContext): void {
  const r = ctx.group.ReschedulePolicy;
  if (!r) return;
  const path = `${ctx.path}.ReschedulePolicy`;
  const type = ctx.job.Type ?? 'service';
  const defaults =
    type === 'service'
      ? NOMAD_DEFAULTS.api.reschedule.service
      : type === 'batch'
        ? NOMAD_DEFAULTS.api.reschedule.batch
        : NOMAD_DEFAULTS.api.reschedule.other;
  if (type === 'service' && r.Unlimited !== true) {
    ctx.warn(
      path,
      `a limited number of reschedules (attempts ${r.Attempts ?? 0} in ${durationText(r.Interval ?? 0)}) is not converted: the Deployment replaces failed pods without limit`,
    );
  }
  const differing: string[] = [];
  if (!isDefault(r.Delay, defaults.Delay)) differing.push(`delay ${durationText(r.Delay ?? 0)}`);
  if ((r.DelayFunction ?? defaults.DelayFunction) !== defaults.DelayFunction) {
    differing.push(`delay_function ${JSON.stringify(r.DelayFunction)}`);
  }
  if (!isDefault(r.MaxDelay, defaults.MaxDelay)) differing.push(`max_delay ${durationText(r.MaxDelay ?? 0)}`);
  // A service job's interval only bounds limited reschedules, reported above.
  if (type !== 'service' && !isDefault(r.Interval, defaults.Interval)) {
    differing.push(`interval ${durationText(r.Interval ?? 0)}`);
  }
  if (differing.length === 0) return;
  ctx.warn(
    path,
    type === 'service'
      ? `reschedule ${differing.join(', ')} ${differing.length > 1 ? 'are' : 'is'} not converted: Kubernetes restarts a failed container in place with the kubelet's back-off (10s, doubling up to 5m) and replaces a lost pod at once`
      : `reschedule ${differing.join(', ')} ${differing.length > 1 ? 'are' : 'is'} not converted: the Job controller retries failed pods with its own back-off (10s, doubling up to 6m); attempts count towards backoffLimit`,
  );
}

function jobSpec(ctx: GroupContext, pod: GroupPod): V1JobSpec {
  const n = count(ctx);
  return {
    parallelism: n,
    completions: n,
    ...(n >= 1 && n <= MAX_INDEXED ? { completionMode: 'Indexed' } : {}),
    backoffLimit: backoffLimit(ctx),
    template: pod.template,
  };
}

function batchJob(ctx: GroupContext, pod: GroupPod): V1Job {
  rescheduleWarnings(ctx);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(ctx, childName(ctx.jobName, ctx.group.Name ?? '')),
    spec: jobSpec(ctx, pod),
  };
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const NAMES = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat/g;
const K8S_ALIASES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

/** Day-of-week 7 (Sunday in Nomad's parser) as 0, which Kubernetes' parser needs. */
function dayOfWeekField(field: string): string | undefined {
  const items: string[] = [];
  for (const item of field.split(',')) {
    if (/^0?7$/.test(item)) items.push('0');
    else if (/^(\w+)-0?7$/.test(item)) {
      const start = item.slice(0, item.indexOf('-'));
      items.push(/^0?6$|^sat$/.test(start) ? '6' : `${start}-6`, '0');
    } else if (/(^|[-/])0?7(\/|$)/.test(item) && !item.startsWith('*/')) return undefined;
    else items.push(item);
  }
  return items.join(',');
}

/**
 * A Nomad cron spec as a Kubernetes CronJob schedule (five fields or a macro) and, when the spec
 * carries one (`CRON_TZ=…`), a time zone. An error text when Kubernetes cannot express it.
 */
export function kubernetesSchedule(
  spec: string,
): { schedule: string; timeZone?: string } | { error: string } {
  let rest = spec.trim();
  let timeZone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(rest);
  if (tz) {
    timeZone = tz[1];
    rest = rest.slice(tz[0].length);
  }
  const invalid = cronSpecError(rest);
  if (invalid !== undefined) return { error: `invalid cron spec ${JSON.stringify(spec)}: ${invalid}` };
  const withZone = (schedule: string) => (timeZone === undefined ? { schedule } : { schedule, timeZone });
  if (rest.startsWith('@')) {
    const alias = rest.toLowerCase();
    return K8S_ALIASES.has(alias)
      ? withZone(alias)
      : { error: `cron alias ${rest} has no Kubernetes equivalent` };
  }
  let fields = rest.split(/\s+/).slice(0, 7);
  if (fields.length === 7) {
    if (!/^0?0$/.test(fields[0] ?? '')) {
      return {
        error: `cron spec ${JSON.stringify(spec)} runs at seconds past the minute; CronJobs run on whole minutes`,
      };
    }
    fields = fields.slice(1);
  }
  if (fields.length === 6) {
    if (!/^[*?]$/.test(fields[5] ?? '')) {
      return {
        error: `cron spec ${JSON.stringify(spec)} restricts the year; CronJob schedules have no year field`,
      };
    }
    fields = fields.slice(0, 5);
  }
  if (fields.length !== 5) return { error: `cron spec ${JSON.stringify(spec)} does not have five fields` };
  const out: string[] = [];
  for (const [i, raw] of fields.entries()) {
    let field = raw.toLowerCase().replace(/\?/g, '*');
    if (i === 3) for (const m of MONTHS) field = field.replaceAll(m, m.slice(0, 3));
    if (i === 4) for (const d of DAYS) field = field.replaceAll(d, d.slice(0, 3));
    if (/[lw#]/.test(field.replace(NAMES, ''))) {
      return {
        error: `cron spec ${JSON.stringify(spec)} uses L, W or # (last day, weekday, nth weekday), which CronJobs do not support`,
      };
    }
    if (i === 4) {
      const dow = dayOfWeekField(field);
      if (dow === undefined) {
        return {
          error: `cron spec ${JSON.stringify(spec)} uses 7 for Sunday in a way CronJobs cannot express`,
        };
      }
      field = dow;
    }
    out.push(field);
  }
  return withZone(out.join(' '));
}

/** Whether a time zone name is one the runtime's tz database knows (Kubernetes checks the same). */
function knownTimeZone(name: string): boolean {
  if (name === 'Local' || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  // UTC without Intl: its first use loads ICU's time zone data (about 8 MiB resident).
  if (name === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Nomad launches a periodic job once per time any of its crons names, all groups together, and
 * prohibit_overlap skips a launch while any run of the job is still running. Here every group and
 * every cron entry is a CronJob of its own, which Kubernetes schedules apart: said once per job (every
 * group that makes CronJobs says it; the translation keeps one of equal warnings).
 */
function launchWarnings(ctx: GroupContext, specs: readonly string[]): void {
  const overlap = ctx.job.Periodic?.ProhibitOverlap === true;
  // Groups of count 0 make no CronJob.
  const groups = (ctx.job.TaskGroups ?? []).filter((g) => !groupPlacesNothing(g)).length;
  const schedules = specs.map((spec) => kubernetesSchedule(spec));
  const coincide = schedules.some((a, i) => schedules.slice(i + 1).some((b) => mayCoincide(a, b)));
  if (specs.length > 1 && (coincide || overlap)) {
    const parts = [
      ...(coincide ? ['at a time two entries share, two runs start (Nomad launches one)'] : []),
      ...(overlap ? ['prohibit_overlap only keeps apart the runs of the same entry'] : []),
    ];
    ctx.warn(
      'Periodic.Specs',
      `each cron entry is a CronJob of its own: ${parts.join(', and ')}${coincide ? '; where entries coincide, merge them into one cron expression' : ''}`,
    );
  }
  if (overlap && groups > 1) {
    ctx.warn(
      'Periodic.ProhibitOverlap',
      `each of the ${groups} task groups is a CronJob of its own: prohibit_overlap keeps apart the runs of one group, while Nomad skips a launch while any group of the job still runs`,
    );
  }
}

/**
 * Whether two Kubernetes schedules may fire in the same minute: their minutes, hours and months
 * intersect, and their days do (compared when both restrict the same day field; otherwise assumed).
 * A schedule the cron parser (src/nomad/cron.ts) cannot read counts as intersecting.
 */
function mayCoincide(
  a: ReturnType<typeof kubernetesSchedule>,
  b: ReturnType<typeof kubernetesSchedule>,
): boolean {
  if ('error' in a || 'error' in b) return false; // no CronJob is made of it
  if ((a.timeZone ?? '') !== (b.timeZone ?? '')) return true;
  const x = parseCronSchedule(a.schedule);
  const y = parseCronSchedule(b.schedule);
  if (!x || !y) return true;
  const meet = (p: Set<number>, q: Set<number>) => [...p].some((v) => q.has(v));
  if (!meet(x.minutes, y.minutes) || !meet(x.hours, y.hours) || !meet(x.months, y.months)) return false;
  if (x.dayStar && y.dayStar && !x.weekdayStar && !y.weekdayStar) return meet(x.weekdays, y.weekdays);
  if (x.weekdayStar && y.weekdayStar && !x.dayStar && !y.dayStar) return meet(x.days, y.days);
  return true;
}

function cronJobs(ctx: GroupContext, pod: GroupPod): V1CronJob[] {
  const periodic = ctx.job.Periodic ?? {};
  const path = 'Periodic';
  const specs =
    (periodic.Specs ?? []).length > 0 ? (periodic.Specs ?? []) : periodic.Spec ? [periodic.Spec] : [];
  if (specs.length === 0) {
    ctx.warn(path, 'periodic block without a cron spec: no CronJob is created');
    return [];
  }
  if ((periodic.SpecType ?? 'cron') !== 'cron') {
    ctx.warn(
      `${path}.SpecType`,
      `spec type ${JSON.stringify(periodic.SpecType)} is not supported: no CronJob is created`,
    );
    return [];
  }
  let zone = periodic.TimeZone || 'UTC';
  if (!knownTimeZone(zone)) {
    ctx.warn(
      `${path}.TimeZone`,
      `time zone ${JSON.stringify(zone)} is not an IANA time zone name; the schedule uses UTC`,
    );
    zone = 'UTC';
  }
  rescheduleWarnings(ctx);
  launchWarnings(ctx, specs);
  const out: V1CronJob[] = [];
  const group = ctx.group.Name ?? '';
  specs.forEach((spec, i) => {
    const specPath = (periodic.Specs ?? []).length > 0 ? `${path}.Specs[${i}]` : `${path}.Spec`;
    const schedule = kubernetesSchedule(spec);
    if ('error' in schedule) {
      ctx.warn(specPath, `${schedule.error}; no CronJob is created for it`);
      return;
    }
    let timeZone = zone;
    if (schedule.timeZone !== undefined) {
      if (knownTimeZone(schedule.timeZone)) timeZone = schedule.timeZone;
      else
        ctx.warn(
          specPath,
          `time zone ${JSON.stringify(schedule.timeZone)} is unknown; the schedule uses ${timeZone}`,
        );
    }
    const name =
      specs.length === 1
        ? boundedChildName(CRONJOB_NAME_MAX_LENGTH, ctx.jobName, group)
        : boundedChildName(CRONJOB_NAME_MAX_LENGTH, ctx.jobName, group, `cron-${i}`);
    const cronJob: V1CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: metadata(ctx, name, { [ANNOTATION_CRON]: spec }),
      spec: {
        schedule: schedule.schedule,
        timeZone,
        concurrencyPolicy: periodic.ProhibitOverlap === true ? 'Forbid' : 'Allow',
        ...(periodic.Enabled === false ? { suspend: true } : {}),
        jobTemplate: {
          metadata: { labels: { ...ctx.labels }, annotations: { ...groupAnnotations(ctx) } },
          spec: jobSpec(ctx, pod),
        },
      },
    };
    out.push(cronJob);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// system / sysbatch → DaemonSet

/** The update fields of a system job that a DaemonSet cannot honour, each warned when not the default. */
function systemUpdateWarnings(ctx: GroupContext, u: NonNullable<GroupContext['group']['Update']>): void {
  const path = `${ctx.path}.Update`;
  const defaults = NOMAD_DEFAULTS.api.update;
  if ((u.Canary ?? 0) > 0) {
    ctx.warn(
      `${path}.Canary`,
      `canary ${u.Canary} (percent of the nodes) is not converted: a DaemonSet has no canary phase and replaces the pods of max_parallel nodes at a time, each as soon as the node's new pod is ready; to try a new version on a few nodes first, run it as a separate job constrained to them`,
    );
  }
  if (u.AutoPromote === true) {
    ctx.warn(`${path}.AutoPromote`, 'auto_promote has no effect: a DaemonSet has no canaries to promote');
  }
  if (!isDefault(u.HealthyDeadline, defaults.HealthyDeadline)) {
    ctx.warn(
      `${path}.HealthyDeadline`,
      'healthy_deadline is not converted: a DaemonSet waits for each new pod to become ready without a deadline',
    );
  }
  if (!isDefault(u.ProgressDeadline, defaults.ProgressDeadline)) {
    ctx.warn(
      `${path}.ProgressDeadline`,
      'progress_deadline is not converted: DaemonSets have no progress deadline (watch kubectl rollout status with a timeout)',
    );
  }
  if (u.HealthCheck === 'manual') {
    ctx.warn(
      `${path}.HealthCheck`,
      'health_check "manual" is not converted: a pod counts as healthy when its containers are ready',
    );
  }
}

function daemonSet(ctx: GroupContext, pod: GroupPod, runOnce: boolean): V1DaemonSet {
  const u = ctx.group.Update;
  const path = `${ctx.path}.Update`;
  const maxParallel = u?.MaxParallel ?? 0;
  const spec: NonNullable<V1DaemonSet['spec']> = {
    selector: { matchLabels: { ...ctx.selector } },
    template: pod.template,
    updateStrategy: {
      type: 'RollingUpdate',
      rollingUpdate: {
        maxSurge: 0,
        maxUnavailable: !runOnce && maxParallel > 0 ? Math.min(maxParallel, INT32_MAX) : '100%',
      },
    },
  };
  if (!runOnce && u) {
    const minReady = seconds(u.MinHealthyTime);
    if (minReady > 0) spec.minReadySeconds = minReady;
    systemUpdateWarnings(ctx, u);
    if (!isDefault(u.Stagger, NOMAD_DEFAULTS.api.update.Stagger)) {
      ctx.warn(
        `${path}.Stagger`,
        'stagger is not converted: DaemonSets update the next nodes as soon as pods are ready',
      );
    }
    if (u.AutoRevert === true) {
      ctx.warn(
        `${path}.AutoRevert`,
        'auto_revert is not converted: DaemonSets do not roll back by themselves',
      );
    }
  }
  if (runOnce && ctx.job.Periodic) {
    const p = ctx.job.Periodic;
    const specs = [...(p.Spec ? [p.Spec] : []), ...(p.Specs ?? [])];
    ctx.warn(
      'Periodic',
      `the schedule of a periodic sysbatch job${specs.length > 0 ? ` (${specs.map((s) => JSON.stringify(s)).join(', ')})` : ''} is not converted: the DaemonSet runs the tasks once on every node when created or changed (Kubernetes has no periodic per-node workload); to run them on a schedule, make it a batch job (a CronJob)`,
    );
  }
  if (runOnce) {
    rescheduleWarnings(ctx);
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: metadata(ctx, childName(ctx.jobName, ctx.group.Name ?? '')),
    spec,
  };
}

/**
 * Every object of one task group: its workload(s), the Services of its services, and what its pods
 * need (ConfigMaps, Secrets, claims). Empty when the group cannot run (warnings say why).
 */
export function groupObjects(ctx: GroupContext): KubernetesObject[] {
  const jobType = ctx.job.Type ?? 'service';
  const workload = workloadOf(jobType, ctx.job.Periodic !== undefined);
  if (!workload) return [];
  const pod = groupPodTemplate(ctx, workload.mode);
  if (!pod) return [];
  const workloads: KubernetesObject[] = [];
  switch (workload.kind) {
    case 'Deployment':
      workloads.push(deployment(ctx, pod));
      break;
    case 'Job':
      workloads.push(batchJob(ctx, pod));
      break;
    case 'CronJob': {
      const jobs = cronJobs(ctx, pod);
      if (jobs.length === 0) return [];
      workloads.push(...jobs);
      break;
    }
    case 'DaemonSet':
      workloads.push(daemonSet(ctx, pod, workload.mode === 'sysbatch'));
      break;
  }
  // A group of count 0 is still built, so that its warnings say what a later count would lose; only a
  // Deployment can hold it (scaled to zero), other workloads are left out (module comment).
  const placesNothing = groupPlacesNothing(ctx.group) && workload.kind !== 'Deployment';
  const objects = placesNothing ? [] : workloads;
  objects.push(...pod.objects);
  try {
    objects.push(...groupServices(ctx));
  } catch (error) {
    ctx.warn(
      ctx.path,
      `internal error in service translation: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return objects;
}
