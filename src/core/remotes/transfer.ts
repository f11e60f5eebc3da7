import * as fs from 'node:fs';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import type { DirEntry } from '../hashing/dirManifest';
import { CairnError, throwIfAborted } from '../errors';
import { estimatedFileSize, Progress } from '../progress';
import { BatchProgress, GetItem, objectKey, PutItem, Remote } from './remote';
import { remoteHas, QueryPlan } from './remoteIndex';
import type { UsedOutput } from './usedObjects';
import { ObjectVerdict, verifyObjects, VerifyStats } from '../cache/verifyObjects';
import { statFile } from '../hashing/statIndex';

/** One object to move: a file's content or a directory's `.dir` manifest. */
export interface ObjectRef {
  md5: string;
  hashName: HashName;
  isDir: boolean;
  /** Repo-relative paths whose content it is, for messages. */
  paths: string[];
  /** Its size for progress: a file output's as recorded, a directory's file's estimated (estimatedFileSize). */
  size?: number;
}

export interface ObjectFailure {
  /** The object's key on the remote (`files/md5/ab/cdef…`). */
  object: string;
  path: string;
  message: string;
  /** Refused rather than failed: the repository's own records are unsafe (a manifest whose hashes or names lead outside). */
  refused?: boolean;
}

/** What a push or fetch did; `--json` prints the counts. */
export interface TransferResult {
  transferred: number;
  skipped: number;
  failed: number;
  bytes: number;
  /** Seconds spent moving objects (planning excluded): bytes / seconds is the transfer's throughput. */
  seconds: number;
  failures: ObjectFailure[];
}

export interface TransferOptions {
  /** Parallel transfers; default: the remote's `jobs`, else sized for its kind and the cores. */
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** How existence on the remote was checked (for tests and -v). */
  onPlan?: (plan: QueryPlan) => void;
  /** On push: how many cache objects were verified and how many of them had to be read (for tests and -v). */
  onVerified?: (stats: VerifyStats) => void;
}

export const keyOf = (r: { md5: string; hashName: HashName }) => objectKey(r.md5, r.hashName);

export function emptyResult(): TransferResult {
  return { transferred: 0, skipped: 0, failed: 0, bytes: 0, seconds: 0, failures: [] };
}

export function mergeResults(a: TransferResult, b: TransferResult): TransferResult {
  return {
    transferred: a.transferred + b.transferred,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
    bytes: a.bytes + b.bytes,
    seconds: a.seconds + b.seconds,
    failures: [...a.failures, ...b.failures],
  };
}

/**
 * The objects of `outputs`: each file output's object; each directory's `.dir` object and
 * every file it lists (only those under `within` for a target inside it). Manifests come
 * from `manifestOf`; a directory whose manifest is unknown contributes its `.dir` only.
 */
export function expandObjects(
  outputs: UsedOutput[],
  manifestOf: (o: UsedOutput) => DirEntry[] | undefined,
): { refs: Map<string, ObjectRef>; unexpanded: UsedOutput[]; refused: ObjectFailure[] } {
  const refs = new Map<string, ObjectRef>();
  const unexpanded: UsedOutput[] = [];
  /** Directories whose manifest is unsafe (a hash that is a path, a name leaving the folder): neither they nor their files move. */
  const refused: ObjectFailure[] = [];
  const add = (md5: string, hashName: HashName, isDir: boolean, p: string, size?: number) => {
    const key = objectKey(md5, hashName);
    const known = refs.get(key);
    if (known) {
      if (known.paths.length < 3 && !known.paths.includes(p)) known.paths.push(p);
    } else refs.set(key, { md5, hashName, isDir, paths: [p], size });
  };
  for (const o of outputs) {
    if (!o.md5.endsWith('.dir')) {
      add(o.md5, o.hashName, false, o.rel, o.size);
      continue;
    }
    let entries: DirEntry[] | undefined;
    try {
      entries = manifestOf(o);
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      refused.push({ object: objectKey(o.md5, o.hashName), path: o.rel, message: err.oneLine(), refused: true });
      continue;
    }
    if (!o.within) add(o.md5, o.hashName, true, o.rel);
    if (!entries) {
      unexpanded.push(o);
      continue;
    }
    for (const e of entries) {
      if (o.within && e.relpath !== o.within && !e.relpath.startsWith(o.within + '/')) continue;
      add(e.md5, o.hashName, false, `${o.rel}/${e.relpath}`, estimatedFileSize(o));
    }
  }
  return { refs, unexpanded, refused };
}

function describe(err: unknown, ref: ObjectRef, remote: Remote): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECORRUPT') {
    return `object ${keyOf(ref)} on remote '${remote.name}' is corrupted: ${(err as Error).message}; it was not put in the cache (push a good copy from a cache that has it, or remove the object from the remote)`;
  }
  if (code === 'ENOENT') return `not on remote '${remote.name}'`;
  return err instanceof CairnError ? err.oneLine() : (err as Error).message;
}

