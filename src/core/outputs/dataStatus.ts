import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import type { Progress } from '../progress';
import { compareCodePoints } from '../hashing/dirManifest';
import { isObjectId } from '../hashing/objectId';
import { normalizeRel } from '../metrics/revisionSource';
import { CairnError } from '../errors';
import { RecordedOutput, recordedOutputs } from './recordedOutputs';
import { hashOutputs } from './workspaceState';
import { usedOutputs } from '../remotes/usedObjects';
import { groupByRemote } from '../remotes/sync';
import { openRemote } from '../remotes/openRemote';
import { objectKey } from '../remotes/remote';
import { remoteHas } from '../remotes/remoteIndex';
import { configuredRemotes } from '../remotes/remoteConfig';

/** One side of a comparison's changes, as `dvc data status --json` names them (empty lists left out). */
export interface DataChanges {
  modified?: string[];
  added?: string[];
  deleted?: string[];
  renamed?: { old: string; new: string }[];
  /** Files of a tracked folder whose recorded list of files is not in the cache: they cannot be compared. */
  unknown?: string[];
}

/**
 * `dvc data status`: `committed` is HEAD's recorded outputs against the workspace's `.dvc` files
 * and dvc.lock, `uncommitted` those records against the files on disk; folders end in `/`.
 * Paths are repo-relative (untracked files: relative to `cwd`, as git status names them).
 */
export interface DataStatus {
  not_in_cache: string[];
  /** With `notInRemote`: recorded outputs (files of folders too, `granular`) whose objects the remote lacks. */
  not_in_remote: string[];
  committed: DataChanges;
  uncommitted: DataChanges;
  untracked: string[];
  unchanged: string[];
  git: { isEmpty: boolean; isDirty: boolean };
  /** Outputs whose path was not read at all (a folder on the way leads out of the repository): why, each. Not part of dvc's shape. */
  unsafe: string[];
}

