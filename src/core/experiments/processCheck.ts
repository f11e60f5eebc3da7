import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * Which process a pid names. The run records under `.dvc/tmp` (Cairn's queue, dvc's workspace
 * run) name processes by pid, and `.dvc/tmp` is not in git: it may have come with an archive or a
 * shared folder, naming any process. A pid there is believed only once the process is seen to be
 * the one that writes such a record: by its arguments and, where the system tells, the folder it
 * runs in. Linux tells both through /proc; where /proc is missing (macOS) the arguments come from
 * POSIX `ps` and the folder is not known.
 */

/** Whether `pid` runs: it exists and, where /proc tells, is no zombie (a killed process may wait a while to be reaped). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

const hasProc = () => fs.existsSync('/proc/self/cmdline');

/** A process's arguments (the program first), or undefined when it is gone or cannot be read. */
export function processArguments(pid: number): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!hasProc()) return processArgumentsByPs(pid);
  try {
    const text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text ? text.replace(/\0$/, '').split('\0') : undefined;
  } catch {
    return undefined;
  }
}

/** The arguments `ps` shows (POSIX `-o args`), split at spaces: an argument holding a space reads as two. */
export function processArgumentsByPs(pid: number): string[] | undefined {
  try {
    const line = execFileSync('/bin/ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return line ? line.split(/\s+/) : undefined;
  } catch {
    return undefined; // ps exits 1 when there is no such process
  }
}

/** Whether an argument (with those before it) names the dvc program: a script run by Python, a binary, or `python -m dvc`. */
export function isDvcProgram(arg: string, i: number, before: readonly string[]): boolean {
  return /^dvc(\.exe)?$/.test(path.basename(arg)) || (arg === '-m' && before[i + 1] === 'dvc');
}

/** Whether an argument names Cairn's CLI: `cairn` (the linked bin) or the bundle `dist/cli.js` run by node (or by VS Code's Electron as node). */
export function isCairnProgram(arg: string): boolean {
  return /^cairn(\.cmd)?$/.test(path.basename(arg)) || /(^|[\\/])dist[\\/]cli\.js$/.test(arg);
}

/** Where `exp <command>` starts in a command line, when a program `isProgram` names comes before it; else -1. */
export function expCommandAt(args: readonly string[], command: string, isProgram: (arg: string, i: number, before: readonly string[]) => boolean): number {
  const at = args.findIndex((arg, i) => arg === 'exp' && args[i + 1] === command);
  const before = args.slice(0, Math.max(at, 0));
  return at >= 0 && before.some((arg, i) => isProgram(arg, i, before)) ? at : -1;
}

/**
 * Whether the process runs in `root` (its working folder is `root` or below): true or false
 * where there is /proc (a folder it does not let us read, as another user's, is not `root`),
 * undefined where there is none.
 */
export function runsIn(pid: number, root: string): boolean | undefined {
  if (!hasProc()) return undefined;
  let cwd: string;
  let realRoot: string;
  try {
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    realRoot = fs.realpathSync(root);
  } catch {
    return false;
  }
  return cwd === realRoot || cwd.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
}

/**
 * `pid` and the processes descending from it that share its process group, from /proc (empty
 * where there is none): what Ctrl-C in its terminal reaches of it. Children that made a group of
 * their own (daemons) are not among them, as Ctrl-C does not reach them; nor is its parent.
 */
export function processAndGroupDescendants(pid: number): number[] {
  if (!hasProc()) return [];
  const stats = new Map<number, { ppid: number; group: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses, so fields count from the last ')'.
      const [, ppid, group] = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(ppid), group: Number(group) });
    } catch {
      // gone meanwhile
    }
  }
  const group = stats.get(pid)?.group;
  if (group === undefined) return [];
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    for (const [child, stat] of stats) if (stat.ppid === found[i] && stat.group === group) found.push(child);
  }
  return found;
}
