// Writes while the kube-apiserver is unreachable fail at once, as Nomad's servers answer without a
// leader: 500 "No cluster leader" (the text Nomad's clients recognise), with the reason appended.
// Reads are still served from the caches. Requests that only compute (parse, validate, plan) pass.
import type { FastifyInstance } from 'fastify';
import type { ApiserverReachability } from '../kube/reachability.ts';

export const NO_LEADER_MESSAGE = 'No cluster leader (the kube-apiserver is unreachable)';

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** POST/PUT routes that never write: they only parse, validate or plan against the caches. */
function isComputeOnly(path: string): boolean {
  return path === '/v1/jobs/parse' || path === '/v1/validate/job' || /^\/v1\/job\/.+\/plan$/u.test(path);
}

export function refuseWritesWhileUnreachable(
  app: FastifyInstance,
  reachability: ApiserverReachability,
): void {
  // A callback-style hook: an async one would cost a promise on every request, reads included.
  app.addHook('onRequest', (request, reply, done) => {
    if (readMethods.has(request.method) || reachability.reachable()) {
      done();
      return;
    }
    const path = request.url.split('?', 1)[0] ?? '';
    if (!path.startsWith('/v1/') || isComputeOnly(path)) {
      done();
      return;
    }
    // Answered here: the request goes no further (Fastify stops once the reply is sent).
    reply.code(500).type('text/plain; charset=utf-8').send(NO_LEADER_MESSAGE);
  });
}
