import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import { readNotes, removeNote, writeNote } from '../scm/gitNotes';
import { withReader } from '../metrics/show';
import { resolveRevision } from './resolve';

/**
 * Tags and notes a user puts on an experiment (or any commit), as git notes in a ref of their
 * own beside the environment record, pushed and pulled with the experiments. A note holds one
 * line per item — `tag <name>` or `note <JSON string>` — sorted, so git's `cat_sort_uniq` merge
 * of two machines' notes is their union.
 */
export const ANNOTATIONS_REF = 'refs/notes/cairn-annotations';

export interface Annotations {
  tags: string[];
  notes: string[];
}

/** A tag is a word: letters, digits, `.`, `_`, `-`, `+`, `/`, `:`; at most 64 characters. */
const TAG = /^[\p{L}\p{N}][\p{L}\p{N}._+/:-]{0,63}$/u;
const MAX_NOTE_CHARS = 4096;
/** A note ref's blob for one commit; hundreds of tags and notes fit well below this. */
const MAX_ANNOTATION_BYTES = 256 * 1024;

/** The note text's items, as the user's change may leave them; unknown or malformed lines are left out. */
export function parseAnnotations(text: string): Annotations {
  const tags = new Set<string>();
  const notes: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('tag ') && TAG.test(line.slice(4))) tags.add(line.slice(4));
    else if (line.startsWith('note ')) {
      try {
        const note: unknown = JSON.parse(line.slice(5));
        if (typeof note === 'string' && note.length <= MAX_NOTE_CHARS && !notes.includes(note)) notes.push(note);
      } catch {
        // not a note Cairn wrote: left out
      }
    }
  }
  return { tags: [...tags].sort(), notes: notes.sort() };
}

/** The note text: sorted lines (as git's cat_sort_uniq leaves a merge), a final newline; '' for none. */
export function annotationsText(annotations: Annotations): string {
  const lines = [...new Set([...annotations.tags.map((t) => `tag ${t}`), ...annotations.notes.map((n) => `note ${JSON.stringify(n)}`)])].sort();
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The annotations of those of `commits` that have any. */
export async function readAnnotations(
  reader: { gitRoot: string | undefined; objects: GitObjectReader | undefined },
  commits: Iterable<string>,
  onWarning?: (line: string) => void,
): Promise<Map<string, Annotations>> {
  const texts = await readNotes(reader, ANNOTATIONS_REF, commits, {
    maxBytes: MAX_ANNOTATION_BYTES,
    what: 'the tags and notes of a commit',
    onIgnored: (commit, why) => onWarning?.(`${ANNOTATIONS_REF}: the note on ${commit.slice(0, 7)} ${why}; ignored.`),
  });
  const result = new Map<string, Annotations>();
  for (const [commit, text] of texts) {
    const annotations = parseAnnotations(text);
    if (annotations.tags.length || annotations.notes.length) result.set(commit, annotations);
  }
  return result;
}

export interface AnnotationChange {
  addTags?: string[];
  removeTags?: string[];
  /** A note to add. */
  note?: string;
  /** Take every note off first. */
  clearNotes?: boolean;
}

/**
 * `exp tag` / `exp note`: change the annotations of an experiment (a name as `exp apply` takes it,
 * or any revision). Tags and notes are checked before anything is written. Returns the commit
 * and its annotations now.
 */
export async function annotateExperiment(repo: Repo, experiment: string, change: AnnotationChange): Promise<{ commit: string; name: string | undefined; annotations: Annotations }> {
  const gitRoot = repo.scm?.root;
  if (!gitRoot) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git repository.');
  for (const tag of [...(change.addTags ?? []), ...(change.removeTags ?? [])]) {
    if (!TAG.test(tag)) throw new CairnError('USAGE', `'${tag}' is not a tag: a tag is one word of letters, digits and . _ + / : - (at most 64), starting with a letter or digit.`, { hint: 'For a sentence, use `cairn exp note`.' });
  }
  if (change.note !== undefined && (change.note.trim() === '' || change.note.length > MAX_NOTE_CHARS)) {
    throw new CairnError('USAGE', change.note.trim() === '' ? 'the note is empty.' : `the note is ${change.note.length} characters; a note may be ${MAX_NOTE_CHARS}.`, { hint: 'Keep longer text in a file of the repository.' });
  }
  const { commit, ref } = await resolveRevision(gitRoot, experiment, { unknown: 'experiment' });
  return repo.withLock(async () => {
    const current = (await withReader(repo, {}, (reader) => readAnnotations(reader, [commit]))).get(commit) ?? { tags: [], notes: [] };
    const removed = new Set(change.removeTags ?? []);
    const next: Annotations = {
      tags: [...new Set([...current.tags.filter((t) => !removed.has(t)), ...(change.addTags ?? [])])].sort(),
      notes: [...new Set([...(change.clearNotes ? [] : current.notes), ...(change.note === undefined ? [] : [change.note])])].sort(),
    };
    const text = annotationsText(next);
    if (text === annotationsText(current)) return { commit, name: ref?.name, annotations: next };
    if (text) await writeNote(gitRoot, ANNOTATIONS_REF, commit, text);
    else await removeNote(gitRoot, ANNOTATIONS_REF, commit);
    return { commit, name: ref?.name, annotations: next };
  });
}
