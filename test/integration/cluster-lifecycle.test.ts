// `npm run cluster:up` / `cluster:down` as a newcomer uses them: a second `up` reuses the running
// cluster, `down` leaves no process behind, and a component that cannot start is named with the
// tail of its log while nothing keeps running. These tests start clusters of their own, beside the
// one the other tests use (so two clusters run at once on distinct ports).
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../cluster/binaries.ts';
import {
  type ClusterState,
  ComponentError,
  components,
  defaultClusterDir,
  isAlive,
  readState,
  up,
} from '../cluster/local-cluster.ts';

const run = promisify(execFile);

async function npmRun(script: string, cluster: string) {
  const { stdout, stderr } = await run('npm', ['run', '--silent', script], {
    cwd: repoRoot,
    env: { ...process.env, NOMAD_OPERATOR_CLUSTER: cluster },
    timeout: 600_000,
  });
  return { stdout, stderr };
}

const alivePids = (state: ClusterState) =>
  components.map((c) => state.pids[c]).filter((pid) => isAlive(pid, state.binDir));

describe('cluster commands', () => {
  it('cluster:up twice reuses one cluster, and cluster:down leaves no component process', async () => {
    const name = `lifecycle-${process.pid}`;
    const dir = defaultClusterDir(name);
    try {
      const first = await npmRun('cluster:up', name);
      const lastLine = first.stdout.trimEnd().split('\n').at(-1);
      expect(lastLine).toBe(`export KUBECONFIG=${path.join(dir, 'kubeconfig')}`);
      const started = readState(dir)!;
      expect(alivePids(started)).toHaveLength(components.length);

      const second = await npmRun('cluster:up', name);
      expect(second.stdout.trimEnd().split('\n').at(-1)).toBe(lastLine);
      expect(second.stderr).toContain('already running');
      expect(readState(dir)?.pids).toEqual(started.pids);

      await npmRun('cluster:down', name);
      expect(alivePids(started)).toEqual([]);
      expect(readState(dir)).toBeUndefined();
    } finally {
      await npmRun('cluster:down', name).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a component that fails to start, shows its log, and leaves nothing running', async () => {
    const dir = defaultClusterDir(`broken-${process.pid}`);
    try {
      const failure = await up({
        dir,
        log: () => undefined,
        extraArgs: { 'kube-scheduler': ['--no-such-flag=1'] },
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ComponentError);
      expect((failure as ComponentError).component).toBe('kube-scheduler');
      expect((failure as ComponentError).message).toContain('unknown flag: --no-such-flag');
      const state = readState(dir)!;
      expect(state.pids.etcd).toBeGreaterThan(0); // it did get that far
      expect(alivePids(state)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
