// Cron expressions as Nomad reads them (github.com/hashicorp/cronexpr, a fork of gorhill/cronexpr): one
// parser for both of their uses here —
// * validation: the error cronexpr's Parse returns, with its texts (Nomad puts them into
//   `Invalid cron spec "<spec>": <error>`), see cronSpecError;
// * scheduling: the next time a spec matches (the plan's NextPeriodicLaunch), see nextCronTime.
//
// Accepted forms: 5 fields (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second
// first, plus year); fields beyond the 7th are ignored. The aliases @yearly, @annually, @monthly,
// @weekly, @daily and @hourly expand to 7-field expressions. Each field is a comma list of `*` or
// `?`, a value, a range `a-b`, and steps `*/n`, `a/n`, `a-b/n`; day-of-month also takes `L`, `LW`
// and `<day>W`, day-of-week also `<day>L` and `<day>#<1-5>`. Names (jan, mon, …) are case-insensitive.
//
// Scheduling covers every form but the L, W and # ones (those specs get no next time), ignores the
// year field, and looks about a year ahead.

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** cronexpr's value regex for this field (alternatives, without anchors). */
  value: string;
  /** Names standing for values (index + min), matched on their first three letters. */
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59, value: '0?[0-9]|[1-5][0-9]' };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, value: '0?[0-9]|[1-5][0-9]' };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, value: '0?[0-9]|1[0-9]|2[0-3]' };
const DAY_OF_MONTH: FieldSpec = {
  name: 'day-of-month',
  min: 1,
  max: 31,
  value: '0?[1-9]|[12][0-9]|3[01]',
};
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  value:
    '0?[1-9]|1[012]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december',
  names: MONTHS,
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 6,
  value: '0?[0-7]|sun|mon|tue|wed|thu|fri|sat|sunday|monday|tuesday|wednesday|thursday|friday|saturday',
  names: DAYS,
};
const YEAR: FieldSpec = { name: 'year', min: 1970, max: 2099, value: '19[789][0-9]|20[0-9]{2}' };

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 * *',
  '@annually': '0 0 0 1 1 * *',
  '@monthly': '0 0 0 1 * * *',
  '@weekly': '0 0 0 * * 0 *',
  '@daily': '0 0 0 * * * *',
  '@hourly': '0 0 * * * * *',
};

/** The fields of a spec, each with what it stands for; an error when there are too few. */
function fieldsOf(spec: string): { field: string; spec: FieldSpec }[] | { error: string } {
  let expanded = spec;
  for (const [alias, replacement] of Object.entries(ALIASES))
    expanded = expanded.replaceAll(alias, replacement);
  const fields = expanded.match(/\S+/g) ?? [];
  if (fields.length < 5) return { error: 'missing field(s)' };
  const used = fields.slice(0, 7);
  const specs =
    used.length === 7
      ? [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR]
      : [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR];
  return used.flatMap((field, i) => {
    const fieldSpec = specs[i];
    return fieldSpec ? [{ field, spec: fieldSpec }] : [];
  });
}

/**
 * cronexpr converts step numbers through a lookup table of 0-59 and 1970-2099 (with optional leading
 * zero below 10); anything else reads as 0 and then fails the step range check.
 */
function stepNumber(text: string): number {
  const n = Number(text);
  const inTable = /^\d+$/.test(text) && ((n <= 59 && text.length <= 2) || (n >= 1970 && n <= 2099));
  return inTable ? n : 0;
}

/** Checks one comma-separated entry; returns an error text, `'none'` if unrecognised, or undefined. */
function checkEntry(entry: string, spec: FieldSpec): string | undefined {
  const v = `(?:${spec.value})`;
  if (/^[*?]$/.test(entry)) return undefined;
  if (new RegExp(`^${v}$`).test(entry) || new RegExp(`^${v}-${v}$`).test(entry)) return undefined;
  const step = entry.match(new RegExp(`^(?:\\*|${v}|${v}-${v})/(\\d+)$`));
  if (step) {
    const n = stepNumber(step[1] ?? '');
    return n < 1 || n > spec.max ? `invalid interval ${entry}` : undefined;
  }
  return 'none';
}

/** Extra forms only day-of-month and day-of-week accept. */
function isSpecialEntry(entry: string, spec: FieldSpec): boolean {
  const v = `(?:${spec.value})`;
  if (spec === DAY_OF_MONTH) return /^lw?$/.test(entry) || new RegExp(`^${v}w$`).test(entry);
  if (spec === DAY_OF_WEEK)
    return new RegExp(`^${v}l$`).test(entry) || new RegExp(`^${v}#[1-5]$`).test(entry);
  return false;
}

function checkField(field: string, spec: FieldSpec): string | undefined {
  const entries = field.match(/[^,]+/g) ?? [];
  if (entries.length === 0) return `${spec.name} field: missing directive`;
  // cronexpr first classifies every entry (step errors surface here), then rejects unknown ones.
  const kinds = entries.map((entry) => checkEntry(entry.toLowerCase(), spec));
  const stepError = kinds.find((k) => k !== undefined && k !== 'none');
  if (stepError) return stepError;
  const hasSpecialForms = spec === DAY_OF_MONTH || spec === DAY_OF_WEEK;
  for (const [i, entry] of entries.entries()) {
    // Quirk kept from cronexpr: in the other fields a `*` entry ends the check of its field.
    if (!hasSpecialForms && /^[*?]$/.test(entry)) return undefined;
    if (kinds[i] === 'none' && !isSpecialEntry(entry.toLowerCase(), spec)) {
      return `syntax error in ${spec.name} field: '${entry}'`;
    }
  }
  return undefined;
}

