import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from '../../../src/nomad/duration.ts';

// Expected strings are what Go's time.Duration.String() prints for the same values.
const goStrings: Array<[number, string]> = [
  [0, '0s'],
  [1, '1ns'],
  [999, '999ns'],
  [1_000, '1µs'],
  [1_500, '1.5µs'],
  [1_000_000, '1ms'],
  [250_000_000, '250ms'],
  [1_000_000_000, '1s'],
  [1_500_000_000, '1.5s'],
  [30_000_000_000, '30s'],
  [60_000_000_000, '1m0s'],
  [90_000_000_000, '1m30s'],
  [3_600_000_000_000, '1h0m0s'],
  [3_723_000_000_001, '1h2m3.000000001s'],
  [-5_000_000_000, '-5s'],
  [300_000_000_000, '5m0s'],
];

describe('Go durations', () => {
  it.each(goStrings)('formats %d ns as %s, and parses it back', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
    expect(parseGoDuration(text)).toEqual({ ok: true, ns });
  });

  it.each([
    ['300000ms', 300_000_000_000],
    ['1.5h', 5_400_000_000_000],
    ['1h30m', 5_400_000_000_000],
    ['10us', 10_000],
    ['10μs', 10_000],
    ['+2s', 2_000_000_000],
    ['.5s', 500_000_000],
    ['1.s', 1_000_000_000],
    ['0', 0],
  ])('parses %s', (text, ns) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, ns });
  });

  it.each(['', '5', 's', '1x', '1.2.3s', 'abc', '-', '.s', '1h 30m'])(
    'rejects %j with a Go-style message',
    (text) => {
      const result = parseGoDuration(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/^time: (invalid duration|unknown unit)/);
    },
  );

  it('round-trips every safe integer of nanoseconds exactly', () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger().map((n) => n - Number.MAX_SAFE_INTEGER / 2),
        (ns) => {
          const n = Math.trunc(ns);
          expect(parseGoDuration(formatGoDuration(n))).toEqual({ ok: true, ns: n });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
