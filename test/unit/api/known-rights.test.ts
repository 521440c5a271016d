// Reads whose caller's rights the authorizer already knows (acl.ts knownCaller/knownAllowed) are
// answered at once, without asking it (http.ts withPermission): with the same status, headers and
// bytes as when it must be asked, refusals included; what it does not know is asked, as before. And
// the Kubernetes authorizer knows exactly what its caches hold: callers and decisions it was told,
// never a refused token, never anything it was not asked before.
import { gunzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type Authorizer, type Caller, makeKubeAuthorizer } from '../../../src/api/acl.ts';
import { ApiError } from '../../../src/api/errors.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { type ReviewApiserver, reviewApiserver } from './review-apiserver.ts';
import { serviceJob, testApi } from './support.ts';

/**
 * Token `good` may read everything, `reader-elsewhere` only namespace `other`, `bad` is not a token.
 * With `knows`, the known* methods answer what the async ones would; without, they know nothing.
 */
function countingAuthorizer() {
  const alice: Caller = { anonymous: false, username: 'alice', groups: [] };
  const elsewhere: Caller = { anonymous: false, username: 'bob', groups: [] };
  const callerOf = (token: string | undefined): Caller => {
    if (token === 'good') return alice;
    if (token === 'reader-elsewhere') return elsewhere;
    throw new ApiError(403, 'ACL token not found');
  };
  const allows = (caller: Caller, namespace: string) => caller === alice || namespace === 'other';
  const counts = { asked: 0 };
  const control = { knows: true };
  const authorizer: Authorizer = {
    authenticate: async (token) => {
      counts.asked++;
      return callerOf(token);
    },
    allowed: async (caller, namespace) => {
      counts.asked++;
      return allows(caller, namespace);
    },
    // Never throws: a token it cannot vouch for is left to authenticate.
    knownCaller: (token) => {
      if (!control.knows || (token !== 'good' && token !== 'reader-elsewhere')) return undefined;
      return callerOf(token);
    },
    knownAllowed: (caller, namespace) => (control.knows ? allows(caller, namespace) : undefined),
  };
  return { authorizer, counts, control };
}

/** What a client sees of a response, the Date header aside. */
function seen(res: LightMyRequestResponse) {
  const { date: _date, ...headers } = res.headers;
  const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.rawPayload).toString() : res.body;
  return { status: res.statusCode, headers, body };
}

const good = { 'x-nomad-token': 'good' };

/** Each read and the status it answers with. */
const READS: { url: string; headers: Record<string, string>; status: number }[] = [
  { url: '/v1/job/web', headers: good, status: 200 },
  { url: '/v1/job/web', headers: { authorization: 'Bearer good', 'accept-encoding': 'gzip' }, status: 200 },
  { url: '/v1/job/web/summary', headers: good, status: 200 },
  { url: '/v1/job/web?index=1', headers: good, status: 200 },
  { url: '/v1/job/missing', headers: good, status: 404 },
  { url: '/v1/job/web?index=abc', headers: good, status: 400 },
  { url: '/v1/job/web?region=elsewhere', headers: good, status: 500 },
  { url: '/v1/job/web/allocations?all=true', headers: good, status: 200 },
  { url: '/v1/job/web/allocations?all=junk', headers: good, status: 400 },
  { url: '/v1/job/web/deployments', headers: good, status: 200 },
  { url: '/v1/job/web/deployment', headers: good, status: 200 },
  { url: '/v1/job/web/services', headers: good, status: 200 },
  { url: '/v1/job/web/scale', headers: good, status: 200 },
  { url: '/v1/job/web/versions?diffs=true', headers: good, status: 200 },
  { url: '/v1/allocation/none', headers: good, status: 404 },
  { url: '/v1/deployment/none', headers: good, status: 404 },
  { url: '/v1/status/leader', headers: {}, status: 200 },
  { url: '/v1/jobs', headers: good, status: 200 },
  { url: '/v1/jobs?namespace=*&prefix=w&meta=true', headers: good, status: 200 },
  { url: '/v1/jobs?per_page=many', headers: good, status: 400 },
  { url: '/v1/jobs?filter=%28', headers: good, status: 400 },
  { url: '/v1/jobs', headers: { 'x-nomad-token': 'reader-elsewhere' }, status: 403 },
  { url: '/v1/job/web', headers: { 'x-nomad-token': 'reader-elsewhere' }, status: 403 },
  { url: '/v1/job/web', headers: { 'x-nomad-token': 'bad' }, status: 403 },
  { url: '/v1/job/web', headers: {}, status: 403 },
];

