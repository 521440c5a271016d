// GET /v1/status/leader and /v1/status/peers: this server is the leader of a one-server cluster.
import type { FastifyInstance } from 'fastify';
import { type ApiDeps, handlerResult, sendPlain } from '../http.ts';

export async function statusRoutes(app: FastifyInstance, { deps }: { deps: ApiDeps }): Promise<void> {
  const address = () => deps.advertise ?? '127.0.0.1:4647';
  // Polled by clients: answered at once, without a promise.
  app.get('/v1/status/leader', (_request, reply) => handlerResult(reply, sendPlain(reply, address())));
  app.get('/v1/status/peers', (_request, reply) => handlerResult(reply, sendPlain(reply, [address()])));
}
