import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (no cluster), and integration tests that run against a real
// kube-apiserver. The integration project's global setup uses the cluster named by KUBECONFIG, or
// starts a private local cluster for the run and stops it afterwards (see test/cluster/).
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
    ],
  },
});
