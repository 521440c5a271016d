// The project's Nomad /v1 API server started in-process on a free local port against the test
// cluster, and ServiceAccount credentials to call it with: a token, and a Role over NomadJobs
// bound to the account (the API's ACLs are Kubernetes RBAC).
import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../../src/api/server.ts';
import { group, plural } from '../../../src/crd/resource.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { waitFor } from './kube.ts';

/** The API server serving `namespace` as Nomad's default, anonymous callers allowed unless told otherwise. */
export function startTestApiServer(
  kc: KubeConfig,
  namespace: string,
  options: Partial<Omit<ApiServerOptions, 'kubeConfig' | 'defaultNamespace' | 'listen'>> = {},
): Promise<ApiServer> {
  return startApiServer({
    kubeConfig: operatorConfig(kc),
    defaultNamespace: namespace,
    listen: { host: '127.0.0.1', port: 0 },
    allowAnonymous: true,
    ...options,
  });
}

/** Creates the ServiceAccount `name` in `namespace` and returns a one-hour token for it. */
export async function serviceAccountToken(kc: KubeConfig, namespace: string, name: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return request.status?.token ?? '';
}

/**
 * Lets the ServiceAccount `account` of `namespace` get, list, create, update and delete NomadJobs
 * (and the given subresources) there: Role `role`, bound by a RoleBinding named after the account.
 */
export async function grantNomadJobs(
  kc: KubeConfig,
  namespace: string,
  grant: { role: string; account: string; subresources: string[] },
): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: grant.role },
      rules: [
        {
          apiGroups: [group],
          resources: [plural, ...grant.subresources.map((s) => `${plural}/${s}`)],
          verbs: ['get', 'list', 'create', 'update', 'delete'],
        },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: grant.account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: grant.role },
      subjects: [{ kind: 'ServiceAccount', name: grant.account, namespace }],
    },
  });
}

/** Waits until `token` may list the jobs of the server's default namespace (RBAC applies asynchronously). */
export async function waitForJobAccess(server: ApiServer, token: string): Promise<void> {
  await waitFor('RBAC to apply', async () => {
    const response = await fetch(new URL('/v1/jobs', server.url), { headers: { 'X-Nomad-Token': token } });
    return response.status === 200;
  });
}
