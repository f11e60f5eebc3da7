import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { CairnError } from '../core/errors';
import type { Repo } from '../core/repo/repo';
import { assertValidExpName } from '../core/experiments/names';
import { enqueueRuns, QueueEntryState, SWEEP_ASK_ABOVE } from '../core/experiments/runQueue';
import { startWorkers } from '../core/experiments/queueWorker';
import { readQueueLogs } from '../core/experiments/queueLogs';
import { readWandbSweep, WandbSweep } from '../core/experiments/wandbSweep';
import { wandbSweepRuns } from '../core/experiments/wandbSweepRuns';
import { bestRun, experimentMetrics, metricNames, MetricValue, metricValue } from '../core/experiments/sweepResults';
import { nearestName } from '../core/nearestName';
import { pyNumber } from '../core/metrics/flatten';
import { Command, out, printJson, withRepo } from './command';
import { confirmSweep } from './expRunCommands';
import { selfCommand } from './queueCommands';

/** One run of the sweep as the command reports it. */
interface SweepRunReport {
  id: string;
  name: string;
  /** The swept keys and their values, as `-S` sets them. */
  setParams: string[];
  status: QueueEntryState['status'];
  rev: string | null;
  metric?: MetricValue;
  error: string | null;
}

/** `exp sweep sweep.yaml`: a W&B sweep file's runs queued, run by detached workers and followed, the best reported. */
export const sweepCommand: Command = {
  summary: "Queue and run the runs of a W&B sweep file (grid or random), then report the best by the file's metric",
  args: [{ name: '<sweep_file>', help: 'A W&B sweep file (YAML): method grid|random, parameters named by params keys (`train.lr`, `file.yaml:key`, `+new.key`), metric, run_cap.' }],
  options: {
    name: { type: 'string', short: 'n', value: '<prefix>', help: "Name the runs <prefix>-1, <prefix>-2, ... (default: the file's `name:`, else the file's base name)." },
    seed: { type: 'string', value: '<number>', help: "Seed of a random sweep's draws, 0 to 4294967295: the same seed queues the same runs (default: a new seed, printed)." },
    jobs: { type: 'string', short: 'j', value: '<number>', help: 'How many runs at a time (workers; default 1).' },
    queue: { type: 'boolean', help: 'Only queue the runs; start them later with `cairn queue start -j N` or `cairn exp run --run-all -j N`.' },
    yes: { type: 'boolean', short: 'y', help: `Queue a sweep of more than ${SWEEP_ASK_ABOVE} runs without asking.` },
  },
  async run({ values, positionals, signal }) {
    if (positionals.length !== 1) throw new CairnError('USAGE', `cairn exp sweep takes one sweep file, got ${positionals.length} arguments.`, { hint: 'cairn exp sweep sweep.yaml' });
    const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new CairnError('USAGE', `--jobs must be a whole number of at least 1, not '${values.jobs}'.`);
    if (values.jobs !== undefined && values.queue) throw new CairnError('USAGE', '--jobs is how many runs go at a time, and --queue runs none.', { hint: 'Start the queued runs with `cairn queue start -j N`.' });
    const seedGiven = values.seed === undefined ? undefined : Number(values.seed);
    if (seedGiven !== undefined && !(/^\d+$/.test(values.seed) && seedGiven <= 0xffffffff)) throw new CairnError('USAGE', `--seed must be a whole number from 0 to 4294967295, not '${values.seed}'.`);
    const file = positionals[0];
    return withRepo(async (repo) => {
      const sweep = await readWandbSweep(path.resolve(process.cwd(), file), file);
      if (seedGiven !== undefined && sweep.method === 'grid') throw new CairnError('USAGE', `--seed is for random sweeps; '${file}' is a grid, whose runs are always the same.`);
      const prefix = await runPrefix(repo, values.name, sweep);
      const seed = seedGiven ?? randomInt(2 ** 32);
      const plans = wandbSweepRuns(sweep, { seed });
      const show = !values.quiet && !values.json;
      if (!values.quiet) for (const note of sweep.notes) process.stderr.write(`WARNING: ${note}\n`);
      if (!values.quiet && sweep.metric) await checkMetricName(repo, sweep);
      if (show && sweep.method === 'random' && seedGiven === undefined) out(`Drew seed ${seed}: \`--seed ${seed}\` queues these runs again.`);
      const entries = await enqueueRuns(
        repo,
        plans.map((p, i) => ({ setParams: p.setParams, name: `${prefix}-${i + 1}` })),
        { cwd: process.cwd(), targets: [], runCache: true, confirm: values.yes ? undefined : confirmSweep },
      );
      const reports = new Map<string, SweepRunReport>(entries.map((e) => [e.id, { id: e.id, name: e.name, setParams: e.setParams, status: 'queued', rev: null, error: null }]));
      const summary = () => ({ file, method: sweep.method, seed: sweep.method === 'random' ? seed : null, metric: sweep.metric ?? null, runs: [...reports.values()].map(jsonRun), best: bestOf(sweep, reports) });
      if (values.queue) {
        if (values.json) printJson(summary());
        else if (show) {
          for (const r of reports.values()) out(`Queued '${r.name}': ${shownParams(r.setParams)}`);
          out(`Start them with \`cairn queue start -j N\` (detached workers), or \`cairn exp run --run-all -j N\` to follow them.`);
        }
        return 0;
      }
      await startWorkers(repo, jobs, selfCommand());
      const width = Math.max(...entries.map((e) => e.name.length));
      if (show) out(`Running ${entries.length} run${entries.length === 1 ? '' : 's'} of ${file} with ${jobs} worker${jobs === 1 ? '' : 's'}. Ctrl-C stops following (the runs go on).`);
      await readQueueLogs(repo, entries.map((e) => e.id), {
        follow: true,
        signal,
        onEnd: async (state) => {
          const report = reports.get(state.entry.id)!;
          report.status = state.status;
          report.rev = state.result?.rev ?? null;
          report.error = state.error ?? null;
          if (state.result && sweep.metric) report.metric = metricValue((await experimentMetrics(repo, [state.result.rev])).get(state.result.rev) ?? {}, sweep.metric.name);
          if (show) out(runLine(report, width, sweep));
        },
      });
      if (signal.aborted) {
        process.stderr.write("The sweep's runs go on in the background: `cairn queue status` shows them, `cairn queue stop --kill` stops them.\n");
        return 130;
      }
      const failed = [...reports.values()].filter((r) => r.status === 'failed');
      const best = bestOf(sweep, reports);
      if (values.json) printJson(summary());
      else if (show && sweep.metric) {
        out(best ? `\nBest run by ${sweep.metric.name} (${sweep.metric.goal}): ${best.name}, ${sweep.metric.name}=${pyNumber(best.metric.value)}, ${best.params.join(' ')}` : `\nNo run recorded the metric '${sweep.metric.name}'.`);
      }
      if (failed.length) process.stderr.write(`ERROR: ${failed.length} of ${reports.size} runs failed (${failed.map((r) => `'${r.name}'`).join(', ')}): \`cairn queue logs <name>\` shows why.\n`);
      return failed.length ? 1 : 0;
    });
  },
};

