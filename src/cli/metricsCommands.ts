import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CairnError } from '../core/errors';
import { show, diff, MetricsKind } from '../core/metrics/show';
import { plotsDiff, plotsJson, plotsShow, writePlotsFile } from '../core/metrics/plots';
import { plotsHtml } from '../core/metrics/plotsHtml';
import { DiffResult, ShowResult } from '../core/metrics/results';
import { flatten, formatLists, isDict, pyNumber, pyStr } from '../core/metrics/flatten';
import { WORKSPACE_REV } from '../core/metrics/revisions';
import type { Repo } from '../core/repo/repo';
import { Command, CommandTable, markdownTable, OptionSpec, Options, out, printJson, withRepo } from './command';

const DEFAULT_PRECISION = 5;

const MARKDOWN: OptionSpec = { type: 'boolean', help: 'Print a Markdown table.' };
const PRECISION: OptionSpec = { type: 'string', value: '<n>', help: `Round numbers to n digits after the point (default ${DEFAULT_PRECISION}).` };

/** A table as DVC prints it: columns at least two wider than their header, two spaces apart, `-` for nothing. */
export function plainTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length + 2, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The table in the chosen form; nothing at all for no rows, as DVC. */
function printTable(header: string[], rows: string[][], markdown: boolean): void {
  if (rows.length === 0) return;
  // DVC's markdown tables pad each header by two, like its plain ones.
  if (markdown) out(markdownTable(header.map((h) => `${h}  `), rows));
  else out(plainTable(header, rows));
}

/** A value as DVC's tables show it: floats rounded to `precision` digits (when given), Python's text otherwise. */
function formatValue(v: unknown, precision: number | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number' && precision !== undefined && !Number.isInteger(v) && Number.isFinite(v)) {
    return pyNumber(Number(v.toFixed(Math.min(precision, 100))));
  }
  return pyStr(v);
}

function parsePrecision(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CairnError('USAGE', `--precision must be a whole number, not '${value}'.`);
  return n;
}

/** Repo-relative paths as paths from the current folder (DVC prints them so). */
function fromCwd(repo: Repo, rel: string): string {
  return path.relative(process.cwd(), path.join(repo.root, rel)).split(path.sep).join('/') || '.';
}

function relativeShow(repo: Repo, res: ShowResult): ShowResult {
  const outRes: ShowResult = {};
  for (const [rev, r] of Object.entries(res)) {
    outRes[rev] = r.data ? { data: Object.fromEntries(Object.entries(r.data).map(([p, f]) => [fromCwd(repo, p), f])) } : r;
  }
  return outRes;
}

function relativeDiff(repo: Repo, d: DiffResult): DiffResult {
  return Object.fromEntries(Object.entries(d).map(([p, v]) => [fromCwd(repo, p), v]));
}

function warnErrored(revs: string[], what: string): void {
  if (revs.length) process.stderr.write(`Cairn failed to load some ${what} for revisions: '${revs.join(', ')}'. Run with --json to see why.\n`);
}

function showTable(res: ShowResult, withRevision: boolean, precision: number | undefined, markdown: boolean): void {
  const rows: Record<string, string>[] = [];
  const columns: string[] = [];
  for (const [rev, r] of Object.entries(res)) {
    for (const [file, f] of Object.entries(r.data ?? {})) {
      const row: Record<string, string> = { Revision: rev, Path: file };
      const data = formatLists(f.data ?? {});
      const flat = isDict(data) ? flatten(data) : { '': data };
      for (const [k, v] of Object.entries(flat)) {
        if (!columns.includes(k)) columns.push(k);
        row[k] = formatValue(v, precision);
      }
      rows.push(row);
    }
  }
  const header = [...(withRevision ? ['Revision'] : []), 'Path', ...columns.sort()];
  printTable(header, rows.map((r) => header.map((h) => r[h] ?? '-')), markdown);
}

function diffTable(d: DiffResult, title: string, aRev: string, bRev: string, options: { precision?: number; changes: boolean; noPath: boolean; markdown: boolean }): void {
  const header = [...(options.noPath ? [] : ['Path']), title, aRev, bRev, ...(options.changes ? ['Change'] : [])];
  const rows: string[][] = [];
  for (const [file, changes] of Object.entries(d)) {
    for (const key of Object.keys(changes).sort()) {
      const c = changes[key];
      rows.push([
        ...(options.noPath ? [] : [file]),
        key,
        formatValue(c.old, options.precision),
        formatValue(c.new, options.precision),
        ...(options.changes ? [formatValue(c.diff, options.precision)] : []),
      ]);
    }
  }
  printTable(header, rows, options.markdown);
}

function revsOf(positionals: string[]): [string, string] {
  if (positionals.length > 2) throw new CairnError('USAGE', `expected at most two revisions, got ${positionals.length}.`, { hint: 'Usage: a_rev [b_rev].' });
  return [positionals[0] ?? 'HEAD', positionals[1] ?? WORKSPACE_REV];
}

