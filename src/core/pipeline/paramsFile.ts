import { LineCounter } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { CairnError } from '../errors';
import { nearestName } from '../nearestName';
import type { StageParamDep } from './stage';
import { isPlainObject, ParamValue, PyFloat, yamlNodeValue } from './values';
import { checkDocumentSize, PIPELINE_LIMITS, tooDeep } from './limits';
import { parseYamlDocument } from './yamlDocument';

/** The file DVC reads a stage's bare `- key` params from, in the stage's wdir. */
export const DEFAULT_PARAMS_FILE = 'params.yaml';

export const PARAMS_EXTENSIONS = ['.yaml', '.yml', '.json', '.toml', '.py'];

/**
 * Parse a params/vars file by its extension (.yaml/.yml, .json, .toml), as DVC loads it.
 * `relPath` names the file in errors. An empty YAML file is an empty mapping.
 */
export function parseParamsText(text: string, relPath: string): Record<string, ParamValue> {
  const ext = relPath.slice(relPath.lastIndexOf('.')).toLowerCase();
  let value: unknown;
  if (ext === '.toml') {
    checkDocumentSize(text, relPath);
    try {
      value = tomlValue(parseToml(text, { integersAsBigInt: true }), relPath);
    } catch (err) {
      if (err instanceof CairnError) throw err;
      // The TOML parser recurses per level of dotted keys: thousands end its stack.
      if (err instanceof RangeError) throw tooDeep(relPath, undefined);
      const e = err as { message: string; line?: number };
      throw new CairnError('BAD_FILE', `invalid TOML: ${e.message.split('\n')[0]}`, { file: relPath, line: e.line, hint: 'Fix the TOML syntax.' });
    }
  } else if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    // JSON is read with the YAML parser too: it keeps `1.0` a float, as Python's json does.
    const lineCounter = new LineCounter();
    const doc = parseYamlDocument(text, relPath, lineCounter);
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new CairnError('BAD_FILE', `invalid ${ext === '.json' ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {
        file: relPath,
        line: e.linePos?.[0].line,
        hint: `Fix the ${ext === '.json' ? 'JSON' : 'YAML'} syntax.`,
      });
    }
    if (ext === '.json' && text.trim() === '') throw new CairnError('BAD_FILE', 'invalid JSON: the file is empty', { file: relPath, hint: 'Write a JSON object.' });
    value = yamlNodeValue(doc.contents, text);
    if (value === null) value = {};
  } else {
    throw new CairnError('BAD_FILE', `unsupported params file type '${ext}'`, { file: relPath, hint: 'Use a .yaml, .yml, .json or .toml file.' });
  }
  if (!isPlainObject(value)) {
    throw new CairnError('BAD_FILE', `expected a dictionary, got '${Array.isArray(value) ? 'list' : typeof value}'`, { file: relPath, hint: 'A params file holds a mapping of names to values.' });
  }
  return value;
}

function tomlValue(v: unknown, file: string, depth = 0): ParamValue {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isInteger(v) ? new PyFloat(v) : v;
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object' && depth >= PIPELINE_LIMITS.depth) throw tooDeep(file, undefined);
  if (Array.isArray(v)) return v.map((x) => tomlValue(x, file, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, ParamValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = tomlValue(x, file, depth + 1);
    return out;
  }
  return v as ParamValue;
}

/** Look up a dotted key (`train.lr`) the way DVC's params do; undefined when absent. */
export function selectKey(data: Record<string, ParamValue>, key: string): { found: boolean; value?: ParamValue } {
  if (key in data) return { found: true, value: data[key] };
  let cur: ParamValue = data;
  for (const part of key.split('.')) {
    if (isPlainObject(cur) && part in cur) cur = cur[part];
    else if (Array.isArray(cur) && /^\d+$/.test(part) && Number(part) < cur.length) cur = cur[Number(part)];
    else return { found: false };
  }
  return { found: true, value: cur };
}

/** Flatten nested mappings to dotted keys (`{a: {b: 1}}` -> `{'a.b': 1}`); lists stay values. */
export function flattenParams(data: Record<string, ParamValue>, prefix = ''): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(data)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) Object.assign(out, flattenParams(v, key));
    else out[key] = v;
  }
  return out;
}

/**
 * Keys of a stage's params file that the file lacks, as `repro` and `cairn lint` both say it:
 * at the line of the first missing key, with a "did you mean" when one key is a near miss of a
 * key the file has (`fileKeys`: its dotted keys, nested ones included).
 */
export function missingParamsError(stage: { name: string; file: string }, dep: StageParamDep, missing: string[], fileKeys: Iterable<string>): CairnError {
  const one = missing.length === 1;
  const candidates = new Set<string>();
  for (const k of fileKeys) {
    const parts = k.split('.');
    for (let i = 1; i <= parts.length; i++) candidates.add(parts.slice(0, i).join('.'));
  }
  const near = one ? nearestName(missing[0], candidates) : undefined;
  const entry = dep.entries.find((e) => e.key !== null && missing.includes(e.key)) ?? dep.entries[0];
  const message = one ? `Parameter '${missing[0]}' is missing from '${dep.repoPath}'` : `Parameters '${missing.join(', ')}' are missing from '${dep.repoPath}'`;
  const hint = near
    ? `Did you mean '${near}'?`
    : `Add ${one ? 'it' : 'them'} to ${dep.repoPath}, or remove ${one ? 'it' : 'them'} from the params of '${stage.name}'.`;
  return new CairnError('BAD_FILE', message, { file: stage.file, line: entry?.range?.start.line, hint, suggestion: near ? { from: missing[0], to: near } : undefined });
}
