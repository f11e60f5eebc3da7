import { Document, isMap, isPair, isScalar, isSeq, LineCounter, Node, Pair, parseDocument, Scalar, YAMLParseError } from 'yaml';
import { CairnError } from '../core/errors';
import { parseYamlDocument } from '../core/pipeline/yamlDocument';
import type { Position, Range } from 'vscode-languageserver';

/** A path into a YAML value: map keys and sequence indexes. */
export type YamlPath = (string | number)[];

/** A YAML text parsed once, with its line table: positions and node ranges for every other module. */
export class YamlText {
  readonly doc: Document;
  lineCounter = new LineCounter();
  private js: unknown;
  private jsDone = false;

  constructor(readonly text: string, file = 'this file') {
    this.doc = limitedDocument(text, file, this.lineCounter);
  }

  /** The document as plain data (aliases and merge keys resolved); undefined when it cannot be built. */
  get value(): unknown {
    if (!this.jsDone) {
      this.jsDone = true;
      try {
        this.js = this.doc.toJS({ maxAliasCount: 1000 });
      } catch {
        this.js = undefined;
      }
    }
    return this.js;
  }

  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(Math.max(0, Math.min(offset, this.text.length)));
    // linePos is 1-based, and line 0 means "before the first newline was seen" (a one-line text).
    return { line: Math.max(0, line - 1), character: Math.max(0, col - 1) };
  }

  offset(position: Position): number {
    const starts = this.lineCounter.lineStarts;
    if (position.line >= starts.length) return this.text.length;
    const lineStart = starts[position.line] ?? 0;
    const lineEnd = position.line + 1 < starts.length ? starts[position.line + 1] - 1 : this.text.length;
    return Math.min(lineStart + position.character, lineEnd);
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  /** The range of a node's own text (a scalar's value, a collection's items), without trailing comments. */
  nodeRange(node: Node | null | undefined): Range | undefined {
    if (!node?.range) return undefined;
    const [start, valueEnd] = node.range;
    return this.range(start, valueEnd);
  }

  /** The text of line `line` (0-based), without its line break. */
  lineText(line: number): string {
    const starts = this.lineCounter.lineStarts;
    const start = starts[line];
    if (start === undefined) return '';
    const end = line + 1 < starts.length ? starts[line + 1] : this.text.length;
    return this.text.slice(start, end).replace(/\r?\n$/, '');
  }

  get lineCount(): number {
    return this.lineCounter.lineStarts.length;
  }

  /**
   * The node at `path`, with the pair holding it when it is a map value. Stops at the deepest
   * node that exists: `found` says whether the whole path was resolved.
   */
  locate(path: YamlPath): Located {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    let depth = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const p = node.items.find((it) => isPair(it) && keyString(it.key) === String(seg));
        if (!p) break;
        pair = p;
        node = p.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        pair = undefined;
        node = item;
      } else break;
      depth++;
    }
    return { node: (node ?? undefined) as Node | undefined, pair, found: depth === path.length, depth };
  }

  /** The range to report for the map value at `path`: its key when it has one, else the node, else the first line. */
  keyOrNodeRange(path: YamlPath): Range {
    if (path.length === 0) return this.firstLineRange(); // the whole document: not one squiggle over everything
    const at = this.locate(path);
    if (at.found && at.pair && isScalar(at.pair.key)) return this.nodeRange(at.pair.key as Scalar)!;
    return this.nodeRange(at.node) ?? this.firstLineRange();
  }

  firstLineRange(): Range {
    return { start: { line: 0, character: 0 }, end: { line: 0, character: this.lineText(0).length } };
  }

  /**
   * The innermost scalar at `offset`, with its path and whether it is a map key; undefined
   * when the offset is in whitespace or a comment.
   */
  scalarAt(offset: number): ScalarAt | undefined {
    const walk = (node: unknown, path: YamlPath): ScalarAt | undefined => {
      if (isMap(node)) {
        for (const p of node.items) {
          const key = p.key as Node | null;
          const keyPath = [...path, keyString(key)];
          if (isScalar(key) && contains(key, offset)) return { scalar: key, path: keyPath, isKey: true };
          const v = p.value as Node | null;
          if (v && contains(v, offset, true)) return walk(v, keyPath);
        }
      } else if (isSeq(node)) {
        for (let i = 0; i < node.items.length; i++) {
          const v = node.items[i] as Node | null;
          if (v && contains(v, offset, true)) return walk(v, [...path, i]);
        }
      } else if (isScalar(node) && contains(node, offset)) {
        return { scalar: node, path, isKey: false };
      }
      return undefined;
    };
    return walk(this.doc.contents, []);
  }
}

export interface Located {
  node: Node | undefined;
  pair: Pair | undefined;
  found: boolean;
  depth: number;
}

export interface ScalarAt {
  scalar: Scalar;
  path: YamlPath;
  isKey: boolean;
}

/** A map key as a string (keys in pipeline files are scalars). */
export function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  // A collection as a key (`? [a]: b`, or `{{{…` typed by mistake): never printed whole, it may nest thousands deep.
  if (isMap(key) || isSeq(key)) return isMap(key) ? '{…}' : '[…]';
  return String(key);
}

function contains(node: Node, offset: number, inclusiveEnd = true): boolean {
  if (!node.range) return false;
  const [start, end] = node.range;
  return offset >= start && (inclusiveEnd ? offset <= end : offset < end);
}

/**
 * The document within the core's parser limits; past one, an empty document whose one error
 * (`YAML_LIMIT_EXCEEDED`) says which: nothing else is checked in it.
 */
function limitedDocument(text: string, file: string, lineCounter: LineCounter): Document {
  try {
    return parseYamlDocument(text, file, lineCounter, { prettyErrors: false });
  } catch (err) {
    if (!(err instanceof CairnError) || err.code !== 'LIMIT_EXCEEDED') throw err;
    const doc = parseDocument('', { lineCounter: new LineCounter() });
    // At the line named (an alias, a nesting level), else the first; the lines are known once the text was parsed.
    const start = (err.line !== undefined ? lineCounter.lineStarts[err.line - 1] : undefined) ?? 0;
    const lineEnd = text.indexOf('\n', start);
    const end = Math.min(lineEnd < 0 ? text.length : lineEnd, start + 200);
    doc.errors.push(new YAMLParseError([start, Math.max(end, start + 1)], 'LIMIT_EXCEEDED' as YAMLParseError['code'], `${err.message}. ${err.hint}`));
    return doc;
  }
}
