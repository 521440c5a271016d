// The operator's Kubernetes REST client (src/kube/client.ts) and watch (src/kube/watch.ts) against
// real local HTTP and HTTPS servers: one pooled connection per TLS identity, client certificates
// presented, a new pool once the CA file changed; GETs answered 429 retried after Retry-After and
// writes never; a deadline on requests that get no answer; the apiserver's Status in a KubeApiError;
// a watch's events, bookmarks, 410 Gone and a stream gone silent.
import { utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient } from '../../../src/kube/client.ts';
import { kubeErrorCode, kubeErrorMessage } from '../../../src/kube/errors.ts';
import { KubeConfig, kubeConfigFromYaml } from '../../../src/kube/kubeconfig.ts';
import { type WatchEvent, watchCollection } from '../../../src/kube/watch.ts';
import { makeTlsFixtures, type TlsFixtures } from './tls-fixtures.ts';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const servers: (http.Server | https.Server)[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen<S extends http.Server | https.Server>(server: S): Promise<{ server: S; url: string }> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return { server, url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const json = (
  response: http.ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  response.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

async function plainServer(handler: Handler) {
  const requests: string[] = [];
  const { url } = await listen(
    http.createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      handler(request, response);
    }),
  );
  return { requests, client: new KubeClient(new KubeConfig({ server: url, user: { token: 't' } })) };
}

describe('KubeClient over TLS', () => {
  let tls: TlsFixtures;
  beforeAll(() => {
    tls = makeTlsFixtures();
  });

  /** An HTTPS server that requires a client certificate and answers with its CN; counts TLS handshakes. */
  async function apiserver() {
    let handshakes = 0;
    const server = https.createServer(
      {
        cert: tls.serverCert,
        key: tls.serverKey,
        ca: tls.caCert,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (request, response) => {
        const peer = (request.socket as TLSSocket).getPeerCertificate();
        json(response, 200, { user: peer.subject?.CN, authorization: request.headers.authorization ?? null });
      },
    );
    server.on('secureConnection', () => handshakes++);
    const { url } = await listen(server);
    return { url, handshakes: () => handshakes };
  }

  const kubeconfig = (server: string, caFile: string, user: string) => `clusters:
- name: c
  cluster: { server: '${server}', certificate-authority: '${caFile}' }
users:
- name: u
  user: ${user}
contexts:
- name: x
  context: { cluster: c, user: u }
current-context: x
`;

  it('presents the client certificate (data or files) and reuses one connection for every request', async () => {
    const server = await apiserver();
    const b64 = (pem: Buffer) => pem.toString('base64');
    const fromData = new KubeClient(
      kubeConfigFromYaml(
        kubeconfig(
          server.url,
          tls.files.caCert,
          `{ client-certificate-data: ${b64(tls.clientCert)}, client-key-data: ${b64(tls.clientKey)} }`,
        ),
      ),
    );
    for (let i = 0; i < 3; i++) {
      expect(await fromData.request({ method: 'GET', path: '/api' })).toEqual({
        user: 'alice',
        authorization: null,
      });
    }
    expect(server.handshakes()).toBe(1);

    const fromFiles = new KubeClient(
      kubeConfigFromYaml(
        kubeconfig(
          server.url,
          tls.files.caCert,
          `{ client-certificate: ${tls.files.clientCert}, client-key: ${tls.files.clientKey}, token: abc }`,
        ),
      ),
    );
    expect(await fromFiles.request({ method: 'GET', path: '/api' })).toEqual({
      user: 'alice',
      authorization: 'Bearer abc',
    });
    fromData.close();
    fromFiles.close();
  });

  it('keeps one pool per TLS identity and starts a new one when the CA file changed', async () => {
    const server = await apiserver();
    const caFile = `${tls.dir}/rotating-ca.crt`;
    writeFileSync(caFile, tls.caCert);
    const client = new KubeClient(
      kubeConfigFromYaml(
        kubeconfig(
          server.url,
          caFile,
          `{ client-certificate: ${tls.files.clientCert}, client-key: ${tls.files.clientKey} }`,
        ),
      ),
      { fileRecheckMs: 0 },
    );
    const first = await client.currentAgent();
    expect(await client.currentAgent()).toBe(first);
    await client.request({ method: 'GET', path: '/api' });
    // The same CA, written again: a new modification time, so a new pool (a rotated CA looks alike).
    writeFileSync(caFile, Buffer.concat([tls.caCert, Buffer.from('\n')]));
    utimesSync(caFile, new Date(), new Date(Date.now() + 10_000));
    const rotated = await client.currentAgent();
    expect(rotated).not.toBe(first);
    expect(await client.request({ method: 'GET', path: '/api' })).toMatchObject({ user: 'alice' });
    client.close();
  });

  it('refuses a server whose certificate the CA did not sign, unless told to skip verification', async () => {
    const server = await apiserver();
    const strange = new KubeClient(new KubeConfig({ server: server.url, tls: { caData: tls.clientCert } }));
    await expect(strange.request({ method: 'GET', path: '/api' })).rejects.not.toBeInstanceOf(KubeApiError);
    strange.close();
    const insecure = new KubeClient(
      new KubeConfig({
        server: server.url,
        tls: { insecureSkipTlsVerify: true },
        user: { certData: tls.clientCert, keyData: tls.clientKey },
      }),
    );
    expect(await insecure.request({ method: 'GET', path: '/api' })).toMatchObject({ user: 'alice' });
    insecure.close();
  });
});

describe('KubeClient requests', () => {
  it('retries a GET answered 429 after its Retry-After, a bounded number of times', async () => {
    let refusals = 2;
    const { requests, client } = await plainServer((_request, response) => {
      if (refusals-- > 0)
        return json(
          response,
          429,
          { kind: 'Status', code: 429, message: 'too many' },
          { 'Retry-After': '0' },
        );
      json(response, 200, { kind: 'ConfigMap' });
    });
    expect(await client.request({ method: 'GET', path: '/api/v1/namespaces/a/configmaps/b' })).toEqual({
      kind: 'ConfigMap',
    });
    expect(requests).toHaveLength(3);

    refusals = Number.POSITIVE_INFINITY;
    requests.length = 0;
    const failure = await client.request({ method: 'GET', path: '/x' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubeApiError);
    expect(failure).toMatchObject({ code: 429, headers: { 'retry-after': '0' } });
    expect(requests).toHaveLength(11);
  });

  it('never retries a write', async () => {
    const { requests, client } = await plainServer((_request, response) =>
      json(response, 429, { kind: 'Status', code: 429, message: 'too many' }, { 'Retry-After': '0' }),
    );
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      await expect(
        client.request({ method, path: '/api/v1/namespaces/a/configmaps', body: {} }),
      ).rejects.toMatchObject({
        code: 429,
      });
    }
    expect(requests).toHaveLength(4);
  });

  it('fails a request the apiserver never answers once its deadline passed, as no answer (not a KubeApiError)', async () => {
    const { client } = await plainServer(() => {
      // never answers
    });
    const failure = await client
      .request({ method: 'POST', path: '/api/v1/namespaces/a/configmaps', body: {}, timeoutMs: 200 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(KubeApiError);
    expect((failure as Error).name).toBe('TimeoutError');
  });

  it("carries the apiserver's Status, sends the body with its content type and the query", async () => {
    let seen: { url?: string; contentType?: string; body?: string } = {};
    const { client } = await plainServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        seen = { url: request.url, contentType: request.headers['content-type'], body };
        json(response, 404, {
          kind: 'Status',
          code: 404,
          reason: 'NotFound',
          message: 'configmaps "b" not found',
        });
      });
    });
    const failure = await client
      .request({
        method: 'PATCH',
        path: '/api/v1/namespaces/a/configmaps/b',
        body: { data: { k: 'v' } },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: 'me', dryRun: undefined, force: true },
      })
      .catch((error: unknown) => error);
    expect(seen).toEqual({
      url: '/api/v1/namespaces/a/configmaps/b?fieldManager=me&force=true',
      contentType: 'application/merge-patch+json',
      body: '{"data":{"k":"v"}}',
    });
    expect(failure).toBeInstanceOf(KubeApiError);
    expect(kubeErrorCode(failure)).toBe(404);
    expect(kubeErrorMessage(failure)).toBe('configmaps "b" not found');
    expect((failure as KubeApiError).body).toMatchObject({ reason: 'NotFound' });
  });
});

