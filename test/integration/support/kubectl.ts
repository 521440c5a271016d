// kubectl against the test cluster: the binary built with the local control plane (inject('binDir')),
// with the test cluster's kubeconfig, as a user would run it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      path.join(inject('binDir'), 'kubectl'),
      [...args],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, KUBECONFIG: inject('kubeconfig') },
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}
