#!/usr/bin/env node
import { parseArgs, ParseArgsConfig } from 'node:util';
import * as readline from 'node:readline';
import { CairnError } from '../core/errors';
import { Repo } from '../core/repo/repo';
import { init } from '../core/repo/init';
import { add } from '../core/outputs/add';
import { outputStatuses, statusReport } from '../core/outputs/status';
import { commit } from '../core/outputs/commit';
import { checkout } from '../core/outputs/checkout';
import { diff, DiffResult } from '../core/outputs/diff';
import { remove, unprotect } from '../core/outputs/remove';
import { listOutputs } from '../core/outputs/list';
import { WORKSPACE } from '../core/outputs/collect';
import { ProgressBar } from './progressBar';
import { formatSize } from '../core/formatSize';
import { configOption } from '../core/repo/configCommand';

const VERSION = '0.1.0';

type Options = ParseArgsConfig['options'];
const common: Options = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

interface Command {
  summary: string;
  usage: string;
  options: Options;
  run(args: { values: Record<string, any>; positionals: string[]; signal: AbortSignal }): Promise<number>;
}

const out = (s: string) => process.stdout.write(s + '\n');
const printJson = (v: unknown) => out(JSON.stringify(v));

function withRepo<T>(fn: (repo: Repo) => Promise<T>, hashJobs?: string): Promise<T> {
  return Repo.using(process.cwd(), { hashJobs: hashJobs ? Number(hashJobs) : undefined }, fn);
}

async function confirmOnTty(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await new Promise<string>((r) => rl.question(`${question} [y/n] `, r))).trim().toLowerCase();
      if (['y', 'yes'].includes(answer)) return true;
      if (['n', 'no', ''].includes(answer)) return false;
    }
  } finally {
    rl.close();
  }
}

const commands: Record<string, Command> = {
  init: {
    summary: 'Make this folder a DVC/Cairn repository',
    usage: 'cairn init [--no-scm] [-f]',
    options: { 'no-scm': { type: 'boolean' }, force: { type: 'boolean', short: 'f' } },
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
    usage: 'cairn add <path>... [-j jobs]',
    options: { jobs: { type: 'string', short: 'j' } },
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
    usage: 'cairn status [targets...] [--json] [-q]',
    options: { jobs: { type: 'string', short: 'j' } },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Checking');
        const statuses = await outputStatuses(repo, positionals, { cwd: process.cwd(), signal, onProgress: bar.update }).finally(() => bar.done());
        const report = statusReport(statuses, process.cwd());
        const dirty = Object.keys(report).length > 0;
        if (values.json) printJson(report);
        else if (!values.quiet) {
          if (!dirty && statuses.length === 0) {
            out('There are no data or pipelines tracked in this project yet.\nTrack data with `cairn add <path>`.');
          } else if (!dirty) out('Data and pipelines are up to date.');
          for (const [file, changes] of Object.entries(report)) {
            out(`${file}:`);
            for (const change of changes) {
              for (const [kind, paths] of Object.entries(change)) {
                out(`\t${kind}:`);
                for (const [p, s] of Object.entries(paths)) out(`\t\t${(s + ':').padEnd(20)}${p}`);
              }
            }
          }
        }
        return values.quiet && dirty ? 1 : 0;
      }, values.jobs);
    },
  },
  commit: {
    summary: 'Record changed tracked data in the cache and .dvc files',
    usage: 'cairn commit [targets...] [-f]',
    options: { force: { type: 'boolean', short: 'f' }, jobs: { type: 'string', short: 'j' } },
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
    usage: 'cairn checkout [targets...] [-f|--force] [--relink]',
    options: { force: { type: 'boolean', short: 'f' }, relink: { type: 'boolean' }, jobs: { type: 'string', short: 'j' } },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Checking out');
        const result = await checkout(repo, positionals, { cwd: process.cwd(), force: values.force, relink: values.relink, signal, onProgress: bar.update }).finally(() => bar.done());
        if (values.json) printJson(result);
        else if (!values.quiet) {
          for (const p of result.modified) out(`M       ${p}`);
          for (const p of result.added) out(`A       ${p}`);
        }
        if (result.failed.length) {
          throw new CairnError('NOT_IN_CACHE', `checkout failed for: ${result.failed.map((f) => `${f.path} (${f.reason})`).join(', ')}.`, {
            hint: 'Is your cache up to date? Fetch the data from a remote, or re-add it.',
          });
        }
        return 0;
      }, values.jobs);
    },
  },
  diff: {
    summary: 'Show changed tracked files between git revisions and/or the workspace',
    usage: 'cairn diff [a_rev [b_rev]] [--json] [--show-hash] [--md]',
    options: { 'show-hash': { type: 'boolean' }, md: { type: 'boolean' } },
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
    usage: 'cairn remove <target.dvc>... [--outs]',
    options: { outs: { type: 'boolean' } },
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
    usage: 'cairn unprotect <path>...',
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
    usage: 'cairn config <section.option> [value] [--unset] [--local]',
    options: { unset: { type: 'boolean', short: 'u' }, local: { type: 'boolean' } },
    async run({ values, positionals }) {
      if (positionals.length < 1 || positionals.length > 2) throw new CairnError('USAGE', 'name one option, and optionally its value.', { hint: 'e.g. `cairn config core.autostage true`.' });
      return withRepo(async (repo) => {
        const value = await configOption(repo, positionals[0], positionals[1], { unset: values.unset, level: values.local ? 'local' : undefined });
        if (value !== undefined) values.json ? printJson({ [positionals[0]]: value }) : out(value);
        return 0;
      });
    },
  },
  ls: {
    summary: 'List tracked outputs (of the workspace or a git revision)',
    usage: 'cairn ls [rev] [--json]',
    options: {},
    async run({ values, positionals }) {
      return withRepo(async (repo) => {
        const items = await listOutputs(repo, positionals[0] ?? WORKSPACE);
        if (values.json) printJson(items);
        else {
          for (const i of items) {
            const size = i.size === null ? '-' : formatSize(i.size);
            out(`${i.path}${i.isdir ? '/' : ''}\t${size}${i.nfiles !== null ? `\t${i.nfiles} files` : ''}`);
          }
        }
        return 0;
      });
    },
  },
};

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

