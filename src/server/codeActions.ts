import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMap, isSeq, Node, YAMLMap } from 'yaml';
import { CodeAction, CodeActionKind, Diagnostic, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import type { ParamsFiles } from './paramsFile';
import type { FixData } from './semanticDiagnostics';
import { keyString, YamlText } from './yamlText';

/**
 * Quick fixes: swap a mistyped name for the one "did you mean" names; add a missing key to the
 * params file; remove an output a second stage also declares.
 */
export function codeActions(yaml: YamlText, uri: string, diagnostics: Diagnostic[], params: ParamsFiles): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    const fixes = (Array.isArray(d.data) ? d.data : d.data ? [d.data] : []) as FixData[];
    for (const fix of fixes) {
      if (fix.fix === 'rename') {
        const edit = renameEdit(yaml, uri, d.range, fix.from, fix.to);
        if (edit) actions.push({ title: `Change '${fix.from}' to '${fix.to}'`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit, isPreferred: true });
      } else if (fix.fix === 'add-param') {
        const edit = addParamEdit(fix.paramsFile, fix.key, params);
        if (edit) actions.push({ title: `Add '${fix.key}' to ${path.basename(fix.paramsFile)}`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit, isPreferred: fixes.length === 1 });
      } else if (fix.fix === 'remove-out') {
        const edit = removeItemEdit(yaml, uri, yaml.offset(d.range.start));
        if (edit) actions.push({ title: 'Remove this duplicate output', kind: CodeActionKind.QuickFix, diagnostics: [d], edit });
      }
    }
  }
  return actions;
}

/** Replaces the first `from` inside `range` (a key, a params entry, a `${...}`) with `to`. */
function renameEdit(yaml: YamlText, uri: string, range: Range, from: string, to: string): WorkspaceEdit | undefined {
  const start = yaml.offset(range.start);
  const at = yaml.text.slice(start, yaml.offset(range.end)).indexOf(from);
  if (at < 0) return undefined;
  return { changes: { [uri]: [TextEdit.replace({ start: yaml.position(start + at), end: yaml.position(start + at + from.length) }, to)] } };
}

/** Adds `key` (dotted: nested maps) with an empty value at the end of the map that should hold it. */
export function addParamEdit(file: string, key: string, params: ParamsFiles): WorkspaceEdit | undefined {
  const uri = pathToFileURL(file).href;
  const segments = key.split('.');
  const parsed = params.get(file);
  const block = (segs: string[], indent: number) => segs.map((s, i) => `${' '.repeat(indent + 2 * i)}${s}:${i === segs.length - 1 ? ' ' : ''}`).join('\n');
  if (!parsed) {
    return { documentChanges: [{ kind: 'create', uri, options: { ignoreIfExists: true } }, { textDocument: { uri, version: null }, edits: [TextEdit.insert({ line: 0, character: 0 }, block(segments, 0) + '\n')] }] };
  }
  if (!parsed.yaml) return undefined; // TOML: no positions to edit at
  const yaml = parsed.yaml;
  let map: unknown = yaml.doc.contents;
  let depth = 0;
  while (depth < segments.length - 1 && isMap(map)) {
    const next = (map as YAMLMap).items.find((p) => keyString(p.key) === segments[depth])?.value;
    if (!isMap(next)) break;
    map = next;
    depth++;
  }
  const rest = segments.slice(depth);
  if (depth === 0 || !isMap(map) || (map as YAMLMap).flow) {
    if (isMap(yaml.doc.contents) && (yaml.doc.contents as YAMLMap).flow) return undefined;
    const end = yaml.text.length;
    const sep = end === 0 || yaml.text.endsWith('\n') ? '' : '\n';
    return { changes: { [uri]: [TextEdit.insert(yaml.position(end), `${sep}${block(rest, 0)}\n`)] } };
  }
  const items = (map as YAMLMap).items;
  const first = items[0]?.key as Node | undefined;
  const last = items[items.length - 1];
  const lastNode = ((last?.value as Node | null) ?? (last?.key as Node)) as Node | undefined;
  if (!first?.range || !lastNode?.range) return undefined;
  const indent = yaml.position(first.range[0]).character;
  return { changes: { [uri]: [TextEdit.insert(yaml.position(lastNode.range[1]), `\n${block(rest, indent)}`)] } };
}

/** Deletes the lines of the list item holding `offset` (an output entry). */
export function removeItemEdit(yaml: YamlText, uri: string, offset: number): WorkspaceEdit | undefined {
  const at = yaml.scalarAt(offset);
  if (!at) return undefined;
  // The innermost list index on the path is the entry.
  const index = [...at.path.keys()].reverse().find((i) => typeof at.path[i] === 'number');
  if (index === undefined) return undefined;
  const { node } = yaml.locate(at.path.slice(0, index + 1));
  const seq = yaml.locate(at.path.slice(0, index)).node;
  if (!node?.range || !isSeq(seq) || seq.flow) return undefined;
  const start = yaml.position(node.range[0]).line;
  const end = yaml.position(node.range[1]).line;
  const endsAtLineStart = yaml.position(node.range[1]).character === 0;
  const lastLine = endsAtLineStart ? end - 1 : end;
  return { changes: { [uri]: [TextEdit.del({ start: { line: start, character: 0 }, end: { line: lastLine + 1, character: 0 } })] } };
}
