import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { readRepoFileSync } from '../repo/readRepoFile';
import { writeFileAtomic } from '../repo/atomicWrite';
import { isDict } from '../metrics/flatten';
import type { ExpData } from './contract';

/**
 * What `exp show` read of each commit, kept for the next `exp show` (as dvc keeps its own in
 * `.dvc/tmp/exps/cache`): a commit never changes, nor do the cache objects its metrics come
 * from, so an entry stays true. A revision with any error is not kept (a missing object may be
 * fetched later, a file fixed), nor one whose values JSON cannot hold as they are (NaN).
 * One file per baseline, `.dvc/tmp/cairn/exp-show/<baseline>.json`, holding the baseline and the
 * commits shown under it: `exp show` of one baseline reads one small file. Never trusted further
 * than any file of the repository: read only when a regular file in real folders, checked as
 * it is read, and at worst it shows wrong values, as a hostile commit could.
 */

/** Bump when what `exp show` makes of a commit changes: older files are then read as empty. */
const FORMAT = 1;
/** A baseline's file past this is not ours (10,000 experiments of 2 KB each). */
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** One commit as `exp show` needs it again: its first parent, its time (seconds) and its data but `rev` and `timestamp`. */
export interface CachedRevision {
  firstParent: string | null;
  time: number;
  data: Omit<ExpData, 'rev' | 'timestamp'>;
}

export class ExpShowCache {
  private readonly known = new Map<string, CachedRevision>();
  /** Per baseline: the commits its file held when read. */
  private readonly held = new Map<string, Set<string>>();

  constructor(private readonly repo: Repo) {}

  private folder(): string {
    return path.join(this.repo.dvcDir, 'tmp', 'cairn', 'exp-show');
  }

  /** Reads the files of these baselines (what is not there, or not ours, reads as empty). */
  load(baselines: string[]): void {
    if (!this.inRealFolders()) return;
    for (const baseline of baselines) {
      if (!SHA.test(baseline) || this.held.has(baseline)) continue;
      const held = new Set<string>();
      this.held.set(baseline, held);
      for (const [sha, entry] of readEntries(path.join(this.folder(), `${baseline}.json`))) {
        this.known.set(sha, entry);
        held.add(sha);
      }
    }
  }

  /** `.dvc/tmp`, `.dvc/tmp/cairn` and the cache's folder, outermost first. */
  private folders(): string[] {
    const tmp = path.join(this.repo.dvcDir, 'tmp');
    return [tmp, path.join(tmp, 'cairn'), this.folder()];
  }

  /** All are folders, none a link a cloned archive brought (git ignores `.dvc/tmp`). */
  private inRealFolders(): boolean {
    return this.folders().every((dir) => fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory());
  }

  get(sha: string): CachedRevision | undefined {
    return this.known.get(sha);
  }

  /**
   * Keeps, for each baseline, exactly the commits shown under it (those it can keep): a file is
   * written only when that differs from what it held. A file that cannot be written costs only time.
   */
  async save(shown: Map<string, string[]>, fresh: (sha: string) => CachedRevision | undefined): Promise<void> {
    const writes: [string, Record<string, CachedRevision>][] = [];
    for (const [baseline, shas] of shown) {
      if (!SHA.test(baseline)) continue;
      const entries: Record<string, CachedRevision> = {};
      for (const sha of shas) {
        const known = this.known.get(sha);
        const entry = known ?? fresh(sha);
        // What was read from a file went through JSON already.
        if (entry && SHA.test(sha) && (known || keepable(entry))) entries[sha] = entry;
      }
      const held = this.held.get(baseline) ?? new Set();
      const kept = Object.keys(entries);
      if (kept.length === held.size && kept.every((sha) => held.has(sha))) continue;
      writes.push([baseline, entries]);
    }
    if (!writes.length) return;
    try {
      const folder = this.repo.tmpDir('cairn', 'exp-show');
      await Promise.all(writes.map(([baseline, revisions]) => writeFileAtomic(path.join(folder, `${baseline}.json`), JSON.stringify({ format: FORMAT, revisions }))));
    } catch {
      // A read-only repository: the next exp show reads the commits again.
    }
  }
}

/** What JSON gives back as it is: no NaN, Infinity or -0 (null and 0 would come back), nothing but plain data. */
function keepable(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(keepable);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(keepable);
}

function readEntries(file: string): [string, CachedRevision][] {
  let parsed: unknown;
  try {
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st?.isFile() || st.size > MAX_FILE_BYTES) return [];
    parsed = JSON.parse(readRepoFileSync(file).toString('utf8'));
  } catch {
    return [];
  }
  if (!isDict(parsed) || parsed.format !== FORMAT || !isDict(parsed.revisions)) return [];
  const entries: [string, CachedRevision][] = [];
  for (const [sha, entry] of Object.entries(parsed.revisions)) {
    if (SHA.test(sha) && isCachedRevision(entry)) entries.push([sha, entry]);
  }
  return entries;
}

function isCachedRevision(v: unknown): v is CachedRevision {
  if (!isDict(v) || !(v.firstParent === null || (typeof v.firstParent === 'string' && SHA.test(v.firstParent))) || typeof v.time !== 'number') return false;
  const data = v.data;
  if (!isDict(data) || !isDict(data.params) || !isDict(data.metrics) || !isDict(data.deps) || !isDict(data.outs) || !isDict(data.meta)) return false;
  const files = [...Object.values(data.params), ...Object.values(data.metrics)];
  const entries = [...Object.values(data.deps), ...Object.values(data.outs)];
  return files.every((f) => isDict(f) && Object.keys(f).join() === 'data') && entries.every(isEntry) && Object.values(data.outs).every((o) => isDict(o) && typeof o.use_cache === 'boolean' && typeof o.is_data_source === 'boolean');
}

const stringOrNull = (x: unknown) => x === null || typeof x === 'string';
const numberOrNull = (x: unknown) => x === null || typeof x === 'number';
const isEntry = (x: unknown): x is Record<string, unknown> => isDict(x) && stringOrNull(x.hash) && numberOrNull(x.size) && numberOrNull(x.nfiles);
