// The realistic corpus, run end to end on the local cluster (kwok nodes with kwok's default labels only),
// applied ONCE and checked twice on the same live objects:
//   - every jobspec of test/fixtures/corpus/ is converted with `nomad-operator convert`, all of them are
//     applied at once with `kubectl apply`, the operator's controller runs them, and parameterized jobs
//     are dispatched (one child each, with the meta and payload their expectations give);
//   - outcome: each job against its expectation (test/fixtures/corpus/expectations.ts, written from
//     Nomad's behaviour): workloads available or complete and the NomadJob status Nomad would report, or,
//     for jobs Nomad could not place either, `pending` with the scheduler's reason;
//   - runtime: each job with an expectations file (test/fixtures/corpus-expectations/, checker in
//     test/support/corpus-expectations.ts) against the workloads and the pods as the apiserver stores
//     them (files resolved through their volumes to the ConfigMaps/Secrets the apiserver holds, env with
//     ConfigMap/Secret keys and the pods' own fields), the Services and their EndpointSlices (every ready
//     pod of the registering groups is an endpoint on the target port); what is deliberately not
//     converted is checked against the NomadJob's status.warnings. The same runtime expectations are
//     checked on `convert --manifests` output by test/unit/corpus-expectations.test.ts.
// One application keeps the cluster's load to one corpus (about 80 pods) however the test files are
// scheduled side by side. The issue's `web` job is also registered through the Nomad API
// (`PUT /v1/jobs`, as `nomad job run` sends it) and must have 3 running allocations.
import { readFileSync } from 'node:fs';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubernetesObject,
  type V1CronJob,
  type V1DaemonSet,
  type V1Deployment,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/server.ts';
import { group, type NomadJobObject, plural, version } from '../../src/crd/resource.ts';
import { dispatchJob } from '../../src/jobs/dispatch.ts';
import { makeKubeWriter } from '../../src/kube/kube-writer.ts';
import { parseJobspec } from '../../src/nomad/hcl/jobspec.ts';
import { jobObjectName } from '../../src/nomad/ids.ts';
import { LABEL_JOB } from '../../src/nomad/keys.ts';
import { type Expectation, expectations, type WorkloadKind } from '../fixtures/corpus/expectations.ts';
import { type CorpusEntry, convertCorpusJob, corpusEntries } from '../support/corpus.ts';
import {
  checkJob,
  type JobExpectations,
  loadExpectations,
  ObjectSet,
} from '../support/corpus-expectations.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { type Harness, startController } from './controller/harness.ts';
import { startTestApiServer } from './support/api-server.ts';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';
import { kubectl } from './support/kubectl.ts';

const kc = testKubeConfig();
const writer = makeKubeWriter(operatorConfig(kc));
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const discovery = kc.makeApiClient(DiscoveryV1Api);

/** How long every job together may take to settle (kwok runs pods within seconds; rollouts wait
 * min_healthy_time, up to 30 s in the corpus). */
const SETTLE_TIMEOUT_MS = 150_000;
const POLL_INTERVAL_MS = 2_000;
/** Identical runtime problem lists on this many polls in a row, once every pod has settled, end the
 * wait for the runtime expectations (what is left is what the objects say, not a rollout). */
const STABLE_POLLS = 3;

/** Node labels every node of a fresh cluster has (test/cluster/local-cluster.ts nodeManifest, plus the beta
 * labels Kubernetes adds). */
const KWOK_DEFAULT_NODE_LABELS = [
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'type',
];

const entries = corpusEntries();
/** Runtime expectations by job name (not every job has a file: see the folder's README). */
const runtimeExpectations = loadExpectations();
const runtimeEntries = entries.filter((e) => runtimeExpectations.has(e.name));

/** Everything in the namespace at one moment. */
interface Observation {
  nomadJobs: NomadJobObject[];
  deployments: V1Deployment[];
  daemonSets: V1DaemonSet[];
  jobs: V1Job[];
  cronJobs: V1CronJob[];
  pods: V1Pod[];
  /** The same moment as the runtime checker reads it (pods on their way out left out). */
  objects: ObjectSet;
  /** The translation's warnings of each NomadJob (status.warnings), by object name. */
  warnings: Map<string, string[]>;
}

