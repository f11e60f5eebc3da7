import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { compareCodePoints, DirEntry } from '../hashing/dirManifest';
import { openRemote } from '../remotes/openRemote';
import { objectKey } from '../remotes/remote';
import { isObjectId } from '../hashing/objectId';
import { normalizeRel } from '../metrics/revisionSource';
import { TrackedOutput, WORKSPACE } from './collect';
import { RecordedOutput, recordedOutputs, resolveRevision } from './recordedOutputs';

/** One entry as `dvc list --json` prints it (keys in dvc's order). */
export interface ListEntry {
  isout: boolean;
  isdir: boolean;
  isexec: boolean;
  /** Bytes: of the file (a folder's size as the file system or git gives it; an output's as recorded when only DVC has it). */
  size: number | null;
  /** The hash DVC records for an output (or a file inside a tracked folder); null otherwise. */
  md5: string | null;
  /** Relative to the listed path. */
  path: string;
}

/** A node of `dvc list --tree`: `path` is the entry's name; `contents` is set for a folder recursed into. */
export interface TreeEntry extends ListEntry {
  contents?: TreeEntry[];
}

export interface ListOptions {
  /** A git revision or experiment name (default: the workspace). */
  rev?: string;
  /** Every file below the path (folders only where `maxDepth` stops). */
  recursive?: boolean;
  /** Only what DVC tracks: no git or workspace files. */
  dvcOnly?: boolean;
  /** How deep `recursive` (or the tree) goes; without `recursive` it is ignored, as in dvc. */
  maxDepth?: number;
}

/**
 * `dvc list`: the files git holds at a revision (or the workspace's files, ignored ones
 * included, as dvc's local file system shows them) merged with the outputs DVC records there,
 * files inside tracked folders from their `.dir` manifests. `relPath` is relative to the root.
 */
export async function listRepository(repo: Repo, relPath: string, options: ListOptions = {}): Promise<ListEntry[]> {
  const view = await RepoView.open(repo, options.rev);
  const key = repoKey(relPath);
  const top = await view.info(key, relPath);
  const maxDepth = options.recursive ? options.maxDepth : undefined;
  if (maxDepth === 0 || !top.isdir) return [{ ...top, path: key === '' ? '.' : path.posix.basename(key) }];
  const found: ListEntry[] = [];
  const visit = async (dir: string, parts: string[]): Promise<void> => {
    const children = await view.ls(dir, !!options.dvcOnly);
    const foldersToo = !options.recursive || (maxDepth !== undefined && parts.length >= maxDepth - 1);
    for (const child of children) if (!child.isdir || foldersToo) found.push({ ...child, path: [...parts, child.path].join('/') });
    if (!options.recursive || (maxDepth !== undefined && parts.length + 1 >= maxDepth)) return;
    for (const child of children) if (child.isdir) await visit(joinKey(dir, child.path), [...parts, child.path]);
  };
  await visit(key, []);
  return found.sort((a, b) => compareCodePoints(a.path, b.path));
}

/** `dvc list --tree`: the path (named as given, `.` for the root) and what is below it, `maxDepth` levels deep. */
export async function listTree(repo: Repo, relPath: string, options: Omit<ListOptions, 'recursive'> = {}): Promise<TreeEntry> {
  const view = await RepoView.open(repo, options.rev);
  const key = repoKey(relPath);
  const grow = async (entry: ListEntry, at: string, depthLeft: number | undefined): Promise<TreeEntry> => {
    if (!entry.isdir || (depthLeft !== undefined && depthLeft <= 0)) return entry;
    const children = await view.ls(at, !!options.dvcOnly);
    const left = depthLeft === undefined ? undefined : depthLeft - 1;
    return { ...entry, contents: await Promise.all(children.map((c) => grow(c, joinKey(at, c.path), left))) };
  };
  return grow({ ...(await view.info(key, relPath)), path: relPath || '.' }, key, options.maxDepth);
}

/** What a file view (git's tree or the disk) says of a path. */
interface FileInfo {
  isDir: boolean;
  size: number;
  isexec: boolean;
}

/** What DVC's data index says of a path: an output, a path inside a tracked folder, or a folder on the way to outputs. */
interface DataNode {
  isDir: boolean;
  size: number | null;
  md5: string | null;
  isout: boolean;
  children?: Map<string, DataNode>;
  /** A tracked folder whose manifest has not been read yet. */
  unread?: RecordedOutput;
}

/** A repository at one revision as dvc's DVCFileSystem shows it: git's (or the disk's) files merged with DVC's. */
class RepoView {
  private constructor(
    private readonly repo: Repo,
    private readonly files: FileView,
    private readonly data: DataNode,
    private readonly revName: string,
  ) {}

  static async open(repo: Repo, rev: string | undefined): Promise<RepoView> {
    const commit = rev === undefined || rev === WORKSPACE ? undefined : await resolveRevision(repo, rev);
    const files = commit === undefined ? new WorkspaceFiles(repo) : await CommitFiles.load(repo, commit);
    const outputs = (await recordedOutputs(repo, commit, { revName: rev })).filter((o) => o.cache);
    return new RepoView(repo, files, dataTree(outputs), rev ?? WORKSPACE);
  }

