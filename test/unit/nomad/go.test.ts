import { describe, expect, it } from 'vitest';
import { goPathBase, goPathClean, goPathJoin, goQuote, goStringList } from '../../../src/nomad/go.ts';

describe('Go path helpers', () => {
  it.each([
    ['', '.'],
    ['a/b/../c', 'a/c'],
    ['/../x', '/x'],
    ['../../x', '../../x'],
    ['a//b/./', 'a/b'],
  ])('path.Clean(%j) = %j', (input, output) => {
    expect(goPathClean(input)).toBe(output);
  });

  it('path.Base and path.Join', () => {
    expect(goPathBase('https://example.com/files/app.tar.gz')).toBe('app.tar.gz');
    expect(goPathBase('dir/')).toBe('dir');
    expect(goPathBase('')).toBe('.');
    expect(goPathJoin('local', 'app.tar.gz')).toBe('local/app.tar.gz');
    expect(goPathJoin('local', '.')).toBe('local');
  });
});

describe('fmt verbs', () => {
  it('%q quotes like strconv.Quote', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\0')).toBe('"tab\\there\\x00"');
    expect(goQuote('héllo')).toBe('"héllo"');
  });

  it('%v of a string slice', () => {
    expect(goStringList(['a', 'b'])).toBe('[a b]');
  });
});
