import { isMap, isScalar, isSeq, Node as YamlNode, parseDocument, Scalar, stringify, visit, YAMLMap } from 'yaml';
import { CairnError } from '../errors';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { isPlainObject, ParamValue, PyFloat, pyNumberText } from '../pipeline/values';
import { ParamsEdit } from './paramsEdits';

/**
 * Make `edits` in a YAML params file's text, touching only the text of the values changed: the
 * yaml package's Document says where each node is (its range), and each edit replaces, inserts
 * or removes those characters. Comments, blank lines, indentation, quoting and flow style
 * elsewhere stay byte for byte (the Document's own toString would re-indent the whole file).
 * New and replaced dicts and lists are written in flow style (`{a: 1}`) unless they replace a
 * block collection; dvc (ruamel) writes them in block style, with the same values.
 */
export function editYamlText(text: string, edits: readonly ParamsEdit[], file: string): string {
  refuseAliases(text, file);
  let out = text;
  // One edit at a time on a fresh parse: each edit moves the ranges after it.
  for (const edit of edits) out = applyEdit(out, edit, file);
  return out;
}

/** Values shared through anchors (`&a`, `*a`, `<<: *a`) cannot change in one place without changing in the others. */
function refuseAliases(text: string, file: string): void {
  let shared = false;
  // The raw document (parseYamlDocument replaces aliases by copies); the text is within limits, parsed once already.
  visit(parseDocument(text, { uniqueKeys: false }), {
    Alias() {
      shared = true;
      return visit.BREAK;
    },
  });
  if (shared) {
    throw new CairnError('USAGE', 'this YAML shares values through anchors and aliases (&, *, <<); Cairn cannot change one of them in place', {
      file,
      hint: 'Write the shared values out in full, or change the file by hand.',
    });
  }
}

