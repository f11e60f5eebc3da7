import { isMap, isScalar, isSeq, Node, Scalar } from 'yaml';
import { keyString, YamlPath, YamlText } from './yamlText';

/** One `${...}` in a string of a pipeline file. */
export interface Interpolation {
  /** The expression inside the braces, trimmed: `train.lr`, `item`. */
  expr: string;
  /** Offsets of `${` and just after `}` in the document. */
  start: number;
  end: number;
  /** Offsets of the trimmed expression. */
  exprStart: number;
  exprEnd: number;
  /** The path of the scalar holding it (its key path when it is in a key). */
  path: YamlPath;
  isKey: boolean;
}

/**
 * The `${...}` in a text, in one pass (a regex rescanned the rest of the text at every unclosed
 * `${`): `start` of the `${`, `inner` up to the first `}` after it, and whether an odd run of
 * backslashes escapes it (an escaped one still runs to its `}`).
 */
export function* scanInterpolations(text: string): Generator<{ start: number; inner: string; escaped: boolean }> {
  for (let from = 0; ; ) {
    const start = text.indexOf('${', from);
    if (start < 0) return;
    const close = text.indexOf('}', start + 2);
    if (close < 0) return;
    let slashes = 0;
    while (start - slashes - 1 >= from && text[start - slashes - 1] === '\\') slashes++;
    yield { start, inner: text.slice(start + 2, close), escaped: slashes % 2 === 1 };
    from = close + 1;
  }
}

/** Every `${...}` in the document's scalars (keys too), in order; `\${` is an escaped, literal one. */
export function findInterpolations(yaml: YamlText): Interpolation[] {
  const found: Interpolation[] = [];
  const scan = (scalar: Scalar, path: YamlPath, isKey: boolean) => {
    if (!scalar.range || typeof scalar.value !== 'string' || !scalar.value.includes('${')) return;
    const [from, to] = scalar.range;
    const source = yaml.text.slice(from, to);
    for (const m of scanInterpolations(source)) {
      if (m.escaped) continue;
      const start = from + m.start;
      const inner = m.inner;
      const lead = inner.length - inner.trimStart().length;
      const expr = inner.trim();
      found.push({ expr, start, end: start + 2 + inner.length + 1, exprStart: start + 2 + lead, exprEnd: start + 2 + lead + expr.length, path, isKey });
    }
  };
  const walk = (node: unknown, path: YamlPath) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyPath = [...path, keyString(pair.key)];
        if (isScalar(pair.key)) scan(pair.key, keyPath, true);
        walk(pair.value, keyPath);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
    else if (isScalar(node)) scan(node, path, false);
  };
  walk(yaml.doc.contents as Node | null, []);
  return found;
}

/** `a.b[0].c` → ['a', 'b', '0', 'c']; undefined when it is not a plain name path (an expression DVC does not support). */
export function splitName(expr: string): string[] | undefined {
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*$/.test(expr)) return undefined;
  return expr.replace(/\[(\d+)\]/g, '.$1').split('.');
}

/** Follows a name path through plain data: `{found, value}`. */
export function lookupPath(data: unknown, segments: string[]): { found: boolean; value: unknown } {
  let value = data;
  for (const seg of segments) {
    if (value === null || typeof value !== 'object' || !(seg in (value as object))) return { found: false, value: undefined };
    value = (value as Record<string, unknown>)[seg];
  }
  return { found: true, value };
}
