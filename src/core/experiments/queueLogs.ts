import * as fs from 'node:fs';
import type { Repo } from '../repo/repo';
import { QueueEntry, QueueEntryState, queueLogPath, queueStates } from './runQueue';

/**
 * The logs of queue entries as they grow: `onText` gets each entry's new output (whole lines
 * while it runs, the rest at its end). With `follow`, until every entry has ended (or `signal`
 * aborts); without, what the logs hold now. Returns the entries' last states.
 */
export async function readQueueLogs(
  repo: Repo,
  ids: readonly string[],
  options: { follow: boolean; onText?: (entry: QueueEntry, text: string) => void; onEnd?: (state: QueueEntryState) => Promise<void> | void; signal?: AbortSignal; intervalMs?: number },
): Promise<QueueEntryState[]> {
  const offsets = new Map<string, number>();
  const reported = new Set<string>();
  const printNew = (entry: QueueEntry, ended: boolean) => {
    if (!options.onText) return; // only the ends are wanted: no log is read
    const file = queueLogPath(repo, entry.id);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      return;
    }
    const from = offsets.get(entry.id) ?? 0;
    // Whole lines only while it runs, so two entries' lines are never cut into each other.
    const to = ended ? data.length : data.lastIndexOf(10) + 1;
    if (to <= from) return;
    offsets.set(entry.id, to);
    options.onText(entry, data.subarray(from, to).toString('utf8'));
  };
  for (;;) {
    const states = (await queueStates(repo)).filter((s) => ids.includes(s.entry.id));
    const going = (s: QueueEntryState) => s.status === 'queued' || s.status === 'running';
    for (const state of states) {
      printNew(state.entry, !going(state) || !options.follow);
      if (!going(state) && !reported.has(state.entry.id)) {
        reported.add(state.entry.id);
        await options.onEnd?.(state);
      }
    }
    if (!options.follow || options.signal?.aborted || !states.some(going)) return states;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
