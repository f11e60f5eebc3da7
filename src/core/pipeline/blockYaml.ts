import { Document, isMap, isScalar, isSeq, LineCounter, Pair, ParsedNode, Scalar, ScalarTag, YAMLMap, YAMLSeq } from 'yaml';

/**
 * A fast reader for the plain block YAML that dvc.yaml, dvc.lock and params files nearly always
 * are: `key: value` mappings and `- item` lists nested by indentation, with plain and one-line
 * quoted scalars and comments. It builds the very Document the yaml package's `parseDocument`
 * builds (the same node classes, values, types, sources and ranges, and the same line starts),
 * about ten times faster: a 10,000-stage pipeline spent most of its `status` in the general
 * parser. Anything else (flow `[...]`/`{...}`, anchors, tags, block scalars, escapes, multi-line
 * scalars, tabs, CR line ends, document markers, and every YAML error) is not read here: the
 * answer is undefined and the caller parses the text in full, so errors and rare forms keep the
 * general parser's exact behaviour. A differential test compares the two on real and fuzzed files.
 */
export function parseBlockYaml(text: string, lineCounter: LineCounter): Document | undefined {
  // Characters the general parser reads in its own ways (line breaks, BOM, tabs, controls).
  if (UNUSUAL_CHARS.test(text)) return undefined;
  const reader = new BlockReader(text);
  const root = reader.read();
  if (!root) return undefined;
  for (const start of reader.lineStarts) lineCounter.addNewLine(start);
  const doc = new Document(undefined, { uniqueKeys: false });
  doc.contents = root;
  doc.range = [root.range[0], root.range[2], text.length];
  return doc;
}

// eslint-disable-next-line no-control-regex
const UNUSUAL_CHARS = /[\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]/;
/** A plain scalar cannot start with these (YAML's indicators; `-`, `?`, `:` are handled apart). */
const INDICATORS = new Set([...',[]{}#&*!|>\'"%@`']);
/** The tags a plain scalar is resolved by (core schema: null, bool, int, float), as the parser's. */
const SCALAR_TAGS = new Document().schema.tags.filter((tag): tag is ScalarTag => !tag.collection);
/** The options tags resolve with (integers as numbers, not bigints), the parser's defaults. */
const PARSE_OPTIONS = new Document().options;

/** A token of a line: a `- ` list marker, or the content after the indentation and markers. */
interface Token {
  dash: boolean;
  /** Offset of the marker or of the content's first character. */
  offset: number;
  col: number;
  line: number;
  /** Offset of the line's end (its `\n`, or the text's end) and of the next line's start. */
  end: number;
  next: number;
}

/** Thrown inside the reader when the text leaves the subset; never escapes `read`. */
class NotBlockYaml {}

class BlockReader {
  readonly lineStarts: number[] = [0];
  private readonly tokens: Token[] = [];
  private index = 0;

  constructor(private readonly text: string) {}

  read(): ParsedNode | undefined {
    try {
      this.tokenize();
      if (this.tokens.length === 0 || this.tokens[0].col !== 0) return undefined;
      const root = this.block();
      // A document that ends in `key:` (a null) ends, in the parser's range, where that null does.
      let last: ParsedNode = root;
      while (isMap(last) || isSeq(last)) last = isMap(last) ? (last.items[last.items.length - 1].value as ParsedNode) : last.items[last.items.length - 1];
      const endsInNull = isScalar(last) && last.source === '';
      return this.index === this.tokens.length && !endsInNull ? root : undefined;
    } catch (err) {
      if (err instanceof NotBlockYaml) return undefined;
      throw err;
    }
  }

