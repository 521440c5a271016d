// The Kubernetes authorizer while the apiserver is unreachable, against a real HTTP server standing
// in for its TokenReview and SubjectAccessReview endpoints: a token accepted and a decision made
// before still count once the server is gone (and are not asked again while the reachability probe
// says it is away); a token never seen fails; a token the apiserver rejected stays rejected.
import { afterEach, describe, expect, it } from 'vitest';
import { makeKubeAuthorizer } from '../../../src/api/acl.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { type ReviewApiserver, reviewApiserver } from './review-apiserver.ts';

const servers: ReviewApiserver[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** An apiserver that accepts the token `good` (user alice) and allows alice `list` only. */
async function fakeApiserver(): Promise<ReviewApiserver> {
  const server = await reviewApiserver();
  servers.push(server);
  return server;
}

describe('makeKubeAuthorizer while the apiserver is unreachable', () => {
  it('keeps what it was told before, and only that', async () => {
    const { kc, requests, stop } = await fakeApiserver();
    const reachable = { value: true };
    const authorizer = makeKubeAuthorizer({
      kubeConfig: operatorConfig(kc),
      allowAnonymous: false,
      cacheTtlMs: 1, // expire at once: every later answer is a stale one
      reachability: { reachable: () => reachable.value },
    });
    const alice = await authorizer.authenticate('good');
    expect(alice).toMatchObject({ anonymous: false, username: 'alice' });
    expect(await authorizer.allowed(alice, 'ns', [{ verb: 'list' }])).toBe(true);
    expect(await authorizer.allowed(alice, 'ns', [{ verb: 'create' }])).toBe(false);
    await expect(authorizer.authenticate('bad')).rejects.toThrow('ACL token not found');
    const asked = requests.length;
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Gone, and the probe has not noticed yet: requests fail, the known answers stand in.
    await stop();
    expect(await authorizer.authenticate('good')).toEqual(alice);
    expect(await authorizer.allowed(alice, 'ns', [{ verb: 'list' }])).toBe(true);
    expect(await authorizer.allowed(alice, 'ns', [{ verb: 'create' }])).toBe(false);
    await expect(authorizer.authenticate('bad')).rejects.toThrow();
    await expect(authorizer.authenticate('never-seen')).rejects.toThrow();
    await expect(authorizer.allowed(alice, 'other-ns', [{ verb: 'list' }])).rejects.toThrow();

    // Back, but the probe says it is still away (an apiserver warming up): nothing is asked.
    const back = await fakeApiserver();
    reachable.value = false;
    const fresh = makeKubeAuthorizer({
      kubeConfig: operatorConfig(back.kc),
      allowAnonymous: false,
      cacheTtlMs: 1,
      reachability: { reachable: () => reachable.value },
    });
    reachable.value = true;
    const again = await fresh.authenticate('good');
    expect(await fresh.allowed(again, 'ns', [{ verb: 'list' }])).toBe(true);
    const before = back.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 5));
    reachable.value = false;
    expect(await fresh.authenticate('good')).toEqual(again);
    expect(await fresh.allowed(again, 'ns', [{ verb: 'list' }])).toBe(true);
    expect(back.requests.length).toBe(before);
    expect(asked).toBeGreaterThan(0);
  });
});
