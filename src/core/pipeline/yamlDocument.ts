import { Alias, Document, isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, Pair, parseDocument, ParsedNode, Scalar, YAMLMap, YAMLParseError, YAMLSeq } from 'yaml';
import { parseBlockYaml } from './blockYaml';
import { checkDocumentSize, count, limitExceeded, PIPELINE_LIMITS, tooDeep } from './limits';

/**
 * Parse a pipeline file's YAML (dvc.yaml, dvc.lock, params/vars, `.dvc`) within
 * `PIPELINE_LIMITS`: its size, aliases and nesting depth, each a LIMIT_EXCEEDED CairnError
 * naming `file`. Duplicate keys are YAML errors in `doc.errors`, as the parser's `uniqueKeys`
 * gives them, but found with a set per mapping (the parser compares each key with every
 * earlier one: a 50,000-key mapping took a minute).
 */
export function parseYamlDocument(text: string, file: string, lineCounter = new LineCounter(), options: { prettyErrors?: boolean } = {}): Document {
  // A text parsed before passed every check below (exp show hands dvc.yaml out 300 times).
  const hit = shared?.get(text);
  if (hit) {
    for (const start of hit.lineStarts) lineCounter.addNewLine(start);
    return hit.doc;
  }
  checkDocumentSize(text, file);
  // Before parsing: when the stack runs out while V8 compiles a regular expression deep in the
  // parser, the process aborts ("RegExpCompiler Allocation failed") instead of throwing a
  // RangeError. The bound is rough (a bracket in a string counts), hence twice the limit.
  const deepLine = lineNestedDeeperThan(text, 2 * PIPELINE_LIMITS.depth);
  if (deepLine !== undefined) throw tooDeep(file, deepLine);
  let doc: Document | undefined = parseBlockYaml(text, lineCounter);
  try {
    doc ??= parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: options.prettyErrors ?? true });
  } catch (err) {
    // The parser recurses per nesting level: thousands of `[` end its stack before our own check.
    if (err instanceof RangeError) throw tooDeep(file, undefined);
    throw err;
  }
  checkStructure(doc, file, lineCounter);
  if (shared && doc.errors.length === 0 && doc.warnings.length === 0) shared.set(text, { doc, lineStarts: lineCounter.lineStarts });
  return doc;
}

/** While `sharingParsedYaml` runs: documents without errors by their text, handed out again instead of parsed again. */
let shared: Map<string, { doc: Document; lineStarts: number[] }> | undefined;

/**
 * Run `fn` with each text parsed once: `cairn lint` parses a file for its syntax and schema
 * checks, then again when the pipelines load. A document handed out twice must not be changed.
 */
export async function sharingParsedYaml<T>(fn: () => Promise<T>): Promise<T> {
  if (shared) return fn();
  shared = new Map();
  try {
    return await fn();
  } finally {
    shared = undefined;
  }
}

/**
 * One walk (with a stack of its own) over the nodes: aliases are replaced by a copy of what they
 * name and merge keys (`<<: *base`) merged, as DVC's YAML loader does, so every reader sees plain
 * values; then depth and duplicate keys are checked. Expansion is bounded: at most
 * `PIPELINE_LIMITS.aliases` aliases and `PIPELINE_LIMITS.aliasNodes` values made by them.
 */
function checkStructure(doc: Document, file: string, lineCounter: LineCounter): void {
  const lineOf = (node: unknown) => {
    const r = (node as { range?: [number, number, number] } | undefined)?.range;
    return r ? lineCounter.linePos(r[0]).line : undefined;
  };
  let aliases = 0;
  let copiedNodes = 0;
  const targets = aliasTargets(doc);
  const copyOf = (alias: Alias): ParsedNode => {
    const hint = 'Write the values out, or share fewer of them through anchors (&name) and aliases.';
    if (++aliases > PIPELINE_LIMITS.aliases) throw limitExceeded(`'${file}' has too many YAML aliases`, `${count(PIPELINE_LIMITS.aliases)} aliases (*name) per file`, { file, line: lineOf(alias) }, hint);
    // Aliases in copies are not in the map (an anchor naming itself): resolved the slow way, rarely.
    const target = targets.has(alias) ? targets.get(alias) : alias.resolve(doc);
    if (!target) return new Scalar(null) as ParsedNode; // the parser has reported the unknown anchor
    // Counted before copying: each copy of an alias of an alias can be ten times the last.
    copiedNodes += nodeCountUpTo(target, PIPELINE_LIMITS.aliasNodes - copiedNodes);
    if (copiedNodes > PIPELINE_LIMITS.aliasNodes) {
      throw limitExceeded(`'${file}' expands its YAML aliases past ${count(PIPELINE_LIMITS.aliasNodes)} values`, `${count(PIPELINE_LIMITS.aliasNodes)} values made by aliases per file`, { file, line: lineOf(alias) }, hint);
    }
    const copy = target.clone() as ParsedNode;
    delete copy.anchor;
    return copy;
  };
  const errorsBefore = doc.errors.length;
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth >= PIPELINE_LIMITS.depth) throw tooDeep(file, lineOf(node));
    node.items.forEach((item, i) => {
      if (isAlias(item)) node.items[i] = copyOf(item);
      else if (isPair(item) && isAlias(item.value)) item.value = copyOf(item.value);
    });
    if (isMap(node)) mergeKeys(node);
    const keys = isMap(node) ? new Set<unknown>() : undefined;
    for (const item of node.items) {
      if (!keys || !isPair(item) || !isScalar(item.key)) continue;
      if (keys.has(item.key.value)) duplicateKey(doc, item.key.range?.[0] ?? 0, lineCounter);
      keys.add(item.key.value);
    }
    // Pushed last first: nodes are visited in the document's order.
    for (let i = node.items.length - 1; i >= 0; i--) {
      const item = node.items[i];
      if (isPair(item)) stack.push({ node: item.value, depth: depth + 1 }, { node: item.key, depth: depth + 1 });
      else stack.push({ node: item, depth: depth + 1 });
    }
  }
  // Duplicates were found map by map; errors are reported in the document's order.
  if (doc.errors.length > errorsBefore) doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
}

