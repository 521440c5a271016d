// The translation goldens (test/fixtures/translate/<name>.yaml): every corpus jobspec's objects and
// warnings, committed so that every change of the output shows up in review. Regenerate with
//   node test/fixtures/translate/generate.ts
import { existsSync, readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { corpusNames, translationGolden, translationGoldenPath } from '../../fixtures/translate/generate.ts';

const names = corpusNames();

describe('translation goldens', () => {
  it('cover the whole corpus', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
    expect(names.filter((name) => !existsSync(translationGoldenPath(name)))).toEqual([]);
  });

  it.each(names)('%s matches its golden', (name) => {
    const text = translationGolden(name);
    expect(text).toBe(readFileSync(translationGoldenPath(name), 'utf8'));
    // The golden is a YAML stream kubectl can read.
    expect(() => yaml.loadAll(text)).not.toThrow();
  });
});
