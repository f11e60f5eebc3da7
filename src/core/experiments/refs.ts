import type { RevisionReader } from '../metrics/revisions';

/** An experiment ref as dvc writes it: `refs/exps/<baseline[0:2]>/<baseline[2:]>/<name>`. */
export interface ExperimentRef {
  ref: string;
  /** The commit the ref points at (as git says; it may be no commit in a hostile repository). */
  sha: string;
  baseline: string;
  name: string;
}

/** Namespaces under refs/exps that hold dvc's own state, not experiments (dvc: experiments/refs.py). */
const NOT_EXPERIMENTS = new Set(['apply', 'celery', 'exec', 'temp']);

/** An experiment ref's parts, or undefined for any other ref (dvc's stashes, exec refs, odd names). */
export function parseExperimentRef(ref: string, sha: string): ExperimentRef | undefined {
  const parts = ref.split('/');
  if (parts.length !== 5 || parts[0] !== 'refs' || parts[1] !== 'exps' || NOT_EXPERIMENTS.has(parts[2])) return undefined;
  return { ref, sha, baseline: parts[2] + parts[3], name: parts[4] };
}

/** The repository's experiments grouped by baseline sha, in ref-name order. */
export async function experimentRefsByBaseline(reader: RevisionReader): Promise<Map<string, ExperimentRef[]>> {
  const byBaseline = new Map<string, ExperimentRef[]>();
  for (const { ref, sha } of await reader.experimentRefs()) {
    const parsed = parseExperimentRef(ref, sha);
    if (!parsed) continue;
    const list = byBaseline.get(parsed.baseline) ?? [];
    list.push(parsed);
    byBaseline.set(parsed.baseline, list);
  }
  return byBaseline;
}
