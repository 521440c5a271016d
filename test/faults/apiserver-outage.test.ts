// The kube-apiserver killed (SIGKILL: gone at once, as a crash or a lost node) for 20 s and started again, the operator running with default flags
// throughout: the process is never restarted; the Nomad API keeps answering reads from its caches
// (0 failed reads); /readyz goes false during the outage and true after; a write during the outage
// fails at once with Nomad's "No cluster leader" (500), not a hang; the leader that lost its Lease
// to the outage stays up as a standby and leads again; a job registered after recovery converges.
// Times (to ready, to lead again, to convergence) are figures, not assertions.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponent, stopComponent } from '../cluster/local-cluster.ts';
import { grantNomadJobs, serviceAccountToken } from '../integration/support/api-server.ts';
import {
  createTestNamespace,
  faultCluster,
  figure,
  killAllOperators,
  nomad,
  serviceJob,
  sleep,
  startOperator,
  testKubeConfig,
  waitFor,
} from './support/operator.ts';

const kc = testKubeConfig();
let ns: { name: string; remove: () => Promise<void> };
let token = '';
const OUTAGE_MS = 20_000;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'outage');
});
afterAll(async () => {
  // Whatever happened, the cluster must have its apiserver back for the next file.
  await startComponent(faultCluster(), 'kube-apiserver');
  await killAllOperators();
  await ns?.remove();
});

const running = async (url: string, id: string) => {
  const job = await nomad(url, 'GET', `/v1/job/${id}`, undefined, 5_000, token);
  return job.status === 200 && (JSON.parse(job.text) as { Status?: string }).Status === 'running';
};