  /** The path itself; an error naming it when neither git (or the disk) nor DVC has it. */
  async info(key: string, shown: string): Promise<ListEntry> {
    const file = this.files.info(key);
    const data = await this.dataNode(key);
    if (!file && !data) {
      throw new CairnError('MISSING_PATH', `'${shown}' is neither in the repository nor tracked by DVC${this.revName === WORKSPACE ? '' : ` at '${this.revName}'`}.`, {
        hint: 'The path is relative to the repository\'s root; `cairn ls <url>` lists what is there.',
      });
    }
    return { ...merged(file, data), path: shown };
  }

  /** A folder's entries, sorted by name (`path` is the name). */
  async ls(key: string, dvcOnly: boolean): Promise<ListEntry[]> {
    const data = await this.dataNode(key);
    let dataChildren = data?.isDir ? await this.childrenOf(data, key) : new Map<string, DataNode>();
    const file = dvcOnly ? undefined : this.files.info(key);
    const fileChildren = file?.isDir ? this.files.ls(key) : new Map<string, FileInfo>();
    // As dvc: DVC's entries are dropped when it records a file where there is a folder (or the reverse).
    if (file && data && file.isDir !== data.isDir) dataChildren = new Map();
    const names = new Set([...fileChildren.keys(), ...dataChildren.keys()]);
    return [...names].sort(compareCodePoints).map((name) => ({ ...merged(fileChildren.get(name), dataChildren.get(name)), path: name }));
  }

  private async dataNode(key: string): Promise<DataNode | undefined> {
    let node: DataNode | undefined = this.data;
    let at = '';
    for (const part of key === '' ? [] : key.split('/')) {
      if (!node.isDir) return undefined;
      node = (await this.childrenOf(node, at)).get(part);
      if (!node) return undefined;
      at = joinKey(at, part);
    }
    return node;
  }

  /** A data node's children; a tracked folder's are read from its `.dir` manifest on first need. */
  private async childrenOf(node: DataNode, key: string): Promise<Map<string, DataNode>> {
    if (node.unread) {
      const out = node.unread;
      const entries = await this.manifestOf(out);
      if (!entries) {
        throw new CairnError('NOT_IN_CACHE', `failed to load directory '${key}': its list of files (${out.md5}) is neither in the cache nor on the default remote.`, {
          file: out.recordedIn,
          hint: 'Push it from where it was made (`cairn push`), or fetch it from the remote that has it (`cairn fetch -r <name>`).',
        });
      }
      node.unread = undefined;
      for (const e of entries) place(node, e.relpath.split('/'), { isDir: false, size: null, md5: e.md5, isout: true }, true);
    }
    return node.children ?? new Map();
  }

  /** A tracked folder's manifest; as dvc, one the cache lacks is brought from the default remote (verified) when it is there. */
  private async manifestOf(out: RecordedOutput): Promise<DirEntry[] | undefined> {
    if (!isObjectId(out.md5)) return undefined;
    const cached = this.repo.store.readDir(out.md5, out.hashName);
    if (cached || !hasDefaultRemote(this.repo)) return cached;
    const remote = openRemote(this.repo, undefined, 'ls');
    try {
      const item = { key: objectKey(out.md5, out.hashName), name: out.md5, hashName: out.hashName, objectsDir: this.repo.store.objectsDirFor(out.hashName) };
      await remote.getAll([item], this.repo.store.stagingDir, { jobs: 1 });
    } finally {
      remote.close();
    }
    return this.repo.store.readDir(out.md5, out.hashName);
  }
}

const hasDefaultRemote = (repo: Repo) => !!repo.config.get('core', 'remote');

/** The entry dvc makes of what the file view and the data index say (the file view's type, size and mode win). */
function merged(file: FileInfo | undefined, data: DataNode | undefined): Omit<ListEntry, 'path'> {
  return {
    isout: data?.isout ?? false,
    isdir: file ? file.isDir : !!data?.isDir,
    isexec: file ? file.isexec : false,
    size: file ? file.size : (data?.size ?? null),
    md5: data?.md5 ?? null,
  };
}

/** DVC's outputs as a tree of paths; folders on the way to an output are not outputs themselves. */
function dataTree(outputs: RecordedOutput[]): DataNode {
  const root: DataNode = { isDir: true, size: null, md5: null, isout: false, children: new Map() };
  for (const out of outputs) {
    if (out.md5 === undefined) {
      // A stage output dvc.lock does not record yet: dvc lists it as an empty file.
      place(root, out.rel.split('/'), { isDir: false, size: 0, md5: null, isout: true }, false);
      continue;
    }
    const isDir = out.md5.endsWith('.dir');
    place(root, out.rel.split('/'), { isDir, size: out.size ?? null, md5: out.md5, isout: true, ...(isDir && { children: new Map(), unread: out }) }, false);
  }
  return root;
}

