import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../../src/kube/queue.ts';

describe('WorkQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('deduplicates keys that are waiting', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.length).toBe(0);
  });

  it('never hands one key to two workers; a key added while in flight comes back after done()', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a'); // an event arrives while 'a' is being reconciled
    queue.add('a');
    expect(queue.length).toBe(0); // not handed out again yet
    const second = queue.get();
    let handed: string | undefined;
    void second.then((k) => {
      handed = k;
    });
    await Promise.resolve();
    expect(handed).toBeUndefined();
    queue.done(first!);
    expect(await second).toBe('a');
    queue.done('a');
    expect(queue.depth).toEqual({ waiting: 0, delayed: 0, processing: 0 });
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('x');
    expect(await next).toBe('x');
    expect(queue.inFlight).toBe(1);
  });

  it('backs off exponentially per key, capped, and forget() resets it', () => {
    const queue = new WorkQueue({ baseMs: 100, maxMs: 1000 });
    expect([1, 2, 3, 4, 5, 6].map(() => queue.addRateLimited('a'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(queue.retries('a')).toBe(6);
    expect(queue.addRateLimited('b')).toBe(100);
    queue.forget('a');
    expect(queue.addRateLimited('a')).toBe(100);
  });

  it('delays keys with addAfter; the earliest pending delay wins', async () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 1000);
    queue.addAfter('a', 5000);
    queue.addAfter('a', 300);
    expect(queue.depth.delayed).toBe(1);
    vi.advanceTimersByTime(299);
    expect(queue.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.length).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(queue.length).toBe(1);
  });

  it('shuts down: waiting workers get undefined and delayed keys are dropped', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.addAfter('later', 100);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    vi.advanceTimersByTime(1000);
    queue.add('new');
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('pauses: waiting workers get undefined, keys added meanwhile wait for resume()', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.add('a');
    expect(await waiting).toBe('a');
    const idle = queue.get();
    queue.pause();
    expect(await idle).toBeUndefined();
    queue.add('b');
    queue.addAfter('c', 100);
    vi.advanceTimersByTime(100);
    // In flight while paused: done() queues a re-added key again, it is not lost.
    queue.add('a');
    queue.done('a');
    expect(await queue.get()).toBeUndefined();
    expect(queue.length).toBe(3);
    queue.resume();
    expect([await queue.get(), await queue.get(), await queue.get()].sort()).toEqual(['a', 'b', 'c']);
  });
});
