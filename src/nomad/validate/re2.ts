// Whether a regular expression compiles with Go's regexp package (RE2 syntax), as Nomad compiles a
// `regexp` constraint's or affinity's RTarget. JavaScript's engine does the compiling, on a copy of the
// pattern in which RE2-only syntax JavaScript lacks is replaced by an equivalent of the same shape
// (flag groups, `(?P<name>`, `\pL`, `[[:alpha:]]`, `\z`, `\Q…\E`); the JavaScript-only constructs RE2
// refuses (lookarounds, backreferences) are reported with Go's message. Other errors carry
// JavaScript's wording.

const POSIX_CLASSES = new Set([
  'alnum',
  'alpha',
  'ascii',
  'blank',
  'cntrl',
  'digit',
  'graph',
  'lower',
  'print',
  'punct',
  'space',
  'upper',
  'word',
  'xdigit',
]);

/** Go's `*syntax.Error` text after "error parsing regexp: ", or undefined when the pattern compiles. */
export function re2SyntaxError(pattern: string): string | undefined {
  let js = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const rest = pattern.slice(i);
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (next === 'Q') {
        // \Q…\E quotes everything up to \E (or the end).
        const end = pattern.indexOf('\\E', i + 2);
        js += inClass ? 'x' : '(?:x)';
        i = end < 0 ? pattern.length : end + 1;
      } else if (/[1-9]/.test(next)) {
        return `invalid escape sequence: \`\\${next}\``;
      } else if (next === 'p' || next === 'P') {
        // \pL or \p{Greek}: a Unicode class, here any word character.
        const braced = /^\\[pP]\{[^}]*\}/.exec(rest);
        js += '\\w';
        i += braced ? braced[0].length - 1 : 2;
      } else if (next === 'z' || next === 'A') {
        js += next === 'z' ? '$' : '^';
        i++;
      } else if (next === 'C') {
        js += inClass ? 'x' : '.';
        i++;
      } else {
        js += c + next;
        i++;
      }
    } else if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest);
      if (posix && POSIX_CLASSES.has(posix[2] ?? '')) {
        js += 'x';
        i += posix[0].length - 1;
      } else {
        if (c === ']' && !js.endsWith('[') && !js.endsWith('[^')) inClass = false;
        js += c;
      }
    } else if (c === '[') {
      inClass = true;
      js += c;
      // A "]" right after "[" or "[^" is a literal in both syntaxes.
      if (pattern[i + 1] === '^') {
        js += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        js += '\\]';
        i++;
      }
    } else if (rest.startsWith('(?')) {
      const flags = /^\(\?[imsU]*(?:-[imsU]+)?([:)])/.exec(rest);
      if (flags) {
        // (?i) sets flags for the rest of the group; (?i:…) is a group with flags.
        js += flags[1] === ':' ? '(?:' : '';
        i += flags[0].length - 1;
      } else if (rest.startsWith('(?P<') || rest.startsWith('(?<')) {
        const start = rest.startsWith('(?P<') ? 4 : 3;
        const end = rest.indexOf('>');
        if (end < 0) return `invalid named capture: \`${rest}\``;
        const name = rest.slice(start, end);
        if (!/^[A-Za-z0-9_]+$/.test(name)) return `invalid named capture: \`${rest.slice(0, end + 1)}\``;
        js += `(?<${name}>`;
        i += end;
      } else {
        // Go stops at the first character that is neither a flag nor ":" or ")".
        const bad = /^\(\?[imsU-]*./.exec(rest)?.[0] ?? rest;
        return `invalid or unsupported Perl syntax: \`${bad}\``;
      }
    } else {
      js += c;
    }
  }
  try {
    new RegExp(js);
    return undefined;
  } catch (error) {
    // The two mistakes Go reports with the whole pattern, in Go's words.
    const message = (error as Error).message;
    if (message.endsWith('Unterminated group')) return `missing closing ): \`${pattern}\``;
    if (message.endsWith("Unmatched ')'")) return `unexpected ): \`${pattern}\``;
    return message;
  }
}