function applyEdit(text: string, edit: ParamsEdit, file: string): string {
  const doc = parseYamlDocument(text, file);
  const nodeAt = (path: (string | number)[]): YamlNode | null => (path.length === 0 ? (doc.contents as YamlNode | null) : (doc.getIn(path, true) as YamlNode | null));
  switch (edit.kind) {
    case 'set': {
      const node = nodeAt(edit.path);
      if (!node?.range) throw cannotEdit(file, edit.path);
      const [start, end] = node.range;
      const inFlow = insideFlow(doc.contents as YamlNode, edit.path);
      const replacement = isBlockCollection(node) && isNonEmptyContainer(edit.value) ? blockText(edit.value, columnOf(text, start)).trimEnd() : valueText(edit.value, inFlow, node);
      // An empty value (`key:`) has no characters: the new one goes after the colon, with a space.
      const spaced = start === end && text[start - 1] === ':' ? ` ${replacement}` : replacement;
      const tail = isBlockCollection(node) && text[end - 1] === '\n' ? '\n' : '';
      return text.slice(0, start) + spaced + tail + text.slice(end);
    }
    case 'delete': {
      const parentPath = edit.path.slice(0, -1);
      const parent = nodeAt(parentPath);
      if (!isMap(parent) || !parent.range) throw cannotEdit(file, edit.path);
      const key = edit.path[edit.path.length - 1];
      const index = parent.items.findIndex((pair) => isScalar(pair.key) && String(pair.key.value) === String(key));
      if (index === -1) throw cannotEdit(file, edit.path);
      if (parent.items.length === 1) {
        // Removing the only key leaves an empty dict, not an empty value (which would read as null).
        const [start, end] = parent.range;
        const colon = !parent.flow && parentPath.length > 0 ? keyColonBefore(text, start) : undefined;
        if (colon === undefined) return text.slice(0, start) + '{}' + (text[end - 1] === '\n' ? '\n' : '') + text.slice(end);
        const eol = text.indexOf('\n', colon);
        return text.slice(0, colon + 1) + ' {}' + text.slice(colon + 1, eol + 1) + text.slice(end);
      }
      return removePair(text, parent, index);
    }
    case 'add': {
      const parent = nodeAt(edit.path);
      const keyText = scalarText(edit.key, !!(parent && isMap(parent) && parent.flow));
      if (parent === null && edit.path.length === 0) {
        // An empty file: the first key.
        return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${keyText}: ${valueText(edit.value, false)}\n`;
      }
      if (!isMap(parent) || !parent.range) throw cannotEdit(file, [...edit.path, edit.key]);
      if (parent.flow) {
        const close = text.lastIndexOf('}', parent.range[1]);
        const last = parent.items[parent.items.length - 1];
        const entry = `${keyText}: ${valueText(edit.value, true)}`;
        if (!last) return text.slice(0, close) + entry + text.slice(close);
        const lastEnd = (last.value as YamlNode | null)?.range?.[1] ?? (last.key as YamlNode).range![1];
        return text.slice(0, lastEnd) + `, ${entry}` + text.slice(lastEnd);
      }
      const first = parent.items[0].key as YamlNode;
      const indent = ' '.repeat(columnOf(text, first.range![0]));
      const last = parent.items[parent.items.length - 1];
      // After the line where the last value ends (its comment stays with it; comment lines after it stay below).
      const lastEnd = (last.value as YamlNode | null)?.range?.[1] ?? (last.key as YamlNode).range![1];
      const at = text[lastEnd - 1] === '\n' ? lastEnd : lineEnd(text, lastEnd);
      const line = `${indent}${keyText}: ${valueText(edit.value, false)}`;
      if (at >= text.length && !text.endsWith('\n')) return `${text}\n${line}\n`;
      return text.slice(0, at) + `${line}\n` + text.slice(at);
    }
  }
}

/** A params file's value as YAML text on one line (flow style for dicts and lists). */
function valueText(value: ParamValue, inFlow: boolean, replacing?: YamlNode): string {
  if (Array.isArray(value)) return `[${value.map((v) => valueText(v, true)).join(', ')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${scalarText(k, true)}: ${valueText(v, true)}`).join(', ')}}`;
  // A string keeps the quotes it had, when they can hold it.
  if (typeof value === 'string' && isScalar(replacing) && !value.includes('\n')) {
    if (replacing.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
    if (replacing.type === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  }
  return scalarText(value, inFlow);
}

/** A scalar as YAML reads it back with the same type (floats always with a dot or exponent, as Python's repr). */
function scalarText(value: ParamValue, inFlow: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof PyFloat || typeof value === 'number') {
    const n = value instanceof PyFloat ? value.value : value;
    if (Number.isNaN(n)) return '.nan';
    if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
    return pyNumberText(value);
  }
  const text = String(value);
  // Text with a line break, or that could end a flow collection early, goes in double quotes.
  if (text.includes('\n') || (inFlow && /[,[\]{}#]|: |:$/.test(text))) return JSON.stringify(text);
  return stringify(text, { lineWidth: 0 }).trimEnd(); // never folded: the text goes into a line of its own indentation
}

/** A non-empty dict or list in block style, its lines after the first indented to `column`. */
function blockText(value: ParamValue, column: number): string {
  return stringify(plain(value), { indentSeq: false, lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((line, i) => (i === 0 ? line : ' '.repeat(column) + line))
    .join('\n');
}

/** A value the yaml package stringifies with the right types: whole floats as `1.0`. */
function plain(value: ParamValue): unknown {
  if (value instanceof PyFloat) {
    const scalar = new Scalar(value.value);
    scalar.minFractionDigits = 1;
    return scalar;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Remove the pair at `index` of a map with more than one pair: its lines (block) or its text and a comma (flow). */
function removePair(text: string, map: YAMLMap, index: number): string {
  const pair = map.items[index];
  const keyStart = (pair.key as YamlNode).range![0];
  const valueEnd = (pair.value as YamlNode | null)?.range?.[1] ?? (pair.key as YamlNode).range![1];
  if (map.flow) {
    if (index < map.items.length - 1) {
      const next = (map.items[index + 1].key as YamlNode).range![0];
      return text.slice(0, keyStart) + text.slice(next);
    }
    const previous = map.items[index - 1];
    const previousEnd = (previous.value as YamlNode | null)?.range?.[1] ?? (previous.key as YamlNode).range![1];
    return text.slice(0, previousEnd) + text.slice((pair.value as YamlNode | null)?.range?.[1] ?? valueEnd);
  }
  const start = text.lastIndexOf('\n', keyStart - 1) + 1;
  const end = text[valueEnd - 1] === '\n' ? valueEnd : lineEnd(text, valueEnd);
  return text.slice(0, start) + text.slice(end);
}

/** The index just after the line break that ends the line holding `at` (or the text's end). */
function lineEnd(text: string, at: number): number {
  const newline = text.indexOf('\n', at);
  return newline === -1 ? text.length : newline + 1;
}

function columnOf(text: string, at: number): number {
  return at - (text.lastIndexOf('\n', at - 1) + 1);
}

/** For a block map that is a key's value: where that key's colon is (the map starts on a later line). */
function keyColonBefore(text: string, start: number): number | undefined {
  const match = /:[ \t]*(#[^\n]*)?\n\s*$/.exec(text.slice(0, start));
  return match ? match.index : undefined;
}

function isBlockCollection(node: YamlNode): boolean {
  return (isMap(node) || isSeq(node)) && !node.flow;
}

function isNonEmptyContainer(value: ParamValue): boolean {
  return (Array.isArray(value) && value.length > 0) || (isPlainObject(value) && Object.keys(value).length > 0);
}

/** Whether the node at `path` sits inside a flow collection, where `,`, `]` and `}` end a plain scalar. */
function insideFlow(root: YamlNode | null, path: (string | number)[]): boolean {
  let node: unknown = root;
  for (const part of path.slice(0, -1)) {
    if ((isMap(node) || isSeq(node)) && node.flow) return true;
    node = isMap(node) || isSeq(node) ? node.get(part, true) : undefined;
  }
  return (isMap(node) || isSeq(node)) && !!node.flow;
}

function cannotEdit(file: string, path: (string | number)[]): CairnError {
  return new CairnError('BAD_FILE', `cannot find '${path.join('.')}' in the YAML to change it in place`, { file, hint: 'Write the value into the file by hand.' });
}
