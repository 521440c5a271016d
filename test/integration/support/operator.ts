// The operator in-process for one test file: a fresh namespace, the controller reconciling it and the
// Nomad API serving it as Nomad's default namespace, started before the file's tests and stopped
// after; and a plain HTTP client for that API, as a curl script would call it.
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import type { ApiServer } from '../../../src/api/server.ts';
import { type Harness, startController } from '../controller/harness.ts';
import { startTestApiServer } from './api-server.ts';
import { createTestNamespace } from './kube.ts';

export interface OperatorUnderTest {
  namespace: string;
  controller: Harness;
  api: ApiServer;
}

/**
 * Starts the operator for the calling test file (in beforeAll; stopped and the namespace removed in
 * afterAll) and returns a getter for it, to call from inside the tests.
 */
export function operatorForFile(kc: KubeConfig, prefix: string): () => OperatorUnderTest {
  let ns: { name: string; remove: () => Promise<void> } | undefined;
  let controller: Harness | undefined;
  let api: ApiServer | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace(kc, prefix);
    controller = await startController(kc, ns.name, { workers: 2 });
    api = await startTestApiServer(kc, ns.name);
  });
  afterAll(async () => {
    await api?.close();
    await controller?.stop();
    await ns?.remove();
  });
  return () => {
    if (!ns || !controller || !api) throw new Error('the operator is started in beforeAll');
    return { namespace: ns.name, controller, api };
  };
}

/** One call of the Nomad API: its status and body text. */
export async function callApi(
  api: ApiServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await fetch(api.url + path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, text: await res.text() };
}