let namespace: { name: string; remove: () => Promise<void> };
let harness: Harness | undefined;
/** convert's stderr for jobs it refused (they are not applied). */
const refused = new Map<string, string>();
/** kubectl apply's complaints. */
let applyErrors = '';
/** Dispatched children by parent job name, or why dispatch failed. */
const dispatched = new Map<string, { child: string } | { error: string }>();
/** Jobs whose outcome and runtime expectations describe different dispatches (only one child is made). */
const dispatchConflicts = new Map<string, string>();
let last: Observation | undefined;
/** The last failure to list the namespace's objects, if any. */
let observeError = '';

async function observe(ns: string): Promise<Observation> {
  const [nomadJobs, deployments, daemonSets, jobs, cronJobs, pods, services, configMaps, secrets, slices] =
    await Promise.all([
      custom.listNamespacedCustomObject({ group, version, plural, namespace: ns }) as Promise<{
        items: NomadJobObject[];
      }>,
      apps.listNamespacedDeployment({ namespace: ns }),
      apps.listNamespacedDaemonSet({ namespace: ns }),
      batch.listNamespacedJob({ namespace: ns }),
      batch.listNamespacedCronJob({ namespace: ns }),
      core.listNamespacedPod({ namespace: ns }),
      core.listNamespacedService({ namespace: ns }),
      core.listNamespacedConfigMap({ namespace: ns }),
      core.listNamespacedSecret({ namespace: ns }),
      discovery.listNamespacedEndpointSlice({ namespace: ns }),
    ]);
  const kinds = (apiVersion: string, kind: string) => (o: KubernetesObject) => ({ ...o, apiVersion, kind });
  const objects = new ObjectSet(
    [
      // List items come without apiVersion/kind.
      ...deployments.items.map(kinds('apps/v1', 'Deployment')),
      ...daemonSets.items.map(kinds('apps/v1', 'DaemonSet')),
      ...jobs.items.map(kinds('batch/v1', 'Job')),
      ...cronJobs.items.map(kinds('batch/v1', 'CronJob')),
      // Pods on their way out (an old ReplicaSet's) are not what the job runs now.
      ...pods.items.filter((p) => !p.metadata?.deletionTimestamp).map(kinds('v1', 'Pod')),
      ...services.items.map(kinds('v1', 'Service')),
      ...configMaps.items.map(kinds('v1', 'ConfigMap')),
      ...secrets.items.map(kinds('v1', 'Secret')),
      ...slices.items.map(kinds('discovery.k8s.io/v1', 'EndpointSlice')),
    ],
    true,
  );
  return {
    nomadJobs: nomadJobs.items,
    deployments: deployments.items,
    daemonSets: daemonSets.items,
    jobs: jobs.items,
    cronJobs: cronJobs.items,
    pods: pods.items,
    objects,
    warnings: new Map(
      nomadJobs.items.map((o) => [o.metadata?.name ?? '', [...(o.status?.warnings ?? [])]] as const),
    ),
  };
}

const ofJob = <T extends { metadata?: { labels?: Record<string, string> } }>(items: T[], name: string) =>
  items.filter((o) => o.metadata?.labels?.[LABEL_JOB] === name);

/** Jobs the workload itself runs (not those a CronJob has launched on its schedule). */
const ownJobs = (jobs: V1Job[]) =>
  jobs.filter((j) => !(j.metadata?.ownerReferences ?? []).some((o) => o.kind === 'CronJob'));

function deploymentProblem(d: V1Deployment): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const s = d.status;
  const ok =
    (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s?.availableReplicas ?? 0) === want &&
    (s?.updatedReplicas ?? 0) === want;
  return ok
    ? undefined
    : `Deployment/${d.metadata?.name}: ${s?.availableReplicas ?? 0}/${want} available, ${s?.updatedReplicas ?? 0} updated`;
}

function daemonSetProblem(d: V1DaemonSet): string | undefined {
  const s = d.status;
  const desired = s?.desiredNumberScheduled ?? 0;
  const ok = desired > 0 && s?.numberReady === desired && s?.updatedNumberScheduled === desired;
  return ok ? undefined : `DaemonSet/${d.metadata?.name}: ${s?.numberReady ?? 0}/${desired} ready`;
}

function jobProblem(j: V1Job): string | undefined {
  const complete = j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
  return complete
    ? undefined
    : `Job/${j.metadata?.name}: not complete (succeeded ${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}, failed ${j.status?.failed ?? 0})`;
}

