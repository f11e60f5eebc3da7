import type { ErrorObject } from 'ajv';
import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import type { PipelineFileKind } from './pipelineFileKind';
import type { PipelineSchemas, SchemaNode } from './schemas';
import { YamlPath, YamlText } from './yamlText';
import { closestName } from '../core/closestName';

export const SOURCE = 'cairn';

/**
 * Schema diagnostics at exact ranges: an unknown key at the key, a wrong type at the value,
 * a missing key at the key of the map that lacks it (a stage's name).
 */
export function schemaDiagnostics(yaml: YamlText, kind: PipelineFileKind, schemas: PipelineSchemas): Diagnostic[] {
  const value = yaml.value;
  if (value === undefined || value === null) return []; // an empty file: nothing to say yet
  const validate = schemas.validator(kind);
  if (validate(value)) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const d = toDiagnostic(yaml, error);
    if (!d) continue;
    const key = `${d.range.start.line}:${d.range.start.character}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function toDiagnostic(yaml: YamlText, e: ErrorObject): Diagnostic | undefined {
  const path = pointerToPath(e.instancePath);
  const diagnostic = (range: Diagnostic['range'], message: string, code: string): Diagnostic => ({
    range,
    message,
    severity: DiagnosticSeverity.Error,
    source: SOURCE,
    code,
  });
  switch (e.keyword) {
    case 'if':
      return undefined; // its branch reports the real error
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {});
      const near = closestName(key, allowed);
      const hint = near ? ` Did you mean "${near}"?` : allowed.length ? ` Expected one of: ${allowed.join(', ')}.` : '';
      return diagnostic(yaml.keyOrNodeRange([...path, key]), `Unknown key "${key}".${hint}`, 'unknown-key');
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      const where = describe(path);
      return diagnostic(yaml.keyOrNodeRange(path), `Missing required key "${missing}"${where}.`, 'missing-key');
    }
    case 'type': {
      const expected = String(e.params.type).split(',').map(typeName).join(' or ');
      return diagnostic(valueRange(yaml, path), `Expected ${expected}, got ${typeName(jsonType(e.data))}.`, 'wrong-type');
    }
    case 'const':
      return diagnostic(valueRange(yaml, path), `Must be ${JSON.stringify(e.params.allowedValue)}.`, 'wrong-value');
    case 'maxProperties':
      return diagnostic(valueRange(yaml, path), `Expected a path, or a map of one path to its options (found ${Object.keys(e.data as object).length} keys).`, 'too-many-keys');
    default:
      return diagnostic(valueRange(yaml, path), `${e.message ?? 'Invalid value'}.`, e.keyword);
  }
}

function valueRange(yaml: YamlText, path: YamlPath) {
  const at = yaml.locate(path);
  return yaml.nodeRange(at.found ? at.node : undefined) ?? yaml.keyOrNodeRange(path);
}

/** `/stages/train/outs/0` → ['stages', 'train', 'outs', 0]. */
export function pointerToPath(pointer: string): YamlPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(path: YamlPath): string {
  if (path.length === 2 && path[0] === 'stages') return ` in stage "${path[1]}"`;
  if (path.length === 3 && path[0] === 'stages' && path[2] === 'do') return ` in the "do" of stage "${path[1]}"`;
  return '';
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v;
}

function typeName(t: string): string {
  return (
    { string: 'a string', array: 'a list', object: 'a map', boolean: 'true or false', integer: 'an integer', number: 'a number', null: 'nothing (null)' }[t] ?? t
  );
}
