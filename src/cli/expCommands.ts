import { CairnError } from '../core/errors';
import { expShow, parseNum } from '../core/experiments/show';
import { expTable, ExpTable } from '../core/experiments/table';
import { expList } from '../core/experiments/list';
import type { ExpState } from '../core/experiments/contract';
import { Command, CommandTable, markdownTable, out, printJson, withRepo } from './command';
import { runCommand, saveCommand } from './expRunCommands';
import { expPullCommand, expPushCommand } from './expPushPullCommands';
import { sweepCommand } from './expSweepCommands';
import { expNoteCommand, expTagCommand } from './expAnnotationCommands';
import { expApplyCommand, expBranchCommand, expCleanCommand, expDiffCommand, expRemoveCommand, expRenameCommand } from './expRefsCommands';

const DEFAULT_PRECISION = 5;

interface TableChoices {
  csv: boolean;
  markdown: boolean;
  precision?: number;
  sortBy?: string;
  sortOrder?: 'asc' | 'desc';
  onlyChanged: boolean;
  keep: string[];
  drop: string[];
}

/** dvc's tree marks before an experiment's name. */
const TREE = { baseline: '', branch_commit: '├──', branch_base: '└──' } as Record<string, string>;

/**
 * The table `dvc exp show` prints (dvc: commands/experiments/show.py `show_experiments`): columns
 * matching --keep are protected, State/Executor dropped when empty, Experiment merged with rev
 * (but in CSV), columns all alike dropped with --only-changed, then those matching --drop.
 */
export function printExpTable(states: ExpState[], choices: TableChoices): void {
  const fillValue = choices.csv ? '' : '-';
  const table = expTable(states, {
    fillValue,
    // As dvc: --precision only applies to CSV, whose floats are otherwise exact; tables show 5 digits.
    precision: choices.csv ? choices.precision || undefined : DEFAULT_PRECISION,
    isoTime: choices.csv,
    sortBy: choices.sortBy,
    sortOrder: choices.sortOrder,
  });
  const protectedColumns = new Set<string>();
  if (choices.keep.length) {
    const keep = columnPattern(choices.keep, '--keep');
    for (const c of table.columns) if (keep.test(c)) protectedColumns.add(c);
  }
  const column = (name: string) => table.rows.map((r) => r[table.columns.indexOf(name)]);
  const drop = (names: string[]) => {
    const gone = new Set(names.filter((n) => !protectedColumns.has(n)));
    const kept = table.columns.map((c, i) => (gone.has(c) ? -1 : i)).filter((i) => i >= 0);
    table.rows = table.rows.map((r) => kept.map((i) => r[i]));
    table.columns = kept.map((i) => table.columns[i]);
  };
  drop(['State', 'Executor'].filter((c) => column(c).every((v) => v === fillValue)));
  if (!choices.csv) {
    const [exp, rev, typ, parent] = ['Experiment', 'rev', 'typ', 'parent'].map(column);
    const merged = exp.map((name, i) => {
      const text = typ[i] === 'baseline' || !name ? name || rev[i] : `${rev[i]} [${name}]`;
      const tree = TREE[typ[i]];
      return `${tree ? `${tree} ` : ''}${text}${parent[i] ? ` (${parent[i]})` : ''}`;
    });
    table.rows.forEach((r, i) => (r[table.columns.indexOf('Experiment')] = merged[i]));
    drop(['rev', 'typ', 'parent']);
  }
  if (choices.onlyChanged) drop(table.columns.filter((c) => new Set(column(c)).size === 1));
  if (choices.drop.length) {
    const dropRe = columnPattern(choices.drop, '--drop');
    drop(table.columns.filter((c) => dropRe.test(c)));
  }
  if (choices.csv) process.stdout.write(csvText(table));
  else if (choices.markdown) out(markdownTable(table.columns.map((h) => `${h}  `), table.rows));
  else out(plainText(table));
}