/** The error cronexpr's `Parse` would return for `spec`, or undefined when it parses. */
export function cronSpecError(spec: string): string | undefined {
  const fields = fieldsOf(spec);
  if ('error' in fields) return fields.error;
  for (const { field, spec: fieldSpec } of fields) {
    const error = checkField(field, fieldSpec);
    if (error) return error;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Scheduling

/** The values a parsed spec matches, per field (the year is not kept: it is ignored). */
export interface CronSchedule {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day-of-month or day-of-week is `*`/`?`: then both must match, else either does. */
  dayStar: boolean;
  weekdayStar: boolean;
}

function fieldValue(text: string, spec: FieldSpec): number | undefined {
  // Only what the field's value pattern takes: the L, W and # forms are no values.
  if (!new RegExp(`^(?:${spec.value})$`).test(text)) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const i = spec.names?.findIndex((n) => text.startsWith(n)) ?? -1;
  return i >= 0 ? i + spec.min : undefined;
}

/** The values of one field that checkField accepted; undefined for the L, W and # forms. */
function valuesOf(field: string, spec: FieldSpec): Set<number> | undefined {
  const out = new Set<number>();
  for (const entry of field.toLowerCase().split(',')) {
    const [range = '', stepText] = entry.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number | undefined;
    let hi: number | undefined;
    if (range === '*' || range === '?') {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = fieldValue(a, spec);
      hi = fieldValue(b, spec);
    } else {
      lo = fieldValue(range, spec);
      hi = stepText === undefined ? lo : spec.max;
    }
    if (lo === undefined || hi === undefined || !Number.isInteger(step) || step < 1) return undefined;
    // Sunday is both 0 and 7.
    for (let v = lo; v <= hi; v += step) out.add(spec === DAY_OF_WEEK && v === 7 ? 0 : v);
  }
  return out;
}

/**
 * What a spec matches, or undefined when it does not parse (cronSpecError says why) or uses a form the
 * scheduling does not cover (L, W, #).
 */
export function parseCronSchedule(spec: string): CronSchedule | undefined {
  if (cronSpecError(spec) !== undefined) return undefined;
  const fields = fieldsOf(spec);
  if ('error' in fields) return undefined;
  const text = (of: FieldSpec) => fields.find((f) => f.spec === of)?.field ?? (of === SECOND ? '0' : '*');
  const values = (of: FieldSpec) => valuesOf(text(of), of);
  const schedule = {
    seconds: values(SECOND),
    minutes: values(MINUTE),
    hours: values(HOUR),
    days: values(DAY_OF_MONTH),
    months: values(MONTH),
    weekdays: values(DAY_OF_WEEK),
  };
  if (Object.values(schedule).some((v) => v === undefined)) return undefined;
  const star = (field: string) => field === '*' || field === '?';
  return {
    ...(schedule as Omit<CronSchedule, 'dayStar' | 'weekdayStar'>),
    dayStar: star(text(DAY_OF_MONTH)),
    weekdayStar: star(text(DAY_OF_WEEK)),
  };
}

type WallClock = { mo: number; d: number; h: number; mi: number; w: number };

function wallClock(date: Date, format: Intl.DateTimeFormat | undefined): WallClock {
  if (!format) {
    return {
      mo: date.getUTCMonth() + 1,
      d: date.getUTCDate(),
      h: date.getUTCHours(),
      mi: date.getUTCMinutes(),
      w: date.getUTCDay(),
    };
  }
  const parts = format.formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return {
    mo: Number(get('month')),
    d: Number(get('day')),
    h: Number(get('hour')),
    mi: Number(get('minute')),
    w: DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3)),
  };
}

/**
 * The earliest time after `from` that `schedule` matches in `timeZone` (an IANA name; UTC when it is
 * not one), looking at most a year ahead.
 */
export function nextCronTime(schedule: CronSchedule, from: Date, timeZone = 'UTC'): Date | undefined {
  let zone = timeZone || 'UTC';
  // Intl only for another zone: its first use loads ICU's time zone data (about 8 MiB resident).
  if (zone !== 'UTC') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      zone = 'UTC';
    }
  }
  const start = Math.floor(from.getTime() / 60_000) * 60_000;
  const firstSecond = Math.min(...schedule.seconds);
  const format =
    zone === 'UTC'
      ? undefined
      : new Intl.DateTimeFormat('en-US', {
          timeZone: zone,
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          weekday: 'short',
          hourCycle: 'h23',
        });
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const minute = new Date(start + i * 60_000);
    const t = wallClock(minute, format);
    if (!schedule.months.has(t.mo) || !schedule.hours.has(t.h) || !schedule.minutes.has(t.mi)) continue;
    const dayOk = schedule.days.has(t.d);
    const weekdayOk = schedule.weekdays.has(t.w);
    const matches = schedule.dayStar || schedule.weekdayStar ? dayOk && weekdayOk : dayOk || weekdayOk;
    if (!matches) continue;
    const candidate = new Date(minute.getTime() + firstSecond * 1000);
    if (candidate.getTime() > from.getTime()) return candidate;
  }
  return undefined;
}
