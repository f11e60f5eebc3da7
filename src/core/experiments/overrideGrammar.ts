import { PyFloat, pyFloatRepr, pyNumberText } from '../pipeline/values';

/**
 * Hydra's override grammar (hydra-core 1.3: `hydra/grammar/OverrideLexer.g4`, `OverrideParser.g4`
 * and its visitor), which `dvc exp run -S` parses each override with. The lexer follows ANTLR's
 * rules (longest token wins, the first rule on a tie, two modes: the key before `=`, the value
 * after it); the parser is the grammar's few rules by recursive descent. Functions are evaluated
 * as Hydra's `grammar_functions` do.
 */

/** A string written in quotes (`'a b'`, `"x"`): kept apart so printing it gives the quotes back. */
export class QuotedString {
  constructor(
    readonly text: string,
    readonly quote: "'" | '"',
  ) {}
}

/**
 * One value of an override, as Hydra parses it: ints as numbers, floats as numbers (whole ones
 * as PyFloat, so `1.0` stays a float), `null`, booleans, strings (quoted ones as QuotedString),
 * lists, and dicts (a Map: keys keep their order, as Python's dict).
 */
export type OverrideElement = null | boolean | number | PyFloat | string | QuotedString | OverrideElement[] | OverrideDict;
export type OverrideDict = Map<string, OverrideElement>;

/** The part after `=`: one element, or a sweep that a queue expands into one override per value. */
export type OverrideValue =
  | { kind: 'element'; element: OverrideElement }
  /** `a,b,c` (simpleForm) or `choice(a,b,c)`. */
  | { kind: 'choice'; choices: OverrideElement[]; simpleForm: boolean }
  /** `range(start, stop[, step])`: Python's range, or Hydra's float range when any bound is a float. */
  | { kind: 'range'; start: number | PyFloat; stop: number | PyFloat; step: number | PyFloat }
  /** `interval(a, b)`: a continuous sweep, which dvc's sweeper refuses. */
  | { kind: 'interval'; start: number; end: number }
  /** `glob(...)`: config-group choices, which dvc refuses. */
  | { kind: 'glob'; include: OverrideElement[]; exclude: OverrideElement[] };

/** `key=v` changes an existing key, `+key=v` adds one, `++key=v` adds or changes, `~key[=v]` deletes. */
export type OverrideType = 'change' | 'add' | 'forceAdd' | 'delete';

export interface Override {
  type: OverrideType;
  /** The dotted key (`train.lr`, `layers.0`). */
  key: string;
  /** `group@package`: parsed, though dvc has no config groups to apply it to. */
  package?: string;
  /** Absent only for a bare `~key`. */
  value?: OverrideValue;
  /** The override as given (after the file prefix). */
  input: string;
}

/** Why an override does not parse: the message says where. */
export class OverrideSyntaxError extends Error {}

/** Parse one override (`train.lr=0.1`, `+a.b=[1,2]`, `~c`), as Hydra's OverridesParser does. */
export function parseOverride(input: string): Override {
  const parser = new Parser(input);
  return parser.override();
}

/** Whether a value is a sweep (a choice, range, interval or glob) rather than one element. */
export function isSweep(value: OverrideValue | undefined): boolean {
  return value !== undefined && value.kind !== 'element';
}

/**
 * The elements a choice or range sweep stands for, in order, as Hydra's `sweep_iterator` lists
 * them. Throws an OverrideSyntaxError for an interval or glob, which cannot be listed.
 */
export function sweepElements(value: OverrideValue): OverrideElement[] {
  switch (value.kind) {
    case 'element':
      return [value.element];
    case 'choice':
      return value.choices;
    case 'range':
      return rangeElements(value);
    case 'interval':
      throw new OverrideSyntaxError('BasicSweeper does not support sweep type : INTERVAL_SWEEP');
    case 'glob':
      throw new OverrideSyntaxError('glob is not supported');
  }
}

/**
 * An element as Hydra prints it back into an override (`_get_value_element_as_str`): the text
 * dvc's sweeps queue as `key=<text>`. Parsing it gives the element back, except where Hydra's
 * printing itself loses the type (a string `'5'` made by `str(5)` prints as `5`).
 */
export function printElement(element: OverrideElement): string {
  if (element === null) return 'null';
  if (element instanceof QuotedString) return withQuotes(element);
  if (Array.isArray(element)) return `[${element.map(printElement).join(',')}]`;
  if (element instanceof Map) return `{${[...element].map(([k, v]) => `${escapeSpecial(k)}:${printElement(v)}`).join(',')}}`;
  if (typeof element === 'string') return escapeSpecial(element);
  if (typeof element === 'boolean') return element ? 'True' : 'False';
  return pyNumberText(element);
}

