import * as fs from 'node:fs';
import * as path from 'node:path';
import { Document, isMap, isSeq, LineCounter } from 'yaml';
import { CairnError, CairnErrorCode } from '../errors';
import { isObjectId, shownHash } from '../hashing/objectId';
import { outputPathProblem } from '../repo/outputPath';
import { writeFileAtomic } from '../repo/atomicWrite';
import { dumpLockYaml } from './lockYaml';
import { isPlainObject, ParamValue, yamlNodeValue } from './values';
import { parseYamlDocument } from './yamlDocument';

/** A dep or out as dvc.lock records it. */
export interface LockEntry {
  /** Relative to the stage's wdir, as in dvc.yaml. */
  path: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** `md5` for DVC 3 entries; absent for DVC 2 ones (md5-dos2unix). */
  hash?: string;
}

export interface LockStage {
  cmd: string | string[];
  deps: LockEntry[];
  /** params file (relative to wdir) -> key -> value. */
  params: Record<string, Record<string, ParamValue>>;
  outs: LockEntry[];
}

/** A dvc.lock: its stages, plus the raw document kept so that a rewrite changes only updated stages. */
export class LockFile {
  private constructor(
    /** Repo-relative path. */
    readonly relPath: string,
    private raw: Record<string, ParamValue>,
  ) {}

  static lockPathFor(pipelineFile: string): string {
    return pipelineFile.replace(/dvc\.yaml$/, 'dvc.lock');
  }

