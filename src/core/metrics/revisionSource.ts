import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PipelineSource } from '../pipeline/load';
import { DvcIgnore } from '../repo/dvcignore';
import { readProblem } from '../repo/pathGuard';
import { readRepoFile } from '../repo/readRepoFile';
import { CairnError } from '../errors';
import { GitObject, GitObjectReader, parseTree, TreeEntry } from './gitObjectReader';
import type { Git } from '../scm/git';
import { findWorkspaceFiles } from '../repo/workspaceFiles';

/** A directory entry of a revision. */
export interface SourceEntry {
  name: string;
  isDir: boolean;
}

/**
 * The files of one revision, read without checking anything out. Paths are relative to the
 * DVC repository root, `/`-separated; `''` (or `.`) is the root. Anything that is not there,
 * or that would leave the repository, reads as undefined (list: empty).
 * A `PipelineSource`, so the pipeline loader reads dvc.yaml files at any revision through it.
 * Entries `.dvcignore` ignores are left out of lists and reads: the workspace's rules on disk, a
 * commit's own rules (as dvc reads a revision).
 */
export interface RevisionSource extends PipelineSource {
  /** `workspace`, or the name the revision was asked by. */
  readonly rev: string;
  /** The commit, for a git revision. */
  readonly commit?: string;
  /** The repository's folder on disk: a commit's paths are joined to it (never read there). */
  readonly root: string;
  read(relPath: string): Promise<string | undefined>;
  /** Like read, as bytes. */
  readBytes(relPath: string): Promise<Buffer | undefined>;
  list(dirRelPath: string): Promise<SourceEntry[]>;
  /**
   * The revision's `.dvc` files (repo-relative, sorted), found as dvc's index finds them: not
   * ignored, not inside a folder a `.dvc` file beside it tracks, nor in a nested repository.
   */
  dvcFiles(): Promise<string[]>;
}

/** `a/./b/../c` → `a/c`; undefined when the path leaves the root or is absolute. */
export function normalizeRel(rel: string): string | undefined {
  if (rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel)) return undefined;
  const parts: string[] = [];
  for (const part of rel.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

/** The workspace: files as they are on disk now. `git`: the repository's, when git may run there (its list of `.dvc` files skips what git ignores, as dvc's does). */
export class WorkspaceSource implements RevisionSource {
  readonly rev = 'workspace';
  constructor(
    readonly root: string,
    private readonly ignore: DvcIgnore = new DvcIgnore(root),
    private readonly git?: Git,
  ) {}

  dvcFiles(): Promise<string[]> {
    return findWorkspaceFiles(this.root, this.git, this.ignore, ['*.dvc']);
  }

  private abs(rel: string, isDir = false): string | undefined {
    const norm = normalizeRel(rel);
    if (norm === undefined || (norm && this.ignore.isIgnored(norm, isDir))) return undefined;
    return path.join(this.root, norm);
  }

  async readBytes(relPath: string): Promise<Buffer | undefined> {
    const abs = this.abs(relPath);
    if (abs === undefined) return undefined;
    const unsafe = await readProblem(this.root, abs);
    if (unsafe) throw new CairnError('UNSAFE_PATH', `'${relPath}' ${unsafe}; not read.`, { file: relPath, hint: 'Replace the link by the file itself.' });
    try {
      return await readRepoFile(abs, relPath);
    } catch {
      return undefined;
    }
  }

  async read(relPath: string): Promise<string | undefined> {
    return (await this.readBytes(relPath))?.toString('utf8');
  }

  async list(dirRelPath: string): Promise<SourceEntry[]> {
    const abs = this.abs(dirRelPath, true);
    const dir = normalizeRel(dirRelPath);
    if (abs === undefined) return [];
    try {
      const entries = await fs.promises.readdir(abs, { withFileTypes: true });
      return entries
        .filter((e) => !(e.name === '.git' && dir === ''))
        .map((e) => ({ name: e.name, isDir: e.isDirectory() || (e.isSymbolicLink() && isDirSync(path.join(abs, e.name))) }))
        .filter((e) => !this.ignore.isIgnored(dir ? `${dir}/${e.name}` : e.name, e.isDir))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return [];
    }
  }
}

function isDirSync(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * One commit's tree, read through a shared GitObjectReader (one `git cat-file --batch` for all
 * revisions). Reads are cached per path, so a loader and a reader asking for the same file cost
 * one read. The commit's own `.dvcignore` files and nested DVC repositories (folders holding a
 * `.dvc/` in that commit) leave entries out, as dvc reads a revision: not the workspace's.
 */
