// Services shared by jobs on the real cluster: two NomadJobs registering the same Nomad service name make
// one Service, owned by both, selecting the pods of both (their addresses in its EndpointSlices). A job
// that stops declaring the service releases it without deleting it; deleting the jobs leaves it to the
// garbage collector, which removes it with the last owner.
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubernetesObject,
  NetworkingV1Api,
  type V1Ingress,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../../src/api/server.ts';
import { jobFieldManager, reconcileSharedServices } from '../../../src/controller/shared-services.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { makeApplier } from '../../../src/kube/apply.ts';
import { makeKubeWriter } from '../../../src/kube/kube-writer.ts';
import type { ClusterReader } from '../../../src/kube/reader.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { LABEL_JOB } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { translate } from '../../../src/translate/index.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import { type Harness, startController } from './harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const networking = kc.makeApiClient(NetworkingV1Api);

let namespace: string;
let removeNamespace: () => Promise<void>;
let harness: Harness;

beforeAll(async () => {
  ({ name: namespace, remove: removeNamespace } = await createTestNamespace(kc, 'shared-svc'));
  harness = await startController(kc, namespace);
});
afterAll(async () => {
  await harness?.stop();
  await removeNamespace();
});

/** A service job whose group registers `services` on its `http` port (container port `to`). */
function apiJob(id: string, groupName: string, to: number, services: string[]): Job {
  return {
    ID: id,
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: groupName,
        Count: 1,
        Networks: [{ DynamicPorts: [{ Label: 'http', To: to }] }],
        Services: services.map((name) => ({ Name: name, PortLabel: 'http', Provider: 'nomad' })),
        Tasks: [
          {
            Name: 'main',
            Driver: 'docker',
            Config: { image: 'registry.example/api:1', ports: ['http'] },
          },
        ],
      },
    ],
  };
}

const readService = async (name: string): Promise<V1Service | undefined> => {
  try {
    return await core.readNamespacedService({ name, namespace });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
};

const reconcileCount = async () =>
  (await harness.metrics.reconcileTotal.get()).values.reduce((sum, v) => sum + v.value, 0);

const ownerNames = (service: V1Service | undefined) =>
  (service?.metadata?.ownerReferences ?? []).map((r) => r.name).sort();

const podIps = async (job: string) =>
  (await core.listNamespacedPod({ namespace, labelSelector: `${LABEL_JOB}=${job}` })).items
    .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.status?.podIP)
    .map((p) => p.status?.podIP ?? '');

