import YAML from 'yaml';
import { isPlainObject, ParamValue, PyFloat, pyFloatRepr } from './values';

/**
 * YAML written the way DVC's dumper (ruamel.yaml, round-trip, width 80) writes dvc.lock:
 * block style, list items flush with their parent key, plain scalars where they read back as
 * the same string, single quotes otherwise (double when the text holds a `'` or control
 * characters), long scalars folded at the first space past column 80.
 */
export function dumpLockYaml(value: Record<string, ParamValue>): string {
  const lines: string[] = [];
  emitMap(value, 0, lines);
  return lines.join('\n') + '\n';
}

const WIDTH = 80;

function emitMap(map: Record<string, ParamValue>, indent: number, lines: string[], firstPrefix?: string): void {
  let first = true;
  for (const [k, v] of Object.entries(map)) {
    const pad = first && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent);
    first = false;
    const head = `${pad}${scalarText(k, Infinity, 0)}:`;
    emitValue(v, head, indent, lines);
  }
}

function emitValue(v: ParamValue, head: string, indent: number, lines: string[]): void {
  if (Array.isArray(v)) {
    if (v.length === 0) lines.push(`${head} []`);
    else {
      lines.push(head);
      emitSeq(v, indent, lines);
    }
  } else if (isPlainObject(v)) {
    if (Object.keys(v).length === 0) lines.push(`${head} {}`);
    else {
      lines.push(head);
      emitMap(v, indent + 2, lines);
    }
  } else if (v === null) {
    lines.push(head);
  } else {
    lines.push(`${head} ${scalarText(v, head.length + 1, indent + 2)}`);
  }
}

function emitSeq(seq: ParamValue[], indent: number, lines: string[], firstPrefix?: string): void {
  let first = true;
  for (const item of seq) {
    const pad = first && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent);
    first = false;
    const dash = `${pad}- `;
    if (isPlainObject(item) && Object.keys(item).length > 0) emitMap(item, indent + 2, lines, dash);
    else if (Array.isArray(item) && item.length > 0) emitSeq(item, indent + 2, lines, dash);
    else if (Array.isArray(item)) lines.push(`${dash}[]`);
    else if (isPlainObject(item)) lines.push(`${dash}{}`);
    else if (item === null) lines.push(dash.trimEnd());
    else lines.push(`${dash}${scalarText(item, dash.length, indent + 2)}`);
  }
}

/** A scalar's text starting at `column`, folded onto lines indented by `indent`. */
export function scalarText(v: Exclude<ParamValue, ParamValue[] | Record<string, ParamValue>>, column: number, indent: number): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    return pyFloatRepr(v);
  }
  const s = v;
  let body: string;
  let open = '';
  if (isPlainSafe(s)) body = s;
  else if (s.includes("'") || /[\x00-\x1f\x7f\u0085\u2028\u2029]/.test(s)) {
    open = '"';
    body = s.replace(/[\\"\x00-\x1f\x7f]/g, (c) => {
      const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\0': '\\0' };
      return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    });
  } else {
    open = "'";
    body = s.replace(/'/g, "''");
  }
  return open + (open ? foldQuoted(body, column + open.length, indent) : foldPlain(body, column, indent)) + open;
}

/** Split into runs of spaces and runs of other characters. */
const runs = (text: string) => text.match(/ +|[^ ]+/g) ?? [];

/**
 * ruamel's plain-scalar folding: a word that would pass the width starts a new line (the
 * space before it stays at the line's end); a single space met at or past the width becomes
 * the line break.
 */
function foldPlain(text: string, column: number, indent: number): string {
  if (column === Infinity) return text;
  let out = '';
  let col = column;
  for (const run of runs(text)) {
    if (run[0] === ' ') {
      if (run.length === 1 && col >= WIDTH) {
        out += '\n' + ' '.repeat(indent);
        col = indent;
      } else {
        out += run;
        col += run.length;
      }
    } else {
      if (run.length + col > WIDTH && col > indent) {
        out += '\n' + ' '.repeat(indent);
        col = indent;
      }
      out += run;
      col += run.length;
    }
  }
  return out;
}

/** ruamel's quoted-scalar folding: a single inner space met past the width becomes the line break. */
function foldQuoted(text: string, column: number, indent: number): string {
  if (column === Infinity) return text;
  let out = '';
  let col = column;
  const parts = runs(text);
  parts.forEach((run, i) => {
    if (run === ' ' && col > WIDTH && i > 0 && i < parts.length - 1) {
      out += '\n' + ' '.repeat(indent);
      col = indent;
    } else {
      out += run;
      col += run.length;
    }
  });
  return out;
}

/** Whether ruamel (YAML 1.2) writes the string plain: it must read back as the same string. */
function isPlainSafe(s: string): boolean {
  if (s === '' || s !== s.trim()) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^[-?:][^\s]/.test(s)) return false;
  if (/^[-?:]$/.test(s)) return false;
  if (/: |:$| #|[\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(s)) return false;
  if (/^(---|\.\.\.)/.test(s)) return false;
  // Anything that would resolve to another type (numbers, bools, null, dates) is quoted.
  if (/^(true|false|True|False|TRUE|FALSE|null|Null|NULL|~)$/.test(s)) return false;
  if (/^[-+]?(\d[\d_]*)?\.?[\d_]*([eE][-+]?\d+)?$/.test(s) && /\d/.test(s)) return false;
  if (/^[-+]?(\.inf|\.Inf|\.INF)$|^\.(nan|NaN|NAN)$/.test(s)) return false;
  if (/^0x[0-9a-fA-F_]+$|^0o[0-7_]+$|^0b[01_]+$/.test(s)) return false;
  if (/^\d{4}-\d\d?-\d\d?([Tt ]|$)/.test(s)) return false;
  if (/^<<$|^=$/.test(s)) return false;
  const parsed = YAML.parse(s);
  return parsed === s;
}
