// `nomad-operator convert`: a jobspec (HCL2, HCL JSON syntax, or Nomad API JSON) → a NomadJob YAML, or
// with --manifests the Kubernetes objects the operator would apply, as a YAML stream. Warnings go to
// stderr, one per line (`warning: <path>: <message>`). Exit status: 0 done (warnings or not), 1 the job
// could not be read, parsed or validated, 2 bad usage.
//
//   nomad-operator convert <file.nomad.hcl|file.json|-> [--var k=v]... [--var-file f]...
//                          [--namespace ns] [--manifests] [-o dir] [translator options]
// The translator options are those of `nomad-operator run` (parsed by src/translate/options.ts, the same
// parser), so `convert --manifests` prints what the operator applies with the same settings.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { nomadJobObject } from '../crd/object.ts';
import { agentDrops, canonicalize } from '../nomad/canonicalize.ts';
import { parseJsonAsGo } from '../nomad/go-json.ts';
import { parseJobspec } from '../nomad/hcl/jobspec.ts';
import { createNamespaceMapper, NOMAD_DEFAULT_NAMESPACE } from '../nomad/ids.ts';
import type { Job } from '../nomad/schema.ts';
import { formatMultiError, parseJobJson, validateJob } from '../nomad/validate.ts';
import { translate } from '../translate/index.ts';
import { parseTranslatorOptions, translatorOptionsUsage } from '../translate/options.ts';
import type { Warning } from '../translate/types.ts';
import { translatorFlags, translatorTextsOf } from './translator-flags.ts';

/** Where a command reads and writes; the real process streams by default, buffers in tests. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The whole of standard input (read only for `-`). */
  readStdin(): Promise<string>;
}

export const processIo: CommandIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  },
};

export const CONVERT_USAGE = `Usage: nomad-operator convert <file.nomad.hcl|file.json|-> [options]

Converts a Nomad jobspec into a NomadJob resource (default) or into the Kubernetes objects
that run it (--manifests). Warnings about fields that do not translate go to stderr.

Options:
  --var k=v          set an HCL input variable (repeatable)
  --var-file f       read HCL input variables from a file (repeatable)
  --namespace ns     Kubernetes namespace of the output (default: from the job's Nomad namespace)
  --manifests        print the translated Kubernetes objects instead of a NomadJob
  -o, --output dir   write one file per object into dir instead of printing
  -h, --help         show this help

Translator options (with --manifests; the same as \`nomad-operator run\`, docs/translation.md):
${translatorOptionsUsage({ width: 48, withEnv: false }).join('\n')}
`;

/** A job read from input: canonicalized, or every problem found. */
/** The job, canonical and valid, and what Nomad's HTTP API would drop of it (canonicalize.ts agentDrops). */
export type LoadResult = { ok: true; job: Job; dropped: Warning[] } | { ok: false; errors: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** HCL text for one `--var k=v`: numbers, booleans, lists and maps as HCL values, anything else as a string. */
export function variableLine(name: string, value: string): string {
  const trimmed = value.trim();
  const literal =
    /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed) ||
    trimmed === 'true' ||
    trimmed === 'false' ||
    /^\[[\s\S]*\]$/.test(trimmed) ||
    /^\{[\s\S]*\}$/.test(trimmed);
  if (literal) return `${name} = ${trimmed}`;
  const quoted = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, '$$$${')
    .replace(/%\{/g, '%%{');
  return `${name} = "${quoted}"`;
}

/**
 * The top-level `name = value` assignments of a variables file, each with its full text (values may
 * span lines: lists, maps, heredocs). Undefined when the text cannot be split (the parser then reports
 * the problem itself).
 */
