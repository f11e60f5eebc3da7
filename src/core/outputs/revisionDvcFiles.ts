import * as path from 'node:path';
import { CairnError } from '../errors';
import { DvcFile } from './dvcFile';
import { ProjectFileError } from '../metrics/projectFileError';
import type { RevisionSource } from '../metrics/revisionSource';

export interface DvcFilesOptions {
  /**
   * Where a file that cannot be read goes, so the others are still read (`unreadableFiles`).
   * Without it the first such file fails the whole revision, as it fails dvc's index.
   */
  setAside?: (err: ProjectFileError) => void;
}

/**
 * The `.dvc` files of a revision — the workspace or a commit, read from git with nothing checked
 * out — found as dvc's index finds them (`RevisionSource.dvcFiles`, the revision's own
 * `.dvcignore`) and each checked as `DvcFile.parse` checks it. The one reader of `.dvc` files
 * for every command: status and checkout, diff and ls, push/fetch/gc, metrics, params and plots.
 * An error names the file and, at a commit, the revision.
 */
export async function revisionDvcFiles(source: RevisionSource, options: DvcFilesOptions = {}): Promise<DvcFile[]> {
  const files: DvcFile[] = [];
  for (const rel of await source.dvcFiles()) {
    try {
      const file = await readDvcFile(source, rel);
      if (file) files.push(file);
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      const unreadable = new ProjectFileError(err, source);
      if (!options.setAside) throw unreadable;
      options.setAside(unreadable);
    }
  }
  return files;
}

async function readDvcFile(source: RevisionSource, rel: string): Promise<DvcFile | undefined> {
  const abs = path.join(source.root, ...rel.split('/'));
  // On disk, read as every repository file is: only when it is a regular file, or an error naming it.
  if (!source.commit) return DvcFile.load(abs, rel, source.root);
  const text = await source.read(rel);
  return text === undefined ? undefined : DvcFile.parse(text, abs, rel, source.root);
}
