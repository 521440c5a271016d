// RBAC proof for the chart's roles, on the test cluster.
//
// 1. Enough: the chart is installed (helm install), and the operator (what `nomad-operator run`
//    starts: controller, Nomad API, leader election; see operator-scenarios.ts) runs in-process as
//    the release's ServiceAccount, with a token from the TokenRequest API, through a proxy that
//    records every 403 at the wire. Every scenario passes and the proxy saw zero 403s.
// 2. No larger than needed: for every verb of every rule of the rendered ClusterRole and leader
//    Role, an identity gets the chart's rules minus that one verb, and the scenario named for it in
//    `needs` below fails with a 403 on exactly that verb and resource. (Removing a whole rule removes
//    a superset of permissions, so it fails the same scenario.) A rule or verb the chart grants but
//    `needs` does not name fails the test: every grant must come with the scenario that uses it.
import {
  AuthorizationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
  type V1PolicyRule,
  type V1Role,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { startRecordingProxy } from './forbidden-proxy.ts';
import {
  ForbiddenError,
  runScenario,
  type Scenario,
  type ScenarioContext,
  scenario,
  scenarios,
  startOperator,
} from './operator-scenarios.ts';
import {
  chartDir,
  findObject,
  helm,
  ok,
  renderChart,
  serviceAccountToken,
  tokenKubeConfig,
  uniqueName,
} from './support.ts';

const kc = testKubeConfig();
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const core = kc.makeApiClient(CoreV1Api);

/** For each `group/resource` the chart grants, the scenario that needs each verb. */
const needs: Record<string, Record<string, string>> = {
  'nomadoperator.dev/nomadjobs': {
    list: 'startup',
    watch: 'startup',
    get: 'api: mark a version stable',
    create: 'api: register',
    update: 'api: re-register',
    patch: 'api: evaluate',
    delete: 'api: purge',
  },
  'nomadoperator.dev/nomadjobs/status': { patch: 'service job' },
  'apps/deployments': {
    list: 'startup',
    watch: 'startup',
    create: 'service job',
    patch: 'service job',
    delete: 'stop',
  },
  'apps/daemonsets': {
    list: 'startup',
    watch: 'startup',
    create: 'system job',
    patch: 'system job',
    delete: 'stop',
  },
  'batch/jobs': {
    list: 'startup',
    watch: 'startup',
    create: 'batch job',
    patch: 'batch job',
    delete: 'stop',
  },
  'batch/cronjobs': {
    list: 'startup',
    watch: 'startup',
    create: 'periodic job',
    patch: 'periodic job',
    delete: 'stop',
  },
  '/services': {
    list: 'startup',
    watch: 'startup',
    create: 'service job',
    patch: 'service job',
    delete: 'stop',
  },
  'networking.k8s.io/ingresses': {
    list: 'startup',
    watch: 'startup',
    create: 'service job',
    patch: 'service job',
    delete: 'stop',
  },
  '/configmaps': {
    list: 'startup',
    watch: 'startup',
    get: 'api: read',
    create: 'service job',
    update: 'api: re-register',
    patch: 'service job',
    delete: 'stop',
  },
  '/secrets': {
    list: 'startup',
    watch: 'startup',
    create: 'service job',
    patch: 'service job',
    delete: 'stop',
  },
  '/persistentvolumeclaims': {
    list: 'startup',
    watch: 'startup',
    create: 'csi volume',
    patch: 'csi volume',
    delete: 'stop',
  },
  '/pods': { list: 'startup', watch: 'startup', delete: 'api: evaluate' },
  'apps/replicasets': { list: 'startup', watch: 'startup' },
  'apps/controllerrevisions': {
    list: 'startup',
    watch: 'startup',
    create: 'service job',
    patch: 'api: mark a version stable',
    delete: 'new versions',
  },
  '/events': { create: 'service job' },
  '/namespaces': {
    list: 'startup',
    watch: 'startup',
    create: 'api: create, change and delete a namespace',
    patch: 'api: create, change and delete a namespace',
    delete: 'api: create, change and delete a namespace',
  },
  'authentication.k8s.io/tokenreviews': { create: 'api: register' },
  'authorization.k8s.io/subjectaccessreviews': { create: 'api: register' },
  'coordination.k8s.io/leases': { create: 'startup', get: 'startup', update: 'leader' },
};

// The chart's roles, as rendered (any release name: rules do not depend on it, resourceNames aside).
const rendered = await renderChart('rbac', 'rbac');
const clusterRole = findObject<V1ClusterRole>(rendered, 'ClusterRole');
const leaderRole = findObject<V1Role>(rendered, 'Role', 'rbac-nomad-operator-leader-election');
const renderedLease = 'rbac-nomad-operator';

interface Removal {
  role: 'ClusterRole' | 'Role';
  rule: number;
  key: string;
  verb: string;
  scenario: Scenario;
}

const keyOf = (group: string, resource: string) => `${group}/${resource}`;

function removals(): Removal[] {
  const out: Removal[] = [];
  for (const [role, rules] of [
    ['ClusterRole', clusterRole.rules ?? []],
    ['Role', leaderRole.rules ?? []],
  ] as const) {
    rules.forEach((rule, index) => {
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs) {
            const key = keyOf(group, resource);
            const name = needs[key]?.[verb];
            if (name === undefined)
              throw new Error(`${role} grants ${verb} on ${key}, which no scenario needs`);
            out.push({ role, rule: index, key, verb, scenario: scenario(name) });
          }
    });
  }
  return out;
}

