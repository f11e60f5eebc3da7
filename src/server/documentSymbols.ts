import { isMap, isPair, isScalar, isSeq, Node, Pair } from 'yaml';
import { DocumentSymbol, SymbolKind } from 'vscode-languageserver';
import type { YamlText } from './yamlText';

/**
 * The outline of a pipeline file: top-level keys, and under `stages` each stage with its
 * keys (cmd, deps, outs…) and their items.
 */
export function documentSymbols(yaml: YamlText): DocumentSymbol[] {
  const contents = yaml.doc.contents;
  if (!isMap(contents)) return [];
  return contents.items.map((pair) => {
    const top = symbolOfPair(yaml, pair, SymbolKind.Module);
    if (top && String(keyValue(pair)) === 'stages' && isMap(pair.value)) {
      top.children = pair.value.items.map((stage) => {
        const s = symbolOfPair(yaml, stage, SymbolKind.Function)!;
        s.detail = stageDetail(stage.value);
        s.children = isMap(stage.value) ? stage.value.items.map((k) => withItems(yaml, k)).filter((x): x is DocumentSymbol => !!x) : [];
        return s;
      }).filter(Boolean);
    } else if (top) {
      const child = withItems(yaml, pair);
      top.children = child?.children;
    }
    return top;
  }).filter((s): s is DocumentSymbol => !!s);
}

function keyValue(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function stageDetail(def: unknown): string | undefined {
  if (!isMap(def)) return undefined;
  const cmd = def.get('cmd', true);
  if (isScalar(cmd)) return String(cmd.value);
  return def.has('foreach') ? 'foreach' : def.has('matrix') ? 'matrix' : undefined;
}

function symbolOfPair(yaml: YamlText, pair: Pair, kind: SymbolKind): DocumentSymbol | undefined {
  const key = pair.key as Node | null;
  const value = pair.value as Node | null;
  const selection = yaml.nodeRange(key);
  if (!selection) return undefined;
  const end = value?.range ? value.range[1] : key!.range![1];
  return { name: String(keyValue(pair)), kind, range: yaml.range(key!.range![0], end), selectionRange: selection, children: [] };
}

/** A stage key, with the entries of its list (deps, outs…) or map (do) as children. */
function withItems(yaml: YamlText, pair: Pair): DocumentSymbol | undefined {
  const s = symbolOfPair(yaml, pair, SymbolKind.Property);
  if (!s) return undefined;
  const value = pair.value;
  if (isSeq(value)) {
    s.children = value.items
      .map((item): DocumentSymbol | undefined => {
        const node = (isMap(item) && isPair(item.items[0]) ? item.items[0].key : item) as Node | null;
        const r = yaml.nodeRange(node);
        const name = isScalar(node) ? String(node.value) : undefined;
        return r && name ? { name, kind: SymbolKind.File, range: yaml.nodeRange(item as Node)!, selectionRange: r } : undefined;
      })
      .filter((x): x is DocumentSymbol => !!x);
  } else if (isMap(value)) {
    s.children = value.items.map((p) => withItems(yaml, p)).filter((x): x is DocumentSymbol => !!x);
  }
  return s;
}
