// `npm run bench [-- --jobs 2000]`: the operator side by side with the direct apiserver path, on a
// private local cluster (test/cluster, named `bench`, enough kwok nodes for every pod at 110 per
// node), in one run:
//
// 1. N Deployments created directly until all are available, then N NomadJobs applied (the same
//    Deployment, made by the operator) until all their Deployments are available and every job's
//    status is running: the ratio of the two times. The direct Deployments stay, so the operator
//    runs in a cluster that also holds N workloads that are not its own.
// 2. The operator's RSS (a child process: /proc/<pid>/status) after its caches synced, at
//    convergence, after the idle window, and its peak.
// 3. Idle writes: `--settle` seconds after convergence, every change of a kind the operator writes
//    in the jobs' namespace for `--idle` seconds (watches from the current resourceVersion), by kind
//    and by writer (the newest managedFields entry's manager; an Event's reporting component).
// 4. GET /v1/job/:id against GET of the same NomadJob from the kube-apiserver (same client, keep-alive,
//    interleaved), GET /v1/jobs.
// 5. `--registers` new jobs registered with PUT /v1/jobs while a blocking GET /v1/jobs?index= waits:
//    the register's latency, the time from sending it until a blocking query returns the new job, and
//    the timeline of the register's writes as the bench's own watches saw them.
//
// JSON on stdout, a table on stderr, a progress line while waiting. --profile leaves a V8 CPU profile of
// the operator (the whole run) next to the cluster's logs. The cluster is started afresh and
// stopped at the end unless --reuse-cluster / --keep-cluster. Figures and their meaning: docs/performance.md.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { group, plural, version } from '../src/crd/resource.ts';
import { evaluationsConfigMapName } from '../src/jobs/evaluations.ts';
import { ensureNomadJobCrd } from '../src/kube/crds.ts';
import { LABEL_JOB } from '../src/nomad/keys.ts';
import { down, nodeManifest, up } from '../test/cluster/local-cluster.ts';
import { operatorConfig } from '../test/support/operator-kubeconfig.ts';
import { expectStatus, forEachLimited, kubeClient, nomadClient } from './http.ts';
import { compileOperator, imageMallocEnv, startOperator } from './operator.ts';
import { OwnCollections } from './own-gc.ts';
import { type BenchResult, type Target, table } from './report.ts';
import { now, round, summarize } from './stats.ts';
import { Counter, deploymentAvailable, EventRecorder, jobRunning } from './watch.ts';
import { benchJob, benchNomadJob, DIRECT_NAMESPACE, directDeployment, JOBS_NAMESPACE } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '500' },
    registers: { type: 'string', default: '100' },
    gets: { type: 'string', default: '1000' },
    settle: { type: 'string', default: '30' },
    idle: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '16' },
    timeout: { type: 'string', default: '1800' },
    'reuse-cluster': { type: 'boolean', default: false },
    'keep-cluster': { type: 'boolean', default: false },
    'operator-arg': { type: 'string', multiple: true, default: [] },
    'node-flags': { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const N = Number(args.jobs);
const REGISTERS = Number(args.registers);
const GETS = Number(args.gets);
const SETTLE_S = Number(args.settle);
const IDLE_S = Number(args.idle);
const CONCURRENCY = Number(args.concurrency);
const TIMEOUT_MS = Number(args.timeout) * 1000;
const PODS_PER_NODE = 110;

const tty = process.stderr.isTTY;
let lastProgress = 0;
function progress(text: string, force = false): void {
  if (tty) process.stderr.write(`\r\x1b[2K${text}`);
  else if (force || Date.now() - lastProgress >= 10_000) {
    process.stderr.write(`${text}\n`);
    lastProgress = Date.now();
  }
}
function say(text: string): void {
  if (tty) process.stderr.write('\r\x1b[2K');
  process.stderr.write(`${text}\n`);
}

const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
const jobName = (i: number) => `bench-${String(i).padStart(5, '0')}`;

async function waitUntil(label: string, done: () => string | true, timeoutMs = TIMEOUT_MS): Promise<number> {
  const started = now();
  for (;;) {
    const state = done();
    const seconds = (now() - started) / 1000;
    if (state === true) {
      progress(`${label}: done in ${seconds.toFixed(1)} s`, true);
      if (tty) process.stderr.write('\n');
      return seconds;
    }
    progress(`${label}: ${state} (${seconds.toFixed(0)} s)`);
    if (now() - started > timeoutMs)
      throw new Error(`${label}: not done after ${timeoutMs / 1000} s (${state})`);
    await sleep(200);
  }
}

async function ensureNodes(kc: KubeConfig, count: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const names = new Set((await core.listNode()).items.map((n) => n.metadata?.name));
  for (let i = 0; i < count; i++) {
    const name = `kwok-node-${i}`;
    if (!names.has(name)) await core.createNode({ body: JSON.parse(nodeManifest(name)) as V1Node });
  }
  for (;;) {
    const nodes = (await core.listNode()).items;
    const ready = nodes.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (ready.length >= count) return;
    progress(`nodes: ${ready.length}/${count} ready`);
    await sleep(500);
  }
}

async function freshNamespace(kc: KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.deleteNamespace({ name }).catch(() => undefined);
  for (;;) {
    const gone = await core.readNamespace({ name }).then(
      () => false,
      () => true,
    );
    if (gone) break;
    progress(`namespace ${name}: waiting for the old one to go`);
    await sleep(1000);
  }
  await core.createNamespace({ body: { metadata: { name } } });
  for (;;) {
    const ready = await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(
      () => true,
      () => false,
    );
    if (ready) return;
    await sleep(250);
  }
}

function machine(): BenchResult['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    loadAverage: os.loadavg().map((l) => round(l, 2)),
  };
}

