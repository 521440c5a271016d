// ACL: the Nomad token is a Kubernetes bearer token. It is authenticated with a TokenReview and each
// call is authorized with a SubjectAccessReview for the caller on `nomadjobs.nomadoperator.dev` (or a
// subresource of it) in the Kubernetes namespace the call targets; namespace writes, on the Kubernetes
// namespace itself. Decisions are cached briefly.
// A token the apiserver rejected is remembered as rejected for a short while (a negative cache of its
// own, so a flood of bad tokens never pushes good ones out), concurrent requests with one new token
// share one TokenReview, and at most a few TokenReviews run at once: a client sending many bad
// tokens costs one review per distinct token, never more, and never a burst on the apiserver.
// While the apiserver cannot be reached (a review fails without an HTTP answer, or the reachability
// probe says so), a token accepted, or a decision made, within the last `staleIfUnreachableMs`
// (default 5 minutes) still counts: reads
// keep being served from the caches through an outage (writes are refused then anyway, see
// availability.ts). Nothing is ever granted that the apiserver did not grant before.
// What the caches already know is also answered without a promise (knownCaller, knownAllowed): a
// read by a caller whose rights are known is served with no asynchronous step (http.ts).
// The API's own writes use the operator's credentials, so a call is only ever carried out after the
// caller was allowed the same verb on the same namespace: the façade never lends its rights.
import { hash } from 'node:crypto';
import type { V1SubjectAccessReview, V1TokenReview } from '@kubernetes/client-node';
import { group, plural } from '../crd/resource.ts';
import { KubeApiError, kubeClient } from '../kube/client.ts';
import type { KubeConfig } from '../kube/kubeconfig.ts';
import type { ApiserverReachability } from '../kube/reachability.ts';
import { permissionDenied, tokenNotFound } from './errors.ts';

/**
 * One way to be allowed a call: a verb on nomadjobs, or on one of its subresources; or, for the
 * namespaces API, a verb on the Kubernetes namespace itself (`resource: 'namespaces'`, with the
 * namespace's name except for create).
 */
export interface Permission {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  subresource?: string;
  resource?: 'namespaces';
  name?: string;
}

export type Caller =
  | { anonymous: true }
  | { anonymous: false; username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };

export interface Authorizer {
  /** Who is calling: throws 403 `ACL token not found` for a bad token, `Permission denied` when anonymous is off. */
  authenticate(token: string | undefined): Promise<Caller>;
  /** Is the caller allowed any of `permissions` in `namespace` ('' = every namespace)? */
  allowed(caller: Caller, namespace: string, permissions: readonly Permission[]): Promise<boolean>;
  /**
   * The caller `authenticate` would answer, when that is known without asking anyone (anonymous
   * access, a token accepted within the cache's lifetime); undefined otherwise, refusals included
   * (`authenticate` answers those). Lets a request whose answer is known be served without a promise.
   */
  knownCaller?(token: string | undefined): Caller | undefined;
  /** What `allowed` would answer, when known without asking anyone (cached decisions); undefined otherwise. */
  knownAllowed?(caller: Caller, namespace: string, permissions: readonly Permission[]): boolean | undefined;
}

/** The anonymous caller (one object for every request: callers are never modified). */
export const ANONYMOUS: Caller = Object.freeze({ anonymous: true });

export async function authorize(
  authorizer: Authorizer,
  caller: Caller,
  namespace: string,
  permissions: readonly Permission[],
): Promise<void> {
  if (!(await authorizer.allowed(caller, namespace, permissions))) throw permissionDenied();
}

/** Every call allowed, tokens ignored: only for tests and explicit development setups. */
export const allowAll: Authorizer = {
  authenticate: async () => ANONYMOUS,
  allowed: async () => true,
  knownCaller: () => ANONYMOUS,
  knownAllowed: () => true,
};

interface Cached<T> {
  value: T;
  expires: number;
}

