import type { Position } from 'vscode-languageserver';
import type { YamlText } from './yamlText';

/**
 * Where the cursor is in a block-style YAML file, read from the indentation of the lines
 * above it, so that it works on a half-typed line the parser cannot place yet.
 * `path` holds map keys, and `0` for "an item of this list" (which item does not matter for
 * the schema).
 */
export interface CursorContext {
  /** The map the key is typed in (`key`), the key whose value is typed (`value`), or the list an item is typed in (`item`). */
  path: (string | number)[];
  kind: 'key' | 'value' | 'item';
  /** What is typed so far of the word being completed, and the column it starts at. */
  prefix: string;
  prefixStart: number;
}

const LINE = /^(\s*)((?:-[ \t]+)?)(.*)$/;

export function cursorContext(yaml: YamlText, at: Position): CursorContext {
  const before = yaml.lineText(at.line).slice(0, at.character);
  const [, indent, dash, rest] = LINE.exec(before)!;
  const keyValue = /^("[^"]*"|'[^']*'|[^:#'"]+?):[ \t]+(.*)$/.exec(rest);
  let kind: CursorContext['kind'];
  let prefix: string;
  let own: (string | number)[] = [];
  if (keyValue) {
    kind = 'value';
    prefix = keyValue[2];
    own = [unquote(keyValue[1])];
  } else {
    kind = dash ? 'item' : 'key';
    prefix = rest;
  }
  const parents = enclosingKeys(yaml, at.line, dash ? indent.length : indent.length + dash.length, !!dash);
  return { path: [...parents, ...own], kind, prefix, prefixStart: at.character - prefix.length };
}

/** The keys (and list items) enclosing column `column` of line `line`, outermost first. */
function enclosingKeys(yaml: YamlText, line: number, column: number, startsWithDash: boolean): (string | number)[] {
  const path: (string | number)[] = [];
  let limit = column;
  // Right after a list item, the list's key may sit at the item's own column (`outs:` / `- x`).
  let equalAllowed = startsWithDash;
  if (startsWithDash) path.unshift(0);
  for (let j = line - 1; j >= 0 && limit >= 0; j--) {
    const text = yaml.lineText(j);
    if (!text.trim() || text.trimStart().startsWith('#')) continue;
    const [, indent, dash, rest] = LINE.exec(text)!;
    const key = /^("[^"]*"|'[^']*'|[^:#'"]+?):(\s|$)/.exec(rest)?.[1];
    const col = indent.length;
    if (dash) {
      if (col < limit) {
        const contentCol = col + dash.length;
        if (key && contentCol < limit) path.unshift(unquote(key));
        path.unshift(0);
        limit = col;
        equalAllowed = true;
      }
      continue;
    }
    if (key && (col < limit || (equalAllowed && col === limit))) {
      path.unshift(unquote(key));
      limit = col;
      equalAllowed = false;
      if (col === 0) break;
    } else if (col < limit) {
      break; // a line that is neither a key nor an item: the structure above is not block YAML
    }
  }
  return path;
}

function unquote(s: string): string {
  const t = s.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}
