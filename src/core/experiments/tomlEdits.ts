import { CairnError } from '../errors';
import { isPlainObject, ParamValue, PyFloat, pyNumberText } from '../pipeline/values';
import { ParamsEdit } from './paramsEdits';

/**
 * Make `edits` in a TOML params file's text, touching only the lines of the keys changed. The
 * file is scanned into statements (`[table]` headers and `key = value` lines, with where each
 * value is); a changed value is replaced in place, a removed key loses its line (a removed table
 * its sections), a new key goes after the last key of its table. A value inside an inline table
 * or array is changed by writing that whole inline value again. (dvc's tomlkit keeps comments
 * too, but rewrites what it touches its own way.) Tables in arrays (`[[x]]`) are refused.
 */
export function editTomlText(text: string, edits: readonly ParamsEdit[], after: Record<string, ParamValue>, file: string): string {
  let out = text;
  for (const edit of edits) out = applyEdit(out, edit, after, file);
  return out;
}

interface Statement {
  /** The full key path (table + dotted key) of a `key = value` line, or the table of a header. */
  path: string[];
  kind: 'value' | 'table' | 'arrayTable';
  /** The table the statement is written in (for a value line). */
  table: string[];
  valueStart: number;
  valueEnd: number;
  /** The statement's lines: from its line's start to after the line break ending it. */
  lineStart: number;
  lineEnd: number;
}

