// Rendering what a template's text says statically, and reading `env = true` files as Nomad does.
// Pure text functions; storage.ts decides what to do with their answers.
//
// * Actions. A template's text is plain text and actions between the template's delimiters (`{{ … }}`
//   by default), with Go's trim markers: `{{- ` removes the whitespace before the action, ` -}}` the
//   whitespace after it (the marker needs a space, tab or line break next to the dash). Comments
//   (`{{/* … */}}`) render nothing.
// * Static rendering. `{{ env "NAME" }}` reads the task's environment. Where the caller knows the value
//   the container gets (env.ts `knownEnvValue`), the action is replaced by it, honouring trim markers;
//   comments are dropped. Every other action, and `env` of a name whose value only the running pod
//   knows, is left exactly as written (with its markers): the result is complete when no action is left.
// * Env files. Nomad reads an `env = true` template's rendered file with HashiCorp's go-envparse rules:
//   lines split at `\n` (one trailing `\r` dropped); blank lines and lines starting with `#` are
//   skipped; otherwise `KEY=value` around the first `=`, whitespace trimmed on both sides, a leading
//   `export ` dropped from a longer key; a key starts with a letter or `_` and holds letters, digits,
//   `_`, `.`, `/`. In the value, `"…"` takes JSON escapes (`\" \\ \/ \b \f \n \r \t \uXXXX`, surrogate
//   pairs), `'…'` is literal, quoted and unquoted parts concatenate, an unquoted `#` starts a comment
//   (whitespace before it dropped), control characters (tabs included) are errors. A line whose value is
//   empty sets the variable to "" (over the task's env, as every template variable). Later lines (and
//   later templates) win. Any error fails the task in Nomad; the
//   messages here are Nomad's.
// * Certain lines. When actions remain, the lines of the output that do not depend on them are the
//   lines made only of text outside every block (`if`, `with`, `range`, `define`, `block` … `end`),
//   bounded by line breaks no trim marker removes: those lines are in Nomad's file whatever the
//   actions render.

/** One action of a template's text. */
export interface TemplateAction {
  /** Offsets of the whole action, delimiters included. */
  start: number;
  end: number;
  /** `{{- `: the whitespace before the action is removed. */
  trimLeft: boolean;
  /** ` -}}`: the whitespace after the action is removed. */
  trimRight: boolean;
  /** The text between the delimiters (and markers), trimmed. */
  body: string;
  comment: boolean;
}

/** Go's text/template space characters (trim markers and trimming). */
const TRIM_SPACE = /[ \t\r\n]/;

function isTrimSpace(char: string | undefined): boolean {
  return char !== undefined && TRIM_SPACE.test(char);
}

function delimiters(left: string | undefined, right: string | undefined): [string, string] {
  return [
    left === undefined || left === '' ? '{{' : left,
    right === undefined || right === '' ? '}}' : right,
  ];
}

/**
 * The actions of a template's text, in order; undefined when the text does not lex as a Go template
 * (an unclosed action, comment or string), which Nomad would fail to render.
 */
export function templateActions(
  text: string,
  leftDelim?: string,
  rightDelim?: string,
): TemplateAction[] | undefined {
  const [left, right] = delimiters(leftDelim, rightDelim);
  const out: TemplateAction[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(left, from);
    if (start < 0) return out;
    let i = start + left.length;
    const trimLeft = text[i] === '-' && isTrimSpace(text[i + 1]);
    if (trimLeft) i += 2;
    if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      let j = close + 2;
      const trimRight = isTrimSpace(text[j]) && text[j + 1] === '-' && text.startsWith(right, j + 2);
      if (trimRight) j += 2;
      if (!text.startsWith(right, j)) return undefined;
      out.push({
        start,
        end: j + right.length,
        trimLeft,
        trimRight,
        body: text.slice(i, close + 2),
        comment: true,
      });
      from = j + right.length;
      continue;
    }
    const bodyStart = i;
    let found = false;
    while (i < text.length) {
      const c = text[i];
      if (c === '"' || c === "'") {
        i++;
        while (i < text.length && text[i] !== c) {
          if (text[i] === '\n') return undefined;
          i += text[i] === '\\' ? 2 : 1;
        }
        if (i >= text.length) return undefined;
        i++;
        continue;
      }
      if (c === '`') {
        const close = text.indexOf('`', i + 1);
        if (close < 0) return undefined;
        i = close + 1;
        continue;
      }
      if (isTrimSpace(c) && text[i + 1] === '-' && text.startsWith(right, i + 2)) {
        out.push({
          start,
          end: i + 2 + right.length,
          trimLeft,
          trimRight: true,
          body: text.slice(bodyStart, i).trim(),
          comment: false,
        });
        from = i + 2 + right.length;
        found = true;
        break;
      }
      if (text.startsWith(right, i)) {
        out.push({
          start,
          end: i + right.length,
          trimLeft,
          trimRight: false,
          body: text.slice(bodyStart, i).trim(),
          comment: false,
        });
        from = i + right.length;
        found = true;
        break;
      }
      i++;
    }
    if (!found) return undefined;
  }
}

