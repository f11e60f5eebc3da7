import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompletionItem, CompletionItemKind, InsertTextFormat, MarkupKind, Position, Range } from 'vscode-languageserver';
import { cursorContext } from './cursorContext';
import { lookupPath } from './interpolation';
import type { ParamsFiles } from './paramsFile';
import type { PipelineFileKind } from './pipelineFileKind';
import type { PipelineSchemas, SchemaNode } from './schemas';
import { DEFAULT_PARAMS_FILE, PipelineVariables } from './variables';
import type { YamlText } from './yamlText';

/** A request at a position in an open pipeline file (completion, hover). */
export interface DocumentRequest {
  yaml: YamlText;
  kind: PipelineFileKind;
  /** The file's absolute path: paths and params files are found relative to it. */
  file: string;
  position: Position;
  schemas: PipelineSchemas;
  params: ParamsFiles;
}

export interface CompletionInput extends DocumentRequest {
  /** False when another extension completes from our schemas (Red Hat YAML): then only paths, params and `${}` here. */
  schemaItems?: boolean;
}

const MAX_FILE_ITEMS = 500;

/** Completion in a pipeline file: keys from the schema, `${}` variables, dep paths, params keys. */
export function complete(input: CompletionInput): CompletionItem[] {
  const { yaml, position } = input;
  const lineBefore = yaml.lineText(position.line).slice(0, position.character);
  const open = lineBefore.lastIndexOf('${');
  if (open >= 0 && !lineBefore.slice(open).includes('}') && input.kind === 'pipeline') return completeVariable(input, open + 2);

  const ctx = cursorContext(yaml, position);
  const schemaItems = input.schemaItems !== false;
  const replace: Range = { start: { line: position.line, character: ctx.prefixStart }, end: position };
  const root = yaml.value;
  const data = lookupPath(root, ctx.path.map(String)).value;

  if (ctx.kind === 'item') {
    const list = ctx.path.slice(0, -1);
    const inStage = input.kind === 'pipeline' && list[0] === 'stages' && typeof list[1] === 'string';
    const field = list[list.length - 1];
    if (inStage && field === 'deps') return completePaths(input, stageDir(input, String(list[1])), ctx.prefix, replace, producedPaths(input));
    if (inStage && field === 'params') return completeParams(input, String(list[1]), replace);
    if (!schemaItems) return [];
    // A list of maps (outs of a .dvc file): the item's first key.
    const itemSchema = input.schemas.schemaAt(input.kind, ctx.path, root);
    if (itemSchema?.properties && !isType(itemSchema, 'string')) return keyItems(input.schemas.keysAt(input.kind, ctx.path, root), new Set(), replace);
    return [];
  }

  if (!schemaItems) return [];
  if (ctx.kind === 'key') {
    if (input.kind === 'pipeline' && ctx.path.length === 2 && ctx.path[0] === 'stages') return stageKeys(input, data, replace);
    const present = new Set(data && typeof data === 'object' ? Object.keys(data) : []);
    return keyItems(input.schemas.keysAt(input.kind, ctx.path, root), present, replace);
  }

  // A value: true/false for booleans, '2.0' for the lock schema, folders for wdir.
  const schema = input.schemas.schemaAt(input.kind, ctx.path, root);
  if (!schema) return [];
  if (isType(schema, 'boolean')) return ['true', 'false'].map((label) => ({ label, kind: CompletionItemKind.Value, textEdit: { range: replace, newText: label } }));
  if (input.kind === 'lock' && ctx.path.length === 1 && ctx.path[0] === 'schema') return [{ label: "'2.0'", kind: CompletionItemKind.Value, textEdit: { range: replace, newText: "'2.0'" } }];
  if (input.kind === 'pipeline' && ctx.path[ctx.path.length - 1] === 'wdir') return completePaths(input, path.dirname(input.file), ctx.prefix, replace, [], true);
  return [];
}

function isType(schema: SchemaNode, t: string): boolean {
  return Array.isArray(schema.type) ? schema.type.includes(t) : schema.type === t;
}

function keyItems(keys: Map<string, SchemaNode>, present: Set<string>, replace: Range): CompletionItem[] {
  return [...keys]
    .filter(([k]) => !present.has(k))
    .map(([key, schema], i) => ({
      label: key,
      kind: CompletionItemKind.Property,
      documentation: schema.description ? { kind: MarkupKind.Markdown, value: schema.description } : undefined,
      textEdit: { range: replace, newText: `${key}: ` },
      sortText: String(i).padStart(3, '0'),
    }));
}

/** A stage's keys: foreach/do and matrix too while the stage has neither `cmd` nor `foreach`. */
function stageKeys(input: CompletionInput, data: unknown, replace: Range): CompletionItem[] {
  const present = new Set(data && typeof data === 'object' ? Object.keys(data) : []);
  const plain = input.schemas.keysAt('pipeline', ['stages', '_'], { stages: { _: { cmd: '' } } });
  const foreach = input.schemas.keysAt('pipeline', ['stages', '_'], { stages: { _: { foreach: [] } } });
  const keys = new Map<string, SchemaNode>();
  if (!present.has('foreach') && !present.has('do')) for (const [k, v] of plain) keys.set(k, v);
  if (!present.has('cmd') && !present.has('matrix')) for (const [k, v] of foreach) keys.set(k, v);
  return keyItems(keys, present, replace);
}

