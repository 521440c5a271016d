// The Kubernetes authorizer (src/api/acl.ts) against the real apiserver: bad tokens, sent many times
// and all at once, cost one TokenReview each; a flood of bad tokens does not push a good one out of
// its cache; a good token is still accepted and a bad one still refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKubeAuthorizer } from '../../../src/api/acl.ts';
import { ApiError, TOKEN_NOT_FOUND } from '../../../src/api/errors.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { serviceAccountToken } from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig } from '../support/kube.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };
let goodToken: string;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'token-reviews');
  goodToken = await serviceAccountToken(kc, ns.name, 'caller');
});
afterAll(async () => {
  await ns?.remove();
});

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    const caller = (await promise) as { username?: string };
    return `ok ${caller.username}`;
  } catch (error) {
    return error instanceof ApiError ? `${error.statusCode} ${error.message}` : String(error);
  }
}

describe('TokenReviews', () => {
  it('costs one per distinct bad token, however often and concurrently it is sent', async () => {
    const authorizer = makeKubeAuthorizer({ kubeConfig: operatorConfig(kc), allowAnonymous: false });
    const distinct = 20;
    const results = await Promise.all(
      Array.from({ length: distinct * 10 }, (_, i) =>
        outcome(authorizer.authenticate(`bad-${i % distinct}`)),
      ),
    );
    expect(new Set(results)).toEqual(new Set([`403 ${TOKEN_NOT_FOUND}`]));
    expect(authorizer.tokenReviews).toBe(distinct);
    // Sent again later: still refused, from the cache.
    expect(await outcome(authorizer.authenticate('bad-3'))).toBe(`403 ${TOKEN_NOT_FOUND}`);
    expect(authorizer.tokenReviews).toBe(distinct);
    console.log(
      `${distinct * 10 + 1} authentications with ${distinct} bad tokens: ${authorizer.tokenReviews} TokenReviews`,
    );
  });

  it('keeps an accepted token through a flood of bad ones', async () => {
    const authorizer = makeKubeAuthorizer({
      kubeConfig: operatorConfig(kc),
      allowAnonymous: false,
      rejectedTokenCacheSize: 8,
    });
    expect(await outcome(authorizer.authenticate(goodToken))).toBe(
      `ok system:serviceaccount:${ns.name}:caller`,
    );
    expect(authorizer.tokenReviews).toBe(1);
    for (let i = 0; i < 40; i++) await outcome(authorizer.authenticate(`flood-${i}`));
    expect(authorizer.tokenReviews).toBe(41);
    expect(await outcome(authorizer.authenticate(goodToken))).toBe(
      `ok system:serviceaccount:${ns.name}:caller`,
    );
    expect(authorizer.tokenReviews).toBe(41);
  });
});
