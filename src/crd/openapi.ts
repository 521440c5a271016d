// The structural OpenAPI v3 schema of the NomadJob spec, generated from the zod job model, so
// `kubectl explain nomadjob.spec.taskGroups.tasks` documents the real fields and the apiserver
// validates types. Mirrors codec.ts: camelCase keys, durations as strings, free-form maps kept.
import { z } from 'zod';
import { structNameOf, unwrapField } from '../nomad/schema/introspect.ts';
import { goTypeNameOf, nomadRegistry } from '../nomad/schema/primitives.ts';
import { JobSchema } from '../nomad/schema.ts';
import { isDuration, keyMapsOf } from './codec.ts';

/** The subset of OpenAPI v3 that structural CRD schemas use. */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  pattern?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema;
  items?: OpenApiSchema;
  required?: string[];
  enum?: string[];
  minimum?: number;
  maximum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Go's duration syntax, as time.ParseDuration accepts it. */
export const goDurationPattern = '^[-+]?(0|([0-9]*(\\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+)$';

const intFormats: Record<string, string> = {
  int: 'int64',
  int64: 'int64',
  uint64: 'int64',
  int8: 'int32',
  uint8: 'int32',
  uint16: 'int32',
  uint32: 'int64',
};

/** OpenAPI schema of the whole NomadJob spec. */
export function specSchema(): OpenApiSchema {
  return schemaOf(JobSchema, new Set());
}

function schemaOf(fieldSchema: z.ZodType, seen: Set<z.ZodType>): OpenApiSchema {
  const schema = unwrapField(fieldSchema);
  const meta = nomadRegistry.get(schema);
  const goType = goTypeNameOf(schema);
  if (isDuration(schema)) {
    return {
      type: 'string',
      pattern: goDurationPattern,
      description: 'A Go duration such as 30s, 5m or 1h30m (Nomad JSON: nanoseconds).',
    };
  }
  if (goType !== undefined && goType in intFormats) {
    return withDescription({ type: 'integer', format: intFormats[goType] }, meta?.description);
  }
  if (goType === '[]byte') return { type: 'string', format: 'byte', description: 'Base64-encoded bytes.' };
  if (schema instanceof z.ZodString) return withDescription({ type: 'string' }, meta?.description);
  if (schema instanceof z.ZodBoolean) return withDescription({ type: 'boolean' }, meta?.description);
  if (schema instanceof z.ZodNumber) return withDescription({ type: 'number' }, meta?.description);
  if (schema instanceof z.ZodArray)
    return { type: 'array', items: schemaOf(schema.element as z.ZodType, seen) };
  if (schema instanceof z.ZodRecord) {
    if (schema.valueType instanceof z.ZodUnknown) {
      // Free-form (driver config, scaling policy): the apiserver keeps it verbatim.
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    return { type: 'object', additionalProperties: schemaOf(schema.valueType as z.ZodType, seen) };
  }
  if (schema instanceof z.ZodUnknown) return { 'x-kubernetes-preserve-unknown-fields': true };
  if (schema instanceof z.ZodObject) {
    if (seen.has(schema)) throw new Error(`openapi: the job model is recursive at ${structNameOf(schema)}`);
    const inner = new Set(seen).add(schema);
    const properties: Record<string, OpenApiSchema> = {};
    const { toSpec } = keyMapsOf(schema);
    for (const [key, value] of Object.entries(schema.shape)) {
      properties[toSpec.get(key)!] = describeField(schemaOf(value as z.ZodType, inner), key);
    }
    return withDescription({ type: 'object', properties }, meta?.description);
  }
  throw new Error(`openapi: no OpenAPI form for zod type ${schema.def.type}`);
}

/**
 * Every spec field names the Nomad JSON field it carries, after what the value itself says (lists
 * and maps borrow their element's description), so `kubectl explain` leads users from the spec to
 * Nomad's documentation.
 */
function describeField(schema: OpenApiSchema, nomadKey: string): OpenApiSchema {
  const own = schema.description ?? schema.items?.description ?? schema.additionalProperties?.description;
  const kindOf = schema.items ? 'List of: ' : schema.additionalProperties ? 'Map of: ' : '';
  const text = own ? `${schema.description ? '' : kindOf}${own} ` : '';
  return { ...schema, description: `${text}(Nomad job JSON: ${nomadKey})` };
}

function withDescription(schema: OpenApiSchema, description: string | undefined): OpenApiSchema {
  return description ? { ...schema, description } : schema;
}
