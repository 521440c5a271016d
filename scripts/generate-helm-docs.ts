// Chart files generated from the project (npm run generate:helm-docs):
// * helm/nomad-operator/crds/: a copy of crds/nomadjobs.nomadoperator.dev.yaml (npm run generate:crd);
// * the chart's configuration table in README.md, between the
// markers `<!-- helm-values:start -->` and `<!-- helm-values:end -->`, from the `# --` comments of
// helm/nomad-operator/values.yaml: a comment starting with `# --` (continued by the `#` lines right
// under it) documents the key on the next line; its type and default come from the parsed value.
// `--check` writes nothing and exits 1 when the README's table is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const valuesFile = fileURLToPath(new URL('../helm/nomad-operator/values.yaml', import.meta.url));
export const readmeFile = fileURLToPath(new URL('../README.md', import.meta.url));
export const crdFile = fileURLToPath(new URL('../crds/nomadjobs.nomadoperator.dev.yaml', import.meta.url));
export const chartCrdFile = fileURLToPath(
  new URL('../helm/nomad-operator/crds/nomadjobs.nomadoperator.dev.yaml', import.meta.url),
);
export const startMarker = '<!-- helm-values:start -->';
export const endMarker = '<!-- helm-values:end -->';

export interface ValueDoc {
  /** Dotted path: `image.repository`. */
  key: string;
  type: string;
  default: unknown;
  description: string;
}

const keyLine = /^( *)([A-Za-z0-9_.-]+):(?:\s|$)/u;
const docStart = /^ *# -- ?(.*)$/u;
const docMore = /^ *#(?!\s*--) ?(.*)$/u;

/** The documented keys of a values.yaml text, in file order. */
export function documentedValues(text: string): ValueDoc[] {
  const values = yaml.load(text) as Record<string, unknown>;
  const docs: ValueDoc[] = [];
  const stack: Array<{ indent: number; key: string }> = [];
  let pending: string[] | undefined;
  for (const line of text.split('\n')) {
    const start = docStart.exec(line);
    if (start) {
      pending = [start[1] ?? ''];
      continue;
    }
    const more = pending && docMore.exec(line);
    if (more && pending) {
      pending.push(more[1] ?? '');
      continue;
    }
    const match = keyLine.exec(line);
    if (!match) {
      if (line.trim() === '') pending = undefined;
      continue;
    }
    const indent = match[1]?.length ?? 0;
    while (stack.length > 0 && (stack.at(-1)?.indent ?? 0) >= indent) stack.pop();
    stack.push({ indent, key: match[2] ?? '' });
    if (pending) {
      const path = stack.map((s) => s.key);
      const value = valueAt(values, path);
      docs.push({
        key: path.join('.'),
        type: typeOf(value),
        default: value,
        description: pending.join(' ').trim(),
      });
      pending = undefined;
    }
  }
  return docs;
}

export function valueAt(values: unknown, path: readonly string[]): unknown {
  let current = values;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : 'string';
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown table (no markers). */
export function valuesTable(text: string): string {
  const rows = documentedValues(text).map(
    (doc) =>
      `| \`${doc.key}\` | ${doc.type} | \`${cell(JSON.stringify(doc.default))}\` | ${cell(doc.description)} |`,
  );
  return ['| key | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** README text with the table between the markers replaced. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start === -1 || end === -1 || end < start)
    throw new Error(`README.md needs the markers ${startMarker} and ${endMarker}`);
  return `${readme.slice(0, start + startMarker.length)}\n${table}\n${readme.slice(end)}`;
}

function sync(file: string, next: string, what: string, check: boolean): void {
  const current = readFileSync(file, 'utf8');
  if (current === next) return;
  if (check) {
    process.stderr.write(`${what} is stale; run npm run generate:helm-docs\n`);
    process.exitCode = 1;
  } else {
    writeFileSync(file, next);
    process.stderr.write(`${what} updated\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  sync(chartCrdFile, readFileSync(crdFile, 'utf8'), 'helm/nomad-operator/crds/', check);
  const readme = readFileSync(readmeFile, 'utf8');
  sync(
    readmeFile,
    withTable(readme, valuesTable(readFileSync(valuesFile, 'utf8'))),
    'README.md values table',
    check,
  );
}
