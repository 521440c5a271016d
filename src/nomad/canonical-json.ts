// Canonical JSON: object keys sorted and undefined members dropped (null ones too when asked), so two
// values that are equal as JSON give the same text whatever order their keys were set in. Used to
// compare jobs (versions, diffs) and statuses. Pure.

export interface CanonicalOptions {
  /** Drop object members whose value is null, as Go leaves nil fields out. */
  omitNull?: boolean;
}

/** `value` with every object's keys sorted and its undefined (and, if asked, null) members dropped. */
export function sortedKeys(value: unknown, options: CanonicalOptions = {}): unknown {
  if (Array.isArray(value)) return value.map((item) => sortedKeys(item, options));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined && !(options.omitNull && record[key] === null))
      .map((key) => [key, sortedKeys(record[key], options)]),
  );
}

/** The canonical JSON text of `value` (`null` for undefined). */
export function canonicalJson(value: unknown, options: CanonicalOptions = {}): string {
  return JSON.stringify(sortedKeys(value, options)) ?? 'null';
}
