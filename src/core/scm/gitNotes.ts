import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { CairnError } from '../errors';
import { runGit } from './git';
import { gitWrite, gitWriter } from './gitWrites';
import { cairnStateDir } from '../repo/repo';
import type { GitObjectReader } from '../metrics/gitObjectReader';

/**
 * Git notes in a notes ref of Cairn's own (dvc never reads them): one text per commit. A note
 * comes from whoever pushed it, so it is data: read within a size limit, never as a path or an
 * option; writes go through the core's git writer (no hooks, nothing signed).
 */

const COMMIT_ID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The notes in `ref` on those of `commits` that have one: one `git ls-tree` of the ref (which
 * also gives each note's size, so one over `maxBytes` is never read: `onIgnored` says so, naming
 * it `what`) and the
 * texts through the reader's `cat-file --batch`. Nothing runs when the ref does not exist.
 */
export async function readNotes(
  reader: { gitRoot: string | undefined; objects: GitObjectReader | undefined },
  ref: string,
  commits: Iterable<string>,
  options: { maxBytes: number; what: string; onIgnored?: (commit: string, why: string) => void },
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const wanted = new Set([...commits].filter((c) => COMMIT_ID.test(c)));
  if (!wanted.size || !reader.gitRoot || !reader.objects) return texts;
  if ((await reader.objects.read(ref))?.type !== 'commit') return texts;
  const listing = await runGit(reader.gitRoot, ['ls-tree', '-r', '-l', '-z', '--full-tree', ref]);
  const notes: { commit: string; blob: string; size: number }[] = [];
  for (const line of listing.split('\0')) {
    // <mode> blob <id> <size>\t<path>; a note's path is its commit's id, maybe split into folders (`ab/cdef…`).
    const m = /^\d+ blob ([0-9a-f]{40}|[0-9a-f]{64}) +(\d+)\t(.*)$/s.exec(line);
    const commit = m?.[3].replace(/\//g, '');
    if (m && commit && wanted.has(commit)) notes.push({ commit, blob: m[1], size: Number(m[2]) });
  }
  await Promise.all(
    notes.map(async ({ commit, blob, size }) => {
      if (size > options.maxBytes) return options.onIgnored?.(commit, `is ${size} bytes, more than the ${options.maxBytes} ${options.what} may be`);
      const obj = await reader.objects!.read(blob);
      if (obj?.type !== 'blob') return options.onIgnored?.(commit, 'could not be read');
      texts.set(commit, obj.data.toString('utf8'));
    }),
  );
  return texts;
}

/** Put `text` as the note on `commit` in `ref`, replacing any note there. */
export async function writeNote(root: string, ref: string, commit: string, text: string): Promise<void> {
  if (!COMMIT_ID.test(commit)) throw new CairnError('USAGE', `'${commit}' is not a commit id: a note is written on a commit.`);
  const file = path.join(cairnStateDir(root), `note.${process.pid}.${crypto.randomBytes(4).toString('hex')}.txt`);
  // A new file of a random name ('wx': never through a link someone left there).
  fs.writeFileSync(file, text, { flag: 'wx' });
  try {
    await gitWrite(gitWriter(root, { what: 'git notes' }), ['notes', `--ref=${ref}`, 'add', '-f', '-F', file, commit]);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Take the note on `commit` out of `ref` (none there: nothing happens). */
export async function removeNote(root: string, ref: string, commit: string): Promise<void> {
  if (!COMMIT_ID.test(commit)) throw new CairnError('USAGE', `'${commit}' is not a commit id: a note is removed from a commit.`);
  await gitWrite(gitWriter(root, { what: 'git notes' }), ['notes', `--ref=${ref}`, 'remove', '--ignore-missing', commit]);
}
