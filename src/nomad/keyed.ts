// Objects keyed by names the user chose: task groups, tasks, meta and env keys. A plain `{}` already
// answers to some names: `map['__proto__'] = x` replaces its prototype instead of storing x, and
// `map['constructor']` reads `Object` before anything was stored under it. Objects made here have
// no prototype, so every name is an ordinary key; `defineOwn` stores into any object the same way.

/** An empty object for user-chosen keys (see the file comment). Serializes like `{}`. */
export function keyedBy<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Stores `value` under `key` as data, even when `key` is `__proto__`. */
export function defineOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
