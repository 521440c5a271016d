import { describe, expect, it } from 'vitest';
import { canonicalJson, sortedKeys } from '../../../src/nomad/canonical-json.ts';

describe('canonicalJson', () => {
  it('gives the same text whatever order keys were set in, at every depth', () => {
    const a = { b: 1, a: { d: [{ y: 1, x: 2 }], c: 'z' } };
    const b = { a: { c: 'z', d: [{ x: 2, y: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":"z","d":[{"x":2,"y":1}]},"b":1}');
  });

  it('drops undefined members; null members only when asked (Go leaves nil fields out)', () => {
    const value = { a: undefined, b: null, c: [null, undefined] };
    expect(canonicalJson(value)).toBe('{"b":null,"c":[null,null]}');
    expect(canonicalJson(value, { omitNull: true })).toBe('{"c":[null,null]}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('keeps array order and leaves the input alone', () => {
    const value = { list: [3, 1, 2], z: 1, a: 2 };
    expect(sortedKeys(value)).toEqual({ a: 2, list: [3, 1, 2], z: 1 });
    expect(Object.keys(value)).toEqual(['list', 'z', 'a']);
  });
});
