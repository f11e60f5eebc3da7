import { CairnError } from '../errors';
import type { HashName } from '../hashing/hashNames';
import type { DirEntry } from '../hashing/dirManifest';
import { isObjectId } from '../hashing/objectId';
import type { CachedOut } from './declarations';
import { normalizeRel, RevisionSource, SourceEntry } from './revisionSource';

/** The repository's DVC cache as metrics, params and plots read it. */
export interface OutputCache {
  /** An object's bytes, or undefined when the cache lacks it. */
  read(md5: string, hashName: HashName): Promise<Buffer | undefined>;
  /** A `.dir` object's entries (checked against its hash), or undefined when the cache lacks it. */
  manifest(md5: string, hashName: HashName): DirEntry[] | undefined;
}

/** Why a file inside a cached output could not be read, with DVC's exception name (for `--json` error entries). */
export class CachedOutputError extends CairnError {
  constructor(
    readonly type: 'DataIndexDirError' | 'FileNotFoundError',
    message: string,
    file: string,
    hint: string,
  ) {
    super('NOT_IN_CACHE', message, { file, hint });
  }
}

const FETCH_HINT = 'Fetch it (`cairn fetch`, or `cairn pull`) and try again.';

/** `('results', 'train')`: an output's path as DVC names a folder it could not load. */
function pythonTuple(parts: string[]): string {
  const items = parts.map((p) => `'${p.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
}

/**
 * A revision's files as DVC's data filesystem shows them: the files git (or the disk) holds,
 * and under them the outputs its dvc.lock and `.dvc` files record, read from the DVC cache (a
 * folder through its `.dir` manifest). What the revision itself holds wins: a workspace file on
 * disk is read as it is now. Only hashes that are object ids are ever looked up.
 */
export class OutputsSource implements RevisionSource {
  readonly rev: string;
  readonly commit?: string;
  readonly root: string;
  /** Repo-relative output path → its recorded hash; folders end in `.dir`. */
  private readonly outs: [string, CachedOut][];

  constructor(
    private readonly files: RevisionSource,
    outs: Map<string, CachedOut>,
    private readonly cache: OutputCache,
  ) {
    this.rev = files.rev;
    this.commit = files.commit;
    this.root = files.root;
    this.outs = [...outs].filter(([p, out]) => p !== '' && isObjectId(out.md5));
  }

  async readBytes(relPath: string): Promise<Buffer | undefined> {
    const own = await this.files.readBytes(relPath);
    if (own !== undefined) return own;
    const rel = normalizeRel(relPath);
    if (!rel) return undefined;
    for (const [outPath, out] of this.outs) {
      if (rel === outPath && !out.md5.endsWith('.dir')) return this.object(rel, out.md5, out.hashName);
      if (rel.startsWith(`${outPath}/`) && out.md5.endsWith('.dir')) {
        const inner = rel.slice(outPath.length + 1);
        const entry = this.entries(outPath, out).find((e) => e.relpath === inner);
        return entry ? this.object(rel, entry.md5, out.hashName) : undefined;
      }
    }
    return undefined;
  }

  async read(relPath: string): Promise<string | undefined> {
    return (await this.readBytes(relPath))?.toString('utf8');
  }

  /** The revision's own: `.dvc` files are never read from the cache. */
  dvcFiles(): Promise<string[]> {
    return this.files.dvcFiles();
  }

  async list(dirRelPath: string): Promise<SourceEntry[]> {
    const own = await this.files.list(dirRelPath);
    const dir = normalizeRel(dirRelPath);
    if (dir === undefined) return own;
    const found = new Map(own.map((e) => [e.name, e]));
    const add = (name: string, isDir: boolean) => {
      const known = found.get(name);
      found.set(name, { name, isDir: isDir || !!known?.isDir });
    };
    for (const [outPath, out] of this.outs) {
      const isDirOut = out.md5.endsWith('.dir');
      if (dir === '' || outPath.startsWith(`${dir}/`)) {
        // The output (or a folder on the way to it) is an entry of this folder.
        const rest = dir === '' ? outPath : outPath.slice(dir.length + 1);
        const slash = rest.indexOf('/');
        add(slash < 0 ? rest : rest.slice(0, slash), slash >= 0 || isDirOut);
      } else if (isDirOut && (dir === outPath || dir.startsWith(`${outPath}/`))) {
        let entries: DirEntry[];
        try {
          entries = this.entries(outPath, out);
        } catch (err) {
          // A folder the revision holds itself lists as it is; one only the cache could give cannot be listed.
          if (own.length) continue;
          throw err;
        }
        const prefix = dir === outPath ? '' : `${dir.slice(outPath.length + 1)}/`;
        for (const e of entries) {
          if (!e.relpath.startsWith(prefix)) continue;
          const rest = e.relpath.slice(prefix.length);
          const slash = rest.indexOf('/');
          add(slash < 0 ? rest : rest.slice(0, slash), slash >= 0);
        }
      }
    }
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A cached folder's manifest; DVC's DataIndexDirError when the cache lacks it. */
  private entries(outPath: string, out: CachedOut): DirEntry[] {
    const entries = this.cache.manifest(out.md5, out.hashName);
    if (!entries) {
      throw new CachedOutputError('DataIndexDirError', `failed to load directory ${pythonTuple(outPath.split('/'))}`, outPath, `Its list of files (${out.md5}) is not in the cache. ${FETCH_HINT}`);
    }
    return entries;
  }

  private async object(rel: string, md5: string, hashName: HashName): Promise<Buffer> {
    const bytes = isObjectId(md5) ? await this.cache.read(md5, hashName) : undefined;
    if (bytes === undefined) throw new CachedOutputError('FileNotFoundError', `[Errno 2] No storage files available: '${rel}'`, rel, `It is not in the cache. ${FETCH_HINT}`);
    return bytes;
  }
}
