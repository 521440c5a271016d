// Writes while the kube-apiserver is unreachable: refused at once with Nomad's "No cluster leader"
// (500, plain text); reads, parse, validate and plan still pass; everything passes once it is back.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { NO_LEADER_MESSAGE, refuseWritesWhileUnreachable } from '../../../src/api/availability.ts';

function app(reachable: { value: boolean }) {
  const server = Fastify();
  refuseWritesWhileUnreachable(server, { reachable: () => reachable.value });
  const ok = async () => 'handled';
  server.get('/v1/jobs', ok);
  server.put('/v1/jobs', ok);
  server.post('/v1/jobs/parse', ok);
  server.put('/v1/validate/job', ok);
  server.put('/v1/job/:id/plan', ok);
  server.put('/v1/job/:id/dispatch', ok);
  server.delete('/v1/job/:id', ok);
  return server;
}

describe('refuseWritesWhileUnreachable', () => {
  it('refuses writes while unreachable, and only writes', async () => {
    const reachable = { value: false };
    const server = app(reachable);
    for (const [method, url] of [
      ['PUT', '/v1/jobs'],
      ['PUT', '/v1/job/web/dispatch?idempotency_token=t'],
      ['DELETE', '/v1/job/web?purge=true'],
    ] as const) {
      const res = await server.inject({ method, url, payload: {} });
      expect(res.statusCode, url).toBe(500);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toBe(NO_LEADER_MESSAGE);
      expect(res.body).toContain('No cluster leader');
    }
    for (const [method, url] of [
      ['GET', '/v1/jobs?index=3'],
      ['POST', '/v1/jobs/parse'],
      ['PUT', '/v1/validate/job'],
      ['PUT', '/v1/job/web/plan'],
    ] as const) {
      const res = await server.inject(
        method === 'GET'
          ? { method, url }
          : { method, url, payload: {}, headers: { 'content-type': 'application/json' } },
      );
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe('handled');
    }
    reachable.value = true;
    expect((await server.inject({ method: 'PUT', url: '/v1/jobs', payload: {} })).body).toBe('handled');
  });
});
