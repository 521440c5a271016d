// Nomad's GET answers print every plain Go field, set or not: "" for strings, 0 for numbers, false
// for booleans, null for pointers, slices and maps. The job model leaves unset fields out; this fills
// them in, driven by the zod schema, so responses have every key Nomad's have.
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

/** Returns a copy of `value` with every field of every struct present (zero values for unset ones). */
export function fillZeroValues(value: unknown, schema: z.ZodType): unknown {
  const inner = unwrapField(schema);
  if (value === undefined || value === null) return null;
  if (inner instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((item) => fillZeroValues(item, inner.element as z.ZodType));
  }
  if (inner instanceof z.ZodRecord && typeof value === 'object' && !Array.isArray(value)) {
    if (inner.valueType instanceof z.ZodUnknown) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: fillZeroValues(item, inner.valueType as z.ZodType),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (inner instanceof z.ZodObject && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, fieldSchema] of Object.entries(inner.shape)) {
      const item = record[key];
      out[key] =
        item === undefined
          ? zeroOf(fieldSchema as z.ZodType)
          : fillZeroValues(item, fieldSchema as z.ZodType);
    }
    return out;
  }
  return value;
}
