// Locates (building on first use) the control-plane binaries: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kubectl, kwok and helm. The build itself lives in
// scripts/build-control-plane.sh so that CI, the Dockerfile stage and humans share one recipe.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const componentBinaries = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
  'helm',
] as const;
export type ComponentBinary = (typeof componentBinaries)[number];

export interface Binaries {
  dir: string;
  /** Folder holding kwok's stage definitions, copied from the kwok module at build time. */
  kwokStagesDir: string;
  path(name: ComponentBinary): string;
}

/**
 * Returns the binaries, building whatever is missing. The build script prints progress on stderr
 * (passed through) and the bin directory as the last line of stdout.
 */
export function ensureBinaries(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Binaries {
  const started = Date.now();
  const result = spawnSync('bash', [path.join(repoRoot, 'scripts/build-control-plane.sh')], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `building the control plane failed (exit ${result.status ?? result.signal}); see the messages above`,
    );
  }
  const dir = result.stdout.trim().split('\n').at(-1) ?? '';
  const seconds = Math.round((Date.now() - started) / 1000);
  if (seconds > 5) log(`control plane binaries ready in ${seconds}s (${dir})`);
  const binaries: Binaries = {
    dir,
    kwokStagesDir: path.join(dir, '..', 'kwok-stages'),
    path: (name) => path.join(dir, name),
  };
  for (const name of componentBinaries) {
    if (!existsSync(binaries.path(name)))
      throw new Error(`build finished but ${binaries.path(name)} is missing`);
  }
  return binaries;
}
