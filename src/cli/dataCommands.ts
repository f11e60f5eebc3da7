import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../core/errors';
import { init } from '../core/repo/init';
import { add } from '../core/outputs/add';
import { outputStatuses, statusReport } from '../core/outputs/status';
import { pipelineStatus } from '../core/pipeline/pipelineStatus';
import { commit } from '../core/outputs/commit';
import { checkout, CheckoutResult } from '../core/outputs/checkout';
import { diff, DiffResult } from '../core/outputs/diff';
import { remove, unprotect } from '../core/outputs/remove';
import { listRepository, listTree } from '../core/outputs/list';
import { dataStatus } from '../core/outputs/dataStatus';
import { dataStatusSections, dataStatusText } from './dataStatusOutput';
import { listText, treeText } from './lsOutput';
import { WORKSPACE } from '../core/outputs/collect';
import { configOption } from '../core/repo/configCommand';
import { ProgressBar } from './progressBar';
import { Argument, CommandTable, confirmOnTty, OptionSpec, markdownTable, out, printJson, shellQuote, withRepo } from './command';

/** `-j`: the threads hashing and copying at once. */
export const JOBS: OptionSpec = { type: 'string', short: 'j', value: '<number>', help: 'Files hashed or copied at once (default: one per processor core).' };

const TARGETS: Argument = { name: '[targets...]', help: '.dvc files, tracked paths or stage names to limit the command to (default: all).' };

