import * as path from 'node:path';
import { Document, isMap, isPair, isScalar, isSeq, Node, YAMLMap } from 'yaml';
import type { CairnErrorCode } from '../errors';
import { isObjectId } from '../hashing/objectId';
import { outputPathProblem } from '../repo/outputPath';

/**
 * The one check of a `.dvc` file's contents: `DvcFile.parse` throws its first error, `cairn lint`
 * and the language server show all of them at their ranges, so the CLI and the editor always
 * agree. `schemas/dvc-file.schema.json` says the same about shapes and types (a test holds them
 * together). Where DVC is stricter or looser, this follows DVC except where Cairn could not do
 * what the file asks (a `hash:` other than md5, an output in `.git/`).
 */
export interface DvcFileProblem {
  code: CairnErrorCode;
  /** An empty file (or one without `outs:`) tracks nothing: DVC accepts it, lint warns. */
  severity: 'error' | 'warning';
  message: string;
  hint: string;
  /** Offsets [start, end) of the node at fault in the text. */
  range: [number, number];
}

/** An output as the file gives it, before it becomes an `OutEntry`. */
export interface CheckedOut {
  /** As written, relative to the file's folder and its `wdir`. */
  path: string;
  /** Absolute path of the output. */
  abs: string;
  values: Record<string, unknown>;
  /** Offset of the output's entry, for its line. */
  offset: number;
}

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isBool: Check = (v) => typeof v === 'boolean';
const isMapValue: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isChecksum: Check = (v) => v === null || typeof v === 'string' || Number.isSafeInteger(v);
const anything: Check = () => true;
const listOf = (item: Check): Check => (v) => Array.isArray(v) && v.every(item);

/** Each key a `.dvc` file may have, what its value must be, and how that is said. */
type KeyRule = [Check, string, CairnErrorCode?];
const TOP_KEYS: Record<string, KeyRule> = {
  outs: [(v) => v === null || Array.isArray(v), 'a list of outputs'],
  deps: [(v) => v === null || Array.isArray(v), 'a list of dependencies'],
  md5: [isChecksum, 'a hash'],
  wdir: [(v) => v === null || isString(v), 'a folder path'],
  frozen: [isBool, 'true or false'],
  locked: [isBool, 'true or false'],
  always_changed: [isBool, 'true or false'],
  desc: [isString, 'a string'],
  meta: [anything, ''],
};
/** Keys outputs and dependencies share. */
const ENTRY_KEYS: Record<string, KeyRule> = {
  path: [(v) => isString(v) && v !== '', 'a non-empty path'],
  md5: [isChecksum, 'a hash'],
  etag: [isChecksum, 'a checksum'],
  checksum: [isChecksum, 'a checksum'],
  size: [isCount, 'a whole number of bytes (0 or more)'],
  nfiles: [isCount, 'a whole number of files (0 or more)'],
  isexec: [isBool, 'true or false'],
  version_id: [isString, 'a string'],
  hash: [isString, "'md5'"],
  persist: [isBool, 'true or false'],
  cloud: [isMapValue, 'a map'],
  files: [listOf(isMapValue), 'a list of files'],
  fs_config: [isMapValue, 'a map'],
};
const OUT_KEYS: Record<string, KeyRule> = {
  ...ENTRY_KEYS,
  md5: [(v) => v === null || isObjectId(v), "32 hex digits (a folder's end in '.dir')", 'BAD_HASH'],
  hash: [(v) => v === 'md5', "'md5' (the only hash Cairn computes)"],
  cache: [isBool, 'true or false'],
  remote: [isString, 'a remote name'],
  push: [isBool, 'true or false'],
  desc: [isString, 'a string'],
  type: [isString, 'a string'],
  labels: [listOf(isString), 'a list of strings'],
  meta: [anything, ''],
};
const DEP_KEYS: Record<string, KeyRule> = { ...ENTRY_KEYS, repo: [isMapValue, 'a map with `url:`'], db: [isMapValue, 'a map'] };

const RESTORE = 'Fix the file, or restore it from git.';

/**
 * Every problem of a parsed `.dvc` document (one without YAML syntax errors) and the outputs it
 * declares. `dir` is the file's folder, `root` the repository's.
 */
