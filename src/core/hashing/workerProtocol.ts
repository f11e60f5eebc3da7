import type { HashName } from './hashNames';
import type { FileHash } from './hashFile';
import type { LinkType } from '../cache/linkFromCache';

/** The typed messages between the hash pool and its worker threads. */
export type WorkerTask =
  | { op: 'hash'; path: string; hashName: HashName }
  | { op: 'store'; path: string; objectsDir: string; stagingDir: string; reflink: boolean }
  | { op: 'link'; path: string; objectPath: string; linkTypes: LinkType[]; isexec: boolean; stagingDir: string };

export type WorkerValue<T extends WorkerTask> = T['op'] extends 'link' ? { linkType: LinkType } : FileHash;

export type WorkerResult = { ok: true; value: FileHash | { linkType: LinkType } } | { ok: false; error: string; errno?: string };