/** Columns whose name starts with a match of any of `patterns` (dvc joins them with `|`, Python's re.match). */
function columnPattern(patterns: string[], option: string): RegExp {
  try {
    return new RegExp(`^(?:${patterns.join('|')})`);
  } catch (err) {
    throw new CairnError('USAGE', `${option} ${patterns.map((p) => `'${p}'`).join(' ')}: not a regular expression (${(err as Error).message}).`, { hint: 'Escape special characters with \\.' });
  }
}

/** Python's csv writer: fields quoted only when they must be, lines ended by CRLF. */
function csvText(table: ExpTable): string {
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [table.columns, ...table.rows].map((r) => r.map(field).join(',') + '\r\n').join('');
}

/** The table as rich draws dvc's on a wide terminal with no colours: horizontal rules, cells one space in, metrics right-aligned. */
function plainText(table: ExpTable): string {
  const widths = table.columns.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i].length)));
  const right = new Set(table.metrics);
  const line = (cells: string[], header: boolean) =>
    ' ' + cells.map((c, i) => ` ${!header && right.has(table.columns[i]) ? c.padStart(widths[i]) : c.padEnd(widths[i])} `).join(' ') + ' ';
  const rule = ' ' + '─'.repeat(widths.reduce((sum, w) => sum + w + 2, 0) + widths.length - 1) + ' ';
  return [rule, line(table.columns, false), rule, ...table.rows.map((r) => line(r, false)), rule].join('\n');
}

/** `exp list` (also `exp ls`, as dvc). */
const listCommand: Command = {
    summary: 'List experiments by baseline (of HEAD by default), local or on a git remote',
    args: [{ name: '[git_remote]', help: 'List the experiments on this git remote (by name or URL) instead of the local ones.' }],
    options: {
      rev: { type: 'string', multiple: true, help: 'Show experiments derived from this baseline (a commit, branch, tag or experiment name); may repeat (default: HEAD).' },
      num: { type: 'string', short: 'n', help: 'Also show experiments of the N commits before each baseline.' },
      'all-commits': { type: 'boolean', short: 'A', help: 'Experiments of every commit.' },
      'name-only': { type: 'boolean', help: "Print only the experiments' names." },
      'names-only': { type: 'boolean', help: 'Same as --name-only.' },
      'sha-only': { type: 'boolean', help: "Print only the experiments' commits." },
      'shas-only': { type: 'boolean', help: 'Same as --sha-only.' },
    },
    async run({ values, positionals }) {
      if (positionals.length > 1) throw new CairnError('USAGE', `expected at most one git remote, got ${positionals.length} arguments.`);
      const gitRemote = positionals[0];
      const nameOnly = !!(values['name-only'] || values['names-only']);
      const shaOnly = !!(values['sha-only'] || values['shas-only']);
      if (nameOnly && shaOnly) throw new CairnError('USAGE', '--name-only and --sha-only cannot be used together.');
      if (shaOnly && gitRemote !== undefined) throw new CairnError('USAGE', '--sha-only not supported with git_remote.');
      return withRepo(async (repo) => {
        const listed = await expList(repo, { revs: values.rev, num: parseNum(values.num), allCommits: values['all-commits'], gitRemote, cwd: process.cwd(), withLabels: !(nameOnly || shaOnly) });
        for (const { baseline, label, experiments } of listed) {
          if (!(nameOnly || shaOnly)) out(`${label ?? baseline.slice(0, 7)}:`);
          for (const { name, rev } of experiments) {
            if (nameOnly) out(name);
            else if (shaOnly) out(rev ?? '');
            else out(rev ? `\t${rev.slice(0, 7)} [${name}]` : `\t${name}`);
          }
        }
        return 0;
      });
    },
  };

