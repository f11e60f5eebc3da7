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

/**
 * Whether the process runs in `root` (its working folder is `root` or below): true or false
 * where /proc tells, undefined where it cannot be told (no /proc; another user's process).
 */
export function runsIn(pid: number, root: string): boolean | undefined {
  if (!hasProc()) return undefined;
  let cwd: string;
  let realRoot: string;
  try {
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    realRoot = fs.realpathSync(root);
  } catch {
    return undefined;
  }
  return cwd === realRoot || cwd.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
}
