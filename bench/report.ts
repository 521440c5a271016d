// The benchmark's result: the figures of docs/performance.md with their targets, as JSON (stdout)
// and as a table for people (stderr).
import type { Summary } from './stats.ts';

export interface Target {
  figure: string;
  measured: string;
  target: string;
  /** undefined: not measured in this run (e.g. a bound that applies at another N only). */
  met: boolean | undefined;
}

export interface BenchResult {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverage: number[] };
  jobs: number;
  nodes: number;
  /** How the operator ran: node flags (the image's) and extra operator flags. */
  operator: { nodeFlags: string[]; args: string[]; mallocEnv: Record<string, string> };
  /** Seconds until every Deployment was available (and every job running), and until every Deployment existed. */
  convergence: {
    directSeconds: number;
    operatorSeconds: number;
    ratio: number;
    directAllCreatedSeconds: number;
    operatorAllCreatedSeconds: number;
  };
  /** RSS, and V8's heap (live objects, space reserved by the heap) and memory outside it. */
  rss: {
    afterSyncMiB: number;
    convergedMiB: number;
    afterIdleMiB: number;
    /** After idle: the process's own memory, and pages of mapped files (the node binary's). */
    afterIdleAnonMiB: number;
    afterIdleFileMiB: number;
    peakMiB: number;
    heapConverged: { usedMiB: number; totalMiB: number; externalMiB: number };
    heapAfterIdle: { usedMiB: number; totalMiB: number; externalMiB: number };
  };
  getJob: {
    nomad: Summary;
    kube: Summary;
    p99Ratio: number;
    /** Timed reads that one of the bench's own garbage collections overlapped (bench/own-gc.ts). */
    readsMetBenchGc: { nomad: number; kube: number };
  };
  listJobs: Summary;
  blockingWake: Summary;
  register: Summary;
  /** Median of each step's time from sending PUT /v1/jobs, as the bench's watches saw it (ms). */
  registerSteps: Record<string, number>;
  /** The operator's apiserver writes while converging, by `verb kind`, and per job. */
  writes: { total: number; perJob: number; byVerbKind: Record<string, number> };
  idle: {
    settleSeconds: number;
    watchSeconds: number;
    writes: number;
    byKind: Record<string, number>;
    byManager: Record<string, number>;
  };
  targets: Target[];
}

const pad = (text: string, width: number) => text.padEnd(width);

export function table(result: BenchResult): string {
  const mallocEnv = Object.entries(result.operator.mallocEnv)
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  const rows = result.targets.map((t) => [
    t.figure,
    t.measured,
    t.target,
    t.met === undefined ? '—' : t.met ? 'yes' : 'NO',
  ]);
  const header = ['figure', 'measured', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 0)).join(' | ');
  const steps = Object.entries(result.registerSteps)
    .map(([step, ms]) => `${step} ${ms} ms`)
    .join(', ');
  return [
    '',
    `nomad-operator bench, ${result.jobs} jobs, ${result.nodes} kwok nodes, ${result.date}`,
    `machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, node ${result.machine.node}, load ${result.machine.loadAverage.join(' ')}`,
    `operator: ${mallocEnv}node ${result.operator.nodeFlags.join(' ') || '(no flags)'} dist/cli/main.js run ${result.operator.args.join(' ')}`,
    '',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
    '',
    `operator writes while converging: ${result.writes.total} (${result.writes.perJob} per job): ${Object.entries(
      result.writes.byVerbKind,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `operator memory after idle: RSS ${result.rss.afterIdleMiB} MiB (${result.rss.afterIdleAnonMiB} MiB its own, ${result.rss.afterIdleFileMiB} MiB pages of the node binary and other mapped files), V8 heap ${result.rss.heapAfterIdle.usedMiB} MiB used of ${result.rss.heapAfterIdle.totalMiB} MiB reserved, ${result.rss.heapAfterIdle.externalMiB} MiB external`,
    `every Deployment existed after ${result.convergence.directAllCreatedSeconds} s (direct) and ${result.convergence.operatorAllCreatedSeconds} s (operator)`,
    `register timeline (median ms from sending PUT): ${steps}`,
    `timed reads one of the bench's own collections met: ${result.getJob.readsMetBenchGc.nomad} of the operator's, ${result.getJob.readsMetBenchGc.kube} of the apiserver's`,
    `idle writes by kind: ${JSON.stringify(result.idle.byKind)}; by writer: ${JSON.stringify(result.idle.byManager)}`,
    '',
  ].join('\n');
}
