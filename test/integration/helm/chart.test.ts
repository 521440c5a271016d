// The Helm chart on the test cluster: lint, server-side dry-run of everything it renders, a real
// install (kwok plays the kubelet: the operator pods become Running and Ready, the image is never
// pulled), `helm test` with its hook pod's command really executed against the operator run locally
// under the chart's ServiceAccount, an upgrade with changed values, an uninstall that leaves nothing
// but what the README documents, and the opt-in templated CRD (upgraded by helm upgrade, kept by
// helm uninstall).
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubernetesObject,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  V1MicroTime,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.ts';
import { ensureNomadJobCrd } from '../../../src/kube/crds.ts';
import { repoRoot } from '../../support/dockerfile.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from '../support/kube.ts';
import {
  chartDir,
  findObject,
  helm,
  kubectl,
  ok,
  renderChart,
  serviceAccountToken,
  uniqueName,
} from './support.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const crdName = 'nomadjobs.nomadoperator.dev';
const cleanups: Array<() => Promise<unknown>> = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nomad-operator-chart-'));

beforeAll(async () => {
  await ensureNomadJobCrd(operatorConfig(kc));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

async function namespace(prefix: string): Promise<string> {
  const ns = await createTestNamespace(kc, prefix);
  cleanups.push(ns.remove);
  return ns.name;
}

const everything = ['crds.upgrade=true', 'networkPolicy.enabled=true', 'replicaCount=3'];

describe('helm lint and template', () => {
  it('lints clean (strict) with the defaults and with every option on', async () => {
    for (const set of [[], [...everything, 'serviceMonitor.enabled=true']]) {
      const result = ok(
        await helm(['lint', chartDir, '--strict', ...set.flatMap((s) => ['--set', s])]),
        'helm lint',
      );
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(result.stdout).not.toMatch(/\[(INFO|WARNING|ERROR)\]/u);
      expect(result.stderr).toBe('');
    }
  });

  it('the schema rejects bad values', async () => {
    for (const bad of [
      'operator.logLevel=loud',
      'service.port=0',
      'unknownKey=1',
      'operator.resync=soon',
      'translator.millicoresPerMHz=0',
      'translator.datacenterLabel=not a label',
      'translator.nodeAttributeLabels.rack=example.com/rack',
      'translator.execImage=has space',
    ]) {
      const result = await helm(['template', 'r', chartDir, '--set', bad]);
      expect(result.status, bad).not.toBe(0);
      expect(result.stderr, bad).toMatch(/schema/iu);
    }
    // Two replicas without leader election would both reconcile.
    const unsafe = await helm(['template', 'r', chartDir, '--set', 'operator.leaderElection=false']);
    expect(unsafe.status).not.toBe(0);
    expect(unsafe.stderr).toContain('operator.leaderElection=false needs replicaCount=1');
  });

  it('everything it renders passes kubectl apply --dry-run=server, without a warning', async () => {
    const ns = await namespace('chart-dry');
    for (const set of [[], everything]) {
      const release = uniqueName('dry');
      const objects = await renderChart(release, ns, [...set, `operator.defaultNamespace=${ns}`]);
      // Pod admission looks ServiceAccounts up, dry-run or not: those are created for real first.
      const accounts = objects.filter((o) => o.kind === 'ServiceAccount');
      ok(
        await kubectl(
          ['apply', '-f', '-'],
          JSON.stringify({ apiVersion: 'v1', kind: 'List', items: accounts }),
        ),
        'SAs',
      );
      const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
      const result = ok(await kubectl(['apply', '--dry-run=server', '-f', '-'], manifest), 'dry-run');
      // The only acceptable remark: the CRD already exists without kubectl's last-applied annotation
      // (it was server-side applied), which kubectl notes for every object it did not create itself.
      const remarks = result.stderr
        .split('\n')
        .filter((line) => line.trim() !== '')
        .filter(
          (line) =>
            !/^Warning: resource customresourcedefinitions\/nomadjobs\.nomadoperator\.dev is missing the kubectl\.kubernetes\.io\/last-applied-configuration annotation/u.test(
              line,
            ),
        );
      expect(remarks).toEqual([]);
      expect(result.stdout.trim().split('\n')).toHaveLength(objects.length);
      expect(result.stdout).toContain('deployment.apps/');
    }
  });

  it('renders the translator values as run flags, which the operator parses into the options set', async () => {
    const argsOf = (objects: KubernetesObject[]) =>
      findObject<V1Deployment>(objects, 'Deployment').spec?.template.spec?.containers[0]?.args ?? [];
    const translatorOf = (args: string[]) => {
      const parsed = parseConfig(args, {});
      if (!parsed.ok) throw new Error(parsed.errors.join('; '));
      return parsed.config.translator;
    };
    // Defaults: only the ratio, which is the operator's default too.
    const defaults = argsOf(await renderChart('r', 'ns'));
    expect(defaults.filter((a) => /^--(?:.*-label|.*-image|millicores-per-mhz)=/u.test(a))).toEqual([
      '--millicores-per-mhz=1',
    ]);
    expect(translatorOf(defaults)).toEqual({ millicoresPerMHz: 1 });
    const args = argsOf(
      await renderChart('r', 'ns', [
        'translator.datacenterLabel=topology.kubernetes.io/zone',
        'translator.regionLabel=topology.kubernetes.io/region',
        'translator.nodePoolLabel=example.com/pool',
        'translator.nodeClassLabel=example.com/class',
        'translator.nodeAttributeLabels.meta\\.rack=example.com/rack',
        'translator.nodeAttributeLabels.attr\\.cpu\\.numcores=example.com/cores',
        'translator.execImage=debian:12',
        'translator.javaImage=eclipse-temurin:17-jre',
        'translator.artifactImage=alpine:3',
        'translator.millicoresPerMHz=0.5',
        'translator.allowedUnsafeSysctls={net.core.somaxconn,kernel.msg*}',
      ]),
    );
    expect(translatorOf(args)).toEqual({
      millicoresPerMHz: 0.5,
      allowedUnsafeSysctls: ['net.core.somaxconn', 'kernel.msg*'],
      execImage: 'debian:12',
      javaImage: 'eclipse-temurin:17-jre',
      artifactImage: 'alpine:3',
      nodeAttributeLabels: {
        'attr.cpu.numcores': 'example.com/cores',
        'meta.rack': 'example.com/rack',
        'node.class': 'example.com/class',
        'node.datacenter': 'topology.kubernetes.io/zone',
        'node.pool': 'example.com/pool',
        'node.region': 'topology.kubernetes.io/region',
      },
    });
  });

  it('renders the optional ServiceMonitor for the metrics Service only when enabled', async () => {
    expect((await renderChart('r', 'ns')).some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const objects = await renderChart('r', 'ns', [
      'serviceMonitor.enabled=true',
      'serviceMonitor.labels.release=prom',
    ]);
    const monitor = findObject<KubernetesObject & { spec: unknown }>(objects, 'ServiceMonitor');
    const spec = monitor.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: Array<{ port: string; path: string }>;
    };
    const services = objects.filter((o) => o.kind === 'Service') as Array<
      KubernetesObject & { spec: { ports: Array<{ name: string }> } }
    >;
    const selected = services.filter((s) =>
      Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata?.labels?.[k] === v),
    );
    expect(selected.map((s) => s.metadata?.name)).toEqual(['r-nomad-operator-metrics']);
    expect(selected[0]?.spec.ports.map((p) => p.name)).toContain(spec.endpoints[0]?.port);
    expect(spec.endpoints[0]?.path).toBe('/metrics');
    expect(monitor.metadata?.labels?.release).toBe('prom');
  });
});

/** Every object in `ns` (events aside), as `kind/name`. */
async function namespaceContents(ns: string): Promise<string[]> {
  const kinds = ok(
    await kubectl(['api-resources', '--verbs=list', '--namespaced', '-o', 'name']),
    'api-resources',
  )
    .stdout.split('\n')
    .filter((k) => k !== '' && !/^events(\.events\.k8s\.io)?$/u.test(k));
  const list = JSON.parse(
    ok(await kubectl(['get', kinds.join(','), '-n', ns, '-o', 'json']), 'get').stdout,
  ) as {
    items: KubernetesObject[];
  };
  return list.items.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
}

/** Objects labelled as this release's, anywhere in the cluster. */
async function releaseObjects(release: string): Promise<string[]> {
  const names: string[] = [];
  for (const namespaced of ['true', 'false']) {
    const kinds = ok(
      await kubectl(['api-resources', '--verbs=list', `--namespaced=${namespaced}`, '-o', 'name']),
      'api-resources',
    )
      .stdout.split('\n')
      .filter((k) => k !== '');
    const list = JSON.parse(
      ok(
        await kubectl([
          'get',
          kinds.join(','),
          ...(namespaced === 'true' ? ['--all-namespaces'] : []),
          '-l',
          `app.kubernetes.io/instance=${release}`,
          '-o',
          'json',
        ]),
        'get',
      ).stdout,
    ) as { items: KubernetesObject[] };
    names.push(...list.items.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`));
  }
  return names.sort();
}

async function operatorPods(ns: string, release: string): Promise<V1Pod[]> {
  return (
    await core.listNamespacedPod({
      namespace: ns,
      labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=operator`,
    })
  ).items.filter((p) => !p.metadata?.deletionTimestamp);
}