function describeNomadJob(nj: NomadJobObject | undefined): string {
  if (!nj) return 'NomadJob missing';
  const conditions = (nj.status?.conditions ?? [])
    .map((c) => `${c.type}=${c.status}(${c.reason}: ${c.message})`)
    .join('; ');
  return `NomadJob status=${nj.status?.status ?? '-'} allocations=${nj.status?.allocations ?? '-'} conditions: ${conditions || '-'}`;
}

/** Pods of the job that are not running or done, with what holds them. */
function describeStuckPods(pods: V1Pod[]): string[] {
  return pods
    .filter((p) => !['Running', 'Succeeded'].includes(p.status?.phase ?? ''))
    .slice(0, 3)
    .map((p) => {
      const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
      const why =
        scheduled?.status === 'False' ? `unschedulable: ${scheduled.message}` : (p.status?.reason ?? '');
      return `pod ${p.metadata?.name} ${p.status?.phase}${why ? ` (${why})` : ''}`;
    });
}

/** What is wrong with one job against its expectation; empty when it holds. */
function problemsOf(name: string, expectation: Expectation, seen: Observation): string[] {
  if (refused.has(name)) return [`convert refused it: ${refused.get(name)}`];
  const objectName = jobObjectName(name);
  const nomadJob = seen.nomadJobs.find((o) => o.metadata?.name === objectName);
  if (!nomadJob) return [`no NomadJob ${objectName}${applyErrors ? ` (kubectl apply: ${applyErrors})` : ''}`];
  const problems: string[] = [];
  const workloads: Record<WorkloadKind, Array<V1Deployment | V1DaemonSet | V1Job | V1CronJob>> = {
    Deployment: ofJob(seen.deployments, objectName),
    DaemonSet: ofJob(seen.daemonSets, objectName),
    Job: ownJobs(ofJob(seen.jobs, objectName)),
    CronJob: ofJob(seen.cronJobs, objectName),
  };
  for (const kind of Object.keys(workloads) as WorkloadKind[]) {
    const want = expectation.workloads[kind] ?? 0;
    if (workloads[kind].length !== want)
      problems.push(`${workloads[kind].length} ${kind}(s), expected ${want}`);
  }
  const status = nomadJob.status;
  if (status?.status !== expectation.status)
    problems.push(`status ${status?.status}, expected ${expectation.status}`);
  if (expectation.status === 'pending') {
    // Pending for one of two reasons: the scheduler cannot place the pods (Unschedulable), or a group
    // has no workload by design (NotTranslated, with the translation's warning as the message).
    const scheduled = status?.conditions?.find((c) => c.type === 'Scheduled');
    const [reason, message] = expectation.notTranslated
      ? ['NotTranslated', expectation.notTranslated]
      : ['Unschedulable', expectation.unschedulable];
    if (
      scheduled?.status !== 'False' ||
      scheduled.reason !== reason ||
      !message?.test(scheduled.message ?? '')
    ) {
      problems.push(`no condition Scheduled=False, reason ${reason}, message ~ ${message}`);
    }
  } else {
    for (const d of workloads.Deployment as V1Deployment[]) problems.push(deploymentProblem(d) ?? '');
    for (const d of workloads.DaemonSet as V1DaemonSet[]) problems.push(daemonSetProblem(d) ?? '');
    for (const j of workloads.Job as V1Job[]) problems.push(jobProblem(j) ?? '');
    if (expectation.allocations !== undefined && status?.allocations !== expectation.allocations)
      problems.push(`allocations ${status?.allocations}, expected ${expectation.allocations}`);
    if (expectation.category === 'system') {
      // One allocation per eligible node, however many nodes the cluster has: the DaemonSet controller's
      // count of them is the count Nomad would report.
      const nodes = (workloads.DaemonSet as V1DaemonSet[]).reduce(
        (sum, d) => sum + (d.status?.desiredNumberScheduled ?? 0),
        0,
      );
      if (status?.allocations !== `${nodes}/${nodes}`)
        problems.push(
          `allocations ${status?.allocations}, expected ${nodes}/${nodes} (one per eligible node)`,
        );
    }
  }
  if (expectation.dispatch) {
    const child = dispatched.get(name);
    if (!child || 'error' in child)
      problems.push(`dispatch failed: ${child ? child.error : 'not attempted'}`);
    else {
      const childJob = seen.nomadJobs.find((o) => o.metadata?.name === child.child);
      if (childJob?.status?.status !== 'dead')
        problems.push(`dispatched child ${child.child}: status ${childJob?.status?.status}, expected dead`);
      const childJobs = ofJob(seen.jobs, child.child);
      if (childJobs.length !== 1) problems.push(`dispatched child ${child.child}: ${childJobs.length} Jobs`);
      for (const j of childJobs) problems.push(jobProblem(j) ?? '');
    }
  }
  const found = problems.filter((p) => p !== '');
  if (found.length === 0) return [];
  return [
    ...found,
    `seen: ${describeNomadJob(nomadJob)}`,
    ...describeStuckPods(ofJob(seen.pods, objectName)).map((p) => `seen: ${p}`),
  ];
}

