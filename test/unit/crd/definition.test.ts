import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { nomadJobCrdYaml } from '../../../src/crd/definition.ts';
import type { OpenApiSchema } from '../../../src/crd/openapi.ts';

const committed = readFileSync(
  new URL('../../../crds/nomadjobs.nomadoperator.dev.yaml', import.meta.url),
  'utf8',
);

describe('the NomadJob CRD', () => {
  it('is committed exactly as the job model generates it (run `npm run generate:crd` after model changes)', () => {
    expect(committed).toBe(nomadJobCrdYaml());
  });

  it('is structural: every property has a type, or keeps unknown fields by design', () => {
    type Crd = { spec: { versions: Array<{ schema: { openAPIV3Schema: OpenApiSchema } }> } };
    const crd = yaml.load(committed) as Crd;
    const untyped: string[] = [];
    const visit = (schema: OpenApiSchema, path: string) => {
      if (!schema.type && !schema['x-kubernetes-preserve-unknown-fields']) untyped.push(path);
      for (const [key, child] of Object.entries(schema.properties ?? {})) visit(child, `${path}.${key}`);
      if (schema.items) visit(schema.items, `${path}[]`);
      if (schema.additionalProperties) visit(schema.additionalProperties, `${path}.*`);
    };
    visit(crd.spec.versions[0]!.schema.openAPIV3Schema, '');
    expect(untyped).toEqual([]);
  });
});
