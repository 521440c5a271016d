// The operator under test and its named scenarios, for the RBAC proof (rbac.test.ts).
//
// The operator is what `nomad-operator run` starts (src/cli/run.ts), in-process: the Controller with
// its informers, the Nomad /v1 API server reading the controller's caches (plus its own Namespace
// informer), and the Lease elector whose leader runs the reconcile workers. Two differences, both
// for sharing the cluster with other tests: NomadJobs are watched in the scenario's namespace only
// (owned kinds are watched cluster-wide, as in production), and the Lease lives in that namespace.
//
// A scenario is a user story with a success condition (a job reaching running, an API call
// answering 200, …). It fails on its first 403 (the recording proxy reports it), so a scenario
// "passes" only if every call the operator made for it was allowed.
import http from 'node:http';
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { startApiServer } from '../../../src/api/server.ts';
import type { Kind, ObjectSource } from '../../../src/api/state.ts';
import { Controller } from '../../../src/controller/controller.ts';
import { nomadJobObject } from '../../../src/crd/object.ts';
import { group, type NomadJobObject, plural, version } from '../../../src/crd/resource.ts';
import { makeApplier } from '../../../src/kube/apply.ts';
import { LeaderElector } from '../../../src/kube/leader.ts';
import { silentLogger } from '../../../src/log.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { canonicalize } from '../../../src/nomad/canonicalize.ts';
import { ANNOTATION_CREATE_INDEX, ANNOTATION_JOB_MODIFY_INDEX, LABEL_JOB } from '../../../src/nomad/keys.ts';
import type { Job } from '../../../src/nomad/schema.ts';
import { operatorConfig } from '../../support/operator-kubeconfig.ts';
import { waitFor } from '../support/kube.ts';
import type { Forbidden } from './forbidden-proxy.ts';

export interface OperatorUnderTest {
  /** Resolves once the API serves (every cache synced). */
  api: Promise<string>;
  /** Resolves once this replica leads and reconciles. */
  leading: Promise<void>;
  elector: LeaderElector;
  /** Collection paths of every informer (the controller's and the API's own). */
  watchPaths: string[];
  stop(): Promise<void>;
}

export function startOperator(kc: KubeConfig, namespace: string, lease: string): OperatorUnderTest {
  const logger = silentLogger();
  const metrics = createMetrics();
  const controller = new Controller({
    kubeConfig: operatorConfig(kc),
    metrics,
    logger,
    namespace,
    workers: 4,
    historyLimit: 1,
    resyncMs: 10 * 60_000,
  });
  controller.startInformers();
  let server: { close(): Promise<void> } | undefined;
  const api = (async () => {
    const sources: Partial<Record<Kind, ObjectSource>> = { NomadJob: controller.nomadJobs };
    for (const [kind, informer] of controller.owned) sources[kind as Kind] = informer;
    if (!(await controller.waitForSync(30_000))) throw new Error('informer caches did not sync');
    const started = await startApiServer({
      kubeConfig: operatorConfig(kc),
      listen: { host: '127.0.0.1', port: 0 },
      defaultNamespace: namespace,
      allowAnonymous: false,
      sources,
      logger,
      syncTimeoutMs: 30_000,
    });
    server = started;
    return started.url;
  })();
  void api.catch(() => undefined);
  let markLeading: () => void = () => undefined;
  const leading = new Promise<void>((resolve) => {
    markLeading = resolve;
  });
  const elector = new LeaderElector({
    kubeConfig: operatorConfig(kc),
    namespace,
    name: lease,
    leaseDurationMs: 6_000,
    renewDeadlineMs: 4_000,
    retryPeriodMs: 500,
    logger,
    onStartedLeading: async (signal) => {
      if (!(await controller.waitForSync(30_000))) return;
      controller.run();
      markLeading();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  });
  elector.start();
  return {
    api,
    leading,
    elector,
    // The API server adds a Namespace informer to the controller's.
    watchPaths: [...controller.informers.map((i) => i.path), '/api/v1/namespaces'],
    stop: async () => {
      await server?.close();
      await controller.stop();
      await elector.release();
    },
  };
}

export interface ScenarioContext {
  /** The test's own (admin) client: users' writes and checks. */
  admin: KubeConfig;
  namespace: string;
  operator: OperatorUnderTest;
  /** A Nomad API caller's token (a ServiceAccount allowed everything on nomadjobs in `namespace`). */
  callerToken: string;
  /** Paths with an open watch (from the recording proxy). */
  watching: () => ReadonlySet<string>;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/** Thrown when a scenario met a 403. */
export class ForbiddenError extends Error {
  readonly forbidden: Forbidden;
  constructor(forbidden: Forbidden) {
    super(`403: ${forbidden.method} ${forbidden.path}: ${forbidden.message}`);
    this.forbidden = forbidden;
  }
}

/** Runs a scenario until it succeeds, or fails (its own error, or the first 403). */
export async function runScenario(
  scenario: Scenario,
  ctx: ScenarioContext,
  firstForbidden: Promise<Forbidden>,
): Promise<void> {
  await Promise.race([
    scenario.run(ctx),
    firstForbidden.then((f) => {
      throw new ForbiddenError(f);
    }),
  ]);
}

// --- jobs ----------------------------------------------------------------------------------------

const task = (extra: Record<string, unknown> = {}) => ({
  Name: 'main',
  Driver: 'docker',
  Config: { image: 'registry.example/app:1' },
  Resources: { CPU: 50, MemoryMB: 32 },
  ...extra,
});

/** Deployment + Service + a template ConfigMap (local/) + a template Secret (secrets/). */
export function serviceJob(id: string, image = 'registry.example/app:1'): Job {
  return {
    ID: id,
    Type: 'service',
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: 'app',
        Count: 1,
        Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
        // Router tags: the service is routed by an Ingress.
        Services: [{ Name: id, PortLabel: 'http', Tags: [`urlprefix-${id}.example.com/`] }],
        Tasks: [
          task({
            Config: { image, ports: ['http'] },
            Templates: [
              { EmbeddedTmpl: 'listen 8080;\n', DestPath: 'local/app.conf' },
              { EmbeddedTmpl: 'TOKEN=abc\n', DestPath: 'secrets/token.env' },
            ],
          }),
        ],
      },
    ],
  } as Job;
}

