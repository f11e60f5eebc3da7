import { expRun } from '../core/experiments/run';
import type { ExpRunEvent } from '../core/experiments/runEvents';
import { expSave } from '../core/experiments/save';
import { enqueue, queueStates, SWEEP_ASK_ABOVE } from '../core/experiments/runQueue';
import { readQueueLogs } from '../core/experiments/queueLogs';
import { startWorkers } from '../core/experiments/queueWorker';
import { parseSetParams } from '../core/experiments/setParams';
import { CairnError } from '../core/errors';
import type { Repo } from '../core/repo/repo';
import { Command, confirmOnTty, out, printJson, withRepo } from './command';
import { selfCommand } from './queueCommands';

const warn = (line: string) => process.stderr.write(`WARNING: ${line}\n`);

/** `exp run`: reproduce with changed params and record the result as an experiment, as `dvc exp run`. */
export const runCommand: Command = {
  summary: 'Run the pipeline with changed params and record the result as an experiment',
  args: [{ name: '[targets...]', help: 'Stages or dvc.yaml files to reproduce (default: the dvc.yaml of the current folder).' }],
  options: {
    'set-param': { type: 'string', short: 'S', multiple: true, value: '[<file>:]<key>=<value>', help: 'Use this param value (Hydra override: key=v, +key=v adds, ~key deletes); may repeat.' },
    name: { type: 'string', short: 'n', value: '<name>', help: 'The experiment name (default: a random adjective-noun).' },
    message: { type: 'string', short: 'm', value: '<text>', help: 'The experiment commit message.' },
    temp: { type: 'boolean', help: 'Run in a temporary tree under .dvc/tmp/exps; the workspace is left as it is.' },
    queue: { type: 'boolean', help: 'Queue the run for `cairn queue start` workers instead of running it now.' },
    'copy-paths': { type: 'string', short: 'C', multiple: true, value: '<path>', help: 'With --temp or --queue: an untracked file or folder to copy into the temporary tree (when it runs); may repeat.' },
    force: { type: 'boolean', short: 'f', help: 'Run every stage, changed or not, and replace an experiment of the same name.' },
    'no-run-cache': { type: 'boolean', help: "Run every changed stage's command, even when the run cache has its outputs." },
    downstream: { type: 'boolean', help: 'Run the targets and the stages that depend on them, not what they depend on.' },
    'single-item': { type: 'boolean', short: 's', help: 'Run only the targets, not the stages they depend on.' },
    'all-pipelines': { type: 'boolean', short: 'P', help: 'Run every stage of every dvc.yaml in the repository.' },
    'run-all': { type: 'boolean', help: 'Run every queued experiment with detached workers and follow their logs until they end (Ctrl-C stops following; the runs go on).' },
    jobs: { type: 'string', short: 'j', value: '<number>', help: 'With --run-all: how many experiments run at a time (workers; default 1).' },
    yes: { type: 'boolean', short: 'y', help: `Queue a sweep of more than ${SWEEP_ASK_ABOVE} runs without asking.` },
  },
  async run({ values, positionals, signal }) {
    const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new CairnError('USAGE', `--jobs must be a whole number of at least 1, not '${values.jobs}'.`);
    if (values.jobs !== undefined && !values['run-all']) throw new CairnError('USAGE', '--jobs is how many queued experiments run at a time: use it with --run-all.', { hint: 'cairn exp run --run-all -j 2' });
    return withRepo(async (repo) => {
      const quiet = values.quiet || values.json;
      if (values.queue) {
        const entries = await enqueue(repo, {
          cwd: process.cwd(),
          setParams: values['set-param'],
          targets: positionals,
          name: values.name,
          message: values.message,
          force: values.force,
          runCache: !values['no-run-cache'],
          copyPaths: values['copy-paths'],
          downstream: values.downstream,
          singleItem: values['single-item'],
          allPipelines: values['all-pipelines'],
          confirm: values.yes ? undefined : confirmSweep,
        });
        if (values.json && !values['run-all']) printJson(entries.map((e) => ({ id: e.id, name: e.name, setParams: e.setParams })));
        else if (!values.quiet) {
          for (const entry of entries) {
            if (entry.setParams.length) out(`Queueing with overrides '${overridesText(entry.setParams)}'.`);
            out(`Queued experiment '${entry.name}' for future execution.`);
          }
        }
        if (!values['run-all']) return 0;
      }
      if (values['run-all']) return runAll(repo, jobs, { json: !!values.json, quiet: !!values.quiet, signal });
      // Started with an IPC channel (the extension's Run): where the run is, as data, for its progress.
      const tell = process.send ? (event: ExpRunEvent) => void process.send!(event) : undefined;
      const result = await expRun(repo, {
        cwd: process.cwd(),
        targets: positionals,
        setParams: values['set-param'],
        name: values.name,
        message: values.message,
        temp: values.temp,
        copyPaths: values['copy-paths'],
        force: values.force,
        runCache: !values['no-run-cache'],
        downstream: values.downstream,
        singleItem: values['single-item'],
        allPipelines: values['all-pipelines'],
        commandStdoutToStderr: !!values.json,
        log: quiet ? undefined : out,
        warn,
        onPhase: tell && ((phase, name) => tell({ type: 'phase', phase, name })),
        onStageStart: tell && ((stage) => tell({ type: 'stage', stage })),
        signal,
      });
      if (values.json) printJson(result);
      else if (!values.quiet) {
        out(`\nRan experiment(s): ${result.name}`);
        out(result.temp ? 'To apply the results of an experiment to your workspace run:\n\n\tcairn exp apply <exp>' : 'Experiment results have been applied to your workspace.');
      }
      return 0;
    });
  },
};