function allProblems(seen: Observation): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const { name } of entries) {
    const expectation = expectations[name];
    result.set(name, expectation ? problemsOf(name, expectation, seen) : ['no expectation written for it']);
  }
  return result;
}

/** A pod is settled when it is ready, has finished, or the scheduler has said it cannot place it. */
function podSettled(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const conditions = pod.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return true;
  return conditions.some((c) => c.type === 'PodScheduled' && c.status === 'False');
}

/** The NomadJob whose workloads carry a job's runtime expectations: its own, or its dispatched child. */
function runtimeObjectName(name: string): { name: string } | { error: string } {
  if (refused.has(name)) return { error: `convert refused it: ${refused.get(name)}` };
  const conflict = dispatchConflicts.get(name);
  if (conflict) return { error: conflict };
  if (!runtimeExpectations.get(name)?.dispatch) return { name: jobObjectName(name) };
  const child = dispatched.get(name);
  if (!child) return { error: 'dispatch failed: not attempted' };
  return 'error' in child ? { error: `dispatch failed: ${child.error}` } : { name: child.child };
}

/** What is wrong with each job against its runtime expectations; empty lists where they hold. */
function allRuntimeProblems(seen: Observation): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const { name } of runtimeEntries) {
    const checked = runtimeObjectName(name);
    if ('error' in checked) {
      result.set(name, [checked.error]);
      continue;
    }
    if (!seen.nomadJobs.some((o) => o.metadata?.name === checked.name)) {
      result.set(name, [
        `no NomadJob ${checked.name}${applyErrors ? ` (kubectl apply: ${applyErrors})` : ''}`,
      ]);
      continue;
    }
    const expected = runtimeExpectations.get(name) as JobExpectations;
    // The pods themselves are checked too: every group that runs pods now (all but CronJobs) has some.
    const withoutPods = Object.keys(expected.groups)
      .filter((g) => {
        const sources = seen.objects.podSources(checked.name, g);
        const runsPods = sources.some((s) => !s.pod && !s.describe.startsWith('CronJob/'));
        return runsPods && !sources.some((s) => s.pod);
      })
      .map((g) => `group ${g}: no pod of its workload to check`);
    result.set(name, [
      ...withoutPods,
      ...checkJob(expected, checked.name, seen.objects, seen.warnings.get(checked.name)),
    ]);
  }
  return result;
}

/** Every pod settled and every runtime-checked group has its workload: the runtime problems are final. */
function runtimeSettled(seen: Observation): boolean {
  return (
    seen.objects.pods.every((p) => podSettled(p as V1Pod)) &&
    runtimeEntries.every((e) => {
      const checked = runtimeObjectName(e.name);
      const groups = Object.keys(runtimeExpectations.get(e.name)?.groups ?? {});
      return 'error' in checked || groups.every((g) => seen.objects.podSources(checked.name, g).length > 0);
    })
  );
}

/**
 * The one dispatch of a parameterized job: its outcome expectation's and its runtime file's must agree
 * (the runtime file gives the payload as text, the outcome expectation base64-encoded).
 */
function dispatchOf(
  name: string,
): { request: { meta: Record<string, string>; payload?: string } } | { conflict: string } | undefined {
  const outcome = expectations[name]?.dispatch;
  const runtime = runtimeExpectations.get(name)?.dispatch;
  const fromRuntime = runtime && {
    meta: runtime.meta,
    ...(runtime.payload !== undefined
      ? { payload: Buffer.from(runtime.payload, 'utf8').toString('base64') }
      : {}),
  };
  if (
    outcome &&
    fromRuntime &&
    JSON.stringify(sortedDispatch(outcome)) !== JSON.stringify(sortedDispatch(fromRuntime))
  )
    return {
      conflict: `test/fixtures/corpus/expectations.ts and test/fixtures/corpus-expectations/${name}.yaml describe different dispatches`,
    };
  const request = fromRuntime ?? outcome;
  return request && { request };
}

