// A fast-check generator of Nomad job JSON driven by the zod model itself: every struct field may be
// present or absent, durations and ints are integers in their Go range, free-form maps hold arbitrary
// JSON. Used by property tests of the codec and the translator.
import fc from 'fast-check';
import { z } from 'zod';
import { isDuration } from '../../src/crd/codec.ts';
import { unwrapField } from '../../src/nomad/schema/introspect.ts';
import { goTypeNameOf } from '../../src/nomad/schema/primitives.ts';

export interface ArbitraryJobOptions {
  /** Deeper structs come out empty. Default 6. */
  maxDepth?: number;
  /** Range of generated durations (ns). Default ±1e15. */
  durationMin?: number;
  durationMax?: number;
}

export function arbitraryFor(
  fieldSchema: z.ZodType,
  options: ArbitraryJobOptions = {},
  depth = 0,
): fc.Arbitrary<unknown> {
  const maxDepth = options.maxDepth ?? 6;
  const jsonValue = fc.jsonValue({ maxDepth: 2 });
  const next = (schema: z.ZodType) => arbitraryFor(schema, options, depth + 1);
  const schema = unwrapField(fieldSchema);
  const goType = goTypeNameOf(schema);
  if (isDuration(schema))
    return fc.integer({ min: options.durationMin ?? -1e15, max: options.durationMax ?? 1e15 });
  if (goType === '[]byte') return fc.base64String({ maxLength: 12 });
  if (goType?.startsWith('uint')) return fc.nat({ max: goType === 'uint8' ? 255 : 65_535 });
  if (goType?.startsWith('int')) {
    return fc.integer({ min: goType === 'int8' ? -128 : -1e9, max: goType === 'int8' ? 127 : 1e9 });
  }
  if (schema instanceof z.ZodString) return fc.string({ maxLength: 8 });
  if (schema instanceof z.ZodBoolean) return fc.boolean();
  if (schema instanceof z.ZodNumber) return fc.double({ noNaN: true, noDefaultInfinity: true });
  if (schema instanceof z.ZodArray) {
    return depth > maxDepth ? fc.constant([]) : fc.array(next(schema.element as z.ZodType), { maxLength: 2 });
  }
  if (schema instanceof z.ZodRecord) {
    const value = schema.valueType instanceof z.ZodUnknown ? jsonValue : next(schema.valueType as z.ZodType);
    return depth > maxDepth
      ? fc.constant({})
      : fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), value, { maxKeys: 2 });
  }
  if (schema instanceof z.ZodUnknown) return jsonValue;
  if (schema instanceof z.ZodObject) {
    if (depth > maxDepth) return fc.constant({});
    const fields = Object.fromEntries(
      Object.entries(schema.shape).map(([key, value]) => [key, next(value as z.ZodType)]),
    );
    return fc.record(fields, { requiredKeys: [] });
  }
  throw new Error(`no generator for zod type ${schema.def.type}`);
}
