import { CairnError } from '../errors';
import { isPlainObject, ParamValue, PyFloat, pyFloatRepr, pyNumberText } from '../pipeline/values';
import { ParamsEdit } from './paramsEdits';

/**
 * Make `edits` in a JSON params file's text, touching only the characters of the values
 * changed: the rest keeps its indentation and order. (dvc rewrites the whole file with
 * `json.dump`, on one line.) New values are written as Python's json.dumps writes them
 * (`", "`, `": "`, `1.0`; not NaN or Infinity, which are not JSON); a new key takes the spacing of the key before it.
 */
export function editJsonText(text: string, edits: readonly ParamsEdit[], file: string): string {
  let out = text;
  for (const edit of edits) out = applyEdit(out, edit, file);
  return out;
}

type JsonNode =
  | { kind: 'object'; start: number; end: number; members: { key: string; keyStart: number; value: JsonNode }[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'scalar'; start: number; end: number };

function applyEdit(text: string, edit: ParamsEdit, file: string): string {
  const root = new JsonScanner(text, file).document();
  const at = (path: (string | number)[]): JsonNode => {
    let node: JsonNode | undefined = root;
    for (const part of path) {
      if (node?.kind === 'object') node = node.members.filter((m) => m.key === String(part)).pop()?.value;
      else if (node?.kind === 'array') node = node.items[Number(part)];
      else node = undefined;
    }
    if (!node) throw new CairnError('BAD_FILE', `cannot find '${path.join('.')}' in the JSON to change it in place`, { file, hint: 'Write the value into the file by hand.' });
    return node;
  };
  switch (edit.kind) {
    case 'set': {
      const node = at(edit.path);
      return text.slice(0, node.start) + jsonText(edit.value) + text.slice(node.end);
    }
    case 'delete': {
      const parent = at(edit.path.slice(0, -1));
      if (parent.kind !== 'object') throw new CairnError('BAD_FILE', `'${edit.path.join('.')}' is not a key of an object`, { file });
      const key = String(edit.path[edit.path.length - 1]);
      const index = parent.members.map((m) => m.key).lastIndexOf(key);
      const members = parent.members;
      if (members.length === 1) return text.slice(0, parent.start) + '{}' + text.slice(parent.end);
      if (index < members.length - 1) return text.slice(0, members[index].keyStart) + text.slice(members[index + 1].keyStart);
      return text.slice(0, members[index - 1].value.end) + text.slice(members[index].value.end);
    }
    case 'add': {
      const parent = at(edit.path);
      if (parent.kind !== 'object') throw new CairnError('BAD_FILE', `'${edit.path.join('.')}' is not an object`, { file });
      const entry = `${JSON.stringify(edit.key)}: ${jsonText(edit.value)}`;
      const members = parent.members;
      if (members.length === 0) return text.slice(0, parent.start) + `{${entry}}` + text.slice(parent.end);
      const last = members[members.length - 1];
      // The spacing before the last key (after its comma, or after the brace) is the file's own.
      const before = members.length > 1 ? text.slice(text.indexOf(',', members[members.length - 2].value.end) + 1, last.keyStart) : text.slice(parent.start + 1, last.keyStart);
      return text.slice(0, last.value.end) + `,${before || ' '}${entry}` + text.slice(last.value.end);
    }
  }
}

/** A value as Python's json.dumps writes it. */
function jsonText(value: ParamValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof PyFloat || typeof value === 'number') {
    const n = value instanceof PyFloat ? value.value : value;
    if (!Number.isFinite(n)) {
      // Python's json writes NaN/Infinity, but they are not JSON: other readers (Cairn's params reader too) fail on them.
      throw new CairnError('USAGE', `cannot write ${pyFloatRepr(n)} into a JSON file: JSON has no NaN or Infinity`, { hint: 'Use a number, or keep this param in YAML or TOML.' });
    }
    return pyNumberText(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(', ')}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${jsonText(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** JSON as Python's json module reads it (NaN and Infinity too), with where each value is. */
class JsonScanner {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  document(): JsonNode {
    const node = this.value(0);
    this.space();
    if (this.at !== this.text.length) throw this.fail('text after the JSON value');
    return node;
  }

  private value(depth: number): JsonNode {
    if (depth > 1000) throw this.fail('nested too deep');
    this.space();
    const start = this.at;
    const c = this.text[this.at];
    if (c === '{') {
      this.at++;
      const members: { key: string; keyStart: number; value: JsonNode }[] = [];
      this.space();
      if (this.text[this.at] === '}') return { kind: 'object', start, end: ++this.at, members };
      for (;;) {
        this.space();
        const keyStart = this.at;
        if (this.text[this.at] !== '"') throw this.fail('expected a key in double quotes');
        const key = this.keyText(keyStart, this.stringEnd());
        this.space();
        if (this.text[this.at++] !== ':') throw this.fail("expected ':'");
        members.push({ key, keyStart, value: this.value(depth + 1) });
        this.space();
        const next = this.text[this.at++];
        if (next === '}') return { kind: 'object', start, end: this.at, members };
        if (next !== ',') throw this.fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      this.at++;
      const items: JsonNode[] = [];
      this.space();
      if (this.text[this.at] === ']') return { kind: 'array', start, end: ++this.at, items };
      for (;;) {
        items.push(this.value(depth + 1));
        this.space();
        const next = this.text[this.at++];
        if (next === ']') return { kind: 'array', start, end: this.at, items };
        if (next !== ',') throw this.fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: 'scalar', start, end: this.stringEnd() };
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity)/.exec(this.text.slice(this.at, this.at + 400));
    if (!literal) throw this.fail('expected a value');
    this.at += literal[0].length;
    return { kind: 'scalar', start, end: this.at };
  }

  /** A key's text (JSON's rules: no raw control characters, as Python's json refuses them too). */
  private keyText(start: number, end: number): string {
    try {
      return JSON.parse(this.text.slice(start, end)) as string;
    } catch {
      throw this.fail('a key is not a valid JSON string');
    }
  }

  /** The index after the string that starts at `this.at`, which it moves there. */
  private stringEnd(): number {
    let i = this.at + 1;
    while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
    if (i >= this.text.length) throw this.fail('a string is not closed');
    this.at = i + 1;
    return this.at;
  }

  private space(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  private fail(what: string): CairnError {
    const line = this.text.slice(0, this.at).split('\n').length;
    return new CairnError('BAD_FILE', `invalid JSON: ${what}`, { file: this.file, line, hint: 'Fix the JSON syntax.' });
  }
}