function place(under: DataNode, parts: string[], node: DataNode, insideOutput: boolean): void {
  let dir = under;
  for (const part of parts.slice(0, -1)) {
    dir.children ??= new Map();
    let next = dir.children.get(part);
    if (!next) dir.children.set(part, (next = { isDir: true, size: null, md5: null, isout: insideOutput, children: new Map() }));
    if (!next.isDir) return; // an output inside another output's file: not listable
    dir = next;
  }
  dir.children ??= new Map();
  dir.children.set(parts[parts.length - 1], node);
}

/** Files as git (at a commit) or the disk has them; ignored by `.dvcignore` = absent. */
interface FileView {
  info(key: string): FileInfo | undefined;
  ls(key: string): Map<string, FileInfo>;
}

/**
 * The workspace as dvc's local file system lists it: every file on disk, git-ignored ones too,
 * minus `.dvcignore`d ones, `.git` and `.dvc`. Nothing is read; a path `Repo.guard` refuses (a
 * folder on the way leads out of the repository) is absent, and links are never entered.
 */
class WorkspaceFiles implements FileView {
  constructor(private readonly repo: Repo) {}

  info(key: string): FileInfo | undefined {
    const abs = key === '' ? this.repo.root : path.join(this.repo.root, key);
    if (key !== '' && this.repo.guard.problem(abs)) return undefined;
    const lst = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (!lst) return undefined;
    if (key !== '' && lst.isSymbolicLink()) {
      // As dvc's file system shows a link: not a folder (so never entered), not executable, sized as
      // what it points to (a dangling one: 0).
      if (this.repo.ignore.isIgnored(key, false)) return undefined;
      return { isDir: false, size: fs.statSync(abs, { throwIfNoEntry: false })?.size ?? 0, isexec: false };
    }
    const isDir = lst.isDirectory();
    if (key !== '' && this.repo.ignore.isIgnored(key, isDir)) return undefined;
    return { isDir, size: lst.size, isexec: !isDir && (lst.mode & 0o111) !== 0 };
  }

  ls(key: string): Map<string, FileInfo> {
    const abs = key === '' ? this.repo.root : path.join(this.repo.root, key);
    const found = new Map<string, FileInfo>();
    let names: string[];
    try {
      names = fs.readdirSync(abs);
    } catch {
      return found;
    }
    for (const name of names) {
      const info = this.info(joinKey(key, name));
      if (info) found.set(name, info);
    }
    return found;
  }
}

/** A commit's tree as git has it (read with `git ls-tree`, nothing checked out), minus what `.dvcignore` leaves out. */
class CommitFiles implements FileView {
  private constructor(
    private readonly entries: Map<string, FileInfo>,
    private readonly children: Map<string, Map<string, FileInfo>>,
  ) {}

  static async load(repo: Repo, commit: string): Promise<CommitFiles> {
    const prefix = path.relative(repo.scm!.root, repo.root).split(path.sep).join('/');
    const all = await repo.scm!.treeEntries(commit, prefix);
    const entries = new Map<string, FileInfo>();
    const children = new Map<string, Map<string, FileInfo>>();
    const top = all.get('');
    if (top) entries.set('', top);
    // git lists a folder before what it holds: a folder left out leaves out its contents.
    for (const [key, entry] of all) {
      if (key === '') continue;
      const slash = key.lastIndexOf('/');
      const dir = slash < 0 ? '' : key.slice(0, slash);
      if (!entries.has(dir) || repo.ignore.isIgnored(key, entry.isDir)) continue;
      entries.set(key, entry);
      if (!children.has(dir)) children.set(dir, new Map());
      children.get(dir)!.set(key.slice(slash + 1), entry);
    }
    return new CommitFiles(entries, children);
  }

  info(key: string): FileInfo | undefined {
    return this.entries.get(key);
  }

  ls(key: string): Map<string, FileInfo> {
    return this.children.get(key) ?? new Map();
  }
}

/** A user's path inside the repository as a key (`''` for the root); one that leaves the repository is an error. */
function repoKey(relPath: string): string {
  const key = normalizeRel(relPath);
  if (key === undefined) throw new CairnError('PATH_OUTSIDE_REPO', `'${relPath}' is outside the repository.`, { hint: 'Give a path relative to the repository\'s root.' });
  return key;
}

const joinKey = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

/** An output of a `.dvc` file as the extension's views show it. */
export interface ListedOutput {
  path: string; // repo-relative
  dvcFile: string;
  isdir: boolean;
  md5: string | null;
  size: number | null;
  nfiles: number | null;
  type: string | null;
  desc: string | null;
}

/** An output as plain data (for JSON and for the extension's views). */
export function describeOutput(o: TrackedOutput): ListedOutput {
  return {
    path: o.rel,
    dvcFile: o.dvcFile.relFile,
    isdir: !!o.out.md5?.endsWith('.dir'),
    md5: o.out.md5 ?? null,
    size: o.out.size ?? null,
    nfiles: o.out.nfiles ?? null,
    type: o.out.type ?? null,
    desc: o.out.desc ?? null,
  };
}
