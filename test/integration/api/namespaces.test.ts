// The namespaces API on the real apiserver, with ACLs on: Nomad namespaces are Kubernetes namespaces,
// created, annotated and deleted only for callers whose ServiceAccount may do the same in Kubernetes
// (the API writes with the operator's credentials, so a caller without the right must change nothing).
import { CoreV1Api, RbacAuthorizationV1Api, type V1Namespace } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/api/server.ts';
import { createNamespaceMapper } from '../../../src/nomad/ids.ts';
import { ANNOTATION_NAMESPACE_DESCRIPTION } from '../../../src/nomad/keys.ts';
import { serviceAccountToken, startTestApiServer } from '../support/api-server.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const adminRole = `nomad-ns-admin-${suffix}`;

let home: { name: string; remove: () => Promise<void> };
let server: ApiServer;
let admin: string;
let noRights: string;
const created = new Set<string>();

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'X-Nomad-Token': token },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function readNamespace(name: string): Promise<V1Namespace | undefined> {
  try {
    return await core.readNamespace({ name });
  } catch {
    return undefined;
  }
}

const tokenFor = (name: string) => serviceAccountToken(kc, home.name, name);

beforeAll(async () => {
  home = await createTestNamespace(kc, 'api-ns');
  server = await startTestApiServer(kc, home.name, { allowAnonymous: false });
  admin = await tokenFor('namespace-admin');
  noRights = await tokenFor('no-rights');
  await rbac.createClusterRole({
    body: {
      metadata: { name: adminRole },
      rules: [
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: adminRole },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: adminRole },
      subjects: [{ kind: 'ServiceAccount', name: 'namespace-admin', namespace: home.name }],
    },
  });
});

afterAll(async () => {
  await server?.close();
  for (const name of created) await core.deleteNamespace({ name }).catch(() => undefined);
  await rbac.deleteClusterRoleBinding({ name: adminRole }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: adminRole }).catch(() => undefined);
  await home?.remove();
});

