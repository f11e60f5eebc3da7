import type { Repo } from '../core/repo/repo';
import { readRuns, FlatFile } from '../core/metrics/runs';
import { withReader } from '../core/metrics/show';
import { RevisionReader, WORKSPACE_REV } from '../core/metrics/revisions';
import type { MetricsPayload, RunInfo, Value } from '../../webview/messages';
import { queueStates } from '../core/experiments/runQueue';

/**
 * The runs of a repository with their params and metrics: the workspace, the last commits of
 * the current branch, chosen other branches and DVC experiments (refs/exps). Computed in the core worker; the Runs
 * view and the metrics panel show it. No vscode import: plain data.
 */
export type RunsSnapshot = Omit<MetricsPayload, 'selected' | 'directions' | 'plots' | 'plotImages' | 'plotErrors'> & {
  /** Local branches, to choose from for the Runs view. */
  branches: string[];
  /** Runs of Cairn's queue not finished well (queued, running, failed): no values of their own yet, shown under their baseline. */
  queueRuns: QueueRun[];
};

export interface QueueRun {
  /** The queue task id. */
  id: string;
  label: string;
  baseline: string;
  state: 'queued' | 'running' | 'failed';
}

function flat(files: Record<string, FlatFile>, keys: Set<string>): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const [file, f] of Object.entries(files)) {
    for (const [key, value] of Object.entries(f.values ?? {})) {
      const name = `${file}:${key}`;
      keys.add(name);
      values[name] = typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || value === null ? value : JSON.stringify(value);
    }
  }
  return values;
}

/** `branches`: other branches whose tips are shown too (those whose tip is on the current branch are left out). */
export function runsSnapshot(repo: Repo, options: { historyLimit: number; branches: string[]; signal?: AbortSignal }): Promise<RunsSnapshot> {
  // One reader (one `git cat-file --batch`) for the experiment refs and every revision's files.
  return withReader(repo, {}, (reader) => readSnapshot(repo, reader, options));
}

async function readSnapshot(repo: Repo, reader: RevisionReader, options: { historyLimit: number; branches: string[]; signal?: AbortSignal }): Promise<RunsSnapshot> {
  const commits = repo.scm ? (await repo.scm.recentCommits(options.historyLimit)).reverse() : [];
  const experiments = repo.scm ? await reader.experimentRefs() : [];
  let runs: RunInfo[] = [
    ...commits.map((c): RunInfo => ({ id: c.hash, label: c.hash.slice(0, 7), detail: `${c.subject} — ${c.author}, ${c.date}`, kind: 'commit' })),
    ...experiments.map(({ ref }): RunInfo => {
      const [, , prefix, rest, name] = ref.split('/');
      return { id: ref, label: name, detail: `experiment on ${(prefix + rest).slice(0, 7)}`, kind: 'experiment', baseline: prefix + rest };
    }),
    { id: WORKSPACE_REV, label: 'workspace', detail: 'the files as they are now', kind: 'workspace' },
  ];
  const branches = repo.scm ? await repo.scm.branches() : [];
  for (const branch of options.branches) if (branches.includes(branch)) runs.push({ id: branch, label: branch, detail: `tip of branch ${branch}`, kind: 'branch' });

  let values = await readRuns(repo, runs.map((r) => r.id), { signal: options.signal, reader });
  const onBranch = new Set(commits.map((c) => c.hash));
  const keep = values.map((v, i) => runs[i].kind !== 'branch' || !v.commit || !onBranch.has(v.commit));
  runs = runs.filter((_, i) => keep[i]);
  values = values.filter((_, i) => keep[i]);
  const metricKeys = new Set<string>();
  const paramKeys = new Set<string>();
  const metrics: MetricsPayload['metrics'] = {};
  const params: MetricsPayload['params'] = {};
  values.forEach((v, i) => {
    const run = runs[i];
    metrics[run.id] = flat(v.metrics, metricKeys);
    params[run.id] = flat(v.params, paramKeys);
    if (v.error) run.error = v.error.msg;
  });
  const queueRuns = (await queueStates(repo))
    .filter((s): s is typeof s & { status: QueueRun['state'] } => s.status !== 'success')
    .map((s) => ({ id: s.entry.id, label: s.entry.name, baseline: s.entry.baseline, state: s.status }));
  return { runs, metrics, params, metricKeys: [...metricKeys].sort(), paramKeys: [...paramKeys].sort(), history: [...commits.map((c) => c.hash), WORKSPACE_REV], branches, queueRuns };
}
