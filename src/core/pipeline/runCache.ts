import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { digest } from '../hashing/digest';
import { isObjectId, shownHash } from '../hashing/objectId';
import { pythonJsonString } from '../hashing/dirManifest';
import type { HashName } from '../hashing/hashNames';
import { assertRealFolders } from '../cache/layoutFolders';
import { joinClean, writeFileAtomic } from '../repo/atomicWrite';
import { isPrefixFolder, layoutFolder, subfolders } from '../remotes/remote';
import { readRepoFile } from '../repo/readRepoFile';
import type { Repo } from '../repo/repo';
import { PIPELINE_LIMITS } from './limits';
import { comparePaths, LockEntry, LockStage, lockStageRecord } from './lockFile';
import { dumpLockYaml } from './lockYaml';
import type { Stage } from './stage';
import { isPlainObject, ParamValue, PyFloat, pyFloatRepr, yamlNodeValue } from './values';
import { parseYamlDocument } from './yamlDocument';

/**
 * DVC's run cache: after a stage runs, its dvc.lock entry is kept under
 * `<cache>/runs/<key[:2]>/<key>/<value>`, where `key` is the sha256 of the entry with the
 * outputs reduced to their paths (cmd, deps, params: what the run depended on) and `value`
 * the sha256 of the whole entry; both leave out every `size` and `nfiles` key, at any depth
 * (dvc's `dict_sha256(..., exclude=[size, nfiles])`, so a param named `size` is left out
 * too). A remote holds the same files under `runs/`. Entries are read as hostile input: one
 * from a cloned cache or a remote is used only when it parses as a lock entry within the
 * YAML limits, its hashes are hashes, and it hashes to its own key and value.
 */

const RUN_HASH = /^[0-9a-f]{64}$/;
/** The size past which an entry is refused before it is read: a lock file's limit. */
export const RUN_ENTRY_BYTES = PIPELINE_LIMITS.documentBytes;
const RUN_ENTRY_KEY = /^runs\/([0-9a-f]{2})\/(([0-9a-f]{2})[0-9a-f]{62})\/[0-9a-f]{64}$/;

/** The path of an entry under a cache or remote root, '/'-separated: `runs/ab/<key>/<value>`. */
export function runEntryKey(key: string, value: string): string {
  if (!RUN_HASH.test(key) || !RUN_HASH.test(value)) throw new CairnError('BAD_HASH', `'${shownHash(key)}/${shownHash(value)}' is not a run-cache entry's name (two sha256 hex digests)`);
  return `runs/${key.slice(0, 2)}/${key}/${value}`;
}

/** Whether a '/'-separated relative path has an entry's shape (its prefix folder the key's first two digits). */
export function isRunEntryKey(rel: string): boolean {
  const m = RUN_ENTRY_KEY.exec(rel);
  return !!m && m[1] === m[3];
}

/** `runs/ab/<key>/<value>` → its key and value. */
export function splitRunEntryKey(rel: string): { key: string; value: string } {
  if (!isRunEntryKey(rel)) throw new CairnError('BAD_HASH', `'${shownHash(rel)}' is not a run-cache entry's name`);
  const [, , key, value] = rel.split('/');
  return { key, value };
}

/**
 * Whether dvc would look a stage up in the run cache (its `_can_hash`): a command, deps
 * (files or params) and outputs, not always changed, every dep inside the repository, no
 * persistent output.
 */
export function canRunCache(stage: Stage): boolean {
  if (stage.alwaysChanged || !stage.cmd || (Array.isArray(stage.cmd) && stage.cmd.length === 0)) return false;
  if (stage.deps.length + stage.params.length === 0 || stage.outs.length === 0) return false;
  if (stage.deps.some((d) => d.repoPath === undefined)) return false;
  return !stage.outs.some((o) => o.persist);
}

/** Whether a run of the stage is kept in the run cache: as `canRunCache`, and no plain output (metrics and plots aside) is `cache: false`. */
export function writesRunCache(stage: Stage): boolean {
  return canRunCache(stage) && !stage.outs.some((o) => o.kind === 'outs' && !o.cache);
}

