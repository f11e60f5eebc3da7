import { CairnError } from '../errors';
import { StageGraph, TrackedPath } from './graph';
import type { Pipelines, SourceRange } from './stage';

export type Severity = 'error' | 'warning' | 'info';

/** One finding in a pipeline file, for `cairn lint` and the language server. */
export interface Diagnostic {
  /** Repo-relative file. */
  file: string;
  /** 1-based lines and columns; absent when only the file is known. */
  range?: SourceRange;
  severity: Severity;
  code: string;
  message: string;
  /** For "did you mean": the name at fault and the one meant. */
  suggestion?: { from: string; to: string };
}

export interface LintOptions {
  /** Outputs of `.dvc` files (they count as producers and may not overlap stage outputs). */
  tracked?: TrackedPath[];
  /** Whether a repo-relative path exists (for missing dependencies); skipped when absent. */
  exists?: (repoPath: string) => boolean;
}

function rangeAtLine(file: string, line?: number): SourceRange | undefined {
  return line === undefined ? undefined : { file, start: { line, col: 1 }, end: { line, col: 1 } };
}

/**
 * Everything wrong with loaded pipelines, never thrown: load errors (load with
 * `strict: false`), graph problems (cycles, conflicting outputs), missing dependencies, and
 * warnings DVC would give (invalid stage names, unused `${}`-free foreach items are not checked).
 */
export function lintPipelines(pipelines: Pipelines, options: LintOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of pipelines.errors) {
    out.push({ file: e.file ?? '', range: rangeAtLine(e.file ?? '', e.line), severity: 'error', code: e.code, message: messageOf(e), suggestion: e.suggestion });
  }
  const graph = StageGraph.analyze(pipelines.stages, options.tracked ?? []);
  // A stage whose outputs could not be resolved may produce what looks missing: its own error is the one to fix.
  const outputsKnown = pipelines.files.every((f) => f.unresolvedOutputs.length === 0);
  const problems = [...graph.problems, ...(options.exists && outputsKnown ? graph.missingDependencies(options.exists) : [])];
  for (const p of problems) {
    out.push({ file: p.file, range: p.range, severity: p.code === 'MISSING_DEPENDENCY' ? 'warning' : 'error', code: p.code, message: `${p.message}. ${p.hint}` });
  }
  for (const f of pipelines.files) {
    for (const [name, def] of Object.entries(f.definitions)) {
      if (/[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/.test(name)) {
        out.push({ file: f.path, range: def.nameRange, severity: 'warning', code: 'STAGE_NAME', message: `stage name '${name}' has punctuation other than '-' and '_'; \`dvc stage add\` would refuse it and it cannot be addressed reliably` });
      }
    }
    for (const s of f.stages) {
      const seen = new Set<string>();
      for (const d of s.deps) {
        if (d.repoPath && seen.has(d.repoPath)) out.push({ file: f.path, range: d.range, severity: 'warning', code: 'DUPLICATE_DEPENDENCY', message: `'${d.path}' is listed twice in the deps of '${s.name}'` });
        if (d.repoPath) seen.add(d.repoPath);
      }
    }
  }
  return out;
}

function messageOf(e: CairnError): string {
  return e.hint ? `${e.message}${/[.!?:]$/.test(e.message) ? '' : '.'} ${e.hint}` : e.message;
}