function applyEdit(text: string, edit: ParamsEdit, after: Record<string, ParamValue>, file: string): string {
  const statements = scanToml(text, file);
  const fail = (what: string) => new CairnError('USAGE', `cannot change '${[...edit.path, ...(edit.kind === 'add' ? [edit.key] : [])].join('.')}' in place: ${what}`, {
    file,
    hint: 'Edit this TOML file by hand, or keep these params in YAML.',
  });
  const target = edit.kind === 'add' ? [...edit.path.map(String), edit.key] : edit.path.map(String);
  if (statements.some((s) => s.kind === 'arrayTable' && startsWith(target, s.path))) throw fail('it is inside an array of tables ([[...]])');
  // A value held inside an inline table or array: that whole value is written again.
  const holder = statements.find((s) => s.kind === 'value' && s.path.length < target.length && startsWith(target, s.path));
  if (holder) return replaceValue(text, holder, tomlText(valueAt(after, holder.path, fail), fail));
  switch (edit.kind) {
    case 'set': {
      const own = statements.find((s) => s.kind === 'value' && same(s.path, target));
      if (own) return replaceValue(text, own, tomlText(edit.value, fail));
      // A table (sections or dotted keys) becomes another value: the table goes, the key is written in its parent.
      const removed = applyEdit(text, { kind: 'delete', path: edit.path }, after, file);
      return applyEdit(removed, { kind: 'add', path: edit.path.slice(0, -1), key: String(edit.path[edit.path.length - 1]), value: edit.value }, after, file);
    }
    case 'delete': {
      // Its own line, or every section of the table and its sub-tables, and dotted keys under it.
      const doomed = statements.filter((s) => startsWith(s.path, target));
      const sections = statements.filter((s) => s.kind === 'table' && startsWith(s.path, target));
      const ranges = doomed.map((s) => [s.lineStart, s.lineEnd] as [number, number]);
      for (const section of sections) ranges.push([section.lineStart, sectionEnd(statements, section, text)]);
      // A table named only by what is removed (`[b.a]` for b) stays, empty, as the values say (dvc's tomlkit drops it).
      const parent = target.slice(0, -1);
      const parentStays = parent.length === 0 || statements.some((s) => startsWith(s.path, parent) && !startsWith(s.path, target));
      if (!parentStays) {
        const header = `[${keyText(parent)}]\n`;
        const first = Math.min(...ranges.map(([start]) => start));
        const shifted = ranges.map(([a, b]) => [a + header.length, b + header.length] as [number, number]);
        return removeRanges(text.slice(0, first) + header + text.slice(first), shifted);
      }
      return removeRanges(text, ranges);
    }
    case 'add': {
      const parent = edit.path.map(String);
      const line = `${keyText([edit.key])} = ${tomlText(edit.value, fail)}`;
      const header = statements.find((s) => s.kind === 'table' && same(s.path, parent));
      const inTable = (table: string[]) => statements.filter((s) => s.kind === 'value' && same(s.table, table));
      if (parent.length === 0 || header) {
        const table = parent.length === 0 ? [] : parent;
        const last = inTable(table).pop();
        const firstHeader = statements.find((s) => s.kind !== 'value');
        const at = last ? last.lineEnd : header ? header.lineEnd : firstHeader ? firstHeader.lineStart : text.length;
        return insertLine(text, at, line);
      }
      // A table made by dotted keys (`train.lr = 1`): one more dotted key beside them.
      const dotted = statements.filter((s) => s.kind === 'value' && startsWith(s.path, parent) && s.table.length < parent.length).pop();
      if (dotted) return insertLine(text, dotted.lineEnd, `${keyText([...parent.slice(dotted.table.length), edit.key])} = ${tomlText(edit.value, fail)}`);
      // A table only named by its sub-tables' headers (or new): a section of its own at the end.
      return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${text === '' ? '' : '\n'}[${keyText(parent)}]\n${line}\n`;
    }
  }
}

function replaceValue(text: string, statement: Statement, value: string): string {
  return text.slice(0, statement.valueStart) + value + text.slice(statement.valueEnd);
}

function insertLine(text: string, at: number, line: string): string {
  if (at >= text.length) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
  return text.slice(0, at) + `${line}\n` + text.slice(at);
}

/** Remove character ranges, which may overlap (a key line inside a removed section). */
function removeRanges(text: string, ranges: [number, number][]): string {
  let out = '';
  let at = 0;
  for (const [start, end] of ranges.sort((a, b) => a[0] - b[0])) {
    if (start > at) out += text.slice(at, start);
    at = Math.max(at, end);
  }
  return out + text.slice(at);
}

/** Where a `[table]` section ends: at the next header, or the end of the text. */
function sectionEnd(statements: Statement[], section: Statement, text: string): number {
  const next = statements.find((s) => s.kind !== 'value' && s.lineStart > section.lineStart);
  return next ? next.lineStart : text.length;
}

function valueAt(data: ParamValue, path: string[], fail: (what: string) => CairnError): ParamValue {
  let node: ParamValue = data;
  for (const part of path) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isPlainObject(node)) node = node[part];
    else throw fail('the value holding it is gone');
  }
  return node;
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** A value as TOML text: floats with a dot or exponent, dicts as inline tables. TOML has no null. */
function tomlText(value: ParamValue, fail: (what: string) => CairnError): string {
  if (value === null) throw fail('TOML has no null value');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof PyFloat || typeof value === 'number') return pyNumberText(value); // nan, inf, -inf as TOML spells them
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => tomlText(v, fail)).join(', ')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${keyText([k])} = ${tomlText(v, fail)}`).join(', ')}}`;
  return JSON.stringify(value);
}

function keyText(parts: string[]): string {
  return parts.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p))).join('.');
}

/** The statements of a TOML text (it parsed already: this only finds where things are). */
function scanToml(text: string, file: string): Statement[] {
  const statements: Statement[] = [];
  let table: string[] = [];
  let at = 0;
  const fail = (what: string) => new CairnError('BAD_FILE', `invalid TOML: ${what}`, { file, line: text.slice(0, at).split('\n').length, hint: 'Fix the TOML syntax.' });
  const skipSpace = () => {
    while (text[at] === ' ' || text[at] === '\t') at++;
  };
  const restOfLine = () => {
    skipSpace();
    if (text[at] === '#') while (at < text.length && text[at] !== '\n') at++;
    if (text[at] === '\r') at++;
    if (at < text.length && text[at] !== '\n') throw fail('unexpected text after a value');
    if (at < text.length) at++;
  };
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpace();
      if (text[at] === '"' || text[at] === "'") {
        const end = stringEnd(text, at, fail);
        parts.push(text[at] === '"' ? (JSON.parse(text.slice(at, end).replace(/\\U([0-9a-fA-F]{8})/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))) as string) : text.slice(at + 1, end - 1));
        at = end;
      } else {
        const bare = /^[A-Za-z0-9_-]+/.exec(text.slice(at, at + 1000));
        if (!bare) throw fail('expected a key');
        parts.push(bare[0]);
        at += bare[0].length;
      }
      skipSpace();
      if (text[at] !== '.') return parts;
      at++;
    }
  };
  while (at < text.length) {
    const lineStart = at;
    while (/\s/.test(text[at] ?? '')) at++;
    if (at >= text.length) break;
    if (text[at] === '#') {
      restOfLine();
      continue;
    }
    const start = text.lastIndexOf('\n', at - 1) + 1;
    if (text[at] === '[') {
      const arrayTable = text[at + 1] === '[';
      at += arrayTable ? 2 : 1;
      table = key();
      if (text[at] !== ']' || (arrayTable && text[at + 1] !== ']')) throw fail('a table header is not closed');
      at += arrayTable ? 2 : 1;
      const valueEnd = at;
      restOfLine();
      statements.push({ path: table, kind: arrayTable ? 'arrayTable' : 'table', table, valueStart: valueEnd, valueEnd, lineStart: Math.max(start, lineStart), lineEnd: at });
      continue;
    }
    const path = [...table, ...key()];
    if (text[at] !== '=') throw fail("expected '='");
    at++;
    skipSpace();
    const valueStart = at;
    at = valueEnd(text, at, fail);
    const end = at;
    restOfLine();
    statements.push({ path, kind: 'value', table, valueStart, valueEnd: end, lineStart: start, lineEnd: at });
  }
  return statements;
}

/** The index after the value that starts at `at`: strings, arrays and inline tables spanning lines included. */
function valueEnd(text: string, at: number, fail: (what: string) => CairnError): number {
  const c = text[at];
  if (c === '"' || c === "'") return stringEnd(text, at, fail);
  if (c === '[' || c === '{') {
    const close = c === '[' ? ']' : '}';
    let i = at + 1;
    for (;;) {
      while (i < text.length && /[\s,]/.test(text[i])) i++;
      if (text[i] === '#') {
        while (i < text.length && text[i] !== '\n') i++;
        continue;
      }
      if (i >= text.length) throw fail(`'${c}' is not closed`);
      if (text[i] === close) return i + 1;
      if (c === '{') {
        // key = value inside an inline table
        while (i < text.length && text[i] !== '=') i = text[i] === '"' || text[i] === "'" ? stringEnd(text, i, fail) : i + 1;
        i++;
        while (text[i] === ' ' || text[i] === '\t') i++;
      }
      i = valueEnd(text, i, fail);
    }
  }
  const token = /^[^\s,\]}#]+(?: [0-9:.+-Z]+)?/.exec(text.slice(at, at + 200));
  if (!token) throw fail('expected a value');
  return at + token[0].length;
}

/** The index after a basic, literal or multi-line string starting at `at`. */
function stringEnd(text: string, at: number, fail: (what: string) => CairnError): number {
  const q = text[at];
  const multi = text.startsWith(q.repeat(3), at);
  const closing = multi ? q.repeat(3) : q;
  let i = at + closing.length;
  while (i < text.length) {
    if (q === '"' && text[i] === '\\') {
      i += 2;
      continue;
    }
    if (!multi && text[i] === '\n') break;
    if (text.startsWith(closing, i)) {
      let end = i + closing.length;
      // A multi-line string may end with up to two more quotes inside it (`""""`).
      while (multi && text[end] === q && end - i < 5) end++;
      return end;
    }
    i++;
  }
  throw fail('a string is not closed');
}
