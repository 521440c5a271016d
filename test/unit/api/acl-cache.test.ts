// The ACL's token and decision cache (src/api/acl.ts LruTtlCache): entries expire after their TTL,
// and past its size the least recently used entry goes, not the whole cache, so a flood of new
// keys never empties it at once.
import { describe, expect, it } from 'vitest';
import { LruTtlCache } from '../../../src/api/acl.ts';

describe('LruTtlCache', () => {
  it('forgets an entry once its TTL has passed', () => {
    let now = 1_000;
    const cache = new LruTtlCache<string>(10_000, 10, () => now);
    cache.set('a', 'x');
    now += 9_999;
    expect(cache.get('a')).toBe('x');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry past its size, keeping the ones in use', () => {
    const cache = new LruTtlCache<number>(10_000, 3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('d', 4);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
    expect(cache.size).toBe(3);
  });

  it('keeps a frequently used entry through a flood of new keys', () => {
    const cache = new LruTtlCache<boolean>(10_000, 100);
    cache.set('good', true);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`bad-${i}`, false);
      if (i % 50 === 0) expect(cache.get('good')).toBe(true);
    }
    expect(cache.size).toBe(100);
  });

  it('keeps the order exact when the newest key is hit again, expires or is removed', () => {
    let now = 0;
    const cache = new LruTtlCache<number>(100, 2, () => now);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('b')).toBe(2);
    expect(cache.get('b')).toBe(2);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    cache.delete('c');
    cache.set('d', 4);
    expect([cache.get('a'), cache.get('d')]).toEqual([1, 4]);
    now = 100;
    expect(cache.get('d')).toBeUndefined();
    cache.set('e', 5);
    cache.set('f', 6);
    expect([cache.get('a'), cache.get('e'), cache.get('f')]).toEqual([undefined, 5, 6]);
    expect(cache.size).toBe(2);
  });

  it('restarts the TTL of a key set again', () => {
    let now = 0;
    const cache = new LruTtlCache<number>(100, 10, () => now);
    cache.set('k', 1);
    now = 90;
    cache.set('k', 2);
    now = 150;
    expect(cache.get('k')).toBe(2);
  });
});
