import type { Repo } from '../repo/repo';
import { dvcFilesAt, outputsOf, WORKSPACE } from './collect';
import { hashOutputs } from './workspaceState';
import { compareCodePoints } from '../hashing/dirManifest';


export interface DiffEntry {
  path: string;
  hash?: string;
}
export interface DiffRenamed {
  path: { old: string; new: string };
  hash?: string;
}
export interface DiffModified {
  path: string;
  hash?: { old: string; new: string };
}

/** DVC's `diff --json` shape; `{}` when nothing differs, "not in cache" only against the workspace. */
export interface DiffResult {
  added?: DiffEntry[];
  deleted?: DiffEntry[];
  modified?: DiffModified[];
  renamed?: DiffRenamed[];
  'not in cache'?: DiffEntry[];
}

/** Every tracked path of one revision → hash; directories as `dir/`, their files as `dir/file`. */
interface Snapshot {
  entries: Map<string, string>;
  notInCache: Map<string, string>;
}

async function snapshot(repo: Repo, rev: string): Promise<Snapshot> {
  const outputs = outputsOf(repo, await dvcFilesAt(repo, rev));
  const snap: Snapshot = { entries: new Map(), notInCache: new Map() };
  if (rev === WORKSPACE) {
    const states = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.out.hashName, recorded: o.out.md5 })));
    outputs.forEach((o, i) => {
      const s = states[i];
      if (!s.exists || !s.md5) return;
      if (s.isDir) {
        snap.entries.set(`${o.rel}/`, s.md5);
        for (const f of s.files) snap.entries.set(`${o.rel}/${f.relpath}`, f.md5);
      } else snap.entries.set(o.rel, s.md5);
    });
    return snap;
  }
  for (const o of outputs) {
    const md5 = o.out.md5;
    if (!md5) continue;
    if (!md5.endsWith('.dir')) {
      snap.entries.set(o.rel, md5);
      continue;
    }
    snap.entries.set(`${o.rel}/`, md5);
    const manifest = repo.store.readDir(md5, o.out.hashName);
    if (!manifest) snap.notInCache.set(`${o.rel}/`, md5);
    else for (const e of manifest) snap.entries.set(`${o.rel}/${e.relpath}`, e.md5);
  }
  return snap;
}

/**
 * `dvc diff`: what changed in tracked data between two revisions (default: HEAD and the
 * workspace), down to the files inside tracked directories, with renames found by hash.
 */
export async function diff(repo: Repo, aRev = 'HEAD', bRev = WORKSPACE, options: { showHash?: boolean } = {}): Promise<DiffResult> {
  const [a, b] = await Promise.all([snapshot(repo, aRev), snapshot(repo, bRev)]);
  const withHash = (p: string, h: string): DiffEntry => (options.showHash ? { path: p, hash: h } : { path: p });
  const added: [string, string][] = [];
  const deleted: [string, string][] = [];
  const result: Required<DiffResult> = { added: [], deleted: [], modified: [], renamed: [], 'not in cache': [] };
  for (const [p, h] of b.entries) {
    const old = a.entries.get(p);
    if (old === undefined) added.push([p, h]);
    else if (old !== h) result.modified.push(options.showHash ? { path: p, hash: { old, new: h } } : { path: p });
  }
  for (const [p, h] of a.entries) if (!b.entries.has(p)) deleted.push([p, h]);

  // A file deleted in one place and added with the same hash elsewhere was renamed.
  const addedByHash = new Map<string, string[]>();
  for (const [p, h] of added) if (!p.endsWith('/')) addedByHash.set(h, [...(addedByHash.get(h) ?? []), p]);
  const renamedTo = new Set<string>();
  for (const [p, h] of deleted) {
    const candidates = p.endsWith('/') ? undefined : addedByHash.get(h);
    const to = candidates?.shift();
    if (to) {
      renamedTo.add(to);
      result.renamed.push(options.showHash ? { path: { old: p, new: to }, hash: h } : { path: { old: p, new: to } });
    } else result.deleted.push(withHash(p, h));
  }
  for (const [p, h] of added) if (!renamedTo.has(p)) result.added.push(withHash(p, h));
  for (const [p, h] of b.notInCache) result['not in cache'].push(withHash(p, h));

  const byPath = (x: { path: string | { old: string } }, y: { path: string | { old: string } }) =>
    compareCodePoints(typeof x.path === 'string' ? x.path : x.path.old, typeof y.path === 'string' ? y.path : y.path.old);
  for (const list of Object.values(result)) list.sort(byPath);
  if (Object.values(result).every((list) => list.length === 0)) return {};
  if (bRev !== WORKSPACE) return { ...result, 'not in cache': undefined };
  return result;
}