function failure(ref: ObjectRef, message: string): ObjectFailure {
  return { object: keyOf(ref), path: ref.paths[0], message };
}

/**
 * Counts across the batches of one push or fetch, for progress. The bytes to move in all: what
 * the remote says of a batch when it knows (it stat'ed them), else `totalBytes` from the caller.
 */
function progressOf(options: TransferOptions, total: number, totalBytes?: number) {
  let done = 0;
  let bytes = 0;
  return {
    /** Batch options' onProgress: counts within the batch, added to those before it. */
    batch: () => {
      const [doneBefore, bytesBefore] = [done, bytes];
      return (p: BatchProgress) => {
        done = doneBefore + p.done;
        bytes = bytesBefore + p.bytes;
        const allBytes = p.totalBytes === undefined ? totalBytes : bytesBefore + p.totalBytes;
        options.onProgress?.({ done, total, unit: 'objects', bytes, totalBytes: allBytes });
      };
    },
    skip: () => done++,
  };
}

/** A directory's manifest from the cache; undefined when missing or corrupt. */
function manifestUnlessCorrupt(repo: Repo, o: { md5: string; hashName: HashName }): DirEntry[] | undefined {
  try {
    return repo.store.readDir(o.md5, o.hashName);
  } catch (err) {
    if (err instanceof CairnError && err.code === 'CORRUPT_OBJECT') return undefined;
    throw err;
  }
}

/**
 * Upload what the remote lacks. Files go first and a directory's `.dir` object last, only
 * once all its files are there: a `.dir` on the remote means the directory is complete,
 * so an interrupted push is finished by a rerun that skips what arrived.
 */
export async function pushObjects(repo: Repo, remote: Remote, outputs: UsedOutput[], options: TransferOptions = {}): Promise<TransferResult> {
  const jobs = options.jobs ?? remote.defaultJobs;
  const result = emptyResult();
  // A corrupt manifest leaves its directory unexpanded: its .dir is then refused below like any corrupt object.
  // An unsafe one (a hash that is a path) is refused by expandObjects.
  const { refs, unexpanded, refused } = expandObjects(outputs, (o) => manifestUnlessCorrupt(repo, o));
  result.failures.push(...refused);
  const present = await remoteHas(remote, [...refs.keys()], { jobs, signal: options.signal, onPlan: options.onPlan });
  const missingDirs = new Set(unexpanded.map((o) => objectKey(o.md5, o.hashName)));
  const todo: { ref: ObjectRef; item: PutItem }[] = [];
  const failedFiles = new Set<string>();
  const absent = [...refs].filter(([key]) => !present.has(key));
  result.skipped = refs.size - absent.length;
  const files = absent.map(([, ref]) => repo.store.pathOf(ref.md5, ref.hashName));
  // Never upload a corrupt object: each is read and hashed unless the stat index has it verified
  // as it is now, or this run has (a manifest read above was checked then: see ObjectStore.readDir).
  const checkedManifest = ([key, ref]: [string, ObjectRef]) => ref.isDir && !missingDirs.has(key);
  const toVerify = absent.map((a, i) => i).filter((i) => !checkedManifest(absent[i]));
  const verified = await verifyObjects(repo, toVerify.map((i) => ({ path: files[i], name: absent[i][1].md5, hashName: absent[i][1].hashName, size: absent[i][1].size })), options);
  let k = 0;
  const verdicts: ObjectVerdict[] = absent.map((a, i): ObjectVerdict => {
    if (!checkedManifest(a)) return verified[k++]; // in the order of toVerify
    const size = fs.statSync(files[i], { throwIfNoEntry: false })?.size;
    return size === undefined ? { ok: false, missing: true, reason: 'not in the cache' } : { ok: true, size };
  });
  absent.forEach(([key, ref], i) => {
    const v = verdicts[i];
    if (!v.ok) {
      failedFiles.add(key);
      const reason = v.missing && missingDirs.has(key) ? 'its .dir manifest is neither in the cache nor on the remote' : v.reason;
      result.failures.push(failure(ref, v.missing ? reason : `not uploaded: ${reason}`));
    } else todo.push({ ref, item: { file: files[i], key, size: v.size } });
  });
  throwIfAborted(options.signal);
  const totalBytes = todo.reduce((sum, t) => sum + t.item.size, 0);
  const progress = progressOf(options, todo.length, totalBytes);
  const send = async (batch: typeof todo) => {
    const started = performance.now();
    const errors = await remote.putAll(batch.map((t) => t.item), { jobs, signal: options.signal, onProgress: progress.batch() });
    batch.forEach((t, i) => {
      if (errors[i]) {
        failedFiles.add(t.item.key);
        result.failures.push(failure(t.ref, describe(errors[i], t.ref, remote)));
      } else {
        result.transferred++;
        result.bytes += t.item.size;
      }
    });
    result.seconds += (performance.now() - started) / 1000;
  };
  await send(todo.filter((t) => !t.ref.isDir));
  // A directory's manifest goes up only when every file it lists is on the remote.
  const dirs = todo.filter((t) => {
    if (!t.ref.isDir) return false;
    const entries = manifestUnlessCorrupt(repo, t.ref) ?? [];
    const broken = entries.find((e) => failedFiles.has(objectKey(e.md5, t.ref.hashName)) || !refs.has(objectKey(e.md5, t.ref.hashName)));
    if (broken) {
      result.failures.push(failure(t.ref, `not pushed: its file '${broken.relpath}' could not be uploaded`));
      progress.skip();
      return false;
    }
    return true;
  });
  await send(dirs);
  result.failed = result.failures.length;
  return result;
}

