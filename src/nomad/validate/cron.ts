// Syntax check of cron expressions the way Nomad's parser (github.com/hashicorp/cronexpr, a fork of
// gorhill/cronexpr) accepts them, with its error texts; Nomad puts those texts into
// `Invalid cron spec "<spec>": <error>`. Only parsing is reproduced here, not computing launch times.
//
// Accepted forms: 5 fields (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second
// first, plus year); fields beyond the 7th are ignored. The aliases @yearly, @annually, @monthly,
// @weekly, @daily and @hourly expand to 7-field expressions. Each field is a comma list of `*` or
// `?`, a value, a range `a-b`, and steps `*/n`, `a/n`, `a-b/n`; day-of-month also takes `L`, `LW`
// and `<day>W`, day-of-week also `<day>L` and `<day>#<1-5>`. Names (jan, mon, …) are case-insensitive.

interface FieldSpec {
  name: string;
  max: number;
  /** cronexpr's value regex for this field (alternatives, without anchors). */
  value: string;
}

const SECOND: FieldSpec = { name: 'second', max: 59, value: '0?[0-9]|[1-5][0-9]' };
const MINUTE: FieldSpec = { name: 'minute', max: 59, value: '0?[0-9]|[1-5][0-9]' };
const HOUR: FieldSpec = { name: 'hour', max: 23, value: '0?[0-9]|1[0-9]|2[0-3]' };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', max: 31, value: '0?[1-9]|[12][0-9]|3[01]' };
const MONTH: FieldSpec = {
  name: 'month',
  max: 12,
  value:
    '0?[1-9]|1[012]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december',
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  max: 6,
  value: '0?[0-7]|sun|mon|tue|wed|thu|fri|sat|sunday|monday|tuesday|wednesday|thursday|friday|saturday',
};
const YEAR: FieldSpec = { name: 'year', max: 2099, value: '19[789][0-9]|20[0-9]{2}' };

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 * *',
  '@annually': '0 0 0 1 1 * *',
  '@monthly': '0 0 0 1 * * *',
  '@weekly': '0 0 0 * * 0 *',
  '@daily': '0 0 0 * * * *',
  '@hourly': '0 0 * * * * *',
};

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
  let expanded = spec;
  for (const [alias, replacement] of Object.entries(ALIASES))
    expanded = expanded.replaceAll(alias, replacement);
  const fields = expanded.match(/\S+/g) ?? [];
  if (fields.length < 5) return 'missing field(s)';
  const used = fields.slice(0, 7);
  const specs =
    used.length === 7
      ? [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR]
      : [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR];
  for (const [i, field] of used.entries()) {
    const fieldSpec = specs[i];
    if (!fieldSpec) break;
    const error = checkField(field, fieldSpec);
    if (error) return error;
  }
  return undefined;
}
