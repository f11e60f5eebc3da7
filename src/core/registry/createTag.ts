import { CairnError } from '../errors';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { listTagNames } from './readTags';
import { baseTagName, parseTagName, TagAction } from './tagNames';

/** What every registry write takes beside its own arguments. */
export interface TagWriteOptions {
  /** Tag message; GTO's default when absent or empty. */
  message?: string;
  /** GTO's `--simple`: true writes `name#prod`, false `name#prod#N`; undefined is GTO's default for the action. */
  simple?: boolean;
  /** Push the tag to `origin` once written. */
  push?: boolean;
  /** GTO's `--force`: write the tag even where gto's checks (already registered, already in the stage, deprecated already…) would refuse it. */
  force?: boolean;
}

/** A tag a registry operation wrote. */
export interface WrittenTag {
  tag: string;
  /** The commit it points at. */
  commit: string;
  pushed: boolean;
}

/** Tags deleted by gto's `--delete` (locally, and on `origin` when pushed). */
export interface DeletedTags {
  deleted: string[];
  pushed: boolean;
}

/**
 * Deletes `tags` (each ref under refs/tags/, as `git tag -d`) through the one git writer, in the
 * order given, then deletes them on `origin` when asked. The names come from the registry's own
 * parse of the tags: data, never an option.
 */
export async function deleteTags(gitRoot: string, tags: string[], push: boolean): Promise<DeletedTags> {
  const writer = gitWriter(gitRoot, { what: 'git tag -d' });
  for (const tag of tags) await gitWrite(writer, ['update-ref', '-d', `refs/tags/${tag}`]);
  if (push && tags.length) await gitWrite(writer, ['push', 'origin', ...tags.map((t) => `:refs/tags/${t}`)]);
  return { deleted: tags, pushed: push };
}

/** The commit `rev` names, or GTO's refusal. `rev` is data: after `--end-of-options`, never an option. */
export async function resolveCommit(gitRoot: string, rev: string): Promise<string> {
  try {
    const sha = (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])).trim();
    if (/^[0-9a-f]{40}$/.test(sha)) return sha;
  } catch {
    // refused below
  }
  throw new CairnError('USAGE', `Ref '${rev}' was not found in the repository history`);
}

/** The tag's name: GTO's template, and with `simple` false a `#N` one above every counter of the artifact's tags. */
export async function tagNameFor(gitRoot: string, action: Exclude<TagAction, 'create'>, name: string, detail: string, simple: boolean): Promise<string> {
  const base = baseTagName(action, name, detail);
  if (simple) return base;
  let counter = 0;
  for (const tag of await listTagNames(gitRoot)) {
    const parsed = parseTagName(tag);
    if (parsed?.name === name && parsed.counter !== undefined && parsed.counter > counter) counter = parsed.counter;
  }
  return `${base}#${counter + 1}`;
}

/**
 * Writes the annotated tag `tag` at `commit` with `message` exactly (no newline added, as gto's
 * tags), through the one git writer (no hooks, no signing); refuses one that exists. Then pushes
 * it to `origin` when asked.
 */
export async function createTag(gitRoot: string, tag: string, commit: string, message: string, push: boolean): Promise<WrittenTag> {
  if ((await listTagNames(gitRoot)).includes(tag)) throw new CairnError('USAGE', `tag '${tag}' already exists`);
  const writer = gitWriter(gitRoot, { what: 'git tag' });
  await gitWrite(writer, ['tag', '--cleanup=verbatim', '-a', '-m', message, tag, commit]);
  if (push) await gitWrite(writer, ['push', 'origin', `refs/tags/${tag}:refs/tags/${tag}`]);
  return { tag, commit, pushed: push };
}
