// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad runtime references are literal "${…}" text
// Bad input: syntax errors, schema errors, variables, limits, and the loader's own guarantees.
// Error texts are HCL's diagnostics as Nomad's parser reports them ("<file>:<line>,<col>-<col>:
// <summary>; <detail>"); Nomad's endpoint prefixes them with "Failed to parse job: ".

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalizeWithGo,
  jobspecWasmDir,
  MAX_JOBSPEC_BYTES,
  parseJobspec,
} from '../../../../src/nomad/hcl/jobspec.ts';
import { at, ensureJobspecWasm, parseError, parseOk } from './helpers.ts';

beforeAll(ensureJobspecWasm, 600_000);

const job = (body: string) => `job "x" {\n${body}\n}\n`;

describe('syntax errors', () => {
  it('an unclosed block reports file:line,column and HCL wording', async () => {
    const error = await parseError({ hcl: 'job "x" {\n  group "g" {\n' });
    expect(error).toBe(
      'input.hcl:2,13-14: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
    );
  });

  it('an invalid expression', async () => {
    const error = await parseError({ hcl: job('  type = 1 +') });
    expect(error).toMatch(/^input\.hcl:2,\d+-3,\d+: Invalid expression; Expected the start of an expression/);
  });

  it('the one-line sample of the API docs is not valid HCL2', async () => {
    const error = await parseError({ hcl: 'job "example" { type = "service" group "cache" {} }' });
    expect(error).toBe(
      'input.hcl:1,34-39: Invalid single-argument block definition; A single-line block definition must end with a closing brace immediately after its single argument definition.',
    );
  });

  it('the path option names the file in diagnostics', async () => {
    const error = await parseError({ hcl: job('  foo = 1'), path: 'web.nomad.hcl' });
    expect(error).toBe(
      'web.nomad.hcl:2,3-6: Unsupported argument; An argument named "foo" is not expected here.',
    );
  });

  it('HCL JSON syntax errors', async () => {
    const error = await parseError({ hcl: '{"job": {"x": ' });
    expect(error).toMatch(/^input\.hcl:1,\d+-\d+: /);
  });
});

describe('schema errors', () => {
  it('unknown argument', async () => {
    expect(await parseError({ hcl: job('  foo = 1') })).toBe(
      'input.hcl:2,3-6: Unsupported argument; An argument named "foo" is not expected here.',
    );
  });

  it('unknown block, deep inside a task', async () => {
    const error = await parseError({
      hcl: job('  group "g" {\n    task "t" {\n      bogus {}\n    }\n  }'),
    });
    // HCL suggests the closest known name
    expect(error).toBe(
      'input.hcl:4,7-12: Unsupported block type; Blocks of type "bogus" are not expected here. Did you mean "logs"?',
    );
  });

  it('unknown top-level argument', async () => {
    expect(await parseError({ hcl: `oops = 1\n${job('')}` })).toBe(
      'input.hcl:1,1-5: Unsupported argument; An argument named "oops" is not expected here.',
    );
  });

  it('several decoding errors are reported one per line', async () => {
    const error = await parseError({ hcl: job('  foo = 1\n  bar = 2') });
    expect(error.split('\n')).toHaveLength(2);
  });

  it('missing job block', async () => {
    // The diagnostic has no source range, which Nomad prints as "<nil>".
    expect(await parseError({ hcl: 'variable "a" {\n  default = 1\n}\n' })).toBe(
      '<nil>: Missing job block; A job block is required',
    );
  });

  it('empty job text: "Job spec is empty"', async () => {
    const result = await parseJobspec({ hcl: '' });
    expect(result).toEqual({ ok: false, error: 'Job spec is empty', kind: 'empty', diagnostics: [] });
  });

  it('duplicate job block', async () => {
    expect(await parseError({ hcl: 'job "a" {}\njob "b" {}\n' })).toBe(
      'input.hcl:2,1-8: Duplicate job block; Only one block of type "job" is allowed. Previous definition was at input.hcl:1,1-8.',
    );
  });

  it('bad duration string', async () => {
    const error = await parseError({
      hcl: job('  group "g" {\n    task "t" {\n      kill_timeout = "10 parsecs"\n    }\n  }'),
    });
    expect(error).toBe(
      'input.hcl:4,23-33: Unsuitable value type; Unsuitable duration value: time: unknown unit " parsecs" in duration "10 parsecs"',
    );
  });

  it('task scaling block with a label other than cpu/mem', async () => {
    const error = await parseError({
      hcl: job('  group "g" {\n    task "t" {\n      scaling "gpu" { max = 1 }\n    }\n  }'),
    });
    expect(error).toBe(
      'input.hcl:4,15-20: Invalid scaling policy name; scaling policy name must be "cpu" or "mem"',
    );
  });

  it('group scaling without max', async () => {
    const error = await parseError({ hcl: job('  group "g" {\n    scaling {\n      min = 1\n    }\n  }') });
    expect(error).toContain(
      'Missing required argument; The argument "max" is required, but no definition was found.',
    );
  });

  it('file-system functions are disabled', async () => {
    const error = await parseError({ hcl: job('  meta {\n    a = file("/etc/passwd")\n  }') });
    expect(error).toContain('Call to function "file" failed: filesystem function disabled.');
  });

  it('unknown function', async () => {
    const error = await parseError({ hcl: job('  region = tostring(1)') });
    expect(error).toContain('Call to unknown function; There is no function named "tostring".');
  });
});