/** The rules without `verb` in rule `index` (and without the rule once it has no verb left). */
function without(rules: V1PolicyRule[], index: number, verb: string): V1PolicyRule[] {
  return rules.flatMap((rule, i) => {
    if (i !== index) return [rule];
    const verbs = rule.verbs.filter((v) => v !== verb);
    return verbs.length > 0 ? [{ ...rule, verbs }] : [];
  });
}

interface Identity {
  namespace: string;
  token: string;
  callerToken: string;
  cleanup: () => Promise<void>;
}

/** A Nomad API caller: a ServiceAccount allowed everything on nomadjobs in the namespace. */
async function caller(namespace: string): Promise<string> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'caller' } } });
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'caller' },
      rules: [{ apiGroups: ['nomadoperator.dev'], resources: ['nomadjobs', 'nomadjobs/*'], verbs: ['*'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'caller' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'caller' },
      subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace }],
    },
  });
  return serviceAccountToken(kc, namespace, 'caller');
}

/** Waits until RBAC answers `allowed` for the ServiceAccount (new bindings take a moment). */
async function expectAccess(
  namespace: string,
  serviceAccount: string,
  attributes: { group: string; resource: string; verb: string; namespace?: string },
  allowed: boolean,
): Promise<void> {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const [resource = '', subresource] = attributes.resource.split('/');
  await waitFor(
    `${serviceAccount} ${allowed ? 'may' : 'may not'} ${attributes.verb} ${attributes.resource}`,
    async () => {
      const review = await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: `system:serviceaccount:${namespace}:${serviceAccount}`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
            resourceAttributes: {
              group: attributes.group,
              resource,
              ...(subresource ? { subresource } : {}),
              verb: attributes.verb,
              ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
              ...(attributes.resource === 'leases' ? { name: renderedLease } : {}),
            },
          },
        },
      });
      return (review.status?.allowed === true) === allowed;
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
}

/** An identity with the chart's rules as given: ServiceAccount, ClusterRole(Binding), Role(Binding). */
async function identityWith(clusterRules: V1PolicyRule[], leaseRules: V1PolicyRule[]): Promise<Identity> {
  const { name: namespace, remove } = await createTestNamespace(kc, 'rbac-v');
  const name = uniqueName('rbac-operator');
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'operator' } } });
  await rbac.createClusterRole({ body: { metadata: { name }, rules: clusterRules } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace }],
    },
  });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'leader' }, rules: leaseRules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'leader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leader' },
      subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace }],
    },
  });
  const token = await serviceAccountToken(kc, namespace, 'operator');
  return {
    namespace,
    token,
    callerToken: await caller(namespace),
    cleanup: async () => {
      await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
      await rbac.deleteClusterRole({ name }).catch(() => undefined);
      await remove();
    },
  };
}

/** Runs `run` against the operator started as `token`, through a fresh recording proxy. */
async function withOperator<T>(
  identity: { namespace: string; token: string; callerToken: string },
  run: (ctx: ScenarioContext, proxy: Awaited<ReturnType<typeof startRecordingProxy>>) => Promise<T>,
): Promise<T> {
  const proxy = await startRecordingProxy(kc);
  const operator = startOperator(
    tokenKubeConfig(kc, identity.token, proxy.url),
    identity.namespace,
    renderedLease,
  );
  try {
    const ctx: ScenarioContext = {
      admin: kc,
      namespace: identity.namespace,
      operator,
      callerToken: identity.callerToken,
      watching: () => proxy.watching,
    };
    return await run(ctx, proxy);
  } finally {
    await operator.stop().catch(() => undefined);
    await proxy.close();
  }
}

beforeAll(async () => {
  await ensureNomadJobCrd(operatorConfig(kc));
});