export function checkDvcDocument(doc: Document, dir: string, root: string): { outs: CheckedOut[]; problems: DvcFileProblem[] } {
  const problems: DvcFileProblem[] = [];
  const outs: CheckedOut[] = [];
  const whole: [number, number] = [0, Math.max(1, (doc.contents?.range?.[1] ?? 0))];
  const problem = (node: unknown, message: string, hint = RESTORE, code: CairnErrorCode = 'BAD_FILE', severity: DvcFileProblem['severity'] = 'error') =>
    problems.push({ code, severity, message, hint, range: rangeOf(node) ?? whole });
  let value: unknown;
  try {
    // Aliases are expanded once each at most: a "billion laughs" file stays small.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    problems.push({ code: 'LIMIT_EXCEEDED', severity: 'error', message: 'too many YAML aliases', hint: 'A .dvc file has no use for aliases: write the values out.', range: whole });
    return { outs, problems };
  }
  const tracksNothing = () => problem(doc.contents, 'this file tracks nothing (no `outs:`)', 'Remove it, or restore it from git.', 'BAD_FILE', 'warning');
  if (value === null || value === undefined) {
    tracksNothing();
    return { outs, problems };
  }
  if (!isMapValue(value) || !isMap(doc.contents)) {
    problem(doc.contents, 'expected a mapping with an `outs:` list');
    return { outs, problems };
  }
  const top = value as Record<string, unknown>;
  checkKeys(doc.contents, top, TOP_KEYS, '', problem);
  let wdir = '';
  if (typeof top.wdir === 'string') wdir = top.wdir;
  for (const [key, entries, rules] of [['deps', top.deps, DEP_KEYS], ['outs', top.outs, OUT_KEYS]] as const) {
    if (!Array.isArray(entries)) continue;
    const seq = valueNode(doc.contents, key);
    entries.forEach((entry, i) => {
      const node = isSeq(seq) ? seq.items[i] : seq;
      const what = key === 'outs' ? 'output' : 'dependency';
      if (!isMapValue(entry)) return problem(node, `each ${what} must be a mapping with a \`path:\``);
      const map = isMap(node) ? node : undefined;
      checkKeys(map, entry, rules, ` in ${what}`, problem);
      if (!('path' in entry)) problem(node, `${what} has no \`path:\``);
      if (key === 'outs' && isString(entry.path) && entry.path !== '') {
        const p = entry.path as string;
        const pathNode = valueNode(map, 'path') ?? node;
        const abs = path.resolve(dir, wdir, p);
        const why = p.includes('\0') ? 'contains a NUL character' : outputPathProblem(root, abs);
        if (why) {
          const outside = why.startsWith('is outside');
          problem(pathNode, `output '${shownValue(p)}' ${why}`, outside ? 'Outputs must live inside the repository.' : 'Track a path outside .git/ and .dvc/; if this file came from someone else, do not trust it.', outside ? 'PATH_OUTSIDE_REPO' : 'UNSAFE_PATH');
        } else if (outs.some((o) => o.abs === abs)) {
          problem(pathNode, `output '${shownValue(p)}' is listed twice`, 'Remove one of the two entries.');
        } else {
          outs.push({ path: p, abs, values: entry as Record<string, unknown>, offset: rangeOf(node)?.[0] ?? 0 });
        }
      }
    });
  }
  if (top.outs === undefined || top.outs === null || (Array.isArray(top.outs) && top.outs.length === 0)) tracksNothing();
  // Wrong entries are left out of `outs`: an error is reported for them above.
  return { outs: problems.some((p) => p.severity === 'error') ? [] : outs, problems };
}

function checkKeys(
  map: YAMLMap | undefined,
  value: Record<string, unknown>,
  rules: Record<string, KeyRule>,
  where: string,
  problem: (node: unknown, message: string, hint?: string, code?: CairnErrorCode) => void,
): void {
  for (const [key, v] of Object.entries(value)) {
    const rule = rules[key];
    const pair = map?.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (!rule) {
      problem(pair?.key ?? map, `unknown key '${shownValue(key)}'${where}`, `Allowed keys: ${Object.keys(rules).join(', ')}.`);
    } else if (!rule[0](v)) {
      problem(pair?.value ?? pair?.key ?? map, `'${key}'${where} must be ${rule[1]}, not ${describe(v)}`, RESTORE, rule[2]);
    }
  }
}

function valueNode(map: unknown, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  return (pair?.value as Node | undefined) ?? (pair?.key as Node | undefined);
}

function rangeOf(node: unknown): [number, number] | undefined {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range ? [range[0], Math.max(range[1], range[0] + 1)] : undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `'${shownValue(v)}'`;
  return String(v);
}

/** A value from an untrusted file, shortened and with control characters visible, for one-line messages. */
function shownValue(value: string): string {
  const visible = JSON.stringify(value).slice(1, -1);
  return visible.length > 80 ? `${visible.slice(0, 77)}...` : visible;
}
