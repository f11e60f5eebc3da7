import * as path from 'node:path';
import { Hover, MarkupKind, Position, Range } from 'vscode-languageserver';
import { DocumentRequest, preview } from './completion';
import type { Loaded } from './semanticDiagnostics';
import { toRange } from './semanticDiagnostics';
import { PipelineVariables } from './variables';
import type { YamlText } from './yamlText';
import { stageDir, stageParamsFile, stageProducing } from './definition';

export interface HoverInput extends DocumentRequest {
  /** The pipeline as `src/core/pipeline` resolved it: `${}` values per generated stage. */
  loaded?: Loaded;
}

/** Hover: what a key means (from the schema), a `${}`'s value, a param's value, who produces a dep. */
export function hover(input: HoverInput): Hover | undefined {
  const { yaml, position } = input;
  const interpolation = interpolationAt(yaml, position);
  if (interpolation && input.kind === 'pipeline') return hoverInterpolation(input, interpolation.expr, interpolation.range);

  const at = yaml.scalarAt(yaml.offset(position));
  if (!at) return undefined;
  const range = yaml.nodeRange(at.scalar);
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });
  if (at.isKey) {
    const key = String(at.path[at.path.length - 1]);
    if (input.kind === 'pipeline' && at.path.length === 2 && at.path[0] === 'stages') return md(stageSummary(input, key));
    const schema = input.schemas.schemaAt(input.kind, at.path, yaml.value);
    return schema?.description ? md(`**${key}**\n\n${schema.description}`) : undefined;
  }
  const [top, stage, field] = at.path;
  if (input.kind !== 'pipeline' || top !== 'stages' || typeof stage !== 'string' || typeof at.scalar.value !== 'string') return undefined;
  const isDo = field === 'do';
  const listField = isDo ? at.path[3] : field;
  if (listField === 'params') {
    const file = stageParamsFile(input.yaml, input.file, stage);
    const key = input.params.get(file)?.keys.get(at.scalar.value);
    // A key the file lacks has its diagnostic (shown in this hover too): not said twice.
    return key ? md(`\`${at.scalar.value}\` = \`${preview(key.value)}\` (${path.basename(file)})`) : undefined;
  }
  if (listField === 'deps') {
    const producer = stageProducing(yaml, at.scalar.value, stageDir(yaml, input.file, stage), input.file);
    return producer ? md(`Written by stage \`${producer.stage}\``) : undefined;
  }
  return undefined;
}

/** A stage's command, and for foreach/matrix the stages it generates, as the loader resolved them. */
function stageSummary(input: HoverInput, name: string): string {
  const lines = [`**stage \`${name}\`**`];
  const generated = (input.loaded?.pipelines.stages ?? []).filter((s) => s.file === input.loaded!.relFile && (s.name === name || s.generatedFrom?.name === name));
  for (const s of generated.slice(0, 10)) {
    const cmd = Array.isArray(s.cmd) ? s.cmd.join(' && ') : s.cmd;
    lines.push(`- ${generated.length > 1 || s.name !== name ? `\`${s.name}\`: ` : ''}\`${preview(cmd)}\` (${s.deps.length} deps, ${s.outs.length} outs)`);
  }
  if (generated.length > 10) lines.push(`- … ${generated.length - 10} more`);
  return lines.join('\n');
}

function hoverInterpolation(input: HoverInput, expr: string, range: Range): Hover | undefined {
  const lines: string[] = [];
  // Values as the pipeline loader resolved them, one per generated stage.
  for (const stage of input.loaded?.pipelines.stages ?? []) {
    if (stage.file !== input.loaded!.relFile) continue;
    for (const i of stage.interpolations) {
      const r = toRange(input.yaml, i.range);
      if (r.start.line === range.start.line && r.start.character <= range.start.character && r.end.character >= range.end.character) {
        lines.push(`- \`${stage.name}\`: \`${preview(i.value)}\`${i.definedIn && i.definedIn !== 'item' && i.definedIn !== 'key' ? ` (${i.definedIn})` : ''}`);
      }
    }
  }
  if (lines.length) return { contents: { kind: MarkupKind.Markdown, value: `\`${expr}\`\n\n${[...new Set(lines)].slice(0, 20).join('\n')}` }, range };
  const stage = stageAt(input.yaml, range.start);
  const r = new PipelineVariables(input.yaml, input.file, input.params).scope(stage).resolve(expr);
  if (!r.found) return undefined; // its diagnostic says so, in this hover too
  const value = r.generated ? 'a value of each generated stage' : `\`${preview(r.value)}\`${r.where ? ` (${path.basename(r.where.file)}:${r.where.range.start.line + 1})` : ''}`;
  return { contents: { kind: MarkupKind.Markdown, value: `\`${expr}\` = ${value}` }, range };
}

/** The stage whose definition holds a position (by indentation of the lines above). */
export function stageAt(yaml: YamlText, position: Position): string | undefined {
  const at = yaml.scalarAt(yaml.offset(position));
  if (at && at.path[0] === 'stages' && typeof at.path[1] === 'string') return at.path[1];
  return undefined;
}

/** The `${...}` under the cursor: its expression and range (the whole `${...}`). */
export function interpolationAt(yaml: YamlText, position: Position): { expr: string; range: Range } | undefined {
  const text = yaml.lineText(position.line);
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    const start = m.index!;
    const end = start + m[0].length;
    if (position.character >= start && position.character <= end) {
      return { expr: m[1].trim(), range: { start: { line: position.line, character: start }, end: { line: position.line, character: end } } };
    }
  }
  return undefined;
}