  private tokenize(): void {
    const text = this.text;
    let line = 0;
    // A comment line indented otherwise than the line after it can extend the range of the
    // block before it, by rules of the parser's own: such texts are left to it.
    let commentIndents: number[] = [];
    for (let start = 0; start < text.length; line++) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline;
      const next = newline < 0 ? text.length : newline + 1;
      if (newline >= 0) this.lineStarts.push(next);
      let i = skipSpaces(text, start, end);
      if (i < end && text[i] === '#') commentIndents.push(i - start);
      else if (i < end) {
        if (commentIndents.some((indent) => indent !== i - start)) throw new NotBlockYaml();
        commentIndents = [];
      }
      if (i === start && (text.startsWith('---', i) || text.startsWith('...', i))) throw new NotBlockYaml();
      while (i < end && text[i] === '-' && (i + 1 === end || text[i + 1] === ' ')) {
        this.tokens.push({ dash: true, offset: i, col: i - start, line, end, next });
        i = skipSpaces(text, i + 1, end);
      }
      if (i < end && text[i] !== '#') this.tokens.push({ dash: false, offset: i, col: i - start, line, end, next });
      start = next;
    }
    if (commentIndents.some((indent) => indent !== 0)) throw new NotBlockYaml();
  }

  /** The block that starts at the current token: a list, or a mapping. */
  private block(): ParsedNode {
    const t = this.tokens[this.index];
    return t.dash ? this.sequence(t.col) : this.mapping(t.col);
  }

  private sequence(col: number): YAMLSeq.Parsed {
    const seq = new YAMLSeq() as YAMLSeq.Parsed;
    const first = this.tokens[this.index];
    let t: Token | undefined = first;
    while (t && t.dash && t.col === col) {
      this.index++;
      const item = this.tokens[this.index];
      if (!item) throw new NotBlockYaml(); // a `-` with nothing: a null item, rare
      if (item.line === t.line) {
        if (item.dash) seq.items.push(this.sequence(item.col));
        else if (this.keyEnd(item) !== undefined) seq.items.push(this.mapping(item.col));
        else {
          seq.items.push(this.inlineScalar(item.offset, item.end, item.next));
          this.index++;
        }
      } else if (item.col > col) seq.items.push(this.block());
      else throw new NotBlockYaml();
      t = this.tokens[this.index];
    }
    const end = seq.items[seq.items.length - 1].range[2];
    seq.range = [first.offset, end, end];
    return seq;
  }

  private mapping(col: number): YAMLMap.Parsed {
    const map = new YAMLMap() as YAMLMap.Parsed;
    const first = this.tokens[this.index];
    let last: ParsedNode | undefined;
    for (let t = first; t && t.col >= col; t = this.tokens[this.index]) {
      if (t.col > col || t.dash) throw new NotBlockYaml();
      const colon = this.keyEnd(t);
      if (colon === undefined) throw new NotBlockYaml(); // a scalar on a line of its own
      const key = this.key(t.offset, colon);
      const v = skipSpaces(this.text, colon + 1, t.end);
      this.index++;
      let value: ParsedNode;
      if (v < t.end && this.text[v] !== '#') value = this.inlineScalar(v, t.end, t.next);
      else {
        const n = this.tokens[this.index];
        if (n && n.col > col) value = this.block();
        else if (n && n.dash && n.col === col) value = this.sequence(col);
        else {
          // `key:` and nothing: a null. With spaces or a comment after it, or comment lines before
          // the next key, the parser's range for it differs: left to the parser.
          if (v !== colon + 1 || (n ? n.line !== t.line + 1 : t.next !== this.text.length)) throw new NotBlockYaml();
          value = this.plainScalar(v, v, v, false);
        }
      }
      map.items.push(new Pair(key, value) as Pair<ParsedNode, ParsedNode>);
      last = value;
    }
    const end = last!.range[2];
    map.range = [first.offset, end, end];
    return map;
  }

  /** The offset of the `:` that ends a token's key (plain or quoted), or undefined when it is not one. */
  private keyEnd(t: Token): number | undefined {
    const text = this.text;
    const c = text[t.offset];
    if (c === "'" || c === '"') {
      const { close } = this.quoted(t.offset, t.end);
      return text[close + 1] === ':' && (close + 2 === t.end || text[close + 2] === ' ') ? close + 1 : undefined;
    }
    if (INDICATORS.has(c) || c === '-' || c === '?' || c === ':') return undefined;
    for (let i = t.offset; i < t.end; i++) {
      const ch = text[i];
      if (ch === '#' && text[i - 1] === ' ') return undefined;
      if (ch === ':' && (i + 1 === t.end || text[i + 1] === ' ')) {
        // A key of trailing spaces or past the parser's 1,024-character implicit-key limit: left to it.
        if (text[i - 1] === ' ' || i - t.offset > 1000) throw new NotBlockYaml();
        return i;
      }
    }
    return undefined;
  }

  private key(start: number, colon: number): ParsedNode {
    const c = this.text[start];
    return c === "'" || c === '"' ? this.quotedScalar(start, this.quoted(start, colon).value, colon, colon) : this.plainScalar(start, colon, colon, true);
  }

  /** A one-line quoted scalar at `start` (its line ending at `end`): its value and its closing quote's offset. */
  private quoted(start: number, end: number): { value: string; close: number } {
    // Searched within the line: a search to the text's end for each value would be quadratic.
    const line = this.text.slice(start, end);
    const quote = line[0];
    let close = 0;
    for (;;) {
      close = line.indexOf(quote, close + 1);
      if (close < 0) throw new NotBlockYaml(); // not closed on its line
      if (quote === "'" && line[close + 1] === "'") close++; // '' is a quote inside
      else break;
    }
    const inner = line.slice(1, close);
    if (quote === '"' && inner.includes('\\')) throw new NotBlockYaml();
    return { value: quote === "'" ? inner.replace(/''/g, "'") : inner, close: start + close };
  }

  private quotedScalar(start: number, value: string, valueEnd: number, end: number): ParsedNode {
    const scalar = new Scalar(value) as Scalar & ParsedNode;
    scalar.range = [start, valueEnd, end];
    scalar.source = value;
    scalar.type = this.text[start] === "'" ? Scalar.QUOTE_SINGLE : Scalar.QUOTE_DOUBLE;
    return scalar;
  }

  /** A value that starts on a key's or a marker's line and ends on it. */
  private inlineScalar(start: number, end: number, next: number): ParsedNode {
    const text = this.text;
    const c = text[start];
    if (c === "'" || c === '"') {
      const { value, close } = this.quoted(start, end);
      const after = skipSpaces(text, close + 1, end);
      if (after < end && !(text[after] === '#' && after > close + 1)) throw new NotBlockYaml();
      return this.quotedScalar(start, value, close + 1, next);
    }
    if (INDICATORS.has(c) || c === '?' || c === ':' || (c === '-' && (start + 1 === end || text[start + 1] === ' '))) throw new NotBlockYaml();
    const rest = text.slice(start, end);
    const hash = rest.indexOf(' #');
    let valueEnd = hash >= 0 ? start + hash : end;
    while (text[valueEnd - 1] === ' ') valueEnd--;
    // `a: b: c` and `a: b:` are errors (a mapping nested in a compact one): the parser reports them.
    const colonSpace = rest.indexOf(': ');
    if ((colonSpace >= 0 && start + colonSpace < valueEnd) || text[valueEnd - 1] === ':') throw new NotBlockYaml();
    return this.plainScalar(start, valueEnd, next, false);
  }

  private plainScalar(start: number, valueEnd: number, end: number, atKey: boolean): ParsedNode {
    const source = this.text.slice(start, valueEnd);
    const tag = SCALAR_TAGS.find((tag) => (tag.default === true || (atKey && tag.default === 'key')) && tag.test?.test(source));
    let scalar: Scalar;
    if (!tag) scalar = new Scalar(source);
    else {
      const resolved = tag.resolve!(source, () => {
        throw new NotBlockYaml();
      }, PARSE_OPTIONS);
      scalar = resolved instanceof Scalar ? resolved : new Scalar(resolved);
      if (tag.format) scalar.format = tag.format;
    }
    scalar.range = [start, valueEnd, end];
    scalar.source = source;
    scalar.type = Scalar.PLAIN;
    return scalar as Scalar & ParsedNode;
  }
}

function skipSpaces(text: string, i: number, end: number): number {
  while (i < end && text.charCodeAt(i) === 32) i++;
  return i;
}