export function splitAssignments(text: string): { name: string; text: string }[] | undefined {
  const out: { name: string; text: string }[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Skip blank space and comments between assignments.
    const skip = /^(?:\s+|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(text.slice(i));
    if (skip && skip[0] !== '') {
      i += skip[0].length;
      continue;
    }
    const head = /^([A-Za-z_][\w-]*)\s*=/.exec(text.slice(i));
    if (!head) return undefined;
    const start = i;
    i += head[0].length;
    let depth = 0;
    while (i < n) {
      const c = text[i];
      if (c === '"') {
        i++;
        while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        i++;
      } else if (c === '<' && text.startsWith('<<', i)) {
        const heredoc = /^<<-?([A-Za-z_][\w-]*)[^\n]*\n/.exec(text.slice(i));
        if (!heredoc) return undefined;
        const end = new RegExp(`\\n[ \\t]*${heredoc[1]}[ \\t]*(?=\\n|$)`).exec(
          text.slice(i + heredoc[0].length - 1),
        );
        if (!end) return undefined;
        i += heredoc[0].length - 1 + end.index + end[0].length;
      } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
        while (i < n && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) return undefined;
        i = end + 2;
      } else if (c === '[' || c === '{' || c === '(') {
        depth++;
        i++;
      } else if (c === ']' || c === '}' || c === ')') {
        depth--;
        i++;
      } else if (c === '\n' && depth <= 0) {
        break;
      } else i++;
    }
    if (depth !== 0) return undefined;
    out.push({ name: head[1] ?? '', text: text.slice(start, i).trimEnd() });
  }
  return out;
}

/**
 * The variables text for the parser: the files in order, then the `--var` assignments; a later value
 * of a variable replaces an earlier one, as with Nomad's -var-file and -var.
 */
export function variablesText(
  files: readonly string[],
  vars: readonly { name: string; value: string }[],
): string {
  const assignments = new Map<string, string>();
  const unsplittable: string[] = [];
  for (const file of files) {
    const parts = splitAssignments(file);
    if (!parts) {
      unsplittable.push(file);
      continue;
    }
    for (const part of parts) {
      assignments.delete(part.name);
      assignments.set(part.name, part.text);
    }
  }
  for (const { name, value } of vars) {
    assignments.delete(name);
    assignments.set(name, variableLine(name, value));
  }
  return [...unsplittable, ...assignments.values()].join('\n');
}

