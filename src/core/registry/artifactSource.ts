import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CairnError, throwIfAborted } from '../errors';
import { GitObjectReader } from '../metrics/gitObjectReader';
import { ConfigFile } from '../repo/config';
import { writeFileAtomicSync } from '../repo/atomicWrite';
import { redactUrl } from '../remotes/redactUrl';
import { gitWrite, gitWriter } from '../scm/gitWrites';

/** The repository `cairn artifacts get` reads: a local clone in place, or a temporary clone of a URL. */
export interface ArtifactSource {
  /** The git work tree to read tags, commits and (for a local clone) the DVC config and cache from. */
  root: string;
  /** A temporary clone of a URL: it has no `.dvc/` until `writeCloneConfig` makes one, and goes on `close`. */
  cloned: boolean;
  close(): void;
}

/** The transports a URL may use; git's `ext::` (runs a command) and every other helper are refused. */
const ALLOWED_PROTOCOLS = 'file:git:http:https:ssh';
const URL_WITH_SCHEME = /^(file|git|https?|ssh|git\+ssh|ssh\+git):\/\/[^\s]/i;
/** scp-like `[user@]host:path` as git reads it: no `/` before the colon, not a drive letter, no `::` helper syntax. */
const SCP_LIKE = /^([A-Za-z0-9._~-]+@)?[A-Za-z0-9._-]{2,}:[^:]/;
/** A committed `.dvc/config` bigger than this is not a config. */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * The repository `source` names: an existing local folder with a git work tree (read in place, its
 * cache and config used as they are), or a git URL (`file://`, `https://`, `ssh://`, `git://`,
 * `user@host:path`) whose tags are fetched, each tagged commit alone (`--depth=1`), into a fresh
 * temporary repository. A URL is data: one that git could read as an option, or that names a
 * transport helper (`ext::sh -c …`), is refused in one line before git runs; the fetch runs with
 * hooks off, no prompts, and git told to use no other transport.
 */
export async function openArtifactSource(source: string, cwd: string, signal?: AbortSignal): Promise<ArtifactSource> {
  const refuse = () =>
    new CairnError('USAGE', `'${redactUrl(source)}' is neither a repository folder nor a git URL.`, {
      hint: 'Give the folder of a git clone, or a URL such as https://host/org/repo.git, ssh://host/repo, git@host:org/repo.git or file:///path/to/repo.',
    });
  if (!source || source.startsWith('-') || /[\0-\x1f\x7f]/.test(source) || source.includes('::')) throw refuse();
  const folder = path.resolve(cwd, source);
  if (!URL_WITH_SCHEME.test(source) && fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    if (!fs.existsSync(path.join(folder, '.git'))) throw new CairnError('USAGE', `'${source}' is not a git repository folder.`, { hint: 'Give the root folder of a git clone, or its URL.' });
    return { root: folder, cloned: false, close() {} };
  }
  if (!URL_WITH_SCHEME.test(source) && !SCP_LIKE.test(source)) throw refuse();
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-artifact-'));
  const close = () => {
    fs.rmSync(temp, { recursive: true, force: true });
  };
  try {
    const root = path.join(temp, 'repo');
    fs.mkdirSync(root);
    const writer = gitWriter(root, { what: 'git fetch', env: { GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS } });
    await gitWrite(writer, ['init', '-q']);
    throwIfAborted(signal);
    try {
      await writer.remote.raw(['fetch', '-q', '--depth=1', '--no-tags', source, '+refs/tags/*:refs/tags/*']);
    } catch (err) {
      // git's first fatal line says what went wrong; the last is advice about access rights.
      const lines = String((err as Error).message ?? err).split('\n').filter(Boolean);
      const reason = (lines.find((l) => l.startsWith('fatal: ')) ?? lines.pop() ?? '').replace(/^fatal: /, '');
      throw new CairnError('GIT', `could not fetch the tags of '${redactUrl(source)}': ${reason}`, { hint: 'Check the URL and that you can read the repository (git ls-remote <url>).' });
    }
    return { root, cloned: true, close };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * A clone's DVC config, from `commit`'s `.dvc/config`: only its remotes and `core.remote` (where the
 * objects are), so nothing in it moves the cache or turns git off. A clone has no `.dvc/config.local`:
 * credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_PROFILE…) or the user's global DVC config.
 */
export async function writeCloneConfig(root: string, reader: GitObjectReader, commit: string): Promise<void> {
  const object = await reader.read(`${commit}:.dvc/config`);
  const dvcDir = path.join(root, '.dvc');
  fs.mkdirSync(dvcDir, { recursive: true });
  const kept = new ConfigFile(path.join(dvcDir, 'config'));
  if (object?.type === 'blob') {
    if (object.data.length > MAX_CONFIG_BYTES) throw new CairnError('LIMIT_EXCEEDED', `.dvc/config at ${commit.slice(0, 7)} is over ${MAX_CONFIG_BYTES} bytes; not read.`, { file: '.dvc/config' });
    const committed = ConfigFile.parse(object.data.toString('utf8'), '.dvc/config');
    for (const [name, section] of committed.sections) {
      if (/^remote ".+"$/.test(name)) for (const [key, value] of section) kept.set(name, key, value);
    }
    const remote = committed.get('core', 'remote');
    if (remote) kept.set('core', 'remote', remote);
  }
  writeFileAtomicSync(kept.file, kept.serialize());
}
