import { flatten, formatLists, isDict } from './flatten';
import type { DiffResult, FileResult, ValueChange } from './results';

/** Booleans count as numbers (0/1), as in Python, when comparing and subtracting. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Python's `==` for the scalar values a flattened file holds (1 == 1.0 == True). */
function pyEquals(a: unknown, b: unknown): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (a === undefined || a === null) return b === undefined || b === null;
  return a === b;
}

function diffValues(old: unknown, now: unknown, withUnchanged: boolean): ValueChange | undefined {
  if (Array.isArray(old) && Array.isArray(now) && old.length === 1 && now.length === 1) return diffValues(old[0], now[0], withUnchanged);
  if (!withUnchanged && pyEquals(old, now)) return undefined;
  const change: ValueChange = { old: old ?? null, new: now ?? null };
  const a = asNumber(old);
  const b = asNumber(now);
  if (a !== undefined && b !== undefined) change.diff = b - a;
  return change;
}

const UNPARSABLE = 'unable to parse';

/** key → value of one side: flattened dict, nothing (every key absent) or a non-dict (every key unparsable). */
function side(d: unknown): (key: string) => unknown {
  if (isEmpty(d)) return () => null;
  if (isDict(d)) {
    const flat = flatten(d);
    return (key) => (key in flat ? flat[key] : null);
  }
  return () => UNPARSABLE;
}

function isEmpty(d: unknown): boolean {
  return d === undefined || d === null || d === 0 || d === '' || d === false || (Array.isArray(d) && d.length === 0) || (isDict(d) && Object.keys(d).length === 0);
}

function diffFile(oldData: unknown, newData: unknown, withUnchanged: boolean): Record<string, ValueChange> {
  const res: Record<string, ValueChange> = {};
  if (isDict(oldData) || isDict(newData)) {
    const keys = new Set([...(isDict(oldData) ? Object.keys(flatten(oldData)) : []), ...(isDict(newData) ? Object.keys(flatten(newData)) : [])]);
    const o = side(oldData);
    const n = side(newData);
    for (const key of [...keys].sort()) {
      const change = diffValues(o(key), n(key), withUnchanged);
      if (change) res[key] = change;
    }
    return res;
  }
  const change = diffValues(oldData, newData, withUnchanged);
  if (change) res[''] = change;
  return res;
}

/**
 * What changed between two revisions' files (DVC's `metrics diff`/`params diff`): keys flattened
 * with `.`, lists compared as Python prints them, unchanged values only with `withUnchanged`,
 * a file that failed to read counts as empty. Files and keys come out sorted.
 */
export function diffResults(
  oldFiles: Record<string, FileResult>,
  newFiles: Record<string, FileResult>,
  withUnchanged = false,
): DiffResult {
  const result: DiffResult = {};
  const paths = [...new Set([...Object.keys(oldFiles), ...Object.keys(newFiles)])].sort();
  for (const p of paths) {
    const fileDiff = diffFile(formatLists(oldFiles[p]?.data ?? {}), formatLists(newFiles[p]?.data ?? {}), withUnchanged);
    if (Object.keys(fileDiff).length) result[p] = fileDiff;
  }
  return result;
}
