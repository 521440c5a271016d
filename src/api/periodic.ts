// The next launch time of a periodic job (the plan's NextPeriodicLaunch): the earliest time after
// `from` that one of its cron specs matches, in its time zone. Supports the usual cron forms (lists,
// ranges, steps, names, the @-aliases, 5 to 7 fields); specs using cronexpr's L, W and # forms get
// no answer (undefined), and neither do specs with no match within about a year.
import type { Job } from '../nomad/schema.ts';

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 * *',
  '@annually': '0 0 0 1 1 * *',
  '@monthly': '0 0 0 1 * * *',
  '@weekly': '0 0 0 * * 0 *',
  '@daily': '0 0 0 * * * *',
  '@midnight': '0 0 0 * * * *',
  '@hourly': '0 0 * * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function fieldValue(text: string, names: string[] | undefined, offset: number): number | undefined {
  const lower = text.toLowerCase();
  if (names) {
    const i = names.findIndex((n) => lower.startsWith(n));
    if (i >= 0) return i + offset;
  }
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function parseField(
  field: string,
  min: number,
  max: number,
  names?: string[],
  offset = 0,
): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) return undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = fieldValue(a, names, offset);
      hi = fieldValue(b, names, offset);
    } else {
      lo = fieldValue(range, names, offset);
      hi = stepText === undefined ? lo : max;
    }
    if (lo === undefined || hi === undefined) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

interface Parsed {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  dayStar: boolean;
  weekdayStar: boolean;
}

function parseSpec(spec: string): Parsed | undefined {
  let text = spec.trim();
  for (const [alias, replacement] of Object.entries(ALIASES)) if (text === alias) text = replacement;
  let fields = text.split(/\s+/);
  if (fields.length < 5) return undefined;
  if (fields.length === 5) fields = ['0', ...fields];
  else if (fields.length === 6) fields = ['0', ...fields];
  const [s = '', mi = '', h = '', d = '', mo = '', w = ''] = fields;
  const weekdays = parseField(w, 0, 7, DAYS);
  if (weekdays?.has(7)) weekdays.add(0);
  const parsed = {
    seconds: parseField(s, 0, 59),
    minutes: parseField(mi, 0, 59),
    hours: parseField(h, 0, 23),
    days: parseField(d, 1, 31),
    months: parseField(mo, 1, 12, MONTHS, 1),
    weekdays,
  };
  if (Object.values(parsed).some((v) => v === undefined)) return undefined;
  return {
    ...(parsed as Omit<Parsed, 'dayStar' | 'weekdayStar'>),
    dayStar: d === '*' || d === '?',
    weekdayStar: w === '*' || w === '?',
  };
}

type Fields = { mo: number; d: number; h: number; mi: number; w: number };

function zoned(date: Date, format: Intl.DateTimeFormat | undefined): Fields {
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

function next(spec: Parsed, from: Date, timeZone: string): Date | undefined {
  const start = Math.floor(from.getTime() / 60_000) * 60_000;
  const firstSecond = Math.min(...spec.seconds);
  const format =
    timeZone === 'UTC'
      ? undefined
      : new Intl.DateTimeFormat('en-US', {
          timeZone,
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          weekday: 'short',
          hourCycle: 'h23',
        });
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const minute = new Date(start + i * 60_000);
    const t = zoned(minute, format);
    if (!spec.months.has(t.mo) || !spec.hours.has(t.h) || !spec.minutes.has(t.mi)) continue;
    const dayOk = spec.days.has(t.d);
    const weekdayOk = spec.weekdays.has(t.w);
    const matches = spec.dayStar || spec.weekdayStar ? dayOk && weekdayOk : dayOk || weekdayOk;
    if (!matches) continue;
    const candidate = new Date(minute.getTime() + firstSecond * 1000);
    if (candidate.getTime() > from.getTime()) return candidate;
  }
  return undefined;
}

/** RFC3339 of the next launch after `from`, or undefined when it cannot be told. */
export function nextPeriodicLaunch(job: Job, from: Date): string | undefined {
  const periodic = job.Periodic;
  if (!periodic?.Enabled) return undefined;
  const specs = [...(periodic.Specs ?? []), ...(periodic.Spec ? [periodic.Spec] : [])];
  let timeZone = periodic.TimeZone || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    timeZone = 'UTC';
  }
  let best: Date | undefined;
  for (const text of specs) {
    const parsed = parseSpec(text);
    if (!parsed) continue;
    const candidate = next(parsed, from, timeZone);
    if (candidate && (!best || candidate < best)) best = candidate;
  }
  return best?.toISOString().replace(/\.000Z$/, 'Z');
}