describe("the chart's roles are enough", () => {
  let namespace: string;
  let release: string;
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('every scenario passes as the installed release ServiceAccount, with zero 403s', async () => {
    const ns = await createTestNamespace(kc, 'rbac');
    namespace = ns.name;
    cleanups.push(ns.remove);
    release = uniqueName('rbac');
    ok(
      await helm([
        'install',
        release,
        chartDir,
        '--namespace',
        namespace,
        '--set',
        'replicaCount=1',
        '--set',
        `operator.defaultNamespace=${namespace}`,
        '--set',
        `operator.leaderElectionId=${renderedLease}`,
        '--wait',
      ]),
      'helm install',
    );
    cleanups.push(() => helm(['uninstall', release, '--namespace', namespace]));
    const serviceAccount = `${release}-nomad-operator`;
    await expectAccess(
      namespace,
      serviceAccount,
      { group: 'nomadoperator.dev', resource: 'nomadjobs', verb: 'watch' },
      true,
    );
    await expectAccess(
      namespace,
      serviceAccount,
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace },
      true,
    );
    const identity = {
      namespace,
      token: await serviceAccountToken(kc, namespace, serviceAccount),
      callerToken: await caller(namespace),
    };
    const passed = await withOperator(identity, async (ctx, proxy) => {
      const names: string[] = [];
      // The Lease scenario ends leadership: last.
      const ordered = [...scenarios.values()].sort(
        (a, b) => Number(a.name.startsWith('leader')) - Number(b.name.startsWith('leader')),
      );
      for (const s of ordered) {
        await runScenario(s, ctx, proxy.firstForbidden);
        names.push(s.name);
      }
      expect(proxy.forbidden).toEqual([]);
      expect(proxy.requests).toBeGreaterThan(50);
      return names;
    });
    expect(passed).toHaveLength(scenarios.size);
  });
});

describe.concurrent("every verb of the chart's roles is needed", () => {
  it('every rule and verb the chart grants has a scenario that needs it', () => {
    expect(removals().length).toBeGreaterThan(0);
    const granted = new Set(removals().map((r) => `${r.key}:${r.verb}`));
    const named = Object.entries(needs).flatMap(([key, verbs]) =>
      Object.keys(verbs).map((v) => `${key}:${v}`),
    );
    expect([...granted].sort()).toEqual(named.sort());
  });

  for (const removal of removals()) {
    const [group = '', ...rest] = removal.key.split('/');
    const resource = rest.join('/');
    it(`${removal.role} ${removal.key} without ${removal.verb}: "${removal.scenario.name}" fails with 403`, async () => {
      const clusterRules =
        removal.role === 'ClusterRole'
          ? without(clusterRole.rules ?? [], removal.rule, removal.verb)
          : (clusterRole.rules ?? []);
      const leaseRules =
        removal.role === 'Role'
          ? without(leaderRole.rules ?? [], removal.rule, removal.verb)
          : (leaderRole.rules ?? []);
      const identity = await identityWith(clusterRules, leaseRules);
      try {
        const scope = removal.role === 'Role' ? { namespace: identity.namespace } : {};
        await expectAccess(
          identity.namespace,
          'operator',
          { group, resource, verb: removal.verb, ...scope },
          false,
        );
        // Both bindings are in effect: the first grant of each role answers allowed.
        for (const [rules, namespaced] of [
          [clusterRules, false],
          [leaseRules, true],
        ] as const) {
          const first = rules[0];
          await expectAccess(
            identity.namespace,
            'operator',
            {
              group: first?.apiGroups?.[0] ?? '',
              resource: first?.resources?.[0] ?? '',
              verb: first?.verbs[0] ?? '',
              ...(namespaced ? { namespace: identity.namespace } : {}),
            },
            true,
          );
        }
        await withOperator(identity, async (ctx, proxy) => {
          const outcome = await runScenario(removal.scenario, ctx, proxy.firstForbidden).then(
            () => 'passed',
            (error: unknown) => error,
          );
          expect(outcome, 'the scenario must fail').not.toBe('passed');
          if (!(outcome instanceof ForbiddenError)) {
            // Failed on its own (e.g. an API call answered 500): the 403 behind it is recorded.
            expect(proxy.forbidden.length, String(outcome)).toBeGreaterThan(0);
          }
          const refused = [...new Set(proxy.forbidden.map((f) => `${f.group}/${f.resource}:${f.verb}`))];
          expect(refused).toEqual([`${removal.key}:${removal.verb}`]);
        });
      } finally {
        await identity.cleanup();
      }
    });
  }
});
