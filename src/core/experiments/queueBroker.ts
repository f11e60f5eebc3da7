import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { readRepoFile } from '../repo/readRepoFile';
import { isDict } from '../metrics/flatten';

/**
 * The message files of dvc's queue (dvc-task's `FSApp`, kombu's filesystem transport) under
 * `.dvc/tmp/exps/celery/broker/{in,processed}`: `in` holds tasks waiting for a worker (and
 * control replies), `processed` those a worker took. `.dvc/tmp` is no part of git, but an archive
 * may hold anything: only regular files in real folders (no link on the way from `.dvc`) are read.
 */

export type BrokerFolder = 'in' | 'processed';

export interface BrokerMessage {
  file: string;
  message: Record<string, unknown>;
}

/** dvc's task that runs a queued experiment (dvc: experiments/queue/tasks.py `run_exp`). */
const RUN_EXP_TASK = 'dvc.repo.experiments.queue.tasks.run_exp';
/** A broker message is small JSON; a bigger file is not one, and is left alone. */
const MAX_MESSAGE = 16 * 1024 * 1024;

/** The messages of one broker folder, in file-name order (kombu's); empty and foreign files left out. */
export async function brokerMessages(repo: Repo, folder: BrokerFolder): Promise<BrokerMessage[]> {
  const dir = realFolderUnder(repo.dvcDir, ['tmp', 'exps', 'celery', 'broker', folder]);
  if (!dir) return [];
  const messages: BrokerMessage[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    const message = await readMessage(file);
    if (message) messages.push({ file, message });
  }
  return messages;
}

/** A queued experiment as its task message names it: the stash commit and the name given (if any). */
export interface QueuedTask {
  file: string;
  stashRev: string;
  name: string | null;
}

/** The experiments waiting in dvc's queue: `run_exp` messages not yet taken by a worker (dvc's `iter_queued`). */
export async function queuedTasks(repo: Repo): Promise<QueuedTask[]> {
  const tasks: QueuedTask[] = [];
  for (const { file, message } of await brokerMessages(repo, 'in')) {
    const headers = isDict(message.headers) ? message.headers : {};
    if (headers.task !== RUN_EXP_TASK || typeof message.body !== 'string') continue;
    const entry = taskEntry(message.body);
    if (entry && typeof entry.stash_rev === 'string' && /^[0-9a-f]{40}$/.test(entry.stash_rev)) {
      tasks.push({ file, stashRev: entry.stash_rev, name: typeof entry.name === 'string' && entry.name ? entry.name : null });
    }
  }
  return tasks;
}

/** The `entry_dict` a `run_exp` message carries: its body is base64 JSON `[args, kwargs, embed]`. */
function taskEntry(body: string): Record<string, unknown> | undefined {
  try {
    const [args, kwargs] = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as unknown[];
    const entry = isDict(kwargs) && isDict(kwargs.entry_dict) ? kwargs.entry_dict : Array.isArray(args) ? args[0] : undefined;
    return isDict(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a message file (a regular file: rm removes it, never what a link would name). */
export function removeMessage(file: string): void {
  fs.rmSync(file, { force: true });
}

async function readMessage(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size === 0 || st.size > MAX_MESSAGE) return undefined;
    const parsed: unknown = JSON.parse((await readRepoFile(file)).toString('utf8'));
    return isDict(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `base/parts...` when it and every folder on the way is a real folder (no link), else undefined. */
function realFolderUnder(base: string, parts: string[]): string | undefined {
  let dir = base;
  for (const part of ['', ...parts]) {
    dir = part ? path.join(dir, part) : dir;
    if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  }
  return dir;
}