/** The whole override printed back (`+train.lr=0.1`), for an element value. */
export function printOverride(override: Override, element: OverrideElement | undefined = elementOf(override.value)): string {
  const keyElement = overrideKeyElement(override);
  if (override.type === 'delete' && override.value === undefined) return keyElement;
  return `${keyElement}=${printElement(element ?? null)}`;
}

/** Hydra's key element: the prefix (`+`, `++`, `~`), the key and any `@package`; `+a` and `a` differ. */
export function overrideKeyElement(override: Override): string {
  const prefix = { change: '', add: '+', forceAdd: '++', delete: '~' }[override.type];
  return `${prefix}${override.key}${override.package === undefined ? '' : `@${override.package}`}`;
}

function elementOf(value: OverrideValue | undefined): OverrideElement | undefined {
  if (value === undefined) return undefined;
  if (value.kind !== 'element') throw new OverrideSyntaxError('Cannot convert sweep to str');
  return value.element;
}

/** A Python-like float (the value of a FLOAT token or of float()). */
function pyFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

function isFloat(v: unknown): v is number | PyFloat {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

function numeric(v: number | PyFloat): number {
  return v instanceof PyFloat ? v.value : v;
}

function rangeElements(range: { start: number | PyFloat; stop: number | PyFloat; step: number | PyFloat }): OverrideElement[] {
  const out: OverrideElement[] = [];
  const [start, stop, step] = [numeric(range.start), numeric(range.stop), numeric(range.step)];
  const floats = isFloat(range.start) || isFloat(range.stop) || isFloat(range.step);
  if (step === 0) {
    throw new OverrideSyntaxError(floats ? `Invalid range values (start:${start}, stop:${stop}, step:${step})` : 'range() arg 3 must not be zero');
  }
  if (!floats) {
    for (let v = start; step > 0 ? v < stop : v > stop; v += step) {
      if (out.length >= MAX_SWEEP) throw tooManyValues();
      out.push(v);
    }
    return out;
  }
  // Hydra steps with Python's Decimal made from each float, so 0.1 + 0.2 adds exactly what the floats hold.
  const [s, e, d] = [exactDecimal(start), exactDecimal(stop), exactDecimal(step)];
  const scale = Math.max(s.scale, e.scale, d.scale);
  let at = s.units * 10n ** BigInt(scale - s.scale);
  const end = e.units * 10n ** BigInt(scale - e.scale);
  const by = d.units * 10n ** BigInt(scale - d.scale);
  while (by > 0n ? at < end : at > end) {
    if (out.length >= MAX_SWEEP) throw tooManyValues();
    out.push(pyFloat(Number(decimalText(at, scale))));
    at += by;
  }
  return out;
}

/** More values than any queue would take: refused rather than filling memory. */
const MAX_SWEEP = 100_000;

function tooManyValues(): OverrideSyntaxError {
  return new OverrideSyntaxError(`the sweep has more than ${MAX_SWEEP} values`);
}

/** A finite double as the exact decimal it holds, units × 10^-scale (Python's Decimal(float)). */
function exactDecimal(n: number): { units: bigint; scale: number } {
  if (!Number.isFinite(n)) throw new OverrideSyntaxError(`range() bound ${pyFloatRepr(n)} is not a finite number`);
  // n = mantissa × 2^exponent, and 2^-k = 5^k / 10^k.
  const { mantissa, exponent } = binaryParts(n);
  if (exponent >= 0) return { units: mantissa << BigInt(exponent), scale: 0 };
  return { units: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

function binaryParts(n: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  return { mantissa: sign * mantissa, exponent: (biased === 0 ? 1 : biased) - 1075 };
}

function decimalText(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

// ---- Printing strings (hydra/_internal/grammar/utils.py) ----

/** The characters an unquoted string escapes with `\` (Hydra's `_ESC`). */
const SPECIAL = '\\()[]{}:=, \t';

function escapeSpecial(s: string): string {
  let out = '';
  for (const c of s) out += SPECIAL.includes(c) ? `\\${c}` : c;
  return out;
}

/** Hydra's `QuotedString.with_quotes`: backslashes before a quote doubled, the quote escaped. */
function withQuotes(q: QuotedString): string {
  const text = q.text + q.quote;
  let out = '';
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (text[j] === '\\') j++;
    if (j > i && text[j] === q.quote) {
      out += '\\'.repeat((j - i) * 2);
      if (j < text.length - 1) out += `\\${q.quote}`;
      i = j + 1;
    } else if (text[i] === q.quote) {
      if (i < text.length - 1) out += `\\${q.quote}`;
      i++;
    } else {
      out += text.slice(i, j > i ? j : i + 1);
      i = j > i ? j : i + 1;
    }
  }
  return `${q.quote}${out}${q.quote}`;
}

// ---- Lexer (OverrideLexer.g4) ----

type TokenType =
  | 'EQUAL' | 'TILDE' | 'PLUS' | 'AT' | 'COLON' | 'SLASH' | 'ID' | 'KEY_SPECIAL' | 'DOT_PATH'
  | 'POPEN' | 'COMMA' | 'PCLOSE' | 'BRACKET_OPEN' | 'BRACKET_CLOSE' | 'BRACE_OPEN' | 'BRACE_CLOSE'
  | 'FLOAT' | 'INT' | 'BOOL' | 'NULL' | 'UNQUOTED_CHAR' | 'ESC' | 'WS' | 'QUOTED_VALUE' | 'INTERPOLATION' | 'EOF';

interface Token {
  type: TokenType;
  text: string;
  at: number;
}

const INT_UNSIGNED = '(?:0|[1-9](?:_?[0-9])*)';
const KEY_SPECIAL = '[a-zA-Z_$][a-zA-Z0-9_\\-$]*';
// The longer alternative first: a JS alternation takes the first that matches, ANTLR the longest.
const POINT_FLOAT = `(?:${INT_UNSIGNED}?\\.[0-9](?:_?[0-9])*|${INT_UNSIGNED}\\.)`;
const EXPONENT_FLOAT = `(?:(?:${POINT_FLOAT}|${INT_UNSIGNED})[eE][+-]?[0-9](?:_?[0-9])*)`;
const WS = '[ \\t]+';

// Each mode's rules in the grammar's order: the longest match wins, the first on a tie.
const KEY_RULES: [TokenType, RegExp][] = [
  ['EQUAL', new RegExp(`=(?:${WS})?`, 'y')],
  ['TILDE', /~/y],
  ['PLUS', /\+/y],
  ['AT', /@/y],
  ['COLON', /:/y],
  ['SLASH', /\//y],
  ['ID', /[a-zA-Z_][a-zA-Z0-9_-]*/y],
  ['KEY_SPECIAL', new RegExp(KEY_SPECIAL, 'y')],
  ['DOT_PATH', new RegExp(`(?:${KEY_SPECIAL}|${INT_UNSIGNED})(?:\\.(?:${KEY_SPECIAL}|${INT_UNSIGNED}))+`, 'y')],
];

const VALUE_RULES: [TokenType, RegExp][] = [
  ['POPEN', new RegExp(`(?:${WS})?\\((?:${WS})?`, 'y')],
  ['COMMA', new RegExp(`(?:${WS})?,(?:${WS})?`, 'y')],
  ['PCLOSE', new RegExp(`(?:${WS})?\\)`, 'y')],
  ['BRACKET_OPEN', new RegExp(`\\[(?:${WS})?`, 'y')],
  ['BRACKET_CLOSE', new RegExp(`(?:${WS})?\\]`, 'y')],
  ['BRACE_OPEN', new RegExp(`\\{(?:${WS})?`, 'y')],
  ['BRACE_CLOSE', new RegExp(`(?:${WS})?\\}`, 'y')],
  ['COLON', new RegExp(`(?:${WS})?:(?:${WS})?`, 'y')],
  ['EQUAL', new RegExp(`(?:${WS})?=(?:${WS})?`, 'y')],
  ['FLOAT', new RegExp(`[+-]?(?:${EXPONENT_FLOAT}|${POINT_FLOAT}|[Ii][Nn][Ff]|[Nn][Aa][Nn])`, 'y')],
  ['INT', new RegExp(`[+-]?${INT_UNSIGNED}`, 'y')],
  ['BOOL', /[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]/y],
  ['NULL', /[Nn][Uu][Ll][Ll]/y],
  ['UNQUOTED_CHAR', /[/\-\\+.$%*@?|]/y],
  ['ID', /[a-zA-Z_][a-zA-Z0-9_-]*/y],
  ['ESC', /(?:\\\\|\\[()[\]{}:=, \t])+/y],
  ['WS', new RegExp(WS, 'y')],
  ['INTERPOLATION', /\$\{[^}]+\}/y],
];

/** Longest match of a regex rule at `at`; JS alternations are not longest-first, so each alternative of the number rules is tried. */
function matchLength(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? m[0].length : 0;
}

/** The number rules written as alternatives whose longest match JS's first-match would miss. */
const FLOAT_PARTS = [
  new RegExp(`[+-]?${EXPONENT_FLOAT}`, 'y'),
  new RegExp(`[+-]?${POINT_FLOAT}`, 'y'),
  /[+-]?(?:[Ii][Nn][Ff]|[Nn][Aa][Nn])/y,
];

/**
 * A quoted value at `at`, as the lexer's QUOTED_VALUE matches it: the shortest text from the
 * opening quote to a closing one that is preceded by an even number of backslashes (the
 * grammar's `(.)*? ~[\\] ('\\\\')*` before the quote, or only backslash pairs).
 */
function quotedLength(text: string, at: number): number {
  const q = text[at];
  if (q !== "'" && q !== '"') return 0;
  for (let end = at + 1; end < text.length; end++) {
    if (text[end] !== q) continue;
    let backslashes = 0;
    while (text[end - 1 - backslashes] === '\\' && end - 1 - backslashes > at) backslashes++;
    // An even run closes: either only backslash pairs follow the opening quote, or a character does.
    if (backslashes % 2 === 0) return end - at + 1;
  }
  return 0;
}

class Lexer {
  private at = 0;
  private mode: 'key' | 'value' = 'key';

  constructor(private readonly text: string) {}

  next(): Token {
    const { text, at } = this;
    if (at >= text.length) return { type: 'EOF', text: '', at };
    let best: Token | undefined;
    const rules = this.mode === 'key' ? KEY_RULES : VALUE_RULES;
    for (const [type, re] of rules) {
      const length = type === 'FLOAT' ? Math.max(...FLOAT_PARTS.map((p) => matchLength(p, text, at))) : matchLength(re, text, at);
      if (length > (best?.text.length ?? 0)) best = { type, text: text.slice(at, at + length), at };
    }
    if (this.mode === 'value') {
      // QUOTED_VALUE (between WS and INTERPOLATION in the grammar) starts with a quote, which no other rule matches.
      const quoted = quotedLength(text, at);
      if (quoted > (best?.text.length ?? 0)) best = { type: 'QUOTED_VALUE', text: text.slice(at, at + quoted), at };
    }
    if (!best) {
      throw new OverrideSyntaxError(`token recognition error at: '${text[at]}' (column ${at + 1})`);
    }
    // KEY_ID is typed ID, KEY_SPECIAL stays itself; the value mode's VALUE_COLON/VALUE_EQUAL are COLON/EQUAL (done by naming).
    if (best.type === 'EQUAL' && this.mode === 'key') this.mode = 'value';
    this.at += best.text.length;
    return best;
  }
}

// ---- Parser (OverrideParser.g4) and the visitor's values ----

const PRIMITIVE_TOKENS: ReadonlySet<TokenType> = new Set(['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'INTERPOLATION', 'UNQUOTED_CHAR', 'COLON', 'ESC', 'WS']);
const DICT_KEY_TOKENS: ReadonlySet<TokenType> = new Set(['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'UNQUOTED_CHAR', 'ESC', 'WS']);

/** What a function call evaluates to before it is an element or a sweep. */
type Evaluated = OverrideElement | Exclude<OverrideValue, { kind: 'element' }>;

class Parser {
  private readonly lexer: Lexer;
  private token: Token;
  private peeked: Token | undefined;

  constructor(private readonly input: string) {
    this.lexer = new Lexer(input);
    this.token = this.lexer.next();
  }

  override(): Override {
    let type: OverrideType = 'change';
    if (this.token.type === 'PLUS') {
      this.advance();
      type = 'add';
      if (this.token.type === 'PLUS') {
        this.advance();
        type = 'forceAdd';
      }
    } else if (this.token.type === 'TILDE') {
      this.advance();
      type = 'delete';
    }
    const { key, pkg } = this.key();
    let value: OverrideValue | undefined;
    if (type === 'delete' && this.token.type === 'EOF') {
      value = undefined;
    } else {
      this.expect('EQUAL');
      value = this.token.type === 'EOF' ? { kind: 'element', element: '' } : this.value();
    }
    this.expect('EOF');
    const inner = value === undefined ? undefined : innerSweep(value.kind === 'element' ? [value.element] : value.kind === 'choice' ? value.choices : []);
    if (inner) throw new OverrideSyntaxError(`a ${inner} sweep can only be the whole value of an override, not a part of it`);
    return { type, key, ...(pkg !== undefined ? { package: pkg } : {}), ...(value !== undefined ? { value } : {}), input: this.input };
  }

  private key(): { key: string; pkg?: string } {
    let key = '';
    if (this.token.type === 'ID' && this.peek().type === 'SLASH') {
      key = this.token.text;
      this.advance();
      while (this.peekType() === 'SLASH') {
        this.advance();
        key += `/${this.expect('ID').text}`;
      }
    } else {
      key = this.packageName();
    }
    if (this.token.type !== 'AT') return { key };
    this.advance();
    return { key, pkg: this.packageName() };
  }

  private packageName(): string {
    if (this.token.type === 'ID' || this.token.type === 'KEY_SPECIAL' || this.token.type === 'DOT_PATH') return this.advance().text;
    return ''; // the grammar's empty package
  }

  private value(): OverrideValue {
    const first = this.element();
    if (this.token.type !== 'COMMA') return asValue(first);
    const choices = [held(first)];
    while (this.token.type === 'COMMA') {
      this.advance();
      choices.push(held(this.element()));
    }
    return { kind: 'choice', choices, simpleForm: true };
  }

  private element(): Evaluated {
    switch (this.token.type) {
      case 'BRACKET_OPEN':
        return this.list();
      case 'BRACE_OPEN':
        return this.dict();
      case 'QUOTED_VALUE':
        return unquote(this.advance().text);
      case 'ID':
        if (this.peek().type === 'POPEN') return this.call();
        return this.primitive(PRIMITIVE_TOKENS);
      default:
        if (PRIMITIVE_TOKENS.has(this.token.type)) return this.primitive(PRIMITIVE_TOKENS);
        throw this.unexpected();
    }
  }

  private list(): OverrideElement[] {
    this.expect('BRACKET_OPEN');
    const items: OverrideElement[] = [];
    if (this.token.type !== 'BRACKET_CLOSE') {
      items.push(held(this.element()));
      while (this.token.type === 'COMMA') {
        this.advance();
        items.push(held(this.element()));
      }
    }
    this.expect('BRACKET_CLOSE');
    return items;
  }

  private dict(): OverrideDict {
    this.expect('BRACE_OPEN');
    const dict = new Map<string, Evaluated>();
    const identities = new Map<string, string>();
    if (this.token.type !== 'BRACE_CLOSE') {
      for (;;) {
        if (!DICT_KEY_TOKENS.has(this.token.type)) throw this.unexpected();
        const key = this.primitive(DICT_KEY_TOKENS);
        this.expect('COLON');
        const value = this.element();
        // Python's dict: equal keys (1, 1.0, true) are one key, the first spelling with the last value.
        const identity = keyIdentity(key);
        const first = identities.get(identity);
        if (first === undefined) identities.set(identity, dictKeyText(key));
        dict.set(first ?? dictKeyText(key), value);
        if (this.token.type !== 'COMMA') break;
        this.advance();
      }
    }
    this.expect('BRACE_CLOSE');
    // Checked once the keys are known: a sweep replaced by a later value of its key is gone, as in Python.
    return new Map([...dict].map(([k, v]) => [k, held(v)]));
  }

  /** `name(arg, ..., kw=arg)`, evaluated as Hydra's registered functions. */
  private call(): Evaluated {
    const start = this.token.at;
    const name = this.advance().text;
    this.expect('POPEN');
    const args: Evaluated[] = [];
    const kwargs = new Map<string, Evaluated>();
    if (this.token.type !== 'PCLOSE') {
      for (;;) {
        if (this.token.type === 'ID' && this.peek().type === 'EQUAL') {
          const argName = this.advance().text;
          this.advance();
          kwargs.set(argName, this.element());
        } else {
          const arg = this.element();
          if (kwargs.size > 0) throw new OverrideSyntaxError('positional argument follows keyword argument');
          args.push(arg);
        }
        if (this.token.type !== 'COMMA') break;
        this.advance();
      }
    }
    const close = this.expect('PCLOSE');
    const text = this.input.slice(start, close.at + close.text.length).replace(/[ \t]/g, '');
    try {
      return callFunction(name, args, kwargs);
    } catch (err) {
      if (!(err instanceof FunctionError)) throw err;
      throw new OverrideSyntaxError(`${err.kind} while evaluating '${text}': ${err.message}`);
    }
  }

  /** A run of primitive tokens: one token keeps its type; several join into a string (escapes undone, outer spaces dropped). */
  private primitive(allowed: ReadonlySet<TokenType>): OverrideElement {
    const tokens: Token[] = [];
    while (allowed.has(this.token.type)) tokens.push(this.advance());
    let first = 0;
    let last = tokens.length;
    if (tokens[0].type === 'WS') {
      if (tokens.length === 1) throw new OverrideSyntaxError('Trying to parse a primitive that is all whitespaces');
      first = 1;
    }
    if (tokens[last - 1].type === 'WS') last--;
    if (last - first > 1) {
      return tokens.slice(first, last).map((t) => (t.type === 'ESC' ? unescape(t.text) : t.text)).join('');
    }
    const token = tokens[first];
    switch (token.type) {
      case 'INT':
        return pythonInt(token.text);
      case 'FLOAT':
        return pyFloat(pythonFloat(token.text));
      case 'NULL':
        return null;
      case 'BOOL':
        return token.text.toLowerCase() === 'true';
      case 'ESC':
        return unescape(token.text);
      default:
        return token.text;
    }
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.peeked ?? this.lexer.next();
    this.peeked = undefined;
    return current;
  }

  /** The current token's type, read afresh (TypeScript narrows `this.token.type` across advance()). */
  private peekType(): TokenType {
    return this.token.type;
  }

  private peek(): Token {
    return (this.peeked ??= this.lexer.next());
  }

  private expect(type: TokenType): Token {
    if (this.token.type !== type) throw this.unexpected();
    return this.advance();
  }

  private unexpected(): OverrideSyntaxError {
    const t = this.token;
    return new OverrideSyntaxError(t.type === 'EOF' ? `unexpected end of the override (column ${t.at + 1})` : `unexpected '${t.text}' (column ${t.at + 1})`);
  }
}

function asValue(evaluated: Evaluated): OverrideValue {
  return isSweepResult(evaluated) ? evaluated : { kind: 'element', element: evaluated };
}

function isSweepResult(v: Evaluated): v is Exclude<OverrideValue, { kind: 'element' }> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof QuotedString) && !(v instanceof PyFloat);
}

/**
 * A value held inside a list, dict or choice before the override is complete. Hydra lets a sweep
 * sit there until OmegaConf refuses it, and a later dict key may still replace it, so it is
 * checked once, at the end (`innerSweep`).
 */
function held(v: Evaluated): OverrideElement {
  return v as OverrideElement;
}

/** The first sweep found inside a value (not at its top), if any. */
function innerSweep(v: unknown): string | undefined {
  const items = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : [];
  for (const item of items) {
    if (isSweepResult(item as Evaluated)) return (item as { kind: string }).kind;
    const inner = innerSweep(item);
    if (inner) return inner;
  }
  return undefined;
}

/** ESC tokens are backslash + character pairs: keep every second character. */
function unescape(text: string): string {
  let out = '';
  for (let i = 1; i < text.length; i += 2) out += text[i];
  return out;
}

/** A QUOTED_VALUE's text: only backslashes before a quote are escapes (`\'` → `'`, `\\'` → `\` at the end). */
function unquote(token: string): QuotedString {
  const q = token[0] as "'" | '"';
  const body = token.slice(1);
  let out = '';
  let i = 0;
  while (i < body.length) {
    let j = i;
    while (body[j] === '\\') j++;
    if (j < body.length && body[j] === q) {
      // A run of n backslashes then a quote: n/2 backslashes (rounded down), then the quote unless it closes.
      out += '\\'.repeat(Math.floor((j - i) / 2));
      if (j < body.length - 1) out += q;
      i = j + 1;
    } else {
      out += body.slice(i, j === i ? i + 1 : j);
      i = j === i ? i + 1 : j;
    }
  }
  return new QuotedString(out, q);
}

function pythonInt(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n)) throw new OverrideSyntaxError(`the integer ${text} is too large (Cairn keeps integers within ±2^53)`);
  return n === 0 ? 0 : n; // no -0
}

function pythonFloat(text: string): number {
  const t = text.replace(/_/g, '').toLowerCase();
  if (/^[+-]?inf$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  return Number(t);
}

function keyIdentity(key: OverrideElement): string {
  if (typeof key === 'boolean') return `n:${key ? 1 : 0}`;
  if (typeof key === 'number' || key instanceof PyFloat) return `n:${numeric(key)}`;
  return key === null ? 'null' : `s:${String(key)}`;
}

function dictKeyText(key: OverrideElement): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (key instanceof PyFloat || typeof key === 'number') return pyNumberText(key);
  return String(key);
}

// ---- Functions (hydra/_internal/grammar/grammar_functions.py) ----

class FunctionError extends Error {
  constructor(
    readonly kind: 'TypeError' | 'ValueError' | 'HydraException',
    message: string,
  ) {
    super(message);
  }
}

const CAST_NAMES = ['int', 'float', 'str', 'bool'] as const;
type CastName = (typeof CAST_NAMES)[number];

function callFunction(name: string, quotedArgs: Evaluated[], quotedKwargs: Map<string, Evaluated>): Evaluated {
  // Hydra's Functions.eval passes quoted arguments on as plain strings (not those inside lists or dicts).
  const plain = (v: Evaluated) => (v instanceof QuotedString ? v.text : v);
  const args = quotedArgs.map(plain);
  const kwargs = new Map([...quotedKwargs].map(([k, v]) => [k, plain(v)]));
  if ((CAST_NAMES as readonly string[]).includes(name)) {
    const unknown = [...kwargs.keys()].find((k) => k !== 'value');
    if (unknown) throw new FunctionError('TypeError', `${name}() got an unexpected keyword argument '${unknown}'`);
    const value = kwargs.get('value');
    if ([...args, value].some((a) => a !== undefined && isSweepResult(a) && a.kind === 'glob')) {
      throw new FunctionError('TypeError', `mismatch type argument: a glob cannot be cast with ${name}()`);
    }
    if (args.length > 0 && value !== undefined) throw new FunctionError('TypeError', 'cannot use both position and named arguments');
    let input: Evaluated;
    if (value !== undefined) input = value;
    else if (args.length === 0) throw new FunctionError('TypeError', 'No positional args or value specified');
    else if (args.length === 1) input = args[0];
    else input = { kind: 'choice', choices: args.map(held), simpleForm: true };
    return cast(name as CastName, input);
  }
  switch (name) {
    case 'choice': {
      if (kwargs.size > 0) throw new FunctionError('TypeError', `choice() got an unexpected keyword argument '${[...kwargs.keys()][0]}'`);
      if (args.length === 0) throw new FunctionError('ValueError', 'empty choice is not legal');
      if (args.length === 1 && isSweepResult(args[0])) {
        const only = args[0];
        if (only.kind === 'choice' && only.simpleForm) return { ...only, simpleForm: false };
        if (only.kind === 'choice') throw new FunctionError('ValueError', 'nesting choices is not supported');
      }
      for (const arg of args) {
        if (arg === null || (isSweepResult(arg) && arg.kind !== 'choice')) {
          throw new FunctionError('TypeError', `mismatch type argument args: ${arg === null ? 'NoneType' : arg.kind} is not a choice value`);
        }
      }
      return { kind: 'choice', choices: args.map(held), simpleForm: false };
    }
    case 'range': {
      const params = bindArgs('range', ['start', 'stop', 'step'], args, kwargs);
      if (params.start === undefined) throw new FunctionError('TypeError', "range() missing 1 required positional argument: 'start'");
      let start = rangeBound(params.start);
      let stop = params.stop === undefined ? undefined : rangeBound(params.stop);
      const step = params.step === undefined ? 1 : rangeBound(params.step);
      if (stop === undefined) [start, stop] = [0, start];
      return { kind: 'range', start, stop, step };
    }
    case 'interval': {
      const params = bindArgs('interval', ['start', 'end'], args, kwargs);
      if (params.start === undefined || params.end === undefined) throw new FunctionError('TypeError', 'interval() missing a required positional argument');
      return { kind: 'interval', start: toPythonFloat(params.start), end: toPythonFloat(params.end) };
    }
    case 'glob': {
      const params = bindArgs('glob', ['include', 'exclude'], args, kwargs);
      if (params.include === undefined) throw new FunctionError('TypeError', "glob() missing 1 required positional argument: 'include'");
      return { kind: 'glob', include: globPatterns(params.include), exclude: params.exclude === undefined ? [] : globPatterns(params.exclude) };
    }
    case 'sort':
    case 'shuffle':
    case 'tag':
      // Hydra has them; dvc passes them on. Not needed to name a value, so Cairn leaves them out.
      throw new FunctionError('HydraException', `${name}() is not supported by Cairn; list the values in the order you want`);
    default:
      throw new FunctionError('HydraException', `Unknown function '${name}'`);
  }
}

function bindArgs(fn: string, names: string[], args: Evaluated[], kwargs: Map<string, Evaluated>): Record<string, Evaluated | undefined> {
  if (args.length > names.length) throw new FunctionError('TypeError', `${fn}() takes from 1 to ${names.length} positional arguments but ${args.length} were given`);
  const bound: Record<string, Evaluated | undefined> = {};
  names.forEach((n, i) => (bound[n] = args[i]));
  for (const [k, v] of kwargs) {
    if (!names.includes(k)) throw new FunctionError('TypeError', `${fn}() got an unexpected keyword argument '${k}'`);
    if (bound[k] !== undefined) throw new FunctionError('TypeError', `${fn}() got multiple values for argument '${k}'`);
    bound[k] = v;
  }
  return bound;
}

function rangeBound(v: Evaluated): number | PyFloat {
  if (typeof v === 'number' || v instanceof PyFloat) return v;
  if (typeof v === 'boolean') return v ? 1 : 0; // Python's bool is an int
  throw new FunctionError('TypeError', `range() takes numbers, got ${printable(v)}`);
}

function globPatterns(v: Evaluated): OverrideElement[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v;
  throw new FunctionError('TypeError', `glob() takes strings, got ${printable(v)}`);
}

function printable(v: Evaluated): string {
  return isSweepResult(v) ? `a ${v.kind} sweep` : printElement(v);
}

function cast(name: CastName, value: Evaluated): Evaluated {
  if (value instanceof QuotedString) return cast(name, value.text);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, held(cast(name, v))]));
  if (Array.isArray(value)) return value.map((v) => held(cast(name, v)));
  if (isSweepResult(value)) {
    if (value.kind === 'choice') return { ...value, choices: value.choices.map((v) => held(cast(name, v))) };
    if (value.kind === 'range') {
      if (name !== 'int' && name !== 'float') throw new FunctionError('ValueError', 'Range can only be cast to int or float');
      return { kind: 'range', start: castNumber(name, value.start), stop: castNumber(name, value.stop), step: castNumber(name, value.step) };
    }
    if (value.kind === 'interval') {
      if (name !== 'int' && name !== 'float') throw new FunctionError('ValueError', `Intervals cannot be cast to ${name}`);
      return { kind: 'interval', start: numeric(castNumber(name, value.start)), end: numeric(castNumber(name, value.end)) };
    }
    if (name === 'bool') return true; // Python's bool() of any object
    throw new FunctionError('ValueError', `a glob cannot be cast to ${name}`);
  }
  if (value === null) {
    if (name === 'bool') return false; // Python's bool(None)
    throw new FunctionError('TypeError', `${name}() cannot cast null`);
  }
  switch (name) {
    case 'int':
    case 'float':
      return castNumber(name, value);
    case 'str':
      if (typeof value === 'boolean') return value ? 'true' : 'false';
      return typeof value === 'string' ? value : printElement(value);
    case 'bool':
      if (typeof value === 'string') {
        if (value.toLowerCase() === 'true') return true;
        if (value.toLowerCase() === 'false') return false;
        throw new FunctionError('ValueError', `Cannot cast '${value}' to bool`);
      }
      if (typeof value === 'boolean') return value;
      return numeric(value as number | PyFloat) !== 0;
  }
}

