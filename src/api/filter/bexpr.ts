// The go-bexpr expression language Nomad's `filter=` query parameter uses (hashicorp/go-bexpr, as
// Nomad pins it), written from its grammar and documented semantics:
//
//   Expr      := Or
//   Or        := And ("or" And)*
//   And       := Not ("and" Not)*
//   Not       := "not" Not | "(" Or ")" | Collection | Match
//   Collection:= ("any" | "all") Selector "as" Ident ["," Ident] "{" Or "}"
//   Match     := Selector ("==" | "!=") Value
//              | Selector ["not"] "contains" Value | Selector ["not"] "matches" Value
//              | Selector "is" ["not"] ("empty" | "nil")
//              | Value ["not"] "in" Selector
//   Selector  := Ident ("." Ident | "." Digits | "[" String "]")* | '"/json/pointer"'
//   Value     := String ("..." or `...`) | Number | Selector (taken as its text)
//
// Evaluation follows go-bexpr: the literal is coerced to the kind of the selected field (ParseInt,
// ParseFloat, ParseBool); `in`/`contains` mean element equality on lists, key presence on maps,
// substring on strings; a missing map key is "not present" (==, in, is not empty, matches, is not nil
// are false; their negations true); an unknown struct field is an evaluation error.
import { z } from 'zod';
import { unwrapField } from '../../nomad/schema/introspect.ts';
import { goTypeNameOf } from '../../nomad/schema/primitives.ts';

export class FilterSyntaxError extends Error {}
export class FilterEvalError extends Error {}

type SelectorPart = string;
interface Selector {
  parts: SelectorPart[];
  text: string;
}
interface Literal {
  kind: 'string' | 'number' | 'word';
  text: string;
}

export type Ast =
  | { type: 'or' | 'and'; left: Ast; right: Ast }
  | { type: 'not'; expr: Ast }
  | {
      type: 'collection';
      all: boolean;
      selector: Selector;
      names: string[];
      body: Ast;
    }
  | { type: 'match'; op: MatchOp; selector: Selector; value?: Literal };

type MatchOp =
  | '=='
  | '!='
  | 'in'
  | 'not in'
  | 'contains'
  | 'not contains'
  | 'matches'
  | 'not matches'
  | 'is empty'
  | 'is not empty'
  | 'is nil'
  | 'is not nil';

const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'contains',
  'matches',
  'is',
  'empty',
  'nil',
  'any',
  'all',
  'as',
]);

class Parser {
  readonly src: string;
  pos = 0;
  constructor(src: string) {
    this.src = src;
  }

  fail(expected: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split('\n').length;
    const col = this.pos - before.lastIndexOf('\n');
    const found = this.pos >= this.src.length ? 'end of input' : JSON.stringify(this.src[this.pos]);
    throw new FilterSyntaxError(
      `${line}:${col} (${this.pos}): no match found, expected: ${expected}, found ${found}`,
    );
  }

  ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  peekWord(): string | undefined {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    return m?.[0];
  }

