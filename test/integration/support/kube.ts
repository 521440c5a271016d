// Shared plumbing for integration tests: a client for the test cluster, throwaway namespaces,
// and polling with a useful failure message.

import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

/**
 * A read retried while the apiserver answers 429 (its storage of a resource reinitializes when a
 * CRD is updated, e.g. by the chart tests running beside this one), honouring Retry-After, as
 * client-go's clients retry on their own.
 */
export async function retryingTooManyRequests<T>(read: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const { code, headers } = error as { code?: number; headers?: Record<string, string> };
      if (code !== 429 || attempt >= attempts) throw error;
      const seconds = Number(headers?.['retry-after'] ?? 1);
      await new Promise((resolve) => setTimeout(resolve, (Number.isFinite(seconds) ? seconds : 1) * 1000));
    }
  }
}

/** Creates a namespace with a unique name; returns it and a function that deletes it. */
export async function createTestNamespace(
  kc: KubeConfig,
  prefix: string,
): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  // Pods are refused until the controller-manager has created the namespace's default account.
  await waitFor(`service account default in ${name}`, async () => {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return true;
    } catch {
      return false;
    }
  });
  return {
    name,
    remove: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`
 * with the description and the last observation.
 */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${description}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
  );
}
