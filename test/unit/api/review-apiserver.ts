// A real HTTP server standing in for the kube-apiserver's TokenReview and SubjectAccessReview
// endpoints, for the Kubernetes authorizer's tests: it accepts the token `good` (user alice) and
// allows alice `list` only, and records every request it receives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigForServer } from '../../support/operator-kubeconfig.ts';

export interface ReviewApiserver {
  kc: KubeConfig;
  /** The path of every request received, in order. */
  requests: string[];
  /** Stops the server and closes its connections: later requests get no answer. */
  stop(): Promise<void>;
}

export async function reviewApiserver(): Promise<ReviewApiserver> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as {
        spec?: { token?: string; resourceAttributes?: { verb?: string } };
      };
      requests.push(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.endsWith('/tokenreviews')) {
        const ok = body.spec?.token === 'good';
        res.end(
          JSON.stringify({
            ...body,
            status: ok
              ? { authenticated: true, user: { username: 'alice', groups: [] } }
              : { authenticated: false },
          }),
        );
      } else {
        res.end(
          JSON.stringify({ ...body, status: { allowed: body.spec?.resourceAttributes?.verb === 'list' } }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kc = kubeConfigForServer(`http://127.0.0.1:${port}`, 'operator');
  let stopped: Promise<void> | undefined;
  return {
    kc,
    requests,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
