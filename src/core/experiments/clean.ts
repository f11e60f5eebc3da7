import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { readRepoFile } from '../repo/readRepoFile';
import { isDict } from '../metrics/flatten';

/** dvc's queue app's broker (dvc: experiments/queue/celery.py, dvc_task/app/filesystem.py): `.dvc/tmp/exps/celery/broker/`. */
const BROKER = ['tmp', 'exps', 'celery', 'broker'];
/** The queue dvc's tasks go to (celery's default); its messages are never cleaned. */
const TASK_QUEUE = 'celery';
/** Where workers' replies to control messages land. */
const PIDBOX_REPLIES = `reply.${TASK_QUEUE}.pidbox`;
/** A broker message is small JSON; a bigger file is not one, and stays. */
const MAX_MESSAGE = 16 * 1024 * 1024;

/**
 * `exp clean` as dvc's (dvc: experiments/clean.py → dvc-task `FSApp.clean`): the queue broker's
 * leftover messages go — those of other queues that have expired, processed ones that carry a
 * reply ticket, and workers' replies to control messages. Tasks of dvc's queue stay. Returns the
 * files removed (repo-relative). Only regular files inside real folders under `.dvc` are read or removed.
 */
export async function expClean(repo: Repo, now = Date.now() / 1000): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of ['in', 'processed'] as const) {
    const dir = realFolderUnder(repo.dvcDir, [...BROKER, folder]);
    if (!dir) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const message = await readMessage(file);
      if (message && isLeftover(message, folder, now)) {
        fs.rmSync(file, { force: true }); // a regular file: rm removes it, never what a link names
        removed.push(repo.rel(file));
      }
    }
  }
  return removed;
}

/** Whether dvc-task's `_gc` / `_clean_pidbox` would delete a message of this folder. */
function isLeftover(message: Record<string, unknown>, folder: 'in' | 'processed', now: number): boolean {
  const properties = isDict(message.properties) ? message.properties : {};
  const delivery = isDict(properties.delivery_info) ? properties.delivery_info : {};
  const headers = isDict(message.headers) ? message.headers : {};
  if (folder === 'in' && delivery.exchange === PIDBOX_REPLIES) return true;
  if (delivery.routing_key === TASK_QUEUE) return false;
  const expired = typeof headers.expires === 'number' && headers.expires <= now;
  return expired || (folder === 'processed' && !!headers.ticket);
}

/** A broker message file as JSON, or undefined for anything else (a link, a FIFO, an empty or foreign file). */
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

/** `base/parts...` when every folder on the way is a real folder (no link), else undefined. */
function realFolderUnder(base: string, parts: string[]): string | undefined {
  let dir = base;
  for (const part of ['', ...parts]) {
    dir = part ? path.join(dir, part) : dir;
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return undefined;
  }
  return dir;
}
