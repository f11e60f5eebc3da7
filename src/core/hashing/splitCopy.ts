import * as fs from 'node:fs';
import type { WorkerTask } from './workerProtocol';
import { tryClone } from '../repo/atomicWrite';

export type CopyRangeTask = Extract<WorkerTask, { op: 'copyRange' }>;

/** A file is copied by several threads at once, each a range of it, from this size on: one thread's copy is bound by its memory copies. */
export const SPLIT_RANGE_BYTES = 32 << 20;
/** Ranges start on these boundaries (the copy's piece size). */
const RANGE_ALIGN = 1 << 20;

/**
 * The 'copyRange' tasks by which several threads copy `source` (exactly `size` bytes) into
 * `tmp` at once, one per thread and none under SPLIT_RANGE_BYTES; undefined for a file that
 * one task should copy. On ext4 here a GiB copied by two threads took ~0.25 s against ~0.37 s
 * by one: one thread's reads overlap the other's writes. Once all are done, `publishSplitCopy`
 * makes `tmp` the target. `tmp` is asked for only when the file is split.
 */
export function splitCopyTasks(source: string, size: number, threads: number, tmp: () => string): CopyRangeTask[] | undefined {
  const count = Math.min(threads, Math.floor(size / SPLIT_RANGE_BYTES));
  if (count < 2) return undefined;
  const target = tmp();
  const step = Math.ceil(size / count / RANGE_ALIGN) * RANGE_ALIGN;
  const tasks: CopyRangeTask[] = [];
  for (let start = 0; start < size; start += step) tasks.push({ op: 'copyRange', path: source, target, start, end: Math.min(size, start + step) });
  return tasks;
}

/** A big copy under way: its range tasks fill `tmp`, which publishSplitCopy then makes the target. */
export interface BigCopy {
  tmp: string;
  size: number;
  tasks: CopyRangeTask[];
}

/**
 * Start copying `source` (exactly `size` bytes) to `target` when it is big enough to split:
 * with `clone`, cloned at once (final `mode`) where the file system makes clones; else the
 * range tasks into the temp file `tmp()` gives. Undefined for a file one task should copy.
 */
export function startBigCopy(source: string, target: string, size: number, threads: number, tmp: () => string, mode: number, clone: boolean): BigCopy | 'cloned' | undefined {
  const tasks = splitCopyTasks(source, size, threads, tmp);
  if (!tasks) return undefined;
  const at = tasks[0].target;
  if (clone) {
    try {
      if (tryClone(source, at, mode)) {
        fs.renameSync(at, target);
        return 'cloned';
      }
    } catch (err) {
      fs.rmSync(at, { force: true });
      throw err;
    }
  }
  return { tmp: at, size, tasks };
}

/** Give the copy in `tmp` its final `mode` and rename it to `target`, once its size is the source's. */
export function publishSplitCopy(tmp: string, target: string, size: number, mode: number): void {
  const copied = fs.statSync(tmp).size;
  if (copied !== size) throw new Error(`copied ${copied} of ${size} bytes to ${target}`);
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, target);
}