export interface DataStatusOptions {
  cwd: string;
  /** Files inside tracked folders too, through their `.dir` manifests. */
  granular?: boolean;
  /** `all`: list files git does not track (and does not ignore). */
  untrackedFiles?: 'no' | 'all';
  /** Also ask the remote (`remote`, else each output's or the default) which recorded objects it lacks. */
  notInRemote?: boolean;
  remote?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** What an index (a revision's records, or the disk) holds at a path. */
interface IndexEntry {
  md5?: string;
  isDir: boolean;
  hashName: HashName;
}

/** Paths → entries; `unlisted` holds tracked folders whose files could not be listed (manifest not in the cache). */
interface DataIndex {
  entries: Map<string, IndexEntry>;
  unlisted: Set<string>;
  /** The disk's index: outputs not read because their path leads out of the repository. */
  unsafe?: string[];
}

export async function dataStatus(repo: Repo, targets: string[], options: DataStatusOptions): Promise<DataStatus> {
  const filterKeys = targets.map((t) => targetKey(repo, t));
  const recorded = (await recordedOutputs(repo, undefined)).filter((o) => o.cache);
  const index = recordedIndex(repo, recorded, !!options.granular);
  const workspace = await workspaceIndex(repo, recorded, options);

  const uncommitted = compare(index, workspace, filterKeys);
  const notInCache = uncommitted.withOldHash.filter((k) => {
    const e = index.entries.get(k)!;
    return !isObjectId(e.md5) || !repo.store.has(e.md5, e.hashName);
  });

  const notInRemote = options.notInRemote ? await missingFromRemote(repo, filterKeys, options) : [];

  let committed: Comparison | undefined;
  let isEmpty = false;
  if (repo.scm) {
    const head = await repo.scm.revParse('HEAD').catch(() => '');
    isEmpty = head === '';
    const headOutputs = head ? (await recordedOutputs(repo, head, { revName: 'HEAD' })).filter((o) => o.cache) : [];
    committed = compare(recordedIndex(repo, headOutputs, !!options.granular), index, filterKeys);
  }
  const unchanged = committed ? uncommitted.unchanged.filter((k) => committed!.unchanged.includes(k)) : uncommitted.unchanged;

  const git = repo.scm ? await gitState(repo, options.untrackedFiles ?? 'no') : { untracked: [], isDirty: false };
  const fromGitRoot = repo.scm ? targets.map((t) => path.relative(repo.scm!.root, path.resolve(options.cwd, t)).split(path.sep).join('/')) : [];
  const inTargets = (gitPath: string) => fromGitRoot.length === 0 || fromGitRoot.some((t) => gitPath === t || gitPath.startsWith(`${t}/`));
  const untracked = git.untracked
    .filter(inTargets)
    .map((p) => repoKeyOfGitPath(repo, p))
    .filter((p): p is string => p !== undefined)
    .map((p) => path.relative(options.cwd, path.join(repo.root, p)).split(path.sep).join('/'));

  const shown = (k: string) => ((workspace.entries.get(k) ?? index.entries.get(k))?.isDir ? `${k}/` : k);
  return {
    not_in_cache: notInCache.map(shown),
    not_in_remote: notInRemote,
    committed: committed?.changes ?? {},
    uncommitted: uncommitted.changes,
    untracked,
    unchanged: unchanged.map(shown),
    git: { isEmpty, isDirty: git.isDirty },
    unsafe: workspace.unsafe ?? [],
  };
}

/**
 * The pushable recorded outputs whose objects the remote lacks (a folder: its `.dir`; with
 * `granular` its files too, when its manifest is in the cache). As dvc, with no remote
 * configured at all, every one of them is missing.
 */
async function missingFromRemote(repo: Repo, filterKeys: string[], options: DataStatusOptions): Promise<string[]> {
  const outputs = (await usedOutputs(repo, { cwd: options.cwd, forPush: true, remote: options.remote })).filter((o) => isObjectId(o.md5));
  const missing: string[] = [];
  const noRemote = !options.remote && !repo.config.get('core', 'remote') && configuredRemotes(repo).size === 0;
  const groups = noRemote ? new Map([['', outputs]]) : groupByRemote(repo, outputs, options.remote, 'data status');
  for (const [name, outs] of groups) {
    const objects: { key: string; path: string }[] = [];
    for (const o of outs) {
      const isDir = o.md5.endsWith('.dir');
      objects.push({ key: objectKey(o.md5, o.hashName), path: isDir ? `${o.rel}/` : o.rel });
      if (!options.granular || !isDir) continue;
      for (const f of repo.store.readDir(o.md5, o.hashName) ?? []) objects.push({ key: objectKey(f.md5, o.hashName), path: `${o.rel}/${f.relpath}` });
    }
    const selected = objects.filter((e) => filterKeys.length === 0 || filterKeys.some((k) => k === '' || e.path.replace(/\/$/, '') === k || e.path.startsWith(`${k}/`)));
    if (noRemote) {
      missing.push(...selected.map((e) => e.path));
      continue;
    }
    const remote = openRemote(repo, name, 'data status');
    try {
      const present = await remoteHas(remote, selected.map((e) => e.key), { jobs: remote.defaultJobs, signal: options.signal });
      missing.push(...selected.filter((e) => !present.has(e.key)).map((e) => e.path));
    } finally {
      remote.close();
    }
  }
  return missing.sort(compareCodePoints);
}

/**
 * A target as an index key. As dvc takes them, a relative target is relative to the repository's
 * root wherever the command runs (untracked files are matched from the working folder).
 */
function targetKey(repo: Repo, target: string): string {
  const rel = normalizeRel(path.isAbsolute(target) ? path.relative(repo.root, target).split(path.sep).join('/') : target);
  if (rel === undefined) throw new CairnError('PATH_OUTSIDE_REPO', `'${target}' is outside the repository.`, { hint: 'Name tracked files or folders inside it.' });
  return rel;
}

/** A revision's records as an index; with `granular`, a tracked folder's files from its manifest when the cache has it. */
function recordedIndex(repo: Repo, outputs: RecordedOutput[], granular: boolean): DataIndex {
  const index: DataIndex = { entries: new Map(), unlisted: new Set() };
  for (const out of outputs) {
    const isDir = !!out.md5?.endsWith('.dir');
    index.entries.set(out.rel, { md5: out.md5, isDir, hashName: out.hashName });
    if (!granular || !isDir) continue;
    const files = isObjectId(out.md5) ? repo.store.readDir(out.md5, out.hashName) : undefined;
    if (!files) index.unlisted.add(out.rel);
    addFiles(index, out.rel, files ?? [], out.hashName);
  }
  return index;
}

/** The recorded outputs as they are on disk now (hashed through the stat index; missing ones absent). */
async function workspaceIndex(repo: Repo, outputs: RecordedOutput[], options: DataStatusOptions): Promise<DataIndex> {
  const states = await hashOutputs(
    repo,
    outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.hashName, recorded: o.md5 })),
    { signal: options.signal, onProgress: options.onProgress },
  );
  const index: DataIndex = { entries: new Map(), unlisted: new Set(), unsafe: states.flatMap((s) => (s.unsafe ? [s.unsafe] : [])) };
  outputs.forEach((out, i) => {
    const state = states[i];
    if (!state.exists) return;
    index.entries.set(out.rel, { md5: state.md5, isDir: state.isDir, hashName: out.hashName });
    if (options.granular && state.isDir) addFiles(index, out.rel, state.files, out.hashName);
  });
  return index;
}

