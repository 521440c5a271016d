// The bench's own garbage collections, kept out of the latencies it times. A read of the operator
// takes a few tenths of a millisecond, so one scavenge of the bench's heap (1–3 ms) landing inside
// it is as large as the server's whole answer, and a few of them decide a p99 over a few hundred
// reads. The bench collects its young generation between timed requests and records every
// collection it did not ask for, so that the report says how many timed requests one met.
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

interface Pause {
  start: number;
  end: number;
}

type GcFunction = (options?: { type: 'minor' | 'major' }) => void;

/** V8's gc() without starting the bench with --expose-gc: the flag set now, the function taken from a new context. */
function exposedGc(): GcFunction | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as GcFunction) : undefined;
  } catch {
    return undefined;
  }
}

export class OwnCollections {
  readonly #pauses: Pause[] = [];
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      this.#pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });
  readonly #gc = exposedGc();

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Empties the young generation now, between timed requests, so that it fills up later. */
  collectYoung(): void {
    this.#gc?.({ type: 'minor' });
  }

  /** How many of the timed intervals [start, end] (performance.now() ms) one of the bench's collections overlapped. */
  overlapping(intervals: readonly { start: number; end: number }[]): number {
    return intervals.filter((i) => this.#pauses.some((p) => p.start < i.end && p.end > i.start)).length;
  }

  stop(): void {
    this.#observer.disconnect();
  }
}