function diffCommand(kind: MetricsKind): Command {
  const title = kind === 'metrics' ? 'Metric' : 'Param';
  return {
    summary: kind === 'metrics' ? 'Show changes in metrics between two revisions (default HEAD and the workspace)' : 'Show changes in params between two revisions (default HEAD and the workspace)',
    args: [
      { name: '[a_rev]', help: 'The revision to compare from (default HEAD): a commit, branch, tag or experiment.' },
      { name: '[b_rev]', help: 'The revision to compare to (default the workspace).' },
    ],
    options: {
      all: { type: 'boolean', help: `List unchanged ${kind} too.` },
      md: MARKDOWN,
      'no-path': { type: 'boolean', help: 'Leave out the file column.' },
      ...(kind === 'metrics' ? { precision: PRECISION } : {}),
    },
    async run({ values, positionals }) {
      const [aRev, bRev] = revsOf(positionals);
      const precision = kind === 'metrics' ? (parsePrecision(values.precision) ?? DEFAULT_PRECISION) : undefined;
      return withRepo(async (repo) => {
        const result = await diff(repo, kind, aRev, bRev, !!values.all);
        warnErrored(result.errored, kind);
        const d = relativeDiff(repo, result.diff);
        if (values.json) printJson(d);
        else diffTable(d, title, aRev, bRev, { precision, changes: kind === 'metrics', noPath: !!values['no-path'], markdown: !!values.md });
        return 0;
      });
    },
  };
}

/** `cairn metrics show`, `cairn params show`: the values of the workspace (and of branches, tags, commits). */
function showCommand(kind: MetricsKind): Command {
  return {
    summary: `Print the ${kind} of the workspace (or of branches, tags, commits)`,
    options: { ...revisionOptions, md: MARKDOWN, ...(kind === 'metrics' ? { precision: PRECISION } : {}) },
    async run({ values, positionals }) {
      if (positionals.length) throw new CairnError('USAGE', `cairn ${kind} show takes no targets yet.`, { hint: `Declare ${kind} files in dvc.yaml.` });
      const precision = kind === 'metrics' ? (parsePrecision(values.precision) ?? DEFAULT_PRECISION) : undefined;
      const selection = { allBranches: values['all-branches'], allTags: values['all-tags'], allCommits: values['all-commits'] };
      return withRepo(async (repo) => {
        const res = relativeShow(repo, await show(repo, kind, selection));
        warnErrored(
          Object.entries(res)
            .filter(([, r]) => r.error || Object.values(r.data ?? {}).some((f) => f.error))
            .map(([rev]) => rev),
          kind,
        );
        if (values.json) printJson(res);
        else showTable(res, !!(selection.allBranches || selection.allTags || selection.allCommits), precision, !!values.md);
        return 0;
      });
    },
  };
}

const revisionOptions: Options = {
  'all-branches': { type: 'boolean', short: 'a', help: 'Also the tip of every git branch.' },
  'all-tags': { type: 'boolean', short: 'T', help: 'Also every git tag.' },
  'all-commits': { type: 'boolean', short: 'A', help: 'Also every git commit.' },
};

/** `cairn metrics show|diff`, `cairn params diff`, `cairn plots diff`. */
export const metricsCommands: CommandTable = {
  metrics: {
    summary: 'Show and compare metrics (files under metrics: in dvc.yaml)',
    subcommands: {
      show: showCommand('metrics'),
      diff: diffCommand('metrics'),
    },
  },
  params: {
    summary: 'Show and compare params (params.yaml and files under params: in dvc.yaml)',
    subcommands: { show: showCommand('params'), diff: diffCommand('params') },
  },
  plots: {
    summary: 'Plots of the workspace and of revisions (files under plots: in dvc.yaml)',
    subcommands: {
      show: plotsCommand('show'),
      diff: plotsCommand('diff'),
    },
  },
};

/**
 * `plots show [targets...]` (the workspace) and `plots diff [revs...]` (default: the workspace and
 * HEAD): with --json the plots data as dvc prints it; otherwise an HTML page in `-o` (default
 * dvc_plots/) whose file:// URL is printed, as dvc does. Image plots are files in that folder.
 */
function plotsCommand(kind: 'show' | 'diff'): Command {
  return {
    summary:
      kind === 'show'
        ? 'Render the workspace plots (all, or the plot ids and files named) into dvc_plots/index.html, or print them as JSON'
        : 'Render the plots of revisions (default: the workspace and HEAD) side by side into dvc_plots/index.html, or print them as JSON',
    args: [
      kind === 'show'
        ? { name: '[targets...]', help: 'Plot ids or plot files of dvc.yaml to show (default: all).' }
        : { name: '[revs...]', help: 'Revisions to compare (default: the workspace and HEAD).' },
    ],
    options: { out: { type: 'string', short: 'o', help: 'The folder the page and image plots are written to (default: dvc_plots).' } },
    async run({ values, positionals }) {
      return withRepo(async (repo) => {
        const dir = path.resolve(values.out ?? 'dvc_plots');
        const result = kind === 'show' ? await plotsShow(repo, { imagesDir: dir }) : await plotsDiff(repo, positionals, { imagesDir: dir });
        if (kind === 'show' && positionals.length) {
          const targets = positionals.map((t) => repo.rel(path.resolve(t)));
          const wanted = (id: string) => targets.some((t) => id === t || id.startsWith(`${t}/`) || positionals.includes(id));
          result.data = Object.fromEntries(Object.entries(result.data ?? {}).filter(([id]) => wanted(id)));
          if (Object.keys(result.data).length === 0 && !result.errors?.length) throw new CairnError('USAGE', `no plot matches ${positionals.map((t) => `'${t}'`).join(', ')}.`, { hint: 'Name a plot id or file of plots: in dvc.yaml (`cairn plots show` lists them all).' });
        }
        warnErrored([...new Set((result.errors ?? []).map((e) => e.rev))], 'plots');
        if (values.json) printJson(plotsJson(result));
        else {
          const page = path.join(dir, 'index.html');
          await writePlotsFile(repo, page, plotsHtml(result, dir), 'the plots page');
          out(pathToFileURL(page).href);
        }
        return 0;
      });
    },
  };
}
