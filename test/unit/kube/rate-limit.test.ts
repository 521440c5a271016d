import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_WRITE_BURST, DEFAULT_WRITE_QPS, TokenBucket } from '../../../src/kube/rate-limit.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts `n` takes and records when each resolves (ms after the start). */
function takeAll(bucket: TokenBucket, n: number): number[] {
  const start = Date.now();
  const done: number[] = [];
  for (let i = 0; i < n; i++) void bucket.take().then(() => done.push(Date.now() - start));
  return done;
}

describe('TokenBucket', () => {
  it('defaults to 20 writes per second with bursts of 30', () => {
    const bucket = new TokenBucket();
    expect([bucket.qps, bucket.burst]).toEqual([DEFAULT_WRITE_QPS, DEFAULT_WRITE_BURST]);
    expect([DEFAULT_WRITE_QPS, DEFAULT_WRITE_BURST]).toEqual([50, 100]);
  });

  it('lets a burst through at once, then one take per 1/qps seconds, in call order', async () => {
    const bucket = new TokenBucket({ qps: 10, burst: 3 });
    const done = takeAll(bucket, 6);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([0, 0, 0]);
    expect(bucket.waiting).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toEqual([0, 0, 0, 100]);
    await vi.advanceTimersByTimeAsync(200);
    expect(done).toEqual([0, 0, 0, 100, 200, 300]);
    expect(bucket.waiting).toBe(0);
  });

  it('refills while idle, never beyond the burst', async () => {
    const bucket = new TokenBucket({ qps: 2, burst: 2 });
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(bucket.available()).toBeCloseTo(0.5);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(bucket.available()).toBe(2);
    const done = takeAll(bucket, 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toEqual([0, 0, 500]);
  });

  it('keeps the rate over a long run: 100 takes at 20/s with burst 30 take 3.5 s', async () => {
    const bucket = new TokenBucket({ qps: 20, burst: 30 });
    const done = takeAll(bucket, 100);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toHaveLength(100);
    expect(done[29]).toBe(0);
    expect(done[30]).toBe(50);
    expect(done[99]).toBe(3500);
    // In order, and never faster than the rate after the burst.
    for (let i = 31; i < 100; i++) expect(done[i]! - done[i - 1]!).toBe(50);
  });

  it('tryTake does not jump the queue of waiters', async () => {
    const bucket = new TokenBucket({ qps: 1, burst: 1 });
    const done = takeAll(bucket, 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([0]);
    expect(bucket.tryTake()).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done).toEqual([0, 1000]);
  });

  it('is unlimited for a non-positive or infinite qps', async () => {
    for (const qps of [0, -1, Number.POSITIVE_INFINITY]) {
      const bucket = new TokenBucket({ qps, burst: 1 });
      expect(bucket.unlimited).toBe(true);
      const done = takeAll(bucket, 50);
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toHaveLength(50);
    }
  });
});
