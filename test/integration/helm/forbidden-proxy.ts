// A recording proxy in front of the test cluster's apiserver, on loopback: the operator under test
// talks plain HTTP to it, it forwards every request (watches stream through) over TLS and records
// each 403 with the apiserver's own reason ("cannot patch resource "deployments" in API group
// "apps""). Counting at the wire sees every refusal, including those the operator retries or only
// logs (informer restarts, Events, best-effort annotations).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';

export interface Forbidden {
  method: string;
  path: string;
  /** From the Status message: the verb, resource (with subresource) and API group refused. */
  verb: string;
  resource: string;
  group: string;
  message: string;
}

export interface RecordingProxy {
  url: string;
  forbidden: Forbidden[];
  requests: number;
  /** Collection paths (no query) with a watch the apiserver accepted (200). */
  watching: ReadonlySet<string>;
  /** Resolves with the first 403 (at once if one was seen already). */
  firstForbidden: Promise<Forbidden>;
  close(): Promise<void>;
}

export async function startRecordingProxy(kc: KubeConfig): Promise<RecordingProxy> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const target = new URL(cluster.server);
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const agent = new https.Agent({
    keepAlive: true,
    ...(tls.ca ? { ca: tls.ca } : {}),
    rejectUnauthorized: !cluster.skipTLSVerify,
  });
  let reportFirst: (f: Forbidden) => void = () => undefined;
  const firstForbidden = new Promise<Forbidden>((resolve) => {
    reportFirst = resolve;
  });
  // Observed by whoever awaits it; never an unhandled rejection.
  void firstForbidden.catch(() => undefined);
  const state = { forbidden: [] as Forbidden[], requests: 0, watching: new Set<string>() };

  const server = http.createServer((request, response) => {
    state.requests++;
    const headers = { ...request.headers, host: target.host };
    const upstream = https.request(
      {
        protocol: 'https:',
        hostname: target.hostname,
        port: target.port || 443,
        method: request.method,
        path: request.url,
        headers,
        agent,
      },
      (reply) => {
        if (reply.statusCode !== 403) {
          const url = new URL(request.url ?? '/', 'http://proxy');
          if (reply.statusCode === 200 && url.searchParams.get('watch') === 'true')
            state.watching.add(url.pathname);
          response.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(response);
          return;
        }
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('end', () => {
          const body = Buffer.concat(chunks);
          let message = body.toString('utf8');
          try {
            const status = JSON.parse(message) as { message?: unknown };
            if (typeof status.message === 'string') message = status.message;
          } catch {
            // not a Status: keep the text
          }
          const refused = /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"/u.exec(message);
          const entry: Forbidden = {
            method: request.method ?? '',
            path: request.url ?? '',
            verb: refused?.[1] ?? '',
            resource: refused?.[2] ?? '',
            group: refused?.[3] ?? '',
            message,
          };
          state.forbidden.push(entry);
          reportFirst(entry);
          response.writeHead(403, reply.headers);
          response.end(body);
        });
      },
    );
    upstream.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
    // A client that goes away (an aborted watch) takes its upstream request along.
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get forbidden() {
      return state.forbidden;
    },
    get requests() {
      return state.requests;
    },
    get watching() {
      return state.watching;
    },
    firstForbidden,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