/** The name of `env "NAME"` (a Go interpreted or raw string literal); undefined for any other action. */
export function envActionName(body: string): string | undefined {
  const match = /^env\s+("(?:[^"\\\n]|\\.)*"|`[^`]*`)$/.exec(body);
  const literal = match?.[1];
  if (literal === undefined) return undefined;
  if (literal.startsWith('`')) return literal.slice(1, -1);
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // a Go escape JSON does not share (\x41, \a): not rendered here
  }
}

export interface StaticRender {
  /** The text with known `env` values and comments rendered; every other action as written. */
  text: string;
  /** No action is left: `text` is what Nomad renders. */
  complete: boolean;
  /** The text does not lex as a template: nothing was rendered. */
  malformed: boolean;
  /** Names of `env` actions left unrendered (their value is only known to the running pod), sorted. */
  unknownEnv: string[];
}

function trimEnd(text: string): string {
  return text.replace(/[ \t\r\n]+$/, '');
}

function trimStart(text: string): string {
  return text.replace(/^[ \t\r\n]+/, '');
}

/**
 * Renders the comments and the `env "NAME"` actions whose value `lookup` knows (see the module
 * comment). Text without actions comes back unchanged and complete.
 */
export function renderKnownEnv(
  text: string,
  lookup: (name: string) => string | undefined,
  leftDelim?: string,
  rightDelim?: string,
): StaticRender {
  const actions = templateActions(text, leftDelim, rightDelim);
  if (actions === undefined) return { text, complete: false, malformed: true, unknownEnv: [] };
  const unknown = new Set<string>();
  let out = '';
  let cursor = 0;
  /** Whether the text after the previous action loses its leading whitespace. */
  let trimNext = false;
  let left = 0;
  for (const action of actions) {
    let segment = text.slice(cursor, action.start);
    if (trimNext) segment = trimStart(segment);
    const name = action.comment ? undefined : envActionName(action.body);
    const value = name === undefined ? undefined : lookup(name);
    const rendered = action.comment ? '' : value;
    if (rendered === undefined) {
      if (name !== undefined) unknown.add(name);
      out += segment + text.slice(action.start, action.end);
      trimNext = false;
      left++;
    } else {
      out += (action.trimLeft ? trimEnd(segment) : segment) + rendered;
      trimNext = action.trimRight;
    }
    cursor = action.end;
  }
  const rest = text.slice(cursor);
  out += trimNext ? trimStart(rest) : rest;
  return { text: out, complete: left === 0, malformed: false, unknownEnv: [...unknown].sort() };
}

/** Keywords that open a block closed by `end`. */
const BLOCK_OPENERS = new Set(['if', 'with', 'range', 'define', 'block']);

/** One line of the output that no action changes, with its 1-based line number in the text. */
export interface CertainLine {
  line: number;
  text: string;
}

/**
 * The lines of a template's output that are there whatever its actions render (see the module
 * comment); undefined when the text does not lex. Line numbers count the text's own lines.
 */