describe('namespaces API with ACLs', () => {
  it('creates, reads, lists and deletes Kubernetes namespaces only for callers allowed to', async () => {
    const name = `it-ns-${suffix}`;
    created.add(name);
    const body = { Name: name, Description: 'integration', Meta: { team: 'it' } };

    const refused = await call('PUT', '/v1/namespace', noRights, body);
    expect([refused.status, refused.text]).toEqual([403, 'Permission denied']);
    expect(await readNamespace(name)).toBeUndefined();

    // RBAC takes a moment to apply to a new binding.
    const registered = await waitFor('the admin may create a namespace', async () => {
      const answer = await call('PUT', '/v1/namespace', admin, body);
      return answer.status === 200 ? answer : undefined;
    });
    expect(registered.text).toBe('');
    const k8s = await readNamespace(name);
    expect(k8s?.metadata?.annotations?.[ANNOTATION_NAMESPACE_DESCRIPTION]).toBe('integration');
    expect(Number(registered.headers.get('x-nomad-index'))).toBe(Number(k8s?.metadata?.resourceVersion));

    // Read your write: the answer came after the cache had it. Only callers with a right there see it.
    const hidden = await call('GET', `/v1/namespace/${name}`, noRights);
    expect([hidden.status, hidden.text]).toEqual([403, 'Permission denied']);
    const hiddenList = JSON.parse((await call('GET', '/v1/namespaces', noRights)).text) as Array<{
      Name: string;
    }>;
    expect(hiddenList.map((n) => n.Name)).not.toContain(name);
    const read = await call('GET', `/v1/namespace/${name}`, admin);
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toMatchObject({
      Name: name,
      Description: 'integration',
      Meta: { team: 'it' },
      ModifyIndex: Number(k8s?.metadata?.resourceVersion),
    });
    const list = JSON.parse((await call('GET', '/v1/namespaces', admin)).text) as Array<{ Name: string }>;
    expect(list.map((n) => n.Name)).toEqual(expect.arrayContaining(['default', name]));

    const updateRefused = await call('PUT', `/v1/namespace/${name}`, noRights, { Name: name });
    expect(updateRefused.status).toBe(403);
    const updated = await call('PUT', `/v1/namespace/${name}`, admin, { Name: name, Description: 'changed' });
    expect(updated.status, updated.text).toBe(200);
    expect((await readNamespace(name))?.metadata?.annotations?.[ANNOTATION_NAMESPACE_DESCRIPTION]).toBe(
      'changed',
    );

    const deleteRefused = await call('DELETE', `/v1/namespace/${name}`, noRights);
    expect([deleteRefused.status, deleteRefused.text]).toEqual([403, 'Permission denied']);
    expect((await readNamespace(name))?.metadata?.deletionTimestamp).toBeUndefined();

    const defaultRefused = await call('DELETE', '/v1/namespace/default', admin);
    expect([defaultRefused.status, defaultRefused.text]).toEqual([500, 'can not delete default namespace']);

    const deleted = await call('DELETE', `/v1/namespace/${name}`, admin);
    expect([deleted.status, deleted.text]).toEqual([200, '']);
    const after = await readNamespace(name);
    expect(after === undefined || after.metadata?.deletionTimestamp !== undefined).toBe(true);
    const gone = await call('GET', `/v1/namespace/${name}`, admin);
    expect([gone.status, gone.text]).toEqual([404, 'Namespace not found']);
  });

  it('keeps a name Kubernetes cannot hold in its hashed namespace', async () => {
    const name = `It-Ns-${suffix}`;
    const k8sName = createNamespaceMapper({ defaultNamespace: home.name })(name);
    created.add(k8sName);
    const registered = await waitFor('the admin may create a namespace', async () => {
      const answer = await call('POST', `/v1/namespace/${name}`, admin, { Name: name });
      return answer.status === 200 ? answer : undefined;
    });
    expect(registered.text).toBe('');
    expect(k8sName).not.toBe(name);
    expect((await readNamespace(k8sName))?.metadata?.annotations?.['nomadoperator.dev/namespace']).toBe(name);
    const read = await call('GET', `/v1/namespace/${name}`, admin);
    expect(JSON.parse(read.text)).toMatchObject({ Name: name, Description: '' });
    const deleted = await call('DELETE', `/v1/namespace/${name}`, admin);
    expect(deleted.status, deleted.text).toBe(200);
  });

  it('lets a Role inside a namespace grant changing and deleting that namespace, as in Kubernetes', async () => {
    const name = `it-owned-${suffix}`;
    created.add(name);
    await waitFor('the admin may create a namespace', async () => {
      const answer = await call('PUT', '/v1/namespace', admin, { Name: name });
      return answer.status === 200 ? answer : undefined;
    });
    const owner = await tokenFor('namespace-owner');
    await rbac.createNamespacedRole({
      namespace: name,
      body: {
        metadata: { name: 'own-namespace' },
        rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['patch', 'delete'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: name,
      body: {
        metadata: { name: 'own-namespace' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'own-namespace' },
        subjects: [{ kind: 'ServiceAccount', name: 'namespace-owner', namespace: home.name }],
      },
    });
    // Creating another namespace is still refused: the grant is on this namespace only.
    const other = await call('PUT', '/v1/namespace', owner, { Name: `${name}-x` });
    expect(other.status).toBe(403);
    const updated = await waitFor('the owner may change its namespace', async () => {
      const answer = await call('PUT', `/v1/namespace/${name}`, owner, { Name: name, Description: 'mine' });
      return answer.status === 200 ? answer : undefined;
    });
    expect(updated.text).toBe('');
    const deleted = await call('DELETE', `/v1/namespace/${name}`, owner);
    expect([deleted.status, deleted.text]).toEqual([200, '']);
  });
});