/** A map of at most `max` entries, each kept `ttlMs`; past `max`, the least recently used goes. */
export class LruTtlCache<T> {
  // A Map iterates in insertion order: a hit is moved to the end, so the first key is the oldest.
  readonly #map = new Map<string, Cached<T>>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  /**
   * The key at the end (the most recently used): a hit on it stays where it is. Moving a key costs
   * a delete and an insert, which in a small Map shrink and regrow its table, on every hit.
   */
  #newest: string | undefined;
  constructor(ttlMs: number, max: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#max = Math.max(1, max);
    this.#now = now;
  }
  get size(): number {
    return this.#map.size;
  }
  get(key: string): T | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.#now()) {
      this.delete(key);
      return undefined;
    }
    if (key !== this.#newest) {
      this.#map.delete(key);
      this.#map.set(key, hit);
      this.#newest = key;
    }
    return hit.value;
  }
  delete(key: string): void {
    this.#map.delete(key);
    if (key === this.#newest) this.#newest = undefined;
  }
  set(key: string, value: T): void {
    this.#map.delete(key);
    while (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
    this.#map.set(key, { value, expires: this.#now() + this.#ttlMs });
    this.#newest = key;
  }
}

/** At most `limit` calls of `run` at once; the others wait their turn, in call order. */
class ConcurrencyLimit {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `#running` never drops below the queue.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

export interface KubeAuthorizerOptions {
  kubeConfig: KubeConfig;
  /** Let requests without a token through, with every right (development only). */
  allowAnonymous: boolean;
  /** How long decisions and accepted tokens are cached. Default 10 s. */
  cacheTtlMs?: number;
  /** How long a rejected token is refused without asking the apiserver again. Default 10 s. */
  rejectedTokenTtlMs?: number;
  /** Most rejected tokens remembered (least recently seen forgotten first). Default 4,096. */
  rejectedTokenCacheSize?: number;
  /** Most TokenReviews in flight at once. Default 8. */
  maxConcurrentTokenReviews?: number;
  /** How long an accepted token or a decision stands in while the apiserver is unreachable. Default 5 minutes. */
  staleIfUnreachableMs?: number;
  /**
   * The apiserver's reachability (src/kube/reachability.ts): while it is unreachable, known answers
   * are used without asking (an apiserver still starting may deny everything until its RBAC caches
   * are warm).
   */
  reachability?: ApiserverReachability;
}

/** A request that got no HTTP answer at all (refused, reset, timed out): the apiserver is unreachable. */
function isUnreachable(error: unknown): boolean {
  return !(error instanceof KubeApiError);
}

/** The Kubernetes authorizer, with the number of TokenReviews it has sent (for tests and figures). */
export interface KubeAuthorizer extends Authorizer {
  readonly tokenReviews: number;
}

export function makeKubeAuthorizer(options: KubeAuthorizerOptions): KubeAuthorizer {
  const client = kubeClient(options.kubeConfig);
  const ttl = options.cacheTtlMs ?? 10_000;
  const accepted = new LruTtlCache<Caller>(ttl, 10_000);
  const rejected = new LruTtlCache<true>(
    options.rejectedTokenTtlMs ?? 10_000,
    options.rejectedTokenCacheSize ?? 4_096,
  );
  const decisions = new LruTtlCache<boolean>(ttl, 10_000);
  const staleTtl = options.staleIfUnreachableMs ?? 300_000;
  const lastAccepted = new LruTtlCache<Caller>(staleTtl, 10_000);
  const lastDecisions = new LruTtlCache<boolean>(staleTtl, 10_000);
  const unreachable = () => options.reachability?.reachable() === false;
  const inFlight = new Map<string, Promise<Caller | null>>();
  const reviewSlots = new ConcurrencyLimit(options.maxConcurrentTokenReviews ?? 8);
  let tokenReviews = 0;

  const reviewToken = async (token: string): Promise<Caller | null> => {
    tokenReviews++;
    const result = await client.request<V1TokenReview>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    const user = result.status?.user;
    return result.status?.authenticated === true && user?.username
      ? {
          anonymous: false,
          username: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
        }
      : null;
  };

  // One-shot hashing: no Hash object per request.
  const tokenKey = (token: string) => hash('sha256', token, 'hex');
  /** What the caches know of a token: its caller, null when rejected, undefined when it must be reviewed. */
  const cachedCaller = (key: string): Caller | null | undefined => {
    const known = rejected.get(key) ? null : unreachable() ? lastAccepted.get(key) : undefined;
    return accepted.get(key) ?? known;
  };
  // The caller objects of accepted tokens are kept (`accepted`), and permissions are mostly
  // constants: each caller's last key is remembered, so a client asking the same again makes none.
  const lastKeys = new WeakMap<Caller, { namespace: string; permission: Permission; key: string }>();
  const decisionKey = (caller: Caller & { anonymous: false }, namespace: string, permission: Permission) => {
    const last = lastKeys.get(caller);
    if (last?.namespace === namespace && last.permission === permission) return last.key;
    const key = JSON.stringify([
      caller.username,
      caller.uid,
      caller.groups,
      namespace,
      permission.verb,
      permission.subresource ?? '',
      permission.resource ?? '',
      permission.name ?? '',
    ]);
    lastKeys.set(caller, { namespace, permission, key });
    return key;
  };
  const cachedDecision = (key: string): boolean | undefined =>
    decisions.get(key) ?? (unreachable() ? lastDecisions.get(key) : undefined);

  const review = async (caller: Caller & { anonymous: false }, namespace: string, permission: Permission) => {
    const key = decisionKey(caller, namespace, permission);
    const cached = cachedDecision(key);
    if (cached !== undefined) return cached;
    const request = client.request<V1SubjectAccessReview>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: caller.username,
          ...(caller.uid ? { uid: caller.uid } : {}),
          groups: caller.groups,
          ...(caller.extra ? { extra: caller.extra } : {}),
          resourceAttributes: {
            // A namespace is its own namespace in Kubernetes' request attributes (as for
            // `kubectl delete namespace x`), so namespace-scoped grants on it count, as they would there.
            ...(permission.resource === 'namespaces'
              ? { group: '', resource: 'namespaces' }
              : { group, resource: plural }),
            verb: permission.verb,
            ...(namespace ? { namespace } : {}),
            ...(permission.subresource ? { subresource: permission.subresource } : {}),
            ...(permission.name ? { name: permission.name } : {}),
          },
        },
      },
    });
    let result: Awaited<typeof request>;
    try {
      result = await request;
    } catch (error) {
      const stale = isUnreachable(error) ? lastDecisions.get(key) : undefined;
      if (stale === undefined) throw error;
      return stale;
    }
    const allowed = result.status?.allowed === true && result.status?.denied !== true;
    decisions.set(key, allowed);
    lastDecisions.set(key, allowed);
    return allowed;
  };

  return {
    get tokenReviews() {
      return tokenReviews;
    },
    async authenticate(token) {
      if (token === undefined || token === '') {
        if (options.allowAnonymous) return ANONYMOUS;
        throw permissionDenied();
      }
      const key = tokenKey(token);
      let caller = cachedCaller(key);
      if (caller === undefined) {
        let review = inFlight.get(key);
        if (!review) {
          review = reviewSlots
            .run(() => reviewToken(token))
            .then((result) => {
              if (result) {
                accepted.set(key, result);
                lastAccepted.set(key, result);
              } else {
                rejected.set(key, true);
                lastAccepted.delete(key);
              }
              return result;
            })
            .catch((error: unknown) => {
              const stale = isUnreachable(error) ? lastAccepted.get(key) : undefined;
              if (stale === undefined) throw error;
              return stale;
            });
          const settled = () => inFlight.delete(key);
          review.then(settled, settled);
          inFlight.set(key, review);
        }
        caller = await review;
      }
      if (caller === null) throw tokenNotFound();
      return caller;
    },
    async allowed(caller, namespace, permissions) {
      if (caller.anonymous) return options.allowAnonymous;
      for (const permission of permissions) {
        if (await review(caller, namespace, permission)) return true;
      }
      return false;
    },
    knownCaller(token) {
      if (token === undefined || token === '') return options.allowAnonymous ? ANONYMOUS : undefined;
      return cachedCaller(tokenKey(token)) ?? undefined;
    },
    knownAllowed(caller, namespace, permissions) {
      if (caller.anonymous) return options.allowAnonymous;
      // The same order as `allowed`: the first permission granted answers; one not known asks.
      for (let i = 0; i < permissions.length; i++) {
        const permission = permissions[i] as Permission;
        const cached = cachedDecision(decisionKey(caller, namespace, permission));
        if (cached === undefined) return undefined;
        if (cached) return true;
      }
      return false;
    },
  };
}
