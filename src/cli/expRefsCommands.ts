import { CairnError } from '../core/errors';
import { expApply, APPLY_STASH } from '../core/experiments/apply';
import { expBranch } from '../core/experiments/branch';
import { expRename } from '../core/experiments/rename';
import { expRemove } from '../core/experiments/remove';
import { expClean } from '../core/experiments/clean';
import { expDiff } from '../core/experiments/diff';
import { renderEnvironmentDiff } from '../core/experiments/environmentDiff';
import { formatG } from '../core/experiments/table';
import { parseNum } from '../core/experiments/show';
import type { DiffResult } from '../core/metrics/results';
import { pyStr } from '../core/metrics/flatten';
import { pyFloatRepr } from '../core/pipeline/values';
import { Command, markdownTable, out, printJson, withRepo } from './command';
import { checkoutFailure } from './dataCommands';
import { plainTable } from './metricsCommands';
import { ProgressBar } from './progressBar';

/** dvc's `humanize.join` of reprs: `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function joinNames(names: string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}` : (quoted[0] ?? '');
}

/** `exp apply`: the experiment's files and data into the workspace, nothing committed. */
export const expApplyCommand: Command = {
  summary: "Apply an experiment's files and data to the workspace (no commit; HEAD stays)",
  args: [{ name: '<experiment>', help: 'The experiment: a name, a full refs/exps ref, or a commit.' }],
  options: {
    force: { type: 'boolean', short: 'f', help: `Apply over uncommitted changes it would overwrite: they are saved to ${APPLY_STASH} first, as dvc saves them.` },
  },
  async run({ values, positionals, signal }) {
    if (positionals.length !== 1) throw new CairnError('USAGE', `cairn exp apply takes one experiment, got ${positionals.length}.`);
    const [experiment] = positionals;
    return withRepo(async (repo) => {
      const bar = new ProgressBar('Checking out');
      const result = await expApply(repo, experiment, { force: values.force, signal, onProgress: bar.update }).finally(() => bar.done());
      if (values.json) printJson(result);
      else if (!values.quiet) {
        if (!result.data.failed.length) out(`Changes for experiment '${experiment}' have been applied to your current workspace.`);
        if (result.stash) {
          out(`Your workspace as it was is saved in ${APPLY_STASH}. To bring it back run:\n\n\tgit reset --hard\n\tgit stash apply ${APPLY_STASH}\n\tcairn checkout --force\n`);
        }
      }
      if (result.notRestored.length) process.stderr.write(`WARNING: kept in ${APPLY_STASH} only (unsafe paths, not written): ${result.notRestored.join(', ')}\n`);
      if (result.data.failed.length) throw checkoutFailure(result.data.failed, 'Is your cache up to date? Fetch the data from a remote (cairn pull).');
      return 0;
    });
  },
};