const isReady = (pod: V1Pod) =>
  pod.status?.phase === 'Running' &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * `nomad-operator run` from the sources, as the chart's ServiceAccount, with the Deployment's own
 * arguments (listening on loopback instead), as a standby: the Lease is held by another identity,
 * so it serves the API from warm caches and never reconciles other tests' jobs.
 */
async function runOperatorAsChart(
  ns: string,
  deployment: V1Deployment,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const container = deployment.spec?.template.spec?.containers[0];
  const serviceAccount = deployment.spec?.template.spec?.serviceAccountName ?? '';
  const args = (container?.args ?? [])
    .map((a) => (a.startsWith('--listen=') ? '--listen=127.0.0.1:0' : a))
    .map((a) => (a.startsWith('--metrics-listen=') ? '--metrics-listen=127.0.0.1:0' : a));
  const lease = args.find((a) => a.startsWith('--leader-election-id='))?.split('=')[1] ?? '';
  await kc.makeApiClient(CoordinationV1Api).createNamespacedLease({
    namespace: ns,
    body: {
      metadata: { name: lease },
      spec: {
        holderIdentity: 'another-replica',
        leaseDurationSeconds: 3600,
        acquireTime: new V1MicroTime(),
        renewTime: new V1MicroTime(),
      },
    },
  });
  const cluster = kc.getCurrentCluster()!;
  const kubeconfig = path.join(tmp, `${serviceAccount}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: cluster.server,
            'certificate-authority-data':
              cluster.caData ??
              (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined),
          },
        },
      ],
      users: [{ name: 'u', user: { token: await serviceAccountToken(kc, ns, serviceAccount) } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
    { mode: 0o600 },
  );
  const child = spawn(process.execPath, ['src/cli/main.ts', 'run', ...args, `--kubeconfig=${kubeconfig}`], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, POD_NAMESPACE: ns, HOME: tmp, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await waitFor(
      'the Nomad API of the operator run as the chart ServiceAccount',
      async () => /"url":"([^"]+)","allowAnonymous":false,"msg":"serving the Nomad \/v1 API"/u.exec(log)?.[1],
      { timeoutMs: 60_000 },
    );
    return { url, stop };
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${log.slice(-4000)}`);
  }
}

