// Building blocks for the Nomad job schemas: how a Go field of a given type looks in JSON, and how a
// named Go struct becomes a zod object.
//
// Two rules from real clients shape everything here:
// * The official Go client sends every field, with `null` for unset pointers, slices and maps, so every
//   struct field accepts `null` and treats it exactly like an absent key ("unset").
// * Clients may send keys this model does not know (newer Nomad fields, `VaultToken`, …). Structs are
//   loose objects: unknown keys pass through untouched, so nothing a client sent is ever lost.
//
// Numbers follow Go's encoding/json: an int field rejects 1.5 and out-of-range values, exactly where a
// Go server would fail to decode. Durations are int64 nanoseconds.
import { z } from 'zod';

/** JSON Schema metadata kept for the schemas of this model. */
export interface NomadSchemaMeta {
  /** Only on named structs: the Go struct name, e.g. `TaskGroup`; becomes the `$defs` key. */
  id?: string;
  description?: string;
  /** Integers: JSON Schema `integer` with an OpenAPI-style `format` (`int64`, `int8`, …). */
  type?: 'integer';
  format?: string;
  contentEncoding?: 'base64';
}

/**
 * Metadata registry of this model. It is private (not zod's global registry), so our struct ids
 * cannot collide with schemas other modules register. Pass it to `z.toJSONSchema` as `metadata`
 * (see `jobJsonSchema`) to get one `$defs` entry per Go struct and integer types on int fields.
 */
export const nomadRegistry = z.registry<NomadSchemaMeta>();

/** Every named struct schema by Go name, in definition order (filled by `struct`). */
export const structSchemas = new Map<string, z.ZodObject>();

/**
 * The Go type behind each scalar schema made here (`int8`, `time.Duration`, `[]byte`, …), so the
 * schema walker in introspect.ts can report Go types without guessing from zod internals.
 */
const goTypeNames = new WeakMap<z.ZodType, string>();

function goTyped<T extends z.ZodType>(goType: string, schema: T): T {
  goTypeNames.set(schema, goType);
  return schema;
}

/** The Go type name of a scalar schema made by this module, if it is one. */
export function goTypeNameOf(schema: z.ZodType): string | undefined {
  return goTypeNames.get(schema);
}

/**
 * Scalar fields that are pointers in Nomad's server structs (`*time.Duration`, `*bool`, `*int`):
 * there, unset (`null`) and zero are different values, e.g. a group's `MaxRunDuration` of 0 is an
 * error while `null` means "no limit". Every other scalar field is a plain Go value whose zero
 * value and "unset" are the same thing.
 */
const goPointers = new WeakSet<z.ZodType>();

/** Marks a scalar schema as a Go pointer field (see `goPointers`); returns the same schema. */
export function pointer<T extends z.ZodType>(schema: T): T {
  goPointers.add(schema);
  return schema;
}

/** Whether a scalar schema (already unwrapped) is a Go pointer in Nomad's server structs. */
export function isGoPointer(schema: z.ZodType): boolean {
  return goPointers.has(schema);
}

/** Describes a JSON value in error messages the way a JSON user thinks of it. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function expected(what: string) {
  return (issue: { input?: unknown }) => `expected ${what}, received ${jsonTypeOf(issue.input)}`;
}

/** Go `string`. */
export const str = () => goTyped('string', z.string({ error: expected('string') }));

/** Go `bool`. */
export const bool = () => goTyped('bool', z.boolean({ error: expected('boolean') }));

/**
 * The Go integer types that appear in job JSON, with the range Go's decoder accepts. The bounds are
 * written out as text too, because the 64-bit ones have no exact double.
 */
const GO_INT_RANGES = {
  int: [-(2 ** 63), 2 ** 63 - 1, '-9223372036854775808', '9223372036854775807'],
  int64: [-(2 ** 63), 2 ** 63 - 1, '-9223372036854775808', '9223372036854775807'],
  int8: [-128, 127, '-128', '127'],
  uint8: [0, 255, '0', '255'],
  uint16: [0, 65_535, '0', '65535'],
  uint32: [0, 2 ** 32 - 1, '0', '4294967295'],
  uint64: [0, 2 ** 64 - 1, '0', '18446744073709551615'],
} as const;

