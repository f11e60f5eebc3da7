import { expRun } from '../core/experiments/run';
import { expSave } from '../core/experiments/save';
import { enqueue } from '../core/experiments/runQueue';
import { Command, out, printJson, withRepo } from './command';
import { JOBS } from './dataCommands';

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
    'copy-paths': { type: 'string', short: 'C', multiple: true, value: '<path>', help: 'With --temp: an untracked file or folder to copy into the temporary tree; may repeat.' },
    force: { type: 'boolean', short: 'f', help: 'Run every stage, changed or not, and replace an experiment of the same name.' },
    'no-run-cache': { type: 'boolean', help: "Run every changed stage's command, even when the run cache has its outputs." },
    downstream: { type: 'boolean', help: 'Run the targets and the stages that depend on them, not what they depend on.' },
    'single-item': { type: 'boolean', short: 's', help: 'Run only the targets, not the stages they depend on.' },
    'all-pipelines': { type: 'boolean', short: 'P', help: 'Run every stage of every dvc.yaml in the repository.' },
    jobs: JOBS,
  },
  async run({ values, positionals, signal }) {
    return withRepo(async (repo) => {
      const quiet = values.quiet || values.json;
      if (values.queue) {
        const entry = await enqueue(repo, { cwd: process.cwd(), setParams: values['set-param'], targets: positionals, name: values.name, message: values.message, force: values.force, runCache: !values['no-run-cache'] });
        if (values.json) printJson({ id: entry.id, name: entry.name });
        else if (!values.quiet) out(`Queued experiment '${entry.name}' for future execution.`);
        return 0;
      }
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
        signal,
      });
      if (values.json) printJson(result);
      else if (!values.quiet) {
        out(`\nRan experiment(s): ${result.name}`);
        out(result.temp ? 'To apply the results of an experiment to your workspace run:\n\n\tcairn exp apply <exp>' : 'Experiment results have been applied to your workspace.');
      }
      return 0;
    }, values.jobs);
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
