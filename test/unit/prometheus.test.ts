// The Prometheus text exposition (src/prometheus.ts): what a scraper parses, byte for byte.
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry } from '../../src/prometheus.ts';

describe('Prometheus exposition', () => {
  it('prints HELP, TYPE and samples, escaping help text and label values', () => {
    const registry = new Registry();
    const writes = new Counter({
      name: 'writes_total',
      help: 'Writes, by kind.\nSecond line with a \\ backslash.',
      labelNames: ['verb', 'kind'],
      registers: [registry],
    });
    writes.inc({ verb: 'apply', kind: 'Deployment' });
    writes.inc({ verb: 'apply', kind: 'Deployment' }, 2);
    writes.inc({ kind: 'say "hi"\\\n', verb: 'patch' });
    new Counter({ name: 'errors_total', help: 'Errors.', registers: [registry] });
    expect(registry.metrics()).toBe(
      [
        '# HELP writes_total Writes, by kind.\\nSecond line with a \\\\ backslash.',
        '# TYPE writes_total counter',
        'writes_total{verb="apply",kind="Deployment"} 3',
        'writes_total{verb="patch",kind="say \\"hi\\"\\\\\\n"} 1',
        '',
        '# HELP errors_total Errors.',
        '# TYPE errors_total counter',
        'errors_total 0',
        '',
        '',
      ].join('\n'),
    );
    expect(writes.get().values).toEqual([
      { labels: { verb: 'apply', kind: 'Deployment' }, value: 3 },
      { labels: { verb: 'patch', kind: 'say "hi"\\\n' }, value: 1 },
    ]);
    expect(() => writes.inc({}, -1)).toThrow(/cannot decrease/u);
  });

  it('counts histogram observations into cumulative buckets, with +Inf, sum and count', () => {
    const registry = new Registry();
    const latency = new Histogram({
      name: 'latency_seconds',
      help: 'Latency.',
      buckets: [0.5, 0.1, 1],
      registers: [registry],
    });
    for (const value of [0.05, 0.1, 0.3, 2]) latency.observe(value);
    expect(registry.metrics()).toBe(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.1"} 2',
        'latency_seconds_bucket{le="0.5"} 3',
        'latency_seconds_bucket{le="1"} 3',
        'latency_seconds_bucket{le="+Inf"} 4',
        'latency_seconds_sum 2.45',
        'latency_seconds_count 4',
        '',
        '',
      ].join('\n'),
    );
    const end = latency.startTimer();
    expect(end()).toBeGreaterThanOrEqual(0);
    expect(registry.metrics()).toContain('latency_seconds_count 5');
  });

  it('reads gauges at the scrape and refuses a name registered twice', () => {
    const registry = new Registry();
    let depth = 0;
    const gauge: Gauge = new Gauge({
      name: 'depth',
      help: 'Depth.',
      registers: [registry],
      collect: () => gauge.set(depth),
    });
    depth = 7;
    expect(registry.metrics()).toContain('\ndepth 7\n');
    depth = 2;
    expect(registry.metrics()).toContain('\ndepth 2\n');
    expect(() => new Gauge({ name: 'depth', help: 'Again.', registers: [registry] })).toThrow(
      /registered already/u,
    );
  });
});