/** What the input text is: Nomad API JSON (bare or `{"Job": …}`), or a jobspec (HCL2 or its JSON syntax). */
function classify(
  text: string,
): { kind: 'api'; value: unknown } | { kind: 'hcl' } | { kind: 'bad-json'; error: string } {
  if (!/^\s*[{[]/.test(text)) return { kind: 'hcl' };
  let value: unknown;
  try {
    value = parseJsonAsGo(text);
  } catch (error) {
    return { kind: 'bad-json', error: (error as Error).message };
  }
  if (isRecord(value) && isRecord(value.Job)) return { kind: 'api', value: value.Job };
  // HCL's JSON syntax: `{"job": {"name": {…}}}`, possibly with `variable`/`locals` blocks.
  if (isRecord(value) && isRecord(value.job) && !('ID' in value) && !('TaskGroups' in value)) {
    return { kind: 'hcl' };
  }
  return { kind: 'api', value };
}

/**
 * Where a jobspec's file functions (`file`, `fileset`, `fileexists`, …) start relative paths: the
 * working directory, as with the Nomad CLI (it parses a job file under its base name, so its base
 * directory is always "."), for a file argument and for stdin alike. Only this local command reads
 * files; the API's /v1/jobs/parse keeps the functions disabled, as Nomad's does.
 */
export function fileFunctionsBaseDir(): string {
  return process.cwd();
}

/**
 * Reads a job from jobspec or JSON text: HCL through the Go jobspec parser (with its Canonicalize),
 * API JSON through `parseJobJson`; then Nomad's server canonicalization and validation.
 */
export async function loadJob(options: {
  text: string;
  /** File name for diagnostics; `-` for stdin. */
  path: string;
  /** HCL variables-file text (from --var-file and --var). */
  variables?: string;
}): Promise<LoadResult> {
  const input = classify(options.text);
  let parsed: Job;
  if (input.kind === 'bad-json') return { ok: false, errors: [`invalid JSON: ${input.error}`] };
  if (input.kind === 'hcl') {
    const result = await parseJobspec({
      hcl: options.text,
      variables: options.variables ?? '',
      canonicalize: true,
      path: options.path === '-' ? 'stdin.hcl' : options.path,
      files: { baseDir: fileFunctionsBaseDir() },
    });
    if (!result.ok) {
      return { ok: false, errors: [result.error, ...result.diagnostics.filter((d) => d !== result.error)] };
    }
    const job = parseJobJson(result.job);
    if (!job.ok) return job;
    parsed = job.job;
  } else {
    if ((options.variables ?? '') !== '') {
      return { ok: false, errors: ['--var and --var-file apply to HCL jobspecs, not to JSON jobs'] };
    }
    const job = parseJobJson(input.value);
    if (!job.ok) return job;
    parsed = job.job;
  }
  const job = canonicalize(parsed);
  const validation = validateJob(job);
  if (validation.errors.length > 0) {
    return { ok: false, errors: [`job validation failed: ${formatMultiError(validation.errors).trim()}`] };
  }
  return { ok: true, job, dropped: agentDrops(parsed) };
}

const YAML_OPTIONS: yaml.DumpOptions = { noRefs: true, lineWidth: -1, sortKeys: false };

/** One YAML document per object, separated by `---`. */
export function yamlStream(objects: readonly object[]): string {
  return objects.map((o) => yaml.dump(o, YAML_OPTIONS)).join('---\n');
}

/** The Kubernetes namespace for a job: the option, else the identity mapping of its Nomad namespace. */
export function namespaceFor(job: Job, namespace: string | undefined): string {
  return namespace ?? createNamespaceMapper()(job.Namespace || NOMAD_DEFAULT_NAMESPACE);
}

/** The NomadJob object for a job, in `namespace` when given. */
export function nomadJobFor(job: Job, namespace: string | undefined): KubernetesObject {
  const object = nomadJobObject(job as Record<string, unknown>);
  if (namespace !== undefined) object.metadata = { ...object.metadata, namespace };
  return object;
}

export function formatWarning(w: Warning): string {
  const oneLine = (s: string) => s.replace(/\r?\n/g, ' ');
  return w.path === ''
    ? `warning: ${oneLine(w.message)}`
    : `warning: ${oneLine(w.path)}: ${oneLine(w.message)}`;
}

function fileName(object: KubernetesObject): string {
  return `${(object.kind ?? 'object').toLowerCase()}-${object.metadata?.name ?? 'unnamed'}.yaml`;
}

/** Runs `convert` with its arguments (after the subcommand); returns the exit status. */
export async function runConvert(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n\n${CONVERT_USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout.write(CONVERT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr.write(`error: expected exactly one input file (or - for stdin)\n\n${CONVERT_USAGE}`);
    return 2;
  }
  const file = positionals[0] ?? '-';
  const vars: { name: string; value: string }[] = [];
  for (const assignment of values.var ?? []) {
    const eq = assignment.indexOf('=');
    const name = assignment.slice(0, Math.max(eq, 0)).trim();
    if (eq <= 0 || !/^[A-Za-z_][\w-]*$/.test(name)) {
      io.stderr.write(`error: --var expects name=value, got ${JSON.stringify(assignment)}\n`);
      return 2;
    }
    vars.push({ name, value: assignment.slice(eq + 1) });
  }
  const translator = parseTranslatorOptions(translatorTextsOf(values));
  if (!translator.ok) {
    io.stderr.write(`${translator.errors.map((e) => `error: ${e}`).join('\n')}\n`);
    return 2;
  }
  const namespace = values.namespace;
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    io.stderr.write(
      `error: --namespace ${JSON.stringify(namespace)} is not a valid Kubernetes namespace name\n`,
    );
    return 2;
  }

  let text: string;
  const varFiles: string[] = [];
  try {
    text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
    for (const f of values['var-file'] ?? []) varFiles.push(await readFile(f, 'utf8'));
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  const variables = variablesText(varFiles, vars);

  const loaded = await loadJob({ text, path: file, variables });
  if (!loaded.ok) {
    io.stderr.write(`error: ${file === '-' ? 'stdin' : file}: ${loaded.errors.join('\n')}\n`);
    return 1;
  }
  const job = loaded.job;
  for (const w of loaded.dropped) io.stderr.write(`${formatWarning(w)}\n`);
  let objects: KubernetesObject[];
  if (values.manifests) {
    const result = translate(job, { ...translator.options, namespace: namespaceFor(job, namespace) });
    for (const w of result.warnings) io.stderr.write(`${formatWarning(w)}\n`);
    objects = result.objects;
  } else {
    objects = [nomadJobFor(job, namespace)];
  }

  const dir = values.output;
  if (dir === undefined) {
    io.stdout.write(yamlStream(objects));
    return 0;
  }
  try {
    await mkdir(dir, { recursive: true });
    for (const object of objects) {
      const path = join(dir, fileName(object));
      await writeFile(path, yaml.dump(object, YAML_OPTIONS));
      io.stderr.write(`wrote ${path}\n`);
    }
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  return 0;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      var: { type: 'string', multiple: true },
      'var-file': { type: 'string', multiple: true },
      namespace: { type: 'string' },
      manifests: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
      ...translatorFlags,
    },
  });
}