/** The folder a stage's paths are relative to: dvc.yaml's, or its `wdir`. */
function stageDir(input: CompletionInput, stage: string): string {
  const def = lookupPath(input.yaml.value, ['stages', stage]).value as Record<string, unknown> | undefined;
  const body = (def?.do ?? def) as Record<string, unknown> | undefined;
  const base = path.dirname(input.file);
  return typeof body?.wdir === 'string' && !body.wdir.includes('${') ? path.resolve(base, body.wdir) : base;
}

/** Paths the pipeline's stages write (relative to dvc.yaml's folder): offered first as deps. */
function producedPaths(input: CompletionInput): string[] {
  const stages = lookupPath(input.yaml.value, ['stages']).value;
  if (!stages || typeof stages !== 'object') return [];
  const out = new Set<string>();
  for (const def of Object.values(stages as Record<string, Record<string, unknown>>)) {
    const body = (def?.do ?? def) as Record<string, unknown> | undefined;
    for (const field of ['outs', 'metrics', 'plots']) {
      const list = body?.[field];
      if (!Array.isArray(list)) continue;
      for (const o of list) {
        const p = typeof o === 'string' ? o : o && typeof o === 'object' ? Object.keys(o)[0] : undefined;
        if (p && !p.includes('${')) out.add(p);
      }
    }
  }
  return [...out];
}

/** Files and folders under `base` matching what is typed (folders end in '/'), and the pipeline's outputs. */
function completePaths(input: CompletionInput, base: string, typed: string, replace: Range, produced: string[], foldersOnly = false): CompletionItem[] {
  const prefix = typed.replace(/^['"]/, '');
  const slash = prefix.lastIndexOf('/');
  const dirPart = slash >= 0 ? prefix.slice(0, slash + 1) : '';
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const p of produced) {
    if (!p.startsWith(prefix)) continue;
    seen.add(p);
    items.push({ label: p, kind: CompletionItemKind.Reference, detail: 'written by a stage', textEdit: { range: replace, newText: p }, sortText: `0${p}` });
  }
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(path.join(base, dirPart), { withFileTypes: true });
  } catch {
    /* not a folder (yet) */
  }
  const showHidden = prefix.slice(slash + 1).startsWith('.');
  for (const e of entries.slice(0, MAX_FILE_ITEMS)) {
    if (e.name.startsWith('.') && !showHidden) continue;
    const isDir = e.isDirectory();
    if (foldersOnly && !isDir) continue;
    const rel = dirPart + e.name + (isDir ? '/' : '');
    if (seen.has(rel) || seen.has(rel.replace(/\/$/, ''))) continue;
    items.push({
      label: rel,
      kind: isDir ? CompletionItemKind.Folder : CompletionItemKind.File,
      textEdit: { range: replace, newText: rel },
      sortText: `1${rel}`,
      // Typing on after a folder should offer its contents.
      command: isDir ? { title: 'More', command: 'editor.action.triggerSuggest' } : undefined,
    });
  }
  return items;
}

/** Keys of the stage's params.yaml, flattened (`train.lr`), with their values; those listed already last. */
function completeParams(input: CompletionInput, stage: string, replace: Range): CompletionItem[] {
  const file = path.join(stageDir(input, stage), DEFAULT_PARAMS_FILE);
  const params = input.params.get(file);
  if (!params) return [];
  const listed = lookupPath(input.yaml.value, ['stages', stage, 'params']).value;
  const already = new Set(Array.isArray(listed) ? listed.filter((x) => typeof x === 'string') : []);
  return [...params.keys.values()]
    .filter((k) => !already.has(k.key))
    .map((k) => ({
      label: k.key,
      kind: CompletionItemKind.Variable,
      detail: preview(k.value),
      documentation: `${path.basename(file)}: ${k.key} = ${preview(k.value)}`,
      textEdit: { range: replace, newText: k.key },
    }));
}

/** Names for `${...}`: the stage's scope (params.yaml, vars, item/key). */
function completeVariable(input: CompletionInput, exprStart: number): CompletionItem[] {
  const { yaml, position } = input;
  const ctx = cursorContext(yaml, position);
  const stage = ctx.path[0] === 'stages' && typeof ctx.path[1] === 'string' ? ctx.path[1] : undefined;
  const scope = new PipelineVariables(yaml, input.file, input.params).scope(stage);
  const typed = yaml.lineText(position.line).slice(exprStart, position.character);
  const lead = typed.length - typed.trimStart().length;
  const replace: Range = { start: { line: position.line, character: exprStart + lead }, end: position };
  const after = yaml.lineText(position.line).slice(position.character);
  const close = after.startsWith('}') ? '' : '}';
  return scope.names().map((name) => {
    const r = scope.resolve(name);
    return {
      label: name,
      kind: r.generated ? CompletionItemKind.Keyword : CompletionItemKind.Variable,
      detail: r.generated ? 'generated per stage' : preview(r.value),
      textEdit: { range: replace, newText: name + close },
      insertTextFormat: InsertTextFormat.PlainText,
    };
  });
}

/** A short, one-line rendering of a value. */
export function preview(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s === undefined ? 'undefined' : s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