describe('variables', () => {
  const declared = 'variable "dc" {\n  type    = string\n  default = "dc1"\n}\n';

  it('the Variables text overrides a default', async () => {
    const parsed = await parseOk({
      hcl: `${declared}${job('  datacenters = [var.dc]')}`,
      variables: 'dc = "dc9"\n',
    });
    expect(at(parsed, 'Datacenters')).toEqual(['dc9']);
    const byDefault = await parseOk({ hcl: `${declared}${job('  datacenters = [var.dc]')}` });
    expect(at(byDefault, 'Datacenters')).toEqual(['dc1']);
  });

  it('referring to an undeclared variable is an error', async () => {
    const error = await parseError({ hcl: job('  datacenters = [var.nope]') });
    expect(error).toContain(
      'input.hcl:2,21-26: Unsupported attribute; This object does not have an attribute named "nope".',
    );
  });

  it('a declared variable without a value is "Unset variable"', async () => {
    expect(await parseError({ hcl: `variable "x" {}\n${job('')}` })).toBe(
      '<nil>: Unset variable "x"; A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables  for details.',
    );
  });

  it('values for undeclared variables in the Variables text are ignored (non-strict parse)', async () => {
    const parsed = await parseOk({ hcl: job(''), variables: 'whatever = 1\n' });
    expect(at(parsed, 'ID')).toBe('x');
  });

  it('a value of the wrong type is rejected', async () => {
    const error = await parseError({
      hcl: `variable "n" {\n  type = number\n  default = 1\n}\n${job('')}`,
      variables: 'n = "many"\n',
    });
    expect(error).toContain(
      "Invalid value for variable; The value for n is not compatible with the variable's type constraint",
    );
  });

  it('a syntax error in the Variables text', async () => {
    const error = await parseError({ hcl: `${declared}${job('')}`, variables: 'dc = = \n' });
    expect(error).toMatch(/^unable to parse var content: input\.hcl:1,/);
  });

  it('declaring a variable in the Variables text is an error', async () => {
    const error = await parseError({ hcl: `${declared}${job('')}`, variables: 'variable "dc" {}\n' });
    expect(error).toContain('Variable declaration in a .var file');
  });

  it('validation rules apply to the value in force', async () => {
    const hcl = `variable "port" {\n  default = 8080\n  validation {\n    condition     = var.port > 1024\n    error_message = "Unprivileged ports only."\n  }\n}\n${job('')}`;
    expect((await parseJobspec({ hcl })).ok).toBe(true);
    const error = await parseError({ hcl, variables: 'port = 80\n' });
    expect(error).toContain('Invalid value for varfile variable; Unprivileged ports only.');
  });

  it('locals that refer to each other in a cycle fail', async () => {
    const error = await parseError({ hcl: `locals {\n  a = local.b\n  b = local.a\n}\n${job('')}` });
    expect(error).toContain('Unsupported attribute');
  });
});

describe('limits and robustness', () => {
  it('finds build/ at the package root', () => {
    expect(jobspecWasmDir()).toBe(join(import.meta.dirname, '../../../../build'));
  });

  it('refuses input over the size limit', async () => {
    const result = await parseJobspec({ hcl: `${job('')}#${'x'.repeat(MAX_JOBSPEC_BYTES)}` });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.kind).toBe('too_large');
    expect(!result.ok && result.error).toContain('too large');
  });

  it('counts the variables text in the limit', async () => {
    const result = await parseJobspec({ hcl: job(''), variables: `# ${'é'.repeat(MAX_JOBSPEC_BYTES / 2)}` });
    expect(!result.ok && result.kind).toBe('too_large');
  });

  it('deeply nested input is refused without crashing the parser', async () => {
    const deep = job(`  meta = { a = ${'['.repeat(200_000)}${']'.repeat(200_000)} }`);
    const result = await parseJobspec({ hcl: deep });
    expect(!result.ok && result.kind).toBe('too_large');
    const interpolation = job(`  meta {\n    a = "\${${'('.repeat(50_000)}1${')'.repeat(50_000)}}"\n  }`);
    expect(!(await parseJobspec({ hcl: interpolation })).ok).toBe(true);
    // and the parser still works afterwards
    expect(at(await parseOk({ hcl: job('') }), 'ID')).toBe('x');
  });

  it('moderately deep nesting still parses', async () => {
    let config = 'leaf = 1';
    for (let i = 0; i < 100; i++) config = `level {\n${config}\n}`;
    const parsed = await parseOk({
      hcl: job(`  group "g" {\n    task "t" {\n      config {\n${config}\n      }\n    }\n  }`),
    });
    let node = at(parsed, 'TaskGroups', 0, 'Tasks', 0, 'Config');
    for (let i = 0; i < 100; i++) node = at(node, 'level', 0);
    expect(node).toEqual({ leaf: 1 });
  });

  it('garbage input never throws', async () => {
    for (const hcl of [
      '\u0000\u0001',
      '{',
      '}}}}',
      'job',
      '"',
      '<<EOF',
      'job "x" { config = { a = [ } }',
      '\uFFFD'.repeat(100),
    ]) {
      const result = await parseJobspec({ hcl });
      expect(result.ok).toBe(false);
    }
  });

  it('canonicalizeWithGo rejects non-objects and accepts api.Job JSON', async () => {
    expect((await canonicalizeWithGo([1, 2])).ok).toBe(false);
    expect((await canonicalizeWithGo({ TaskGroups: 'nope' })).ok).toBe(false);
    const result = await canonicalizeWithGo({ ID: 'a', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't' }] }] });
    expect(result.ok && at(result.job, 'TaskGroups', 0, 'Tasks', 0, 'Resources')).toMatchObject({
      CPU: 100,
      MemoryMB: 300,
    });
  });
});
