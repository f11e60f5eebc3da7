import * as fs from 'node:fs';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { commitStagedObject, FileHash, objectPathFor } from '../hashing/hashFile';
import { FileStat, fileStatOf, statFile } from '../hashing/statIndex';
import { DirEntry, dirManifestHash } from '../hashing/dirManifest';
import { walkTrackedDir } from '../repo/dvcignore';
import { linkTarget } from '../repo/pathGuard';
import { SPLIT_COPY_BYTES, WorkerTask } from '../hashing/workerProtocol';
import { CairnError } from '../errors';
import type { Progress } from '../progress';

/** One file as it is in the workspace now. */
export interface WorkspaceFile {
  relpath: string; // inside the output ('' for a single-file output)
  abs: string;
  size: number;
  md5: string;
  isexec: boolean;
}

/** An output as it is in the workspace now. */
export interface OutState {
  exists: boolean;
  isDir: boolean;
  /** Current hash; directories end in `.dir`. */
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  files: WorkspaceFile[];
  /** For directories whose content differs from the recorded entry: the exact new `.dir` bytes. */
  manifestBytes?: string;
  /** The output is a link to a folder, or to a file outside the repository and the cache: not followed (`md5` unknown). */
  isLink?: boolean;
  /** Why the output's path cannot be used at all (a folder on the way leads outside the repository); then `exists` is false. */
  unsafe?: string;
}

export interface OutTarget {
  abs: string;
  /** How the output is named in messages (repo-relative). */
  rel: string;
  hashName: HashName;
  /** The hash the output's entry records, if any: lets an unchanged directory skip re-serializing. */
  recorded?: string;
}

function sameFiles(manifest: DirEntry[] | undefined, files: WorkspaceFile[]): boolean {
  if (!manifest || manifest.length !== files.length) return false;
  const byPath = new Map(manifest.map((e) => [e.relpath, e.md5]));
  return files.every((f) => byPath.get(f.relpath) === f.md5);
}

interface Pending {
  file: WorkspaceFile;
  stat: FileStat;
  hashName: HashName;
}