/** The entry's key and value (see above). */
export function runCacheHashes(stage: LockStage): { key: string; value: string } {
  const record = lockStageRecord(stage);
  const value = digest('sha256', pythonSortedJson(record));
  const key = digest('sha256', pythonSortedJson({ ...record, outs: stage.outs.map((o) => o.path).sort(comparePaths) }));
  return { key, value };
}

/** Keep a stage's run in the local run cache (nothing written when the same entry is there). */
export async function saveRunCacheEntry(repo: Repo, stage: LockStage): Promise<void> {
  const { key, value } = runCacheHashes(stage);
  const rel = runEntryKey(key, value);
  if (fs.lstatSync(joinClean(repo.store.cacheDir, rel), { throwIfNoEntry: false })) return;
  await writeRunEntryFile(repo.store.cacheDir, rel, dumpLockYaml(lockStageRecord(stage)));
}

/**
 * The newest local entry for `key` (by mtime, as dvc picks it), checked; undefined when there is
 * none. An entry that fails a check is a CairnError naming its file (dvc deletes such a file;
 * Cairn leaves it to the user).
 */
export async function loadRunCacheEntry(repo: Repo, key: string): Promise<LockStage | undefined> {
  if (!RUN_HASH.test(key)) return undefined;
  const dir = path.join(repo.store.cacheDir, 'runs', key.slice(0, 2), key);
  assertRealFolders(repo.store.cacheDir, path.join(dir, '0'.repeat(64))); // no entry is read through a planted link
  let newest: { name: string; mtime: number } | undefined;
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of names) {
    if (!e.isFile() || !RUN_HASH.test(e.name)) continue;
    const mtime = fs.lstatSync(path.join(dir, e.name), { throwIfNoEntry: false })?.mtimeMs ?? -1;
    if (!newest || mtime > newest.mtime) newest = { name: e.name, mtime };
  }
  if (!newest) return undefined;
  const file = path.join(dir, newest.name);
  const shown = repo.rel(file);
  return parseRunCacheEntry(await readRepoFile(file, shown, RUN_ENTRY_BYTES), shown, { key, value: newest.name });
}

/** The entries under a cache or folder remote root (`runs/ab/<key>/<value>`), as '/'-separated keys; nothing through a link. */
export function runEntryKeys(root: string): string[] {
  const keys: string[] = [];
  const runs = layoutFolder(root, 'runs/');
  if (runs === undefined) return keys;
  for (const prefix of subfolders(runs).filter(isPrefixFolder)) {
    for (const key of subfolders(path.join(runs, prefix))) {
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(path.join(runs, prefix, key), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of names) {
        const rel = `runs/${prefix}/${key}/${e.name}`;
        if (e.isFile() && isRunEntryKey(rel)) keys.push(rel);
      }
    }
  }
  return keys;
}

