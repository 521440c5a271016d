// Validation of the policy blocks: restart, reschedule, update, migrate, disconnect, ephemeral disk,
// periodic, parameterized and group scaling. Each function returns the error list of Nomad's
// corresponding `Validate()`; durations in messages are formatted as Go prints them.

import { cronSpecError } from '../cron.ts';
import { NS } from '../defaults.ts';
import { formatGoDuration as d } from '../duration.ts';
import { goQuote, goQuotedList, goStringList } from '../go.ts';
import type {
  DisconnectStrategy,
  EphemeralDisk,
  Job,
  MigrateStrategy,
  ParameterizedJobConfig,
  PeriodicConfig,
  ReschedulePolicy,
  RestartPolicy,
  TaskGroup,
  UpdateStrategy,
} from '../schema.ts';

const RESTART_MIN_INTERVAL = 5 * NS.second;
const RESCHEDULE_MIN_DELAY = 5 * NS.second;
const RESCHEDULE_MIN_INTERVAL = 15 * NS.second;
const DELAY_FUNCTIONS = ['constant', 'exponential', 'fibonacci'];

export function restartPolicyErrors(r: RestartPolicy): string[] {
  const errors: string[] = [];
  const mode = r.Mode ?? '';
  const attempts = r.Attempts ?? 0;
  const interval = r.Interval ?? 0;
  const delay = r.Delay ?? 0;
  if (mode !== 'delay' && mode !== 'fail') errors.push(`Unsupported restart mode: ${goQuote(mode)}`);
  if (attempts === 0 && mode !== 'fail') {
    errors.push(`Restart policy ${goQuote(mode)} with ${attempts} attempts is ambiguous`);
  }
  if (interval < RESTART_MIN_INTERVAL) {
    errors.push(`Interval can not be less than ${d(RESTART_MIN_INTERVAL)} (got ${d(interval)})`);
  }
  if (attempts * delay > interval) {
    errors.push(
      `Nomad can't restart the TaskGroup ${attempts} times in an interval of ${d(interval)} with a delay of ${d(delay)}`,
    );
  }
  return errors;
}

/** Go's `Duration.Round(time.Second)`: halves round away from zero. */
function roundToSecond(ns: number): number {
  return Math.sign(ns) * Math.round(Math.abs(ns) / NS.second) * NS.second;
}

/**
 * Whether `Attempts` reschedules fit into `Interval` given the delay function (Nomad's
 * viableAttempts), how many do, and the interval that would fit them all.
 */
function viableAttempts(
  r: Required<Pick<ReschedulePolicy, 'Attempts' | 'Interval' | 'Delay' | 'MaxDelay'>> & {
    DelayFunction: string;
  },
): { ok: boolean; possible: number; recommended: number } {
  let possible = 0;
  let recommended = 0;
  let ok = true;
  if (r.DelayFunction === 'constant') {
    recommended = r.Attempts * r.Delay;
    if (r.Interval < recommended) {
      possible = Math.trunc(r.Interval / r.Delay);
      ok = false;
    }
  } else if (r.DelayFunction === 'exponential') {
    for (let i = 0; i < r.Attempts; i++) {
      const next = 2 ** i * r.Delay;
      if (next > r.MaxDelay) recommended += r.MaxDelay;
      else recommended = next;
      if (recommended < r.Interval) possible++;
    }
    ok = possible >= r.Attempts;
  } else if (r.DelayFunction === 'fibonacci') {
    const slots = [r.Delay, r.Delay];
    let reachedCeiling = false;
    for (let i = 2; i < r.Attempts; i++) {
      const previous = slots[i - 1] ?? 0;
      let next: number;
      if (reachedCeiling) next = previous + r.MaxDelay;
      else {
        next = previous + (slots[i - 2] ?? 0);
        if (next > r.MaxDelay) {
          next = r.MaxDelay;
          reachedCeiling = true;
        }
      }
      slots.push(next);
    }
    recommended = slots[slots.length - 1] ?? 0;
    if (r.Interval < recommended) {
      ok = false;
      const firstTooLong = slots.findIndex((slot) => slot > r.Interval);
      if (firstTooLong >= 0) possible = firstTooLong;
    }
  } else {
    return { ok: false, possible: 0, recommended: 0 };
  }
  return { ok, possible: Math.max(possible, 0), recommended };
}

