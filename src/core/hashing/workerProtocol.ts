import type { HashName } from './hashNames';
import type { FileHash } from './hashFile';
import type { LinkType } from '../cache/linkFromCache';
import type { FileStat } from './statIndex';
import type { ObjectCheck, ObjectToCheck } from '../cache/verifyObjects';

/** A 'link' task's answer: how the file was made, and its stat for the stat index (taken in the worker, not one by one on the main thread). */
export interface LinkResult {
  linkType: LinkType;
  stat: FileStat | undefined;
}

/** The typed messages between the hash pool and its worker threads. */
export type WorkerTask =
  | { op: 'hash'; path: string; hashName: HashName }
  | { op: 'store'; path: string; objectsDir: string; stagingDir: string; reflink: boolean }
  /** Copy a file into the staging folder; its hash comes from a parallel 'hash' task. */
  | { op: 'copy'; path: string; stagingDir: string }
  | { op: 'link'; path: string; objectPath: string; linkTypes: LinkType[]; isexec: boolean; stagingDir: string }
  /** Copy bytes [start, end) of `path` into `target` at the same offsets (a range of a big file; see splitCopy.ts). */
  | { op: 'copyRange'; path: string; target: string; start: number; end: number }
  /** Publish a cache object at `target` (a local remote's key), atomically. */
  | { op: 'put'; path: string; target: string }
  /** Bring object `name` from a local remote's `path` into the store, verified against its name. */
  | { op: 'fetch'; path: string; objectsDir: string; stagingDir: string; name: string; hashName: HashName }
  /** Check cache objects against their names before they leave the cache (see verifyObjects); answers an ObjectCheck each. */
  | { op: 'verify'; objects: ObjectToCheck[] }
  /** The sizes of many files at once (-1 for one that is missing): a stat loop off the main thread. */
  | { op: 'sizes'; paths: string[] }
  /** The md5 of a file being written as it grows (see hashFollowingSync); answers a FileHash. */
  | { op: 'hashFollowing'; path: string; progress: BigInt64Array };

export type WorkerResult = { ok: true; value: FileHash | LinkResult | { staged: string } | number[] | ObjectCheck[] | undefined } | { ok: false; error: string; errno?: string };

/** From this size a file is hashed by one worker while another copies it (a 'hash' and a 'copy' task): about one read instead of two passes. */
export const SPLIT_COPY_BYTES = 32 << 20;
