import * as path from 'node:path';
import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { checkDvcDocument } from '../core/outputs/dvcFileCheck';
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
