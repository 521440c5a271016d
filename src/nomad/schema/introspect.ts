// Reading the schemas as data: every field path of a job, the JSON field names of every struct, and a
// JSON Schema of the whole model. Conversion tables, OpenAPI generation and coverage tests use these
// instead of keeping their own copy of Nomad's field list.
import { z } from 'zod';
import { defineOwn } from '../keyed.ts';
import { JobSchema } from './job.ts';
import { goTypeNameOf, nomadRegistry, structSchemas } from './primitives.ts';

/** One field of one struct, reached from the job root. */
export interface FieldInfo {
  /**
   * Path from the job root. Struct fields are joined with `.`, list elements are `[]` and map values
   * are `.*`, e.g. `TaskGroups[].Volumes.*.Source` or `TaskGroups[].Tasks[].Resources.CPU`.
   */
  path: string;
  /** Go struct that declares the field, e.g. `Resources`. */
  struct: string;
  /** JSON key, e.g. `CPU`. */
  name: string;
  /** Go type as Nomad's api package declares it: `int`, `time.Duration`, `[]Port`, `map[string]any`, … */
  goType: string;
  /** Name of the struct this field holds (directly, or as list element / map value), if any. */
  holds?: string;
}

/**
 * Strips the `field()` wrapper (null-to-unset preprocessing, optional) off a struct field's schema,
 * leaving the schema of the value itself.
 */
export function unwrapField(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodPipe) current = current.def.out as z.ZodType;
    else if (current instanceof z.ZodOptional || current instanceof z.ZodNullable)
      current = current.def.innerType as z.ZodType;
    else return current;
  }
}

/** The Go struct name of a schema made by `struct()`, if it is one. */
export function structNameOf(schema: z.ZodType): string | undefined {
  return nomadRegistry.get(schema)?.id;
}

/** Go type name of a value schema (already unwrapped). */
function goTypeOf(schema: z.ZodType): string {
  const named = structNameOf(schema) ?? goTypeNameOf(schema);
  if (named !== undefined) return named;
  if (schema instanceof z.ZodArray) return `[]${goTypeOf(schema.element as z.ZodType)}`;
  if (schema instanceof z.ZodRecord) return `map[string]${goTypeOf(schema.valueType as z.ZodType)}`;
  if (schema instanceof z.ZodUnknown) return 'any';
  throw new Error(`schema walker: no Go type known for zod type ${schema.def.type}`);
}

/**
 * The struct a value schema holds, and the path suffix that reaches into it: `''` for a struct,
 * `[]` for a list of structs, `.*` for a map of structs.
 */
function heldStruct(schema: z.ZodType): { struct: z.ZodObject; suffix: string } | undefined {
  if (schema instanceof z.ZodObject && structNameOf(schema)) return { struct: schema, suffix: '' };
  if (schema instanceof z.ZodArray) {
    const inner = heldStruct(schema.element as z.ZodType);
    return inner && { struct: inner.struct, suffix: `[]${inner.suffix}` };
  }
  if (schema instanceof z.ZodRecord) {
    const inner = heldStruct(schema.valueType as z.ZodType);
    return inner && { struct: inner.struct, suffix: `.*${inner.suffix}` };
  }
  return undefined;
}

function walk(struct: z.ZodObject, prefix: string, out: FieldInfo[]): void {
  const structName = structNameOf(struct) ?? '?';
  for (const [name, fieldSchema] of Object.entries(struct.shape)) {
    const value = unwrapField(fieldSchema as z.ZodType);
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const held = heldStruct(value);
    const info: FieldInfo = { path, struct: structName, name, goType: goTypeOf(value) };
    if (held) info.holds = structNameOf(held.struct);
    out.push(info);
    if (held) walk(held.struct, `${path}${held.suffix}`, out);
  }
}

/** Every field a job can hold, depth first in Go struct order (the job schema has no cycles). */
export const jobFields: readonly FieldInfo[] = (() => {
  const out: FieldInfo[] = [];
  walk(JobSchema, '', out);
  return out;
})();

/** `jobFields` as plain paths, e.g. `TaskGroups[].Tasks[].Resources.CPU`. */
export const jobFieldPaths: readonly string[] = jobFields.map((f) => f.path);

/** JSON field names of every named struct, by Go struct name, in Go field order. */
export const structFieldNames: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  [...structSchemas].map(([name, schema]) => [name, Object.keys(schema.shape)]),
);

