import type { Repo } from '../repo/repo';
import { isDict } from '../metrics/flatten';
import { brokerMessages, BrokerFolder, removeMessage } from './queueBroker';

/** The queue dvc's tasks go to (celery's default); its messages are never cleaned. */
const TASK_QUEUE = 'celery';
/** Where workers' replies to control messages land. */
const PIDBOX_REPLIES = `reply.${TASK_QUEUE}.pidbox`;

/**
 * `exp clean` as dvc's (dvc: experiments/clean.py → dvc-task `FSApp.clean`): the queue broker's
 * leftover messages go — those of other queues that have expired, processed ones that carry a
 * reply ticket, and workers' replies to control messages. Tasks of dvc's queue stay. Returns the
 * files removed (repo-relative).
 */
export async function expClean(repo: Repo, now = Date.now() / 1000): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of ['in', 'processed'] as const) {
    for (const { file, message } of await brokerMessages(repo, folder)) {
      if (!isLeftover(message, folder, now)) continue;
      removeMessage(file);
      removed.push(repo.rel(file));
    }
  }
  return removed;
}

/** Whether dvc-task's `_gc` / `_clean_pidbox` would delete a message of this folder. */
function isLeftover(message: Record<string, unknown>, folder: BrokerFolder, now: number): boolean {
  const properties = isDict(message.properties) ? message.properties : {};
  const delivery = isDict(properties.delivery_info) ? properties.delivery_info : {};
  const headers = isDict(message.headers) ? message.headers : {};
  if (folder === 'in' && delivery.exchange === PIDBOX_REPLIES) return true;
  if (delivery.routing_key === TASK_QUEUE) return false;
  const expired = typeof headers.expires === 'number' && headers.expires <= now;
  return expired || (folder === 'processed' && !!headers.ticket);
}