/**
 * Bring into the cache what it lacks. A directory's `.dir` object comes first (to know its
 * files); every object is written to the cache's staging folder, checked against its md5 and
 * renamed into place: a corrupted remote object is reported and never enters the cache.
 */
export async function fetchObjects(repo: Repo, remote: Remote, outputs: UsedOutput[], options: TransferOptions = {}): Promise<TransferResult> {
  const jobs = options.jobs ?? remote.defaultJobs;
  const result = emptyResult();
  const get = async (refs: ObjectRef[], onProgress?: (p: BatchProgress) => void) => {
    const items: GetItem[] = refs.map((r) => ({ key: keyOf(r), name: r.md5, hashName: r.hashName, objectsDir: repo.store.objectsDirFor(r.hashName) }));
    let bytes = 0;
    const started = performance.now();
    const errors = await remote.getAll(items, repo.store.stagingDir, {
      jobs,
      signal: options.signal,
      onProgress: (p) => {
        bytes = p.bytes;
        onProgress?.(p);
      },
    });
    refs.forEach((ref, i) => {
      if (errors[i]) result.failures.push(failure(ref, describe(errors[i], ref, remote)));
      else {
        result.transferred++;
        // Hashed on the way in: a checkout or push of it reads it no more.
        const objectPath = repo.store.pathOf(ref.md5, ref.hashName);
        const stat = statFile(objectPath);
        if (stat) repo.statIndex.recordVerifiedObject(objectPath, stat, ref.hashName, ref.md5.replace(/\.dir$/, ''));
      }
    });
    result.bytes += bytes;
    result.seconds += (performance.now() - started) / 1000;
  };
  // Manifests first.
  const dirRefs = new Map<string, ObjectRef>();
  for (const o of outputs) {
    if (o.md5.endsWith('.dir') && !repo.store.has(o.md5, o.hashName)) {
      dirRefs.set(objectKey(o.md5, o.hashName), { md5: o.md5, hashName: o.hashName, isDir: true, paths: [o.rel] });
    }
  }
  await get([...dirRefs.values()]);

  const { refs, refused } = expandObjects(outputs, (o) => repo.store.readDir(o.md5, o.hashName));
  result.failures.push(...refused);
  const todo: ObjectRef[] = [];
  for (const byName of ['md5', 'md5-dos2unix'] as const) {
    const group = [...refs.values()].filter((r) => r.hashName === byName && !dirRefs.has(keyOf(r)));
    const missing = new Set(repo.store.missing(group.map((r) => r.md5), byName));
    for (const r of group) {
      if (missing.has(r.md5)) todo.push(r);
      else result.skipped++;
    }
  }
  // From the .dvc files and dvc.lock when every size is there (a directory's files: estimated); a remote that stats its objects knows better.
  const recorded = todo.every((r) => r.size !== undefined) ? todo.reduce((sum, r) => sum + r.size!, 0) : undefined;
  await get(todo, progressOf(options, todo.length, recorded).batch());
  result.failed = result.failures.length;
  return result;
}

/** One error line for all the objects that failed (the first few named), or undefined when none did. */
export function transferError(result: TransferResult, verb: 'push' | 'fetch' | 'pull'): CairnError | undefined {
  if (result.failed === 0) return undefined;
  const shown = result.failures.slice(0, 5).map((f) => `${f.path} (${f.object}): ${f.message.replace(/\.$/, '')}`).join('; ');
  const more = result.failed > 5 ? `; and ${result.failed - 5} more` : '';
  const what = verb === 'push' ? 'upload' : 'download';
  const refused = result.failures.some((f) => f.refused);
  return new CairnError(refused ? 'UNSAFE_PATH' : 'TRANSFER_FAILED', `${result.failed} ${result.failed === 1 ? 'file' : 'files'} failed to ${what}: ${shown}${more}`, {
    hint: refused
      ? 'Nothing was read or written for those; this repository records a hash or path that leads outside it: check who changed it (`git log -p`).'
      : verb === 'push' ? 'What did arrive is kept; run the push again to send the rest.' : 'Nothing partial was put in the cache; fix the remote and run it again.',
    paths: result.failures.map((f) => f.path),
  });
}
