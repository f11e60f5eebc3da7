import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { CairnError } from '../errors';
import { assertFolderTrusted } from '../folderTrust';

/**
 * Set on every git run here. `ls-files` starts the program `core.fsmonitor` names, and Cairn runs
 * it to read the temporary trees of runs going on (`.dvc/tmp/exps/tmp*`), whose `.git/config`
 * came with whatever brought `.dvc/tmp` (git does not hold it): never a program of theirs. The
 * other programs a config can name (filters, diff drivers) run only on commands Cairn runs in the
 * repository itself or in trees it made, whose config the user trusted with the folder.
 */
const READ_CONFIG = ['-c', 'core.fsmonitor=false'];

/**
 * Run `git args` in `cwd` and return its stdout. A failure is a CairnError naming the git
 * command and git's last line of error; `allowedExitCodes` are not failures (check-ignore
 * exits 1 when nothing is ignored). `input` is written to git's stdin; `env` adds variables.
 */
export function runGit(cwd: string, args: string[], options: { allowedExitCodes?: number[]; input?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    assertFolderTrusted(`git ${args[0]}`);
    const env = options.env ? { ...process.env, ...options.env } : undefined;
    const child = execFile('git', [...READ_CONFIG, ...args], { cwd, env, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err || (typeof err.code === 'number' && options.allowedExitCodes?.includes(err.code))) return resolve(stdout);
      const msg = (stderr || err.message).trim().split('\n').pop() ?? '';
      reject(new CairnError('GIT', `git ${args[0]} failed: ${msg}`));
    });
    child.stdin?.on('error', () => undefined); // git may exit before reading it all; its exit code tells
    child.stdin?.end(options.input ?? '');
  });
}

/** An entry of a commit's tree: a folder (tree) or a file (blob or link). */
export interface GitTreeEntry {
  isDir: boolean;
  size: number;
  isexec: boolean;
}

/** The git operations the core needs, over one repository's work tree. */
export class Git {
  constructor(readonly root: string) {}

  /** The git work tree containing `dir`, or undefined when there is none. */
  static findRoot(dir: string): string | undefined {
    let current = path.resolve(dir);
    for (;;) {
      if (fs.existsSync(path.join(current, '.git'))) return current;
      const parent = path.dirname(current);
      if (parent === current) return undefined;
      current = parent;
    }
  }

  private run(args: string[], options?: { allowedExitCodes?: number[]; input?: string }): Promise<string> {
    return runGit(this.root, args, options);
  }

  async add(files: string[]): Promise<void> {
    if (files.length) await this.run(['add', '--', ...files]);
  }

  /** Which of `paths` git ignores (through any .gitignore, exclude file or global rule). */
  async ignored(paths: string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const found = await this.run(['check-ignore', '-z', '--stdin'], { allowedExitCodes: [1], input: paths.map((p) => `${p}\0`).join('') });
    return new Set(found.split('\0').filter(Boolean).map((p) => path.resolve(this.root, p)));
  }

  /** Which of `paths` (absolute) git tracks: the file, or a file inside the folder, is in git's index. */
  async tracked(paths: string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const specs = paths.map((p) => `:(literal)${path.relative(this.root, p).split(path.sep).join('/') || '.'}`);
    const files = (await this.run(['ls-files', '-z', '--cached', '--', ...specs])).split('\0').filter(Boolean);
    const found = new Set<string>();
    for (const p of paths) {
      const rel = path.relative(this.root, p).split(path.sep).join('/');
      if (files.some((f) => f === rel || f.startsWith(`${rel}/`))) found.add(p);
    }
    return found;
  }

  async revParse(rev: string): Promise<string> {
    const out = await this.run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return out.trim();
  }

  /** Every file of a commit (paths from the top of the work tree). */
  async listFiles(rev: string): Promise<string[]> {
    const out = await this.run(['ls-tree', '-r', '-z', '--name-only', '--full-tree', rev]);
    return out.split('\0').filter(Boolean);
  }

  /** Tracked or untracked-not-ignored files in the work tree matching `pathspecs`. */
  async listWorktreeFiles(pathspecs: string[]): Promise<string[]> {
    const out = await this.run(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...pathspecs]);
    return [...new Set(out.split('\0').filter(Boolean))];
  }

  /** The newest commits of HEAD's history, for choosing a revision. */
  async recentCommits(n: number): Promise<{ hash: string; subject: string; author: string; date: string }[]> {
    const out = await this.run(['log', `-n${n}`, '--format=%H%x1f%s%x1f%an%x1f%ar']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [hash, subject, author, date] = line.split('\x1f');
        return { hash, subject, author, date };
      });
  }

  /** Local branch names. */
  async branches(): Promise<string[]> {
    const out = await this.run(['for-each-ref', '--format=%(refname:short)', 'refs/heads/']);
    return out.split('\n').filter(Boolean);
  }

  /**
   * Every entry of a commit's tree below the folder `prefix` (`''`: the top), folders included,
   * keyed by path relative to it (`''`: the folder itself): blob sizes, a folder's size as its
   * tree object's (what git's file system reports), the executable bit. Submodules are left out.
   * Empty when the commit has no such folder.
   */
  async treeEntries(commit: string, prefix: string): Promise<Map<string, GitTreeEntry>> {
    const tree = `${commit}:${prefix}`;
    const entries = new Map<string, GitTreeEntry>();
    let listing: string;
    try {
      listing = await this.run(['ls-tree', '-r', '-t', '-l', '-z', tree]);
    } catch {
      return entries;
    }
    const treeIds: [string, string][] = [['', tree]];
    for (const record of listing.split('\0')) {
      const m = /^(\d+) (\w+) ([0-9a-f]+) +(\S+)\t(.*)$/s.exec(record);
      if (!m || m[2] === 'commit') continue;
      const [, mode, type, id, size, key] = m;
      entries.set(key, { isDir: type === 'tree', size: Number(size) || 0, isexec: mode === '100755' });
      if (type === 'tree') treeIds.push([key, id]);
    }
    // Folders' sizes: one batch for all of them.
    const sizes = (await this.run(['cat-file', '--batch-check'], { input: treeIds.map(([, id]) => `${id}\n`).join('') })).split('\n');
    treeIds.forEach(([key], i) => {
      const size = Number(/^\S+ tree (\d+)$/.exec(sizes[i] ?? '')?.[1]);
      if (Number.isFinite(size)) entries.set(key, { isDir: true, size, isexec: false });
    });
    return entries;
  }

  /** `git status`: each changed path (from git's root) with its two-letter code (`??` untracked); untracked files listed one by one with `all`. */
  async status(untrackedFiles: 'no' | 'all'): Promise<{ code: string; path: string }[]> {
    const tokens = (await this.run(['status', '--porcelain=v1', '-z', `--untracked-files=${untrackedFiles}`])).split('\0');
    const entries: { code: string; path: string }[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i].length < 4) continue;
      const code = tokens[i].slice(0, 2);
      entries.push({ code, path: tokens[i].slice(3) });
      if (/[RC]/.test(code)) i++; // a rename or copy: its source path follows
    }
    return entries;
  }

  show(rev: string, file: string): Promise<string> {
    return this.run(['show', `${rev}:${file}`]);
  }
}
