import { CairnError } from '../errors';

/**
 * A cache object's id as DVC writes it: 32 lower-case hex digits, `.dir` for a directory's
 * manifest. Every hash read from a `.dvc` file, a `.dir` manifest, `dvc.lock` or a remote's
 * listing is one of these before it names a file: a hash is never a path.
 */
const OBJECT_ID = /^[0-9a-f]{32}(\.dir)?$/;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/**
 * The last check before a hash becomes part of a path (cache object, remote key). Readers
 * validate earlier with the file and line; this catches any path that skipped them.
 */
export function assertObjectId(value: string): string {
  if (!OBJECT_ID.test(value)) {
    throw new CairnError('BAD_HASH', `'${shownHash(value)}' is not a hash (32 hex digits, optionally '.dir'); refusing to use it as a cache object.`, {
      hint: 'The file that recorded it was changed by hand or by someone else: restore it from git.',
    });
  }
  return value;
}

/** A hash from an untrusted file, shortened and with control characters made visible, for one-line messages. */
export function shownHash(value: string): string {
  const visible = JSON.stringify(value).slice(1, -1);
  return visible.length > 60 ? `${visible.slice(0, 57)}...` : visible;
}
