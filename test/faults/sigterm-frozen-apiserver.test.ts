// SIGTERM while the kube-apiserver is frozen (SIGSTOP: its port open, nothing answered, so every
// request to it hangs rather than fails): held blocking queries, a register stuck on the apiserver
// and a Lease that cannot be released must not keep the process past its shutdown bound
// (--shutdown-timeout, 5 s) into the kubelet's SIGKILL (the chart's grace period: 30 s). The exit
// time and code are figures; the assertion is that the process exits on its own within the grace
// period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeComponent } from '../cluster/local-cluster.ts';
import {
  createTestNamespace,
  type Exit,
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
const GRACE_PERIOD_MS = 30_000;

beforeAll(async () => {
  ns = await createTestNamespace(kc, 'sigterm-frozen');
});
afterAll(async () => {
  freezeComponent(faultCluster(), 'kube-apiserver', false);
  await killAllOperators();
  await ns?.remove();
});

describe('SIGTERM with the kube-apiserver frozen', () => {
  it('exits on its own within the grace period', async () => {
    const operator = await startOperator({ name: 'sigterm-frozen', namespace: ns.name });
    await waitFor('the operator leading', async () => operator.logs.some((l) => l.msg === 'Became leader'));
    const list = await fetch(`${operator.apiUrl}/v1/jobs`);
    await list.text();
    const index = list.headers.get('x-nomad-index');
    const held = Array.from({ length: 10 }, () =>
      nomad(operator.apiUrl, 'GET', `/v1/jobs?index=${index}&wait=5m`, undefined, 60_000),
    );

    const cluster = faultCluster();
    freezeComponent(cluster, 'kube-apiserver', true);
    try {
      // A register sent before the operator notices: it hangs on the frozen apiserver.
      const stuck = nomad(operator.apiUrl, 'PUT', '/v1/jobs', { Job: serviceJob('stuck') }, 60_000);
      await sleep(500);
      const signalled = performance.now();
      operator.kill('SIGTERM');
      const exit = await Promise.race([
        operator.exited,
        sleep(GRACE_PERIOD_MS).then((): Exit | undefined => undefined),
      ]);
      expect(exit, 'exited before the grace period ended').toBeDefined();
      expect(exit?.signal).toBeNull();
      const answers = await Promise.all([...held, stuck]);
      figure('sigterm-apiserver-frozen', {
        exitCode: exit?.code ?? -1,
        exitMs: Math.round((exit?.at ?? 0) - signalled),
        boundMs: 5_000,
        heldQueriesAnswered: answers.slice(0, -1).filter((a) => a.status === 200).length,
        stuckRegister: answers.at(-1)?.failed ?? String(answers.at(-1)?.status),
        leaseReleased: operator.logs.some((l) => l.msg === 'Released the lease'),
      });
    } finally {
      freezeComponent(cluster, 'kube-apiserver', false);
    }
  });
});
