// Prometheus metrics in the text exposition format (version 0.0.4): counters, gauges and histograms,
// with labels, in a registry that prints them. What the operator exports (src/metrics.ts) needs no
// more, and a client library of its own costs memory the operator is measured by (prom-client loads
// the OpenTelemetry API with it, and its process metrics observe every garbage collection from
// JavaScript): see docs/performance.md, "Memory".
//
// The format: for each metric a `# HELP` and a `# TYPE` line, then one sample per line,
// `name{label="value",…} number`; label values escape `\`, `"` and newlines, help text `\` and
// newlines. A histogram is its cumulative `_bucket` samples (`le` the upper bound, ending with
// `+Inf`), `_sum` and `_count`.

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels: Labels;
  value: number;
}

interface MetricOptions {
  name: string;
  help: string;
  /** Label names, in the order samples print them. */
  labelNames?: readonly string[];
  /** Registries that print this metric. */
  registers?: readonly Registry[];
  /** Called at every scrape before the samples are read (gauges and counters kept elsewhere). */
  collect?: () => void;
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly labelNames: readonly string[];
  readonly #collect: (() => void) | undefined;

  constructor(options: MetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    this.#collect = options.collect;
    for (const registry of options.registers ?? []) registry.register(this);
  }

  /** The metric's exposition: HELP, TYPE and its samples. */
  exposition(): string {
    this.#collect?.();
    const help = this.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
    const lines = [`# HELP ${this.name} ${help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [series, value] of this.series()) lines.push(`${series} ${formatValue(value)}`);
    return `${lines.join('\n')}\n`;
  }

  /** Each sample as `name{labels}` and its value. */
  protected abstract series(): Iterable<[string, number]>;

  /** The key of a label set: the values in labelNames' order (a label not given is empty). */
  protected keyOf(labels: Labels): string {
    if (this.labelNames.length === 0) return '';
    return JSON.stringify(this.labelNames.map((name) => labels[name] ?? ''));
  }

  protected labelsOf(key: string): Labels {
    if (key === '') return {};
    const values = JSON.parse(key) as string[];
    return Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? '']));
  }
}

/** A value per label set (counters and gauges). */
abstract class ValueMetric extends Metric {
  protected readonly values = new Map<string, number>();

  constructor(options: MetricOptions) {
    super(options);
    // An unlabelled metric is exported at 0 from the start (rate() needs a first sample).
    if (this.labelNames.length === 0) this.values.set('', 0);
  }

  /** Every series and its value. */
  get(): { values: Sample[] } {
    return { values: [...this.values].map(([key, value]) => ({ labels: this.labelsOf(key), value })) };
  }

  protected *series(): Iterable<[string, number]> {
    for (const [key, value] of this.values) yield [seriesName(this.name, this.labelsOf(key)), value];
  }
}

/** A value that only goes up (restarts at zero with the process). */
export class Counter extends ValueMetric {
  readonly type = 'counter';

  /** Adds `by` (default 1, never negative) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter cannot decrease (by ${by})`);
    const key = this.keyOf(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

/** A value that goes up and down. */
export class Gauge extends ValueMetric {
  readonly type = 'gauge';

  set(value: number, labels: Labels = {}): void {
    this.values.set(this.keyOf(labels), value);
  }
}

/** Observations counted into buckets by upper bound (unlabelled: the operator needs no more). */
export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];
  /** Observations per bucket (not cumulative; the last one is +Inf). */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(options: Omit<MetricOptions, 'labelNames'> & { buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    this.#counts = new Array<number>(this.#bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let bucket = this.#bounds.findIndex((bound) => value <= bound);
    if (bucket === -1) bucket = this.#bounds.length;
    this.#counts[bucket] = (this.#counts[bucket] ?? 0) + 1;
    this.#sum += value;
    this.#count += 1;
  }

  /** Starts timing; the function returned observes the seconds since. */
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }

  protected *series(): Iterable<[string, number]> {
    let cumulative = 0;
    for (const [i, bound] of this.#bounds.entries()) {
      cumulative += this.#counts[i] ?? 0;
      yield [seriesName(`${this.name}_bucket`, { le: formatValue(bound) }), cumulative];
    }
    yield [seriesName(`${this.name}_bucket`, { le: '+Inf' }), this.#count];
    yield [`${this.name}_sum`, this.#sum];
    yield [`${this.name}_count`, this.#count];
  }
}

/** The metrics one /metrics endpoint prints, in the order they were registered. */
export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  readonly #metrics = new Map<string, Metric>();

  register(metric: Metric): void {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered already`);
    this.#metrics.set(metric.name, metric);
  }

  /** The exposition of every metric. */
  metrics(): string {
    let text = '';
    for (const metric of this.#metrics.values()) text += `${metric.exposition()}\n`;
    return text;
  }
}

function seriesName(name: string, labels: Labels): string {
  const pairs = Object.entries(labels).map(([label, value]) => `${label}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
