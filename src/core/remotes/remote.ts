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
  /** Put a local file at `key`; visible only once complete. */
  upload(localFile: string, key: string, size: number, options: TransferOptions): Promise<void>;
  /** Write the object at `key` into `localFile` (which the caller verifies and renames). */
  /** Create `localFile` read-only (0444) with the object's bytes; returns their md5 and size, computed as they went by. */
  download(key: string, localFile: string, options: TransferOptions): Promise<{ md5: string; size: number }>;
  remove(key: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Bytes moved since the last call. */
  onBytes?: (delta: number) => void;
}

/** The key of an object in a remote (and its path under a cache dir). */
export function objectKey(md5: string, hashName: 'md5' | 'md5-dos2unix'): string {
  const rel = `${md5.slice(0, 2)}/${md5.slice(2)}`;
  return hashName === 'md5' ? `files/md5/${rel}` : rel;
}
