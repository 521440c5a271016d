// The container image's runtime, without a Docker engine: the Dockerfile's runtime stage is read
// (test/support/dockerfile.ts) and reproduced in a temporary directory: the bundle in dist/ as the
// `dist` stage builds it (scripts/build.ts), build/jobspec.wasm and build/wasm_exec.js as the `wasm`
// stage does, package.json and crds/ from the context, and no node_modules (the image installs
// nothing: the bundle must hold every runtime dependency). The tree is then made read-only and run
// the way the ENTRYPOINT runs it, with the stage's
// ENV, as the image's numeric user when the tests run as root (root ignores file modes), against
// the test cluster:
// * `run` becomes healthy and ready, serves the Nomad API with token authentication, and on SIGTERM
//   shuts down cleanly (exit 0) within seconds;
// * `convert` of an HCL jobspec works from dist/ (the wasm parser is found);
// * nothing is written anywhere but HOME/TMPDIR.
// The process runs as a standby (another holder owns its Lease), so it never reconciles the jobs of
// other tests sharing the cluster.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoordinationV1Api, type KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNomadJobCrd } from '../../src/kube/crds.ts';
import { copies, envOf, execForm, readDockerfile, repoRoot, workdirOf } from '../support/dockerfile.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';

const IMAGE_UID = 65532;
const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1)!;
const entrypoint = execForm(
  runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args ?? '',
)!;
const asRoot = process.getuid?.() === 0;

const kc = testKubeConfig();
let tmp: string;
let app: string;
let home: string;
let kubeconfigFile: string;
let namespace: string;
let removeNamespace: () => Promise<void>;
const leaseName = `layout-${Date.now().toString(36)}`;

/** Runs a command as the image's user (when root), with the runtime stage's ENV. */
function imageCommand(args: string[]): { command: string; args: string[] } {
  const node = process.execPath;
  const [first, ...rest] = args;
  const argv = first === 'node' ? [node, ...rest] : args;
  if (!asRoot) return { command: argv[0] ?? '', args: argv.slice(1) };
  return {
    command: 'setpriv',
    args: [`--reuid=${IMAGE_UID}`, `--regid=${IMAGE_UID}`, '--clear-groups', '--', ...argv],
  };
}

function imageEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...envOf(runtime), HOME: home, TMPDIR: home };
}

/** Every file under `dir` with its mtime, to tell that nothing was written. */
function snapshot(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      out.set(file, statSync(file).mtimeMs);
      if (entry.isDirectory()) walk(file);
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nomad-operator-image-'));
  chmodSync(tmp, 0o755);
  app = path.join(tmp, 'app');
  mkdirSync(app);
  const workdir = workdirOf(runtime);
  expect(workdir).toBe('/app');

  // The `dist` stage: the build script, as its RUN line runs it (the type check before it is
  // `npm run typecheck`'s business).
  const dist = path.join(tmp, 'dist-stage');
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.ts'), dist], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  expect(build.stderr, 'build script errors').toBe('');
  expect(build.status).toBe(0);
  // zod's messages in English only (scripts/build.ts): the bundle's sources name no other language.
  const bundled = readdirSync(path.join(dist, 'chunks'))
    .filter((file) => file.endsWith('.js.map'))
    .flatMap(
      (file) =>
        (JSON.parse(readFileSync(path.join(dist, 'chunks', file), 'utf8')) as { sources: string[] }).sources,
    );
  const locales = bundled.filter((source) => /zod\/v4\/locales\//u.test(source));
  expect([...new Set(locales.map((source) => path.basename(source)))]).toEqual(['en.js']);

  // The runtime stage's COPY lines, mapped onto this checkout.
  const stageRoot: Record<string, { root: string; workdir: string }> = {
    wasm: { root: repoRoot, workdir: workdirOf(dockerfile.stages.find((s) => s.name === 'wasm')!) },
    dist: {
      root: path.join(tmp, 'dist-stage-root'),
      workdir: workdirOf(dockerfile.stages.find((s) => s.name === 'dist')!),
    },
  };
  mkdirSync(stageRoot.dist!.root);
  cpSync(dist, path.join(stageRoot.dist!.root, 'dist'), { recursive: true });
  for (const copy of copies(runtime)) {
    for (const source of copy.sources) {
      let from: string;
      if (copy.from === undefined) from = path.join(repoRoot, source);
      else {
        const stage = stageRoot[copy.from];
        if (!stage) throw new Error(`COPY --from=${copy.from}: unknown stage`);
        from = path.join(stage.root, path.posix.relative(stage.workdir, source));
      }
      const into = copy.destination.endsWith('/')
        ? path.join(app, copy.destination, path.basename(source))
        : path.join(app, copy.destination);
      cpSync(from, path.resolve(app, into), { recursive: true });
    }
  }

  // Nothing is installed: no dependency can be resolved from outside the bundle.
  expect(runtime.instructions.some((i) => i.keyword === 'RUN')).toBe(false);
  expect(readdirSync(app).sort()).toEqual(['build', 'crds', 'dist', 'package.json']);

  // Read-only, owned by root: what the image's user sees with readOnlyRootFilesystem.
  execFileSync('chmod', ['-R', 'a-w', app]);

  home = path.join(tmp, 'home');
  mkdirSync(home, { mode: 0o700 });
  if (asRoot) chownSync(home, IMAGE_UID, IMAGE_UID);

  // A kubeconfig the image's user can read, with the CA inline.
  kubeconfigFile = path.join(home, 'kubeconfig');
  writeFileSync(kubeconfigFile, inlineKubeconfig(kc), { mode: 0o600 });
  if (asRoot) chownSync(kubeconfigFile, IMAGE_UID, IMAGE_UID);

  await ensureNomadJobCrd(operatorConfig(kc));
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'layout'));
  // Someone else leads: this process stays a standby (warm caches, API, no reconciling).
  await kc.makeApiClient(CoordinationV1Api).createNamespacedLease({
    namespace,
    body: {
      metadata: { name: leaseName },
      spec: {
        holderIdentity: 'another-replica',
        leaseDurationSeconds: 3600,
        acquireTime: new V1MicroTime(),
        renewTime: new V1MicroTime(),
      },
    },
  });
}, 300_000);

