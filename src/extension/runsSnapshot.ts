import type { Repo } from '../core/repo/repo';
import { readRuns, FlatFile } from '../core/metrics/runs';
import { withReader } from '../core/metrics/show';
import { WORKSPACE_REV } from '../core/metrics/revisions';
import type { MetricsPayload, RunInfo, Value } from '../../webview/messages';

/**
 * The runs of a repository with their params and metrics: the workspace, the last commits of
 * the current branch and DVC experiments (refs/exps). Computed in the core worker; the Runs
 * view and the metrics panel show it. No vscode import: plain data.
 */
export type RunsSnapshot = Omit<MetricsPayload, 'selected' | 'directions' | 'plots' | 'plotErrors'>;

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

export async function runsSnapshot(repo: Repo, options: { historyLimit: number; extraRevs: string[]; signal?: AbortSignal }): Promise<RunsSnapshot> {
  const commits = repo.scm ? (await repo.scm.recentCommits(options.historyLimit)).reverse() : [];
  const experiments = repo.scm ? await withReader(repo, {}, (reader) => reader.experimentRefs()) : [];
  const runs: RunInfo[] = [
    ...commits.map((c): RunInfo => ({ id: c.hash, label: c.hash.slice(0, 7), detail: `${c.subject} — ${c.author}, ${c.date}`, kind: 'commit' })),
    ...experiments.map(({ ref }): RunInfo => {
      const [, , prefix, rest, name] = ref.split('/');
      return { id: ref, label: name, detail: `experiment on ${(prefix + rest).slice(0, 7)}`, kind: 'experiment' };
    }),
    { id: WORKSPACE_REV, label: 'workspace', detail: 'the files as they are now', kind: 'workspace' },
  ];
  for (const rev of options.extraRevs) if (!runs.some((r) => r.id === rev)) runs.push({ id: rev, label: rev.length === 40 ? rev.slice(0, 7) : rev, kind: 'commit' });

  const values = await readRuns(repo, runs.map((r) => r.id), { signal: options.signal });
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
  return { runs, metrics, params, metricKeys: [...metricKeys].sort(), paramKeys: [...paramKeys].sort(), history: [...commits.map((c) => c.hash), WORKSPACE_REV] };
}
