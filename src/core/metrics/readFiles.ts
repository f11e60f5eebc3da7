import { CairnError } from '../errors';
import { parseDataFile } from './dataFile';
import { extractMetrics, isDict, Dict } from './flatten';
import { encodeError, FileResult } from './results';
import type { RevisionSource } from './revisionSource';
import { expandPaths } from './declarations';

/** A file a revision does not have (DVC's FileNotFoundError in `--json` output). */
export function missingFileError(relPath: string, source: RevisionSource): FileResult {
  const where = source.commit ? `revision '${source.rev}'` : 'the workspace';
  return { error: { type: 'FileNotFoundError', msg: `${relPath}: no such file in ${where}` } };
}

async function readParsed(source: RevisionSource, relPath: string, use: (parsed: unknown) => unknown): Promise<FileResult> {
  let text: string | undefined;
  try {
    text = await source.read(relPath);
  } catch (err) {
    if (err instanceof CairnError) return { error: encodeError(err) }; // e.g. a link leading outside, an object not in the cache: this file only
    throw err;
  }
  if (text === undefined) return missingFileError(relPath, source);
  try {
    return { data: use(parseDataFile(text, relPath)) };
  } catch (err) {
    return { error: encodeError(err) };
  }
}

/**
 * Each metrics file (folders expanded) of a revision: its metrics, or why it could not be read.
 * `source` holds the revision's cached outputs too (`OutputsSource`).
 */
export async function readMetricsFiles(source: RevisionSource, paths: string[]): Promise<Record<string, FileResult>> {
  const files = await expandPaths(source, paths);
  const results = await Promise.all(files.map((f) => readParsed(source, f, extractMetrics)));
  const out: Record<string, FileResult> = {};
  files.forEach((f, i) => (out[f] = results[i]));
  return out;
}

/**
 * Each params file of a revision: the whole file when `keys` is empty, else only those dotted
 * keys (nested as in the file; a key the file lacks is left out).
 */
export async function readParamsFiles(source: RevisionSource, params: Map<string, string[]>): Promise<Record<string, FileResult>> {
  const entries: [string, string[]][] = [];
  for (const [file, keys] of params) for (const f of await expandPaths(source, [file])) entries.push([f, keys]);
  const results = await Promise.all(entries.map(([f, keys]) => readParsed(source, f, (parsed) => (keys.length ? selectKeys(parsed, keys) : parsed))));
  const out: Record<string, FileResult> = {};
  entries.forEach(([f], i) => (out[f] = results[i]));
  return out;
}

/** The parts of `data` the dotted `keys` name, merged into one nested dict (like dpath.search + merge). */
export function selectKeys(data: unknown, keys: string[]): Dict {
  const out: Dict = {};
  for (const key of keys) {
    const parts = key.split('.');
    let node: unknown = data;
    let found = true;
    for (const part of parts) {
      if (isDict(node) && part in node) node = node[part];
      else if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) node = node[Number(part)];
      else {
        found = false;
        break;
      }
    }
    if (!found) continue;
    let target = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) target[part] = mergeValue(target[part], node);
      else {
        if (!isDict(target[part])) target[part] = {};
        target = target[part] as Dict;
      }
    });
  }
  return out;
}

function mergeValue(existing: unknown, value: unknown): unknown {
  if (isDict(existing) && isDict(value)) {
    const out: Dict = { ...existing };
    for (const [k, v] of Object.entries(value)) out[k] = mergeValue(out[k], v);
    return out;
  }
  return structuredClone(value);
}
