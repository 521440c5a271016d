// NomadJob spec ⇄ Nomad job JSON. The spec is the same job in Kubernetes style: camelCase keys
// (`TaskGroups` → `taskGroups`, `MemoryMB` → `memoryMB`, `ID` → `id`), durations as Go duration
// strings (`KillTimeout: 5000000000` → `killTimeout: 5s`), and free-form maps (driver `config`,
// `meta`, `env`) kept exactly as given. Both directions are driven by the zod job schema, so a field
// added to the model is converted without touching this file.
//
// Lossless for everything the model knows: toNomad(toSpec(job)) equals job (with nulls read as
// unset, as the model does). Keys the model does not know are not part of the NomadJob spec: the
// apiserver would prune them anyway, so toSpec leaves them out.
import { z } from 'zod';
import { formatGoDuration, parseGoDuration } from '../nomad/duration.ts';
import { defineOwn } from '../nomad/keyed.ts';
import { structNameOf, unwrapField } from '../nomad/schema/introspect.ts';
import { goTypeNameOf } from '../nomad/schema/primitives.ts';
import { JobSchema } from '../nomad/schema.ts';

/**
 * `ID` → `id`, `TaskGroups` → `taskGroups`, `TLSSkipVerify` → `tlsSkipVerify`, `MemoryMB` → `memoryMB`:
 * a leading run of capitals is an acronym, lower-cased except for a last capital that starts the
 * next word.
 */
export function camelCaseKey(key: string): string {
  const run = /^[A-Z]+/.exec(key)?.[0] ?? '';
  if (run.length === 0) return key;
  if (run.length === key.length) return key.toLowerCase();
  if (run.length === 1) return key[0]!.toLowerCase() + key.slice(1);
  const followedByLower = /[a-z]/.test(key[run.length] ?? '');
  const keep = followedByLower ? run.length - 1 : run.length;
  return key.slice(0, keep).toLowerCase() + key.slice(keep);
}

/** Per struct schema: Nomad key → spec key, and spec key → Nomad key. */
interface KeyMaps {
  toSpec: Map<string, string>;
  toNomad: Map<string, string>;
}
const keyMaps = new WeakMap<z.ZodObject, KeyMaps>();

export function keyMapsOf(struct: z.ZodObject): KeyMaps {
  let maps = keyMaps.get(struct);
  if (!maps) {
    maps = { toSpec: new Map(), toNomad: new Map() };
    for (const key of Object.keys(struct.shape)) {
      const specKey = camelCaseKey(key);
      const clash = maps.toNomad.get(specKey);
      if (clash !== undefined) {
        throw new Error(
          `codec: ${structNameOf(struct)}.${key} and .${clash} both map to spec key ${specKey}`,
        );
      }
      maps.toSpec.set(key, specKey);
      maps.toNomad.set(specKey, key);
    }
    keyMaps.set(struct, maps);
  }
  return maps;
}

export const isDuration = (schema: z.ZodType) => goTypeNameOf(schema) === 'time.Duration';

/** Converts a Nomad job (JSON form, PascalCase) into a NomadJob spec. */
export function toSpec(job: Record<string, unknown>): Record<string, unknown> {
  return convertToSpec(job, JobSchema) as Record<string, unknown>;
}

function convertToSpec(value: unknown, fieldSchema: z.ZodType): unknown {
  if (value === null || value === undefined) return undefined;
  const schema = unwrapField(fieldSchema);
  if (isDuration(schema) && typeof value === 'number') return formatGoDuration(value);
  if (schema instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((item) => convertToSpec(item, schema.element as z.ZodType) ?? null);
  }
  if (schema instanceof z.ZodRecord && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // Free-form maps keep their values verbatim, nulls included.
      const converted =
        schema.valueType instanceof z.ZodUnknown ? item : convertToSpec(item, schema.valueType as z.ZodType);
      if (converted !== undefined) defineOwn(out, key, converted);
    }
    return out;
  }
  if (schema instanceof z.ZodObject && isPlainObject(value)) {
    const { toSpec: names } = keyMapsOf(schema);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const specKey = names.get(key);
      if (specKey === undefined) continue; // not part of the model (see the file comment)
      const converted = convertToSpec(item, schema.shape[key] as z.ZodType);
      if (converted !== undefined) defineOwn(out, specKey, converted);
    }
    return out;
  }
  return value;
}

export type SpecResult = { ok: true; job: Record<string, unknown> } | { ok: false; errors: string[] };

/**
 * Converts a NomadJob spec back into Nomad's job JSON. Spec data comes from users (kubectl), so
 * problems are reported, each with its path (`taskGroups[0].tasks[1].killTimeout: …`), not thrown.
 */
export function toNomad(spec: Record<string, unknown>): SpecResult {
  const errors: string[] = [];
  const job = convertToNomad(spec, JobSchema, '', errors) as Record<string, unknown>;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, job };
}

function convertToNomad(value: unknown, fieldSchema: z.ZodType, path: string, errors: string[]): unknown {
  if (value === null || value === undefined) return undefined;
  const schema = unwrapField(fieldSchema);
  if (isDuration(schema)) {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value !== 'string') {
      errors.push(`${path}: expected a duration such as "30s"`);
      return undefined;
    }
    const parsed = parseGoDuration(value);
    if (!parsed.ok) errors.push(`${path}: ${parsed.error}`);
    return parsed.ok ? parsed.ns : undefined;
  }
  if (schema instanceof z.ZodArray && Array.isArray(value)) {
    return value.map(
      (item, i) => convertToNomad(item, schema.element as z.ZodType, `${path}[${i}]`, errors) ?? null,
    );
  }
  if (schema instanceof z.ZodRecord && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const converted =
        schema.valueType instanceof z.ZodUnknown
          ? item
          : convertToNomad(item, schema.valueType as z.ZodType, `${path}[${JSON.stringify(key)}]`, errors);
      if (converted !== undefined) defineOwn(out, key, converted);
    }
    return out;
  }
  if (schema instanceof z.ZodObject && isPlainObject(value)) {
    const { toNomad: names } = keyMapsOf(schema);
    const out: Record<string, unknown> = {};
    for (const [specKey, item] of Object.entries(value)) {
      const key = names.get(specKey);
      const itemPath = path === '' ? specKey : `${path}.${specKey}`;
      if (key === undefined) {
        errors.push(`${itemPath}: unknown field`);
        continue;
      }
      const converted = convertToNomad(item, schema.shape[key] as z.ZodType, itemPath, errors);
      if (converted !== undefined) defineOwn(out, key, converted);
    }
    return out;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