/**
 * JSON Schema (draft 2020-12) of the job model, one `$defs` entry per Go struct. With `io: 'input'`
 * it describes request bodies, with `io: 'output'` what parsing returns; the two differ only in that
 * parsing has turned `null`s into absent keys, which JSON Schema cannot show, so they are equal.
 * Every field also accepts `null` on input: state that in the OpenAPI document rather than here.
 */
export function jobJsonSchema(io: 'input' | 'output' = 'input') {
  return z.toJSONSchema(JobSchema, { metadata: nomadRegistry, io, unrepresentable: 'throw' });
}

/** Lower-cased JSON key -> declared key, per struct schema, built on first use. */
const foldedKeys = new WeakMap<z.ZodObject, Map<string, string>>();

function keyFold(struct: z.ZodObject): Map<string, string> {
  let map = foldedKeys.get(struct);
  if (!map) {
    map = new Map(Object.keys(struct.shape).map((key) => [key.toLowerCase(), key]));
    foldedKeys.set(struct, map);
  }
  return map;
}

/**
 * Go's encoding/json matches object keys to struct fields case-insensitively (`"id"` sets `ID`),
 * and when a field appears twice the later key wins. This returns a copy of `value` with every key
 * that names a known struct field rewritten to the field's exact spelling, in that same way, so the
 * schemas (which are case-sensitive) see what a Go server would. Unknown keys and the keys of
 * free-form maps are left alone. `value` is not modified.
 */
export function matchKeysLikeGo(value: unknown, schema: z.ZodType): unknown {
  const target = unwrapField(schema);
  if (Array.isArray(value)) {
    return target instanceof z.ZodArray
      ? value.map((v) => matchKeysLikeGo(v, target.element as z.ZodType))
      : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  if (target instanceof z.ZodRecord) {
    for (const [key, v] of Object.entries(value))
      defineOwn(out, key, matchKeysLikeGo(v, target.valueType as z.ZodType));
    return out;
  }
  if (!(target instanceof z.ZodObject)) return value;
  const fold = keyFold(target);
  for (const [key, v] of Object.entries(value)) {
    const field = Object.hasOwn(target.shape, key) ? key : (fold.get(key.toLowerCase()) ?? key);
    const fieldSchema = Object.hasOwn(target.shape, field) ? (target.shape[field] as z.ZodType) : undefined;
    // Assigning in input order makes the later of two spellings win, as in Go.
    defineOwn(out, field, fieldSchema ? matchKeysLikeGo(v, fieldSchema) : v);
  }
  return out;
}

/**
 * zod leaves a `__proto__` key out of a parsed record (so it cannot become the prototype), but in a
 * job it is a key like any other: a meta key, an environment variable. Walking the input (as
 * matchKeysLikeGo left it) beside zod's output, this parses each such entry with the record's value
 * schema and puts it back. Problems come back as zod issues, with their path.
 */
export function keepProtoEntries(
  input: unknown,
  parsed: unknown,
  schema: z.ZodType,
  path: PropertyKey[] = [],
): z.core.$ZodIssue[] {
  const target = unwrapField(schema);
  if (Array.isArray(input) && Array.isArray(parsed) && target instanceof z.ZodArray) {
    return input.flatMap((item, i) =>
      keepProtoEntries(item, parsed[i], target.element as z.ZodType, [...path, i]),
    );
  }
  if (!isObject(input) || !isObject(parsed)) return [];
  const issues: z.core.$ZodIssue[] = [];
  if (target instanceof z.ZodRecord) {
    const valueSchema = target.valueType as z.ZodType;
    for (const [key, item] of Object.entries(input)) {
      if (key !== '__proto__') {
        issues.push(...keepProtoEntries(item, parsed[key], valueSchema, [...path, key]));
        continue;
      }
      const result = valueSchema.safeParse(item);
      if (!result.success) {
        issues.push(
          ...result.error.issues.map((issue) => ({ ...issue, path: [...path, key, ...issue.path] })),
        );
        continue;
      }
      issues.push(...keepProtoEntries(item, result.data, valueSchema, [...path, key]));
      defineOwn(parsed, key, result.data);
    }
  } else if (target instanceof z.ZodObject) {
    for (const [key, fieldSchema] of Object.entries(target.shape as Record<string, z.ZodType>)) {
      if (Object.hasOwn(input, key) && Object.hasOwn(parsed, key))
        issues.push(...keepProtoEntries(input[key], parsed[key], fieldSchema, [...path, key]));
    }
  }
  return issues;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
