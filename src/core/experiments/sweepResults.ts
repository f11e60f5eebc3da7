import type { Repo } from '../repo/repo';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import type { RevisionReader } from '../metrics/revisions';
import { withReader } from '../metrics/show';
import { flatten, isDict } from '../metrics/flatten';
import type { FileResult } from '../metrics/results';
import { ExpRevisions } from './revisionData';
import type { WandbSweep } from './wandbSweep';

/**
 * What a sweep's finished runs measured: each experiment's metrics read as `exp show` reads them
 * (`ExpRevisions`: the metrics files its commit's dvc.yaml declares, cached outputs from the
 * cache), the sweep's `metric` found in them, and the best run by its goal.
 */

/** A metric's value in one experiment, and the file it came from. */
export interface MetricValue {
  file: string;
  key: string;
  value: number;
}

/** The metrics files of each experiment commit, by commit. A commit that cannot be read has none. */
export async function experimentMetrics(repo: Repo, revs: readonly string[]): Promise<Map<string, Record<string, FileResult>>> {
  return withReader(repo, {}, async (reader) => {
    const revisions = new ExpRevisions(reader as RevisionReader & { objects: GitObjectReader });
    const found = new Map<string, Record<string, FileResult>>();
    for (const rev of revs) {
      const state = await revisions.state(rev);
      found.set(rev, state.data?.metrics ?? {});
    }
    return found;
  });
}

/**
 * The sweep metric's value in one experiment's metrics: `name` is a flattened key (`acc`,
 * `nested.f1`, DVCLive's `train/loss`) looked up in each metrics file in turn, or
 * `<file>:<key>` for one file. Undefined when no file holds it as a number.
 */
export function metricValue(metrics: Record<string, FileResult>, name: string): MetricValue | undefined {
  for (const [file, result] of Object.entries(metrics)) {
    if (!isDict(result.data)) continue;
    const key = name.startsWith(`${file}:`) ? name.slice(file.length + 1) : name;
    if (key === name && Object.keys(metrics).some((f) => name.startsWith(`${f}:`))) continue; // meant for another file
    const value = flatten(result.data)[key];
    if (typeof value === 'number' && Number.isFinite(value)) return { file, key, value };
  }
  return undefined;
}

/** Every name `metricValue` finds a number under: the flattened keys, and `<file>:<key>`. */
export function metricNames(metrics: Record<string, FileResult>): string[] {
  return Object.entries(metrics).flatMap(([file, result]) =>
    isDict(result.data) ? Object.entries(flatten(result.data)).filter(([, v]) => typeof v === 'number').flatMap(([key]) => [key, `${file}:${key}`]) : [],
  );
}

/** The best of the runs that have a value, by the sweep's goal; the first of equals. Undefined without a metric or values. */
export function bestRun<T extends { metric?: MetricValue }>(sweep: Pick<WandbSweep, 'metric'>, runs: readonly T[]): T | undefined {
  if (!sweep.metric) return undefined;
  const better = sweep.metric.goal === 'maximize' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  let best: T | undefined;
  for (const run of runs) {
    if (run.metric && (!best || better(run.metric.value, best.metric!.value))) best = run;
  }
  return best;
}