/** The data commands: track, check and restore outputs of `.dvc` files. */
export const dataCommands: CommandTable = {
  init: {
    summary: 'Make this folder a DVC/Cairn repository',
    options: {
      'no-scm': { type: 'boolean', help: 'Make a repository that does not use git (for a folder outside one).' },
      force: { type: 'boolean', short: 'f', help: 'Start again in a folder that is already a repository: .dvc/ is made anew.' },
    },
    async run({ values }) {
      const result = await init(process.cwd(), { noScm: values['no-scm'], force: values.force });
      if (values.json) printJson(result);
      else if (!values.quiet) {
        out('Initialized DVC repository.');
        if (result.staged) out('\nYou can now commit the changes to git.');
      }
      return 0;
    },
  },
  add: {
    summary: 'Track files or directories: put them in the cache and write .dvc files',
    args: [{ name: '<path>...', help: 'Files or folders to track (a file inside a tracked folder updates that folder\'s .dvc file).' }],
    options: { jobs: JOBS },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Adding');
        const result = await add(repo, positionals, { cwd: process.cwd(), signal, onProgress: bar.update }).finally(() => bar.done());
        if (values.json) printJson(result);
        else if (!values.quiet && !result.staged && repo.scm && result.gitFiles.length) {
          out(`\nTo track the changes with git, run:\n\n\tgit add ${result.gitFiles.map(shellQuote).join(' ')}\n\nTo enable auto staging, run:\n\n\tcairn config core.autostage true`);
        }
        return 0;
      }, values.jobs);
    },
  },
  status: {
    summary: 'Show tracked outputs that differ from their .dvc entries',
    args: [TARGETS],
    options: { jobs: JOBS, quiet: { type: 'boolean', short: 'q', help: 'Print nothing; exit 1 when something changed, 0 when all is up to date.' } },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Checking');
        const stages = await pipelineStatus(repo, positionals, { cwd: process.cwd(), signal }).catch((err) => {
          bar.done();
          throw err;
        });
        const outputTargets = positionals.length && stages.otherTargets.length === 0 ? null : stages.otherTargets;
        const statuses = outputTargets === null ? [] : await outputStatuses(repo, outputTargets, { cwd: process.cwd(), signal, onProgress: bar.update }).finally(() => bar.done());
        bar.done();
        const report = { ...stages.report, ...statusReport(statuses, process.cwd()) };
        const dirty = Object.keys(report).length > 0;
        if (values.json) printJson(report);
        else if (!values.quiet) {
          if (!dirty && statuses.length === 0 && stages.checked === 0) {
            out('There are no data or pipelines tracked in this project yet.\nTrack data with `cairn add <path>`.');
          } else if (!dirty) out('Data and pipelines are up to date.');
          // One write: at 10,000 stages, a write per line took a tenth of the command.
          const lines: string[] = [];
          for (const [file, changes] of Object.entries(report)) {
            lines.push(`${file}:`);
            for (const change of changes as Array<string | Record<string, Record<string, unknown>>>) {
              if (typeof change === 'string') {
                lines.push(`\t${change}`);
                continue;
              }
              for (const [kind, paths] of Object.entries(change)) {
                lines.push(`\t${kind}:`);
                for (const [p, s] of Object.entries(paths)) {
                  if (typeof s === 'string') lines.push(`\t\t${(s + ':').padEnd(20)}${p}`);
                  else {
                    lines.push(`\t\t${p}:`);
                    for (const [k, v] of Object.entries(s as Record<string, string>)) lines.push(`\t\t\t${(v + ':').padEnd(20)}${k}`);
                  }
                }
              }
            }
          }
          if (lines.length) out(lines.join('\n'));
        }
        const unsafe = statuses.filter((s) => s.unsafe);
        if (unsafe.length > 0) {
          throw new CairnError('UNSAFE_PATH', `not read: ${unsafe.map((s) => s.unsafe).join('; ')}.`, {
            hint: 'Cairn never reads or writes outside the repository; check who changed these paths (`git log -p`).',
            paths: unsafe.map((s) => s.output.rel),
          });
        }
        return values.quiet && dirty ? 1 : 0;
      }, values.jobs);
    },
  },
  commit: {
    summary: 'Record changed tracked data in the cache and .dvc files',
    args: [TARGETS],
    options: { force: { type: 'boolean', short: 'f', help: 'Record changed outputs without asking first.' }, jobs: JOBS },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Committing');
        const result = await commit(repo, positionals, {
          cwd: process.cwd(),
          force: values.force,
          signal,
          onProgress: bar.update,
          confirm: (outs, file) => confirmOnTty(`outputs ${outs.join(', ')} of '${file}' changed. Are you sure you want to commit them?`),
        }).finally(() => bar.done());
        if (values.json) printJson(result);
        else if (!values.quiet) for (const f of result.dvcFiles) out(`Updated ${f}`);
        return 0;
      }, values.jobs);
    },
  },
  checkout: {
    summary: 'Restore tracked data in the workspace from the cache',
    args: [TARGETS],
    options: {
      force: { type: 'boolean', short: 'f', help: 'Replace changed data in the workspace without asking (the changes are lost).' },
      relink: { type: 'boolean', help: 'Link every output from the cache again, also the ones that are up to date.' },
      jobs: JOBS,
    },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Checking out');
        const result = await checkout(repo, positionals, { cwd: process.cwd(), force: values.force, relink: values.relink, signal, onProgress: bar.update }).finally(() => bar.done());
        if (values.json) printJson(result);
        else if (!values.quiet) {
          for (const p of result.modified) out(`M       ${p}`);
          for (const p of result.added) out(`A       ${p}`);
        }
        if (result.failed.length) throw checkoutFailure(result.failed, 'Is your cache up to date? Fetch the data from a remote, or re-add it.');
        return 0;
      }, values.jobs);
    },
  },
  diff: {
    summary: 'Show changed tracked files between git revisions and/or the workspace',
    args: [
      { name: '[a_rev]', help: 'The git revision to compare from (default HEAD).' },
      { name: '[b_rev]', help: 'The revision to compare to (default the workspace).' },
    ],
    options: {
      'show-hash': { type: 'boolean', help: 'Show the first 8 characters of each hash.' },
      md: { type: 'boolean', help: 'Print a Markdown table.' },
    },
    async run({ values, positionals }) {
      return withRepo(async (repo) => {
        const result = await diff(repo, positionals[0] ?? 'HEAD', positionals[1] ?? WORKSPACE, { showHash: values['show-hash'] });
        if (values.json) printJson(result);
        else if (values.md) out(diffMarkdown(result, !!values['show-hash']));
        else if (!values.quiet) printDiff(result, !!values['show-hash']);
        return 0;
      });
    },
  },
  remove: {
    summary: 'Stop tracking: delete .dvc files and their .gitignore entries (data stays)',
    args: [{ name: '<target.dvc>...', help: '.dvc files to stop tracking (or the paths they track).' }],
    options: { outs: { type: 'boolean', help: 'Delete the tracked data from the workspace too (it stays in the cache).' } },
    async run({ values, positionals }) {
      return withRepo(async (repo) => {
        const result = await remove(repo, positionals, { cwd: process.cwd(), outs: values.outs });
        if (values.json) printJson(result);
        else if (!values.quiet) for (const f of result.removed) out(`Removed ${f}`);
        return 0;
      });
    },
  },
  unprotect: {
    summary: 'Make tracked files linked to the cache writable copies',
    args: [{ name: '<path>...', help: 'Tracked files or folders to make writable.' }],
    options: {},
    async run({ values, positionals }) {
      return withRepo(async (repo) => {
        const done = await unprotect(repo, positionals, { cwd: process.cwd() });
        if (values.json) printJson({ unprotected: done });
        return 0;
      });
    },
  },
  config: {
    summary: 'Get or set a repository option (.dvc/config, or .dvc/config.local with --local)',
    args: [
      { name: '<section.option>', help: 'The option, e.g. core.autostage or remote.storage.url.' },
      { name: '[value]', help: 'Its new value; without one, its value is printed.' },
    ],
    options: {
      unset: { type: 'boolean', short: 'u', help: 'Remove the option.' },
      local: { type: 'boolean', help: 'Use .dvc/config.local (not committed: for credentials and personal settings).' },
    },
    async run({ values, positionals }) {
      if (positionals.length < 1 || positionals.length > 2) throw new CairnError('USAGE', 'name one option, and optionally its value.', { hint: 'e.g. `cairn config core.autostage true`.' });
      return withRepo(async (repo) => {
        const value = await configOption(repo, positionals[0], positionals[1], { unset: values.unset, level: values.local ? 'local' : undefined });
        if (value !== undefined) values.json ? printJson({ [positionals[0]]: value }) : out(value);
        return 0;
      });
    },
  },
  data: {
    summary: 'Data management commands (data status)',
    subcommands: {
      status: {
        summary: 'Show changes between the last git commit, the .dvc files and dvc.lock, and the workspace',
        args: [{ name: '[targets...]', help: 'Tracked files or folders to limit the command to (default: all).' }],
        options: {
          granular: { type: 'boolean', help: 'Show the files inside tracked folders (from their .dir manifests).' },
          unchanged: { type: 'boolean', help: 'Show tracked files that did not change.' },
          remote: { type: 'string', short: 'r', value: '<name>', help: 'The remote --not-in-remote asks (default: each output\'s, else the default remote).' },
          'not-in-remote': { type: 'boolean', help: 'Show tracked data the remote does not have.' },
          'no-remote-refresh': { type: 'boolean', help: 'Accepted for dvc\'s sake: Cairn keeps no index of the remote, so it always asks the remote.' },
          'untracked-files': { type: 'string', value: '[no|all]', valueWhenBare: 'all', help: 'Show files git does not track and does not ignore (`all`, also when given bare), or not (`no`, the default).' },
          jobs: JOBS,
        },
        async run({ values, positionals, signal }) {
          const untrackedFiles = values['untracked-files'] ?? 'no';
          if (untrackedFiles !== 'no' && untrackedFiles !== 'all') throw new CairnError('USAGE', `--untracked-files takes 'no' or 'all', not '${untrackedFiles}'.`);
          return withRepo(async (repo) => {
            const bar = new ProgressBar('Checking');
            const result = await dataStatus(repo, positionals, {
              cwd: process.cwd(),
              granular: values.granular,
              untrackedFiles,
              notInRemote: values['not-in-remote'],
              remote: values.remote,
              signal,
              onProgress: bar.update,
            }).finally(() => bar.done());
            const sections = dataStatusSections(result, { untracked: untrackedFiles === 'all', unchanged: !!values.unchanged });
            if (values.json) printJson(sections);
            else if (!values.quiet) out(dataStatusText(sections, result.git));
            if (result.unsafe.length > 0) {
              throw new CairnError('UNSAFE_PATH', `not read: ${result.unsafe.join('; ')}.`, {
                hint: 'Cairn never reads or writes outside the repository; check who changed these paths (`git log -p`).',
              });
            }
            return 0;
          }, values.jobs);
        },
      },
    },
  },
  ls: {
    summary: 'List a repository\'s files and the data DVC tracks in it (at the workspace, a git revision or an experiment), as `dvc list`',
    args: [
      { name: '<url>', help: 'The repository: a folder (`.`: its workspace), or a file:// URL (its last commit, as a clone has it). Remote git URLs are not supported.' },
      { name: '[path]', help: 'The folder or file inside it to list (default: its root).' },
    ],
    options: {
      recursive: { type: 'boolean', short: 'R', help: 'List every file below the path (with -L, folders where the depth stops).' },
      tree: { type: 'boolean', short: 'T', help: 'Draw the folders below the path as a tree.' },
      level: { type: 'string', short: 'L', value: '<depth>', help: 'How many levels -R or -T go down.' },
      'dvc-only': { type: 'boolean', help: 'Only what DVC tracks (outputs of .dvc files and of pipeline stages).' },
      rev: { type: 'string', value: '[<commit>]', valueWhenBare: WORKSPACE, help: 'The git revision or experiment to list (default, and when given bare: the workspace, ignored files too).' },
      size: { type: 'boolean', help: 'Show sizes.' },
      'show-hash': { type: 'boolean', help: 'Show the hash DVC records for each tracked entry.' },
    },
    async run({ values, positionals }) {
      if (positionals.length < 1 || positionals.length > 2) throw new CairnError('USAGE', 'name the repository to list (`.` for this one), and optionally a path in it.', { hint: 'e.g. `cairn ls . data`.' });
      if (values.tree && values.json) throw new CairnError('USAGE', 'cannot use --tree and --json options together.');
      const maxDepth = values.level === undefined ? undefined : Number(values.level);
      if (maxDepth !== undefined && !Number.isInteger(maxDepth)) throw new CairnError('USAGE', `-L takes a whole number of levels, not '${values.level}'.`);
      const columns = { size: values.size, hash: values['show-hash'] };
      const { folder, isGitUrl } = localRepository(positionals[0]);
      const options = { rev: values.rev ?? (isGitUrl ? 'HEAD' : undefined), dvcOnly: values['dvc-only'], maxDepth };
      return withRepo(
        async (repo) => {
          if (values.tree) out(treeText(await listTree(repo, positionals[1] ?? '', options), columns));
          else {
            const entries = await listRepository(repo, positionals[1] ?? '', { ...options, recursive: values.recursive });
            if (values.json) printJson(entries);
            else if (entries.length && !values.quiet) out(listText(entries, columns));
          }
          return 0;
        },
        undefined,
        folder,
      );
    },
  },
};


