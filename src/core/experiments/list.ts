import type { Repo } from '../repo/repo';
import { gitWriter } from '../scm/gitWrites';
import { withReader } from '../metrics/show';
import { describe, selectBaselines } from './show';
import { experimentRefsByBaseline } from './refs';
import { byBaseline, gitRemoteArgument, remoteExperimentRefs } from './gitRemote';

export interface ExpListOptions {
  /** Baselines whose experiments are listed (default HEAD); ignored with `allCommits`. */
  revs?: string[];
  /** Commits from each of `revs`, first parents back (default 1; negative: all). */
  num?: number;
  /** Every baseline's experiments. */
  allCommits?: boolean;
  /** List the experiments a git remote (a name or URL) holds instead of the local ones. */
  gitRemote?: string;
  /** Where a git remote given as a relative folder is found (default: the repository's root). */
  cwd?: string;
}

export interface ListedBaseline {
  baseline: string;
  /** A branch or tag naming the baseline, as `exp show` names it (undefined when none or not asked). */
  label?: string;
  /** `rev` is undefined for a remote's experiments (their commits may not be here). */
  experiments: { name: string; rev?: string }[];
}

/**
 * `exp list`: the experiments of the chosen baselines, by baseline, as dvc lists them; from the
 * local refs or, for a git remote, from `git ls-remote` (nothing fetched).
 */
export async function expList(repo: Repo, options: ExpListOptions & { withLabels?: boolean } = {}): Promise<ListedBaseline[]> {
  return withReader(repo, {}, async (reader) => {
    if (!reader.gitRoot || !(await reader.hasCommits())) return [];
    const gitRoot = reader.gitRoot;
    const baselines = options.allCommits ? undefined : new Set(await selectBaselines(reader, gitRoot, { revs: options.revs?.length ? options.revs : ['HEAD'], num: options.num }));
    const refs = options.gitRemote === undefined ? await experimentRefsByBaseline(reader) : await remoteRefs(gitRoot, options.gitRemote, options.cwd ?? repo.root);
    const listed: ListedBaseline[] = [];
    for (const [baseline, list] of refs) {
      if (baselines && !baselines.has(baseline)) continue;
      const local = options.gitRemote === undefined;
      listed.push({ baseline, experiments: list.map((r) => ({ name: r.name, rev: local ? r.sha : undefined })) });
    }
    if (options.withLabels) {
      const labels = await describe(reader, listed.map((l) => l.baseline));
      for (const l of listed) l.label = labels.get(l.baseline);
    }
    return listed;
  });
}

/** The experiment refs a git remote holds, by baseline (through `git ls-remote`, which may ask no password). */
async function remoteRefs(gitRoot: string, remote: string, cwd: string) {
  const remoteArg = await gitRemoteArgument(gitRoot, remote, cwd);
  return byBaseline((await remoteExperimentRefs(gitWriter(gitRoot, { what: 'git ls-remote' }), remoteArg)).refs);
}
