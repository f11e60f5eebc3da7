import { parseArgs } from 'node:util';
import { CairnError } from '../core/errors';
import { redactUrlsIn } from '../core/remotes/redactUrl';
import { Command, CommandTable, isGroup, out, withBareValues } from './command';
import { allOptions, argumentError, commandHelp, findCommand, groupHelp, mainHelp } from './help';
import { dataCommands } from './dataCommands';
import { pipelineCommands } from './pipelineCommands';
import { metricsCommands } from './metricsCommands';
import { remoteCommands } from './remoteCommands';
import { expCommands } from './expCommands';
import { queueCommands } from './queueCommands';
import { modelCommands } from './modelCommands';
import { artifactsCommands } from './artifactsCommands';
import { lineageCommands } from './lineageCommands';

const VERSION = '0.1.0';

/** Every command, by the name typed after `cairn`; each area of the core brings its own table. */
export const commands: CommandTable = { ...dataCommands, ...pipelineCommands, ...metricsCommands, ...remoteCommands, ...expCommands, ...queueCommands, ...modelCommands, ...artifactsCommands, ...lineageCommands };

/** A usage error: one line on standard error and dvc's exit code for one (254), so scripts written for dvc still work. */
function usageError(message: string): number {
  process.stderr.write(`ERROR: ${message}\n`);
  return 254;
}

/** `cairn help [command [subcommand]]` and `--help` without a command. */
function help(words: string[]): number {
  if (words.length === 0) {
    out(mainHelp(commands, VERSION));
    return 0;
  }
  const found = findCommand(commands, words);
  if ('error' in found) return usageError(found.error);
  out(isGroup(found.entry) ? groupHelp(found.used[0], found.entry) : commandHelp(found.used, found.entry));
  return 0;
}

/** The command named by the first words of argv, and the arguments left for it. */
function resolve(argv: string[]): { command: Command; words: string[]; rest: string[] } | number {
  const [name, sub] = argv;
  const isOption = (w: string | undefined) => w === undefined || w.startsWith('-');
  const found = findCommand(commands, isOption(sub) ? [name] : [name, sub]);
  if ('error' in found) return usageError(found.error);
  if (isGroup(found.entry)) {
    if (sub === '-h' || sub === '--help') {
      out(groupHelp(name, found.entry));
      return 0;
    }
    process.stderr.write(`${groupHelp(name, found.entry)}\n`);
    return usageError(`'cairn ${name}' needs a command: ${Object.keys(found.entry.subcommands).join(', ')}.`);
  }
  return { command: found.entry, words: found.used, rest: argv.slice(found.used.length) };
}

/** Options dvc takes before the command too (`dvc -q status`): moved after it. */
const BEFORE_COMMAND = ['-q', '--quiet', '-v', '--verbose'];

export async function main(args: string[]): Promise<number> {
  const leading = args.findIndex((a) => !BEFORE_COMMAND.includes(a));
  const globals = leading < 0 ? args : args.slice(0, leading);
  const argv = args.slice(globals.length);
  const [name] = argv;
  if (!name || name === '-h' || name === '--help') return help([]);
  if (name === 'help') return help(argv.slice(1));
  if (name === '--version' || name === 'version') {
    out(VERSION);
    return 0;
  }
  if (name.startsWith('-')) return usageError(`unknown option '${name}': options go after the command (\`cairn status -q\`). Run \`cairn --help\` to see the commands.`);
  const resolved = resolve(argv);
  if (typeof resolved === 'number') return resolved;
  const { command, words } = resolved;
  const rest = [...globals, ...resolved.rest];
  let parsed: { values: Record<string, any>; positionals: string[] };
  try {
    parsed = parseArgs({ args: withBareValues(rest, command.options), options: allOptions(command), allowPositionals: true, strict: true }) as any;
  } catch (err) {
    return usageError(argumentError(err as Error, words, command));
  }
  if (parsed.values.help) {
    out(commandHelp(words, command));
    return 0;
  }
  const missing = Object.entries(command.options).find(([name, spec]) => spec.required && parsed.values[name] === undefined);
  if (missing) return usageError(`'cairn ${words.join(' ')}' needs --${missing[0]} ${missing[1].value ?? '<value>'} (${missing[1].help.replace(/\.$/, '').toLowerCase()}). Run \`cairn ${words.join(' ')} --help\` to see its options.`);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nCancelling (press Ctrl-C again to quit at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // `cairn … | head`: the reader went away; stop quietly, as other command-line tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    return await command.run({ ...parsed, signal: controller.signal });
  } catch (err) {
    // Messages may quote a remote's URL: its user-info never reaches the terminal.
    if (err instanceof CairnError) {
      process.stderr.write(`ERROR: ${redactUrlsIn(err.oneLine())}\n`);
      return err.code === 'ABORTED' ? 130 : 1;
    }
    process.stderr.write(`ERROR: unexpected error: ${redactUrlsIn(String((err as Error)?.message ?? err))}\n`);
    if (parsed.values.verbose) process.stderr.write(`${redactUrlsIn(String((err as Error)?.stack))}\n`);
    return 255;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// Run as `node dist/cairn.js` or `node out/src/cli/main.js`; dist/cli.js (launch.ts) loads it and calls main itself.
if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
