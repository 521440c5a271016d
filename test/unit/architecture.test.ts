// The layers of src/ and which may import which (docs/architecture.md draws them). A layer is a
// folder under src/; the files at the top of src/ (config, log, metrics) are shared plumbing.
// The rule that matters most: the API and the reconciler meet only in the domain layer (src/jobs),
// so the API never imports the controller, and the domain never imports either of them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  nomad: [],
  translate: ['nomad'],
  crd: ['nomad'],
  kube: ['crd', 'nomad', 'shared'],
  jobs: ['crd', 'kube', 'nomad', 'translate'],
  controller: ['crd', 'jobs', 'kube', 'nomad', 'translate', 'shared'],
  api: ['crd', 'jobs', 'kube', 'nomad', 'translate', 'shared'],
  migrate: ['crd', 'nomad', 'translate'],
  cli: ['api', 'controller', 'crd', 'jobs', 'kube', 'migrate', 'nomad', 'translate', 'shared'],
  shared: ['kube', 'nomad', 'translate', 'shared'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'wasm' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? 'shared' : (parts[0] ?? 'shared');
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
}

const edges = sourceFiles(SRC).flatMap((file) =>
  relativeImports(file).map((spec) => ({
    file: relative(SRC, file),
    from: layerOf(file),
    to: layerOf(resolve(dirname(file), spec)),
  })),
);

describe('layers of src/', () => {
  it('finds the imports it checks', () => {
    expect(edges.some((e) => e.from === 'api' && e.to === 'jobs')).toBe(true);
    expect(edges.some((e) => e.from === 'controller' && e.to === 'jobs')).toBe(true);
  });

  it('imports only from the layers below', () => {
    const wrong = edges
      .filter((e) => e.from !== e.to && !(ALLOWED[e.from] ?? []).includes(e.to))
      .map((e) => `${e.file} imports ${e.to}/`);
    expect(wrong).toEqual([]);
  });

  it('the API never imports the controller', () => {
    expect(edges.filter((e) => e.from === 'api' && e.to === 'controller')).toEqual([]);
  });
});