export const batchJob = (id: string): Job =>
  ({
    ID: id,
    Type: 'batch',
    Datacenters: ['*'],
    TaskGroups: [{ Name: 'run', Count: 1, Tasks: [task()] }],
  }) as Job;

export const systemJob = (id: string): Job =>
  ({ ID: id, Type: 'system', Datacenters: ['*'], TaskGroups: [{ Name: 'agent', Tasks: [task()] }] }) as Job;

export const periodicJob = (id: string): Job =>
  ({
    ID: id,
    Type: 'batch',
    Datacenters: ['*'],
    Periodic: { Enabled: true, SpecType: 'cron', Spec: '0 3 * * *' },
    TaskGroups: [{ Name: 'nightly', Count: 1, Tasks: [task()] }],
  }) as Job;

export const claimJob = (id: string): Job =>
  ({
    ID: id,
    Type: 'service',
    Datacenters: ['*'],
    TaskGroups: [
      {
        Name: 'db',
        Count: 1,
        Volumes: {
          data: {
            Type: 'csi',
            Source: 'data',
            AccessMode: 'single-node-writer',
            AttachmentMode: 'file-system',
          },
        },
        Tasks: [task({ VolumeMounts: [{ Volume: 'data', Destination: '/data' }] })],
      },
    ],
  }) as Job;

// --- helpers -------------------------------------------------------------------------------------

function submit(ctx: ScenarioContext, job: Job): Promise<KubernetesObject> {
  // What `kubectl apply` of a converted jobspec does: a user's write.
  const applier = makeApplier(operatorConfig(ctx.admin), 'test-user', createMetrics());
  return applier.apply(nomadJobObject(canonicalize(job) as Record<string, unknown>, () => ctx.namespace));
}

async function read(ctx: ScenarioContext, name: string): Promise<NomadJobObject | undefined> {
  const custom = ctx.admin.makeApiClient(CustomObjectsApi);
  return (await custom
    .getNamespacedCustomObject({ group, version, plural, namespace: ctx.namespace, name })
    .catch(() => undefined)) as NomadJobObject | undefined;
}

const until = <T>(what: string, check: () => Promise<T | undefined | false>) =>
  waitFor(what, check, { timeoutMs: 60_000, intervalMs: 200 });

async function status(
  ctx: ScenarioContext,
  name: string,
  wanted: (job: NomadJobObject) => boolean,
  what: string,
) {
  await until(`${name}: ${what}`, async () => {
    const job = await read(ctx, name);
    return job !== undefined && job.status?.observedGeneration === job.metadata?.generation && wanted(job);
  });
}

