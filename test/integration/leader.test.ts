// Leader election on a real Lease: one leader among candidates, prompt hand-over on release,
// takeover within the lease duration after a crash, and a partitioned leader that steps down
// before anyone else can take over. Short timings (3 s / 2 s / 0.5 s) keep it fast.
import net from 'node:net';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/kube/leader.ts';
import { operatorConfig } from '../support/operator-kubeconfig.ts';
import { createTestNamespace, testKubeConfig, waitFor } from './support/kube.ts';

const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
/** LeaseDuration + two jittered retry periods + 1 s for requests on a busy machine. */
const takeoverBound = timings.leaseDurationMs + 2 * 1.2 * timings.retryPeriodMs + 1_000;

interface Transition {
  who: string;
  type: 'start' | 'stop';
  at: number;
}

let kc: KubeConfig;
let namespace: { name: string; remove: () => Promise<void> };
const electors: LeaderElector[] = [];
let leaseCounter = 0;

beforeAll(async () => {
  kc = testKubeConfig();
  namespace = await createTestNamespace(kc, 'leader');
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((elector) => elector.stop()));
});

afterAll(async () => {
  await namespace?.remove();
});

function candidates(count: number, options: { kubeConfigs?: KubeConfig[] } = {}) {
  const lease = `lease-${++leaseCounter}`;
  const transitions: Transition[] = [];
  const signals = new Map<string, AbortSignal>();
  const list = Array.from({ length: count }, (_, i) => {
    const who = `candidate-${i}`;
    const elector = new LeaderElector({
      kubeConfig: operatorConfig(options.kubeConfigs?.[i] ?? kc),
      namespace: namespace.name,
      name: lease,
      identity: who,
      ...timings,
      onStartedLeading: (signal) => {
        transitions.push({ who, type: 'start', at: performance.now() });
        signals.set(who, signal);
      },
      onStoppedLeading: () => {
        transitions.push({ who, type: 'stop', at: performance.now() });
      },
    });
    electors.push(elector);
    return elector;
  });
  return { lease, electors: list, transitions, signals };
}

async function readLease(name: string): Promise<V1Lease> {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: namespace.name });
}

/** Leadership intervals never overlap: every start follows the previous leader's stop. */
function expectNoOverlap(transitions: Transition[]) {
  let current: string | undefined;
  for (const t of transitions) {
    if (t.type === 'start') {
      expect(current, `${t.who} started leading while ${current} still led`).toBeUndefined();
      current = t.who;
    } else {
      expect(t.who).toBe(current);
      current = undefined;
    }
  }
}

async function leaderOf(list: LeaderElector[]): Promise<LeaderElector> {
  return waitFor('a leader', async () => list.find((e) => e.isLeader()), {
    timeoutMs: 15_000,
    intervalMs: 50,
  });
}