export function reschedulePolicyErrors(r: ReschedulePolicy): string[] {
  const attempts = r.Attempts ?? 0;
  const unlimited = r.Unlimited ?? false;
  // A policy that never reschedules has nothing to check.
  if (!(attempts > 0 || unlimited)) return [];
  const interval = r.Interval ?? 0;
  const delay = r.Delay ?? 0;
  const maxDelay = r.MaxDelay ?? 0;
  const delayFunction = r.DelayFunction ?? '';
  const errors: string[] = [];

  if (attempts > 0) {
    if (interval <= 0) errors.push('Interval must be a non zero value if Attempts > 0');
    if (unlimited) {
      errors.push(
        `Reschedule Policy with Attempts = ${attempts}, Interval = ${d(interval)}, and Unlimited = ${unlimited} is ambiguous`,
        'If Attempts >0, Unlimited cannot also be set to true',
      );
    }
  }

  let delaysValid = true;
  if (delay < RESCHEDULE_MIN_DELAY) {
    errors.push(`Delay cannot be less than ${d(RESCHEDULE_MIN_DELAY)} (got ${d(delay)})`);
    delaysValid = false;
  }
  if (!DELAY_FUNCTIONS.includes(delayFunction)) {
    errors.push(
      `Invalid delay function ${goQuote(delayFunction)}, must be one of ${goQuotedList(DELAY_FUNCTIONS)}`,
    );
    delaysValid = false;
  }
  if (delayFunction !== 'constant') {
    if (maxDelay < RESCHEDULE_MIN_DELAY) {
      // Nomad prints Delay, not MaxDelay, as the "got" value here; kept for identical text.
      errors.push(`Max Delay cannot be less than ${d(RESCHEDULE_MIN_DELAY)} (got ${d(delay)})`);
      delaysValid = false;
    }
    if (maxDelay < delay) {
      errors.push(`Max Delay cannot be less than Delay ${d(delay)} (got ${d(maxDelay)})`);
      delaysValid = false;
    }
  }

  if (!unlimited) {
    if (interval < RESCHEDULE_MIN_INTERVAL) {
      errors.push(`Interval cannot be less than ${d(RESCHEDULE_MIN_INTERVAL)} (got ${d(interval)})`);
    }
    if (!delaysValid) return errors;
    const viable = viableAttempts({
      Attempts: attempts,
      Interval: interval,
      Delay: delay,
      MaxDelay: maxDelay,
      DelayFunction: delayFunction,
    });
    if (!viable.ok) {
      errors.push(
        delayFunction === 'constant'
          ? `Nomad can only make ${viable.possible} attempts in ${d(interval)} with initial delay ${d(delay)} and delay function ${goQuote(delayFunction)}`
          : `Nomad can only make ${viable.possible} attempts in ${d(interval)} with initial delay ${d(delay)}, delay function ${goQuote(delayFunction)}, and delay ceiling ${d(maxDelay)}`,
        `Set the interval to at least ${d(roundToSecond(viable.recommended))} to accommodate ${attempts} attempts`,
      );
    }
  }
  return errors;
}

