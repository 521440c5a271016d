// compactJson (src/kube/compact.ts): a copy equal to its input as JSON, whatever was deleted from
// it, with nothing shared with the input. Its memory effect on cached objects is measured in
// cache-transform.test.ts.
import { describe, expect, it } from 'vitest';
import { compactJson } from '../../../src/kube/compact.ts';

describe('compactJson', () => {
  it('copies a JSON value, deleted fields and all, into an equal one that shares nothing with it', () => {
    const value = JSON.parse(
      `{"a":"x","b":[1,"two",{"c":null,"d":true}],"e":{"f":"${'long'.repeat(40)}"},"g":""}`,
    ) as Record<string, unknown>;
    delete value.a;
    const copy = compactJson(value);
    expect(copy).toEqual(value);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(copy.b).not.toBe(value.b);
    (copy.e as Record<string, unknown>).f = 'changed';
    expect((value.e as Record<string, unknown>).f).toBe('long'.repeat(40));
  });

  it('keeps a parsed `__proto__` key an own property, and the prototype untouched', () => {
    const value = JSON.parse('{"__proto__":"p","labels":{"__proto__":"q"}}') as Record<string, unknown>;
    const copy = compactJson(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(JSON.stringify(copy)).toBe('{"__proto__":"p","labels":{"__proto__":"q"}}');
  });

  it('passes scalars and null through', () => {
    expect(compactJson('text')).toBe('text');
    expect(compactJson(3)).toBe(3);
    expect(compactJson(null)).toBe(null);
  });
});
