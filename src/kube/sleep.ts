// A wait that ends early when its signal aborts: the informer's retry backoff and the leader
// elector's retry period both sleep this way, so that stopping either never waits out a sleep.

/**
 * Resolves after `ms`, or at once when `signal` aborts (never rejects). `unref`: the timer alone
 * does not keep the process alive.
 */
export function sleepUnlessAborted(
  ms: number,
  signal: AbortSignal,
  options: { unref?: boolean } = {},
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
