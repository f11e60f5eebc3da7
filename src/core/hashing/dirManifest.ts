import * as crypto from 'node:crypto';
import { CairnError } from '../errors';
import { shownHash } from './objectId';

/** One file of a tracked directory, as stored in DVC's `<md5>.dir` object. */
export interface DirEntry {
  md5: string;
  relpath: string;
}

/** Compare strings by Unicode code point, as Python does (JS compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const surrogateA = ca >= 0xd800 && ca <= 0xdfff;
    const surrogateB = cb >= 0xd800 && cb <= 0xdfff;
    // A surrogate (part of a code point above U+FFFF) sorts after every other BMP unit.
    if (surrogateA !== surrogateB) return surrogateA ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Python's `json.dumps(s)` with `ensure_ascii=True`. */
export function pythonJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/**
 * The exact bytes DVC writes for a directory: `json.dumps(entries, sort_keys=True)` of
 * `{md5, relpath}` (nothing else, not even for executable files), sorted by relpath.
 */
export function serializeDirManifest(entries: DirEntry[]): string {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  const items = sorted.map((e) => {
    return `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`;
  });
  return `[${items.join(', ')}]`;
}

export function dirManifestHash(entries: DirEntry[]): { md5: string; bytes: string } {
  const bytes = serializeDirManifest(entries);
  return { md5: crypto.createHash('md5').update(bytes, 'utf8').digest('hex') + '.dir', bytes };
}

/** An absolute path, an empty, `.` or `..` part, a drive letter, or a NUL (no file system takes it). */
const ESCAPING_PATH = /^$|^\/|\/$|\/\/|(^|\/)\.\.?(\/|$)|^[a-zA-Z]:|\0/;
/** A `.git` or `.dvc` folder inside a tracked directory: git's hooks, DVC's config (DVC's walk skips them too). */
const SPECIAL_PART = /(^|\/)\.(git|dvc)(\/|$)/i;
const FILE_HASH = /^[0-9a-f]{32}$/;

/** Parse a `.dir` object; `source` names it in errors. Paths that leave the directory are refused. */
export function parseDirManifest(text: string, source: string): DirEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CairnError('BAD_FILE', 'not a valid .dir manifest (bad JSON).', { file: source, hint: 'Restore it from a remote or re-add the directory.' });
  }
  if (!Array.isArray(data)) throw new CairnError('BAD_FILE', 'not a valid .dir manifest (expected a list).', { file: source });
  return data.map((item: any) => {
    if (typeof item?.md5 !== 'string' || typeof item?.relpath !== 'string') {
      throw new CairnError('BAD_FILE', 'not a valid .dir manifest (an entry has no md5/relpath).', { file: source });
    }
    const relpath: string = item.relpath;
    const hint = 'The manifest was made by hand or by someone else: fetch the directory again from a remote you trust, or re-add it.';
    if (ESCAPING_PATH.test(relpath)) {
      throw new CairnError('UNSAFE_PATH', `entry '${shownHash(relpath)}' is not a plain path inside its directory; refusing to use it.`, { file: source, hint });
    }
    if (SPECIAL_PART.test(relpath)) {
      throw new CairnError('UNSAFE_PATH', `entry '${shownHash(relpath)}' is inside a .git or .dvc folder; refusing to use it.`, { file: source, hint });
    }
    if (!FILE_HASH.test(item.md5)) {
      throw new CairnError('BAD_HASH', `entry '${shownHash(relpath)}' has md5 '${shownHash(item.md5)}', which is not a hash (32 hex digits); refusing to use it.`, { file: source, hint });
    }
    return { md5: item.md5, relpath };
  });
}
