import * as fs from 'node:fs';
import * as path from 'node:path';
import { outputPathProblem } from './outputPath';

/** A symbolic link met on the way to a path: where it is and where it resolves to. */
export interface LinkOnTheWay {
  at: string;
  to: string;
}

interface ResolvedDir {
  /** The folder's real path (a part that does not exist yet kept as named). */
  real: string;
  /** The first link on the way from the repository root, if any. */
  link?: LinkOnTheWay;
}

/**
 * Where Cairn may write, delete, or read through a link in one workspace. Paths come from
 * files anyone can commit (`.dvc`, `dvc.yaml`, `dvc.lock`, `.dir` manifests), so comparing
 * their text is not enough: every folder on the way is resolved on disk and must stay inside
 * the repository, out of `.git/` and `.dvc/`. The last part of a path is never followed: a
 * write replaces it by rename, a delete removes the link itself. Reading through a final
 * link is allowed only into the repository or the cache (`cache.type: symlink`, shared caches).
 */
export class PathGuard {
  private readonly realRoot: string;
  private readonly realCache: string | undefined;
  private readonly dirs = new Map<string, ResolvedDir>();

  constructor(
    readonly root: string,
    cacheDir: string,
  ) {
    this.realRoot = fs.realpathSync(root);
    this.realCache = realpathOrUndefined(cacheDir);
  }

  /**
   * Why `abs` may not be read, written or deleted, or undefined: the lexical rule, then its
   * folders as they are on disk. The message names the link that leads out.
   */
  problem(abs: string): string | undefined {
    const lexical = outputPathProblem(this.root, abs);
    if (lexical) return lexical;
    const dir = this.resolveDir(path.dirname(abs));
    const where = this.placeProblem(dir.real, true);
    if (!where) return undefined;
    const via = dir.link ? ` through the link '${this.shown(dir.link.at)}' -> '${dir.link.to}'` : '';
    return `leads${via} to a place that ${where}`;
  }

  /**
   * The first link on the way from `from` (included) to the folder holding `abs`: a link
   * inside an output that checkout would otherwise write through.
   */
  linkBetween(from: string, abs: string): LinkOnTheWay | undefined {
    let found: LinkOnTheWay | undefined;
    for (let dir = path.dirname(abs); dir.length >= from.length && dir.startsWith(from); dir = path.dirname(dir)) {
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) found = { at: dir, to: linkTarget(dir) };
      if (dir === from) break;
    }
    return found;
  }

  /**
   * For a path that is a symbolic link: whether reading through it stays in the repository
   * (out of `.git/` and `.dvc/`, the cache excepted) or in the cache. Dangling links are not readable.
   */
  linkReadable(abs: string): boolean {
    const real = realpathOrUndefined(abs);
    if (real === undefined) return false;
    if (this.realCache && isInside(this.realCache, real)) return true;
    return this.placeProblem(real, false) === undefined;
  }

  /** Whether `abs` is a link that reading may not follow (see `linkReadable`). */
  isLinkLeaving(abs: string): boolean {
    return !!fs.lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() && !this.linkReadable(abs);
  }

  /** Forget what was resolved (after checkout removed links in the way). */
  forget(): void {
    this.dirs.clear();
  }

  private resolveDir(dir: string): ResolvedDir {
    if (dir === this.root || !isInside(this.root, dir)) return { real: dir === this.root ? this.realRoot : dir };
    const known = this.dirs.get(dir);
    if (known) return known;
    const parent = this.resolveDir(path.dirname(dir));
    const here = path.join(parent.real, path.basename(dir));
    let resolved: ResolvedDir = { real: here, link: parent.link };
    const st = fs.lstatSync(here, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) {
      const real = realpathOrUndefined(here);
      // A dangling link cannot hold a folder: mkdir through it would fail or create its target.
      resolved = { real: real ?? DANGLING, link: parent.link ?? { at: dir, to: linkTarget(here) } };
    }
    this.dirs.set(dir, resolved);
    return resolved;
  }

  /** Why a real path is not a place for workspace data, or undefined. */
  private placeProblem(real: string, isFolder: boolean): string | undefined {
    if (real === DANGLING) return 'does not exist (a dangling link)';
    if (isFolder && real === this.realRoot) return undefined;
    const problem = outputPathProblem(this.realRoot, isFolder ? path.join(real, '_') : real);
    return problem && problem !== 'is the repository itself' ? problem : undefined;
  }

  private shown(abs: string): string {
    return path.relative(this.root, abs).split(path.sep).join('/');
  }
}

/**
 * Why reading `abs` would leave the repository, following every link (the last one too), or
 * undefined; also undefined when it does not exist (the read says so). For files a repository
 * names only to read and show them (params, metrics, plots, vars): a committed
 * `metrics.json -> ~/.docker/config.json` must not put a token on screen or in a CI comment.
 */
/** Repository roots resolved once per process: every metrics, params or plots read asks. */
const realRoots = new Map<string, Promise<string>>();

export async function readProblem(root: string, abs: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await fs.promises.realpath(abs);
  } catch {
    return undefined;
  }
  let realRoot = realRoots.get(root);
  if (!realRoot) realRoots.set(root, (realRoot = fs.promises.realpath(root)));
  const problem = outputPathProblem(await realRoot, real);
  if (!problem || problem === 'is the repository itself') return undefined;
  return `leads through a link to a place that ${problem}`;
}

/** Not a path: the resolution of a folder that is a dangling link. */
const DANGLING = '\0dangling';

/** Whether `abs` is `root` or below it, as the paths are written (resolve links first where they matter). */
export function isInside(root: string, abs: string): boolean {
  return abs === root || abs.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function realpathOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/** What a link says it points to, for messages ('' when it cannot be read). */
export function linkTarget(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '';
  }
}
