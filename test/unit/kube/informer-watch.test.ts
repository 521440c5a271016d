// The informer's list-then-watch loop (src/kube/informer.ts over src/kube/watch.ts) against a real
// local HTTP server playing the apiserver: a watch answered 429 is tried again from the same
// resourceVersion (no new list, no error), a 410 Gone lists afresh and reports what changed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from '../../../src/kube/informer.ts';
import { KubeConfig } from '../../../src/kube/kubeconfig.ts';

let server: http.Server | undefined;
let informer: Informer<KubernetesObject> | undefined;
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

const configMap = (name: string, resourceVersion: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'a', resourceVersion },
});

type Step = (response: http.ServerResponse, query: URLSearchParams) => void;

/** Answers lists with `lists` in turn and watches with `watches` in turn (the last one repeats). */
async function fakeApiserver(lists: Step[], watches: Step[]) {
  const seen: string[] = [];
  let listed = 0;
  let watched = 0;
  server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const watch = url.searchParams.get('watch') === 'true';
    seen.push(watch ? `watch rv=${url.searchParams.get('resourceVersion')}` : 'list');
    const steps = watch ? watches : lists;
    const index = watch ? watched++ : listed++;
    steps[Math.min(index, steps.length - 1)]?.(response, url.searchParams);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { seen, kc: new KubeConfig({ server: `http://127.0.0.1:${port}` }) };
}

const list =
  (resourceVersion: string, ...items: ReturnType<typeof configMap>[]): Step =>
  (response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion }, items }),
    );
  };
const status =
  (code: number, headers: Record<string, string> = {}): Step =>
  (response) => {
    response.writeHead(code, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify({ kind: 'Status', code, message: `status ${code}` }));
  };
const events =
  (...lines: unknown[]): Step =>
  (response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    for (const line of lines) response.write(`${JSON.stringify(line)}\n`);
    // then held open, as a live watch is
  };

function start(kc: KubeConfig): Informer<KubernetesObject> {
  informer = new Informer({ kubeConfig: kc, path: '/api/v1/namespaces/a/configmaps', backoffInitialMs: 10 });
  informer.start();
  return informer;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('Informer list and watch', () => {
  it('tries a watch answered 429 again from the same resourceVersion, without a new list or an error', async () => {
    const { seen, kc } = await fakeApiserver(
      [list('5', configMap('one', '5'))],
      [
        status(429, { 'Retry-After': '1' }),
        status(429, { 'Retry-After': '1' }),
        events({ type: 'ADDED', object: configMap('two', '6') }),
      ],
    );
    const cache = start(kc);
    await until(() => cache.get('a', 'two') !== undefined);
    expect(seen).toEqual(['list', 'watch rv=5', 'watch rv=5', 'watch rv=5']);
    expect(cache.stats).toMatchObject({ errors: 0, lists: 1, restarts: 0 });
    expect(cache.list().map((object) => object.metadata?.name)).toEqual(['one', 'two']);
  });

  it('lists afresh after 410 Gone and reports what vanished meanwhile', async () => {
    const { seen, kc } = await fakeApiserver(
      [list('5', configMap('one', '5'), configMap('two', '5')), list('9', configMap('two', '8'))],
      [
        events({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } }),
        events({ type: 'BOOKMARK', object: { kind: 'ConfigMap', metadata: { resourceVersion: '10' } } }),
      ],
    );
    const cache = start(kc);
    const changes: string[] = [];
    cache.onChange((object, type) => changes.push(`${type} ${object.metadata?.name}`));
    // The 410 arrives as an event and ends the stream; the informer sees it only once it lists again.
    await until(() => seen.length >= 4);
    await until(() => cache.get('a', 'one') === undefined);
    expect(seen.slice(0, 4)).toEqual(['list', 'watch rv=5', 'list', 'watch rv=9']);
    expect(changes).toContain('delete one');
    expect(changes).toContain('update two');
    expect(cache.stats.errors).toBe(0);
  });
});