export function certainLines(
  text: string,
  leftDelim?: string,
  rightDelim?: string,
): CertainLine[] | undefined {
  const actions = templateActions(text, leftDelim, rightDelim);
  if (actions === undefined) return undefined;
  // Mark what is known: text outside blocks and not removed by a trim marker next to an action.
  const known: boolean[] = new Array<boolean>(text.length).fill(true);
  let depth = 0;
  let cursor = 0;
  let previous: TemplateAction | undefined;
  const markSegment = (from: number, to: number, next: TemplateAction | undefined) => {
    if (depth > 0) {
      known.fill(false, from, to);
      return;
    }
    if (previous?.trimRight) {
      let i = from;
      while (i < to && isTrimSpace(text[i])) known[i++] = false;
    }
    if (next?.trimLeft) {
      let i = to - 1;
      while (i >= from && isTrimSpace(text[i])) known[i--] = false;
    }
  };
  for (const action of actions) {
    markSegment(cursor, action.start, action);
    known.fill(false, action.start, action.end);
    if (!action.comment) {
      const keyword = /^[A-Za-z]+/.exec(action.body)?.[0] ?? '';
      if (BLOCK_OPENERS.has(keyword)) depth++;
      else if (keyword === 'end' && action.body === 'end') depth = Math.max(0, depth - 1);
    }
    previous = action;
    cursor = action.end;
  }
  markSegment(cursor, text.length, undefined);
  // A line is certain when every character and both line breaks around it are known.
  const out: CertainLine[] = [];
  let lineStart = 0;
  let line = 1;
  let startKnown = true;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text[i] !== '\n') continue;
    const endKnown = i === text.length || known[i] === true;
    if (startKnown && endKnown && known.slice(lineStart, i).every(Boolean)) {
      out.push({ line, text: text.slice(lineStart, i) });
    }
    startKnown = endKnown;
    lineStart = i + 1;
    line++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Env files (go-envparse's rules, see the module comment)

/** Go's unicode.IsSpace set, which bytes.TrimSpace trims. */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');
/** bufio.Scanner's default largest line. */
const MAX_LINE_BYTES = 64 * 1024;

function goTrimSpace(text: string): string {
  return text.replace(GO_TRIM, '');
}

/** Go's %q of a byte read as a rune (`'x'`, `'\n'`, `'\x01'`). */
function quoteByteRune(byte: number): string {
  const named: Record<number, string> = {
    7: '\\a',
    8: '\\b',
    9: '\\t',
    10: '\\n',
    11: '\\v',
    12: '\\f',
    13: '\\r',
  };
  if (named[byte] !== undefined) return `'${named[byte]}'`;
  if (byte === 0x27) return "'\\''";
  if (byte === 0x5c) return "'\\\\'";
  if (byte >= 0x20 && byte < 0x7f) return `'${String.fromCharCode(byte)}'`;
  if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, '0')}'`;
  if (byte < 0xa1 || byte === 0xad) return `'\\u${byte.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(byte)}'`;
}

/** Go's %q of a one-byte string (`"x"`, `"\x7f"`). */
function quoteByteString(byte: number): string {
  const rune = quoteByteRune(byte);
  const inner = rune.slice(1, -1);
  return `"${inner === "\\'" ? "'" : inner === '"' ? '\\"' : inner}"`;
}

class EnvLineError extends Error {}

function hexRune(value: Uint8Array, from: number): number {
  if (value.length - from < 4) throw new EnvLineError('incomplete hex sequence');
  let rune = 0;
  for (let k = 0; k < 4; k++) {
    const d = value[from + k] ?? 0;
    let digit: number;
    if (d >= 0x30 && d <= 0x39) digit = d - 0x30;
    else if (d >= 0x61 && d <= 0x66) digit = d - 0x61 + 10;
    else if (d >= 0x41 && d <= 0x46) digit = d - 0x41 + 10;
    else throw new EnvLineError(`invalid hex character: ${quoteByteString(d)}`);
    rune = rune * 16 + digit;
  }
  return rune;
}

function encodeRune(rune: number): number[] {
  const valid = rune >= 0 && rune <= 0x10ffff && !(rune >= 0xd800 && rune < 0xe000);
  return [...Buffer.from(String.fromCodePoint(valid ? rune : 0xfffd), 'utf8')];
}

