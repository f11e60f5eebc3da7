import type { Repo } from '../repo/repo';
import { declarationsFor, readKindAt, withReader } from '../metrics/show';
import { diffResults } from '../metrics/diff';
import type { DiffResult, FileResult } from '../metrics/results';
import type { RevisionReader } from '../metrics/revisions';
import type { RevisionSource } from '../metrics/revisionSource';
import type { Declarations } from '../metrics/declarations';
import { revisionPipelines } from '../metrics/pipelineDeclarations';
import { resolveRevision } from './resolve';
import { readEnvironmentNotes } from './environmentNotes';
import { diffEnvironments, EnvironmentChange } from './environmentDiff';

export interface ExpDiffOptions {
  /** The old side (default HEAD): a commit, branch, tag or experiment. */
  aRev?: string;
  /** The new side (default the workspace). */
  bRev?: string;
  /** Unchanged values too. */
  all?: boolean;
  /** Only params that are stage dependencies. */
  paramDeps?: boolean;
  /** One line for an environment record that cannot be read. */
  warn?: (line: string) => void;
}

/**
 * What `exp diff` compares, by section. A section per kind of record, so others (an environment
 * diff) can join without changing the ones there.
 */
export interface ExpDiff {
  metrics: DiffResult;
  params: DiffResult;
  /** What changed in what ran (Cairn's environment records, beyond dvc): only when both revisions are commits with a record. */
  environment?: EnvironmentChange[];
}

/**
 * `exp diff [a [b]]` (dvc: experiments/diff.py): the params and metrics of two revisions as
 * `exp show` reads them, changed values per file (unchanged too with `all`), keys repo-relative.
 * A revision that cannot be read counts as having none. Undefined when the repository has no
 * commit (dvc prints nothing then). Two commits that both carry Cairn's environment record also
 * get what changed in it.
 */
export async function expDiff(repo: Repo, options: ExpDiffOptions = {}): Promise<ExpDiff | undefined> {
  return withReader(repo, {}, async (reader) => {
    if (!reader.gitRoot || !(await reader.hasCommits())) return undefined;
    const gitRoot = reader.gitRoot;
    const resolve = async (rev: string) => (await resolveRevision(gitRoot, rev, { unknown: 'revision' })).commit;
    const a = await resolve(options.aRev ?? 'HEAD');
    const b = options.bRev === undefined ? undefined : await resolve(options.bRev);
    const [old, now] = await Promise.all([valuesAt(reader, a, !!options.paramDeps), valuesAt(reader, b, !!options.paramDeps)]);
    const diff: ExpDiff = {
      metrics: diffResults(old.metrics, now.metrics, !!options.all),
      params: diffResults(old.params, now.params, !!options.all),
    };
    if (b) {
      const records = await readEnvironmentNotes(reader, [a, b], options.warn);
      const [recordA, recordB] = [records.get(a), records.get(b)];
      if (recordA && recordB) diff.environment = diffEnvironments(recordA, recordB);
    }
    return diff;
  });
}

/** A revision's params and metrics files (`commit` undefined: the workspace); none when the revision cannot be read, as dvc's diff of a failed state. */
async function valuesAt(reader: RevisionReader, commit: string | undefined, paramDeps: boolean): Promise<{ params: Record<string, FileResult>; metrics: Record<string, FileResult> }> {
  const source = reader.source(commit ? { name: commit, commit } : { name: 'workspace' });
  const [params, metrics] = await Promise.all([
    readKindAt('params', source, paramDeps ? stageParamDeclarations : undefined, reader.cache),
    readKindAt('metrics', source, undefined, reader.cache),
  ]);
  if (params.error || metrics.error) return { params: {}, metrics: {} };
  return { params: params.data, metrics: metrics.data };
}

/**
 * The revision's declarations with only the params stages depend on (dvc's `deps_only`): no
 * top-level `params:` entries, no `params.yaml` unless a stage reads it. A key-less entry is the whole file.
 */
async function stageParamDeclarations(source: RevisionSource): Promise<Declarations> {
  const all = await declarationsFor(source);
  const params = new Map<string, string[]>();
  const whole = new Set<string>();
  for (const stage of (await revisionPipelines(source)).stages) {
    for (const p of stage.params) {
      const keys = params.get(p.repoPath) ?? [];
      if (!p.keys?.length) whole.add(p.repoPath);
      else for (const k of p.keys) if (!keys.includes(k)) keys.push(k);
      params.set(p.repoPath, keys);
    }
  }
  for (const file of whole) params.set(file, []);
  return { ...all, params };
}
