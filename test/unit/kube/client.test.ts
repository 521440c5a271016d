// PooledKubeConfig: every request of one TLS identity gets the same connection pool (client-node
// alone builds a new one, hence a new TLS connection, per request); another identity gets another.
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { PooledKubeConfig } from '../../../src/kube/client.ts';

const kubeconfig = (caData: string) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${Buffer.from(caData).toString('base64')}
users:
- name: u
  user:
    token: secret
contexts:
- name: x
  context: { cluster: c, user: u }
current-context: x
`;

async function dispatcherOf(kc: PooledKubeConfig) {
  const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  expect(context.getHeaders().Authorization).toBe('Bearer secret');
  return context.getDispatcher();
}

describe('PooledKubeConfig', () => {
  it('gives every request of one TLS identity the same dispatcher, and a new identity a new one', async () => {
    const kc = new PooledKubeConfig();
    kc.loadFromString(kubeconfig('first CA'));
    const first = await dispatcherOf(kc);
    expect(first).toBeDefined();
    expect(await dispatcherOf(kc)).toBe(first);

    kc.loadFromString(kubeconfig('rotated CA'));
    const rotated = await dispatcherOf(kc);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(first);
    expect(await dispatcherOf(kc)).toBe(rotated);
  });
});