/** Python's int()/float() of a scalar: int truncates floats and parses decimal strings only. */
function castNumber(name: 'int' | 'float', value: OverrideElement): number | PyFloat {
  let n: number;
  if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (typeof value === 'number' || value instanceof PyFloat) n = numeric(value);
  else if (typeof value === 'string') {
    const t = value.trim();
    const valid = name === 'int' ? /^[+-]?\d(?:_?\d)*$/.test(t) : /^[+-]?(?:(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:e[+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i.test(t);
    if (!valid) {
      throw new FunctionError('ValueError', name === 'int' ? `invalid literal for int() with base 10: '${value}'` : `could not convert string to float: '${value}'`);
    }
    n = name === 'int' ? Number(t.replace(/_/g, '')) : pythonFloat(t.replace(/^([+-]?)infinity$/i, '$1inf'));
  } else throw new FunctionError('TypeError', `${name}() cannot cast ${printElement(value)}`);
  if (name === 'float') return pyFloat(n);
  if (!Number.isFinite(n)) throw new FunctionError('ValueError', `cannot convert float ${pyFloatRepr(n)} to integer`);
  const truncated = Math.trunc(n);
  if (!Number.isSafeInteger(truncated)) throw new FunctionError('ValueError', `the integer ${truncated} is too large (Cairn keeps integers within ±2^53)`);
  return truncated === 0 ? 0 : truncated;
}

function toPythonFloat(v: Evaluated): number {
  if (typeof v === 'number' || v instanceof PyFloat) return numeric(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new FunctionError('TypeError', `interval() takes numbers, got ${printable(v)}`);
}
