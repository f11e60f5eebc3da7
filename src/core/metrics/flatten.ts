/**
 * Values as DVC shows them: nested dicts flattened with `.`, metrics reduced to numbers,
 * strings and booleans, lists shown as Python prints them.
 */

export type Dict = Record<string, unknown>;

export function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{a: {b: 1}, c: [1]}` → `{"a.b": 1, c: [1]}`; an empty dict inside vanishes (as with flatten_dict). */
export function flatten(d: Dict, prefix = '', out: Dict = {}): Dict {
  for (const [k, v] of Object.entries(d)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isDict(v)) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

/**
 * The metrics of a parsed file: numbers, strings and booleans, in dicts; lists, nulls and
 * empty dicts are dropped. A file that holds none is `{}`; a lone scalar stays a scalar.
 */
export function extractMetrics(value: unknown): unknown {
  const m = extract(value);
  return m === undefined || m === '' || m === 0 || m === false ? {} : m;
}

function extract(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (!isDict(value)) return undefined;
  const out: Dict = {};
  for (const [k, v] of Object.entries(value)) {
    const m = extract(v);
    if (m !== undefined && !(isDict(m) && Object.keys(m).length === 0)) out[k] = m;
  }
  return out;
}

/** Lists become the text Python prints for them (DVC compares and shows them as text). */
export function formatLists(value: unknown): unknown {
  if (Array.isArray(value)) return pyRepr(value);
  if (isDict(value)) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value)) out[k] = formatLists(v);
    return out;
  }
  return value;
}

/** A float as Python's repr writes it (integers have no `.0`: Cairn cannot tell 1.0 from 1). */
export function pyNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  // Python writes exponents below 1e-4 and from 1e16 on ('1e-05', '1e+16'); JS's String() agrees in between.
  if (exp >= -4 && exp < 16) return String(x);
  const sign = exp < 0 ? '-' : '+';
  const abs = Math.abs(exp);
  return `${mantissa}e${sign}${abs < 10 ? '0' : ''}${abs}`;
}

function pyString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** The text Python's repr() gives a JSON-like value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isDict(v)) return `{${Object.entries(v).map(([k, x]) => `${pyString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** The text Python's str() gives a value (strings unquoted). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}
