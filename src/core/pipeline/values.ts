import { isMap, isScalar, isSeq, Node as YamlNode } from 'yaml';

/**
 * A float whose value is a whole number (`1.0`, `0.0`). Python keeps such a value a float
 * (`str(1.0) == '1.0'`, dumped as `1.0`), so DVC writes it that way in commands and dvc.lock;
 * a JS number cannot tell `1.0` from `1`. Non-integral floats stay plain JS numbers.
 * `valueOf()` gives the number, `toJSON()` too.
 */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
  toString(): string {
    return pyFloatRepr(this.value);
  }
}

/** A value as DVC sees it after loading YAML/JSON/TOML. */
export type ParamValue = string | number | boolean | null | PyFloat | ParamValue[] | { [key: string]: ParamValue };

export const isPlainObject = (v: unknown): v is Record<string, ParamValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat);

/** A number value (int or float) as a JS number, or undefined. */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  return undefined;
}

/** A number as Python writes it back with its type: a float (a PyFloat, or not whole) as `repr(float)`, an int plain. */
export function pyNumberText(value: number | PyFloat): string {
  const n = value instanceof PyFloat ? value.value : value;
  return value instanceof PyFloat || !Number.isInteger(n) ? pyFloatRepr(n) : String(n);
}

/** Python's `repr(float)`: shortest round-trip digits; scientific below 1e-4 and from 1e16. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = n.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length > exp + 1) {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    body = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  }
  return neg ? `-${body}` : body;
}

/** Python's `str()` of a loaded value, as DVC's interpolation writes a scalar (booleans lower-case). */
export function pyStr(v: ParamValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

/** Python's `repr()` of a loaded value (for the rare list interpolated into a string). */
export function pyRepr(v: ParamValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'number' || v instanceof PyFloat) return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

/** Deep equality of loaded values, with Python's rules (1 == 1.0, True == 1 is not needed here). */
export function sameValue(a: unknown, b: unknown): boolean {
  const na = numberOf(a);
  const nb = numberOf(b);
  if (na !== undefined || nb !== undefined) return na === nb && typeof a !== 'boolean' && typeof b !== 'boolean';
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return a === b;
}

/**
 * A YAML node as a plain value: maps to objects (key order kept), whole-number floats as
 * PyFloat (told from ints by their source text), everything else as the yaml package reads it.
 */
export function yamlNodeValue(node: unknown, text: string): ParamValue {
  if (node === null || node === undefined) return null;
  if (isMap(node)) {
    const out: Record<string, ParamValue> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      out[String(key === null ? 'None' : key)] = yamlNodeValue(pair.value, text);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((n) => yamlNodeValue(n, text));
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number' && Number.isInteger(v) && node.range && (node.type === 'PLAIN' || node.type === undefined)) {
      const src = text.slice(node.range[0], node.range[1]).trim();
      if (/^[-+]?(\d[\d_]*)?\.|[eE]/.test(src) && !/^[-+]?0x/i.test(src)) return new PyFloat(v);
    }
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Date) return v.toISOString();
    return v as ParamValue;
  }
  return String((node as YamlNode).toString());
}
