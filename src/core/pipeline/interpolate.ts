import { ContextError, InterpolationContext, shownExpression } from './context';
import { isPlainObject, ParamValue, PyFloat, pyStr } from './values';

/** One `${...}` in a string: its text, the key it names, and where it sits in the string. */
export interface Expression {
  /** The text between `${` and `}`. */
  inner: string;
  /** The key in DVC's normalized form: `a[0].b` -> `a.0.b`. */
  key: string;
  /** Offsets of `${` and just after `}` in the string. */
  start: number;
  end: number;
}

/**
 * Every unescaped `${...}` in `s` (a `\${` is an escape, left for `unescape`): each runs to the
 * first `}` after it. One pass (a regex tried at every `${` rescanned the rest of the string:
 * 100,000 unclosed `${` took 20 s).
 */
export function findExpressions(s: string): Expression[] {
  const found: Expression[] = [];
  for (let from = 0; ; ) {
    const start = s.indexOf('${', from);
    if (start < 0) break;
    if (start > 0 && s[start - 1] === '\\') {
      from = start + 1;
      continue;
    }
    const close = s.indexOf('}', start + 2);
    if (close < 0) break; // no later `${` can be closed either
    const inner = s.slice(start + 2, close);
    found.push({ inner, key: normalizeKey(inner), start, end: close + 1 });
    from = close + 1;
  }
  return found;
}

/** `a[0].b` -> `a.0.b`, as DVC normalizes. */
export function normalizeKey(inner: string): string {
  return inner.replace(/\[/g, '.').replace(/\]/g, '');
}

/** DVC's grammar of an expression, `word ('.' word | '[' word ']')*`, words free of `.[]` (one regex: every `${}` of every stage is checked). */
const EXPRESSION = /^[^.[\]]+(?:\.[^.[\]]+|\[[^.[\]]+\])*$/s;

/** Check an expression's syntax as DVC's grammar does. */
export function checkExpressionSyntax(inner: string): string | undefined {
  if (EXPRESSION.test(inner)) return undefined;
  return `invalid expression '\${${shownExpression(inner)}}'`;
}

/** How dicts interpolated into `cmd` are written (DVC's `parsing` config section). */
export interface ParsingConfig {
  /** `store_true` (default: `--flag` or nothing) or `boolean_optional` (`--no-flag` for false). */
  bool?: string;
  /** `nargs` (default: `--k a b`) or `append` (`--k a --k b`). */
  list?: string;
}

/** Python's `shlex.quote`. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

function flattenDict(d: Record<string, ParamValue>, prefix = ''): [string, ParamValue][] {
  const out: [string, ParamValue][] = [];
  for (const [k, v] of Object.entries(d)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...flattenDict(v, key));
    else out.push([key, v]);
  }
  return out;
}

/** A value as text inside a string, as DVC writes it (a dict becomes `--key value` options). */
export function valueToString(v: ParamValue, config: ParsingConfig = {}): string {
  if (!isPlainObject(v)) return pyStr(v);
  let result = '';
  for (const [k, x] of flattenDict(v)) {
    if (typeof x === 'boolean') {
      if (x) result += `--${k} `;
      else if ((config.bool ?? 'store_true') === 'boolean_optional') result += `--no-${k} `;
    } else if (typeof x === 'string') {
      result += `--${k} ${shellQuote(x)} `;
    } else if (Array.isArray(x)) {
      x.forEach((item, n) => {
        let s: string;
        if (typeof item === 'string') s = shellQuote(item);
        else if (Array.isArray(item) || isPlainObject(item)) throw new ContextError(`Cannot interpolate nested iterable in '${k}'`);
        else s = pyStr(item);
        if ((config.list ?? 'nargs') === 'append') result += `--${k} ${s} `;
        else result += n > 0 ? `${s} ` : `--${k} ${s} `;
      });
    } else {
      result += `--${k} ${pyStr(x)} `;
    }
  }
  return result.trimEnd();
}

function typeName(v: ParamValue): string {
  if (Array.isArray(v)) return 'list';
  if (isPlainObject(v)) return 'dict';
  return typeof v;
}

/** DVC's rule: only scalars interpolate, except dicts into `cmd` and anything under `foreach`. */
function checkInterpolable(value: ParamValue, key: string | undefined): void {
  const primitive = value === null || typeof value !== 'object' || value instanceof PyFloat;
  if (primitive || key === undefined || key.includes('foreach')) return;
  if (isPlainObject(value) && key === 'cmd') return;
  throw new ContextError(`Cannot interpolate data of type '${typeName(value)}'`);
}

/** What one `${}` resolved to, reported to whoever collects interpolations (the language server). */
export interface ResolvedExpression extends Expression {
  value: ParamValue;
  /** Where the top-level name was defined: a params file path, `vars[0]`, `item`, `key`. */
  definedIn?: string;
}

/**
 * Resolve one string: a string that is exactly one `${expr}` keeps the value's type; otherwise
 * each expression is written as text. `key` is the stage key being resolved (DVC's checks use it).
 */
export function resolveString(
  s: string,
  ctx: InterpolationContext,
  key: string | undefined,
  config?: ParsingConfig,
  onExpression?: (e: ResolvedExpression) => void,
): ParamValue {
  const exprs = findExpressions(s);
  const lookup = (e: Expression): ParamValue => {
    const syntax = checkExpressionSyntax(e.inner);
    if (syntax) throw new ContextError(syntax);
    const value = ctx.select(e.key, e.inner);
    checkInterpolable(value, key);
    onExpression?.({ ...e, value, definedIn: ctx.sourceOf(e.key.split('.')[0].trim()) });
    return value;
  };
  if (exprs.length === 1 && exprs[0].start === 0 && exprs[0].end === s.length) return lookup(exprs[0]);
  let out = '';
  let at = 0;
  for (const e of exprs) {
    out += s.slice(at, e.start) + valueToString(lookup(e), config);
    at = e.end;
  }
  out += s.slice(at);
  return out.replace(/\\\$\{/g, '${');
}