describe('LeaderElector', () => {
  it('elects exactly one leader, which hands over promptly on release()', async () => {
    const { lease, electors: list, transitions, signals } = candidates(3);
    for (const elector of list) elector.start();
    const first = await leaderOf(list);

    // Over more than a lease duration, exactly one leads at every sample.
    const until = performance.now() + timings.leaseDurationMs + 1_000;
    while (performance.now() < until) {
      expect(list.filter((e) => e.isLeader()).map((e) => e.identity)).toEqual([first.identity]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const held = await readLease(lease);
    expect(held.spec).toMatchObject({ holderIdentity: first.identity, leaseDurationSeconds: 3 });
    expect(list.filter((e) => e !== first).every((e) => e.observedLeader === first.identity)).toBe(true);

    const releasedAt = performance.now();
    await first.release();
    expect(first.isLeader()).toBe(false);
    expect(signals.get(first.identity)?.aborted).toBe(true);
    const second = await leaderOf(list);
    // The successor does not wait for the lease to expire: its next attempt takes it.
    expect(performance.now() - releasedAt).toBeLessThan(2_000);
    expect(second).not.toBe(first);
    expect((await readLease(lease)).spec?.holderIdentity).toBe(second.identity);
    expect((await readLease(lease)).spec?.leaseTransitions).toBe(1);

    await second.release();
    const third = await leaderOf(list.filter((e) => e !== first && e !== second));
    await third.release();
    expect((await readLease(lease)).spec?.holderIdentity).toBe('');
    expectNoOverlap(transitions);
    expect(transitions.filter((t) => t.type === 'start')).toHaveLength(3);
  });

  it('takes over within the lease duration when the leader dies without releasing', async () => {
    const { lease, electors: list, transitions } = candidates(2);
    for (const elector of list) elector.start();
    const first = await leaderOf(list);
    const other = list.find((e) => e !== first);
    if (!other) throw new Error('no second candidate');
    // Let the follower observe a few renewals.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(other.isLeader()).toBe(false);

    const crashedAt = performance.now();
    await first.stop(); // no release: the Lease still names it
    expect((await readLease(lease)).spec?.holderIdentity).toBe(first.identity);
    await leaderOf([other]);
    const tookOver = performance.now() - crashedAt;
    // It waited for the lease to expire (the last renewal came shortly before the crash)...
    expect(tookOver).toBeGreaterThan(timings.leaseDurationMs - 1_000);
    // ...and not much longer: candidates count LeaseDuration from when they saw the last renewal
    // (up to one jittered retry period late) and check once per retry period, as client-go does.
    expect(tookOver).toBeLessThan(takeoverBound);
    expect((await readLease(lease)).spec?.holderIdentity).toBe(other.identity);
    expectNoOverlap(transitions);
  });

  it('a leader cut off from the apiserver stops leading before another can take over', async () => {
    const proxy = await startProxy(kc);
    try {
      const viaProxy = withServer(kc, proxy.url);
      const { lease, electors: list, transitions, signals } = candidates(2, { kubeConfigs: [viaProxy, kc] });
      const [cutOff, healthy] = list;
      if (!cutOff || !healthy) throw new Error('missing candidates');
      cutOff.start();
      await leaderOf([cutOff]);
      healthy.start();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(healthy.isLeader()).toBe(false);

      const partitionedAt = performance.now();
      proxy.partition(); // requests now hang: no answer, no error
      await waitFor('the cut-off leader to step down', async () => !cutOff.isLeader(), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      const steppedDown = performance.now() - partitionedAt;
      expect(signals.get(cutOff.identity)?.aborted).toBe(true);
      expect(steppedDown).toBeLessThanOrEqual(timings.renewDeadlineMs + 400);

      await leaderOf([healthy]);
      const tookOver = performance.now() - partitionedAt;
      expect(tookOver).toBeLessThan(takeoverBound);
      const stop = transitions.find((t) => t.who === cutOff.identity && t.type === 'stop');
      const start = transitions.find((t) => t.who === healthy.identity && t.type === 'start');
      if (!stop || !start) throw new Error('missing transitions');
      // The margin is LeaseDuration − RenewDeadline at least, less the renew interval.
      expect(start.at - stop.at).toBeGreaterThan(
        timings.leaseDurationMs - timings.renewDeadlineMs - timings.retryPeriodMs,
      );
      expectNoOverlap(transitions);

      // Healed, the old leader stays a follower of the new one.
      proxy.heal();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(cutOff.isLeader()).toBe(false);
      expect(cutOff.observedLeader).toBe(healthy.identity);
      expect((await readLease(lease)).spec?.holderIdentity).toBe(healthy.identity);
    } finally {
      await Promise.all(electors.splice(0).map((elector) => elector.stop()));
      await proxy.close();
    }
  });
});

/** The same credentials, another server URL. */
function withServer(source: KubeConfig, server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: source.clusters.map((cluster) => ({ ...cluster, server })),
    users: source.users,
    contexts: source.contexts,
    currentContext: source.currentContext,
  });
  return kubeConfig;
}

/**
 * A TCP forwarder to the apiserver (TLS passes through untouched) that can black-hole traffic:
 * a network partition, not a fake apiserver.
 */
async function startProxy(source: KubeConfig) {
  const upstream = new URL(source.getCurrentCluster()?.server ?? '');
  let partitioned = false;
  const pairs = new Set<{ client: net.Socket; server?: net.Socket }>();
  const server = net.createServer((client) => {
    const pair: { client: net.Socket; server?: net.Socket } = { client };
    pairs.add(pair);
    client.on('close', () => {
      pair.server?.destroy();
      pairs.delete(pair);
    });
    client.on('error', () => undefined);
    if (partitioned) {
      client.resume(); // swallow, never answer
      return;
    }
    const target = net.connect(Number(upstream.port || 443), upstream.hostname);
    pair.server = target;
    target.on('error', () => client.destroy());
    target.on('close', () => {
      if (!partitioned) client.destroy();
    });
    client.pipe(target);
    target.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    partition() {
      partitioned = true;
      // Open connections go silent too: the upstream half is cut, the client half left hanging.
      for (const pair of pairs) {
        pair.client.unpipe();
        pair.server?.unpipe();
        pair.server?.destroy();
        pair.client.resume();
      }
    },
    heal() {
      partitioned = false;
      for (const pair of pairs) pair.client.destroy();
    },
    async close() {
      for (const pair of pairs) pair.client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