export interface HashOptions {
  /** Also put every file into the cache (add/commit). Only for `md5` targets. */
  store?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/**
 * Hash outputs as they are in the workspace: files the stat index knows unchanged are not
 * read; the rest are hashed (and with `store`, copied into the cache) by the worker pool.
 */
export async function hashOutputs(repo: Repo, targets: OutTarget[], options: HashOptions = {}): Promise<OutState[]> {
  const index = repo.statIndex;
  const states: OutState[] = [];
  const pending: Pending[] = [];
  const knownUnchanged: typeof pending = [];

  for (const t of targets) {
    const unsafe = repo.guard.problem(t.abs);
    if (unsafe) {
      if (options.store) throw new CairnError('UNSAFE_PATH', `'${t.rel}' ${unsafe}; refusing to store it.`, { file: t.rel });
      states.push({ exists: false, isDir: false, files: [], unsafe: `'${t.rel}' ${unsafe}` });
      continue;
    }
    const lst = fs.lstatSync(t.abs, { throwIfNoEntry: false });
    const st = lst?.isSymbolicLink() ? fs.statSync(t.abs, { throwIfNoEntry: false }) : lst;
    if (!st) {
      states.push({ exists: false, isDir: false, files: [] }); // missing, or a dangling link
      continue;
    }
    const isDir = st.isDirectory();
    const notFollowed = !!lst?.isSymbolicLink() && (isDir || !repo.guard.linkReadable(t.abs));
    if (notFollowed && (isDir || options.store)) {
      if (options.store) throw linkError(t.rel, t.abs);
      states.push({ exists: true, isDir: false, files: [], isLink: true });
      continue;
    }
    const listed = isDir ? walkTrackedDir(t.abs, t.rel, repo.ignore, (abs) => repo.guard.linkReadable(abs)) : [{ relpath: '', abs: t.abs }];
    const files: WorkspaceFile[] = [];
    for (const { relpath, abs, linkOutside: outside } of listed) {
      if (outside && options.store) throw linkError(`${t.rel}/${relpath}`, abs);
      const stat = isDir ? statFile(abs) : fileStatOf(st); // a file target: the stat just taken
      if (!stat) continue; // vanished or not a regular file
      const known = index.lookup(abs, stat, t.hashName);
      const file: WorkspaceFile = { relpath, abs, size: stat.size, md5: known ?? '', isexec: stat.isexec };
      files.push(file);
      if (!known) pending.push({ file, stat, hashName: t.hashName });
      else if (options.store) knownUnchanged.push({ file, stat, hashName: t.hashName });
    }
    states.push({ exists: true, isDir, files });
  }
  if (knownUnchanged.length > 0) {
    // Unchanged files whose objects have gone from the cache are stored again.
    const gone = new Set(repo.store.missing(knownUnchanged.map((k) => k.file.md5), 'md5'));
    for (const k of knownUnchanged) if (gone.has(k.file.md5)) pending.push(k);
  }

  if (pending.length > 0) {
    const { objectsDir, stagingDir } = repo.store;
    const reflink = options.store ? repo.linkTypes[0] === 'reflink' && supportsReflink(repo) : false;
    // Big files are hashed and copied at once by two workers: the copy keeps ahead of the
    // hash, so adding costs about one read. Small files take one pass each.
    const splitCopy = (p: Pending) => options.store && p.hashName === 'md5' && !reflink && p.stat.size >= SPLIT_COPY_BYTES;
    const tasks: WorkerTask[] = [];
    const sizes: number[] = [];
    const copyTaskOf = new Map<Pending, number>();
    for (const p of pending) {
      if (splitCopy(p)) {
        tasks.push({ op: 'hash', path: p.file.abs, hashName: 'md5' }, { op: 'copy', path: p.file.abs, stagingDir });
        sizes.push(p.stat.size, 0);
        copyTaskOf.set(p, tasks.length - 1);
      } else {
        tasks.push(
          options.store && p.hashName === 'md5'
            ? { op: 'store', path: p.file.abs, objectsDir, stagingDir, reflink }
            : { op: 'hash', path: p.file.abs, hashName: p.hashName },
        );
        sizes.push(p.stat.size);
      }
    }
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    const startedAt = Date.now();
    const results = await repo.pool.run(tasks, {
      signal: options.signal,
      sizes,
      onProgress: (p) => options.onProgress?.({ done: p.bytesDone, total: totalBytes, unit: 'bytes', message: `${pending.length} file${pending.length === 1 ? '' : 's'}` }),
    });
    let k = 0;
    for (const p of pending) {
      const r = results[k];
      const copy = copyTaskOf.has(p) ? results[k + 1] : undefined;
      k += copy ? 2 : 1;
      for (const res of copy ? [r, copy] : [r]) {
        if (!res.ok) throw new CairnError('BAD_FILE', `cannot read ${repo.rel(p.file.abs)}: ${res.error}`, { file: repo.rel(p.file.abs) });
      }
      const h = r.ok ? (r.value as FileHash) : undefined;
      if (copy?.ok) {
        const staged = (copy.value as { staged: string }).staged;
        const now = statFile(p.file.abs);
        if (!now || now.size !== p.stat.size || now.mtimeMs !== p.stat.mtimeMs || now.ino !== p.stat.ino) {
          fs.rmSync(staged, { force: true });
          throw new CairnError('BAD_FILE', `${repo.rel(p.file.abs)} changed while it was being added.`, { hint: 'Run the command again once it is written.' });
        }
        if (commitStagedObject(staged, objectsDir, h!.md5)) h!.stored = statFile(objectPathFor(objectsDir, h!.md5));
      }
      // An object this run wrote is verified: checkout and push will not read it again.
      if (h!.stored) index.recordVerifiedObject(objectPathFor(objectsDir, h!.md5), h!.stored, 'md5', h!.md5);
      p.file.md5 = h!.md5;
      p.file.size = h!.size;
      index.record(p.file.abs, p.stat, p.hashName, h!.md5, startedAt);
    }
  }

  states.forEach((s, i) => {
    if (!s.exists) return;
    if (!s.isDir) {
      if (s.files.length > 0) Object.assign(s, { md5: s.files[0].md5, size: s.files[0].size, isexec: s.files[0].isexec || undefined });
      return;
    }
    Object.assign(s, { size: s.files.reduce((a, f) => a + f.size, 0), nfiles: s.files.length });
    // Unchanged against the recorded manifest: its hash stands, no need to serialize it again.
    const recorded = targets[i].recorded;
    if (recorded?.endsWith('.dir') && sameFiles(repo.store.readDir(recorded, targets[i].hashName), s.files)) {
      s.md5 = recorded;
      return;
    }
    const { md5, bytes } = dirManifestHash(s.files.map((f) => ({ md5: f.md5, relpath: f.relpath })));
    Object.assign(s, { md5, manifestBytes: bytes });
  });
  return states;
}

/**
 * Adding or committing never reads a file outside the repository through a link: a cloned
 * repository could otherwise have the victim store (and push) any file it can read.
 */
function linkError(rel: string, abs: string): CairnError {
  return new CairnError('UNSAFE_PATH', `'${rel}' -> '${linkTarget(abs)}' is a link to a folder, or to a file outside the repository; Cairn does not store what it points to.`, {
    file: rel,
    hint: 'Copy the data into the repository in place of the link, or remove the link.',
  });
}

let reflinkProbe: Map<string, boolean> | undefined;
/** Whether the cache's file system can clone files (btrfs, XFS, APFS); probed once per cache. */
export function supportsReflink(repo: Repo): boolean {
  reflinkProbe ??= new Map();
  const key = repo.store.cacheDir;
  if (!reflinkProbe.has(key)) {
    const dir = repo.store.stagingDir;
    fs.mkdirSync(dir, { recursive: true });
    const src = `${dir}/reflink-probe-${process.pid}`;
    let ok = false;
    try {
      fs.writeFileSync(src, 'x');
      fs.copyFileSync(src, `${src}.clone`, fs.constants.COPYFILE_FICLONE_FORCE);
      ok = true;
    } catch {
      ok = false;
    } finally {
      fs.rmSync(src, { force: true });
      fs.rmSync(`${src}.clone`, { force: true });
    }
    reflinkProbe.set(key, ok);
  }
  return reflinkProbe.get(key)!;
}
