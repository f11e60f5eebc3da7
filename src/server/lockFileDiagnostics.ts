import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { CairnError } from '../core/errors';
import { LockFile } from '../core/pipeline/lockFile';
import { SOURCE } from './schemaDiagnostics';
import type { YamlText } from './yamlText';

/**
 * What `LockFile.parse` (so `checkout`, `push`, `status`...) refuses in a dvc.lock the schema
 * allows: an output in `.git/` or `.dvc/`, a hash that is not one. On the line it names.
 */
export function lockFileDiagnostics(yaml: YamlText, relFile: string): Diagnostic[] {
  if (yaml.doc.errors.length) return []; // syntaxDiagnostics says it
  try {
    LockFile.parse(yaml.text, relFile);
    return [];
  } catch (err) {
    if (!(err instanceof CairnError) || !['UNSAFE_PATH', 'BAD_HASH'].includes(err.code) || err.line === undefined) return [];
    const line = err.line - 1;
    const text = yaml.lineText(line);
    return [{
      range: { start: { line, character: text.length - text.trimStart().length }, end: { line, character: text.trimEnd().length } },
      message: `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}. ${err.hint ?? ''}`.trim(),
      severity: DiagnosticSeverity.Error,
      source: SOURCE,
      code: err.code,
    }];
  }
}
