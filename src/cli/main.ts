import { parseArgs } from 'node:util';
import { CairnError } from '../core/errors';
import { redactUrlsIn } from '../core/remotes/redactUrl';
import { Command, CommandGroup, CommandTable, Options, out } from './command';
import { dataCommands } from './dataCommands';
import { pipelineCommands } from './pipelineCommands';
import { metricsCommands } from './metricsCommands';
import { remoteCommands } from './remoteCommands';
import { expCommands } from './expCommands';

const VERSION = '0.1.0';

const common: Options = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

/** Every command, by the name typed after `cairn`; each area of the core brings its own table. */
const commands: CommandTable = { ...dataCommands, ...pipelineCommands, ...metricsCommands, ...remoteCommands, ...expCommands };

const isGroup = (c: Command | CommandGroup): c is CommandGroup => 'subcommands' in c;

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

function groupUsage(name: string, group: CommandGroup): string {
  const subs = Object.keys(group.subcommands);
  const width = Math.max(...subs.map((n) => n.length));
  return [`${group.summary}`, '', `Usage: cairn ${name} <${subs.join('|')}> [options]`, '', ...subs.map((s) => `  ${s.padEnd(width)}  ${group.subcommands[s].summary}`)].join('\n');
}

/** The command named by the first words of argv, and the arguments left for it. */
function resolve(argv: string[]): { command: Command; rest: string[] } | number {
  const [name, ...rest] = argv;
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`ERROR: unknown command '${name}'. Run \`cairn --help\` to see the commands.\n`);
    return 254;
  }
  if (!isGroup(entry)) return { command: entry, rest };
  const [sub, ...subRest] = rest;
  if (!sub || sub === '-h' || sub === '--help') {
    out(groupUsage(name, entry));
    return sub ? 0 : 254;
  }
  const command = entry.subcommands[sub];
  if (!command) {
    process.stderr.write(`ERROR: unknown command 'cairn ${name} ${sub}'. Run \`cairn ${name} --help\` to see its commands.\n`);
    return 254;
  }
  return { command, rest: subRest };
}

export async function main(argv: string[]): Promise<number> {
  const [name] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    out(usage());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    out(VERSION);
    return 0;
  }
  const resolved = resolve(argv);
  if (typeof resolved === 'number') return resolved;
  const { command, rest } = resolved;
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