/**
 * What each alias of the document names, in one pass in document order (an anchor counts from
 * where it is set, a later one of the same name taking over): `Alias.resolve` searches the whole
 * document for each alias, which is quadratic in a file of many aliases.
 */
function aliasTargets(doc: Document): Map<Alias, ParsedNode | undefined> {
  const anchors = new Map<string, ParsedNode>();
  const targets = new Map<Alias, ParsedNode | undefined>();
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      continue;
    }
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor) anchors.set(anchor, node as ParsedNode);
    if (!isCollection(node)) continue;
    for (let i = node.items.length - 1; i >= 0; i--) {
      const item = node.items[i];
      if (isPair(item)) stack.push(item.value, item.key);
      else stack.push(item);
    }
  }
  return targets;
}

/**
 * YAML merge keys, as DVC's loader reads them: `<<: map` (or a list of maps) adds the keys the
 * mapping does not set itself, the first map listed winning.
 */
function mergeKeys(map: YAMLMap): void {
  const isMerge = (item: unknown): item is Pair => isPair(item) && isScalar(item.key) && item.key.value === '<<' && (isMap(item.value) || isSeq(item.value));
  if (!map.items.some(isMerge)) return;
  const own: Pair[] = map.items.filter((item: Pair) => !isMerge(item));
  const present = new Set<unknown>(own.map((p) => (isScalar(p.key) ? p.key.value : p.key)));
  const merged: Pair[] = [];
  for (const item of map.items.filter(isMerge)) {
    const sources = isMap(item.value) ? [item.value] : (item.value as YAMLSeq).items.filter(isMap);
    for (const source of sources) {
      for (const pair of source.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (present.has(key)) continue;
        present.add(key);
        merged.push(pair);
      }
    }
  }
  map.items = [...own, ...merged];
}

/**
 * Nodes in a value (an alias counts one), counting stopped past `limit`. Not remembered: a
 * mapping or list can grow after it was counted, as its own aliases are replaced.
 */
function nodeCountUpTo(node: unknown, limit: number): number {
  let n = 0;
  const stack: unknown[] = [node];
  while (stack.length && n <= limit) {
    const next = stack.pop();
    n++;
    if (!isCollection(next)) continue;
    for (const item of next.items) {
      if (isPair(item)) stack.push(item.key, item.value);
      else stack.push(item);
    }
  }
  return n;
}

function duplicateKey(doc: Document, offset: number, lineCounter: LineCounter): void {
  const error = new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', 'Map keys must be unique');
  error.linePos = [lineCounter.linePos(offset), lineCounter.linePos(offset + 1)];
  doc.errors.push(error);
}

/**
 * The first line (1-based) at which an upper bound of a YAML text's nesting passes `limit`, in
 * one pass, or undefined: the open block levels (indentation), the `- `/`? `/`: ` indicators
 * opening levels on one line, and the open `[`/`{` (outside quotes and comments, roughly: a
 * bracket inside a string only makes the bound larger).
 */
export function lineNestedDeeperThan(text: string, limit: number): number | undefined {
  let flow = 0;
  let lineNumber = 0;
  const indents: number[] = [];
  for (const line of text.split('\n')) {
    lineNumber++;
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (flow === 0) {
      while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
    }
    const compact = /^(?:[-?:](?:\s+|$))*/.exec(content)![0].replace(/\s+/g, '').length;
    let quote = '';
    for (const ch of content) {
      if (quote) {
        if (ch === quote) quote = '';
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#') break;
      else if (ch === '[' || ch === '{') {
        if (indents.length + compact + ++flow > limit) return lineNumber;
      } else if ((ch === ']' || ch === '}') && flow > 0) flow--;
    }
    if (indents.length + compact + flow > limit) return lineNumber;
  }
  return undefined;
}