/** Names of the objects of `kind` labelled as belonging to job `name`. */
async function owned(ctx: ScenarioContext, kind: string, name: string): Promise<string[]> {
  const namespace = ctx.namespace;
  const labelSelector = `${LABEL_JOB}=${name}`;
  const core = ctx.admin.makeApiClient(CoreV1Api);
  const apps = ctx.admin.makeApiClient(AppsV1Api);
  const batch = ctx.admin.makeApiClient(BatchV1Api);
  const list: Record<string, () => Promise<{ items: KubernetesObject[] }>> = {
    Deployment: () => apps.listNamespacedDeployment({ namespace, labelSelector }),
    DaemonSet: () => apps.listNamespacedDaemonSet({ namespace, labelSelector }),
    ControllerRevision: () => apps.listNamespacedControllerRevision({ namespace, labelSelector }),
    Job: () => batch.listNamespacedJob({ namespace, labelSelector }),
    CronJob: () => batch.listNamespacedCronJob({ namespace, labelSelector }),
    // Services are shared by the jobs that register the service name: found by their owner, not a job label.
    Service: async () => {
      const all = await core.listNamespacedService({ namespace });
      return {
        items: all.items.filter((s) =>
          s.metadata?.ownerReferences?.some((o) => o.kind === 'NomadJob' && o.name === name),
        ),
      };
    },
    Ingress: () =>
      ctx.admin.makeApiClient(NetworkingV1Api).listNamespacedIngress({ namespace, labelSelector }),
    ConfigMap: () => core.listNamespacedConfigMap({ namespace, labelSelector }),
    Secret: () => core.listNamespacedSecret({ namespace, labelSelector }),
    PersistentVolumeClaim: () => core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
    Pod: () => core.listNamespacedPod({ namespace, labelSelector }),
  };
  const fetch = list[kind];
  if (!fetch) throw new Error(`no lister for ${kind}`);
  return (
    (await fetch()).items
      .filter((o) => !o.metadata?.deletionTimestamp)
      // Records kept with the job (evaluations) are not workloads: never pruned.
      .filter((o) => !o.metadata?.labels?.['nomadoperator.dev/record'])
      .map((o) => o.metadata?.name ?? '')
  );
}

