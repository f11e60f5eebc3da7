import { nearestName } from '../core/nearestName';
import { Command, CommandGroup, CommandTable, commonOptions, isGroup, OptionSpec, Options } from './command';

const WIDTH = 80;

/** Every option of a command: its own, then those every command takes (a command may say more of one: status's -q). */
export function allOptions(command: Command): Options {
  return Object.fromEntries(Object.entries({ ...command.options, ...commonOptions }).map(([name, spec]) => [name, command.options[name] ?? spec]));
}

/** `-j <number>`, `--dry`: an option as the usage line shows it. */
function optionSyntax(name: string, spec: OptionSpec): string {
  const flag = spec.short ? `-${spec.short}` : `--${name}`;
  return spec.type === 'string' ? `${flag} ${spec.value ?? '<value>'}` : flag;
}

/** Words laid out in lines of at most WIDTH characters, continuation lines indented by `indent`. */
function wrap(words: string[], first: string, indent: number): string[] {
  const lines = [first];
  for (const word of words) {
    const last = lines[lines.length - 1];
    const joined = last.endsWith(' ') ? `${last}${word}` : `${last} ${word}`;
    if (last.trim() && joined.length > WIDTH) lines.push(' '.repeat(indent) + word);
    else lines[lines.length - 1] = joined;
  }
  return lines;
}

/** `cairn add [-h] [-q] [-v] [--json] [-j <number>] <path>...`, wrapped under its first option. */
export function usageLine(words: string[], command: Command): string {
  const head = `Usage: cairn ${words.join(' ')}`;
  const options = { ...commonOptions, ...allOptions(command) };
  const parts = Object.entries(options).map(([name, spec]) => {
    const syntax = spec.required ? optionSyntax(name, spec) : `[${optionSyntax(name, spec)}]`;
    return spec.multiple ? `${syntax}...` : syntax;
  });
  return wrap([...parts, ...(command.args ?? []).map((a) => a.name)], head, head.length + 1).join('\n');
}

/** A two-column list (names, then what they are), the text wrapped beside the names. */
function describedList(rows: [string, string][]): string[] {
  const column = Math.min(30, Math.max(...rows.map(([name]) => name.length)) + 4);
  return rows.flatMap(([name, text]) => {
    const first = `  ${name}`.padEnd(column);
    return name.length + 4 > column ? [`  ${name}`, ...wrap(text.split(' '), ' '.repeat(column), column)] : wrap(text.split(' '), first, column);
  });
}

/** `cairn <command> --help`: what it does, its usage, each argument and option described. */
export function commandHelp(words: string[], command: Command): string {
  const options = allOptions(command);
  const optionRows = Object.entries(options).map(([name, spec]): [string, string] => {
    const value = spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : '';
    return [`${spec.short ? `-${spec.short}, ` : ''}--${name}${value}`, spec.help];
  });
  return [
    command.summary,
    '',
    usageLine(words, command),
    ...(command.args?.length ? ['', 'Arguments:', ...describedList(command.args.map((a) => [a.name, a.help]))] : []),
    '',
    'Options:',
    ...describedList(optionRows),
  ].join('\n');
}

/** `cairn <group> --help`: its subcommands. */
export function groupHelp(name: string, group: CommandGroup): string {
  const subs = Object.keys(group.subcommands);
  return [
    group.summary,
    '',
    `Usage: cairn ${name} <${subs.join('|')}> [options]`,
    '',
    'Commands:',
    ...describedList(subs.map((s) => [s, group.subcommands[s].summary])),
    '',
    `Run \`cairn ${name} <command> --help\` for a command's options.`,
  ].join('\n');
}

/** `cairn --help`: every command. */
export function mainHelp(commands: CommandTable, version: string): string {
  return [
    `cairn ${version} — version ML data and models beside git (DVC-compatible)`,
    '',
    'Usage: cairn <command> [options]',
    '',
    'Commands:',
    ...describedList(Object.entries(commands).map(([name, c]) => [name, c.summary])),
    '',
    'Every command takes --json (machine-readable output), -q (quiet), -v (verbose), -h (help).',
    'Run `cairn help <command>` (or `cairn <command> --help`) for its arguments and options.',
  ].join('\n');
}

/** The command (or group) named by `words`, or one line saying which word is not known, with a suggestion. */
export function findCommand(commands: CommandTable, words: string[]): { entry: Command | CommandGroup; used: string[] } | { error: string } {
  const [name, sub] = words;
  const entry = commands[name];
  if (!entry) return { error: `${unknown(`'${name}' is not a cairn command`, name, Object.keys(commands))} Run \`cairn --help\` to see the commands.` };
  if (!isGroup(entry) || sub === undefined) return { entry, used: [name] };
  const command = entry.subcommands[sub];
  if (!command) return { error: `${unknown(`'${sub}' is not a command of 'cairn ${name}'`, sub, Object.keys(entry.subcommands))} Run \`cairn ${name} --help\` to see them.` };
  return { entry: command, used: [name, sub] };
}

function unknown(what: string, typed: string, names: string[]): string {
  const near = nearestName(typed, names);
  return near ? `${what}. Did you mean '${near}'?` : `${what}.`;
}

/**
 * One line for an argument error of `node:util`'s parseArgs (its own text quotes badly and
 * names no command): the option at fault, the option meant when one is close, and where to look.
 */
export function argumentError(err: Error & { code?: string }, words: string[], command: Command): string {
  const cmd = `cairn ${words.join(' ')}`;
  const see = `Run \`${cmd} --help\` to see its options.`;
  const quoted = /Option '([^']+)'/.exec(err.message)?.[1] ?? '';
  // `-j, --jobs <value>`: the long name says it best.
  const option = /--[^\s,]+/.exec(quoted)?.[0] ?? quoted.split(/[\s,]/)[0];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = /Unknown option '([^']+)'/.exec(err.message)?.[1] ?? '';
    const options = allOptions(command);
    const names = typed.startsWith('--')
      ? Object.keys(options).map((n) => `--${n}`)
      : Object.values(options).flatMap((o) => (o.short ? [`-${o.short}`] : []));
    const near = nearestName(typed.split('=')[0], names);
    return `unknown option '${typed}' for '${cmd}'.${near ? ` Did you mean '${near}'?` : ''} ${see}`;
  }
  if (/does not take an argument/.test(err.message)) return `option '${option}' takes no value. ${see}`;
  if (/argument missing|ambiguous/.test(err.message)) {
    const spec = Object.entries(allOptions(command)).find(([name, o]) => `--${name}` === option || `-${o.short}` === option);
    const value = spec ? ` ${spec[1].value ?? '<value>'}` : ' <value>';
    return `option '${option}' needs a value: ${option}${value}. ${see}`;
  }
  return `${err.message.split('\n')[0].replace(/\.$/, '')}. ${see}`;
}
