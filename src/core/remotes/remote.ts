import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HashName } from '../hashing/hashNames';
import { assertObjectId } from '../hashing/objectId';

/**
 * A place objects are pushed to and fetched from, laid out as DVC lays out a cache:
 * `files/md5/<2 hex>/<30 hex>` for DVC 3 objects, `<2 hex>/<30 hex>` at the root for DVC 2.
 * Keys are those relative paths, always '/'-separated.
 */
export interface Remote {
  readonly name: string;
  /** The url as configured (no credentials are ever part of it). */
  readonly url: string;
  readonly kind: 'local' | 's3';
  /** Parallel transfers when the user gives no `-j` and the remote no `jobs`. */
  readonly defaultJobs: number;
  /** Whether one object is there (complete: partial uploads are never visible under a key). */
  exists(key: string, signal?: AbortSignal): Promise<boolean>;
  /** Every key under `prefix` (e.g. `files/md5/ab/`); none when the prefix does not exist. */
  list(prefix: string, signal?: AbortSignal): Promise<string[]>;
  /** Upload local files to their keys, each visible only once complete; one error (or undefined) per item. */
  putAll(items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]>;
  /**
   * Bring objects into the local cache: each is written to `stagingDir`, checked against its
   * name (an error with code ECORRUPT when it does not match, ENOENT when the remote lacks it)
   * and renamed into `objectsDir`; one error (or undefined) per item.
   */
  getAll(items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]>;
  remove(key: string, signal?: AbortSignal): Promise<void>;
  /** DVC's run-cache entries on the remote (`runs/<ab>/<key>/<value>`, see pipeline/runCache), as keys; none when it has none. */
  listRunEntries(signal?: AbortSignal): Promise<string[]>;
  /** A run-cache entry's bytes; past `maxBytes` a LIMIT_EXCEEDED error, unread. */
  readRunEntry(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer>;
  /** Write a run-cache entry, visible only once complete. */
  writeRunEntry(key: string, bytes: Buffer, signal?: AbortSignal): Promise<void>;
  /**
   * What interrupted uploads left behind and nothing has written to for `idleMs` (temp files
   * beside objects, multipart uploads never completed): ids for `removeAbandoned`. Never an object.
   */
  abandonedUploads(idleMs: number, signal?: AbortSignal): Promise<string[]>;
  removeAbandoned(id: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export interface PutItem {
  /** The cache file. */
  file: string;
  key: string;
  size: number;
}

export interface GetItem {
  key: string;
  /** The object's name in the cache: its md5, or `<md5>.dir`. */
  name: string;
  hashName: HashName;
  /** Where it goes: the cache's `files/md5` (DVC 3) or the cache root (DVC 2). */
  objectsDir: string;
}

export interface BatchProgress {
  done: number;
  bytes: number;
  totalBytes?: number;
}

export interface BatchOptions {
  /** Transfers at once. */
  jobs: number;
  signal?: AbortSignal;
  /** Items finished and bytes moved so far; `totalBytes` from a remote that knows the batch's sizes. */
  onProgress?: (p: BatchProgress) => void;
}

/** The key of an object in a remote (and its path under a cache dir). */
export function objectKey(md5: string, hashName: HashName): string {
  assertObjectId(md5);
  const rel = `${md5.slice(0, 2)}/${md5.slice(2)}`;
  return hashName === 'md5' ? `files/md5/${rel}` : rel;
}

/** Options of one object's transfer, for remotes that move one object per request. */
export interface TransferOptions {
  signal?: AbortSignal;
  /** Bytes moved since the last call. */
  onBytes?: (delta: number) => void;
}

const OBJECT_KEY = /^(files\/md5\/)?[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/;

/**
 * Whether a key (or a path under a cache folder, '/'-separated) has an object's shape: the
 * only files Cairn treats as objects in a remote or cache, whatever else the folder holds.
 */
export function isObjectKey(key: string): boolean {
  return OBJECT_KEY.test(key);
}

/** The layouts' object folders under a cache or remote root: DVC 3's, then DVC 2's at the root. */
export const LAYOUTS = ['files/md5/', ''] as const;
export const isPrefixFolder = (name: string) => /^[0-9a-f]{2}$/.test(name);

/**
 * Every file in the prefix folders of a folder laid out as a cache or remote (`files/md5/ab/…`,
 * and DVC 2's `ab/…` at the root), as keys; temp files and anything else there included. A
 * folder on the way that is a link (planted in a shared cache or remote) is not entered.
 */
export function layoutFiles(root: string): string[] {
  const keys: string[] = [];
  for (const base of LAYOUTS) {
    const dir = layoutFolder(root, base);
    if (dir === undefined) continue;
    for (const prefix of subfolders(dir)) {
      if (isPrefixFolder(prefix)) for (const name of readdirOrEmpty(path.join(dir, prefix))) keys.push(`${base}${prefix}/${name}`);
    }
  }
  return keys;
}

/** The folder of a layout (`files/md5/`, or '' for the root), or undefined when a folder on the way from the root is a link. */
export function layoutFolder(root: string, base: string): string | undefined {
  let dir = root;
  for (const part of base.split('/').filter(Boolean)) {
    dir = path.join(dir, part);
    if (fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
  }
  return dir;
}

/** The folders in `dir`, links to folders left out. */
export function subfolders(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
