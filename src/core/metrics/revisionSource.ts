import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PipelineSource } from '../pipeline/load';
import type { DvcIgnore } from '../repo/dvcignore';
import { readProblem } from '../repo/pathGuard';
import { readRepoFile } from '../repo/readRepoFile';
import { CairnError } from '../errors';
import { GitObjectReader, parseTree } from './gitObjectReader';

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
 * Entries `.dvcignore` ignores (the workspace's rules) are left out of lists and reads.
 */
export interface RevisionSource extends PipelineSource {
  /** `workspace`, or the name the revision was asked by. */
  readonly rev: string;
  /** The commit, for a git revision. */
  readonly commit?: string;
  read(relPath: string): Promise<string | undefined>;
  /** Like read, as bytes. */
  readBytes(relPath: string): Promise<Buffer | undefined>;
  list(dirRelPath: string): Promise<SourceEntry[]>;
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

/** The workspace: files as they are on disk now. */
export class WorkspaceSource implements RevisionSource {
  readonly rev = 'workspace';
  constructor(
    readonly root: string,
    private readonly ignore?: DvcIgnore,
  ) {}

  private abs(rel: string, isDir = false): string | undefined {
    const norm = normalizeRel(rel);
    if (norm === undefined || (norm && this.ignore?.isIgnored(norm, isDir))) return undefined;
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
        .filter((e) => !this.ignore?.isIgnored(dir ? `${dir}/${e.name}` : e.name, e.isDir))
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
 * revisions). Reads are cached per path, so a loader and a reader asking for the same file cost one read.
 */
export class CommitSource implements RevisionSource {
  private readonly cache = new Map<string, Promise<Buffer | undefined>>();
  /** Folders are listed by the loader, the `.dvc` file walk and metrics folders alike: each once. */
  private readonly listings = new Map<string, Promise<SourceEntry[]>>();

  /** `prefix`: the DVC root's path inside the git work tree ('' when they are the same). */
  constructor(
    readonly rev: string,
    readonly commit: string,
    private readonly reader: GitObjectReader,
    private readonly prefix: string = '',
    private readonly ignore?: DvcIgnore,
  ) {}

  private objectName(rel: string, isDir = false): string | undefined {
    const norm = normalizeRel(rel);
    if (norm === undefined || (norm && this.ignore?.isIgnored(norm, isDir))) return undefined;
    const full = [this.prefix, norm].filter(Boolean).join('/');
    return `${this.commit}:${full}`;
  }

  readBytes(relPath: string): Promise<Buffer | undefined> {
    const name = this.objectName(relPath);
    if (name === undefined) return Promise.resolve(undefined);
    let hit = this.cache.get(name);
    if (!hit) {
      hit = this.reader.read(name).then((o) => (o?.type === 'blob' ? o.data : undefined));
      this.cache.set(name, hit);
    }
    return hit;
  }

  async read(relPath: string): Promise<string | undefined> {
    return (await this.readBytes(relPath))?.toString('utf8');
  }

  list(dirRelPath: string): Promise<SourceEntry[]> {
    const name = this.objectName(dirRelPath, true);
    if (name === undefined) return Promise.resolve([]);
    let hit = this.listings.get(name);
    if (!hit) {
      hit = this.reader.read(name).then((obj) => {
        if (obj?.type !== 'tree') return [];
        const dir = normalizeRel(dirRelPath);
        return parseTree(obj.data, obj.sha.length / 2).filter((e) => !this.ignore?.isIgnored(dir ? `${dir}/${e.name}` : e.name, e.isDir));
      });
      this.listings.set(name, hit);
    }
    return hit;
  }

}
