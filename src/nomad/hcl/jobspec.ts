// Nomad HCL2 jobspec parsing (`POST /v1/jobs/parse`), done by our Go program in ./wasm compiled to
// WebAssembly (build/jobspec.wasm, made by `npm run build:wasm`) and run in-process. The Go side
// parses with HashiCorp's HCL library (Nomad's fork) and decodes into the `api.Job` struct of
// Nomad's Go client, so the JSON it returns has exactly api.Job's shape; `canonicalize` is
// `api.Job.Canonicalize()` itself.
//
// The module is loaded once, lazily, on first use. If the Go program ever dies (it should not: the Go
// side recovers from panics and refuses inputs that could exhaust its stack), the next call loads
// a fresh instance.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The largest job text (plus variables text) the parser accepts, in UTF-8 bytes. */
export const MAX_JOBSPEC_BYTES = 4 * 1024 * 1024;

export interface ParseJobspecOptions {
  /** The HCL2 (or HCL JSON syntax) job specification: the request's `JobHCL`. */
  hcl: string;
  /** Content of a variables file (`name = "value"` lines): the request's `Variables`. */
  variables?: string;
  /** Apply `api.Job.Canonicalize()` (the request's `Canonicalize`). */
  canonicalize?: boolean;
  /** File name used in diagnostics; Nomad's endpoint uses `input.hcl` (the default). */
  path?: string;
  /**
   * Enables the file-system functions (`file`, `filebase64`, `fileexists`, `fileset`, `abspath`,
   * `basename`, `dirname`, `pathexpand`) as the Nomad CLI has them, reading this machine's files;
   * relative paths start at `baseDir`. Never set this for input from the network: Nomad's HTTP
   * endpoint keeps them disabled ("filesystem function disabled"), and so does leaving this unset.
   */
  files?: { baseDir: string };
}

/** The synchronous file access the Go side calls back into (src/nomad/hcl/wasm/files_js.go). */
interface FileHooks {
  baseDir: string;
  readFile(path: string): { data: string } | HookError;
  stat(path: string): { mode: number } | HookError;
  readDir(path: string): { names: string[] } | HookError;
  cwd(): { path: string } | HookError;
  homeDir(): { path: string } | HookError;
}
interface HookError {
  code: string;
  message: string;
}

/** Runs a file-system call for Go, turning a thrown Node error into `{code, message}`. */
function hook<T extends object>(call: () => T): T | HookError {
  try {
    return call();
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    return { code: err.code ?? 'EIO', message: err.message };
  }
}

function fileHooks(baseDir: string): FileHooks {
  return {
    baseDir,
    readFile: (path) => hook(() => ({ data: readFileSync(path).toString('base64') })),
    stat: (path) => hook(() => ({ mode: statSync(path).mode })),
    readDir: (path) => hook(() => ({ names: readdirSync(path) })),
    cwd: () => hook(() => ({ path: process.cwd() })),
    homeDir: () => hook(() => ({ path: homedir() })),
  };
}

/**
 * How Nomad's endpoint would answer a failure: `empty` → 400 `Job spec is empty`; `parse` → 400
 * `Failed to parse job: <error>`; `too_large` → refused by this implementation's size/nesting
 * limits; `internal` → a bug or an unusable parser build.
 */
export type JobspecErrorKind = 'empty' | 'parse' | 'too_large' | 'internal';

export type ParseJobspecResult =
  | { ok: true; job: Record<string, unknown> }
  | { ok: false; error: string; kind: JobspecErrorKind; diagnostics: string[] };

interface GoExports {
  parse(hcl: string, variables: string, canonicalize: boolean, path: string, files?: FileHooks): string;
  canonicalize(jobJson: string): string;
}

// The few WebAssembly APIs used here, typed locally (the project's lib settings have no DOM types).
type WasmModule = object;
type WasmInstance = object;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface GoRuntime {
  importObject: object;
  run(instance: WasmInstance): Promise<void>;
  exited: boolean;
}

type GoConstructor = new () => GoRuntime;

interface Loaded {
  exports: GoExports;
  runtime: GoRuntime;
}

const GLOBAL_NAME = '__nomadJobspec';

let loading: Promise<Loaded> | undefined;
let compiled: Promise<WasmModule> | undefined;