/** Ready endpoint addresses of a Service, with the target port of each slice. */
const endpoints = async (service: string) => {
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return slices.items.flatMap((slice) =>
    (slice.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .flatMap((e) => e.addresses.map((address) => `${address}:${slice.ports?.[0]?.port ?? ''}`)),
  );
};

describe('a Nomad service registered by two jobs', () => {
  it('is one Service owned by both, selecting both, released by one and collected with the last', async () => {
    // Both jobs register "catalog" on their port "http", mapped to different container ports.
    await harness.submit(apiJob('alpha', 'web', 8080, ['catalog', 'alpha-admin']));
    await harness.submit(apiJob('beta', 'api', 9090, ['catalog']));

    const shared = await waitFor('Service catalog owned by alpha and beta', async () => {
      const service = await readService('catalog');
      return ownerNames(service).join() === 'alpha,beta' ? service : undefined;
    });
    // One port for the label: the number of the job that applied first, targetPort by name for both.
    expect(shared.spec?.ports).toEqual([
      expect.objectContaining({ name: 'http', targetPort: 'http', protocol: 'TCP' }),
      // Its UDP twin targets a container port by number: the first job's, kept by the second.
      expect.objectContaining({ name: 'http-udp', protocol: 'UDP' }),
    ]);
    expect([8080, 9090]).toContain(shared.spec?.ports?.[0]?.port);
    for (const ref of shared.metadata?.ownerReferences ?? []) {
      expect(ref).toMatchObject({ kind: 'NomadJob', controller: false });
    }
    // One field manager per job, so each can take back exactly its own part.
    const managers = (shared.metadata?.managedFields ?? []).map((f) => f.manager);
    expect(managers).toEqual(expect.arrayContaining([jobFieldManager('alpha'), jobFieldManager('beta')]));
    // The job's own service is not shared.
    expect(ownerNames(await readService('alpha-admin'))).toEqual(['alpha']);

    // Pods of both jobs are behind it, each at its own container port (targetPort by name).
    const ips = await waitFor('a running pod with an IP in alpha and in beta', async () => {
      const [a, b] = await Promise.all([podIps('alpha'), podIps('beta')]);
      return a.length === 1 && b.length === 1 ? { alpha: a[0], beta: b[0] } : undefined;
    });
    const expected = [`${ips.alpha}:8080`, `${ips.beta}:9090`].sort();
    await waitFor(`EndpointSlices of catalog listing ${expected.join(' and ')}`, async () => {
      const addresses = (await endpoints('catalog')).sort();
      return addresses.join() === expected.join();
    });

    // Converged: reconciling both jobs again writes nothing to the Service (each job's own hash).
    const settled = (await readService('catalog'))?.metadata?.resourceVersion;
    const reconciles = await reconcileCount();
    harness.controller.queue.add(`${namespace}/alpha`);
    harness.controller.queue.add(`${namespace}/beta`);
    await waitFor('two more reconciles', async () => (await reconcileCount()) >= reconciles + 2);
    expect((await readService('catalog'))?.metadata?.resourceVersion).toBe(settled);

    // beta stops declaring it: beta lets go of the Service, which alpha keeps.
    await harness.submit(apiJob('beta', 'api', 9090, ['beta-own']));
    const released = await waitFor('catalog owned by alpha only', async () => {
      const service = await readService('catalog');
      return ownerNames(service).join() === 'alpha' ? service : undefined;
    });
    expect((released.metadata?.managedFields ?? []).map((f) => f.manager)).not.toContain(
      jobFieldManager('beta'),
    );
    await waitFor('catalog endpoints: alpha’s pod only', async () => {
      const addresses = await endpoints('catalog');
      return addresses.join() === `${ips.alpha}:8080`;
    });

    // beta declares it again, then alpha's NomadJob is deleted: the collector drops alpha only.
    await harness.submit(apiJob('beta', 'api', 9090, ['catalog']));
    await waitFor('catalog owned by alpha and beta again', async () =>
      ownerNames(await readService('catalog')).join() === 'alpha,beta' ? true : undefined,
    );
    await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: 'alpha' });
    await waitFor('alpha-admin collected, catalog kept for beta', async () => {
      const [own, kept] = await Promise.all([readService('alpha-admin'), readService('catalog')]);
      return own === undefined && ownerNames(kept).join() === 'beta';
    });

    // The last owner goes: so does the Service.
    await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name: 'beta' });
    await waitFor('catalog collected with its last owner', async () =>
      (await readService('catalog')) === undefined ? true : undefined,
    );
  });
});

describe('a job letting go of a Service another job has just claimed', () => {
  it('does not delete it when its cache has not seen the claim yet', async () => {
    await harness.submit(apiJob('first', 'web', 8080, ['racing']));
    const seen = await waitFor('Service racing owned by first', async () => {
      const service = await readService('racing');
      return ownerNames(service).join() === 'first' ? service : undefined;
    });
    // second claims the Service; first's cache still holds it as it was, first its only owner.
    await harness.submit(apiJob('second', 'api', 9090, ['racing']));
    await waitFor('Service racing owned by first and second', async () =>
      ownerNames(await readService('racing')).join() === 'first,second' ? true : undefined,
    );
    const first = (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace,
      name: 'first',
    })) as NomadJobObject;
    const staleCache: ClusterReader = {
      nomadJob: () => first,
      nomadJobs: () => [first],
      owned: <T>(kind: string) => (kind === 'Service' ? [seen] : []) as T[],
      get: <T>(kind: string, _namespace: string, name: string) =>
        (kind === 'Service' && name === 'racing' ? seen : undefined) as T | undefined,
    };
    // first as if it no longer declared the service: with the cache's copy it is the sole owner.
    const writer = makeKubeWriter(operatorConfig(kc));
    await reconcileSharedServices(first, [], staleCache, writer);
    const kept = await readService('racing');
    expect(kept?.metadata?.uid).toBe(seen.metadata?.uid);
    expect(ownerNames(kept)).toContain('second');

    for (const name of ['first', 'second'])
      await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name });
    await waitFor('racing collected with its owners', async () =>
      (await readService('racing')) === undefined ? true : undefined,
    );
  });
});