/** An entry's file under a cache or folder remote root, written whole (temp file + rename) through real folders only. */
export async function writeRunEntryFile(root: string, rel: string, bytes: string | Buffer): Promise<void> {
  splitRunEntryKey(rel); // throws unless it has an entry's shape: a name is never a path
  const file = joinClean(root, rel);
  assertRealFolders(root, file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  assertRealFolders(root, file); // mkdir made real folders, or found them
  await writeFileAtomic(file, bytes);
}

const STAGE_KEYS = new Set(['cmd', 'deps', 'params', 'outs']);
const ENTRY_KEYS = new Set(['path', 'hash', 'md5', 'size', 'nfiles', 'isexec']);

/**
 * An entry's bytes as a stage record, each check one CairnError naming `shown`: YAML within the
 * limits (parseYamlDocument: size, aliases, depth), the shape of a dvc.lock stage, hashes that are hashes, and (when `expected` is given)
 * the key and value it hashes to equal to its name.
 */
export function parseRunCacheEntry(bytes: Buffer, shown: string, expected?: { key: string; value: string }): LockStage {
  const bad = (what: string) =>
    new CairnError('BAD_FILE', `run-cache entry ${what}; not used`, { file: shown, hint: 'Remove it: it is no stage record dvc wrote.' });
  const text = bytes.toString('utf8');
  const doc = parseYamlDocument(text, shown);
  if (doc.errors.length) throw bad(`is not valid YAML (${doc.errors[0].message.split('\n')[0]})`);
  // Floats keep their type (`1.0` is a float, as dvc reads it): the same values hash the same.
  const raw = yamlNodeValue(doc.contents, text);
  if (!isPlainObject(raw)) throw bad('is not a mapping');
  const unknown = Object.keys(raw).find((k) => !STAGE_KEYS.has(k));
  if (unknown !== undefined) throw bad(`has an unknown key '${shownHash(unknown)}'`);
  const cmd = raw.cmd;
  const cmdOk = (typeof cmd === 'string' && cmd !== '') || (Array.isArray(cmd) && cmd.length > 0 && cmd.every((c) => typeof c === 'string'));
  if (!cmdOk) throw bad("has no 'cmd' (a string or a list of strings)");
  const entries = (name: 'deps' | 'outs'): LockEntry[] => {
    const list = raw[name];
    if (list === undefined && name === 'deps') return [];
    if (!Array.isArray(list) || list.length === 0) throw bad(`has no '${name}' list`);
    return list.map((e) => {
      if (!isPlainObject(e)) throw bad(`has a '${name}' item that is not a mapping`);
      const extra = Object.keys(e).find((k) => !ENTRY_KEYS.has(k));
      if (extra !== undefined) throw bad(`has a '${name}' item with an unknown key '${shownHash(extra)}'`);
      if (typeof e.path !== 'string' || e.path === '' || e.path.includes('\0')) throw bad(`has a '${name}' item without a 'path'`);
      if (!isObjectId(e.md5)) throw new CairnError('BAD_HASH', `run-cache entry: 'md5' of '${shownHash(e.path)}' must be 32 hex digits (a folder's end in '.dir'), not '${shownHash(String(e.md5))}'; not used`, { file: shown, hint: 'Remove it: a hash is never a path.' });
      if (e.hash !== undefined && e.hash !== 'md5') throw bad(`has 'hash: ${shownHash(String(e.hash))}' (only md5 is known)`);
      for (const n of ['size', 'nfiles'] as const) {
        if (e[n] !== undefined && !(typeof e[n] === 'number' && Number.isSafeInteger(e[n]) && (e[n] as number) >= 0)) throw bad(`has a '${n}' that is not a whole number`);
      }
      if (e.isexec !== undefined && typeof e.isexec !== 'boolean') throw bad("has an 'isexec' that is not true or false");
      return { path: e.path, md5: e.md5, size: e.size as number | undefined, nfiles: e.nfiles as number | undefined, isexec: e.isexec === true ? true : undefined, hash: e.hash as string | undefined };
    });
  };
  const params: Record<string, Record<string, ParamValue>> = {};
  if (raw.params !== undefined) {
    if (!isPlainObject(raw.params)) throw bad("has 'params' that is not a mapping");
    for (const [file, values] of Object.entries(raw.params)) {
      if (!isPlainObject(values)) throw bad(`has params of '${shownHash(file)}' that are not a mapping`);
      params[file] = values;
    }
  }
  const stage: LockStage = { cmd: cmd as string | string[], deps: entries('deps'), params, outs: entries('outs') };
  if (expected) {
    const found = runCacheHashes(stage);
    if (found.key !== expected.key || found.value !== expected.value) throw bad('does not hash to its name (its contents were changed, or it was put under another stage)');
  }
  return stage;
}

/** The hash name of an entry's object: DVC 3's md5, or DVC 2's md5-dos2unix for an entry without `hash:`. */
export const entryHashName = (e: LockEntry): HashName => (e.hash === 'md5' ? 'md5' : 'md5-dos2unix');

/** Python's `json.dumps(value, sort_keys=True)` with every `size` and `nfiles` key left out (dvc's `dict_sha256` input). */
function pythonSortedJson(value: ParamValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pythonJsonString(value);
  if (value instanceof PyFloat || typeof value === 'number') {
    const n = value instanceof PyFloat ? value.value : value;
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return value instanceof PyFloat || !Number.isInteger(n) ? pyFloatRepr(n) : String(n);
  }
  if (Array.isArray(value)) return `[${value.map(pythonSortedJson).join(', ')}]`;
  const keys = Object.keys(value).filter((k) => k !== 'size' && k !== 'nfiles').sort(comparePaths);
  return `{${keys.map((k) => `${pythonJsonString(k)}: ${pythonSortedJson(value[k])}`).join(', ')}}`;
}