/** One line: `[key, value]`, undefined for a line that sets nothing; throws EnvLineError. */
function parseEnvLine(raw: string): [string, string] | undefined {
  const line = goTrimSpace(raw);
  if (line === '' || line.startsWith('#')) return undefined;
  const separator = line.indexOf('=');
  if (separator < 0) throw new EnvLineError('missing =');
  let key = Buffer.from(goTrimSpace(line.slice(0, separator)), 'utf8');
  const value = Buffer.from(goTrimSpace(line.slice(separator + 1)), 'utf8');
  const exportPrefix = Buffer.from('export ', 'utf8');
  if (key.length > exportPrefix.length && key.subarray(0, exportPrefix.length).equals(exportPrefix)) {
    key = key.subarray(exportPrefix.length);
  }
  const first = key[0];
  if (first === undefined) throw new EnvLineError('empty key');
  if (first < 0x41 || (first > 0x5a && first < 0x61 && first !== 0x5f) || first > 0x7a) {
    throw new EnvLineError(`key must start with [A-Za-z_] but found ${quoteByteRune(first)}`);
  }
  for (const c of key.subarray(1)) {
    const ok =
      c === 0x5f ||
      c === 0x2e ||
      c === 0x2f ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39);
    if (!ok) throw new EnvLineError(`key characters must be [A-Za-z0-9/_.] but found ${quoteByteRune(c)}`);
  }
  const out: number[] = [];
  let lastSignificant = 0;
  let mode: 'normal' | 'double' | 'single' | 'escape' = 'normal';
  for (let i = 0; i < value.length; i++) {
    const v = value[i] ?? 0;
    if (v < 32) throw new EnvLineError(`0x${v.toString(16).padStart(2, '0')} is an invalid value character`);
    if (v > 127) {
      if (mode === 'escape') throw new EnvLineError('multibyte characters disallowed in escape sequences');
      out.push(v);
      lastSignificant = out.length;
      continue;
    }
    if (mode === 'normal') {
      if (v === 0x22) mode = 'double';
      else if (v === 0x27) mode = 'single';
      else if (v === 0x23)
        return [key.toString('utf8'), Buffer.from(out.slice(0, lastSignificant)).toString('utf8')];
      else {
        out.push(v);
        if (v !== 0x20) lastSignificant = out.length;
      }
    } else if (mode === 'double') {
      if (v === 0x22) mode = 'normal';
      else if (v === 0x5c) mode = 'escape';
      else {
        out.push(v);
        lastSignificant = out.length;
      }
    } else if (mode === 'single') {
      if (v === 0x27) mode = 'normal';
      else {
        out.push(v);
        lastSignificant = out.length;
      }
    } else {
      const simple: Record<number, number> = {
        34: 0x22,
        92: 0x5c,
        47: 0x2f,
        98: 8,
        102: 12,
        114: 13,
        110: 10,
        116: 9,
      };
      if (simple[v] !== undefined) out.push(simple[v]);
      else if (v === 0x75) {
        let rune = hexRune(value, i + 1);
        i += 4;
        if (rune >= 0xd800 && rune < 0xe000) {
          if (value.length < i + 6 || value[i + 1] !== 0x5c || value[i + 2] !== 0x75) {
            throw new EnvLineError('incomplete Unicode surrogate pair');
          }
          const low = hexRune(value, i + 3);
          i += 6;
          rune =
            rune < 0xdc00 && low >= 0xdc00 && low < 0xe000
              ? ((rune - 0xd800) << 10) + (low - 0xdc00) + 0x10000
              : 0xfffd;
        }
        out.push(...encodeRune(rune));
      } else throw new EnvLineError(`invalid escape sequence: ${quoteByteString(v)}`);
      lastSignificant = out.length;
      mode = 'double';
    }
  }
  if (mode === 'double') throw new EnvLineError('unmatched "');
  if (mode === 'single') throw new EnvLineError("unmatched '");
  if (mode === 'escape') throw new EnvLineError('incomplete escape sequence');
  return [key.toString('utf8'), Buffer.from(out).toString('utf8')];
}

export type EnvFileResult =
  | { ok: true; vars: Map<string, string> }
  | { ok: false /** go-envparse's message: `error on line 2: missing =`. */; message: string };

/** Adds a line's variable (an empty value too: go-envparse keeps it, and Nomad sets it). */
function addLine(vars: Map<string, string>, pair: [string, string] | undefined): void {
  if (pair === undefined) return;
  vars.delete(pair[0]);
  vars.set(pair[0], pair[1]);
}

/** The variables of an `env = true` file's text, or Nomad's error for it. */
export function parseEnvFile(text: string): EnvFileResult {
  const vars = new Map<string, string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let index = 0; index < lines.length; index++) {
    const raw = (lines[index] ?? '').replace(/\r$/, '');
    if (Buffer.byteLength(lines[index] ?? '', 'utf8') >= MAX_LINE_BYTES) {
      const read = index;
      const reason = 'bufio.Scanner: token too long';
      return {
        ok: false,
        message: read > 0 ? `error on line ${read}: ${reason}` : `error reading: ${reason}`,
      };
    }
    try {
      addLine(vars, parseEnvLine(raw));
    } catch (error) {
      if (!(error instanceof EnvLineError)) throw error;
      return { ok: false, message: `error on line ${index + 1}: ${error.message}` };
    }
  }
  return { ok: true, vars };
}

export type EnvLinesResult =
  | { ok: true; vars: Map<string, string> }
  | { ok: false; line: number; message: string };

/** The variables of some lines of an env file (the certain lines of a template), in order. */
export function parseEnvLines(lines: readonly CertainLine[]): EnvLinesResult {
  const vars = new Map<string, string>();
  for (const { line, text } of lines) {
    try {
      addLine(vars, parseEnvLine(text.replace(/\r$/, '')));
    } catch (error) {
      if (!(error instanceof EnvLineError)) throw error;
      return { ok: false, line, message: error.message };
    }
  }
  return { ok: true, vars };
}

/**
 * Names a template's text writes as `KEY=` at the start of a line, or right after an action that
 * starts it (`{{ with … }}KEY=…`): for messages about what is missing.
 */
export function envNamesWritten(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^\s*(?:\{\{[^}]*\}\}\s*)*(?:export\s+)?([A-Za-z_][A-Za-z0-9_./]*)\s*=/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return [...names];
}
