// The controller's workers give the event loop a turn after every reconcile: a run of reconciles
// that write nothing (a resync of every job) must not hold back I/O callbacks (watch events, Nomad
// API requests) until the whole queue is drained.
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../../../src/controller/controller.ts';
import { silentLogger } from '../../../src/log.ts';
import { createMetrics } from '../../../src/metrics.ts';
import { kubeConfigForServer, operatorConfig } from '../../support/operator-kubeconfig.ts';

let controller: Controller | undefined;

afterEach(async () => {
  await controller?.stop();
});

describe('Controller workers', () => {
  it('let a callback of the event loop run while a long queue of no-op reconciles is worked off', async () => {
    const kubeConfig = kubeConfigForServer('https://127.0.0.1:1');
    controller = new Controller({
      kubeConfig: operatorConfig(kubeConfig),
      metrics: createMetrics(),
      logger: silentLogger(),
      workers: 4,
    });
    const keys = 2_000;
    // Jobs that are not in the cache: each reconcile returns at once without a write.
    for (let i = 0; i < keys; i++) controller.queue.add(`default/job-${i}`);
    controller.run();
    const left = await new Promise<number>((resolve) =>
      setImmediate(() => resolve(controller!.queue.length)),
    );
    expect(left).toBeGreaterThan(keys / 2);
  });
});