async function main(): Promise<BenchResult> {
  const date = new Date().toISOString();
  const nodes = Math.ceil((2 * N + REGISTERS + 20) / PODS_PER_NODE) + 1;
  if (!args['reuse-cluster']) await down({ name: 'bench' });
  // Built first: a tree that does not build fails here, not minutes into the run.
  say('building the operator as the image does (scripts/build.ts)');
  const entryPoint = await compileOperator();
  const { state } = await up({ name: 'bench', nodes, log: say });
  // The bench drives the cluster with client-node; the operator's code it reuses takes its own config.
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureNodes(kc, nodes);
  await ensureNomadJobCrd(operatorConfig(kc));
  await Promise.all([freshNamespace(kc, DIRECT_NAMESPACE), freshNamespace(kc, JOBS_NAMESPACE)]);
  const kube = await kubeClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const names = Array.from({ length: N }, (_, i) => jobName(i));

  // 1a. The direct path.
  say(`direct path: ${N} Deployments in ${DIRECT_NAMESPACE}`);
  const direct = new Counter(
    kc,
    `/apis/apps/v1/namespaces/${DIRECT_NAMESPACE}/deployments`,
    deploymentAvailable,
  );
  await direct.start();
  const directStart = now();
  const creating = forEachLimited(names, CONCURRENCY, async (name) => {
    const body = directDeployment(name);
    expectStatus(
      await kube.request('POST', `/apis/apps/v1/namespaces/${DIRECT_NAMESPACE}/deployments`, body),
      `create Deployment ${name}`,
      201,
    );
  });
  let directCreated: number | undefined;
  await waitUntil('direct: Deployments available', () => {
    const n = direct.count();
    if (directCreated === undefined && direct.existing() >= N) directCreated = (now() - directStart) / 1000;
    return n >= N ? true : `${direct.existing()}/${N} created, ${n}/${N} available`;
  });
  await creating;
  const directSeconds = (now() - directStart) / 1000;
  await direct.stop();

  // 1b. The operator path, with the direct Deployments still there.
  say('starting the operator');
  const operator = await startOperator({
    entryPoint,
    kubeconfig: state.kubeconfig,
    defaultNamespace: JOBS_NAMESPACE,
    logDir: state.dir,
    extraArgs: args['operator-arg'],
    ...(args['node-flags'] !== undefined
      ? { nodeFlags: args['node-flags'].split(/\s+/u).filter((flag) => flag !== '') }
      : {}),
    cpuProfile: args.profile,
  });
  const nomad = nomadClient(operator.apiUrl);
  try {
    await sleep(2000);
    const afterSync = operator.rss();
    say(`operator ready (pid ${operator.pid}, RSS ${mib(afterSync)} MiB, log ${operator.logFile})`);
    const deployments = new Counter(
      kc,
      `/apis/apps/v1/namespaces/${JOBS_NAMESPACE}/deployments`,
      deploymentAvailable,
      'bench-',
    );
    const jobs = new Counter(
      kc,
      `/apis/${group}/${version}/namespaces/${JOBS_NAMESPACE}/${plural}`,
      jobRunning,
      'bench-',
    );
    await Promise.all([deployments.start(), jobs.start()]);
    const operatorStart = now();
    const applying = forEachLimited(names, CONCURRENCY, async (name) => {
      await custom.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: JOBS_NAMESPACE,
        body: benchNomadJob(name),
      });
    });
    let operatorCreated: number | undefined;
    await waitUntil('operator: Deployments available, jobs running', () => {
      const [d, j] = [deployments.count(), jobs.count()];
      if (operatorCreated === undefined && deployments.existing() >= N)
        operatorCreated = (now() - operatorStart) / 1000;
      return d >= N && j >= N
        ? true
        : `${deployments.existing()}/${N} Deployments created, ${d}/${N} available, ${j}/${N} jobs running`;
    });
    await applying;
    const operatorSeconds = (now() - operatorStart) / 1000;
    const converged = operator.rss();
    const heapConverged = await operator.heap();
    const writesByVerbKind = await operator.writes();
    const writesTotal = Object.values(writesByVerbKind).reduce((a, b) => a + b, 0);

    // 3. Idle writes.
    for (let s = SETTLE_S; s > 0; s--) {
      progress(`idle: settling, watching in ${s} s`);
      await sleep(1000);
    }
    const idle = new EventRecorder(kc);
    const watched: Array<[string, string]> = [
      ['NomadJob', `/apis/${group}/${version}/namespaces/${JOBS_NAMESPACE}/${plural}`],
      ['ControllerRevision', `/apis/apps/v1/namespaces/${JOBS_NAMESPACE}/controllerrevisions`],
      ['ConfigMap', `/api/v1/namespaces/${JOBS_NAMESPACE}/configmaps`],
      ['Secret', `/api/v1/namespaces/${JOBS_NAMESPACE}/secrets`],
      ['Service', `/api/v1/namespaces/${JOBS_NAMESPACE}/services`],
      ['Deployment', `/apis/apps/v1/namespaces/${JOBS_NAMESPACE}/deployments`],
      ['ReplicaSet', `/apis/apps/v1/namespaces/${JOBS_NAMESPACE}/replicasets`],
      ['Pod', `/api/v1/namespaces/${JOBS_NAMESPACE}/pods`],
      ['Event', `/api/v1/namespaces/${JOBS_NAMESPACE}/events`],
    ];
    for (const [kind, p] of watched) await idle.watch(kind, p);
    for (let s = IDLE_S; s > 0; s--) {
      progress(`idle: watching for writes, ${s} s left, ${idle.events.length} so far`);
      await sleep(1000);
    }
    idle.stop();
    say(`idle: ${idle.events.length} writes in ${IDLE_S} s`);
    const byKind: Record<string, number> = {};
    const byManager: Record<string, number> = {};
    for (const e of idle.events) {
      byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
      byManager[e.manager] = (byManager[e.manager] ?? 0) + 1;
    }
    const afterIdle = operator.rss();
    const afterIdleSplit = operator.rssSplit();
    const heapAfterIdle = await operator.heap();

    // 4. Reads: pairs of the same job read from both, which one first alternating, the bench's young
    // generation emptied before each pair (bench/own-gc.ts).
    const nomadGet: number[] = [];
    const kubeGet: number[] = [];
    const nomadTimed: { start: number; end: number }[] = [];
    const kubeTimed: { start: number; end: number }[] = [];
    const ownGc = new OwnCollections();
    const readNomad = async (name: string) => {
      const start = now();
      expectStatus(await nomad.request('GET', `/v1/job/${name}`), `GET /v1/job/${name}`, 200);
      nomadTimed.push({ start, end: now() });
    };
    const readKube = async (name: string) => {
      const start = now();
      expectStatus(
        await kube.request('GET', `/apis/${group}/${version}/namespaces/${JOBS_NAMESPACE}/${plural}/${name}`),
        `GET nomadjob ${name}`,
        200,
      );
      kubeTimed.push({ start, end: now() });
    };
    for (let i = 0; i < GETS; i++) {
      const name = names[Math.floor(Math.random() * N)] ?? '';
      ownGc.collectYoung();
      if (i % 2 === 0) {
        await readNomad(name);
        await readKube(name);
      } else {
        await readKube(name);
        await readNomad(name);
      }
      if (i % 20 === 0) progress(`reads: GET /v1/job/:id and GET nomadjob, ${i}/${GETS}`);
    }
    // Let the observer deliver the last collections before counting.
    await sleep(50);
    const readsMetOwnGc = { nomad: ownGc.overlapping(nomadTimed), kube: ownGc.overlapping(kubeTimed) };
    for (const t of nomadTimed) nomadGet.push(t.end - t.start);
    for (const t of kubeTimed) kubeGet.push(t.end - t.start);
    const listSamples: number[] = [];
    for (let i = 0; i < Math.max(20, Math.floor(GETS / 6)); i++) {
      ownGc.collectYoung();
      const t = now();
      const response = expectStatus(await nomad.request('GET', '/v1/jobs'), 'GET /v1/jobs', 200);
      listSamples.push(now() - t);
      if (i === 0 && (JSON.parse(response.body) as unknown[]).length < N)
        throw new Error('GET /v1/jobs lists fewer jobs than were applied');
      progress(`reads: GET /v1/jobs ${i}`);
    }

    // 5. Registers, woken blocking queries, and each register's timeline.
    const timeline = new EventRecorder(kc);
    for (const [kind, p] of watched.slice(0, 3)) await timeline.watch(kind, p);
    await timeline.watch('Deployment', `/apis/apps/v1/namespaces/${JOBS_NAMESPACE}/deployments`);
    const putSamples: number[] = [];
    const wakeSamples: number[] = [];
    const steps: Record<string, number[]> = {};
    const step = (label: string, ms: number | undefined) => {
      if (ms === undefined) return;
      steps[label] = [...(steps[label] ?? []), ms];
    };
    for (let r = 0; r < REGISTERS; r++) {
      const id = `bench-put-${String(r).padStart(4, '0')}`;
      const listing = expectStatus(await nomad.request('GET', '/v1/jobs'), 'GET /v1/jobs', 200);
      let index = Number(listing.headers['x-nomad-index'] ?? 0);
      const blocking = (async () => {
        for (;;) {
          const response = expectStatus(
            await nomad.request('GET', `/v1/jobs?index=${index}&wait=60s`),
            'blocking GET /v1/jobs',
            200,
          );
          // The answer's whole body has arrived: the wake-up is the operator's up to here. Parsing
          // it (8–20 ms for the 1.2 MB list of 2,000 jobs on this machine) is the bench's own work.
          const received = now();
          const listed = JSON.parse(response.body) as Array<{ ID?: string }>;
          if (listed.some((j) => j.ID === id)) return received;
          index = Number(response.headers['x-nomad-index'] ?? index);
        }
      })();
      await sleep(50); // the blocking query is parked on the server
      const seen = {
        created: timeline.next((e) => e.kind === 'NomadJob' && e.name === id && e.type === 'ADDED'),
        revision: timeline.next(
          (e) =>
            e.kind === 'ControllerRevision' &&
            e.type === 'ADDED' &&
            e.object.metadata?.labels?.[LABEL_JOB] === id,
        ),
        evaluation: timeline.next((e) => e.kind === 'ConfigMap' && e.name === evaluationsConfigMapName(id)),
        deployment: timeline.next(
          (e) => e.kind === 'Deployment' && e.type === 'ADDED' && e.name.startsWith(id),
        ),
      };
      ownGc.collectYoung();
      const sent = now();
      expectStatus(await nomad.request('PUT', '/v1/jobs', { Job: benchJob(id) }), `PUT /v1/jobs ${id}`, 200);
      const answered = now();
      putSamples.push(answered - sent);
      const woke = await Promise.race([blocking, sleep(30_000).then(() => undefined)]);
      if (woke === undefined) throw new Error(`no blocking query returned ${id} within 30 s of its register`);
      wakeSamples.push(woke - sent);
      step('response', answered - sent);
      step('blocking query woke', woke - sent);
      for (const [label, promise] of Object.entries(seen)) {
        const event = await Promise.race([promise, sleep(20_000).then(() => undefined)]);
        step(`${label} seen`, event ? event.at - sent : undefined);
      }
      progress(`registers: ${r + 1}/${REGISTERS}`);
      // Let this job's reconcile finish before the next register, so each blocking query is woken by its own.
      await waitUntil(
        `registers: ${id} running`,
        () =>
          jobs.informer.get(JOBS_NAMESPACE, id) && jobRunning(jobs.informer.get(JOBS_NAMESPACE, id)!)
            ? true
            : 'waiting',
        60_000,
      );
      await sleep(200);
    }
    timeline.stop();
    ownGc.stop();
    await Promise.all([deployments.stop(), jobs.stop()]);
    const peak = operator.peakRss();

    const ratio = round(operatorSeconds / directSeconds, 3);
    const getNomad = summarize(nomadGet);
    const getKube = summarize(kubeGet);
    const p99Ratio = round(getNomad.p99 / getKube.p99, 3);
    const list = summarize(listSamples);
    const wake = summarize(wakeSamples);
    const put = summarize(putSamples);
    const registerSteps = Object.fromEntries(
      Object.entries(steps)
        .map(([label, samples]) => [label, summarize(samples).p50] as const)
        .sort((a, b) => a[1] - b[1]),
    );
    const at2000 = N >= 2000;
    const targets: Target[] = [
      {
        figure: `${N} NomadJobs → Deployments available, status running, vs direct`,
        measured: `${ratio}× (${round(operatorSeconds, 1)} s vs ${round(directSeconds, 1)} s)`,
        target: '≤ 1.1×',
        met: ratio <= 1.1,
      },
      {
        figure: `operator RSS with ${N} jobs (+${N} unrelated Deployments)`,
        measured: `${mib(Math.max(converged, afterIdle))} MiB (peak ${mib(peak)} MiB)`,
        target: at2000 ? '≤ 200 MB at 2,000' : '≤ 100 MB at 500',
        met: Math.max(converged, afterIdle) <= (at2000 ? 200e6 : 100e6),
      },
      {
        figure: 'GET /v1/job/:id p99 vs GET nomadjob from kube-apiserver',
        measured: `${p99Ratio}× (${getNomad.p99} ms vs ${getKube.p99} ms)`,
        target: '≤ 0.2×',
        met: p99Ratio <= 0.2,
      },
      {
        figure: `GET /v1/jobs with ${N} jobs, p50 / p99`,
        measured: `${list.p50} / ${list.p99} ms`,
        target: at2000 ? '≤ 40 ms at 2,000' : '≤ 10 ms at 500',
        met: list.p99 <= (at2000 ? 40 : 10),
      },
      {
        figure: 'blocking query woken by a register, p99 from sending it',
        measured: `${wake.p99} ms (p50 ${wake.p50})`,
        target: '≤ 50 ms',
        met: wake.p99 <= 50,
      },
      {
        figure: 'PUT /v1/jobs p50 / p99',
        measured: `${put.p50} / ${put.p99} ms`,
        target: '≤ 30 / 100 ms',
        met: put.p50 <= 30 && put.p99 <= 100,
      },
      {
        figure: `objects written while idle (${IDLE_S} s from ${SETTLE_S} s after convergence)`,
        measured: idle.events.length === 0 ? '0' : `${idle.events.length}: ${JSON.stringify(byKind)}`,
        target: '0',
        met: idle.events.length === 0,
      },
    ];
    return {
      date,
      machine: machine(),
      jobs: N,
      nodes,
      operator: {
        nodeFlags: operator.nodeFlags,
        args: args['operator-arg'],
        mallocEnv: imageMallocEnv(),
      },
      convergence: {
        directSeconds: round(directSeconds, 1),
        operatorSeconds: round(operatorSeconds, 1),
        ratio,
        directAllCreatedSeconds: round(directCreated ?? Number.NaN, 1),
        operatorAllCreatedSeconds: round(operatorCreated ?? Number.NaN, 1),
      },
      rss: {
        afterSyncMiB: mib(afterSync),
        convergedMiB: mib(converged),
        afterIdleMiB: mib(afterIdle),
        afterIdleAnonMiB: mib(afterIdleSplit.anonBytes),
        afterIdleFileMiB: mib(afterIdleSplit.fileBytes),
        peakMiB: mib(peak),
        heapConverged: {
          usedMiB: mib(heapConverged.usedBytes),
          totalMiB: mib(heapConverged.totalBytes),
          externalMiB: mib(heapConverged.externalBytes),
        },
        heapAfterIdle: {
          usedMiB: mib(heapAfterIdle.usedBytes),
          totalMiB: mib(heapAfterIdle.totalBytes),
          externalMiB: mib(heapAfterIdle.externalBytes),
        },
      },
      getJob: { nomad: getNomad, kube: getKube, p99Ratio, readsMetBenchGc: readsMetOwnGc },
      listJobs: list,
      blockingWake: wake,
      register: put,
      registerSteps,
      writes: { total: writesTotal, perJob: round(writesTotal / N, 2), byVerbKind: writesByVerbKind },
      idle: { settleSeconds: SETTLE_S, watchSeconds: IDLE_S, writes: idle.events.length, byKind, byManager },
      targets,
    };
  } finally {
    nomad.close();
    await operator.stop();
    kube.close();
    if (!args['keep-cluster']) await down({ name: 'bench' });
    else say(`cluster bench kept: export KUBECONFIG=${state.kubeconfig}`);
  }
}

const result = await main().catch((error: unknown) => {
  say(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(table(result));
// Informer timers and keep-alive sockets of client-node may linger; the run is over.
process.exit(0);