export function updateStrategyErrors(u: UpdateStrategy): string[] {
  const errors: string[] = [];
  const healthCheck = u.HealthCheck ?? '';
  const maxParallel = u.MaxParallel ?? 0;
  const canary = u.Canary ?? 0;
  const minHealthy = u.MinHealthyTime ?? 0;
  const healthyDeadline = u.HealthyDeadline ?? 0;
  const progressDeadline = u.ProgressDeadline ?? 0;
  const stagger = u.Stagger ?? 0;
  if (!['checks', 'task_states', 'manual'].includes(healthCheck)) {
    errors.push(`Invalid health check given: ${goQuote(healthCheck)}`);
  }
  if (maxParallel < 0) errors.push(`Max parallel can not be less than zero: ${maxParallel} < 0`);
  if (canary < 0) errors.push(`Canary count can not be less than zero: ${canary} < 0`);
  if (canary === 0 && u.AutoPromote) errors.push('Auto Promote requires a Canary count greater than zero');
  if (minHealthy < 0) errors.push(`Minimum healthy time may not be less than zero: ${d(minHealthy)}`);
  if (healthyDeadline <= 0) errors.push(`Healthy deadline must be greater than zero: ${d(healthyDeadline)}`);
  if (progressDeadline < 0) errors.push(`Progress deadline must be zero or greater: ${d(progressDeadline)}`);
  if (minHealthy >= healthyDeadline) {
    errors.push(
      `Minimum healthy time must be less than healthy deadline: ${d(minHealthy)} > ${d(healthyDeadline)}`,
    );
  }
  if (progressDeadline !== 0 && healthyDeadline >= progressDeadline) {
    errors.push(
      `Healthy deadline must be less than progress deadline: ${d(healthyDeadline)} > ${d(progressDeadline)}`,
    );
  }
  if (stagger <= 0) errors.push(`Stagger must be greater than zero: ${d(stagger)}`);
  return errors;
}

export function migrateStrategyErrors(m: MigrateStrategy): string[] {
  const errors: string[] = [];
  const maxParallel = m.MaxParallel ?? 0;
  const healthCheck = m.HealthCheck ?? '';
  const minHealthy = m.MinHealthyTime ?? 0;
  const healthyDeadline = m.HealthyDeadline ?? 0;
  if (maxParallel < 0) errors.push(`MaxParallel must be >= 0 but found ${maxParallel}`);
  if (healthCheck === '') {
    if (maxParallel > 0) errors.push('Missing HealthCheck');
  } else if (healthCheck !== 'checks' && healthCheck !== 'task_states') {
    errors.push(`Invalid HealthCheck: ${goQuote(healthCheck)}`);
  }
  if (minHealthy < 0) errors.push(`MinHealthyTime is ${d(minHealthy)} and must be >= 0`);
  if (healthyDeadline < 0) errors.push(`HealthyDeadline is ${d(healthyDeadline)} and must be >= 0`);
  if (minHealthy > healthyDeadline) errors.push('MinHealthyTime must be less than HealthyDeadline');
  return errors;
}

export function disconnectErrors(ds: DisconnectStrategy, jobType: string): string[] {
  const errors: string[] = [];
  const lostAfter = ds.LostAfter ?? 0;
  if (ds.StopOnClientAfter !== undefined) {
    if (ds.StopOnClientAfter < 0) errors.push('stop_after cannot be a negative duration');
    if (jobType !== 'service' && jobType !== 'batch') {
      errors.push('stop_after can only be used with service or batch job types');
    }
  }
  if (lostAfter < 0) errors.push('lost_after cannot be a negative duration');
  if (ds.StopOnClientAfter !== undefined && lostAfter !== 0) {
    errors.push('Disconnect cannot be configured with both lost_after and stop_after');
  }
  const reconcile = ds.Reconcile ?? '';
  if (!['', 'best_score', 'longest_running', 'keep_original', 'keep_replacement'].includes(reconcile)) {
    errors.push(`reconcile option is invalid: ${reconcile}`);
  }
  return errors;
}

/** EphemeralDisk.Validate returns a plain error, not a list: at most one entry. */
export function ephemeralDiskErrors(disk: EphemeralDisk): string[] {
  const size = disk.SizeMB ?? 0;
  return size < 10 ? [`minimum DiskMB value is 10; got ${size}`] : [];
}