afterAll(async () => {
  await removeNamespace?.();
  if (tmp) {
    spawnSync('chmod', ['-R', 'u+w', tmp]);
    rmSync(tmp, { recursive: true, force: true });
  }
});

describe('the image runtime layout, read-only, as the image user', () => {
  it('convert parses an HCL jobspec from dist/ (the wasm is found)', () => {
    const before = snapshot(app);
    const { command, args } = imageCommand([
      'node',
      'dist/cli/main.js',
      'convert',
      path.join(repoRoot, 'test/fixtures/jobspecs/batch-simple.nomad.hcl'),
    ]);
    const result = spawnSync(command, args, { cwd: app, env: imageEnv(), encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/error/iu);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('kind: NomadJob');
    expect(snapshot(app)).toEqual(before);
  });

  it('run: healthy, ready, serves the Nomad API with tokens; SIGTERM exits 0 within seconds', async () => {
    // The image's exact flags are test/unit/dockerfile.test.ts's business; this runs whatever they are.
    expect([entrypoint[0], ...entrypoint.slice(-2)]).toEqual(['node', 'dist/cli/main.js', 'run']);
    const before = snapshot(app);
    const { command, args } = imageCommand([
      ...entrypoint,
      `--kubeconfig=${kubeconfigFile}`,
      '--listen=127.0.0.1:0',
      '--metrics-listen=127.0.0.1:0',
      '--allow-anonymous=false',
      `--leader-election-namespace=${namespace}`,
      `--leader-election-id=${leaseName}`,
    ]);
    const child: ChildProcess = spawn(command, args, {
      cwd: app,
      env: imageEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const logged = (message: string) =>
        stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; url?: string })
          .find((l) => l.msg === message)?.url;
      const ops = await waitFor(
        'the ops server URL in the log',
        async () => logged('serving /metrics, /healthz, /readyz'),
        {
          timeoutMs: 60_000,
        },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      });
      const healthz = await fetch(`${ops}/healthz`);
      expect(healthz.status).toBe(200);
      await waitFor('/readyz 200', async () => (await fetch(`${ops}/readyz`)).status === 200, {
        timeoutMs: 60_000,
      }).catch(async (error: unknown) => {
        const verbose = await (await fetch(`${ops}/readyz?verbose`)).text();
        throw new Error(`${String(error)}\n${verbose}\nstdout:\n${stdout.slice(-4000)}`);
      });

      const api = await waitFor('the Nomad API URL in the log', async () =>
        logged('serving the Nomad /v1 API'),
      );
      const token = kc.getCurrentUser()?.token ?? '';
      const jobs = await fetch(`${api}/v1/jobs`, { headers: { 'X-Nomad-Token': token } });
      expect(jobs.status).toBe(200);
      expect(Array.isArray(await jobs.json())).toBe(true);
      const anonymous = await fetch(`${api}/v1/jobs`);
      expect(anonymous.status).toBe(403);

      const metrics = await (await fetch(`${ops}/metrics`)).text();
      expect(metrics).toContain('nomad_operator_');

      const stopAt = Date.now();
      child.kill('SIGTERM');
      const exit = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
      ]);
      expect(exit, `exit after SIGTERM; stderr:\n${stderr}`).toEqual({ code: 0, signal: null });
      expect(Date.now() - stopAt).toBeLessThan(5_000);
      expect(stdout).toContain('"reason":"SIGTERM"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(snapshot(app)).toEqual(before);
    // It stayed a standby: the Lease still belongs to the other holder.
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace, name: leaseName });
    expect(lease.spec?.holderIdentity).toBe('another-replica');
  });
});

/** The test cluster's kubeconfig with every file inline (their paths may be unreadable to the image user). */
function inlineKubeconfig(source: KubeConfig): string {
  const cluster = source.getCurrentCluster()!;
  const user = source.getCurrentUser()!;
  const data = (inline: string | undefined, file: string | undefined) =>
    inline ?? (file ? readFileSync(file).toString('base64') : undefined);
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        cluster: {
          server: cluster.server,
          'certificate-authority-data': data(cluster.caData, cluster.caFile),
          'insecure-skip-tls-verify': cluster.skipTLSVerify || undefined,
        },
      },
    ],
    users: [
      {
        name: 'test',
        user: {
          token: user.token,
          'client-certificate-data': data(user.certData, user.certFile),
          'client-key-data': data(user.keyData, user.keyFile),
        },
      },
    ],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    'current-context': 'test',
  });
}
