import * as path from 'node:path';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import type { RevisionReader } from '../metrics/revisions';
import type { RevisionSource } from '../metrics/revisionSource';
import { normalizeRel } from '../metrics/revisionSource';
import { readKindAt } from '../metrics/show';
import { encodeError, EncodedError } from '../metrics/results';
import { revisionPipelines, lockedStage, sourceDvcFiles } from '../metrics/pipelineDeclarations';
import { isDict } from '../metrics/flatten';
import type { ExpData, ExpDep, ExpOut } from './contract';
import type { CachedRevision } from './showCache';

/** What `exp show` says of one revision: its data, or why it could not be read. */
export type RevisionState = { data: ExpData; error: null } | { data: null; error: EncodedError };

/** A commit as `exp show` needs it: its first parent (experiments are walked back to their baseline) and its time. */
export interface CommitInfo {
  sha: string;
  firstParent: string | undefined;
  /** Committer time, seconds since the epoch. */
  time: number;
}

/**
 * Reads revisions for `exp show`, each commit once however many experiments share it (10,000
 * refs may point at a few commits). Every git read goes through the reader's one
 * `git cat-file --batch`.
 */
export class ExpRevisions {
  private readonly commits = new Map<string, Promise<CommitInfo | undefined>>();
  private readonly states = new Map<string, Promise<RevisionState>>();
  /** Commits read (not taken from `known`) and their states, once settled: what a cache may keep. */
  private readonly read = new Map<string, { info?: CommitInfo; state?: RevisionState }>();

  /** `known`: commits an earlier `exp show` read (`ExpShowCache`), taken as they are. */
  constructor(
    private readonly reader: RevisionReader & { objects: GitObjectReader },
    private readonly known?: (sha: string) => CachedRevision | undefined,
  ) {}

  /** The commit object `sha` names, or undefined when it is no commit. */
  commit(sha: string): Promise<CommitInfo | undefined> {
    let info = this.commits.get(sha);
    if (!info) {
      const cached = this.known?.(sha);
      info = cached ? Promise.resolve({ sha, firstParent: cached.firstParent ?? undefined, time: cached.time }) : this.readCommit(sha).then((i) => this.settled(sha, { info: i }, i));
      this.commits.set(sha, info);
    }
    return info;
  }

  private settled<T>(sha: string, part: { info?: CommitInfo; state?: RevisionState }, value: T): T {
    this.read.set(sha, { ...this.read.get(sha), ...part });
    return value;
  }

  /** What a cache may keep of a commit this run read: nothing when it, or a file of it, could not be read. */
  cacheable(sha: string): CachedRevision | undefined {
    const { info, state } = this.read.get(sha) ?? {};
    if (!info || !state?.data) return undefined;
    const { params, metrics, deps, outs, meta } = state.data;
    if ([...Object.values(params), ...Object.values(metrics)].some((f) => f.error)) return undefined;
    return { firstParent: info.firstParent ?? null, time: info.time, data: { params, metrics, deps, outs, meta } };
  }

  private async readCommit(sha: string): Promise<CommitInfo | undefined> {
    const obj = await this.reader.objects.read(sha);
    if (obj?.type !== 'commit') return undefined;
    const header = obj.data.toString('utf8', 0, Math.max(0, obj.data.indexOf('\n\n')));
    const parent = /^parent ([0-9a-f]{40,64})$/m.exec(header);
    const committer = /^committer .* (\d+) [+-]\d{4}$/m.exec(header);
    return { sha: obj.sha, firstParent: parent?.[1], time: committer ? Number(committer[1]) : 0 };
  }

  /** A commit's state (`rev` the full sha), or the workspace's (`rev` undefined). */
  state(sha: string | undefined): Promise<RevisionState> {
    const key = sha ?? '';
    let state = this.states.get(key);
    if (!state) {
      const cached = sha ? this.known?.(sha) : undefined;
      if (cached) state = Promise.resolve({ data: { rev: key, timestamp: isoLocalTime(cached.time), ...cached.data }, error: null });
      else state = this.readState(sha).then((s) => (sha ? this.settled(sha, { state: s }, s) : s));
      this.states.set(key, state);
    }
    return state;
  }

  private async readState(sha: string | undefined): Promise<RevisionState> {
    const source = this.reader.source(sha ? { name: sha, commit: sha } : { name: 'workspace' });
    try {
      const info = sha ? await this.commit(sha) : undefined;
      const [params, metrics, deps, outs] = await Promise.all([
        readKindAt('params', source, undefined, this.reader.cache),
        readKindAt('metrics', source, undefined, this.reader.cache),
        depsOf(source),
        outsOf(source),
      ]);
      const failed = params.error ?? metrics.error;
      if (failed) return { data: null, error: failed };
      const data: ExpData = {
        rev: sha ?? 'workspace',
        timestamp: info ? isoLocalTime(info.time) : null,
        params: params.data ?? {},
        metrics: metrics.data ?? {},
        deps,
        outs,
        meta: {},
      };
      return { data, error: null };
    } catch (err) {
      return { data: null, error: encodeError(err) };
    }
  }
}

/** `datetime.fromtimestamp(t).isoformat()`: local time, no zone, no fraction for whole seconds. */
export function isoLocalTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const numberOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The hash, size and file count dvc.lock records for a path of a stage, matched by the path as written. */
function lockEntry(entries: unknown, written: string): ExpDep {
  const found = Array.isArray(entries) ? entries.find((e) => isDict(e) && e.path === written) : undefined;
  if (!isDict(found)) return { hash: null, size: null, nfiles: null };
  const hash = typeof found.md5 === 'string' ? found.md5 : typeof found.etag === 'string' ? found.etag : typeof found.checksum === 'string' ? found.checksum : null;
  return { hash, size: numberOrNull(found.size), nfiles: numberOrNull(found.nfiles) };
}

/** Every stage dependency but params files, repo-relative, with what dvc.lock records (as dvc's index gives them). */
async function depsOf(source: RevisionSource): Promise<Record<string, ExpDep>> {
  const deps: Record<string, ExpDep> = {};
  for (const stage of (await revisionPipelines(source)).stages) {
    const locked = await lockedStage(source, stage);
    for (const dep of stage.deps) {
      const rel = dep.repoPath === undefined ? undefined : normalizeRel(dep.repoPath);
      if (rel) deps[rel] = lockEntry(locked?.deps, dep.path);
    }
  }
  return deps;
}

/** Outputs that are neither metrics nor plots: `.dvc` files' (data sources) and stages'. */
async function outsOf(source: RevisionSource): Promise<Record<string, ExpOut>> {
  const outs: Record<string, ExpOut> = {};
  for (const file of await sourceDvcFiles(source)) {
    for (const out of file.outs) {
      const rel = path.relative(source.root, file.outPath(out)).split(path.sep).join('/');
      outs[rel] = { hash: out.md5 ?? null, size: out.size ?? null, nfiles: out.nfiles ?? null, use_cache: out.cache, is_data_source: true };
    }
  }
  for (const stage of (await revisionPipelines(source)).stages) {
    const locked = await lockedStage(source, stage);
    for (const out of stage.outs) {
      if (out.kind !== 'outs') continue;
      outs[out.repoPath] = { ...lockEntry(locked?.outs, out.path), use_cache: out.cache, is_data_source: false };
    }
  }
  return outs;
}