/**
 * Go's time.LoadLocation accepts IANA names plus "UTC" and "Local". Intl is asked only about other
 * names: its first use loads ICU's time zone data (about 8 MiB resident).
 */
function timeZoneError(zone: string): string | undefined {
  if (zone === 'UTC' || zone === 'Local') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `unknown time zone ${zone}`;
  }
}

export function periodicErrors(p: PeriodicConfig): string[] {
  // Go's zero value: a block that is unset or false is not checked.
  if (!p.Enabled) return [];
  const errors: string[] = [];
  const spec = p.Spec ?? '';
  const specs = p.Specs ?? [];
  if (spec !== '' && specs.length !== 0) errors.push('Only cron or crons may be used');
  if (spec === '' && specs.length === 0) errors.push('Must specify a spec');
  const zone = p.TimeZone ?? '';
  if (zone !== '') {
    const error = timeZoneError(zone);
    if (error) errors.push(`Invalid time zone ${goQuote(zone)}: ${error}`);
  }
  const specType = p.SpecType ?? '';
  if (specType === 'cron') {
    for (const s of spec === '' ? specs : [spec, ...specs]) {
      const error = cronSpecError(s);
      if (error) errors.push(`Invalid cron spec ${goQuote(s)}: ${error}`);
    }
  } else if (specType !== 'test') {
    errors.push(`Unknown periodic specification type ${goQuote(specType)}`);
  }
  return errors;
}

export function parameterizedErrors(p: ParameterizedJobConfig): string[] {
  const errors: string[] = [];
  const payload = p.Payload ?? '';
  if (!['optional', 'required', 'forbidden'].includes(payload)) {
    errors.push(`Unknown payload requirement: ${goQuote(payload)}`);
  }
  const required = new Set(p.MetaRequired ?? []);
  const both = (p.MetaOptional ?? []).filter((key) => required.has(key));
  if (both.length > 0) {
    errors.push(
      `Required and optional meta keys should be disjoint. Following keys exist in both: ${goStringList(both)}`,
    );
  }
  return errors;
}

/** TaskGroup.validateScalingPolicy: the group scaling block against itself and the group count. */
export function groupScalingErrors(group: TaskGroup, job: Job): string[] {
  const policy = group.Scaling;
  if (!policy) return [];
  const errors: string[] = [];
  const type = policy.Type ?? '';
  // An unset Max reaches Nomad's validation as -1 ("must be specified").
  const max = policy.Max ?? -1;
  const min = policy.Min ?? 0;
  const count = group.Count ?? 0;

  const policyErrors: string[] = [];
  if (type === '') policyErrors.push('missing scaling policy type');
  else if (type !== 'horizontal') policyErrors.push(`scaling policy type "${type}" is not valid`);
  else if (policy.Target && Object.keys(policy.Target).length > 0) {
    if (!policy.Target.Namespace) policyErrors.push('missing target namespace');
    if (!policy.Target.Job) policyErrors.push('missing target job');
    if (!policy.Target.Group) policyErrors.push('missing target group');
  }
  if (max < 0) policyErrors.push('maximum count must be specified and non-negative');
  else if (max < min) policyErrors.push('maximum count must not be less than minimum count');
  if (min < 0) policyErrors.push('minimum count must be specified and non-negative');
  errors.push(...policyErrors.map((e) => `Scaling policy invalid: ${e}`));

  if (max < count) {
    errors.push(
      'Scaling policy invalid: task group count must not be greater than maximum count in scaling policy',
    );
  }
  const multiregionPlaceholder = isMultiregion(job) && count === 0 && job.Region === 'global';
  if (count < min && !multiregionPlaceholder) {
    errors.push(
      'Scaling policy invalid: task group count must not be less than minimum count in scaling policy',
    );
  }
  return errors;
}

export function isMultiregion(job: Job): boolean {
  return (job.Multiregion?.Regions?.length ?? 0) > 0;
}