export class CommitSource implements RevisionSource {
  private readonly cache = new Map<string, Promise<Buffer | undefined>>();
  /** Folders' entries by name, in git's order. */
  private readonly trees = new Map<string, Promise<Map<string, TreeEntry> | undefined>>();
  /** The commit's ignore rules, read folder by folder as paths are asked about (`rulesLoaded`). */
  private readonly ignore = new DvcIgnore();
  private readonly rulesLoaded = new Map<string, Promise<void>>();

  /** `prefix`: the DVC root's path inside the git work tree ('' when they are the same). */
  constructor(
    readonly rev: string,
    readonly commit: string,
    readonly root: string,
    private readonly reader: GitObjectReader,
    private readonly prefix: string = '',
  ) {}

  /** A walk of the commit's tree; a folder with a `.dvc` file of its name beside it is not entered (as the workspace's walk without git). */
  async dvcFiles(): Promise<string[]> {
    const found: string[] = [];
    const visit = async (dir: string): Promise<void> => {
      const entries = await this.list(dir);
      const names = new Set(entries.map((e) => e.name));
      for (const e of entries) {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDir) {
          if (!names.has(`${e.name}.dvc`)) await visit(rel);
        } else if (e.name.endsWith('.dvc')) found.push(rel);
      }
    };
    await visit('');
    return found.sort();
  }

  /** A folder's entries as the commit holds them (nothing left out), or undefined when it is not a folder. */
  private tree(dir: string): Promise<Map<string, TreeEntry> | undefined> {
    let hit = this.trees.get(dir);
    if (!hit) {
      hit = this.treeObject(dir).then((obj) => (obj?.type === 'tree' ? new Map(parseTree(obj.data, obj.sha.length / 2).map((e) => [e.name, e])) : undefined));
      this.trees.set(dir, hit);
    }
    return hit;
  }

  /** The root's tree is the commit's own; every folder and file below it is found through its parent's entries, by id. */
  private async treeObject(dir: string): Promise<GitObject | undefined> {
    if (dir === '') return this.reader.read(`${this.commit}:${this.prefix}`);
    const entry = await this.entry(dir);
    return entry?.isDir ? this.reader.readById(entry.id) : undefined;
  }

  private async entry(norm: string): Promise<TreeEntry | undefined> {
    const slash = norm.lastIndexOf('/');
    const name = norm.slice(slash + 1);
    return (await this.tree(slash < 0 ? '' : norm.slice(0, slash)))?.get(name);
  }

  private blob(norm: string): Promise<Buffer | undefined> {
    let hit = this.cache.get(norm);
    if (!hit) {
      hit = this.entry(norm).then(async (entry) => {
        const obj = entry && !entry.isDir ? await this.reader.readById(entry.id) : undefined;
        return obj?.type === 'blob' ? obj.data : undefined;
      });
      this.cache.set(norm, hit);
    }
    return hit;
  }

  /** Whether `norm` is ignored at this commit, once the rules of every folder from the root to its parent (or itself, a folder) are read. */
  private async ignored(norm: string, isDir: boolean): Promise<boolean> {
    if (norm === '') return false;
    const parts = norm.split('/');
    const folders = isDir ? parts.length : parts.length - 1;
    for (let i = 0; i <= folders; i++) await this.loadRules(parts.slice(0, i).join('/'));
    return this.ignore.matches(norm, isDir);
  }

  private loadRules(dir: string): Promise<void> {
    let loaded = this.rulesLoaded.get(dir);
    if (!loaded) {
      loaded = this.tree(dir).then(async (entries) => {
        if (entries?.get('.dvc')?.isDir) this.ignore.addNestedRepo(dir);
        const rules = entries?.get('.dvcignore');
        if (!rules || rules.isDir) return;
        const text = await this.blob(dir ? `${dir}/.dvcignore` : '.dvcignore');
        if (text !== undefined) this.ignore.addRules(dir, text.toString('utf8'));
      });
      this.rulesLoaded.set(dir, loaded);
    }
    return loaded;
  }

  async readBytes(relPath: string): Promise<Buffer | undefined> {
    const norm = normalizeRel(relPath);
    if (norm === undefined || (await this.ignored(norm, false))) return undefined;
    return this.blob(norm);
  }

  async read(relPath: string): Promise<string | undefined> {
    return (await this.readBytes(relPath))?.toString('utf8');
  }

  async list(dirRelPath: string): Promise<SourceEntry[]> {
    const dir = normalizeRel(dirRelPath);
    if (dir === undefined || (await this.ignored(dir, true))) return [];
    const entries = (await this.tree(dir))?.values() ?? [];
    const shown: SourceEntry[] = [];
    for (const e of entries) if (!(await this.ignored(dir ? `${dir}/${e.name}` : e.name, e.isDir))) shown.push({ name: e.name, isDir: e.isDir });
    return shown;
  }

}