/** A Nomad API call, on a connection of its own (no keep-alive left for the server's close to wait on). */
async function nomad(
  ctx: ScenarioContext,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const base = new URL(await ctx.operator.api);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent: false,
        headers: {
          'X-Nomad-Token': ctx.callerToken,
          ...(payload === undefined ? {} : { 'Content-Length': Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

async function nomadOk(ctx: ScenarioContext, method: string, path: string, body?: unknown): Promise<string> {
  const { status, text } = await nomad(ctx, method, path, body);
  if (status !== 200) throw new Error(`${method} ${path}: ${status} ${text}`);
  return text;
}

const apiJob = (id: string) => ({
  ID: id,
  Name: id,
  Type: 'service',
  Datacenters: ['*'],
  TaskGroups: [{ Name: 'app', Count: 1, Tasks: [task()] }],
});

const register = (ctx: ScenarioContext, id: string) =>
  nomadOk(ctx, 'POST', '/v1/jobs', {
    Job: apiJob(id),
    Submission: { Source: `job "${id}" {}\n`, Format: 'hcl2', VariableFlags: {}, Variables: '' },
  });

// --- scenarios -----------------------------------------------------------------------------------

const scenarioList: Scenario[] = [
  {
    name: 'startup: caches synced, every watch open, API serving, Lease acquired',
    run: async (ctx) => {
      await ctx.operator.api;
      await ctx.operator.leading;
      await until('every informer watching', async () =>
        ctx.operator.watchPaths.every((path) => ctx.watching().has(path)),
      );
    },
  },
  {
    name: 'service job reaches running (Deployment, Service, Ingress, template ConfigMap and Secret, version, no routine events)',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, serviceJob('web'));
      await status(
        ctx,
        'web',
        (j) => j.status?.status === 'running' && j.status.summary?.app?.running === 1,
        'running',
      );
      for (const kind of ['Deployment', 'Service', 'Ingress', 'ConfigMap', 'Secret', 'ControllerRevision'])
        await until(`web's ${kind}`, async () => (await owned(ctx, kind, 'web')).length > 0);
      const events = await ctx.admin
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: ctx.namespace, fieldSelector: 'involvedObject.name=web' });
      // Routine steps record no Events (the status shows the version and the rollout): Events are for
      // what needs attention, and each one is a write.
      const reasons = new Set(events.items.map((e) => e.reason));
      if (reasons.has('Registered') || reasons.has('Created'))
        throw new Error(`routine events: ${[...reasons]}`);
      if ((await read(ctx, 'web'))?.status?.version !== 0) throw new Error('status has no version 0');
    },
  },
  {
    name: 'batch job completes',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, batchJob('report'));
      await status(
        ctx,
        'report',
        (j) => j.status?.status === 'dead' && j.status.summary?.run?.complete === 1,
        'complete',
      );
    },
  },
  {
    name: 'system job runs as a DaemonSet',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, systemJob('agent'));
      await until('agent DaemonSet', async () => (await owned(ctx, 'DaemonSet', 'agent')).length === 1);
      await status(ctx, 'agent', (j) => j.status?.status === 'running', 'running');
    },
  },
  {
    name: 'periodic job gets a CronJob',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, periodicJob('nightly'));
      await until('nightly CronJob', async () => (await owned(ctx, 'CronJob', 'nightly')).length === 1);
      await status(ctx, 'nightly', (j) => j.status?.status === 'running', 'running (a periodic parent)');
    },
  },
  {
    name: 'csi volume gets a PersistentVolumeClaim',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, claimJob('db'));
      await until('db claim', async () => (await owned(ctx, 'PersistentVolumeClaim', 'db')).length === 1);
      await status(ctx, 'db', (j) => j.status?.version === 0, 'version 0 recorded');
    },
  },
  {
    name: 'new versions update the workload and prune history beyond the limit',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, serviceJob('hist', 'registry.example/app:1'));
      await status(ctx, 'hist', (j) => j.status?.version === 0, 'version 0');
      await submit(ctx, serviceJob('hist', 'registry.example/app:2'));
      await status(
        ctx,
        'hist',
        (j) => j.status?.version === 1 && j.status.status === 'running',
        'version 1 running',
      );
      // historyLimit 1: version 0's revision is deleted.
      await until(
        'one revision left',
        async () => (await owned(ctx, 'ControllerRevision', 'hist')).length === 1,
      );
      const image = (
        await ctx.admin.makeApiClient(AppsV1Api).listNamespacedDeployment({
          namespace: ctx.namespace,
          labelSelector: `${LABEL_JOB}=hist`,
        })
      ).items[0]?.spec?.template.spec?.containers.find((c) => c.name === 'main')?.image;
      if (image !== 'registry.example/app:2') throw new Error(`Deployment image ${image}`);
    },
  },
  {
    name: 'stop removes every workload kind (prune)',
    run: async (ctx) => {
      await ctx.operator.leading;
      const jobs: Array<[Job, string[]]> = [
        [serviceJob('s-web'), ['Deployment', 'Service', 'Ingress', 'ConfigMap', 'Secret']],
        [batchJob('s-batch'), ['Job']],
        [systemJob('s-sys'), ['DaemonSet']],
        [periodicJob('s-cron'), ['CronJob']],
        [claimJob('s-db'), ['PersistentVolumeClaim', 'Deployment']],
      ];
      for (const [job] of jobs) await submit(ctx, job);
      for (const [job, kinds] of jobs)
        for (const kind of kinds)
          await until(`${job.ID}'s ${kind}`, async () => (await owned(ctx, kind, job.ID ?? '')).length > 0);
      for (const [job] of jobs) await submit(ctx, { ...job, Stop: true });
      for (const [job, kinds] of jobs)
        for (const kind of kinds)
          await until(`${job.ID}'s ${kind} pruned`, async () => {
            const left = await owned(ctx, kind, job.ID ?? '');
            if (left.length > 0) throw new Error(`left: ${left.join(', ')}`);
            return true;
          });
      await status(ctx, 's-web', (j) => j.status?.status === 'dead', 'dead');
    },
  },
  {
    name: 'delete: the NomadJob goes and garbage collection takes what it owned',
    run: async (ctx) => {
      await ctx.operator.leading;
      await submit(ctx, serviceJob('gone'));
      await status(ctx, 'gone', (j) => j.status?.status === 'running', 'running');
      await ctx.admin
        .makeApiClient(CustomObjectsApi)
        .deleteNamespacedCustomObject({ group, version, plural, namespace: ctx.namespace, name: 'gone' });
      for (const kind of ['Deployment', 'Service', 'Ingress', 'ConfigMap', 'Secret', 'ControllerRevision'])
        await until(`gone's ${kind} collected`, async () => (await owned(ctx, kind, 'gone')).length === 0);
    },
  },
  {
    name: 'leader renews the Lease and releases it on shutdown',
    run: async (ctx) => {
      await ctx.operator.leading;
      const leases = ctx.admin.makeApiClient(CoordinationV1Api);
      const name = ctx.operator.elector.name;
      const first = await leases.readNamespacedLease({ namespace: ctx.namespace, name });
      const renewedAt = (l: typeof first) => new Date(l.spec?.renewTime ?? 0).getTime();
      await until(
        'a renewal',
        async () =>
          renewedAt(await leases.readNamespacedLease({ namespace: ctx.namespace, name })) > renewedAt(first),
      );
      await ctx.operator.elector.release();
      const released = await leases.readNamespacedLease({ namespace: ctx.namespace, name });
      if (released.spec?.holderIdentity) throw new Error(`still held by ${released.spec.holderIdentity}`);
    },
  },
  {
    name: 'api: register a job with its submission (TokenReview, SubjectAccessReview, create, its version with its indexes)',
    run: async (ctx) => {
      await register(ctx, 'api-reg');
      await until('version 0 with its indexes', async () => {
        const revisions = await ctx.admin.makeApiClient(AppsV1Api).listNamespacedControllerRevision({
          namespace: ctx.namespace,
          labelSelector: `${LABEL_JOB}=api-reg`,
        });
        return revisions.items.some(
          (r) =>
            r.metadata?.annotations?.[ANNOTATION_CREATE_INDEX] !== undefined &&
            r.metadata?.annotations?.[ANNOTATION_JOB_MODIFY_INDEX] !== undefined,
        );
      });
      await until('the submission ConfigMap', async () => {
        const maps = await ctx.admin.makeApiClient(CoreV1Api).listNamespacedConfigMap({
          namespace: ctx.namespace,
          labelSelector: 'nomadoperator.dev/submission-of=api-reg',
        });
        return maps.items.length === 1;
      });
    },
  },
  {
    name: 'api: read a job submission',
    run: async (ctx) => {
      await register(ctx, 'api-src');
      const text = await until('the submission', async () => {
        const { status, text } = await nomad(ctx, 'GET', '/v1/job/api-src/submission?version=0');
        return status === 200 ? text : undefined;
      });
      if (!text.includes('job \\"api-src\\"')) throw new Error(`submission ${text}`);
    },
  },
  {
    name: 'api: re-register an unchanged job (replace, submission rewritten)',
    run: async (ctx) => {
      await register(ctx, 'api-again');
      await status(ctx, 'api-again', (j) => j.status?.version === 0, 'version 0');
      await register(ctx, 'api-again');
    },
  },
  {
    name: 'api: evaluate with ForceReschedule deletes failed allocations',
    run: async (ctx) => {
      await register(ctx, 'api-eval');
      const core = ctx.admin.makeApiClient(CoreV1Api);
      const pod = await until('a running pod of api-eval', async () => {
        const pods = await core.listNamespacedPod({
          namespace: ctx.namespace,
          labelSelector: `${LABEL_JOB}=api-eval`,
        });
        return pods.items.find((p) => p.status?.phase === 'Running');
      });
      const name = pod.metadata?.name ?? '';
      // The container crashed for good: what a kubelet would report.
      await core.patchNamespacedPodStatus(
        { namespace: ctx.namespace, name, body: { status: { phase: 'Failed' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await until('the API sees the failed allocation', async () => {
        const allocations = await nomad(ctx, 'GET', '/v1/job/api-eval/allocations');
        return allocations.text.includes('"ClientStatus":"failed"');
      });
      await nomadOk(ctx, 'POST', '/v1/job/api-eval/evaluate', {
        JobID: 'api-eval',
        EvalOptions: { ForceReschedule: true },
      });
      await until('the failed pod deleted', async () => {
        const live = await core.readNamespacedPod({ namespace: ctx.namespace, name }).catch(() => undefined);
        return live === undefined || live.metadata?.deletionTimestamp !== undefined;
      });
    },
  },
  {
    name: 'api: mark a version stable, then revert to it (history read from the apiserver)',
    run: async (ctx) => {
      await register(ctx, 'api-hist');
      await status(ctx, 'api-hist', (j) => j.status?.version === 0, 'version 0');
      await nomadOk(ctx, 'POST', '/v1/job/api-hist/stable', {
        JobID: 'api-hist',
        JobVersion: 0,
        Stable: true,
      });
      await nomadOk(ctx, 'POST', '/v1/jobs', {
        Job: { ...apiJob('api-hist'), Meta: { release: '2' } },
      });
      await status(ctx, 'api-hist', (j) => j.status?.version === 1, 'version 1');
      await nomadOk(ctx, 'POST', '/v1/job/api-hist/revert', { JobID: 'api-hist', JobVersion: 0 });
      await status(ctx, 'api-hist', (j) => j.status?.version === 2, 'version 2 (the revert)');
    },
  },
  {
    name: 'api: dispatch a parameterized job',
    run: async (ctx) => {
      await nomadOk(ctx, 'POST', '/v1/jobs', {
        Job: {
          ...apiJob('api-param'),
          Type: 'batch',
          ParameterizedJob: { Payload: 'optional', MetaOptional: ['who'] },
        },
      });
      await status(ctx, 'api-param', (j) => j.status?.version === 0, 'version 0');
      const answer = JSON.parse(
        await nomadOk(ctx, 'POST', '/v1/job/api-param/dispatch', {
          JobID: 'api-param',
          Payload: Buffer.from('hello').toString('base64'),
          Meta: { who: 'rbac' },
        }),
      ) as { DispatchedJobID?: string };
      const child = answer.DispatchedJobID ?? '';
      if (!child.startsWith('api-param/dispatch-')) throw new Error(`dispatched ${child}`);
      await until('the dispatched child completes', async () => {
        const job = await nomad(ctx, 'GET', `/v1/job/${encodeURIComponent(child)}`);
        return job.status === 200 && (JSON.parse(job.text) as { Status?: string }).Status === 'dead';
      });
    },
  },
  {
    name: 'api: force a periodic launch',
    run: async (ctx) => {
      await nomadOk(ctx, 'POST', '/v1/jobs', {
        Job: {
          ...apiJob('api-cron'),
          Type: 'batch',
          Periodic: { Enabled: true, SpecType: 'cron', Spec: '0 3 * * *' },
        },
      });
      await status(ctx, 'api-cron', (j) => j.status?.version === 0, 'version 0');
      const answer = JSON.parse(await nomadOk(ctx, 'POST', '/v1/job/api-cron/periodic/force')) as {
        EvalID?: string;
      };
      if (!answer.EvalID) throw new Error('no EvalID');
      await until('the forced child', async () => {
        const jobs = await nomad(ctx, 'GET', '/v1/jobs?prefix=api-cron%2Fperiodic-');
        return jobs.status === 200 && (JSON.parse(jobs.text) as unknown[]).length === 1;
      });
    },
  },
  {
    name: 'api: create, change and delete a namespace',
    run: async (ctx) => {
      // The caller needs the Kubernetes rights itself (the API never lends the operator's): a
      // ClusterRole for this scenario's caller, removed at the end.
      const name = `${ctx.namespace}-ns`;
      const rbac = ctx.admin.makeApiClient(RbacAuthorizationV1Api);
      await rbac.createClusterRole({
        body: {
          metadata: { name },
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'patch', 'delete'] }],
        },
      });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace: ctx.namespace }],
        },
      });
      try {
        await until('the caller may create a namespace', async () => {
          const { status, text } = await nomad(ctx, 'PUT', '/v1/namespace', { Name: name });
          if (status === 403) return false;
          if (status !== 200) throw new Error(`PUT /v1/namespace: ${status} ${text}`);
          return true;
        });
        await nomadOk(ctx, 'PUT', `/v1/namespace/${name}`, { Name: name, Description: 'changed' });
        await nomadOk(ctx, 'DELETE', `/v1/namespace/${name}`);
      } finally {
        const core = ctx.admin.makeApiClient(CoreV1Api);
        await core.deleteNamespace({ name }).catch(() => undefined);
        await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
        await rbac.deleteClusterRole({ name }).catch(() => undefined);
      }
    },
  },
  {
    name: 'api: purge a job',
    run: async (ctx) => {
      await register(ctx, 'api-purge');
      await status(ctx, 'api-purge', (j) => j.status?.version === 0, 'version 0');
      await nomadOk(ctx, 'DELETE', '/v1/job/api-purge?purge=true');
      await until('api-purge gone', async () => (await read(ctx, 'api-purge')) === undefined);
    },
  },
];

export const scenarios: ReadonlyMap<string, Scenario> = new Map(scenarioList.map((s) => [s.name, s]));

export function scenario(prefix: string): Scenario {
  const found = scenarioList.filter((s) => s.name.startsWith(prefix));
  if (found.length !== 1) throw new Error(`scenario "${prefix}": ${found.length} matches`);
  return found[0]!;
}
