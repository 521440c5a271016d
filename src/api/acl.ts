// ACL: the Nomad token is a Kubernetes bearer token. It is authenticated with a TokenReview and each
// call is authorized with a SubjectAccessReview for the caller on `nomadjobs.nomadoperator.dev` (or a
// subresource of it) in the Kubernetes namespace the call targets; namespace writes, on the Kubernetes
// namespace itself. Decisions are cached briefly.
// The API's own writes use the operator's credentials, so a call is only ever carried out after the
// caller was allowed the same verb on the same namespace: the façade never lends its rights.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { group, plural } from '../crd/resource.ts';
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
}

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
  authenticate: async () => ({ anonymous: true }),
  allowed: async () => true,
};

interface Cached<T> {
  value: T;
  expires: number;
}

class TtlCache<T> {
  readonly #map = new Map<string, Cached<T>>();
  readonly #ttlMs: number;
  readonly #max: number;
  constructor(ttlMs: number, max = 10_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }
  get(key: string): T | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    if (hit.expires < Date.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  set(key: string, value: T): void {
    if (this.#map.size >= this.#max) this.#map.clear();
    this.#map.set(key, { value, expires: Date.now() + this.#ttlMs });
  }
}

export interface KubeAuthorizerOptions {
  kubeConfig: KubeConfig;
  /** Let requests without a token through, with every right (development only). */
  allowAnonymous: boolean;
  /** How long decisions are cached. Default 10 s. */
  cacheTtlMs?: number;
}

export function makeKubeAuthorizer(options: KubeAuthorizerOptions): Authorizer {
  const authn = options.kubeConfig.makeApiClient(AuthenticationV1Api);
  const authz = options.kubeConfig.makeApiClient(AuthorizationV1Api);
  const ttl = options.cacheTtlMs ?? 10_000;
  const tokens = new TtlCache<Caller | null>(ttl);
  const decisions = new TtlCache<boolean>(ttl);

  const review = async (caller: Caller & { anonymous: false }, namespace: string, permission: Permission) => {
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
    const cached = decisions.get(key);
    if (cached !== undefined) return cached;
    const result = await authz.createSubjectAccessReview({
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
    const allowed = result.status?.allowed === true && result.status?.denied !== true;
    decisions.set(key, allowed);
    return allowed;
  };

  return {
    async authenticate(token) {
      if (token === undefined || token === '') {
        if (options.allowAnonymous) return { anonymous: true };
        throw permissionDenied();
      }
      const key = createHash('sha256').update(token).digest('hex');
      let caller = tokens.get(key);
      if (caller === undefined) {
        const result = await authn.createTokenReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
        });
        const user = result.status?.user;
        caller =
          result.status?.authenticated === true && user?.username
            ? {
                anonymous: false,
                username: user.username,
                ...(user.uid ? { uid: user.uid } : {}),
                groups: user.groups ?? [],
                ...(user.extra ? { extra: user.extra } : {}),
              }
            : null;
        tokens.set(key, caller);
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
  };
}
