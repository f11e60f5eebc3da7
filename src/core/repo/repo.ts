import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { RepoConfig } from './config';
import { DvcIgnore } from './dvcignore';
import { outputPathProblem } from './outputPath';
import { RepoLock } from './repoLock';
import { Git } from '../scm/git';
import { folderTrusted } from '../folderTrust';
import { ObjectStore } from '../cache/objectStore';
import { HashPool } from '../hashing/hashPool';
import { StatIndex } from '../hashing/statIndex';
import { DEFAULT_LINK_TYPES, LinkType } from '../cache/linkFromCache';
import { PathGuard } from './pathGuard';

export const DVC_DIR = '.dvc';

/** An opened DVC/Cairn repository: where things are, its config, and shared machinery. */
export class Repo {
  readonly dvcDir: string;
  readonly config: RepoConfig;
  readonly store: ObjectStore;
  readonly ignore: DvcIgnore;
  readonly scm: Git | undefined;
  private readonly hashJobs: number | undefined;
  /** Where files bound for the workspace are made before being renamed into place. */
  private readonly workspaceStaging: string;
  private _pool: HashPool | undefined;
  /** The pool is another repository's (a temporary tree borrowing the main one's): closing this one leaves it. */
  private readonly poolLent: boolean;
  private _statIndex: StatIndex | undefined;
  private _guard: PathGuard | undefined;
  private lockHeld = false;

  private constructor(readonly root: string, options: RepoOptions = {}) {
    this.dvcDir = path.join(root, DVC_DIR);
    this.config = RepoConfig.load(this.dvcDir);
    this.store = new ObjectStore(this.resolveCacheDir());
    this.ignore = new DvcIgnore(root);
    // In a folder not trusted git may not run: the repository is read as if it had no git.
    const gitRoot = this.config.getBool('core', 'no_scm') || !folderTrusted() ? undefined : Git.findRoot(root);
    this.scm = gitRoot ? new Git(gitRoot) : undefined;
    this.hashJobs = options.hashJobs;
    this._pool = options.pool;
    this.poolLent = options.pool !== undefined;
    this.workspaceStaging = path.join(this.stateDir, 'staging');
  }

  /** The repository containing `cwd`, found by walking up to a folder holding `.dvc/`. */
  static open(cwd: string, options: RepoOptions = {}): Repo {
    let dir = path.resolve(cwd);
    for (;;) {
      if (fs.existsSync(path.join(dir, DVC_DIR, 'config')) || isDir(path.join(dir, DVC_DIR))) return new Repo(dir, options);
      const parent = path.dirname(dir);
      if (parent === dir) {
        throw new CairnError('NOT_A_REPO', `you are not inside of a DVC repository (checked up from '${path.resolve(cwd)}').`, {
          hint: 'Run `cairn init` in the project folder first.',
        });
      }
      dir = parent;
    }
  }

  /** Open the repository containing `cwd`, run `fn`, and close it (saving the stat index) whatever happens. */
  static async using<T>(cwd: string, options: { hashJobs?: number }, fn: (repo: Repo) => Promise<T>): Promise<T> {
    const repo = Repo.open(cwd, options);
    try {
      return await fn(repo);
    } finally {
      await repo.close();
    }
  }

  private resolveCacheDir(): string {
    const configured = this.config.get('cache', 'dir');
    if (!configured) return path.join(this.dvcDir, 'cache');
    // Relative cache dirs resolve against the folder of the config file that set them.
    const from = path.dirname(this.config.fileOf('cache', 'dir') ?? path.join(this.dvcDir, 'config'));
    return path.resolve(from, configured);
  }

  get linkTypes(): LinkType[] {
    const configured = this.config.get('cache', 'type');
    if (!configured) return DEFAULT_LINK_TYPES;
    const types = configured.split(',').map((t) => t.trim()).filter(Boolean);
    for (const t of types) {
      if (!['reflink', 'hardlink', 'symlink', 'copy'].includes(t)) {
        throw new CairnError('BAD_FILE', `unknown cache.type '${t}'.`, {
          file: this.config.fileOf('cache', 'type'),
          hint: 'Use a comma list of reflink, hardlink, symlink, copy.',
        });
      }
    }
    return types as LinkType[];
  }

  get autostage(): boolean {
    return this.config.getBool('core', 'autostage');
  }

  /** The workspace staging folder, made if missing. */
  get workspaceStagingDir(): string {
    this.ensureStateDir();
    fs.mkdirSync(this.workspaceStaging, { recursive: true });
    return this.workspaceStaging;
  }

  get pool(): HashPool {
    return (this._pool ??= new HashPool(this.hashJobs));
  }

