import { GitObjectReader } from '../metrics/gitObjectReader';
import { runGit } from '../scm/git';
import { parseTagName, ParsedTag } from './tagNames';

/** A moment as git records it: seconds since the epoch and the writer's UTC offset in minutes. */
export interface GitTime {
  seconds: number;
  offsetMinutes: number;
}

/** A person line of a git object (`tagger`, `author`, `committer`). */
interface GitPerson {
  name: string;
  email: string;
  time: GitTime;
}

/** An annotated tag whose name is one of GTO's. */
export interface RegistryTag {
  tag: string;
  parsed: ParsedTag;
  /** The object the tag points at, as git records it. */
  target: string;
  tagger: GitPerson;
  message: string;
}

/** What GTO reads of a version's commit (its "enrichment" event). */
export interface CommitInfo {
  hexsha: string;
  author: string;
  authorEmail: string;
  committer: string;
  committerEmail: string;
  time: GitTime;
  message: string;
}

const PERSON_RE = /^(.*?) <([^>]*)> (\d+) ([+-])(\d\d)(\d\d)$/;

function parsePerson(line: string): GitPerson | undefined {
  const m = PERSON_RE.exec(line);
  if (!m) return undefined;
  const offsetMinutes = (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 60 + Number(m[6]));
  return { name: m[1], email: m[2], time: { seconds: Number(m[3]), offsetMinutes } };
}

/** Header lines (continuations left out) and the message of a tag or commit object. */
function splitObject(data: Buffer): { headers: Map<string, string>; message: string } {
  const text = data.toString('utf8');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const headers = new Map<string, string>();
  for (const line of head.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && !headers.has(line.slice(0, space))) headers.set(line.slice(0, space), line.slice(space + 1));
  }
  return { headers, message: end < 0 ? '' : text.slice(end + 2) };
}

/** Every tag name of the repository, in git's (byte) order, which is GTO's (Python's sorted). */
export async function listTagNames(gitRoot: string): Promise<string[]> {
  const out = await runGit(gitRoot, ['for-each-ref', '--format=%(refname)', 'refs/tags/']);
  return out.split('\n').filter(Boolean).map((ref) => ref.slice('refs/tags/'.length));
}

/**
 * The annotated tags whose names GTO parses, in GTO's order (by tagger time, ties by name). A
 * lightweight tag, a tag without a tagger and any other name are left out, as gto leaves them.
 * Names and messages are data: read through `cat-file --batch`, never passed as arguments.
 */
export async function readRegistryTags(gitRoot: string, reader: GitObjectReader): Promise<RegistryTag[]> {
  const out = await runGit(gitRoot, ['for-each-ref', '--format=%(objecttype) %(objectname) %(refname)', 'refs/tags/']);
  const tags: RegistryTag[] = [];
  for (const line of out.split('\n')) {
    const [type, sha, ref] = [line.slice(0, line.indexOf(' ')), line.split(' ')[1], line.split(' ').slice(2).join(' ')];
    if (type !== 'tag' || !/^[0-9a-f]{40}$/.test(sha ?? '')) continue;
    const tag = ref.slice('refs/tags/'.length);
    const parsed = parseTagName(tag);
    if (!parsed || parsed.action === 'create') continue;
    const object = await reader.readById(sha);
    if (!object || object.type !== 'tag') continue;
    const { headers, message } = splitObject(object.data);
    const tagger = parsePerson(headers.get('tagger') ?? '');
    const target = headers.get('object') ?? '';
    if (!tagger || !/^[0-9a-f]{40}$/.test(target)) continue;
    tags.push({ tag, parsed, target, tagger, message });
  }
  // A stable sort: tags of the same second stay in name order.
  return tags.sort((a, b) => a.tagger.time.seconds - b.tagger.time.seconds);
}

/** The commit `hexsha` as GTO describes it, or undefined when it is not a commit here. */
export async function readCommitInfo(reader: GitObjectReader, hexsha: string): Promise<CommitInfo | undefined> {
  if (!/^[0-9a-f]{40}$/.test(hexsha)) return undefined;
  const object = await reader.readById(hexsha);
  if (!object || object.type !== 'commit') return undefined;
  const { headers, message } = splitObject(object.data);
  const author = parsePerson(headers.get('author') ?? '');
  const committer = parsePerson(headers.get('committer') ?? '');
  if (!author || !committer) return undefined;
  return { hexsha, author: author.name, authorEmail: author.email, committer: committer.name, committerEmail: committer.email, time: committer.time, message };
}

/** A moment as Python's `datetime.isoformat()` writes an aware one: `2024-05-01T12:00:00+02:00`. */
export function isoTime(t: GitTime): string {
  const local = new Date((t.seconds + t.offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const sign = t.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(t.offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
