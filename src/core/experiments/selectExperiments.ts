import { resolveNames, unresolvedNames } from './resolve';
import type { RevisionReader } from '../metrics/revisions';
import type { ExperimentRef } from './refs';
import { selectBaselines } from './show';

/** Which experiments a command works on, as dvc's `exp push/pull` choose them. */
export interface ExperimentSelection {
  /** Experiment names or full `refs/exps/...` refs. */
  names?: string[];
  /** `-A`: every experiment. */
  allCommits?: boolean;
  /** `--rev`: experiments of these baselines (default HEAD). */
  revs?: string[];
  /** `-n`: and of the N-1 first-parent commits before each (negative: all). */
  num?: number;
}

/**
 * The experiments of `candidates` a selection names: the local ones (`exp push`'s rule: -A adds
 * every experiment to the named ones, or to those of --rev), or those of a git remote (`exp
 * pull`'s: -A, else the names, else the experiments of --rev). Baselines are resolved locally.
 */
export async function selectExperiments(
  reader: RevisionReader,
  gitRoot: string,
  candidates: ExperimentRef[],
  selection: ExperimentSelection,
  gitRemote?: string,
): Promise<ExperimentRef[]> {
  const chosen = new Set<ExperimentRef>();
  if (selection.allCommits) {
    candidates.forEach((r) => chosen.add(r));
    if (gitRemote !== undefined) return candidates;
  }
  if (selection.names?.length) {
    const head = await reader.resolve('HEAD');
    resolveExperimentNames(candidates, selection.names, head, gitRemote).forEach((r) => chosen.add(r));
  } else {
    const baselines = new Set(await selectBaselines(reader, gitRoot, { revs: selection.revs?.length ? selection.revs : ['HEAD'], num: selection.num }));
    candidates.filter((r) => baselines.has(r.baseline)).forEach((r) => chosen.add(r));
  }
  return candidates.filter((r) => chosen.has(r));
}

/**
 * dvc's `resolve_name`: each name to the one experiment of that name (a full `refs/exps/...` ref
 * names itself); of several with one name, the one whose baseline is HEAD, else the name is
 * ambiguous. Names that match nothing fail together, with a "did you mean" for the first
 * (`gitRemote`: the candidates are that remote's).
 */
export function resolveExperimentNames(candidates: ExperimentRef[], names: string[], head: string | undefined, gitRemote?: string): ExperimentRef[] {
  const resolved = resolveNames(names, candidates, head);
  const unresolved = names.filter((n) => !resolved.get(n));
  if (unresolved.length) throw unresolvedNames(unresolved, candidates.map((r) => r.name), { gitRemote });
  return names.map((n) => resolved.get(n)!);
}