describe('reads whose rights are known', () => {
  it('answer as reads whose rights are asked, without asking', async () => {
    const { authorizer, counts, control } = countingAuthorizer();
    const { app } = await testApi({ authorizer });
    control.knows = false;
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/jobs',
      headers: good,
      payload: JSON.stringify({ Job: serviceJob('web') }),
    });
    expect(put.statusCode).toBe(200);

    const asked = [];
    for (const { url, headers } of READS) asked.push(seen(await app.inject({ method: 'GET', url, headers })));
    expect(counts.asked).toBeGreaterThan(0);
    expect(asked.map((a) => a.status)).toEqual(READS.map((read) => read.status));
    expect(asked[1]?.headers['content-encoding']).toBe('gzip');
    expect(asked[1]?.body).toBe(asked[0]?.body);

    control.knows = true;
    const askedBefore = counts.asked;
    const known = [];
    for (const { url, headers } of READS) known.push(seen(await app.inject({ method: 'GET', url, headers })));
    expect(known).toEqual(asked);
    // Only the refusals were asked: bob's refused list and read (his token, then his rights), the
    // bad token and the missing one.
    expect(counts.asked - askedBefore).toBe(2 + 2 + 1 + 1);
  });
});

describe('makeKubeAuthorizer known answers', () => {
  let server: ReviewApiserver | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('are what it was told, and nothing it was not', async () => {
    server = await reviewApiserver();
    const authorizer = makeKubeAuthorizer({ kubeConfig: operatorConfig(server.kc), allowAnonymous: false });
    expect(authorizer.knownCaller?.('good')).toBeUndefined();
    expect(authorizer.knownCaller?.(undefined)).toBeUndefined();
    const alice = await authorizer.authenticate('good');
    expect(authorizer.knownCaller?.('good')).toEqual(alice);

    expect(authorizer.knownAllowed?.(alice, 'ns', [{ verb: 'list' }])).toBeUndefined();
    expect(await authorizer.allowed(alice, 'ns', [{ verb: 'list' }])).toBe(true);
    expect(await authorizer.allowed(alice, 'ns', [{ verb: 'create' }])).toBe(false);
    expect(authorizer.knownAllowed?.(alice, 'ns', [{ verb: 'list' }])).toBe(true);
    expect(authorizer.knownAllowed?.(alice, 'ns', [{ verb: 'create' }])).toBe(false);
    expect(authorizer.knownAllowed?.(alice, 'ns', [{ verb: 'create' }, { verb: 'list' }])).toBe(true);
    // The first permission refused and the next never asked: only asking can answer.
    expect(authorizer.knownAllowed?.(alice, 'ns', [{ verb: 'create' }, { verb: 'get' }])).toBeUndefined();
    expect(authorizer.knownAllowed?.(alice, 'other', [{ verb: 'list' }])).toBeUndefined();

    // A refused token is never a known caller: authenticate gives it its answer.
    await expect(authorizer.authenticate('bad')).rejects.toThrow('ACL token not found');
    expect(authorizer.knownCaller?.('bad')).toBeUndefined();

    const requests = server.requests.length;
    authorizer.knownCaller?.('never-seen');
    authorizer.knownAllowed?.(alice, 'elsewhere', [{ verb: 'get' }]);
    expect(server.requests.length).toBe(requests);
  });

  it('know the anonymous caller only when anonymous access is on', async () => {
    server = await reviewApiserver();
    const open = makeKubeAuthorizer({ kubeConfig: operatorConfig(server.kc), allowAnonymous: true });
    const anonymous = open.knownCaller?.(undefined);
    expect(anonymous).toEqual({ anonymous: true });
    expect(open.knownCaller?.('')).toEqual({ anonymous: true });
    expect(open.knownAllowed?.({ anonymous: true }, 'ns', [{ verb: 'delete' }])).toBe(true);
    const closed = makeKubeAuthorizer({ kubeConfig: operatorConfig(server.kc), allowAnonymous: false });
    expect(closed.knownCaller?.(undefined)).toBeUndefined();
    expect(closed.knownAllowed?.({ anonymous: true }, 'ns', [{ verb: 'get' }])).toBe(false);
    expect(server.requests).toEqual([]);
  });
});