export type GoIntType = keyof typeof GO_INT_RANGES;

/**
 * A Go integer. JavaScript parses every JSON number as a double, so values beyond 2^53 (int64
 * timestamps such as `SubmitTime`) are accepted but may have lost precision before they got here;
 * that is why this does not use zod's safe-integer `z.int()`.
 */
export function goInt(goType: GoIntType = 'int') {
  const [min, max, minText, maxText] = GO_INT_RANGES[goType];
  const outOfRange = `expected integer between ${minText} and ${maxText} (Go ${goType})`;
  const schema = z
    .number({ error: expected('integer') })
    .refine(Number.isInteger, { error: 'expected integer', abort: true })
    .min(min, { error: goType.startsWith('u') ? `expected non-negative integer (Go ${goType})` : outOfRange })
    .max(max, { error: outOfRange });
  // Go's int is 64 bits wide on every platform Nomad supports, so OpenAPI's int64 describes it.
  nomadRegistry.add(schema, { type: 'integer', format: goType === 'int' ? 'int64' : goType });
  return goTyped(goType, schema);
}

/** Go `time.Duration`: int64 nanoseconds (`"10s"` in HCL is `10000000000` in JSON). */
export function duration() {
  // A distinct schema object (not the one goInt registered), so it can carry its own metadata.
  const schema = goInt('int64').clone();
  nomadRegistry.add(schema, {
    type: 'integer',
    format: 'int64',
    description: 'Duration in nanoseconds (Go time.Duration).',
  });
  return goTyped('time.Duration', schema);
}

/** Go `[]byte`: standard base64 with padding, as encoding/json writes and reads it. */
export function base64() {
  const schema = str().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, {
    error: 'expected base64-encoded bytes',
  });
  nomadRegistry.add(schema, { contentEncoding: 'base64' });
  return goTyped('[]byte', schema);
}

/** Go `[]string`. */
export const stringList = () => z.array(str(), { error: expected('array of strings') });

/** Go `map[string]string`. */
export const stringMap = () => z.record(z.string(), str(), { error: expected('object of strings') });

/** Go `map[string][]string` (HTTP check headers). */
export const stringListMap = () =>
  z.record(z.string(), stringList(), { error: expected('object of string arrays') });

/**
 * Go `map[string]any`: free-form driver config, scaling policy, etc. Values are kept verbatim,
 * including `null`s, because they belong to the driver, not to Nomad.
 */
export const anyMap = () => z.record(z.string(), z.unknown(), { error: expected('object') });

/** Go `[]T` of structs. Elements must be objects: a `null` element has no meaning in a job. */
export const listOf = <T extends z.ZodType>(element: T) => z.array(element, { error: expected('array') });

/** Go `map[string]T` of structs. */
export const mapOf = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value, { error: expected('object') });

function nullToUndefined(value: unknown): unknown {
  return value === null ? undefined : value;
}

/**
 * A struct field: may be absent or `null`, and either way comes out of parsing as unset
 * (`undefined`). Implemented as a preprocess step rather than a codec so the inner schema runs once
 * (nesting codecs re-validates every level twice), and so `z.toJSONSchema` still works with both
 * `io: 'input'` and `io: 'output'`.
 */
export function field<T extends z.ZodType>(schema: T) {
  return z.preprocess(nullToUndefined, schema.optional());
}

/**
 * A named Go struct: a loose object whose fields are all optional, registered under its Go name.
 * The shape's key order is the order of the Go struct fields (and of Appendix A).
 */
export function struct<Shape extends z.ZodRawShape>(id: string, description: string, shape: Shape) {
  const schema = z.looseObject(shape, { error: expected('object') });
  nomadRegistry.add(schema, { id, description });
  structSchemas.set(id, schema);
  return schema;
}