/** The runs' name prefix: -n, else the file's `name:`, else its base name; a valid experiment name. */
async function runPrefix(repo: Repo, given: string | undefined, sweep: WandbSweep): Promise<string> {
  const [prefix, from] = given !== undefined ? [given, '-n'] : sweep.name !== undefined ? [sweep.name, `the name: in ${sweep.file}`] : [path.basename(sweep.file).replace(/\.[^.]*$/, ''), `the base name of ${sweep.file}`];
  try {
    await assertValidExpName(repo.root, `${prefix}-1`);
  } catch {
    throw new CairnError('USAGE', `'${prefix}' (${from}) cannot prefix experiment names: a name is one git ref component (no '/', spaces, '..', '~^:?*[\\', nor a leading '-' or '.').`, { hint: 'Give a prefix with -n, e.g. -n lr-sweep.' });
  }
  return prefix;
}

/** A metric HEAD's metrics lack is said before the runs (a typo would otherwise show only at the end); the sweep goes on. */
async function checkMetricName(repo: Repo, sweep: WandbSweep): Promise<void> {
  const name = sweep.metric!.name;
  const head = repo.scm ? await repo.scm.revParse('HEAD').catch(() => '') : '';
  if (!head) return;
  const metrics = (await experimentMetrics(repo, [head])).get(head) ?? {};
  if (metricValue(metrics, name)) return;
  const near = nearestName(name, metricNames(metrics));
  process.stderr.write(`WARNING: ${sweep.file}: metric '${name}' is not among HEAD's metrics${near ? ` (did you mean '${near}'?)` : ''}; runs that write it are compared.\n`);
}

const shownParams = (setParams: string[]) => setParams.join(' ');

function runLine(report: SweepRunReport, width: number, sweep: WandbSweep): string {
  const metric = sweep.metric ? `  ${sweep.metric.name}=${report.metric ? pyNumber(report.metric.value) : '-'}` : '';
  const outcome = report.status === 'success' ? 'success' : `failed: ${report.error ?? 'see `cairn queue logs`'}`;
  return `${report.name.padEnd(width)}  ${shownParams(report.setParams)}${metric}  ${outcome}`;
}

function bestOf(sweep: WandbSweep, reports: Map<string, SweepRunReport>): { name: string; metric: MetricValue; params: string[] } | null {
  const best = bestRun(sweep, [...reports.values()].filter((r) => r.status === 'success'));
  return best?.metric ? { name: best.name, metric: best.metric, params: best.setParams } : null;
}

function jsonRun(r: SweepRunReport) {
  return { id: r.id, name: r.name, params: r.setParams, status: r.status, rev: r.rev, metric: r.metric ?? null, error: r.error };
}
