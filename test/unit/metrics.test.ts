import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { informerChecks, opsRoutes } from '../../src/api/ops.ts';
import { makeApplier } from '../../src/kube/apply.ts';
import { WorkQueue } from '../../src/kube/queue.ts';
import { createLogger, jobLogger } from '../../src/log.ts';
import { countWrite, createMetrics, type WriteCounter } from '../../src/metrics.ts';
import { kubeConfigForServer, operatorConfig } from '../support/operator-kubeconfig.ts';

/** The value of one sample line of the exposition, e.g. `metric{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operator metrics', () => {
  it('exposes every metric, in a registry of its own', async () => {
    const metrics = createMetrics();
    const { body, contentType } = await metrics.exposition();
    expect(contentType).toMatch(/^text\/plain/u);
    for (const name of [
      'nomad_operator_reconcile_total',
      'nomad_operator_reconcile_errors_total',
      'nomad_operator_reconcile_duration_seconds',
      'nomad_operator_queue_depth',
      'nomad_operator_queue_retries_total',
      'nomad_operator_apiserver_writes_total',
      'nomad_operator_informer_restarts_total',
      'nomad_operator_leader',
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    // Two instances keep their counts apart.
    createMetrics().countWrite('apply', 'Deployment');
    expect(await metrics.writes()).toBe(0);
  });

  it('exports the process metrics when asked, read at the scrape', async () => {
    const { body } = await createMetrics({ processMetrics: true }).exposition();
    const rss = sample(body, 'nomad_operator_process_resident_memory_bytes') ?? 0;
    expect(rss).toBeGreaterThan(1024 * 1024);
    expect(sample(body, 'nomad_operator_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(body, 'nomad_operator_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(body, 'nomad_operator_process_start_time_seconds')).toBeGreaterThan(1.7e9);
    expect(body).toMatch(/^nomad_operator_nodejs_heap_space_size_used_bytes\{space="old"\} \d+$/mu);
    expect(body).toContain(`nomad_operator_nodejs_version_info{version="${process.version}",`);
    expect(body).toContain('# TYPE nomad_operator_nodejs_eventloop_lag_p99_seconds gauge');
    expect((await createMetrics().exposition()).body).not.toContain('nomad_operator_process_');
  });

  it('moves counters, histograms and gauges', async () => {
    const metrics = createMetrics();
    metrics.recordReconcile('success', 0.02);
    metrics.recordReconcile('success', 0.3);
    metrics.recordReconcile('error', 1.2);
    metrics.recordRetry();
    metrics.countWrite('apply', 'Deployment');
    metrics.countWrite('apply', 'Deployment');
    countWrite('delete', 'Service', metrics);

    const queue = new WorkQueue();
    metrics.observeQueue(queue);
    queue.add('ns/a');
    queue.add('ns/b');
    queue.addAfter('ns/c', 60_000);
    await queue.get(); // ns/a in flight

    const informer = { resource: 'pods', restarts: 0 };
    metrics.trackInformer(informer);
    let leading = false;
    metrics.trackLeader({ isLeader: () => leading });

    let text = (await metrics.exposition()).body;
    expect(sample(text, 'nomad_operator_reconcile_total{result="success"}')).toBe(2);
    expect(sample(text, 'nomad_operator_reconcile_total{result="error"}')).toBe(1);
    expect(sample(text, 'nomad_operator_reconcile_errors_total')).toBe(1);
    expect(sample(text, 'nomad_operator_reconcile_duration_seconds_count')).toBe(3);
    expect(sample(text, 'nomad_operator_reconcile_duration_seconds_bucket{le="0.5"}')).toBe(2);
    expect(sample(text, 'nomad_operator_queue_retries_total')).toBe(1);
    expect(sample(text, 'nomad_operator_apiserver_writes_total{verb="apply",kind="Deployment"}')).toBe(2);
    expect(sample(text, 'nomad_operator_apiserver_writes_total{verb="delete",kind="Service"}')).toBe(1);
    expect(sample(text, 'nomad_operator_queue_depth')).toBe(1);
    expect(sample(text, 'nomad_operator_queue_delayed')).toBe(1);
    expect(sample(text, 'nomad_operator_queue_in_flight')).toBe(1);
    expect(sample(text, 'nomad_operator_informer_restarts_total{resource="pods"}')).toBe(0);
    expect(sample(text, 'nomad_operator_leader')).toBe(0);
    expect(await metrics.writes()).toBe(3);
    expect(await metrics.writes({ verb: 'apply' })).toBe(2);

    informer.restarts = 3;
    leading = true;
    text = (await metrics.exposition()).body;
    expect(sample(text, 'nomad_operator_informer_restarts_total{resource="pods"}')).toBe(3);
    expect(sample(text, 'nomad_operator_leader')).toBe(1);
    // Scraping twice does not count restarts twice.
    text = (await metrics.exposition()).body;
    expect(sample(text, 'nomad_operator_informer_restarts_total{resource="pods"}')).toBe(3);
    queue.shutDown();
  });

  it('counts apply writes made through makeApplier, by kind, but not dry runs', async () => {
    const metrics = createMetrics();
    const counted: string[] = [];
    const counter: WriteCounter = {
      countWrite: (verb, kind) => {
        counted.push(`${verb} ${kind}`);
        metrics.countWrite(verb, kind);
      },
    };
    // A kubeconfig pointing at a closed port: the request fails, the write was still attempted.
    const kc = kubeConfigForServer('http://127.0.0.1:1');
    const applier = makeApplier(operatorConfig(kc), 'test', counter);
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } };
    await expect(applier.apply(configMap)).rejects.toThrow();
    await expect(applier.apply(configMap, { dryRun: true })).rejects.toThrow();
    expect(counted).toEqual(['apply ConfigMap']);
    expect(await metrics.writes({ verb: 'apply', kind: 'ConfigMap' })).toBe(1);
  });
});

describe('ops routes', () => {
  it('serves /metrics, /healthz and /readyz', async () => {
    const metrics = createMetrics();
    metrics.countWrite('apply', 'Job');
    const informers = [
      {
        resource: 'nomadjobs',
        synced: true,
        hasSynced() {
          return this.synced;
        },
      },
      {
        resource: 'pods',
        synced: false,
        hasSynced() {
          return this.synced;
        },
      },
    ];
    const app = Fastify();
    await app.register(opsRoutes, { metrics, readiness: () => informerChecks(informers) });

    const scrape = await app.inject({ url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/u);
    expect(scrape.body).toContain('nomad_operator_apiserver_writes_total{verb="apply",kind="Job"} 1');

    const health = await app.inject({ url: '/healthz' });
    expect([health.statusCode, health.body]).toEqual([200, 'ok']);

    let ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.body).toBe('[+]informer:nomadjobs ok\n[-]informer:pods failed\nreadyz check failed\n');

    const pods = informers[1];
    if (pods) pods.synced = true;
    ready = await app.inject({ url: '/readyz' });
    expect([ready.statusCode, ready.body]).toEqual([200, 'ok']);
    ready = await app.inject({ url: '/readyz?verbose' });
    expect(ready.body).toContain('[+]informer:pods ok');
    await app.close();
  });
});

describe('logger', () => {
  it('writes JSON lines and tags job logs with the job key', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    jobLogger(logger, 'default/web').info({ kind: 'Deployment' }, 'Created Deployment web');
    logger.trace('hidden');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      job: 'default/web',
      kind: 'Deployment',
      msg: 'Created Deployment web',
    });
    expect(typeof line.time).toBe('string');
  });
});