/** A tracked folder's files, and its sub-folders (entries without a hash, as dvc's index has them). */
function addFiles(index: DataIndex, folder: string, files: { relpath: string; md5: string }[], hashName: HashName): void {
  for (const f of files) {
    const parts = f.relpath.split('/');
    for (let i = 1; i < parts.length; i++) {
      const sub = `${folder}/${parts.slice(0, i).join('/')}`;
      if (!index.entries.has(sub)) index.entries.set(sub, { isDir: true, hashName });
    }
    index.entries.set(`${folder}/${f.relpath}`, { md5: f.md5, isDir: false, hashName });
  }
}

interface Comparison {
  changes: DataChanges;
  unchanged: string[];
  /** Keys compared whose old side records a hash (what `not_in_cache` checks). */
  withOldHash: string[];
}

/**
 * dvc's comparison of two indexes by hash: a key in both is modified or unchanged, one only the
 * new side hashes is added, one only the old side has is deleted; a deleted and an added entry
 * with one hash are a rename. Files of a folder the old side could not list are unknown.
 */
function compare(old: DataIndex, now: DataIndex, filterKeys: string[]): Comparison {
  const selected = (k: string) => filterKeys.length === 0 || filterKeys.some((f) => f === '' || k === f || k.startsWith(`${f}/`));
  const keys = [...new Set([...old.entries.keys(), ...now.entries.keys()])].filter(selected).sort(compareCodePoints);
  const shown = (k: string) => ((now.entries.get(k) ?? old.entries.get(k))!.isDir ? `${k}/` : k);
  const lists = { modified: [] as string[], added: [] as string[], deleted: [] as string[], unknown: [] as string[] };
  const unchanged: string[] = [];
  const withOldHash: string[] = [];
  for (const key of keys) {
    const before = old.entries.get(key);
    const after = now.entries.get(key);
    if (before?.md5) withOldHash.push(key);
    if (!before && after && [...old.unlisted].some((dir) => key.startsWith(`${dir}/`))) lists.unknown.push(shown(key));
    else if (before?.md5 && after && before.md5 === after.md5) unchanged.push(key);
    else if (before?.md5 && after) lists.modified.push(shown(key));
    else if (before?.md5) lists.deleted.push(shown(key));
    else if (after?.md5) lists.added.push(shown(key));
  }
  // A deleted entry and an added one with the same hash: renamed.
  const renamed: { old: string; new: string }[] = [];
  for (const gone of [...lists.deleted]) {
    const hash = old.entries.get(gone.replace(/\/$/, ''))!.md5;
    const match = lists.added.find((a) => now.entries.get(a.replace(/\/$/, ''))!.md5 === hash);
    if (!match) continue;
    renamed.push({ old: gone, new: match });
    lists.deleted.splice(lists.deleted.indexOf(gone), 1);
    lists.added.splice(lists.added.indexOf(match), 1);
  }
  const changes: DataChanges = {};
  if (lists.modified.length) changes.modified = lists.modified;
  if (lists.added.length) changes.added = lists.added;
  if (lists.deleted.length) changes.deleted = lists.deleted;
  if (renamed.length) changes.renamed = renamed;
  if (lists.unknown.length) changes.unknown = lists.unknown;
  return { changes, unchanged, withOldHash };
}

/** git's status: whether anything is staged or changed (untracked files too with `all`), and the untracked files (paths from git's root). */
async function gitState(repo: Repo, untrackedFiles: 'no' | 'all'): Promise<{ untracked: string[]; isDirty: boolean }> {
  const out = await repo.scm!.status(untrackedFiles);
  const untracked = out.filter((e) => e.code === '??').map((e) => e.path);
  return { untracked: untrackedFiles === 'all' ? untracked : [], isDirty: out.length > 0 };
}

/** A path from git's root as a path from the DVC repository's root; undefined when outside it. */
function repoKeyOfGitPath(repo: Repo, gitPath: string): string | undefined {
  const rel = path.relative(repo.root, path.join(repo.scm!.root, gitPath));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}
