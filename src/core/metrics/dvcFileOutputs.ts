import * as path from 'node:path';
import { CairnError } from '../errors';
import { isObjectId } from '../hashing/objectId';
import { DvcFile, OutEntry } from '../outputs/dvcFile';
import type { CachedOut } from './declarations';
import type { RevisionSource } from './revisionSource';

/**
 * A pipeline or `.dvc` file of a revision that DVC could not load, with the exception DVC names
 * for it in `--json` error entries (by what went wrong: syntax, schema, `${}`).
 */
export class ProjectFileError extends CairnError {
  readonly type: 'YAMLSyntaxError' | 'YAMLValidationError' | 'ResolveError';

  constructor(cause: CairnError, source: RevisionSource) {
    // Said with the revision: the workspace's copy may be fine.
    super(cause.code, source.commit ? `${cause.message} (at ${source.rev})` : cause.message, cause.options);
    this.type = / is invalid YAML: |^invalid YAML: /.test(cause.message) ? 'YAMLSyntaxError' : /^failed to parse '/.test(cause.message) ? 'ResolveError' : 'YAMLValidationError';
  }
}

/** Paths are checked lexically against a root; a revision has none on disk, so one stands in. */
const REVISION_ROOT = path.resolve(path.sep, 'revision');

/** Folders DVC never looks into for `.dvc` files. */
const SKIPPED = new Set(['.git', '.dvc', 'node_modules']);

/** An output of a `.dvc` file of a revision, with its repo-relative path. */
export interface DvcFileOutput {
  rel: string;
  out: OutEntry;
}

const outputsBySource = new WeakMap<RevisionSource, Promise<DvcFileOutput[]>>();

/**
 * The cached outputs the `.dvc` files of a revision record (repo-relative path → hash), found as
 * DVC finds them (see dvcFileOutputList).
 */
export async function dvcFileOutputs(source: RevisionSource): Promise<Map<string, CachedOut>> {
  const result = new Map<string, CachedOut>();
  for (const { rel, out } of await dvcFileOutputList(source)) {
    if (out.cache && out.md5 && isObjectId(out.md5)) result.set(rel, { md5: out.md5, hashName: out.hashName });
  }
  return result;
}

/**
 * Every output of the `.dvc` files of a revision, found as DVC finds them: every `.dvc` file of
 * the tree, not inside a folder one of them tracks nor inside a nested DVC repository (a folder
 * with its own `.dvc/`). Each file is checked as `DvcFile.parse` checks it: one DVC 3 refuses (an
 * old `metric: false` output) fails the whole revision, as it fails DVC's index. Read once per source.
 */
export function dvcFileOutputList(source: RevisionSource): Promise<DvcFileOutput[]> {
  let found = outputsBySource.get(source);
  if (!found) outputsBySource.set(source, (found = collectDvcFileOutputs(source)));
  return found;
}

async function collectDvcFileOutputs(source: RevisionSource): Promise<DvcFileOutput[]> {
  const result: DvcFileOutput[] = [];
  const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
  const visit = async (dir: string): Promise<void> => {
    const entries = await source.list(dir);
    if (dir && entries.some((e) => e.isDir && e.name === '.dvc')) return;
    const tracked = new Set<string>();
    for (const entry of entries) {
      if (entry.isDir || !entry.name.endsWith('.dvc')) continue;
      const rel = join(dir, entry.name);
      const text = await source.read(rel);
      if (text === undefined) continue;
      let file: DvcFile;
      try {
        file = DvcFile.parse(text, path.join(REVISION_ROOT, rel), rel, REVISION_ROOT);
      } catch (err) {
        if (err instanceof CairnError) throw new ProjectFileError(err, source);
        throw err;
      }
      for (const out of file.outs) {
        const outRel = path.relative(REVISION_ROOT, file.outPath(out)).split(path.sep).join('/');
        tracked.add(outRel);
        result.push({ rel: outRel, out });
      }
    }
    for (const entry of entries) {
      const rel = join(dir, entry.name);
      if (entry.isDir && !SKIPPED.has(entry.name) && !tracked.has(rel)) await visit(rel);
    }
  };
  await visit('');
  return result;
}