/** `exp save`: the workspace as an experiment, nothing run (DVCLive's `save_dvc_exp`). */
export const saveCommand: Command = {
  summary: 'Save the workspace as an experiment of HEAD, without running anything',
  options: {
    name: { type: 'string', short: 'n', value: '<name>', help: 'The experiment name (default: a random adjective-noun).' },
    message: { type: 'string', short: 'm', value: '<text>', help: 'The experiment commit message.' },
    force: { type: 'boolean', short: 'f', help: 'Replace an experiment of the same name.' },
    'include-untracked': { type: 'string', short: 'I', multiple: true, value: '<path>', help: 'An untracked file or folder to include; may repeat.' },
  },
  async run({ values, signal }) {
    return withRepo(async (repo) => {
      const result = await expSave(repo, { cwd: process.cwd(), name: values.name, message: values.message, force: values.force, includeUntracked: values['include-untracked'], warn, signal });
      if (values.json) printJson({ ref: result.rev, name: result.name });
      else if (!values.quiet) out(`Experiment has been saved as: ${result.name}`);
      return 0;
    });
  },
};

/** A sweep of many runs is queued after a yes; off a terminal only with --yes. */
export async function confirmSweep(runs: number): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CairnError('USAGE', `the sweep makes ${runs} runs; queuing more than ${SWEEP_ASK_ABOVE} needs a yes, and this is not a terminal: nothing queued.`, { hint: 'Add --yes to queue them without asking.' });
  }
  return confirmOnTty(`The sweep makes ${runs} runs. Queue them all?`);
}

/** dvc's way of showing a run's overrides: `{'params.yaml': ['train.lr=0.1']}`. */
function overridesText(setParams: string[]): string {
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `{${parseSetParams(setParams).map((g) => `${quote(g.file)}: [${g.overrides.map((o) => quote(o.input)).join(', ')}]`).join(', ')}}`;
}

/**
 * `exp run --run-all -j N`: start N workers on the queue and follow the logs of every queued and
 * running experiment until they end; each line is prefixed with its experiment's name when
 * several run. Ctrl-C stops following, not the runs. Fails when any of them failed.
 */
async function runAll(repo: Repo, jobs: number, options: { json: boolean; quiet: boolean; signal: AbortSignal }): Promise<number> {
  const pending = (await queueStates(repo)).filter((s) => s.status === 'queued' || s.status === 'running');
  if (!pending.length) {
    if (options.json) printJson([]);
    else if (!options.quiet) out('No queued experiments to run.');
    return 0;
  }
  await startWorkers(repo, jobs, selfCommand());
  const show = !options.json && !options.quiet;
  if (show) out('Following logs for all queued experiments. Use Ctrl+C to stop following logs (experiment execution will continue).\n');
  const prefixed = pending.length > 1;
  const final = await readQueueLogs(repo, pending.map((s) => s.entry.id), {
    follow: true,
    signal: options.signal,
    onText: (entry, text) => {
      if (!show) return;
      process.stdout.write(prefixed ? text.replace(/^(?=.)/gm, `${entry.name} | `) : text);
    },
  });
  if (options.signal.aborted) {
    process.stderr.write("Experiment(s) are still executing in the background. To abort execution use 'cairn queue kill' or 'cairn queue stop'.\n");
    return 130;
  }
  const failed = final.filter((s) => s.status === 'failed');
  const ran = final.filter((s) => s.status === 'success');
  if (options.json) printJson(final.map((s) => ({ id: s.entry.id, name: s.entry.name, status: s.status, rev: s.result?.rev ?? null, error: s.error ?? null })));
  if (failed.length) process.stderr.write(`ERROR: Failed to reproduce experiment(s) '${failed.map((s) => s.entry.name).join(', ')}': \`cairn queue logs <name>\` shows why.\n`);
  if (show && ran.length) out(`\nRan experiment(s): ${ran.map((s) => s.entry.name).join(', ')}`);
  return failed.length ? 1 : 0;
}
