import * as path from 'node:path';
import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { isMap, isSeq, Node } from 'yaml';
import { checkDvcDocument } from '../core/outputs/dvcFileCheck';
import type { TrackedPath } from '../core/pipeline/graph';
import { repoPathOf } from '../core/pipeline/load';
import { repositoryRoot } from './pipelineAnalysis';
import { SOURCE } from './schemaDiagnostics';
import type { YamlText } from './yamlText';

/** What `DvcFile.parse` (so `status`, `checkout`, `push`...) says about a `.dvc` file, as diagnostics at the node at fault. */
export function dvcFileDiagnostics(yaml: YamlText, file: string): Diagnostic[] {
  if (yaml.doc.errors.length) return []; // syntaxDiagnostics says it
  const { problems } = checkDvcDocument(yaml.doc, path.dirname(file), repositoryRoot(file));
  return problems.map((p) => ({
    range: yaml.range(p.range[0], p.range[1]),
    message: `${p.message.charAt(0).toUpperCase()}${p.message.slice(1)}. ${p.hint}`,
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    code: p.code,
  }));
}

/**
 * Outputs of this `.dvc` file that another `.dvc` file also tracks, or that lie inside a folder
 * another one tracks (dvc refuses such a repository: "The output paths … overlap"). Said in the
 * file tracking the inner path (the one to remove), at its `path:`; the same path, in both.
 */
export function overlappingOutputDiagnostics(yaml: YamlText, relFile: string, tracked: TrackedPath[]): Diagnostic[] {
  if (yaml.doc.errors.length) return [];
  const folder = path.posix.dirname(relFile) === '.' ? '' : path.posix.dirname(relFile);
  // Output paths are relative to the file's `wdir:` (from its folder), when it has one.
  const wdir = yaml.doc.get('wdir');
  const dir = typeof wdir === 'string' ? repoPathOf(folder, wdir) : folder;
  if (dir === undefined) return [];
  const outs = yaml.doc.get('outs', true);
  if (!isSeq(outs)) return [];
  const others = tracked.filter((t) => t.file !== relFile);
  const diagnostics: Diagnostic[] = [];
  outs.items.forEach((item, i) => {
    const written = isMap(item) ? item.get('path') : undefined;
    const repoPath = typeof written === 'string' ? repoPathOf(dir, written) : undefined;
    if (!repoPath) return;
    const other = others.find((t) => t.repoPath === repoPath || repoPath.startsWith(`${t.repoPath}/`));
    if (!other) return;
    const message =
      other.repoPath === repoPath
        ? `Output '${repoPath}' is tracked by '${other.file}' too. An output must have one .dvc file: remove one of them.`
        : `Output '${repoPath}' is inside output '${other.repoPath}' of '${other.file}'. Outputs may not overlap: track the folder or the files inside it, not both.`;
    const range = (isMap(item) && yaml.nodeRange(item.get('path', true) as Node)) || yaml.keyOrNodeRange(['outs', i, 'path']);
    diagnostics.push({ range, message, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'OUTPUT_CONFLICT' });
  });
  return diagnostics;
}
