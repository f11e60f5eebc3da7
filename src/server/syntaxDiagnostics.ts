import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { diagnosticCode, SOURCE } from './schemaDiagnostics';
import type { YamlText } from './yamlText';

const MAX_REPORTED = 50;

/** YAML syntax errors and warnings (bad indentation, duplicate keys, tabs…) at the span the parser names. */
export function syntaxDiagnostics(yaml: YamlText): Diagnostic[] {
  const toDiagnostic = (e: { pos: [number, number]; message: string; code: string }, severity: DiagnosticSeverity): Diagnostic => {
    let [start, end] = e.pos;
    // An error at the very end (an unclosed quote) marks the last character rather than nothing.
    if (start >= yaml.text.length && yaml.text.length > 0) start = yaml.text.trimEnd().length - 1;
    // The parser marks the first character of a duplicate key (and a few others): take the whole scalar.
    const scalar = end - start <= 1 ? yaml.scalarAt(start)?.scalar : undefined;
    if (scalar?.range && scalar.range[0] === start) end = scalar.range[1];
    return {
      range: yaml.range(start, Math.max(end, start + 1)),
      message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
      severity,
      source: SOURCE,
      code: `YAML_${diagnosticCode(e.code)}`,
    };
  };
  // A mangled file can have thousands (`[[[[…`); each costs a walk of the document, and no one reads past the first few.
  return [
    ...yaml.doc.errors.slice(0, MAX_REPORTED).map((e) => toDiagnostic(e, DiagnosticSeverity.Error)),
    ...yaml.doc.warnings.slice(0, MAX_REPORTED).map((e) => toDiagnostic(e, DiagnosticSeverity.Warning)),
  ];
}