/** `cairn exp ...`: experiments run, read, compared, applied and shared as dvc does it. */
export const expCommands: CommandTable = {
  exp: {
    summary: 'Run, show, compare, apply and share experiments (refs/exps, as dvc exp)',
    subcommands: {
      show: {
        summary: 'Print the workspace and baselines with their experiments, their params and metrics',
        options: {
          'all-branches': { type: 'boolean', short: 'a', help: 'Experiments of the tip of every branch.' },
          'all-tags': { type: 'boolean', short: 'T', help: 'Experiments of every tagged commit.' },
          'all-commits': { type: 'boolean', short: 'A', help: 'Experiments of every commit.' },
          rev: { type: 'string', multiple: true, help: 'Show experiments derived from this baseline (a commit, branch, tag or experiment name); may repeat (default: HEAD).' },
          num: { type: 'string', short: 'n', help: 'Also show the N commits before each baseline, with their experiments.' },
          csv: { type: 'boolean', help: 'Print the table as CSV.' },
          md: { type: 'boolean', help: 'Print the table as Markdown.' },
          'sort-by': { type: 'string', help: 'Sort experiments by this param or metric (`[file:]key`).' },
          'sort-order': { type: 'string', help: 'With --sort-by: asc (default) or desc.' },
          'only-changed': { type: 'boolean', help: 'Show only the params, metrics and deps that differ between the rows.' },
          keep: { type: 'string', multiple: true, help: 'Always show the columns matching this regular expression; may repeat.' },
          drop: { type: 'string', multiple: true, help: 'Hide the columns matching this regular expression; may repeat.' },
          'hide-queued': { type: 'boolean', help: 'Leave queued experiments out.' },
          'hide-failed': { type: 'boolean', help: 'Leave failed experiments out.' },
          'hide-workspace': { type: 'boolean', help: 'Leave the workspace row out.' },
          sha: { type: 'boolean', help: 'Name baselines by commit, not by branch or tag.' },
          precision: { type: 'string', help: 'Round numbers to this many significant digits (default 5).' },
          'no-pager': { type: 'boolean', help: 'Accepted as dvc accepts it (Cairn pages nothing).' },
          force: { type: 'boolean', short: 'f', help: 'Read every commit again instead of what an earlier exp show kept of it (.dvc/tmp/cairn/exp-show).' },
          // Accepted as dvc accepts it; Cairn fetches nothing from running runs.
          'no-fetch': { type: 'boolean', help: 'Accepted as dvc accepts it (Cairn fetches nothing from running experiments).' },
        },
        async run({ values, positionals, signal }) {
          if (positionals.length) throw new CairnError('USAGE', `cairn exp show takes no arguments, got '${positionals[0]}'.`, { hint: 'Choose baselines with --rev.' });
          return withRepo(async (repo) => {
            const states = await expShow(repo, {
              revs: values.rev,
              num: parseNum(values.num),
              allBranches: values['all-branches'],
              allTags: values['all-tags'],
              allCommits: values['all-commits'],
              hideQueued: values['hide-queued'],
              hideFailed: values['hide-failed'],
              hideWorkspace: values['hide-workspace'],
              shaOnly: values.sha,
              force: values.force,
              signal,
              onWarning: (line) => process.stderr.write(`WARNING: ${line}\n`),
            });
            if (values.json) printJson(states);
            else {
              const order = values['sort-order'] ?? 'asc';
              if (order !== 'asc' && order !== 'desc') throw new CairnError('USAGE', `--sort-order must be 'asc' or 'desc', not '${order}'.`);
              const precision = values.precision === undefined ? undefined : Number(values.precision);
              if (precision !== undefined && !Number.isInteger(precision)) throw new CairnError('USAGE', `--precision must be a whole number, not '${values.precision}'.`);
              printExpTable(states, {
                csv: !!values.csv,
                markdown: !!values.md,
                precision,
                sortBy: values['sort-by'],
                sortOrder: order,
                onlyChanged: !!values['only-changed'],
                keep: values.keep ?? [],
                drop: values.drop ?? [],
              });
            }
            return 0;
          });
        },
      },
      list: listCommand,
      ls: listCommand,
      run: runCommand,
      save: saveCommand,
      push: expPushCommand,
      pull: expPullCommand,
      apply: expApplyCommand,
      branch: expBranchCommand,
      rename: expRenameCommand,
      remove: expRemoveCommand,
      rm: expRemoveCommand,
      clean: expCleanCommand,
      diff: expDiffCommand,
      sweep: sweepCommand,
      tag: expTagCommand,
      note: expNoteCommand,
    },
  },
};