describe('a Nomad service registered by two jobs on different port labels', () => {
  it('has a port per label, and the job applied second is told that the other port is not its own', async () => {
    const delta = apiJob('delta', 'web', 8080, ['orders']);
    const gamma = apiJob('gamma', 'rpc', 9090, ['orders']);
    const network = gamma.TaskGroups?.[0]?.Networks?.[0];
    if (network) network.DynamicPorts = [{ Label: 'grpc', To: 9090 }];
    const gammaService = gamma.TaskGroups?.[0]?.Services?.[0];
    if (gammaService) gammaService.PortLabel = 'grpc';
    const gammaTask = gamma.TaskGroups?.[0]?.Tasks?.[0];
    if (gammaTask) gammaTask.Config = { image: 'registry.example/api:1', ports: ['grpc'] };
    await harness.submit(delta);
    // gamma comes second, once delta's Service is there: its apply is the one that finds a foreign port.
    await waitFor('Service orders of delta', async () =>
      ownerNames(await readService('orders')).join() === 'delta' ? true : undefined,
    );
    await harness.submit(gamma);
    const service = await waitFor('Service orders owned by delta and gamma with two ports', async () => {
      const s = await readService('orders');
      return ownerNames(s).join() === 'delta,gamma' && s?.spec?.ports?.length === 4 ? s : undefined;
    });
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]).sort()).toEqual([
      ['grpc', 9090, 'grpc'],
      ['grpc-udp', 9090, 9090],
      ['http', 8080, 'http'],
      ['http-udp', 8080, 8080],
    ]);
    const event = await waitFor('a ServicePorts Warning event', async () =>
      (await core.listNamespacedEvent({ namespace })).items.find((e) => e.reason === 'ServicePorts'),
    );
    expect(event.type).toBe('Warning');
    expect(event.involvedObject.name).toBe('gamma');
    expect(event.message).toContain('port(s) http from other jobs');
    for (const name of ['delta', 'gamma']) {
      await custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name });
    }
    await waitFor('orders collected with its owners', async () =>
      (await readService('orders')) === undefined ? true : undefined,
    );
  });
});

describe('router tags', () => {
  it('become an Ingress the apiserver accepts, routing host and path to the shared Service', async () => {
    const job = apiJob('shop', 'web', 8080, ['storefront']);
    const service = job.TaskGroups?.[0]?.Services?.[0];
    if (service) {
      service.Tags = [
        'traefik.enable=true',
        'traefik.http.routers.shop.rule=Host(`shop.example.com`) && PathPrefix(`/cart`)',
      ];
    }
    const { objects } = translate(canonicalize(job), { namespace });
    const applier = makeApplier(operatorConfig(kc), 'nomad-operator-tests');
    const accepted: KubernetesObject[] = [];
    for (const object of objects) accepted.push(await applier.apply(object, { dryRun: true }));
    const ingress = accepted.find((o) => o.kind === 'Ingress') as V1Ingress;
    expect(ingress.metadata?.name).toBe('shop--storefront');
    // The controller makes it, owned by the job like its workloads.
    await harness.submit(job);
    const live = await waitFor('Ingress shop--storefront', async () =>
      (await networking.listNamespacedIngress({ namespace })).items.find(
        (i) => i.metadata?.name === 'shop--storefront',
      ),
    );
    expect(live.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'NomadJob',
      name: 'shop',
      controller: true,
    });
    expect(live.spec?.rules).toEqual(ingress.spec?.rules);
    expect(ingress.spec?.rules).toEqual([
      {
        host: 'shop.example.com',
        http: {
          paths: [
            {
              path: '/cart',
              pathType: 'Prefix',
              backend: { service: { name: 'storefront', port: { number: 8080 } } },
            },
          ],
        },
      },
    ]);
  });
});

describe('the Nomad API', () => {
  it('lists a shared Service’s registrations of each job’s own allocations', async () => {
    const server = await startApiServer({
      kubeConfig: operatorConfig(kc),
      defaultNamespace: namespace,
      listen: { host: '127.0.0.1', port: 0 },
      allowAnonymous: true,
    });
    try {
      await harness.submit(apiJob('left', 'web', 8080, ['ledger']));
      await harness.submit(apiJob('right', 'web', 9090, ['ledger']));
      const registrations = async (job: string) =>
        (await (await fetch(`${server.url}/v1/job/${job}/services`)).json()) as Record<string, unknown>[];
      const [left, right] = await waitFor('one registration of ledger per job', async () => {
        const both = await Promise.all([registrations('left'), registrations('right')]);
        return both.every((r) => r.length === 1) ? both : undefined;
      });
      expect(left?.[0]).toMatchObject({ ServiceName: 'ledger', JobID: 'left', Port: 8080 });
      expect(right?.[0]).toMatchObject({ ServiceName: 'ledger', JobID: 'right', Port: 9090 });
      expect(left?.[0]?.AllocID).not.toBe(right?.[0]?.AllocID);
    } finally {
      await server.close();
    }
  });
});
