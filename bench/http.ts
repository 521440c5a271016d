// Keep-alive HTTP clients for the timed requests: the same client code for the operator's Nomad API
// (plain HTTP on loopback) and for the kube-apiserver (HTTPS with the kubeconfig's CA and token), so
// that both sides of every comparison pay the same client costs and differ only in the server.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Client {
  request(method: string, path: string, body?: unknown): Promise<Response>;
  close(): void;
}

function send(
  transport: typeof http | typeof https,
  options: http.RequestOptions,
  body: string | undefined,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = transport.request(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A client of the Nomad API at `baseUrl` (http://host:port). */
export function nomadClient(baseUrl: string): Client {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    request: (method, path, body) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      return send(
        http,
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: text
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
            : {},
        },
        text,
      );
    },
    close: () => agent.destroy(),
  };
}

/** A client of the kube-apiserver the kubeconfig names, with its credentials. */
export async function kubeClient(kc: KubeConfig): Promise<Client> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server);
  const base: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(base);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 64,
    ca: base.ca,
    cert: base.cert,
    key: base.key,
  });
  const authHeaders = { ...(base.headers as Record<string, string> | undefined) };
  return {
    request: (method, path, body) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      return send(
        https,
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: {
            ...authHeaders,
            accept: 'application/json',
            ...(text ? { 'content-type': contentType, 'content-length': Buffer.byteLength(text) } : {}),
          },
        },
        text,
      );
    },
    close: () => agent.destroy(),
  };
}

/** Throws unless the response has one of the expected statuses. */
export function expectStatus(response: Response, what: string, ...statuses: number[]): Response {
  if (!statuses.includes(response.status))
    throw new Error(`${what}: HTTP ${response.status} ${response.body.slice(0, 300)}`);
  return response;
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
