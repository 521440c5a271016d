// Small pieces of Go's standard library that Nomad's behaviour depends on, reimplemented so our
// defaults and error messages come out byte-for-byte like Nomad's: `path.Clean/Base/Join` (artifact
// destinations, escape checks) and the `%q` / `%v` verbs of `fmt`. (`time.Duration.String` is
// formatGoDuration in duration.ts.)

/** Go's `path.Clean`: lexical cleanup of a slash-separated path. */
export function goPathClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Go's `path.Join`: joins the non-empty elements with `/` and cleans the result. */
export function goPathJoin(...elements: string[]): string {
  const nonEmpty = elements.filter((e) => e !== '');
  return nonEmpty.length === 0 ? '' : goPathClean(nonEmpty.join('/'));
}

/** Go's `path.Base`: the last element, ignoring trailing slashes. */
export function goPathBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's `%q` of a string (strconv.Quote) for the characters job fields realistically contain. */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (char === '\x07') out += '\\a';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (char === '\v') out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Go's `%v` of a `[]string`: `[a b c]`. */
export function goStringList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

/** Go's `%q` of a `[]string`: `["a" "b"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(' ')}]`;
}

/**
 * Go's string order (sort.Strings, `<`): byte-wise UTF-8, i.e. code point order (UTF-16 differs
 * above U+D7FF). Never localeCompare: besides ordering differently, it loads ICU's collation data
 * (about 3 MiB of resident memory).
 */
export function goCompareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000; // astral code points sort last
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