const sortedDispatch = (d: { meta: Record<string, string>; payload?: string }) => ({
  meta: Object.fromEntries(Object.entries(d.meta).sort(([a], [b]) => a.localeCompare(b))),
  payload: d.payload ?? '',
});

beforeAll(async () => {
  namespace = await createTestNamespace(kc, 'corpus');
  harness = await startController(kc, namespace.name);

  // Convert every jobspec as a user would, then apply them all at once, as `kubectl apply -f` does.
  const converted = await Promise.all(
    entries.map(async (entry: CorpusEntry) => ({
      entry,
      result: await convertCorpusJob(entry, namespace.name),
    })),
  );
  const documents: string[] = [];
  for (const { entry, result } of converted) {
    if (result.status === 0) documents.push(result.stdout);
    else refused.set(entry.name, result.stderr.trim());
  }
  const applied = await kubectl(['apply', '-f', '-'], documents.join('---\n'));
  if (applied.status !== 0) applyErrors = applied.stderr.trim();

  // Parameterized jobs run nothing until dispatched: dispatch one child where an expectation says so.
  for (const { name } of entries) {
    const dispatch = dispatchOf(name);
    if (!dispatch || refused.has(name)) continue;
    if ('conflict' in dispatch) {
      dispatchConflicts.set(name, dispatch.conflict);
      dispatched.set(name, { error: dispatch.conflict });
      continue;
    }
    try {
      const parent = await harness.read(jobObjectName(name));
      const result = await dispatchJob(writer, parent, dispatch.request);
      dispatched.set(
        name,
        result.ok ? { child: result.child.metadata?.name ?? '' } : { error: result.message },
      );
    } catch (error) {
      dispatched.set(name, { error: String(error) });
    }
  }

  // Wait, bounded, until every job meets its outcome expectation and the runtime expectations all
  // hold or have stopped changing with every pod settled; keep the last observation either way.
  const started = Date.now();
  const settledAt = new Map<string, number>();
  let stableFor = 0;
  let previousRuntime = '';
  let runtimeOpen: string[] = [];
  while (true) {
    try {
      last = await observe(namespace.name);
    } catch (error) {
      // A list that fails (the shared apiserver under load) is retried on the next round.
      observeError = String(error);
    }
    for (const [name, problems] of last ? allProblems(last) : []) {
      if (problems.length === 0 && !settledAt.has(name)) settledAt.set(name, Date.now() - started);
      if (problems.length > 0) settledAt.delete(name);
    }
    if (last) {
      const runtime = allRuntimeProblems(last);
      runtimeOpen = [...runtime].filter(([, p]) => p.length > 0).map(([n]) => n);
      const current = JSON.stringify([...runtime]);
      stableFor = runtimeSettled(last) && current === previousRuntime ? stableFor + 1 : 0;
      previousRuntime = current;
    }
    const outcomesMet = settledAt.size === entries.length;
    const runtimeFinal = last !== undefined && (runtimeOpen.length === 0 || stableFor >= STABLE_POLLS);
    if ((outcomesMet && runtimeFinal) || Date.now() - started > SETTLE_TIMEOUT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  // One line for the log: how long the corpus took, the slowest jobs, and what the runtime checks read.
  const slowest = [...settledAt].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const pods = last?.objects.pods ?? [];
  console.info(
    `corpus: ${settledAt.size}/${entries.length} jobs met their expectation within ${Math.round((Date.now() - started) / 1000)}s; slowest: ${slowest.map(([n, ms]) => `${n} ${Math.round(ms / 1000)}s`).join(', ')}; ` +
      `runtime expectations: ${runtimeEntries.length - runtimeOpen.length}/${runtimeEntries.length} hold (${pods.length} pods, ${pods.filter((p) => podSettled(p as V1Pod) && (p as V1Pod).status?.podIP).length} settled with an IP, ${last?.objects.endpointSlices.length ?? 0} EndpointSlices)${runtimeOpen.length ? `; not: ${runtimeOpen.join(', ')}` : ''}`,
  );
}, SETTLE_TIMEOUT_MS + 120_000);

afterAll(async () => {
  await harness?.stop();
  await namespace?.remove();
});

describe('the corpus on the cluster', () => {
  it('was applied with kubectl without errors', () => {
    expect(applyErrors).toBe('');
    expect(refused).toEqual(new Map());
  });

  it.each(entries.map((e) => e.name))('%s meets its expectation', (name) => {
    const problems = last
      ? (allProblems(last).get(name) ?? [])
      : [`the cluster was never observed (${observeError})`];
    expect(problems, `${name}:\n  ${problems.join('\n  ')}`).toEqual([]);
  });
});

describe('the corpus runtime expectations on the same live objects', () => {
  it.each(runtimeEntries.map((e) => e.name))('%s meets its runtime expectations', (name) => {
    const problems = last
      ? (allRuntimeProblems(last).get(name) ?? [])
      : [`the cluster was never observed (${observeError})`];
    expect(problems, `${name} (runtime):\n  ${problems.join('\n  ')}`).toEqual([]);
  });
});

describe('the issue’s web job', () => {
  it('applied with kubectl: kubectl get nj shows it running 3/3, on nodes with only kwok’s labels', async () => {
    const listed = await kubectl(['get', 'nj', 'web', '--namespace', namespace.name]);
    expect(listed.status, listed.stderr).toBe(0);
    // Read the columns by their headers' positions: `kubectl get` prints the CRD's printer columns aligned.
    const [header = '', row = ''] = listed.stdout.trimEnd().split('\n');
    const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
    const column = (name: string) => {
      const i = starts.findIndex((s) => s.name === name);
      return i < 0 ? undefined : row.slice(starts[i]?.at, starts[i + 1]?.at).trim();
    };
    expect(column('NAME')).toBe('web');
    expect(column('STATUS')).toBe('running');
    expect(column('RUNNING/DESIRED')).toBe('3/3');

    const pods = (
      await core.listNamespacedPod({ namespace: namespace.name, labelSelector: `${LABEL_JOB}=web` })
    ).items;
    expect(pods.map((p) => p.status?.phase)).toEqual(['Running', 'Running', 'Running']);
    // Nothing in the pods asks for a node label that a fresh cluster's nodes do not all carry.
    for (const pod of pods) {
      const required = [
        ...Object.keys(pod.spec?.nodeSelector ?? {}),
        ...(
          pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
            ?.nodeSelectorTerms ?? []
        )
          .flatMap((t) => t.matchExpressions ?? [])
          .map((e) => e.key),
      ];
      expect(required.filter((key) => !KWOK_DEFAULT_NODE_LABELS.includes(key))).toEqual([]);
    }
  });

  describe('registered through the Nomad API', () => {
    let apiNamespace: { name: string; remove: () => Promise<void> } | undefined;
    let apiHarness: Harness | undefined;
    let server: ApiServer | undefined;

    afterAll(async () => {
      await server?.close();
      await apiHarness?.stop();
      await apiNamespace?.remove();
    });

    it('PUT /v1/jobs with the parsed jobspec → 3 running allocations, job running', async () => {
      apiNamespace = await createTestNamespace(kc, 'corpus-api');
      apiHarness = await startController(kc, apiNamespace.name);
      server = await startTestApiServer(kc, apiNamespace.name);
      const base = server.url;

      // What `nomad job run web.nomad.hcl` sends: the jobspec parsed and canonicalized by the API client.
      const entry = entries.find((e) => e.name === 'web');
      const parsed = await parseJobspec({
        hcl: readFileSync(entry?.jobspec ?? '', 'utf8'),
        canonicalize: true,
        path: 'web.nomad.hcl',
      });
      if (!parsed.ok) throw new Error(parsed.error);
      const registered = await fetch(`${base}/v1/jobs`, {
        method: 'PUT',
        body: JSON.stringify({ Job: parsed.job }),
      });
      expect(registered.status, await registered.clone().text()).toBe(200);

      type Allocation = { ID: string; ClientStatus: string; TaskGroup: string };
      let seen: Allocation[] = [];
      const allocations = await waitFor(
        '3 running allocations of web',
        async () => {
          const res = await fetch(`${base}/v1/job/web/allocations`);
          seen = (await res.json()) as Allocation[];
          return seen.length === 3 && seen.every((a) => a.ClientStatus === 'running') ? seen : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 1_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; last seen: ${JSON.stringify(seen.map((a) => a.ClientStatus))}`);
      });
      expect(allocations.map((a) => a.TaskGroup)).toEqual(['web', 'web', 'web']);
      const job = (await (await fetch(`${base}/v1/job/web`)).json()) as { Status: string };
      expect(job.Status).toBe('running');
    }, 180_000);
  });
});
