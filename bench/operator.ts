// The operator under test, as a child process, so that its memory is its own: RSS is read from
// /proc/<pid>/status while it runs. It runs as the image runs it (Dockerfile): bundled by
// scripts/build.ts (type stripping of src/ would cost it about 17 MiB that the image does not pay,
// tsc's one file per module about 5 MiB), with the V8 flags of the image's ENTRYPOINT and its malloc
// settings, so that the figures are those of the operator as shipped. Its log goes to a file next to
// the cluster's logs; /readyz on its metrics address tells when its caches have synced.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildOperator } from '../scripts/build.ts';
import { envOf, execForm, readDockerfile } from '../test/support/dockerfile.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface OperatorProcess {
  pid: number;
  apiUrl: string;
  metricsUrl: string;
  logFile: string;
  /** The node flags it runs with (the image's). */
  nodeFlags: string[];
  /** Resident set size now, in bytes (0 once the process is gone). */
  rss(): number;
  /** RSS now, split into the process's own (anonymous) memory and mapped files' pages. */
  rssSplit(): { anonBytes: number; fileBytes: number };
  /** The largest RSS seen by the sampler since start (sampled every 500 ms). */
  peakRss(): number;
  /** The operator's own write counter (nomad_operator_apiserver_writes_total), by `verb kind`. */
  writes(): Promise<Record<string, number>>;
  /** V8's heap (used, and reserved by the heap's spaces) and memory held outside it, from /metrics. */
  heap(): Promise<{ usedBytes: number; totalBytes: number; externalBytes: number }>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The image's runtime stage (the Dockerfile's last), read as the image tests read it. */
function runtimeStage() {
  return readDockerfile().stages.at(-1);
}

/**
 * The image's glibc malloc settings: the `MALLOC_*` variables of the runtime stage's ENV (arena
 * count, mmap threshold).
 */
export function imageMallocEnv(): Record<string, string> {
  const stage = runtimeStage();
  return Object.fromEntries(
    Object.entries(stage ? envOf(stage) : {}).filter(([name]) => name.startsWith('MALLOC_')),
  );
}

/** The node flags of the Dockerfile's ENTRYPOINT (`["node", <flags>…, "dist/cli/main.js", "run"]`). */
export function imageNodeFlags(): string[] {
  const entrypoint = runtimeStage()
    ?.instructions.filter((i) => i.keyword === 'ENTRYPOINT')
    .at(-1);
  const argv = entrypoint ? (execForm(entrypoint.args) ?? []) : [];
  const script = argv.findIndex((arg, i) => i > 0 && !arg.startsWith('--'));
  return argv.slice(1, script === -1 ? undefined : script);
}

/**
 * Builds the operator as the image's `dist` stage does (scripts/build.ts: one bundle with its
 * dependencies) into .local/bench/dist, inside the repository so that the repository's package.json
 * makes its files ES modules as /app/package.json does in the image; returns the entry point.
 */
export async function compileOperator(): Promise<string> {
  return buildOperator(path.join(repoRoot, '.local/bench/dist'));
}

/**
 * The resident set split by what backs it (/proc/<pid>/status): `anonBytes` is the process's own
 * memory (heap, stacks, malloc), `fileBytes` pages of mapped files, almost all of them the node
 * binary's own code and data, shared with every other process running the same binary and
 * reclaimable by the kernel. RSS is their sum (plus shared memory, which the operator has none of).
 */
export function rssSplitOf(pid: number): { anonBytes: number; fileBytes: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'mu').exec(status)?.[1] ?? 0) * 1024;
    return { anonBytes: kb('RssAnon'), fileBytes: kb('RssFile') };
  } catch {
    return { anonBytes: 0, fileBytes: 0 };
  }
}

export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/mu.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function startOperator(options: {
  /** The compiled entry point (compileOperator). */
  entryPoint: string;
  kubeconfig: string;
  defaultNamespace: string;
  logDir: string;
  extraArgs?: string[];
  /** Node flags instead of the image's (an experiment; the figures are then not the image's). */
  nodeFlags?: string[];
  /** Write a V8 CPU profile (.cpuprofile) into logDir when the operator exits. */
  cpuProfile?: boolean;
}): Promise<OperatorProcess> {
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  const nodeFlags = options.nodeFlags ?? imageNodeFlags();
  const logFile = path.join(options.logDir, 'bench-operator.log');
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        ...(options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${options.logDir}`] : []),
        options.entryPoint,
        'run',
        `--kubeconfig=${options.kubeconfig}`,
        `--listen=127.0.0.1:${apiPort}`,
        `--metrics-listen=127.0.0.1:${metricsPort}`,
        `--default-namespace=${options.defaultNamespace}`,
        '--no-leader-elect',
        '--log-level=warn',
        ...(options.extraArgs ?? []),
      ],
      {
        // A session of its own, as each control-plane component has (test/cluster/local-cluster.ts):
        // with the kernel's autogroups, a session is a CPU group of its own, as a pod's cgroup is in a
        // cluster. In the bench's session the operator would share one group with the client that
        // times it.
        detached: true,
        stdio: ['ignore', fd, fd],
        cwd: repoRoot,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          ...imageMallocEnv(),
        },
      },
    );
  } finally {
    closeSync(fd);
  }
  const pid = child.pid ?? 0;
  // Detached, it outlives the bench unless stopped: stopped when the bench exits, however it does.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killOnExit();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 500);
  sampler.unref();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    clearInterval(sampler);
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the operator exited (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    const ready = await fetch(`${metricsUrl}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    const serving =
      ready &&
      (await fetch(`${apiUrl}/v1/status/leader`).then(
        (r) => r.ok,
        () => false,
      ));
    if (serving) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the operator did not become ready in 3 minutes; see ${logFile}`);
    }
    await sleep(250);
  }
  return {
    pid,
    apiUrl,
    metricsUrl,
    logFile,
    nodeFlags,
    rss: () => rssOf(pid),
    rssSplit: () => rssSplitOf(pid),
    peakRss: () => Math.max(peak, rssOf(pid)),
    writes: async () => {
      const text = await fetch(`${metricsUrl}/metrics`).then((r) => r.text());
      const out: Record<string, number> = {};
      for (const match of text.matchAll(
        /^nomad_operator_apiserver_writes_total\{([^}]*)\}\s+([0-9.e+]+)$/gmu,
      )) {
        const labels = Object.fromEntries(
          [...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/gu)].map((m) => [m[1], m[2]]),
        );
        out[`${labels.verb} ${labels.kind}`] = Number(match[2]);
      }
      return out;
    },
    heap: async () => {
      const text = await fetch(`${metricsUrl}/metrics`).then((r) => r.text());
      const value = (name: string) =>
        Number(
          new RegExp(`^nomad_operator_nodejs_${name}\\s+([0-9.e+]+)$`, 'mu').exec(text)?.[1] ?? Number.NaN,
        );
      return {
        usedBytes: value('heap_size_used_bytes'),
        totalBytes: value('heap_size_total_bytes'),
        externalBytes: value('external_memory_bytes'),
      };
    },
    stop,
  };
}