/** The directory holding build/jobspec.wasm: `NOMAD_JOBSPEC_WASM_DIR`, else `<package root>/build`. */
export function jobspecWasmDir(): string {
  const override = process.env.NOMAD_JOBSPEC_WASM_DIR;
  if (override) return override;
  // Walk up from this module (src/nomad/hcl under vitest, a chunk in dist/chunks in the build) to
  // the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
        if (isRecord(parsed) && parsed.name === 'nomad-operator') return join(dir, 'build');
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the nomad-operator package root');
    dir = parent;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function load(): Promise<Loaded> {
  const dir = jobspecWasmDir();
  const glue = join(dir, 'wasm_exec.js');
  const wasm = join(dir, 'jobspec.wasm');
  if (!existsSync(glue) || !existsSync(wasm)) {
    throw new Error(`the jobspec parser is not built (${wasm}); run \`npm run build:wasm\``);
  }
  const holder = globalThis as unknown as Record<string, unknown>;
  if (typeof holder.Go !== 'function') {
    // Go's glue script defines globalThis.Go.
    await import(pathToFileURL(glue).href);
  }
  const Go = holder.Go as GoConstructor | undefined;
  if (typeof Go !== 'function') throw new Error(`${glue} did not define globalThis.Go`);

  if (!compiled) {
    const attempt = readFile(wasm).then((bytes) => wasmApi.compile(bytes));
    compiled = attempt;
    attempt.catch(() => {
      if (compiled === attempt) compiled = undefined;
    });
  }
  const module = await compiled;
  const runtime = new Go();
  const instance = await wasmApi.instantiate(module, runtime.importObject);
  delete holder[GLOBAL_NAME];
  // run() resolves only when the Go program exits; main() registers its functions and blocks.
  void runtime.run(instance).catch(() => undefined);
  const exports = holder[GLOBAL_NAME] as GoExports | undefined;
  if (!exports || typeof exports.parse !== 'function') {
    throw new Error('the jobspec parser did not register its functions');
  }
  return { exports, runtime };
}

async function loaded(): Promise<Loaded> {
  if (loading) {
    const current = await loading.catch(() => undefined);
    if (current && !current.runtime.exited) return current;
  }
  const attempt = load();
  loading = attempt;
  attempt.catch(() => {
    // let a later call try again (for example after `npm run build:wasm`)
    if (loading === attempt) loading = undefined;
  });
  return attempt;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function decodeAnswer(text: string): ParseJobspecResult {
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) throw new Error('unexpected answer from the jobspec parser');
  if (isRecord(parsed.job)) return { ok: true, job: parsed.job };
  const kind = parsed.kind;
  return {
    ok: false,
    error: typeof parsed.error === 'string' ? parsed.error : 'unknown error',
    kind: kind === 'empty' || kind === 'parse' || kind === 'too_large' ? kind : 'internal',
    diagnostics: Array.isArray(parsed.diagnostics)
      ? parsed.diagnostics.filter((d): d is string => typeof d === 'string')
      : [],
  };
}

function internal(error: string): ParseJobspecResult {
  return { ok: false, error, kind: 'internal', diagnostics: [] };
}

/**
 * Parses a Nomad HCL2 job specification into api.Job JSON, with the semantics of Nomad's
 * `/v1/jobs/parse`. Never throws: bad input, oversized input and an unusable parser build all come
 * back as `{ ok: false }`.
 */
export async function parseJobspec(options: ParseJobspecOptions): Promise<ParseJobspecResult> {
  const hcl = typeof options.hcl === 'string' ? options.hcl : '';
  const variables = typeof options.variables === 'string' ? options.variables : '';
  if (hcl === '') return { ok: false, error: 'Job spec is empty', kind: 'empty', diagnostics: [] };
  const size = utf8Length(hcl) + utf8Length(variables);
  if (size > MAX_JOBSPEC_BYTES) {
    return {
      ok: false,
      error: `job specification is too large: ${size} bytes (job HCL plus variables); the limit is ${MAX_JOBSPEC_BYTES} bytes`,
      kind: 'too_large',
      diagnostics: [],
    };
  }
  let go: Loaded;
  try {
    go = await loaded();
  } catch (err) {
    return internal(`cannot load the jobspec parser: ${describe(err)}`);
  }
  try {
    return decodeAnswer(
      go.exports.parse(
        hcl,
        variables,
        options.canonicalize === true,
        options.path ?? 'input.hcl',
        ...(options.files ? [fileHooks(options.files.baseDir)] : []),
      ),
    );
  } catch (err) {
    return internal(`the jobspec parser failed: ${describe(err)}`);
  }
}

/**
 * Runs Nomad's own `api.Job.Canonicalize()` (from the Go client) on api.Job JSON. Meant as a test
 * oracle for TypeScript re-implementations of the defaults. Never throws.
 */
export async function canonicalizeWithGo(job: unknown): Promise<ParseJobspecResult> {
  let text: string;
  try {
    text = JSON.stringify(job);
  } catch (err) {
    return internal(`cannot encode the job: ${describe(err)}`);
  }
  if (typeof text !== 'string' || !isRecord(job)) {
    return { ok: false, error: 'the job must be a JSON object', kind: 'parse', diagnostics: [] };
  }
  let go: Loaded;
  try {
    go = await loaded();
  } catch (err) {
    return internal(`cannot load the jobspec parser: ${describe(err)}`);
  }
  try {
    return decodeAnswer(go.exports.canonicalize(text));
  } catch (err) {
    return internal(`the jobspec parser failed: ${describe(err)}`);
  }
}
