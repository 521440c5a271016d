// ApiserverProbe against a real HTTP server standing in for the apiserver's /readyz: reachable
// while it answers 200 (or 401/403), unreachable when it answers 500 or is gone, and listeners hear
// every change.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiserverProbe } from '../../../src/kube/reachability.ts';
import { kubeConfigForServer, operatorConfig } from '../../support/operator-kubeconfig.ts';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function fakeApiserver(status: { code: number }): Promise<{ kc: KubeConfig; paths: string[] }> {
  const paths: string[] = [];
  server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.statusCode = status.code;
    res.end(status.code === 200 ? 'ok' : 'not ok');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kc = kubeConfigForServer(`http://127.0.0.1:${port}`, 't');
  return { kc, paths };
}

describe('ApiserverProbe', () => {
  it('follows /readyz and tells listeners of each change', async () => {
    const status = { code: 200 };
    const { kc, paths } = await fakeApiserver(status);
    const probe = new ApiserverProbe({ kubeConfig: operatorConfig(kc), timeoutMs: 1_000 });
    const changes: boolean[] = [];
    probe.onChange((reachable) => changes.push(reachable));
    expect(await probe.probe()).toBe(true);
    expect(paths).toEqual(['/readyz']);
    status.code = 500;
    expect(await probe.probe()).toBe(false);
    expect(probe.reachable()).toBe(false);
    status.code = 403;
    expect(await probe.probe()).toBe(true);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    expect(await probe.probe()).toBe(false);
    expect(changes).toEqual([false, true, false]);
  });
});