/**
 * The folder a `cairn ls` URL names, and whether it is a git URL (file://), which dvc clones:
 * then its committed state is listed, not its workspace. Remote URLs are refused in one line.
 */
function localRepository(url: string): { folder: string; isGitUrl: boolean } {
  const isGitUrl = /^file:\/\//i.test(url);
  if (!isGitUrl && (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\\]+@[^/\\]+:/.test(url))) {
    throw new CairnError('USAGE', `'${url}' is a remote repository; cairn ls lists local ones only.`, { hint: 'Clone it (`git clone --depth 1 <url>`) and list the clone.' });
  }
  const folder = path.resolve(isGitUrl ? decodeURIComponent(new URL(url).pathname) : url);
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new CairnError('MISSING_PATH', `failed to list '${url}': no such folder.`, { hint: 'Give the path of a repository folder, e.g. `.`.' });
  return { folder, isGitUrl };
}

type DiffRow = { state: string; path: string; hash: string };
/** One error for the outputs a checkout could not restore; refusals (unsafe paths or hashes) get their own hint. */
export function checkoutFailure(failed: CheckoutResult['failed'], hintForMissing: string): CairnError {
  const refused = failed.some((f) => f.refused);
  return new CairnError(refused ? 'UNSAFE_PATH' : 'NOT_IN_CACHE', `checkout failed for: ${failed.map((f) => `${f.path} (${f.reason})`).join(', ')}.`, {
    hint: refused ? 'Nothing was written there. This repository records a path or hash that leads outside it: check who changed it (`git log -p`).' : hintForMissing,
    paths: failed.map((f) => f.path),
  });
}

