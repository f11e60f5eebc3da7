import { isPlainObject, ParamValue, PyFloat } from '../pipeline/values';

/**
 * The changes between a params file's values before and after overrides, as small edits a
 * writer can make in place (so the rest of the file, comments and formatting, stays as it is).
 * dvc itself merges the new values into the loaded document the same way (`merge_dicts`, then
 * `remove_missing_keys`): new keys go to the end of their dict.
 */
export type ParamsEdit =
  /** Replace the value at `path` (which exists). */
  | { kind: 'set'; path: (string | number)[]; value: ParamValue }
  /** Add `key` at the end of the dict at `path` (which exists). */
  | { kind: 'add'; path: (string | number)[]; key: string; value: ParamValue }
  /** Remove the key at `path`. */
  | { kind: 'delete'; path: (string | number)[] };

export function paramsEdits(before: ParamValue, after: ParamValue, path: (string | number)[] = []): ParamsEdit[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const edits: ParamsEdit[] = [];
    for (const key of Object.keys(before)) {
      if (!(key in after)) edits.push({ kind: 'delete', path: [...path, key] });
      else edits.push(...paramsEdits(before[key], after[key], [...path, key]));
    }
    for (const key of Object.keys(after)) {
      if (!(key in before)) edits.push({ kind: 'add', path, key, value: after[key] });
    }
    return edits;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => paramsEdits(item, after[i], [...path, i]));
  }
  return identical(before, after) ? [] : [{ kind: 'set', path, value: after }];
}

/** Same value and same type: 1, 1.0 and '1' differ here, as they differ in the file. */
function identical(a: ParamValue, b: ParamValue): boolean {
  if (a instanceof PyFloat || b instanceof PyFloat) return a instanceof PyFloat && b instanceof PyFloat && Object.is(a.value, b.value);
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => identical(x, b[i]));
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k, i) => Object.keys(b)[i] === k && identical(a[k], b[k]));
  }
  return a === b;
}
