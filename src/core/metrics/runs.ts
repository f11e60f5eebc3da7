import type { Repo } from '../repo/repo';
import { throwIfAborted } from '../errors';
import { flatten, formatLists, isDict } from './flatten';
import { encodeError, EncodedError, FileResult, RevisionResult } from './results';
import { readKindAt, DeclarationsLoader, withReader, MetricsOptions } from './show';
import { WORKSPACE_REV } from './revisions';

/** Flattened values of one file (`{"nested.f1": 0.5}`), or why it could not be read. */
export type FlatFile = { values: Record<string, unknown>; error?: undefined } | { error: EncodedError; values?: undefined };

/** The params and metrics of one revision, ready to plot or tabulate. */
export interface RunValues {
  /** The revision as asked (`workspace`, a sha, a branch, `refs/exps/...`). */
  rev: string;
  /** Its commit; undefined for the workspace or a revision that does not exist. */
  commit?: string;
  /** file → flattened key → value (lists as Python prints them, as DVC shows them). */
  params: Record<string, FlatFile>;
  metrics: Record<string, FlatFile>;
  /** Set when the revision itself could not be read (unknown revision, bad dvc.yaml). */
  error?: EncodedError;
}

function flatFiles(result: RevisionResult): Record<string, FlatFile> {
  const out: Record<string, FlatFile> = {};
  for (const [file, r] of Object.entries(result.data ?? {}) as [string, FileResult][]) {
    if (r.error) out[file] = { error: r.error };
    else {
      const data = formatLists(r.data);
      out[file] = { values: isDict(data) ? flatten(data) : { '': data } };
    }
  }
  return out;
}

export interface RunsOptions extends MetricsOptions {
  signal?: AbortSignal;
  declarations?: DeclarationsLoader;
}

/**
 * The params and metrics of many revisions in one call (the extension's plots and Runs view:
 * 200 commits × 20 metrics). Every git read of every revision goes through one
 * `git cat-file --batch`, and files shared by revisions are parsed per revision but read in one
 * pipelined stream. A revision that fails carries its error; the others are unaffected.
 * Results come in the order of `revs`.
 */
export async function readRuns(repo: Repo, revs: string[], options: RunsOptions = {}): Promise<RunValues[]> {
  return withReader(repo, options, async (reader) => {
    throwIfAborted(options.signal);
    const resolved = await Promise.all(
      revs.map(async (rev) => {
        if (rev === WORKSPACE_REV) return { rev };
        try {
          return { rev, commit: await reader.resolveOrThrow(rev) };
        } catch (err) {
          return { rev, error: encodeError(err) };
        }
      }),
    );
    throwIfAborted(options.signal);
    return Promise.all(
      resolved.map(async (r): Promise<RunValues> => {
        if ('error' in r && r.error) return { rev: r.rev, params: {}, metrics: {}, error: r.error };
        const source = reader.source({ name: r.rev, commit: 'commit' in r ? r.commit : undefined });
        const [params, metrics] = await Promise.all([readKindAt('params', source, options.declarations, reader.cache), readKindAt('metrics', source, options.declarations, reader.cache)]);
        const run: RunValues = { rev: r.rev, commit: 'commit' in r ? r.commit : undefined, params: flatFiles(params), metrics: flatFiles(metrics) };
        const error = params.error ?? metrics.error;
        if (error) run.error = error;
        return run;
      }),
    );
  });
}
