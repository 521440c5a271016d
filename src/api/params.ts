// Query-string and body values read the way Nomad's Go agent reads them: booleans with
// strconv.ParseBool (python-nomad sends `True`), integers with strconv.ParseUint / Atoi, durations
// with time.ParseDuration (the Go client sends `wait=300000ms`).
import { parseGoDuration } from '../nomad/duration.ts';
import { badRequest } from './errors.ts';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool; undefined for anything else. */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}

/** Go's strconv.ParseUint(text, 10, 64) as a JS number (exact up to 2^53); undefined when invalid. */
export function parseGoUint(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return BigInt(text) <= 18446744073709551615n ? value : undefined;
}

/** Go's strconv.Atoi: optional sign, decimal digits, fits int64. */
export function parseGoInt(text: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const big = BigInt(text.replace(/^\+/, ''));
  const value = Number(big);
  return big <= 9223372036854775807n && big >= -9223372036854775808n ? value : undefined;
}

export type Query = Record<string, string | string[] | undefined>;

/** The first value of a query parameter (Go's url.Values.Get). */
export function queryValue(query: Query, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A boolean query flag the way each Nomad handler reads it: absent → `fallback`; present and
 * parseable → its value; otherwise `invalid` decides (Nomad mostly treats junk as false, some
 * handlers answer 400).
 */
export function boolParam(query: Query, name: string, fallback = false, invalidMessage?: string): boolean {
  const raw = queryValue(query, name);
  if (raw === undefined) return fallback;
  const parsed = parseGoBool(raw);
  if (parsed !== undefined) return parsed;
  if (invalidMessage !== undefined) throw badRequest(invalidMessage);
  return false;
}

/** Longest and default blocking time (Nomad's MaxBlockingRPCQueryTime and default). */
export const MAX_BLOCKING_MS = 300_000;

export interface BlockingOptions {
  /** Return only once the index is above this; 0: answer at once. */
  minIndex: number;
  /** How long to wait at most, before jitter. */
  waitMs: number;
}

/** `index` and `wait` (400 `Invalid index` / `Invalid wait time`) and `stale` (accepted, ignored). */
export function blockingParams(query: Query): BlockingOptions {
  const stale = queryValue(query, 'stale');
  if (stale !== undefined && stale !== '' && parseGoBool(stale) === undefined) {
    throw badRequest('Expect `true` or `false` for `stale` query string parameter');
  }
  let waitMs = MAX_BLOCKING_MS;
  const wait = queryValue(query, 'wait');
  if (wait !== undefined && wait !== '') {
    const parsed = parseGoDuration(wait);
    if (!parsed.ok) throw badRequest('Invalid wait time');
    waitMs = Math.min(MAX_BLOCKING_MS, Math.max(0, parsed.ns / 1e6));
  }
  let minIndex = 0;
  const index = queryValue(query, 'index');
  if (index !== undefined && index !== '') {
    const parsed = parseGoUint(index);
    if (parsed === undefined) throw badRequest('Invalid index');
    minIndex = parsed;
  }
  return { minIndex, waitMs };
}

/** `per_page` (400 when not a number), `next_token`, `reverse`. */
export function pagingParams(query: Query): { perPage: number; nextToken: string; reverse: boolean } {
  let perPage = 0;
  const raw = queryValue(query, 'per_page');
  if (raw !== undefined && raw !== '') {
    const parsed = parseGoInt(raw);
    if (parsed === undefined || parsed > 2147483647 || parsed < -2147483648) {
      throw badRequest('Expect a number for `per_page` query string parameter');
    }
    perPage = Math.max(0, parsed);
  }
  return {
    perPage,
    nextToken: queryValue(query, 'next_token') ?? '',
    reverse: boolParam(query, 'reverse'),
  };
}
