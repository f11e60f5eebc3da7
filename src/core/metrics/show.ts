import { isDeepStrictEqual } from 'node:util';
import type { Repo } from '../repo/repo';
import { Declarations } from './declarations';
import { diffResults } from './diff';
import { readMetricsFiles, readParamsFiles } from './readFiles';
import { readRepoFile } from '../repo/readRepoFile';
import { OutputCache, OutputsSource } from './cachedOutputs';
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

/** The repository's DVC cache, where outputs a revision's dvc.lock records are read (`pathOf` takes only object ids). */
export function outputCacheOf(repo: Repo): OutputCache {
  return {
    async read(md5, hashName) {
      const file = repo.store.pathOf(md5, hashName);
      try {
        return await readRepoFile(file, md5);
      } catch {
        return undefined;
      }
    },
    manifest: (md5, hashName) => repo.store.readDir(md5, hashName),
  };
}

/** Open a reader for `repo` (or use the caller's) and close it after `fn` if it is ours. */
export async function withReader<T>(repo: Repo, options: MetricsOptions, fn: (reader: RevisionReader) => Promise<T>): Promise<T> {
  const reader = options.reader ?? new RevisionReader(repo.root, repo.scm?.root, repo.ignore, outputCacheOf(repo));
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

/**
 * A revision's files with its cached outputs (what its dvc.lock records, read from the DVC
 * cache, folders through their manifests), as DVC reads metrics, params and plots.
 */
export function withOutputs(source: RevisionSource, declarations: Declarations, cache: OutputCache | undefined): RevisionSource {
  return cache && declarations.cachedOuts.size ? new OutputsSource(source, declarations.cachedOuts, cache) : source;
}

/** One revision's metrics or params files; an error that stops the whole revision (a bad dvc.yaml) is the revision's. */
export async function readKindAt(
  kind: MetricsKind,
  source: RevisionSource,
  declarations: DeclarationsLoader = pipelineDeclarations,
  cache?: OutputCache,
): Promise<RevisionResult> {
  try {
    const decl = await declarationsFor(source, declarations);
    const files = withOutputs(source, decl, cache);
    const data: Record<string, FileResult> = kind === 'metrics' ? await readMetricsFiles(files, decl.metrics) : await readParamsFiles(files, decl.params);
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
    const results = await Promise.all(revisions.map((r) => readKindAt(kind, reader.source(r), options.declarations, reader.cache)));
    const res: ShowResult = {};
    revisions.forEach((r, i) => (res[r.name] = results[i]));
    if (chosen) {
      const branch = await reader.activeBranch();
      if (branch && branch in res && sameResults(res[WORKSPACE_REV], res[branch])) delete res[WORKSPACE_REV];
    }
    return res;
  });
}

/** Equal results, as DVC compares them: an error (an exception object) never equals another. */
function sameResults(a: RevisionResult | undefined, b: RevisionResult | undefined): boolean {
  const errored = (r: RevisionResult | undefined) => !!r?.error || Object.values(r?.data ?? {}).some((f) => f.error);
  return !errored(a) && !errored(b) && isDeepStrictEqual(a, b);
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
    const [old, now] = await Promise.all([readKindAt(kind, a, options.declarations, reader.cache), readKindAt(kind, b, options.declarations, reader.cache)]);
    const errored: string[] = [];
    for (const [name, r] of [[aRev, old], [bRev, now]] as const) {
      if (r.error || Object.values(r.data ?? {}).some((f) => f.error)) if (!errored.includes(name)) errored.push(name);
    }
    return { diff: diffResults(old.data ?? {}, now.data ?? {}, all), errored };
  });
}
