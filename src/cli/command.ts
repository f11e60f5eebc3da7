import { randomUUID } from 'node:crypto';
import * as readline from 'node:readline';
import { CairnError } from '../core/errors';
import { unreadableFiles } from '../core/outputs/unreadableFiles';
import { redactUrlsIn } from '../core/remotes/redactUrl';
import { Repo } from '../core/repo/repo';

/** One option of a command: how it is parsed (`node:util` parseArgs) and what `--help` says of it. */
export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  /** The command refuses to run without it (usage shows it without brackets). */
  required?: boolean;
  /** What it does, for `--help`. */
  help: string;
  /** A string option's value as usage and help show it, e.g. `<number>` (default `<value>`). */
  value?: string;
  /** The value a string option takes when given without one (`--untracked-files` = `all`, as argparse's `const`). */
  valueWhenBare?: string;
}

/** Arguments with a bare option that has a `valueWhenBare` given that value (it is bare when nothing, or another option, follows). */
export function withBareValues(args: string[], options: Options): string[] {
  const filled: string[] = [];
  args.forEach((arg, i) => {
    filled.push(arg);
    const spec = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (spec?.valueWhenBare !== undefined && (i + 1 >= args.length || args[i + 1].startsWith('-'))) filled.push(spec.valueWhenBare);
  });
  return filled;
}

export type Options = Record<string, OptionSpec>;

/** A positional argument as usage shows it (`<path>...`, `[targets...]`) and what it is. */
export interface Argument {
  name: string;
  help: string;
}

/** One `cairn` command (or a group of subcommands, like `cairn metrics show|diff`). */
export interface Command {
  summary: string;
  /** Its positional arguments, in order; none when absent. */
  args?: Argument[];
  options: Options;
  run(args: { values: Record<string, any>; positionals: string[]; signal: AbortSignal }): Promise<number>;
}

export interface CommandGroup {
  summary: string;
  subcommands: Record<string, Command>;
}

export type CommandTable = Record<string, Command | CommandGroup>;

export const isGroup = (c: Command | CommandGroup): c is CommandGroup => 'subcommands' in c;

/** The options every command takes. */
export const commonOptions: Options = {
  help: { type: 'boolean', short: 'h', help: 'Show this help and exit.' },
  quiet: { type: 'boolean', short: 'q', help: 'Print nothing but errors.' },
  verbose: { type: 'boolean', short: 'v', help: 'Print more: where an unexpected error came from (and hints, for lint).' },
  json: { type: 'boolean', help: 'Print the result as JSON, in a stable shape for scripts.' },
};

export const out = (s: string) => process.stdout.write(s + '\n');
/** JSON as dvc prints it: a float that is not finite as Python writes it (`NaN`, `Infinity`, `-Infinity`), not `null`. */
export const printJson = (v: unknown) => out(pythonJsonText(v));

export function pythonJsonText(v: unknown): string {
  const marker = `cairn-nonfinite-${randomUUID()}:`;
  const text = JSON.stringify(v, (_key, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `${marker}${x}` : x));
  return text.includes(marker) ? text.replace(new RegExp(`"${marker}(NaN|-?Infinity)"`, 'g'), '$1') : text;
}

/**
 * Runs a command on the repository of the working folder (or of `folder`). Files the command had to leave out
 * (`unreadableFiles`: one bad `.dvc` file does not stop the others) are printed, one line each,
 * and make the exit code non-zero.
 */
export async function withRepo<T>(fn: (repo: Repo) => Promise<T>, hashJobs?: string, folder = process.cwd()): Promise<T> {
  let unreadable: CairnError[] = [];
  try {
    const result = await Repo.using(folder, { hashJobs: hashJobs ? Number(hashJobs) : undefined }, async (repo) => {
      try {
        return await fn(repo);
      } finally {
        unreadable = unreadableFiles(repo);
      }
    });
    return (typeof result === 'number' && unreadable.length ? Math.max(result, 1) : result) as T;
  } finally {
    for (const err of unreadable) process.stderr.write(`ERROR: ${redactUrlsIn(err.oneLine())}\n`);
  }
}

export async function confirmOnTty(question: string): Promise<boolean> {
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

export { shellQuote } from '../core/shellQuote';

/** A GitHub-flavoured markdown table (for pull-request comments), columns padded to line up. */
export function markdownTable(header: string[], cells: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line), ''].join('\n');
}