/**
 * Plays the kubelet for the `helm test` hook pod: once kwok shows it Running, runs its command here
 * with its environment (NOMAD_ADDR pointing at `apiUrl`, TOKEN_FILE holding a token of its
 * ServiceAccount), and records the real exit code as the pod's final status.
 */
async function executeTestPod(
  ns: string,
  name: string,
  apiUrl: string,
): Promise<{ code: number; output: string }> {
  const pod = await waitFor(
    `helm test pod ${name} Running`,
    async () => {
      const live = await core.readNamespacedPod({ namespace: ns, name }).catch(() => undefined);
      return live?.status?.phase === 'Running' ? live : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const container = pod.spec!.containers[0]!;
  const tokenFile = path.join(tmp, `${name}.token`);
  writeFileSync(tokenFile, await serviceAccountToken(kc, ns, pod.spec?.serviceAccountName ?? ''));
  chmodSync(tokenFile, 0o600);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const variable of container.env ?? [])
    if (variable.value !== undefined) env[variable.name] = variable.value;
  env.NOMAD_ADDR = apiUrl;
  env.TOKEN_FILE = tokenFile;
  const [command = '', ...args] = [...(container.command ?? []), ...(container.args ?? [])];
  const startedAt = new Date();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('exit', (exitCode) => resolve({ code: exitCode ?? 1, output: text }));
  });
  await core.patchNamespacedPodStatus(
    {
      namespace: ns,
      name,
      body: {
        status: {
          phase: code === 0 ? 'Succeeded' : 'Failed',
          conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date() }],
          containerStatuses: [
            {
              name: container.name,
              image: container.image ?? '',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: {
                terminated: {
                  exitCode: code,
                  reason: code === 0 ? 'Completed' : 'Error',
                  startedAt,
                  finishedAt: new Date(),
                },
              },
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return { code, output };
}

describe('helm install, test, upgrade, uninstall', () => {
  it('installs running pods, passes helm test, upgrades with new values, uninstalls leaving only the CRD', async () => {
    const ns = await namespace('chart');
    const release = uniqueName('no');
    const fullname = `${release}-nomad-operator`;
    const baseline = await namespaceContents(ns);

    // install
    const installed = ok(
      await helm([
        'install',
        release,
        chartDir,
        '--namespace',
        ns,
        '--set',
        `operator.defaultNamespace=${ns}`,
        '--wait',
        '--timeout',
        '120s',
      ]),
      'helm install',
    );
    cleanups.push(() => helm(['uninstall', release, '--namespace', ns]));
    expect(installed.stdout).toContain('STATUS: deployed');
    expect(installed.stdout).toContain('export NOMAD_ADDR=http://127.0.0.1:4646');
    expect(installed.stdout).toContain(`kubectl --namespace ${ns} create token`);
    const pods = await waitFor('2 operator pods Running and Ready', async () => {
      const list = await operatorPods(ns, release);
      return list.length === 2 && list.every(isReady) ? list : undefined;
    });
    const deployment = await apps.readNamespacedDeployment({ namespace: ns, name: fullname });
    expect(deployment.status?.readyReplicas).toBe(2);
    const pod = pods[0]!;
    expect(pod.spec?.serviceAccountName).toBe(fullname);
    expect(pod.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const container = pod.spec?.containers[0];
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.args).toEqual(
      expect.arrayContaining([
        '--listen=0.0.0.0:4646',
        '--metrics-listen=0.0.0.0:9464',
        '--leader-elect=true',
      ]),
    );
    expect(container?.env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe(
      'metadata.namespace',
    );
    expect(container?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container?.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'tmp', mountPath: '/tmp' }),
    );
    expect(container?.resources?.requests).toBeDefined();
    // The Services reach the pods on the named ports.
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    for (const [service, port] of [
      [fullname, 4646],
      [`${fullname}-metrics`, 9464],
    ] as const) {
      await waitFor(`endpoints of ${service}`, async () => {
        const slices = await discovery.listNamespacedEndpointSlice({
          namespace: ns,
          labelSelector: `kubernetes.io/service-name=${service}`,
        });
        const ready = slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready));
        return ready.length === 2 && slices.items.some((s) => s.ports?.some((p) => p.port === port));
      });
    }
    expect((await helm(['status', release, '--namespace', ns])).stdout).toContain('STATUS: deployed');

    // helm test: the hook's own command, against the operator run as the chart's ServiceAccount.
    const operator = await runOperatorAsChart(ns, deployment);
    try {
      const test = helm(['test', release, '--namespace', ns, '--timeout', '90s']);
      const execution = await executeTestPod(ns, `${fullname}-test`, operator.url);
      expect(execution.output).toContain('GET /v1/jobs: []');
      expect(execution.code).toBe(0);
      const result = ok(await test, 'helm test');
      expect(result.stdout).toMatch(/TEST SUITE:\s+\S+-test[\s\S]*Phase:\s+Succeeded/u);
    } finally {
      await operator.stop();
    }
    await kc.makeApiClient(CoordinationV1Api).deleteNamespacedLease({ namespace: ns, name: fullname });

    // upgrade with changed values
    ok(
      await helm([
        'upgrade',
        release,
        chartDir,
        '--namespace',
        ns,
        '--reuse-values',
        '--set',
        'replicaCount=3',
        '--set',
        'networkPolicy.enabled=true',
        '--set',
        'operator.logLevel=debug',
        '--wait',
        '--timeout',
        '120s',
      ]),
      'helm upgrade',
    );
    await waitFor('3 operator pods of the new revision Ready, with --log-level=debug', async () => {
      const list = await operatorPods(ns, release);
      return (
        list.length === 3 &&
        list.every(isReady) &&
        list.every((p) => p.spec?.containers[0]?.args?.includes('--log-level=debug'))
      );
    });
    const policy = await kc
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ namespace: ns, name: fullname });
    expect(policy.spec?.ingress?.flatMap((r) => r.ports?.map((p) => p.port) ?? [])).toEqual([
      'http',
      'metrics',
    ]);
    // and back: an option turned off removes its object
    ok(
      await helm([
        'upgrade',
        release,
        chartDir,
        '--namespace',
        ns,
        '--reuse-values',
        '--set',
        'networkPolicy.enabled=false',
        '--wait',
      ]),
      'helm upgrade',
    );
    await expect(
      kc.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ namespace: ns, name: fullname }),
    ).rejects.toMatchObject({ code: 404 });
    expect((await helm(['history', release, '--namespace', ns])).stdout.trim().split('\n')).toHaveLength(4);

    // uninstall: nothing of the release is left, in its namespace or anywhere; the CRD stays
    const uninstalled = ok(
      await helm(['uninstall', release, '--namespace', ns, '--wait', '--timeout', '120s']),
      'uninstall',
    );
    expect(uninstalled.stdout).toContain(`release "${release}" uninstalled`);
    await waitFor(
      'the namespace back to what it held before the install',
      async () => JSON.stringify(await namespaceContents(ns)) === JSON.stringify(baseline),
      { timeoutMs: 60_000 },
    ).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}: ${JSON.stringify(await namespaceContents(ns))} vs ${JSON.stringify(baseline)}`,
      );
    });
    expect(await releaseObjects(release)).toEqual([]);
    const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: crdName });
    expect(crd.metadata?.deletionTimestamp).toBeUndefined();
  });
});

describe('the opt-in templated CRD (crds.upgrade)', () => {
  it('is applied by helm upgrade and kept by helm uninstall', async () => {
    const ns = await namespace('chart-crd');
    const release = uniqueName('crd');
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    // Two copies of the chart, as two releases of it: only their version differs.
    const copy = (version: string) => {
      const dir = path.join(tmp, `chart-${version}`);
      cpSync(chartDir, dir, { recursive: true });
      const file = path.join(dir, 'Chart.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^version: .*$/mu, `version: ${version}`));
      return dir;
    };
    const v1 = copy('0.1.0');
    const v2 = copy('0.1.1-upgrade');
    const common = ['--namespace', ns, '--set', 'crds.upgrade=true', '--set', 'replicaCount=1'];
    // The CRD exists already (Helm did not create it): this release adopts it once.
    const install = ok(
      await helm(['install', release, v1, ...common, '--skip-crds', '--take-ownership', '--wait']),
      'install',
    );
    cleanups.push(() => helm(['uninstall', release, '--namespace', ns]));
    cleanups.push(() => releaseHelmMetadata());
    expect(install.stdout).not.toContain('crds.upgrade');
    let crd = await extensions.readCustomResourceDefinition({ name: crdName });
    expect(crd.metadata?.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(crd.metadata?.annotations?.['meta.helm.sh/release-name']).toBe(release);
    expect(crd.metadata?.labels?.['helm.sh/chart']).toBe('nomad-operator-0.1.0');

    ok(await helm(['upgrade', release, v2, ...common, '--wait']), 'upgrade');
    crd = await extensions.readCustomResourceDefinition({ name: crdName });
    expect(crd.metadata?.labels?.['helm.sh/chart']).toBe('nomad-operator-0.1.1-upgrade');

    const uninstall = ok(await helm(['uninstall', release, '--namespace', ns, '--wait']), 'uninstall');
    expect(uninstall.stdout).toMatch(/kept due to the resource policy[\s\S]*nomadjobs\.nomadoperator\.dev/u);
    crd = await extensions.readCustomResourceDefinition({ name: crdName });
    expect(crd.metadata?.deletionTimestamp).toBeUndefined();
    expect(crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')).toBe(true);
    await releaseHelmMetadata();
  });

  /** Drops the uninstalled release's Helm ownership marks from the shared CRD. */
  async function releaseHelmMetadata(): Promise<void> {
    const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: crdName });
    const annotations = Object.keys(crd.metadata?.annotations ?? {}).filter(
      (k) => k.startsWith('meta.helm.sh/') || k === 'helm.sh/resource-policy',
    );
    const labels = Object.keys(crd.metadata?.labels ?? {}).filter(
      (k) => k.startsWith('app.kubernetes.io/') || k === 'helm.sh/chart',
    );
    if (annotations.length + labels.length === 0) return;
    const pointer = (k: string) => k.replaceAll('~', '~0').replaceAll('/', '~1');
    const patch = [
      ...annotations.map((k) => ({ op: 'remove', path: `/metadata/annotations/${pointer(k)}` })),
      ...labels.map((k) => ({ op: 'remove', path: `/metadata/labels/${pointer(k)}` })),
    ];
    ok(await kubectl(['patch', 'crd', crdName, '--type=json', '-p', JSON.stringify(patch)]), 'patch crd');
  }
});
