// Shared helpers for the jobspec parser tests.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type ParseJobspecOptions, parseJobspec } from '../../../../src/nomad/hcl/jobspec.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Builds build/jobspec.wasm when it is missing or older than its Go sources (the script does
 * nothing otherwise), so `vitest run` works without `npm test`'s pretest hook.
 */
export function ensureJobspecWasm(): void {
  execFileSync('bash', [join(root, 'scripts/build-jobspec-wasm.sh')], { stdio: 'pipe' });
}

/** Parses and expects success. */
export async function parseOk(options: ParseJobspecOptions): Promise<Record<string, unknown>> {
  const result = await parseJobspec(options);
  if (!result.ok) throw new Error(`expected a successful parse, got: ${result.error}`);
  return result.job;
}

/** Parses and expects failure; returns the error text. */
export async function parseError(options: ParseJobspecOptions): Promise<string> {
  const result = await parseJobspec(options);
  expect(result.ok).toBe(false);
  return result.ok ? '' : result.error;
}

/** Walks into parsed JSON: at(job, 'TaskGroups', 0, 'Tasks', 0, 'Name'). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) throw new Error(`not an array at ${String(key)} in ${path.join('.')}`);
      current = current[key];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) {
        throw new Error(`not an object at ${key} in ${path.join('.')}`);
      }
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}

/** The element of an array of objects whose Name (or the given key) equals name. */
export function named(list: unknown, name: string, key = 'Name'): Record<string, unknown> {
  if (!Array.isArray(list)) throw new Error('not an array');
  const found = list.find(
    (item): item is Record<string, unknown> =>
      typeof item === 'object' && item !== null && (item as Record<string, unknown>)[key] === name,
  );
  if (!found) throw new Error(`no element with ${key} ${name}`);
  return found;
}

export const SECOND = 1_000_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