describe('kube-apiserver outage', () => {
  it('keeps serving reads, reports not ready, refuses writes at once and converges after recovery', async () => {
    const operator = await startOperator({
      name: 'outage',
      namespace: ns.name,
      args: ['--allow-anonymous=false'],
    });
    token = await serviceAccountToken(kc, ns.name, 'client');
    await grantNomadJobs(kc, ns.name, { role: 'nomad-jobs', account: 'client', subresources: [] });
    await waitFor('the token allowed', async () => {
      const answer = await nomad(operator.apiUrl, 'GET', '/v1/jobs', undefined, 5_000, token);
      return answer.status === 200;
    });
    await waitFor('the operator leading', async () => operator.logs.some((l) => l.msg === 'Became leader'));
    const register = await nomad(
      operator.apiUrl,
      'PUT',
      '/v1/jobs',
      { Job: serviceJob('before') },
      30_000,
      token,
    );
    expect(register.status, register.text).toBe(200);
    await waitFor('job before running', () => running(operator.apiUrl, 'before'));

    // Samplers: reads through the Nomad API and /readyz, every 250 ms, until told to stop.
    let sampling = true;
    const reads = { ok: 0, failed: [] as string[] };
    const readiness: Array<{ at: number; ready: boolean }> = [];
    const samplers = [
      (async () => {
        while (sampling) {
          for (const path of ['/v1/jobs', '/v1/job/before', '/v1/job/before/allocations']) {
            const answer = await nomad(operator.apiUrl, 'GET', path, undefined, 5_000, token);
            if (answer.status === 200) reads.ok++;
            else reads.failed.push(`${path}: ${answer.status} ${answer.failed ?? answer.text}`);
          }
          await sleep(250);
        }
      })(),
      (async () => {
        while (sampling) {
          const answer = await nomad(operator.opsUrl, 'GET', '/readyz', undefined, 5_000);
          readiness.push({ at: performance.now(), ready: answer.status === 200 });
          await sleep(250);
        }
      })(),
    ];

    const cluster = faultCluster();
    const stoppedAt = performance.now();
    await stopComponent(cluster, 'kube-apiserver', { signal: 'SIGKILL' });
    const stopMs = Math.round(performance.now() - stoppedAt);
    const notReadyAt = await waitFor(
      '/readyz false',
      async () => readiness.find((r) => r.at > stoppedAt && !r.ready)?.at,
      { timeoutMs: OUTAGE_MS, intervalMs: 100 },
    );
    // A write while the apiserver is away: answered at once, Nomad's way.
    const writeStarted = performance.now();
    const write = await nomad(
      operator.apiUrl,
      'PUT',
      '/v1/jobs',
      { Job: serviceJob('during') },
      15_000,
      token,
    );
    const writeMs = Math.round(performance.now() - writeStarted);
    expect(write.status, write.failed ?? write.text).toBe(500);
    expect(write.text).toContain('No cluster leader');

    await sleep(Math.max(0, OUTAGE_MS - (performance.now() - stoppedAt)));
    const startingAt = performance.now();
    await startComponent(cluster, 'kube-apiserver');
    const restartedAt = performance.now();
    const readyAt = await waitFor(
      '/readyz true again',
      async () => readiness.find((r) => r.at > restartedAt && r.ready)?.at,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const leadingAgainAt = await waitFor(
      'leading again',
      async () => {
        const became = operator.logs.filter((l) => l.msg === 'Became leader');
        return became.length >= 2 ? performance.now() : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch(() => undefined);

    // The control: a plain Deployment applied straight to the apiserver at the same moment, so
    // that the cluster's own recovery (its controller-manager and scheduler reconnect after the
    // restart with their own backoff) is measured apart from the operator's.
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: 'control' };
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'control' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'c', image: 'registry.example/control:1' }] },
          },
        },
      },
    });
    const controlCreated = performance.now();
    // A client retries a refused write, as Nomad's CLI users do; the refusals are counted.
    const refusedAfterRestart: string[] = [];
    const registered = await waitFor('a register accepted after recovery', async () => {
      const answer = await nomad(
        operator.apiUrl,
        'PUT',
        '/v1/jobs',
        { Job: serviceJob('after') },
        30_000,
        token,
      );
      if (answer.status !== 200) refusedAfterRestart.push(`${answer.status} ${answer.failed ?? answer.text}`);
      return answer.status === 200 ? performance.now() : undefined;
    });
    // The operator's part (the Deployment written) apart from the cluster's (its controllers,
    // scheduler and kwok also reconnect after the restart before the pod runs).
    const deploymentAt = await waitFor(
      'the Deployment of job after',
      async () => {
        const list = await apps.listNamespacedDeployment({ namespace: ns.name });
        return list.items.some((d) => d.metadata?.name?.startsWith('after')) ? performance.now() : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const core = kc.makeApiClient(CoreV1Api);
    const registeredWallClock = Date.now() - (performance.now() - registered);
    const { at: podRunningAt, pod } = await waitFor(
      'a running pod of job after',
      async () => {
        const pods = await core.listNamespacedPod({ namespace: ns.name });
        const running = pods.items.find(
          (p) => p.metadata?.name?.startsWith('after') && p.status?.phase === 'Running',
        );
        return running ? { at: performance.now(), pod: running } : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    // Seconds-resolution stamps of the cluster's steps: the ReplicaSet controller's pod, the
    // scheduler's binding.
    const since = (stamp: Date | undefined) =>
      stamp ? Math.max(0, Math.round(new Date(stamp).getTime() - registeredWallClock)) : 'n/a';
    const podCreatedMs = since(pod.metadata?.creationTimestamp);
    const podScheduledMs = since(
      pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime,
    );
    const controlRunningAt = await waitFor(
      'the control Deployment running',
      async () => {
        const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=control' });
        return pods.items.some((p) => p.status?.phase === 'Running') ? performance.now() : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const convergedAt = await waitFor(
      'job after running',
      async () => ((await running(operator.apiUrl, 'after')) ? performance.now() : undefined),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    sampling = false;
    await Promise.all(samplers);

    expect(operator.exit, 'the operator process never exited').toBeUndefined();
    expect(reads.failed).toEqual([]);
    expect(readiness.some((r) => r.at > stoppedAt && r.at < restartedAt && !r.ready)).toBe(true);
    expect(readiness.at(-1)?.ready).toBe(true);
    expect(await running(operator.apiUrl, 'before')).toBe(true);
    const lost = operator.logs.filter((l) => l.msg === 'Stopped leading').map((l) => String(l.reason));
    figure('apiserver-outage-20s', {
      outageMs: Math.round(restartedAt - stoppedAt),
      apiserverStopMs: stopMs,
      apiserverStartMs: Math.round(restartedAt - startingAt),
      writesRefusedAfterRestart: refusedAfterRestart.length,
      firstRefusalAfterRestart: refusedAfterRestart[0]?.slice(0, 160) ?? 'none',
      readsServed: reads.ok,
      readsFailed: reads.failed.length,
      notReadyAfterStopMs: Math.round(notReadyAt - stoppedAt),
      outageWriteStatus: write.status,
      outageWriteMs: writeMs,
      readyAfterRestartMs: Math.round(readyAt - restartedAt),
      leadershipLost: lost.join('; ') || 'no',
      leadingAgainAfterRestartMs: leadingAgainAt ? Math.round(leadingAgainAt - restartedAt) : 'n/a',
      registeredAfterRestartMs: Math.round(registered - restartedAt),
      deploymentAfterRegisterMs: Math.round(deploymentAt - registered),
      podCreatedAfterRegisterMs: podCreatedMs,
      podScheduledAfterRegisterMs: podScheduledMs,
      podRunningAfterRegisterMs: Math.round(podRunningAt - registered),
      controlDeploymentRunningAfterCreateMs: Math.round(controlRunningAt - controlCreated),
      convergedAfterRestartMs: Math.round(convergedAt - restartedAt),
      convergedAfterRegisterMs: Math.round(convergedAt - registered),
      operatorRestarts: 0,
    });
  });
});