  static parse(text: string | undefined, relPath: string): LockFile {
    if (text === undefined || text.trim() === '') return new LockFile(relPath, {});
    const lineCounter = new LineCounter();
    const doc = parseYamlDocument(text, relPath, lineCounter);
    if (doc.errors.length) {
      throw new CairnError('BAD_FILE', `invalid YAML: ${doc.errors[0].message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, { file: relPath, line: doc.errors[0].linePos?.[0].line, hint: 'Fix it, or delete it and run `cairn repro` again.' });
    }
    const raw = yamlNodeValue(doc.contents, text);
    if (!isPlainObject(raw)) throw new CairnError('BAD_FILE', 'expected a mapping with `schema:` and `stages:`', { file: relPath, hint: 'Delete the lock file and run `cairn repro` again.' });
    if (raw.schema !== '2.0') {
      throw new CairnError('BAD_FILE', `unsupported lock file schema '${String(raw.schema)}'`, { file: relPath, line: 1, hint: "Cairn reads DVC 3 lock files (schema '2.0')." });
    }
    checkOutputs(doc, relPath, lineCounter);
    return new LockFile(relPath, raw);
  }

  static async load(root: string, relPath: string): Promise<LockFile> {
    let text: string | undefined;
    try {
      text = await fs.promises.readFile(path.join(root, relPath), 'utf8');
    } catch {
      text = undefined;
    }
    return LockFile.parse(text, relPath);
  }

  stage(name: string): LockStage | undefined {
    const stages = this.raw.stages;
    if (!isPlainObject(stages)) return undefined;
    const s = stages[name];
    if (!isPlainObject(s)) return undefined;
    const entries = (v: ParamValue | undefined): LockEntry[] =>
      Array.isArray(v) ? v.filter(isPlainObject).map((e) => ({
        path: String(e.path),
        md5: isObjectId(e.md5) ? e.md5 : undefined, // checkOutputs refused the file otherwise
        size: typeof e.size === 'number' ? e.size : undefined,
        nfiles: typeof e.nfiles === 'number' ? e.nfiles : undefined,
        isexec: e.isexec === true ? true : undefined,
        hash: typeof e.hash === 'string' ? e.hash : undefined,
      })) : [];
    const params: Record<string, Record<string, ParamValue>> = {};
    if (isPlainObject(s.params)) for (const [f, kv] of Object.entries(s.params)) if (isPlainObject(kv)) params[f] = kv;
    return { cmd: s.cmd as string | string[], deps: entries(s.deps), params, outs: entries(s.outs) };
  }

  /** Record a stage as DVC does: an existing entry is replaced where it is, a new one appended. */
  setStage(name: string, stage: LockStage): void {
    if (Object.keys(this.raw).length === 0) this.raw.schema = '2.0';
    if (!isPlainObject(this.raw.stages)) this.raw.stages = {};
    (this.raw.stages as Record<string, ParamValue>)[name] = lockStageRecord(stage);
  }

  serialize(): string {
    return dumpLockYaml(this.raw);
  }

  async save(root: string): Promise<void> {
    await writeFileAtomic(path.join(root, this.relPath), this.serialize());
  }
}

/** A stage as dvc.lock (and a run-cache entry) records it: cmd, deps, params, outs, entries sorted by path. */
export function lockStageRecord(stage: LockStage): Record<string, ParamValue> {
  const record: Record<string, ParamValue> = { cmd: stage.cmd };
  const dump = (e: LockEntry) => {
    const o: Record<string, ParamValue> = { path: e.path };
    if (e.hash) o.hash = e.hash;
    if (e.md5 !== undefined) o.md5 = e.md5;
    if (e.size !== undefined) o.size = e.size;
    if (e.nfiles !== undefined) o.nfiles = e.nfiles;
    if (e.isexec) o.isexec = true;
    return o;
  };
  const byPath = (a: LockEntry, b: LockEntry) => comparePaths(a.path, b.path);
  if (stage.deps.length) record.deps = [...stage.deps].sort(byPath).map(dump);
  if (Object.keys(stage.params).length) record.params = stage.params;
  if (stage.outs.length) record.outs = [...stage.outs].sort(byPath).map(dump);
  return record;
}

/** A stand-in root for the lexical check of paths relative to a stage's wdir (`outputPathProblem`). */
const FS_ROOT = path.resolve('/');
const RESTORE = 'Restore dvc.lock from git, or delete it and run `cairn repro` again.';

/**
 * The recorded outputs' paths and hashes, before any becomes a path in the workspace or the
 * cache: a hash is 32 hex digits, a path never lies in `.git/` or `.dvc/`. (Whether a path
 * leaves the repository depends on the stage's wdir: dvc.yaml's check says it.)
 */
function checkOutputs(doc: Document, relPath: string, lineCounter: LineCounter): void {
  const stages = doc.get('stages', true);
  if (!isMap(stages)) return;
  const fail = (code: CairnErrorCode, message: string, node: unknown) => {
    const offset = (node as { range?: [number, number] } | undefined)?.range?.[0];
    throw new CairnError(code, message, { file: relPath, line: offset === undefined ? undefined : lineCounter.linePos(offset).line, hint: RESTORE });
  };
  for (const stage of stages.items) {
    const outs = isMap(stage.value) ? stage.value.get('outs', true) : undefined;
    if (!isSeq(outs)) continue;
    for (const entry of outs.items) {
      if (!isMap(entry)) continue;
      const p = entry.get('path');
      const md5 = entry.get('md5');
      if (typeof p !== 'string' || p === '') fail('BAD_FILE', 'an output has no `path:`', entry);
      const unsafe = outputPathProblem(FS_ROOT, path.resolve(FS_ROOT, p as string));
      if (unsafe?.startsWith('is inside')) fail('UNSAFE_PATH', `output '${shownHash(p as string)}' ${unsafe}`, entry.get('path', true));
      if (md5 !== undefined && md5 !== null && !isObjectId(md5)) fail('BAD_HASH', `'md5' of output '${shownHash(p as string)}' must be 32 hex digits (a folder's end in '.dir'), not '${shownHash(String(md5))}'`, entry.get('md5', true));
    }
  }
}

/** Python's string order (code points), which DVC sorts paths by. */
export function comparePaths(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i].codePointAt(0)! - cb[i].codePointAt(0)!;
    if (d) return d;
  }
  return ca.length - cb.length;
}