type DiffRow = { state: string; path: string; hash: string };
function diffRows(result: DiffResult, showHash: boolean): DiffRow[] {
  const short = (h?: string) => (h ?? '').slice(0, 8);
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
  if (rows.length === 0) return;
  for (const state of ['added', 'deleted', 'renamed', 'modified', 'not in cache']) {
    const group = rows.filter((r) => r.state === state);
    if (group.length === 0) continue;
    out(state[0].toUpperCase() + state.slice(1) + ':');
    for (const r of group) out(`    ${r.hash ? r.hash + '  ' : ''}${r.path}`);
    out('');
  }
  const files = (state: string) => rows.filter((r) => r.state === state && !r.path.endsWith('/')).length;
  out(`files summary: ${files('added')} added, ${files('deleted')} deleted, ${files('renamed')} renamed, ${files('modified')} modified`);
}

function diffMarkdown(result: DiffResult, showHash: boolean): string {
  const rows = diffRows(result, showHash);
  const header = showHash ? ['Status', 'Hash', 'Path'] : ['Status', 'Path'];
  const cells = rows.map((r) => (showHash ? [r.state, r.hash, r.path] : [r.state, r.path]));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line), ''].join('\n');
}

function usage(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `cairn ${VERSION} — version ML data and models beside git (DVC-compatible)`,
    '',
    'Usage: cairn <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`),
    '',
    'Every command takes --json (machine-readable output), -q (quiet), -v (verbose), -h (help).',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    out(usage());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    out(VERSION);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ERROR: unknown command '${name}'. Run \`cairn --help\` to see the commands.\n`);
    return 254;
  }
  let parsed: { values: Record<string, any>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...common, ...command.options }, allowPositionals: true, strict: true }) as any;
  } catch (err) {
    process.stderr.write(`ERROR: ${(err as Error).message}. Usage: ${command.usage}\n`);
    return 254;
  }
  if (parsed.values.help) {
    out(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nCancelling (press Ctrl-C again to quit at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await command.run({ ...parsed, signal: controller.signal });
  } catch (err) {
    if (err instanceof CairnError) {
      process.stderr.write(`ERROR: ${err.oneLine()}\n`);
      return err.code === 'ABORTED' ? 130 : 1;
    }
    process.stderr.write(`ERROR: unexpected error: ${(err as Error).message}\n`);
    if (parsed.values.verbose) process.stderr.write(`${(err as Error).stack}\n`);
    return 255;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
