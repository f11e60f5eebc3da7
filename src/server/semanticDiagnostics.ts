import * as path from 'node:path';
import { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver';
import { Diagnostic as CoreDiagnostic, lintPipelines, Severity } from '../core/pipeline/lint';
import type { TrackedPath } from '../core/pipeline/graph';
import type { Pipelines, SourceRange } from '../core/pipeline/load';
import { missingParamsError } from '../core/pipeline/paramsFile';
import type { ParamsFiles } from './paramsFile';
import { scanInterpolations } from './interpolation';
import { pathProvided } from './pipelineAnalysis';
import { SOURCE } from './schemaDiagnostics';
import type { YamlText } from './yamlText';

/**
 * What a quick fix needs to know about a diagnostic (carried in `Diagnostic.data`, one or a list):
 * add a key to a params file, remove a duplicated output, or swap a mistyped name for the one
 * "did you mean" names (`from` is found in the diagnostic's range).
 */
export type FixData = { fix: 'add-param'; paramsFile: string; key: string } | { fix: 'remove-out' } | { fix: 'rename'; from: string; to: string };

export interface Loaded {
  root: string;
  relFile: string;
  pipelines: Pipelines;
  /** Outputs of `.dvc` files. */
  tracked?: TrackedPath[];
}

/**
 * The semantic lint of `src/core/pipeline` for one dvc.yaml (load errors, cycles, conflicting
 * outputs, missing dependencies, bad foreach/matrix, undefined `${}`), at ranges in this
 * document, plus params keys missing from their params file. `reported` are the lines
 * syntax/schema diagnostics already cover: the loader's shape errors there are not repeated.
 */
export function semanticDiagnostics(yaml: YamlText, loaded: Loaded, params: ParamsFiles, reported: Set<number>): Diagnostic[] {
  const { root, relFile, pipelines } = loaded;
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (d: Diagnostic) => {
    const key = `${d.range.start.line}:${d.range.start.character}:${d.code}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  };
  for (const d of lintedByFile(loaded).get(relFile) ?? []) {
    let range = d.range ? toRange(yaml, d.range) : yaml.firstLineRange();
    if (d.code === 'BAD_FILE' && reported.has(range.start.line)) continue;
    if (d.code === 'BAD_FILE' && /invalid YAML/.test(d.message)) continue; // syntaxDiagnostics says it, at the exact place
    const missing = /Could not find '([^']+)'/.exec(d.message)?.[1];
    if (missing) range = interpolationRange(yaml, range.start.line, missing) ?? range;
    const data: FixData | undefined =
      d.code === 'OUTPUT_CONFLICT' && /produced by both/.test(d.message) ? { fix: 'remove-out' } : d.suggestion ? { fix: 'rename', ...d.suggestion } : undefined;
    push({ range, message: capitalize(d.message), severity: severity(d.severity), source: SOURCE, code: d.code, data });
  }
  // Params keys the params file does not have: `dvc repro` fails on them.
  const file = pipelines.files.find((f) => f.path === relFile);
  for (const stage of file?.stages ?? []) {
    for (const p of stage.params) {
      const abs = path.join(root, ...p.repoPath.split('/'));
      const parsed = params.get(abs);
      for (const entry of p.entries) {
        if (!entry.range) continue;
        const range = toRange(yaml, entry.range);
        if (!parsed) {
          push({ range, message: `Params file '${p.file}' does not exist.`, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'MISSING_PARAMS_FILE', data: entry.key ? ({ fix: 'add-param', paramsFile: abs, key: entry.key } satisfies FixData) : undefined });
        } else if (entry.key !== null && !parsed.keys.has(entry.key)) {
          // The words and hint of `repro`, which fails on it.
          const err = missingParamsError(stage, p, [entry.key], parsed.keys.keys());
          const add: FixData = { fix: 'add-param', paramsFile: abs, key: entry.key };
          const data: FixData[] = err.suggestion ? [{ fix: 'rename', ...err.suggestion }, add] : [add];
          push({ range, message: `${err.message}. ${err.hint}`, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'MISSING_PARAM', data });
        }
      }
    }
  }
  return out;
}

const linted = new WeakMap<Pipelines, Map<string, CoreDiagnostic[]>>();

/** The pipelines' lint by file, once per loaded `Pipelines` (`cairn lint` shares one load among all files). */
function lintedByFile(loaded: Loaded): Map<string, CoreDiagnostic[]> {
  let byFile = linted.get(loaded.pipelines);
  if (!byFile) {
    byFile = new Map();
    for (const d of lintPipelines(loaded.pipelines, { tracked: loaded.tracked, exists: (p) => pathProvided(loaded.root, p, loaded.tracked) })) {
      const list = byFile.get(d.file);
      if (list) list.push(d);
      else byFile.set(d.file, [d]);
    }
    linted.set(loaded.pipelines, byFile);
  }
  return byFile;
}

/** A core SourceRange (1-based, end exclusive) as an LSP range; a line-only one covers the line's text. */
export function toRange(yaml: YamlText, r: SourceRange): Range {
  const start = { line: r.start.line - 1, character: r.start.col - 1 };
  const end = { line: r.end.line - 1, character: r.end.col - 1 };
  if (start.line === end.line && start.character === end.character) {
    const text = yaml.lineText(start.line);
    const first = text.length - text.trimStart().length;
    return { start: { line: start.line, character: first }, end: { line: start.line, character: text.trimEnd().length } };
  }
  return { start, end };
}

function interpolationRange(yaml: YamlText, line: number, expression: string): Range | undefined {
  const text = yaml.lineText(line);
  for (const m of scanInterpolations(text)) {
    if (m.inner.trim() !== expression && !m.inner.includes(expression)) continue;
    return { start: { line, character: m.start }, end: { line, character: m.start + m.inner.length + 3 } };
  }
  return undefined;
}

function severity(s: Severity): DiagnosticSeverity {
  return s === 'error' ? DiagnosticSeverity.Error : s === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
