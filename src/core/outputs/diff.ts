import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { WORKSPACE } from './collect';
import { hashOutputs } from './workspaceState';
import { compareCodePoints } from '../hashing/dirManifest';
import { recordedOutputs, resolveRevision } from './recordedOutputs';

export interface DiffEntry {
  path: string;
  hash?: string | null;
}
export interface DiffRenamed {
  path: { old: string; new: string };
  hash?: string | null;
}
export interface DiffModified {
  path: string;
  hash?: { old: string | null; new: string | null };
}

/** DVC's `diff --json` shape; `{}` when nothing differs, "not in cache" only against the workspace. */
export interface DiffResult {
  added?: DiffEntry[];
  deleted?: DiffEntry[];
  modified?: DiffModified[];
  renamed?: DiffRenamed[];
  'not in cache'?: DiffEntry[];
}

/** One path of a revision's data: a cached output, or a file inside a tracked directory. */
interface DataEntry {
  /** Undefined for a stage output dvc.lock does not record yet. */
  hash?: string;
  hashName: HashName;
  isDir: boolean;
}

/** A revision's data, keyed by repo-relative path (no trailing `/`). */
interface Snapshot {
  entries: Map<string, DataEntry>;
  /** Directory outputs whose `.dir` manifest is not in the cache: the files inside are unknown. */
  unknownDirs: Set<string>;
}

async function snapshot(repo: Repo, commit: string | undefined, rev: string): Promise<Snapshot> {
  // As dvc diff, strict: a revision whose pipeline or .dvc files cannot be read is an error, not a smaller answer.
  const outputs = (await recordedOutputs(repo, commit, { strict: true, revName: rev })).filter((o) => o.cache);
  const snap: Snapshot = { entries: new Map(), unknownDirs: new Set() };
  if (commit === undefined) {
    const states = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.hashName, recorded: o.md5 })));
    outputs.forEach((o, i) => {
      const s = states[i];
      if (!s.exists || !s.md5) return;
      snap.entries.set(o.rel, { hash: s.md5, hashName: o.hashName, isDir: s.isDir });
      if (s.isDir) for (const f of s.files) snap.entries.set(`${o.rel}/${f.relpath}`, { hash: f.md5, hashName: o.hashName, isDir: false });
    });
    return snap;
  }
  for (const o of outputs) {
    const isDir = !!o.md5?.endsWith('.dir');
    snap.entries.set(o.rel, { hash: o.md5, hashName: o.hashName, isDir });
    if (!isDir) continue;
    const manifest = repo.store.readDir(o.md5!, o.hashName);
    if (!manifest) snap.unknownDirs.add(o.rel);
    else for (const e of manifest) snap.entries.set(`${o.rel}/${e.relpath}`, { hash: e.md5, hashName: o.hashName, isDir: false });
  }
  return snap;
}

/** The same hash: value and kind (a DVC 2 entry gaining `hash: md5` changes, as dvc's HashInfo does). */
const sameHash = (a: DataEntry, b: DataEntry) => a.hash === b.hash && (a.hash === undefined || a.hashName === b.hashName);
const hashKey = (e: DataEntry) => `${e.hashName}:${e.hash}`;
/** DVC orders paths as tuples of their parts. */
const byParts = (a: string, b: string) => {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return compareCodePoints(x[i], y[i]);
  return x.length - y.length;
};

/**
 * `dvc diff`: what changed in tracked data — outputs of `.dvc` files and cached outputs of
 * pipeline stages (dvc.lock) — between two revisions (default: HEAD and the workspace), down to
 * the files inside tracked directories whose manifests are in the cache, with renames found by
 * hash. Revisions are anything `git rev-parse` knows or experiment names. Against the workspace,
 * "not in cache" lists what the old revision records that the cache lacks.
 */
export async function diff(repo: Repo, aRev = 'HEAD', bRev = WORKSPACE, options: { showHash?: boolean } = {}): Promise<DiffResult> {
  if (repo.scm && !(await repo.scm.revParse('HEAD').catch(() => ''))) return {};
  const [aCommit, bCommit] = await Promise.all([resolveRevision(repo, aRev), bRev === WORKSPACE ? undefined : resolveRevision(repo, bRev)]);
  if (aCommit === bCommit) return {};
  const [a, b] = await Promise.all([snapshot(repo, aCommit, aRev), snapshot(repo, bCommit, bRev)]);
  const shown = (p: string, e: DataEntry) => (e.isDir ? `${p}/` : p);
  const hashOf = (e: DataEntry) => e.hash ?? null;

  // The files of a directory known on one side only are not compared (dvc's "unknown").
  const unknown = new Set([...a.unknownDirs, ...b.unknownDirs]);
  const inUnknownDir = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) if (unknown.has(p.slice(0, i))) return true;
    return false;
  };
  const added: string[] = [];
  const deleted: string[] = [];
  const result: Required<DiffResult> = { added: [], deleted: [], modified: [], renamed: [], 'not in cache': [] };
  for (const p of new Set([...a.entries.keys(), ...b.entries.keys()])) {
    if (inUnknownDir(p)) continue;
    const old = a.entries.get(p);
    const now = b.entries.get(p);
    if (!old) added.push(p);
    else if (!now) deleted.push(p);
    else if (old.isDir !== now.isDir || !sameHash(old, now)) {
      result.modified.push({ path: shown(p, old), hash: { old: hashOf(old), new: hashOf(now) } });
    }
  }

  // An addition with the hash of a deletion is a rename (folders too); each side taken in path order.
  const deletedByHash = new Map<string, string[]>();
  for (const p of deleted.sort(byParts)) {
    const e = a.entries.get(p)!;
    if (e.hash !== undefined) deletedByHash.set(hashKey(e), [...(deletedByHash.get(hashKey(e)) ?? []), p]);
  }
  const renamedFrom = new Set<string>();
  for (const p of added.sort(byParts)) {
    const e = b.entries.get(p)!;
    const from = e.hash !== undefined ? deletedByHash.get(hashKey(e))?.shift() : undefined;
    if (from === undefined) result.added.push({ path: shown(p, e), hash: hashOf(e) });
    else {
      renamedFrom.add(from);
      result.renamed.push({ path: { old: shown(from, a.entries.get(from)!), new: shown(p, e) }, hash: hashOf(e) });
    }
  }
  for (const p of deleted) if (!renamedFrom.has(p)) result.deleted.push({ path: shown(p, a.entries.get(p)!), hash: hashOf(a.entries.get(p)!) });

  if (bRev === WORKSPACE) {
    for (const [p, e] of a.entries) {
      if (e.hash !== undefined && !inUnknownDir(p) && !repo.store.has(e.hash, e.hashName)) result['not in cache'].push({ path: shown(p, e), hash: e.hash });
    }
  }

  const pathOf = (x: { path: string | { old: string } }) => (typeof x.path === 'string' ? x.path : x.path.old);
  for (const list of Object.values(result) as { path: string | { old: string } }[][]) list.sort((x, y) => compareCodePoints(pathOf(x), pathOf(y)));
  if (Object.values(result).every((list) => list.length === 0)) return {};
  if (!options.showHash) for (const list of Object.values(result) as { hash?: unknown }[][]) for (const entry of list) delete entry.hash;
  if (bRev !== WORKSPACE) return { ...result, 'not in cache': undefined };
  return result;
}