describe('watchCollection', () => {
  const configMap = (name: string, resourceVersion: string): KubernetesObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'a', resourceVersion },
  });

  it('delivers events and bookmarks in order, split anywhere, and ends with the last resourceVersion', async () => {
    let query = '';
    const { client } = await plainServer((request, response) => {
      query = request.url ?? '';
      response.writeHead(200, { 'Content-Type': 'application/json' });
      const text = [
        { type: 'ADDED', object: configMap('one', '11') },
        { type: 'BOOKMARK', object: { kind: 'ConfigMap', metadata: { resourceVersion: '12' } } },
        { type: 'MODIFIED', object: configMap('one', '13') },
        { type: 'DELETED', object: configMap('one', '14') },
      ]
        .map((event) => `${JSON.stringify(event)}\n`)
        .join('');
      // In uneven pieces, as a network delivers them.
      response.write(text.slice(0, 7));
      response.write(text.slice(7, 100));
      response.end(text.slice(100));
    });
    const events: WatchEvent<KubernetesObject>[] = [];
    const end = await watchCollection(
      client,
      '/api/v1/namespaces/a/configmaps',
      {
        resourceVersion: '10',
        labelSelector: 'app=x',
        timeoutSeconds: 60,
        signal: new AbortController().signal,
      },
      (event) => events.push(event),
    );
    expect(events.map((event) => `${event.type} ${event.object.metadata?.resourceVersion}`)).toEqual([
      'ADDED 11',
      'BOOKMARK 12',
      'MODIFIED 13',
      'DELETED 14',
    ]);
    expect(end).toEqual({ reason: 'closed', resourceVersion: '14', events: 4 });
    const params = new URL(query, 'http://x').searchParams;
    expect(Object.fromEntries(params)).toEqual({
      watch: 'true',
      resourceVersion: '10',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '60',
      labelSelector: 'app=x',
    });
  });

  it('ends as gone on 410 (as an ERROR event or as the answer), and fails on other answers', async () => {
    let mode: 'event' | 'answer' | 'forbidden' = 'event';
    const { client } = await plainServer((_request, response) => {
      if (mode === 'answer') return json(response, 410, { kind: 'Status', code: 410, message: 'too old' });
      if (mode === 'forbidden')
        return json(response, 403, { kind: 'Status', code: 403, message: 'forbidden' });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(
        `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } })}\n`,
      );
    });
    const watch = () =>
      watchCollection(
        client,
        '/api/v1/configmaps',
        { resourceVersion: '5', signal: new AbortController().signal },
        () => {},
      );
    expect(await watch()).toMatchObject({ reason: 'gone', resourceVersion: '5' });
    mode = 'answer';
    expect(await watch()).toMatchObject({ reason: 'gone' });
    mode = 'forbidden';
    await expect(watch()).rejects.toMatchObject({ code: 403, message: 'forbidden' });
  });

  it('ends a stream that stays silent past its inactivity bound, and stops when aborted', async () => {
    const { client } = await plainServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write(`${JSON.stringify({ type: 'ADDED', object: configMap('one', '21') })}\n`);
      // then nothing, connection held open
    });
    const quiet = await watchCollection(
      client,
      '/api/v1/configmaps',
      { resourceVersion: '20', inactivityMs: 200, signal: new AbortController().signal },
      () => {},
    );
    expect(quiet).toEqual({ reason: 'inactive', resourceVersion: '21', events: 1 });

    const abort = new AbortController();
    const aborted = await watchCollection(
      client,
      '/api/v1/configmaps',
      { resourceVersion: '20', signal: abort.signal },
      () => abort.abort(),
    );
    expect(aborted.reason).toBe('aborted');
  });
});