  acceptWord(word: string): boolean {
    this.ws();
    if (this.peekWord() === word) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  accept(token: string): boolean {
    this.ws();
    if (this.src.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  parse(): Ast {
    const ast = this.or();
    this.ws();
    if (this.pos < this.src.length) this.fail('"and", "or" or end of input');
    return ast;
  }

  or(): Ast {
    let left = this.and();
    for (;;) {
      const save = this.pos;
      if (this.acceptWord('or')) left = { type: 'or', left, right: this.and() };
      else {
        this.pos = save;
        return left;
      }
    }
  }

  and(): Ast {
    let left = this.not();
    for (;;) {
      const save = this.pos;
      if (this.acceptWord('and')) left = { type: 'and', left, right: this.not() };
      else {
        this.pos = save;
        return left;
      }
    }
  }

  not(): Ast {
    this.ws();
    const save = this.pos;
    if (this.acceptWord('not')) {
      // `not` may also start `not in` only after a value, never at the start of an expression.
      return { type: 'not', expr: this.not() };
    }
    this.pos = save;
    if (this.accept('(')) {
      const expr = this.or();
      if (!this.accept(')')) this.fail('")"');
      return expr;
    }
    const word = this.peekWord();
    if (word === 'any' || word === 'all') {
      const afterWord = this.pos + word.length;
      const rest = this.src.slice(afterWord);
      if (/^\s+[A-Za-z"]/.test(rest)) return this.collection(word === 'all');
    }
    return this.match();
  }

  collection(all: boolean): Ast {
    this.acceptWord(all ? 'all' : 'any');
    this.ws();
    const selector = this.selector();
    if (!this.acceptWord('as')) this.fail('"as"');
    const names: string[] = [];
    this.ws();
    const first = this.identifier();
    if (first === undefined) this.fail('identifier');
    names.push(first);
    if (this.accept(',')) {
      this.ws();
      const second = this.identifier();
      if (second === undefined) this.fail('identifier');
      names.push(second);
    }
    if (!this.accept('{')) this.fail('"{"');
    const body = this.or();
    if (!this.accept('}')) this.fail('"}"');
    return { type: 'collection', all, selector, names, body };
  }

  identifier(): string | undefined {
    const m = /^[A-Za-z][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  stringLiteral(): string | undefined {
    const c = this.src[this.pos];
    if (c === '`') {
      const end = this.src.indexOf('`', this.pos + 1);
      if (end < 0) this.fail('"`"');
      const text = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
      return text;
    }
    if (c === '"') {
      let i = this.pos + 1;
      let out = '';
      while (i < this.src.length && this.src[i] !== '"') {
        if (this.src[i] === '\\') {
          const e = this.src[i + 1];
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '"': '"',
            '\\': '\\',
            '/': '/',
            b: '\b',
            f: '\f',
            a: '\x07',
            v: '\v',
          };
          if (e === 'u') {
            const hex = this.src.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.pos = i;
              this.fail('escape sequence');
            }
            out += String.fromCharCode(Number.parseInt(hex, 16));
            i += 6;
            continue;
          }
          if (e === undefined || map[e] === undefined) {
            this.pos = i;
            this.fail('escape sequence');
          }
          out += map[e];
          i += 2;
          continue;
        }
        out += this.src[i];
        i++;
      }
      if (i >= this.src.length) {
        this.pos = i;
        this.fail('"\\""');
      }
      this.pos = i + 1;
      return out;
    }
    return undefined;
  }

  selector(): Selector {
    const start = this.pos;
    if (this.src[this.pos] === '"') {
      const pointer = this.stringLiteral() ?? '';
      if (!pointer.startsWith('/')) this.fail('JSON pointer selector');
      const parts = pointer
        .slice(1)
        .split('/')
        .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
      return { parts, text: this.src.slice(start, this.pos) };
    }
    const first = this.identifier();
    if (first === undefined) this.fail('selector');
    const parts = [first];
    for (;;) {
      if (this.src[this.pos] === '.') {
        const m = /^\.([A-Za-z][A-Za-z0-9_]*|[0-9]+)/.exec(this.src.slice(this.pos));
        if (!m) this.fail('identifier');
        parts.push(m[1] ?? '');
        this.pos += m[0].length;
        continue;
      }
      if (this.src[this.pos] === '[') {
        this.pos++;
        this.ws();
        const key = this.stringLiteral();
        if (key === undefined) this.fail('string literal');
        this.ws();
        if (this.src[this.pos] !== ']') this.fail('"]"');
        this.pos++;
        parts.push(key);
        continue;
      }
      break;
    }
    return { parts, text: this.src.slice(start, this.pos) };
  }

  value(): Literal {
    this.ws();
    const c = this.src[this.pos];
    if (c === '"' || c === '`') return { kind: 'string', text: this.stringLiteral() ?? '' };
    const num = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?(?![A-Za-z0-9_.])/.exec(this.src.slice(this.pos));
    if (num) {
      this.pos += num[0].length;
      return { kind: 'number', text: num[0] };
    }
    if (c !== undefined && /[A-Za-z]/.test(c)) {
      const sel = this.selector();
      return { kind: 'word', text: sel.text };
    }
    return this.fail('value');
  }

  match(): Ast {
    this.ws();
    const start = this.pos;
    // Value ["not"] "in" Selector
    const c = this.src[this.pos];
    let tryValueFirst = true;
    if (c !== undefined && /[A-Za-z]/.test(c)) {
      const word = this.peekWord();
      if (word !== undefined && KEYWORDS.has(word)) tryValueFirst = false;
    }
    if (tryValueFirst) {
      try {
        const value = this.value();
        const save = this.pos;
        if (this.acceptWord('in')) {
          this.ws();
          return { type: 'match', op: 'in', selector: this.selector(), value };
        }
        this.pos = save;
        if (this.acceptWord('not') && this.acceptWord('in')) {
          this.ws();
          return { type: 'match', op: 'not in', selector: this.selector(), value };
        }
      } catch (error) {
        if (!(error instanceof FilterSyntaxError)) throw error;
      }
      this.pos = start;
    }
    if (c === '"' && !this.src.startsWith('"/', this.pos)) this.fail('selector');
    const selector = this.selector();
    if (this.accept('==')) return { type: 'match', op: '==', selector, value: this.value() };
    if (this.accept('!=')) return { type: 'match', op: '!=', selector, value: this.value() };
    const save = this.pos;
    if (this.acceptWord('is')) {
      const negated = this.acceptWord('not');
      if (this.acceptWord('empty'))
        return { type: 'match', op: negated ? 'is not empty' : 'is empty', selector };
      if (this.acceptWord('nil')) return { type: 'match', op: negated ? 'is not nil' : 'is nil', selector };
      this.fail('"empty" or "nil"');
    }
    this.pos = save;
    const negated = this.acceptWord('not');
    if (this.acceptWord('contains')) {
      return { type: 'match', op: negated ? 'not contains' : 'contains', selector, value: this.value() };
    }
    if (this.acceptWord('matches')) {
      return { type: 'match', op: negated ? 'not matches' : 'matches', selector, value: this.value() };
    }
    return this.fail('"==", "!=", "is", "contains", "matches", "in" or "not in"');
  }
}

/** Parses a filter expression; throws FilterSyntaxError. */
export function parseFilter(expression: string): Ast {
  return new Parser(expression).parse();
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

const MISSING = Symbol('missing');
type Resolved = { value: unknown; schema: z.ZodType | undefined } | typeof MISSING;

type Env = Map<string, { value: unknown; schema: z.ZodType | undefined }>;

function isStructSchema(schema: z.ZodType | undefined): schema is z.ZodObject {
  return schema !== undefined && unwrapField(schema) instanceof z.ZodObject;
}

function resolve(root: unknown, rootSchema: z.ZodType | undefined, selector: Selector, env: Env): Resolved {
  let value = root;
  let schema = rootSchema;
  let parts = selector.parts;
  const bound = env.get(parts[0] ?? '');
  if (bound) {
    value = bound.value;
    schema = bound.schema;
    parts = parts.slice(1);
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const inner = schema ? unwrapField(schema) : undefined;
    if (value === null || value === undefined) return MISSING;
    if (Array.isArray(value)) {
      if (!/^[0-9]+$/.test(part)) {
        throw new FilterEvalError(
          `error finding value in datum: /${parts.join('/')} at part ${i}: unable to convert ${JSON.stringify(part)} to a slice index`,
        );
      }
      const index = Number(part);
      if (index >= value.length) return MISSING;
      value = value[index];
      schema = inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
      continue;
    }
    if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (isStructSchema(inner)) {
        if (!Object.hasOwn(inner.shape, part)) {
          throw new FilterEvalError(
            `error finding value in datum: /${parts.join('/')} at part ${i}: couldn't find key: struct field with name ${JSON.stringify(part)}`,
          );
        }
        value = record[part];
        schema = inner.shape[part] as z.ZodType;
        continue;
      }
      if (!Object.hasOwn(record, part)) return MISSING;
      value = record[part];
      schema = inner instanceof z.ZodRecord ? (inner.valueType as z.ZodType) : undefined;
      continue;
    }
    throw new FilterEvalError(
      `error finding value in datum: /${parts.join('/')} at part ${i}: can't descend into a ${typeof value}`,
    );
  }
  return { value, schema };
}

function parseGoBoolText(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

function parseGoIntText(text: string): number | undefined {
  // strconv.ParseInt(text, 0, 64): optional sign, 0x / 0o / 0b / leading-0 octal prefixes, underscores.
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let body = (m[2] ?? '').replaceAll('_', '');
  let radix = 10;
  if (/^0[xX]/.test(body)) {
    radix = 16;
    body = body.slice(2);
  } else if (/^0[oO]/.test(body)) {
    radix = 8;
    body = body.slice(2);
  } else if (/^0[bB]/.test(body)) {
    radix = 2;
    body = body.slice(2);
  } else if (body.length > 1 && body.startsWith('0')) {
    radix = 8;
    body = body.slice(1);
  }
  if (body === '') return undefined;
  return sign * Number.parseInt(body, radix);
}

/** Coerces the literal to the kind of `sample`, or throws like go-bexpr when it cannot. */
function equal(sample: unknown, literal: Literal): boolean {
  if (typeof sample === 'string') return sample === literal.text;
  if (typeof sample === 'boolean') {
    const b = parseGoBoolText(literal.text);
    if (b === undefined) throw new FilterEvalError(`failed to coerce value "${literal.text}" to bool`);
    return sample === b;
  }
  if (typeof sample === 'number') {
    const n = Number.isInteger(sample)
      ? (parseGoIntText(literal.text) ?? Number(literal.text))
      : Number(literal.text);
    if (!Number.isFinite(n) || (Number.isInteger(sample) && !Number.isInteger(n))) {
      throw new FilterEvalError(
        `failed to coerce value "${literal.text}" to ${Number.isInteger(sample) ? 'int' : 'float64'}`,
      );
    }
    return sample === n;
  }
  if (sample === null || sample === undefined) return false;
  throw new FilterEvalError('unable to find suitable primitive comparison function for matching');
}

/** Equality of a literal against a value whose kind comes from the schema when the value is absent. */
function equalTyped(value: unknown, schema: z.ZodType | undefined, literal: Literal): boolean {
  if (value === null || value === undefined) {
    const goType = schema ? goTypeNameOf(unwrapField(schema)) : undefined;
    if (goType === 'string') return literal.text === '';
    return false;
  }
  return equal(value, literal);
}

function contains(container: unknown, schema: z.ZodType | undefined, literal: Literal): boolean {
  if (Array.isArray(container)) {
    const inner = schema ? unwrapField(schema) : undefined;
    const elementSchema = inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
    return container.some((item) => {
      try {
        return equalTyped(item, elementSchema, literal);
      } catch {
        return false;
      }
    });
  }
  if (typeof container === 'string') return container.includes(literal.text);
  if (container === null || container === undefined) return false;
  if (typeof container === 'object') return Object.hasOwn(container, literal.text);
  throw new FilterEvalError(`unable to find suitable primitive comparison function for matching`);
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  throw new FilterEvalError('unable to find suitable primitive comparison function for matching');
}

const regexCache = new Map<string, RegExp>();
function goRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      // RE2 syntax is mostly a subset of JavaScript's; (?i) style flags at the start are mapped.
      const flags = /^\(\?([imsU]+)\)/.exec(pattern);
      const body = flags ? pattern.slice(flags[0].length) : pattern;
      const jsFlags = `u${flags?.[1]?.includes('i') ? 'i' : ''}${flags?.[1]?.includes('s') ? 's' : ''}${flags?.[1]?.includes('m') ? 'm' : ''}`;
      re = new RegExp(body, jsFlags);
    } catch (error) {
      throw new FilterEvalError(`failed to compile regular expression: ${(error as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

function evaluate(ast: Ast, root: unknown, schema: z.ZodType | undefined, env: Env): boolean {
  switch (ast.type) {
    case 'or':
      return evaluate(ast.left, root, schema, env) || evaluate(ast.right, root, schema, env);
    case 'and':
      return evaluate(ast.left, root, schema, env) && evaluate(ast.right, root, schema, env);
    case 'not':
      return !evaluate(ast.expr, root, schema, env);
    case 'collection': {
      const resolved = resolve(root, schema, ast.selector, env);
      if (resolved === MISSING || resolved.value === null || resolved.value === undefined) return ast.all;
      const { value } = resolved;
      const inner = resolved.schema ? unwrapField(resolved.schema) : undefined;
      let items: Array<[unknown, unknown]>;
      let valueSchema: z.ZodType | undefined;
      if (Array.isArray(value)) {
        items = value.map((v, i) => [i, v]);
        valueSchema = inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
      } else if (typeof value === 'object' && !isStructSchema(inner)) {
        items = Object.entries(value as Record<string, unknown>);
        valueSchema = inner instanceof z.ZodRecord ? (inner.valueType as z.ZodType) : undefined;
      } else {
        throw new FilterEvalError(`${ast.selector.text} is not a list or map`);
      }
      const test = ([k, v]: [unknown, unknown]) => {
        const local: Env = new Map(env);
        if (ast.names.length === 2) {
          local.set(ast.names[0] ?? '', { value: k, schema: undefined });
          local.set(ast.names[1] ?? '', { value: v, schema: valueSchema });
        } else if (Array.isArray(value)) {
          local.set(ast.names[0] ?? '', { value: v, schema: valueSchema });
        } else {
          local.set(ast.names[0] ?? '', { value: k, schema: undefined });
        }
        return evaluate(ast.body, root, schema, local);
      };
      return ast.all ? items.every(test) : items.some(test);
    }
    case 'match': {
      const resolved = resolve(root, schema, ast.selector, env);
      const literal = ast.value ?? { kind: 'string' as const, text: '' };
      if (resolved === MISSING) {
        return ['!=', 'not in', 'not contains', 'is empty', 'not matches', 'is nil'].includes(ast.op);
      }
      const { value, schema: valueSchema } = resolved;
      switch (ast.op) {
        case '==':
          return equalTyped(value, valueSchema, literal);
        case '!=':
          return !equalTyped(value, valueSchema, literal);
        case 'in':
        case 'contains':
          return contains(value, valueSchema, literal);
        case 'not in':
        case 'not contains':
          return !contains(value, valueSchema, literal);
        case 'is empty':
          return isEmpty(value);
        case 'is not empty':
          return !isEmpty(value);
        case 'is nil':
          return value === null || value === undefined;
        case 'is not nil':
          return !(value === null || value === undefined);
        case 'matches':
        case 'not matches': {
          if (typeof value !== 'string') {
            if (value === null || value === undefined) return ast.op === 'not matches';
            throw new FilterEvalError('unable to find suitable primitive comparison function for matching');
          }
          const result = goRegex(literal.text).test(value);
          return ast.op === 'matches' ? result : !result;
        }
      }
    }
  }
  return false;
}

export interface CompiledFilter {
  /** True when `datum` matches; throws FilterEvalError like go-bexpr's evaluator. */
  matches(datum: unknown): boolean;
}

/** Compiles `expression`; `schema` (e.g. JobSchema) tells structs (unknown field = error) from maps. */
export function compileFilter(expression: string, schema?: z.ZodType): CompiledFilter {
  const ast = parseFilter(expression);
  return { matches: (datum) => evaluate(ast, datum, schema, new Map()) };
}
