// The chart's files that must stay in step with the project: the CRD copy, appVersion, the README's
// values table (generated from values.yaml comments), the values schema, and the translator options.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  chartCrdFile,
  crdFile,
  documentedValues,
  endMarker,
  readmeFile,
  startMarker,
  valuesFile,
  valuesTable,
  withTable,
} from '../../scripts/generate-helm-docs.ts';
import { nomadJobCrdYaml } from '../../src/crd/definition.ts';
import {
  translatorOptionHelp,
  translatorOptionKeys,
  translatorOptionNames,
} from '../../src/translate/options.ts';
import { repoRoot } from '../support/dockerfile.ts';

const chart = path.join(repoRoot, 'helm', 'nomad-operator');
const read = (file: string) => readFileSync(file, 'utf8');

describe('helm chart files', () => {
  it('crds/ holds exactly the generated CRD (npm run generate:crd, then npm run generate:helm-docs)', () => {
    const copy = read(chartCrdFile);
    expect(copy).toBe(read(crdFile));
    expect(copy).toBe(nomadJobCrdYaml());
  });

  it("appVersion is package.json's version", () => {
    const manifest = yaml.load(read(path.join(chart, 'Chart.yaml'))) as Record<string, unknown>;
    const pkg = JSON.parse(read(path.join(repoRoot, 'package.json'))) as { version: string };
    expect(manifest.apiVersion).toBe('v2');
    expect(manifest.appVersion).toBe(pkg.version);
  });

  it('the README configuration table is the one generated from values.yaml', () => {
    const readme = read(readmeFile);
    expect(readme).toContain(startMarker);
    expect(readme).toContain(endMarker);
    expect(withTable(readme, valuesTable(read(valuesFile)))).toBe(readme);
  });

  it('every value is documented, by itself or by a documented parent', () => {
    const text = read(valuesFile);
    const documented = new Set(documentedValues(text).map((d) => d.key));
    const leaves: string[] = [];
    const walk = (value: unknown, prefix: string[]) => {
      if (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        Object.keys(value).length > 0
      ) {
        for (const [key, child] of Object.entries(value)) walk(child, [...prefix, key]);
      } else leaves.push(prefix.join('.'));
    };
    walk(yaml.load(text), []);
    const undocumented = leaves.filter((leaf) => {
      const parts = leaf.split('.');
      return !parts.some((_, i) => documented.has(parts.slice(0, i + 1).join('.')));
    });
    expect(undocumented).toEqual([]);
    for (const doc of documentedValues(text)) expect(doc.description, doc.key).not.toBe('');
  });

  it('translator.* holds every translator option, documented with its flag and the operator’s default', () => {
    const docs = new Map(documentedValues(read(valuesFile)).map((d) => [d.key, d]));
    const values = yaml.load(read(valuesFile)) as { translator: Record<string, unknown> };
    expect(Object.keys(values.translator).map((k) => `translator.${k}`)).toEqual(
      translatorOptionKeys.map((key) => translatorOptionNames[key].helm),
    );
    for (const key of translatorOptionKeys) {
      const names = translatorOptionNames[key];
      const doc = docs.get(names.helm);
      expect(doc?.description, names.helm).toContain(`\`--${names.flag}\``);
      // An empty image means the operator's default, which the description names.
      if (key.endsWith('Image'))
        expect(doc?.description).toContain(`empty: ${translatorOptionHelp[key].default}`);
    }
    expect(values.translator.millicoresPerMHz).toBe(Number(translatorOptionHelp.millicoresPerMHz.default));
    const template = read(path.join(chart, 'templates', 'deployment.yaml'));
    for (const key of translatorOptionKeys)
      expect(template, key).toContain(`${translatorOptionNames[key].flag}`);
  });

  it('the values schema names every top-level value and forbids others', () => {
    const schema = JSON.parse(read(path.join(chart, 'values.schema.json'))) as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    const values = yaml.load(read(valuesFile)) as Record<string, unknown>;
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(values).sort());
  });
});