/** `exp branch`: a git branch at an experiment's commit. */
export const expBranchCommand: Command = {
  summary: 'Make a git branch from an experiment',
  args: [
    { name: '<experiment>', help: 'The experiment to make a branch of.' },
    { name: '[branch]', help: "The new branch's name (default '<experiment>-branch')." },
  ],
  options: {},
  async run({ values, positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new CairnError('USAGE', `cairn exp branch takes an experiment and an optional branch name, got ${positionals.length} arguments.`);
    return withRepo(async (repo) => {
      const made = await expBranch(repo, positionals[0], positionals[1]);
      if (values.json) printJson(made);
      else if (!values.quiet) out(`Git branch '${made.branch}' has been created from experiment '${made.experiment}'.\nTo switch to the new branch run:\n\n\tgit checkout ${made.branch}`);
      return 0;
    });
  },
};

/** `exp rename`. */
export const expRenameCommand: Command = {
  summary: 'Rename an experiment',
  args: [
    { name: '<experiment>', help: 'The experiment to rename (a name or full refs/exps ref).' },
    { name: '<name>', help: 'Its new name.' },
  ],
  options: {
    force: { type: 'boolean', short: 'f', help: 'Replace an experiment of the same baseline that already has the new name.' },
  },
  async run({ values, positionals }) {
    if (positionals.length !== 2) throw new CairnError('USAGE', 'An experiment to rename and a new experiment name are required.');
    return withRepo(async (repo) => {
      const renamed = await expRename(repo, positionals[0], positionals[1], { force: values.force });
      if (values.json) printJson(renamed);
      else if (!values.quiet) out(renamed.length ? `Renamed experiments: ${joinNames(renamed)}` : 'No experiments to rename.');
      return 0;
    });
  },
};

/** `exp remove` (also `exp rm`, as dvc). */
export const expRemoveCommand: Command = {
  summary: 'Remove experiments (by name, by baseline, or all), here or on a git remote',
  args: [{ name: '[experiment...]', help: 'Experiments to remove, by name or full refs/exps ref.' }],
  options: {
    rev: { type: 'string', multiple: true, help: 'Remove the experiments of this baseline (a commit, branch or tag); may repeat.' },
    num: { type: 'string', short: 'n', help: 'With --rev: also the experiments of the N-1 commits before each.' },
    'all-commits': { type: 'boolean', short: 'A', help: 'Remove every experiment.' },
    keep: { type: 'boolean', help: 'Remove every experiment but the ones chosen.' },
    queue: { type: 'boolean', help: "Remove every experiment waiting in dvc's queue." },
    'git-remote': { type: 'string', short: 'g', value: '<git_remote>', help: 'Remove them from this git remote (name or URL) instead of here.' },
  },
  async run({ values, positionals }) {
    const selected = !!(values['all-commits'] || values.rev?.length || values.queue);
    if (selected === positionals.length > 0) throw new CairnError('USAGE', 'Either provide an `experiment` argument, or use the `--rev` or `--all-commits` or `--queue` flag.');
    if (values.queue && values['git-remote'] !== undefined) throw new CairnError('USAGE', '--queue and --git-remote cannot be used together.');
    return withRepo(async (repo) => {
      const removed = await expRemove(repo, {
        names: positionals,
        revs: values.rev,
        num: parseNum(values.num),
        allCommits: values['all-commits'],
        keep: values.keep,
        gitRemote: values['git-remote'],
        queue: values.queue,
      });
      if (values.json) printJson(removed);
      else if (!values.quiet) out(removed.length ? `Removed experiments: ${joinNames(removed)}` : 'No experiments to remove.');
      return 0;
    });
  },
};

/** `exp clean`. */
export const expCleanCommand: Command = {
  summary: "Clean up experiments' temporary internal files (dvc's queue messages left over)",
  options: {},
  async run({ values, positionals }) {
    if (positionals.length) throw new CairnError('USAGE', `cairn exp clean takes no arguments, got '${positionals[0]}'.`);
    return withRepo(async (repo) => {
      if (!values.json && !values.quiet) out('Cleaning up dvc-task messages...');
      const removed = await expClean(repo);
      if (values.json) printJson(removed);
      else if (!values.quiet) out('Done!');
      return 0;
    });
  },
};

const DEFAULT_PRECISION = 5;

/** `exp diff`: params and metrics of two revisions, as `dvc exp diff` prints them. */
export const expDiffCommand: Command = {
  summary: 'Show changes in params and metrics between two experiments or revisions (default HEAD and the workspace)',
  args: [
    { name: '[a_rev]', help: 'The old experiment or revision (default HEAD).' },
    { name: '[b_rev]', help: 'The new experiment or revision (default the workspace).' },
  ],
  options: {
    all: { type: 'boolean', help: 'Show unchanged metrics and params too.' },
    'param-deps': { type: 'boolean', help: 'Only params that are stage dependencies.' },
    md: { type: 'boolean', help: 'Print Markdown tables.' },
    'no-path': { type: 'boolean', help: 'Leave out the file column.' },
    precision: { type: 'string', value: '<n>', help: `Round metrics to n significant digits (default ${DEFAULT_PRECISION}).` },
  },
  async run({ values, positionals }) {
    if (positionals.length > 2) throw new CairnError('USAGE', `cairn exp diff takes at most two revisions, got ${positionals.length}.`);
    const precision = values.precision === undefined ? DEFAULT_PRECISION : Number(values.precision);
    if (!Number.isInteger(precision)) throw new CairnError('USAGE', `--precision must be a whole number, not '${values.precision}'.`);
    const [aRev, bRev] = positionals;
    return withRepo(async (repo) => {
      const warn = (line: string) => process.stderr.write(`WARNING: ${line}\n`);
      const diff = await expDiff(repo, { aRev, bRev, all: values.all, paramDeps: values['param-deps'], warn });
      if (values.json) printJson(diff ?? {});
      else if (diff) {
        const table = { aRev: aRev ?? 'HEAD', bRev: bRev ?? 'workspace', noPath: !!values['no-path'], markdown: !!values.md };
        printDiffTable(diff.metrics, 'Metric', { ...table, precision: precision || DEFAULT_PRECISION });
        out('');
        printDiffTable(diff.params, 'Param', { ...table, precision: undefined });
        if (diff.environment) out(`\nEnvironment (${table.aRev} -> ${table.bRev}):\n${renderEnvironmentDiff(diff.environment).trimEnd()}`);
      }
      return 0;
    });
  },
};

/**
 * One section as dvc's `show_diff` prints it: Path, key, both values and the change ("diff not
 * supported" for non-numbers), floats to `precision` significant digits; a Markdown table has its
 * header even when empty, a plain one prints nothing.
 */
function printDiffTable(diff: DiffResult, title: string, options: { aRev: string; bRev: string; noPath: boolean; markdown: boolean; precision: number | undefined }): void {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '-';
    if (typeof v === 'number' && !Number.isInteger(v) && options.precision) return formatG(v, options.precision);
    return pyStr(v);
  };
  const header = [...(options.noPath ? [] : ['Path']), title, options.aRev, options.bRev, 'Change'];
  const rows: string[][] = [];
  for (const [file, changes] of Object.entries(diff)) {
    for (const key of Object.keys(changes).sort()) {
      const c = changes[key];
      // Python's difference is a float when either side is one: 0.01 - 0.01 prints `0.0`.
      const floatDiff = typeof c.diff === 'number' && Number.isInteger(c.diff) && !options.precision && [c.old, c.new].some((v) => typeof v === 'number' && !Number.isInteger(v));
      const change = c.diff === undefined ? 'diff not supported' : floatDiff ? pyFloatRepr(c.diff as number) : cell(c.diff);
      rows.push([...(options.noPath ? [] : [file]), key, cell(c.old), cell(c.new), change]);
    }
  }
  if (options.markdown) out(markdownTable(header.map((h) => `${h}  `), rows));
  else if (rows.length) out(plainTable(header, rows));
}
