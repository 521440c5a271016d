// The process's own metrics, read at each scrape, under the names Prometheus client libraries use
// (`process_…`, `nodejs_…`, after a prefix): CPU time, resident memory, open file descriptors, start
// time, V8's heap and external memory, the event loop's delay, the Node.js version.
//
// Nothing here runs between scrapes except node's native event-loop delay monitor. Collection times
// are not exported: observing them takes a JavaScript callback on every garbage collection, and a
// busy operator collects its young generation several times a second.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { Counter, Gauge, type Registry } from './prometheus.ts';

/** Registers the process metrics with `registry`, each name starting with `prefix`. */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  const registers = [registry];
  const gauge = (name: string, help: string, collect: (g: Gauge) => void, labelNames?: string[]) => {
    const metric: Gauge = new Gauge({
      name: `${prefix}${name}`,
      help,
      registers,
      ...(labelNames ? { labelNames } : {}),
      collect: () => collect(metric),
    });
  };
  const cpu = (name: string, help: string, seconds: (usage: NodeJS.CpuUsage) => number) => {
    let counted = 0;
    const metric: Counter = new Counter({
      name: `${prefix}${name}`,
      help,
      registers,
      collect: () => {
        const now = seconds(process.cpuUsage());
        metric.inc({}, Math.max(0, now - counted));
        counted = Math.max(counted, now);
      },
    });
  };
  cpu('process_cpu_user_seconds_total', 'User CPU time spent, in seconds.', (u) => u.user / 1e6);
  cpu('process_cpu_system_seconds_total', 'System CPU time spent, in seconds.', (u) => u.system / 1e6);
  cpu(
    'process_cpu_seconds_total',
    'User and system CPU time spent, in seconds.',
    (u) => (u.user + u.system) / 1e6,
  );

  const startTime = Math.round(Date.now() / 1000 - process.uptime());
  gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', (g) =>
    g.set(startTime),
  );
  gauge('process_resident_memory_bytes', 'Resident memory size, in bytes.', (g) =>
    g.set(process.memoryUsage.rss()),
  );
  if (process.platform === 'linux') {
    gauge('process_open_fds', 'Open file descriptors.', (g) => {
      try {
        // The listing itself holds one descriptor open.
        g.set(readdirSync('/proc/self/fd').length - 1);
      } catch {
        g.set(Number.NaN);
      }
    });
  }

  gauge('nodejs_heap_size_total_bytes', "V8's heap, reserved, in bytes.", (g) =>
    g.set(process.memoryUsage().heapTotal),
  );
  gauge('nodejs_heap_size_used_bytes', "V8's heap, used, in bytes.", (g) =>
    g.set(process.memoryUsage().heapUsed),
  );
  gauge(
    'nodejs_external_memory_bytes',
    'Memory of C++ objects bound to JavaScript objects (Buffers), in bytes.',
    (g) => g.set(process.memoryUsage().external),
  );
  const space = (field: 'space_size' | 'space_used_size') => (g: Gauge) => {
    for (const s of getHeapSpaceStatistics())
      g.set(s[field], { space: s.space_name.replace(/_space$/u, '') });
  };
  gauge('nodejs_heap_space_size_total_bytes', "Each V8 heap space's size, in bytes.", space('space_size'), [
    'space',
  ]);
  gauge(
    'nodejs_heap_space_size_used_bytes',
    "Each V8 heap space's used size, in bytes.",
    space('space_used_size'),
    ['space'],
  );

  // Sampled natively every 10 ms; the figures are of the delays since the process started.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const seconds = (nanoseconds: number) => nanoseconds / 1e9;
  gauge('nodejs_eventloop_lag_mean_seconds', 'Mean event loop delay, in seconds.', (g) =>
    g.set(seconds(delay.mean)),
  );
  gauge('nodejs_eventloop_lag_max_seconds', 'Largest event loop delay, in seconds.', (g) =>
    g.set(seconds(delay.max)),
  );
  for (const p of [50, 90, 99]) {
    gauge(`nodejs_eventloop_lag_p${p}_seconds`, `Event loop delay, ${p}th percentile, in seconds.`, (g) =>
      g.set(seconds(delay.percentile(p))),
    );
  }

  const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
  gauge(
    'nodejs_version_info',
    'Node.js version.',
    (g) => g.set(1, { version: process.version, major, minor, patch }),
    ['version', 'major', 'minor', 'patch'],
  );
}
