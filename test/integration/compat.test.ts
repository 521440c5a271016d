// Real Nomad clients against the real thing: the controller (in-process, as in controller/harness.ts)
// and the Nomad /v1 API server on 127.0.0.1, both on the test cluster, with a namespace of their own
// as Nomad's `default`. Then the official Go client suite (test/compat/go) and the python-nomad suite
// (test/compat/python) run against it as child processes with NOMAD_ADDR set; every Go test and every
// pytest test must pass, and none may be skipped. scripts/setup-compat.sh prepares both suites
// (.ci/run calls it; this file calls it too when the Python venv is missing).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { type Harness, startController } from './controller/harness.ts';
import { createTestNamespace, testKubeConfig } from './support/kube.ts';

const root = path.resolve(import.meta.dirname, '../..');
const goSuite = path.join(root, 'test/compat/go');
const pySuite = path.join(root, 'test/compat/python');
const venvPython = path.join(root, '.local/compat-venv/bin/python');
const SUITE_TIMEOUT_MS = 20 * 60_000;

const kc = testKubeConfig();
let namespace: string;
let removeNamespace: (() => Promise<void>) | undefined;
let harness: Harness | undefined;
let server: { url: string; close(): Promise<void> } | undefined;

beforeAll(async () => {
  if (!existsSync(venvPython)) await run('bash', [path.join(root, 'scripts/setup-compat.sh')], { cwd: root });
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'compat'));
  harness = await startController(kc, namespace);
  server = await startApiServer({
    kubeConfig: operatorConfig(kc),
    defaultNamespace: namespace,
    listen: { host: '127.0.0.1', port: 0 },
    allowAnonymous: true,
  });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await harness?.stop();
  await removeNamespace?.();
}, 120_000);

interface Outcome {
  name: string;
  result: 'pass' | 'fail' | 'skip';
  output: string;
}

describe('Nomad clients against the /v1 API', () => {
  it(
    'the official Go client (github.com/hashicorp/nomad/api): every test in test/compat/go passes',
    async () => {
      const { code, stdout, stderr } = await run(
        'go',
        ['test', './...', '-count=1', '-json', '-timeout', '18m'],
        { cwd: goSuite, env: { NOMAD_ADDR: server!.url, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' } },
      );
      const outcomes = parseGoTestJson(stdout);
      assertAllPassed('go test (test/compat/go)', outcomes, code, stderr);
    },
    SUITE_TIMEOUT_MS,
  );

  it(
    'python-nomad 2.1.0: every test in test/compat/python passes',
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'compat-pytest-'));
      try {
        const report = path.join(dir, 'report.xml');
        const { code, stdout, stderr } = await run(
          venvPython,
          [
            '-m',
            'pytest',
            '-q',
            '--tb=short',
            '-p',
            'no:cacheprovider',
            '-o',
            'junit_family=xunit1',
            `--junitxml=${report}`,
            pySuite,
          ],
          { cwd: root, env: { NOMAD_ADDR: server!.url, PYTHONDONTWRITEBYTECODE: '1' } },
        );
        const outcomes = existsSync(report) ? parseJUnitXml(readFileSync(report, 'utf8')) : [];
        assertAllPassed('pytest (test/compat/python)', outcomes, code, `${stdout}\n${stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SUITE_TIMEOUT_MS,
  );
});

/** Fails with every failing or skipped test's name and output, or with the run's own output. */
function assertAllPassed(
  suite: string,
  outcomes: Outcome[],
  code: number | null,
  processOutput: string,
): void {
  const bad = outcomes.filter((o) => o.result !== 'pass');
  const report = bad
    .map((o) => `--- ${o.result.toUpperCase()} ${o.name}\n${indent(o.output.trim() || '(no output)')}`)
    .join('\n\n');
  const passed = outcomes.length - bad.length;
  if (bad.length > 0)
    console.error(`${suite}: ${bad.length} of ${outcomes.length} tests did not pass\n\n${report}`);
  expect(
    bad.map((o) => `${o.result} ${o.name}`),
    `${suite}: ${passed}/${outcomes.length} passed\n\n${report}`,
  ).toEqual([]);
  expect(
    outcomes.length,
    `${suite} ran no tests (exit ${code}):\n${processOutput.slice(-8000)}`,
  ).toBeGreaterThan(0);
  expect(code, `${suite} exited ${code} although every test passed:\n${processOutput.slice(-8000)}`).toBe(0);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

interface GoTestEvent {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
}

/**
 * Outcomes of `go test -json`: one per test and subtest, plus one per package that failed outside
 * any test (build errors, TestMain exits, panics, timeouts).
 */
function parseGoTestJson(stdout: string): Outcome[] {
  const outputs = new Map<string, string[]>();
  const results = new Map<string, Outcome['result']>();
  const packageFailed = new Map<string, boolean>();
  const buildOutput: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: GoTestEvent;
    try {
      event = JSON.parse(line) as GoTestEvent;
    } catch {
      continue;
    }
    const key = event.Test ? `${event.Test}` : `package ${event.Package ?? '?'}`;
    if (event.Action === 'build-output' && event.Output !== undefined) {
      buildOutput.push(event.Output); // compiler errors (Go ≥ 1.24 reports them apart)
    } else if (event.Action === 'output' && event.Output !== undefined) {
      const lines = outputs.get(key) ?? [];
      lines.push(event.Output);
      outputs.set(key, lines);
    } else if (
      event.Test &&
      (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip')
    ) {
      results.set(key, event.Action);
    } else if (!event.Test && event.Action === 'fail') {
      packageFailed.set(key, true);
    }
  }
  const outcomes: Outcome[] = [...results].map(([name, result]) => ({
    name,
    result,
    output: (outputs.get(name) ?? [])
      .filter((l) => !/^(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP)):? /.test(l.trimStart()))
      .join(''),
  }));
  // A package that failed with no failing test failed outside the tests: report its output.
  for (const key of packageFailed.keys()) {
    if (!outcomes.some((o) => o.result === 'fail')) {
      outcomes.push({
        name: key,
        result: 'fail',
        output: [...buildOutput, ...(outputs.get(key) ?? [])].join(''),
      });
    }
  }
  // Tests that started but never finished (a panic or a timeout took the package down).
  for (const [name, lines] of outputs) {
    if (!name.startsWith('package ') && !results.has(name)) {
      outcomes.push({ name, result: 'fail', output: `${lines.join('')}\n(the test never finished)` });
    }
  }
  return outcomes;
}

/** Outcomes of a pytest JUnit XML report. */
function parseJUnitXml(xml: string): Outcome[] {
  const outcomes: Outcome[] = [];
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attributes = match[1] ?? '';
    const body = match[2] ?? '';
    const attr = (name: string) =>
      unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1] ?? '');
    const name = `${attr('classname')}::${attr('name')}`;
    const problem = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    if (!problem) {
      outcomes.push({ name, result: 'pass', output: '' });
      continue;
    }
    const message = unescapeXml(/\bmessage="([^"]*)"/.exec(problem[2] ?? '')?.[1] ?? '');
    const text = unescapeXml(problem[3] ?? '');
    outcomes.push({
      name,
      result: problem[1] === 'skipped' ? 'skip' : 'fail',
      output: text.trim() !== '' ? text : message, // pytest's message is the text's (shortened) start
    });
  }
  return outcomes;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Runs a command to its end, collecting its output; the environment is the test's plus `env`. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (command === 'bash' && code !== 0)
        reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
