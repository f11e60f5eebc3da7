import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleGit, SimpleGit } from 'simple-git';
import { CairnError } from '../errors';

/** The git operations the core needs, over one repository's work tree. */
export class Git {
  private readonly git: SimpleGit;

  constructor(readonly root: string) {
    this.git = simpleGit({ baseDir: root, trimmed: false });
  }

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

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const msg = (err as Error).message.trim().split('\n').pop() ?? '';
      throw new CairnError('GIT', `git ${what} failed: ${msg}`);
    }
  }

  async add(files: string[]): Promise<void> {
    if (files.length) await this.run('add', () => this.git.add(files));
  }

  /** Which of `paths` git ignores (through any .gitignore, exclude file or global rule). */
  async ignored(paths: string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const found = await this.run('check-ignore', () => this.git.checkIgnore(paths));
    return new Set(found.map((p) => path.resolve(this.root, p)));
  }

  async revParse(rev: string): Promise<string> {
    const out = await this.run(`rev-parse ${rev}`, () => this.git.raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]));
    return out.trim();
  }

  /** Every file of a commit (paths from the top of the work tree). */
  async listFiles(rev: string): Promise<string[]> {
    const out = await this.run('ls-tree', () => this.git.raw(['ls-tree', '-r', '-z', '--name-only', '--full-tree', rev]));
    return out.split('\0').filter(Boolean);
  }

  /** Tracked or untracked-not-ignored files in the work tree matching `pathspecs`. */
  async listWorktreeFiles(pathspecs: string[]): Promise<string[]> {
    const out = await this.run('ls-files', () => this.git.raw(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...pathspecs]));
    return [...new Set(out.split('\0').filter(Boolean))];
  }

  /** The newest commits of HEAD's history, for choosing a revision. */
  async recentCommits(n: number): Promise<{ hash: string; subject: string; author: string; date: string }[]> {
    const out = await this.run('log', () => this.git.raw(['log', `-n${n}`, '--format=%H%x1f%s%x1f%an%x1f%ar']));
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
    const out = await this.run('for-each-ref', () => this.git.raw(['for-each-ref', '--format=%(refname:short)', 'refs/heads/']));
    return out.split('\n').filter(Boolean);
  }

  async show(rev: string, file: string): Promise<string> {
    return this.run('show', () => this.git.show([`${rev}:${file}`]));
  }
}
