// The Nomad /v1 HTTP API façade as a Fastify app. The plumbing real Nomad clients need:
// * bodies parsed as JSON whatever the Content-Type (the Go client sends none; Fastify would answer
//   415), empty bodies allowed (evaluate, periodic force);
// * errors as text/plain with Nomad's status codes and messages (errors.ts), never JSON;
// * gzip when the client accepts it (the Go client always asks and decodes only gzip);
// * the route groups under ./routes.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { parseJsonAsGo } from '../nomad/go-json.ts';
import { ApiError } from './errors.ts';
import { type ApiDeps, isKeptJson } from './http.ts';
import { BlockingQueryGate, resolveLimits, serverTimeouts } from './limits.ts';
import { agentRoutes } from './routes/agent.ts';
import { allocationRoutes } from './routes/allocations.ts';
import { deploymentRoutes } from './routes/deployments.ts';
import { evaluationRoutes } from './routes/evaluations.ts';
import { jobRoutes } from './routes/job.ts';
import { jobsRoutes } from './routes/jobs.ts';
import { namespaceRoutes } from './routes/namespaces.ts';
import { statusRoutes } from './routes/status.ts';
import { validateRoutes } from './routes/validate.ts';
import { keepAnswersWarm } from './warm.ts';

export type { ApiDeps } from './http.ts';

const gzipAsync = promisify(gzip);

/** The gzip of each answer kept between requests (http.ts JsonBytes), made once and kept with it. */
const gzippedKept = new WeakMap<Buffer, Promise<Buffer>>();

function gzipOf(buffer: Buffer): Promise<Buffer> {
  if (!isKeptJson(buffer)) return gzipAsync(buffer);
  let zipped = gzippedKept.get(buffer);
  if (!zipped) {
    zipped = gzipAsync(buffer);
    gzippedKept.set(buffer, zipped);
  }
  return zipped;
}

/** Largest request body: a 4 MiB job (MAX_JOB_JSON_BYTES) plus its submitted source and room to spare. */
export const BODY_LIMIT = 16 * 1024 * 1024;

export interface BuildOptions {
  logger?: FastifyServerOptions['loggerInstance'];
}

function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().split(';');
    if (coding.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export function buildApiApp(apiDeps: ApiDeps, options: BuildOptions = {}): FastifyInstance {
  const closing = new AbortController();
  // The bounds of limits.ts: job limits for the write routes, held blocking queries, timeouts.
  const limits = resolveLimits(apiDeps.limits);
  const blockingQueries = apiDeps.blockingQueries ?? new BlockingQueryGate(limits.maxBlockingQueries);
  const deps: ApiDeps = { ...apiDeps, closing: closing.signal, limits, blockingQueries };
  const actions = deps.actions;
  if (actions) {
    // Allocations name the evaluation recorded for their job version.
    deps.store.versionEvalId = (entry, version) =>
      actions.evaluationOfVersion(entry.object, deps.store.lister, version)?.ID;
  }
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    ...serverTimeouts(limits),
    // Job IDs may be long and contain anything; the router only sees the raw path.
    routerOptions: { maxParamLength: 100_000, ignoreTrailingSlash: false },
    return503OnClosing: false,
    // Malformed percent-encoding: Go's server answers 400 before any handler; so does this one,
    // in plain text.
    frameworkErrors: (error, _request, reply) => {
      const message = error.code === 'FST_ERR_BAD_URL' ? 'invalid URL escape' : error.message;
      const raw = reply.raw;
      raw.statusCode = 400;
      raw.setHeader('Content-Type', 'text/plain; charset=utf-8');
      raw.end(message);
    },
  });

  // Every job's read answers are kept computed in the background (warm.ts).
  const stopWarming = keepAnswersWarm(deps.store);
  app.addHook('onClose', async () => stopWarming());

  blockingQueries.onFull = (held) =>
    app.log.warn({ held }, 'blocking queries at their bound: further ones are answered at once');

  // Every body is JSON text, whatever the Content-Type says (or does not say): the header is dropped
  // before Fastify looks at it, so even an empty or malformed one reaches the catch-all parser.
  // Callback-style hooks (here and below): an async hook would cost a promise on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    const headers = request.raw.headers;
    if (headers['content-type'] !== undefined) delete headers['content-type'];
    done();
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, parseJsonAsGo(text));
    } catch (error) {
      done(new ApiError(400, `Failed to decode request body: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | ApiError | Error, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).type('text/plain; charset=utf-8').send(error.message);
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message =
        (error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'Request body too large'
          : error.message;
      return reply.code(status).type('text/plain; charset=utf-8').send(message);
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .type('text/plain; charset=utf-8')
      .send(error.message || 'internal error');
  });

  // Blocked queries must not hold up a shutdown.
  app.addHook('preClose', async () => closing.abort());

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type('text/plain; charset=utf-8').send('404 page not found'),
  );

  app.addHook('onSend', (request, reply, payload, done) => {
    const accepted = request.headers['accept-encoding'];
    if (accepted === undefined || !acceptsGzip(accepted) || reply.getHeader('content-encoding')) {
      done(null, payload);
      return;
    }
    let buffer: Buffer;
    if (typeof payload === 'string') buffer = Buffer.from(payload);
    else if (Buffer.isBuffer(payload)) buffer = payload;
    else {
      done(null, payload);
      return;
    }
    if (buffer.length === 0) {
      done(null, payload);
      return;
    }
    reply.header('Content-Encoding', 'gzip');
    reply.header('Vary', 'Accept-Encoding');
    reply.removeHeader('content-length');
    gzipOf(buffer).then((zipped) => done(null, zipped), done);
  });

  void app.register(async (api) => {
    await api.register(jobsRoutes, { deps });
    await api.register(jobRoutes, { deps });
    await api.register(validateRoutes, { deps });
    await api.register(allocationRoutes, { deps });
    await api.register(deploymentRoutes, { deps });
    await api.register(evaluationRoutes, { deps });
    await api.register(namespaceRoutes, { deps });
    await api.register(statusRoutes, { deps });
    await api.register(agentRoutes, { deps });
  });
  return app;
}
