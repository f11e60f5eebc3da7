/**
 * The shapes of `metrics show --json` / `params show --json` (per revision, per file) and of
 * `metrics diff --json` / `params diff --json`, as DVC 3 prints them.
 */

/** An error as DVC encodes it in JSON output: its exception type and message. */
export interface EncodedError {
  type: string;
  msg: string;
}

/** One file at one revision: its data, or why it could not be read. */
export type FileResult = { data: unknown; error?: undefined } | { error: EncodedError; data?: undefined };

/** One revision: its files, or why the revision could not be read at all. */
export type RevisionResult = { data: Record<string, FileResult>; error?: undefined } | { error: EncodedError; data?: undefined };

/** `show --json`: revision name (`''` for the workspace alone, else `workspace` and `a,b` names) → result. */
export type ShowResult = Record<string, RevisionResult>;

/** One changed value: old and new (null when absent), and new - old when both are numbers. */
export interface ValueChange {
  old: unknown;
  new: unknown;
  diff?: number;
}

/** `diff --json`: file → flattened key → change (`''` as key when a file holds a lone value). */
export type DiffResult = Record<string, Record<string, ValueChange>>;

export function encodeError(err: unknown): EncodedError {
  if (err && typeof err === 'object' && 'type' in err && typeof (err as { type: unknown }).type === 'string') {
    const e = err as Error & { type: string; oneLine?: () => string };
    return { type: e.type, msg: e.oneLine ? e.oneLine() : e.message };
  }
  const e = err as Error & { oneLine?: () => string };
  return { type: e?.name ?? 'Error', msg: e?.oneLine ? e.oneLine() : String(e?.message ?? err) };
}
