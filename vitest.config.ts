import { defineConfig } from 'vitest/config';

// Three projects: fast unit tests (no cluster); integration tests that run against a real
// kube-apiserver (the cluster named by KUBECONFIG, or a private local cluster for the run, see
// test/cluster/); and fault tests, which run the operator as real processes and break things
// (SIGKILL, SIGTERM, the kube-apiserver stopped) on a private local cluster of their own, never
// the one KUBECONFIG names (test/faults/global-setup.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Tests share one cluster; each test file works in namespaces of its own, so files may run
          // side by side, but the machine has two cores: keep the pool small.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          // One file at a time: a file that stops the kube-apiserver must not break its neighbours,
          // and each file runs operator processes of its own on two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