  /** Checks every workspace path written, deleted or read through a link (see PathGuard). */
  get guard(): PathGuard {
    return (this._guard ??= new PathGuard(this.root, this.store.cacheDir));
  }

  /** Throws unless `abs` may be written or deleted: inside the repository once links are resolved, out of .git/ and .dvc/. */
  assertWritable(abs: string): void {
    const problem = this.guard.problem(abs);
    if (problem) {
      throw new CairnError('UNSAFE_PATH', `refusing to write or delete '${this.rel(abs)}': it ${problem}.`, {
        hint: 'A path recorded in this repository points outside it; check the links and files you cloned.',
      });
    }
  }

  get statIndex(): StatIndex {
    if (!this._statIndex) this.ensureStateDir();
    return (this._statIndex ??= StatIndex.load(path.join(this.stateDir, 'stat-index.json')));
  }

  /** Repo-relative, '/'-separated. */
  rel(abs: string): string {
    return path.relative(this.root, abs).split(path.sep).join('/');
  }

  /** Resolve a user-given path (relative to `cwd`) and refuse one outside the repository or inside `.git/` or `.dvc/`. */
  resolveInside(userPath: string, cwd: string): string {
    const abs = path.resolve(cwd, userPath);
    const why = outputPathProblem(this.root, abs);
    if (why?.startsWith('is outside')) {
      throw new CairnError('PATH_OUTSIDE_REPO', `'${userPath}' is outside the repository '${this.root}'.`);
    }
    if (why && abs !== this.root) throw new CairnError('UNSAFE_PATH', `'${userPath}' ${why}; it cannot be tracked.`);
    return abs;
  }

  /** Resolve a path a command will write as an output: inside the repository, not the repository itself. */
  resolveOutput(userPath: string, cwd: string): string {
    const abs = this.resolveInside(userPath, cwd);
    if (abs === this.root) throw new CairnError('UNSAFE_PATH', `'${userPath}' is the repository itself; an output is a file or folder inside it.`);
    return abs;
  }

  /** Cairn's own state: the stat index, the lock, the workspace staging folder. */
  private get stateDir(): string {
    return path.join(this.dvcDir, 'tmp', 'cairn');
  }

  private ensureStateDir(): void {
    cairnStateDir(this.root);
  }

  /**
   * The folder `.dvc/tmp/<parts...>`, made real folders all the way down: git ignores `.dvc/tmp`,
   * so a link on the way came with a cloned archive and is replaced, never written through.
   */
  tmpDir(...parts: string[]): string {
    let dir = path.join(this.dvcDir, 'tmp');
    for (const part of ['', ...parts]) {
      dir = part ? path.join(dir, part) : dir;
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (st?.isSymbolicLink() || (st && !st.isDirectory())) fs.rmSync(dir, { force: true });
      if (!st?.isDirectory() || st.isSymbolicLink()) fs.mkdirSync(dir, { recursive: true });
    }
    return dir;
  }

  /** Run `fn` holding the repository's writer lock (already held by an outer call: just run it). */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.lockHeld) return fn();
    this.ensureStateDir();
    const lock = new RepoLock(path.join(this.stateDir, 'lock'));
    await lock.acquire();
    // Writers all hold this lock, so what staging folders hold now is left by a killed run. A cache
    // shared with other repositories (an experiment's temporary tree uses its parent's) may be in
    // use by their writers: its staging folder is left alone.
    const ownCache = this.store.cacheDir === path.join(this.dvcDir, 'cache');
    for (const dir of ownCache ? [this.store.stagingDir, this.workspaceStaging] : [this.workspaceStaging]) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const release = () => lock.release();
    process.once('exit', release);
    this.lockHeld = true;
    try {
      return await fn();
    } finally {
      this.lockHeld = false;
      process.off('exit', release);
      release();
    }
  }

  async close(): Promise<void> {
    await this._statIndex?.save();
    if (!this.poolLent) await this._pool?.close();
  }
}

export interface RepoOptions {
  hashJobs?: number;
  /** Hash threads to use instead of starting its own (not closed with it). */
  pool?: HashPool;
}

/**
 * `.dvc/tmp/cairn` of the repository at `root`, made a real folder. Git ignores `.dvc/tmp`, so a
 * link there came with a cloned repository or archive (`.dvc/tmp -> ~`): it is replaced, never
 * written through.
 */
export function cairnStateDir(root: string): string {
  const tmp = path.join(root, DVC_DIR, 'tmp');
  const state = path.join(tmp, 'cairn');
  for (const dir of [tmp, state]) {
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) fs.unlinkSync(dir);
    if (!st?.isDirectory()) fs.mkdirSync(dir, { recursive: true });
  }
  return state;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
