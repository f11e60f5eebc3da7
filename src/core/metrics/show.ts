import { isDeepStrictEqual } from 'node:util';
import type { Repo } from '../repo/repo';
import { Declarations } from './declarations';
import { diffResults } from './diff';
import * as fs from 'node:fs';
import { CacheReader, readMetricsFiles, readParamsFiles } from './readFiles';
import { DiffResult, encodeError, FileResult, RevisionResult, ShowResult } from './results';
import { RevisionReader, NamedRevision, WORKSPACE_REV } from './revisions';
import type { RevisionSource } from './revisionSource';
import { pipelineDeclarations } from './pipelineDeclarations';

/** Metrics or params: which files, and how they are read. */
export type MetricsKind = 'metrics' | 'params';

/** How a revision's declarations are found (the pipeline loader over the revision, by default). */
export type DeclarationsLoader = (source: RevisionSource) => Promise<Declarations>;

export interface RevisionSelection {
  /** Revisions to show besides the workspace. */
  revs?: string[];
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
}

export interface MetricsOptions {
  /** Shared reader (the caller closes it); one is made and closed per call otherwise. */
  reader?: RevisionReader;
  declarations?: DeclarationsLoader;
}

/** Reads outputs from the repository's DVC cache by the hash its lock records. */
export function cacheReaderOf(repo: Repo): CacheReader {
  return async (out) => {
    try {
      return await fs.promises.readFile(repo.store.pathOf(out.md5, out.hashName));
    } catch {
      return undefined;
    }
  };
}

/** Open a reader for `repo` (or use the caller's) and close it after `fn` if it is ours. */
export async function withReader<T>(repo: Repo, options: MetricsOptions, fn: (reader: RevisionReader) => Promise<T>): Promise<T> {
  const reader = options.reader ?? new RevisionReader(repo.root, repo.scm?.root, repo.ignore, cacheReaderOf(repo));
  try {
    return await fn(reader);
  } finally {
    if (!options.reader) reader.close();
  }
}

const loaded = new WeakMap<RevisionSource, Map<DeclarationsLoader, Promise<Declarations>>>();

/** A revision's declarations, loaded once per source (metrics and params of one revision share them). */
export function declarationsFor(source: RevisionSource, loader: DeclarationsLoader = pipelineDeclarations): Promise<Declarations> {
  let byLoader = loaded.get(source);
  if (!byLoader) loaded.set(source, (byLoader = new Map()));
  let hit = byLoader.get(loader);
  if (!hit) byLoader.set(loader, (hit = loader(source)));
  return hit;
}

/** One revision's metrics or params files; an error that stops the whole revision (a bad dvc.yaml) is the revision's. */
export async function readKindAt(
  kind: MetricsKind,
  source: RevisionSource,
  declarations: DeclarationsLoader = pipelineDeclarations,
  readCache?: CacheReader,
): Promise<RevisionResult> {
  try {
    const decl = await declarationsFor(source, declarations);
    const reading = { cachedOuts: decl.cachedOuts, readCache };
    const data: Record<string, FileResult> =
      kind === 'metrics' ? await readMetricsFiles(source, decl.metrics, reading) : await readParamsFiles(source, decl.params, reading);
    return { data };
  } catch (err) {
    return { error: encodeError(err) };
  }
}

/**
 * `metrics show` / `params show`: each chosen revision's files. With no revision chosen the only
 * key is `''` (the workspace), as in DVC; otherwise `workspace` and the revisions' names, the
 * workspace left out when it equals the active branch.
 */
export async function show(repo: Repo, kind: MetricsKind, selection: RevisionSelection = {}, options: MetricsOptions = {}): Promise<ShowResult> {
  return withReader(repo, options, async (reader) => {
    const chosen = (selection.revs?.length ?? 0) > 0 || selection.allBranches || selection.allTags || selection.allCommits;
    const revisions: NamedRevision[] = chosen ? await reader.select(selection) : [{ name: '' }];
    const results = await Promise.all(revisions.map((r) => readKindAt(kind, reader.source(r), options.declarations, reader.readCache)));
    const res: ShowResult = {};
    revisions.forEach((r, i) => (res[r.name] = results[i]));
    if (chosen) {
      const branch = await reader.activeBranch();
      if (branch && branch in res && isDeepStrictEqual(res[WORKSPACE_REV], res[branch])) delete res[WORKSPACE_REV];
    }
    return res;
  });
}

export interface DiffOutcome {
  diff: DiffResult;
  /** Revisions (a_rev/b_rev names) some file of which could not be read. */
  errored: string[];
}

/**
 * `metrics diff` / `params diff` between two revisions (default HEAD and the workspace): changed
 * values per file, unchanged too with `all`. Empty when the repository has no commit, as in DVC.
 */
export async function diff(repo: Repo, kind: MetricsKind, aRev = 'HEAD', bRev = WORKSPACE_REV, all = false, options: MetricsOptions = {}): Promise<DiffOutcome> {
  return withReader(repo, options, async (reader) => {
    if (!(await reader.hasCommits())) return { diff: {}, errored: [] };
    const [a, b] = await Promise.all([reader.open(aRev), reader.open(bRev)]);
    const [old, now] = await Promise.all([readKindAt(kind, a, options.declarations, reader.readCache), readKindAt(kind, b, options.declarations, reader.readCache)]);
    const errored: string[] = [];
    for (const [name, r] of [[aRev, old], [bRev, now]] as const) {
      if (r.error || Object.values(r.data ?? {}).some((f) => f.error)) if (!errored.includes(name)) errored.push(name);
    }
    return { diff: diffResults(old.data ?? {}, now.data ?? {}, all), errored };
  });
}