function diffRows(result: DiffResult, showHash: boolean): DiffRow[] {
  const short = (h?: string | null) => (h ?? '').slice(0, 8);
  const rows: DiffRow[] = [];
  for (const e of result.added ?? []) rows.push({ state: 'added', path: e.path, hash: short(e.hash) });
  for (const e of result.deleted ?? []) rows.push({ state: 'deleted', path: e.path, hash: short(e.hash) });
  for (const e of result.renamed ?? []) rows.push({ state: 'renamed', path: `${e.path.old} -> ${e.path.new}`, hash: short(e.hash) });
  for (const e of result.modified ?? []) rows.push({ state: 'modified', path: e.path, hash: e.hash ? `${short(e.hash.old)}..${short(e.hash.new)}` : '' });
  for (const e of result['not in cache'] ?? []) rows.push({ state: 'not in cache', path: e.path, hash: short(e.hash) });
  return showHash ? rows : rows.map((r) => ({ ...r, hash: '' }));
}

function printDiff(result: DiffResult, showHash: boolean): void {
  const rows = diffRows(result, showHash);
  const states = ['added', 'deleted', 'renamed', 'modified', 'not in cache'];
  const files = new Map<string, number>();
  for (const state of states) {
    const group = rows.filter((r) => r.state === state);
    if (group.length === 0) continue;
    out(state[0].toUpperCase() + state.slice(1) + ':');
    for (const r of group) out(`    ${r.hash ? r.hash + '  ' : ''}${r.path}`);
    out('');
    // As dvc counts them: folders (paths ending in '/') are not files.
    files.set(state, group.filter((r) => !r.path.endsWith('/')).length);
  }
  const counted = states.filter((s) => (files.get(s) ?? 0) > 0).map((s) => `${files.get(s)} ${s}`);
  if (counted.length) out(`files summary: ${counted.join(', ')}`);
}

function diffMarkdown(result: DiffResult, showHash: boolean): string {
  const rows = diffRows(result, showHash);
  const header = showHash ? ['Status', 'Hash', 'Path'] : ['Status', 'Path'];
  const cells = rows.map((r) => (showHash ? [r.state, r.hash, r.path] : [r.state, r.path]));
  return markdownTable(header, cells);
}
