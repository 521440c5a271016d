// Nomad's GET answers print every plain Go field, set or not: "" for strings, 0 for numbers, false
// for booleans, null for pointers, slices and maps. The job model leaves unset fields out; this fills
// them in, driven by the zod schema, so responses have every key Nomad's have. What each schema asks
// for (its fields in order with their zero values, or the schema of its elements) is worked out once
// per schema and kept (a plan), not walked again for every response.
import { z } from 'zod';
import { unwrapField } from '../../nomad/schema/introspect.ts';
import { goTypeNameOf, isGoPointer } from '../../nomad/schema/primitives.ts';

function zeroOf(schema: z.ZodType): unknown {
  const inner = unwrapField(schema);
  // Go pointers print as null when unset (a group's MaxRunDuration: 0 would be an error).
  if (isGoPointer(inner)) return null;
  const goType = goTypeNameOf(inner);
  if (goType === 'string') return '';
  if (goType === 'bool') return false;
  if (goType === '[]byte') return null;
  if (goType !== undefined) return 0; // integers and durations
  return null; // structs (pointers), slices, maps
}

/** How to fill a value of one schema: a list's elements, a map's values, a struct's fields, or as is. */
type Plan =
  | { kind: 'list'; element: z.ZodType }
  | { kind: 'map'; value: z.ZodType }
  | { kind: 'struct'; fields: ReadonlyArray<{ key: string; schema: z.ZodType; zero: unknown }> }
  | { kind: 'as-is' };

const plans = new WeakMap<z.ZodType, Plan>();

function planOf(schema: z.ZodType): Plan {
  let plan = plans.get(schema);
  if (plan) return plan;
  const inner = unwrapField(schema);
  if (inner instanceof z.ZodArray) plan = { kind: 'list', element: inner.element as z.ZodType };
  else if (inner instanceof z.ZodRecord)
    // Free-form maps (map[string]any) are printed as they are.
    plan =
      inner.valueType instanceof z.ZodUnknown
        ? { kind: 'as-is' }
        : { kind: 'map', value: inner.valueType as z.ZodType };
  else if (inner instanceof z.ZodObject)
    plan = {
      kind: 'struct',
      fields: Object.entries(inner.shape).map(([key, field]) => ({
        key,
        schema: field as z.ZodType,
        zero: zeroOf(field as z.ZodType),
      })),
    };
  else plan = { kind: 'as-is' };
  plans.set(schema, plan);
  return plan;
}

/** Returns a copy of `value` with every field of every struct present (zero values for unset ones). */
export function fillZeroValues(value: unknown, schema: z.ZodType): unknown {
  if (value === undefined || value === null) return null;
  const plan = planOf(schema);
  switch (plan.kind) {
    case 'list':
      return Array.isArray(value) ? value.map((item) => fillZeroValues(item, plan.element)) : value;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        // Any key, `__proto__` included, is a plain own property.
        Object.defineProperty(out, key, {
          value: fillZeroValues(item, plan.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const { key, schema: fieldSchema, zero } of plan.fields) {
        const item = record[key];
        out[key] = item === undefined ? zero : fillZeroValues(item, fieldSchema);
      }
      return out;
    }
    case 'as-is':
      return value;
  }
}
