// Reading request bodies the way Go's encoding/json fills a request struct: keys match field names
// case-insensitively (the last spelling wins), null is the zero value, unknown keys are ignored, and
// a value of the wrong type fails the whole decode (400).
import { badRequest } from './errors.ts';

export type Body = Record<string, unknown>;

/** The body as an object; `undefined`/null bodies become `{}` unless `requireBody`. */
export function objectBody(body: unknown, typeName: string, emptyMessage?: string): Body {
  if (body === undefined || body === null) {
    if (emptyMessage !== undefined) throw badRequest(emptyMessage);
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    const kind = Array.isArray(body) ? 'array' : typeof body === 'string' ? 'string' : typeof body;
    throw badRequest(`json: cannot unmarshal ${kind} into Go value of type ${typeName}`);
  }
  return body as Body;
}

/** The value of field `name` (case-insensitive, last spelling wins); undefined when absent or null. */
export function field(body: Body, name: string): unknown {
  let found: unknown;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(body)) {
    if (key === name || key.toLowerCase() === lower) found = value;
  }
  return found === null ? undefined : found;
}

function typeError(name: string, goType: string, value: unknown): never {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  throw badRequest(`json: cannot unmarshal ${kind} into Go struct field .${name} of type ${goType}`);
}

export function boolField(body: Body, name: string): boolean {
  const value = field(body, name);
  if (value === undefined) return false;
  if (typeof value !== 'boolean') typeError(name, 'bool', value);
  return value;
}

export function stringField(body: Body, name: string): string {
  const value = field(body, name);
  if (value === undefined) return '';
  if (typeof value !== 'string') typeError(name, 'string', value);
  return value;
}

export function intField(body: Body, name: string, goType: 'int' | 'uint64' | 'int64' = 'int'): number {
  const value = field(body, name);
  if (value === undefined) return 0;
  if (!fitsGoInteger(value, goType)) typeError(name, goType, value);
  return value as number;
}

/**
 * Whether a decoded JSON value is a number Go's decoder puts in a field of `goType`: an integer in the
 * type's range (Go refuses 3e35 for a uint64 as it refuses 1.5 or "1"; `int` is 64 bits on Nomad's
 * platforms).
 */
function fitsGoInteger(value: unknown, goType: 'int' | 'uint64' | 'int64'): value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) return false;
  return goType === 'uint64' ? value >= 0 && value < 2 ** 64 : value >= -(2 ** 63) && value < 2 ** 63;
}

/** An optional integer (Go pointer): undefined when absent or null. */
export function optionalIntField(
  body: Body,
  name: string,
  goType: 'int64' | 'uint64' = 'int64',
): number | undefined {
  const value = field(body, name);
  if (value === undefined) return undefined;
  if (!fitsGoInteger(value, goType)) typeError(name, `*${goType}`, value);
  return value;
}

export function objectField(body: Body, name: string, goType: string): Body | undefined {
  const value = field(body, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) typeError(name, goType, value);
  return value as Body;
}

export function stringMapField(body: Body, name: string): Record<string, string> | undefined {
  const value = objectField(body, name, 'map[string]string');
  if (value === undefined) return undefined;
  for (const item of Object.values(value)) {
    if (typeof item !== 'string') typeError(name, 'map[string]string', item);
  }
  return value as Record<string, string>;
}
