import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';

/** A run going on outside the workspace: the temporary tree of a `--temp` or queued run. */
export interface TempRunTree {
  /** The folder's name under `.dvc/tmp/exps/` (`tmpab12cd`). */
  name: string;
  /** The repository's root inside that tree (the tree mirrors the git repository; the DVC root may be a subfolder). */
  root: string;
}

/** The name `run.ts` gives a temporary tree (mkdtemp's `tmp` + six characters), as dvc names its own. */
const TEMP_TREE = /^tmp[A-Za-z0-9_]{6,}$/;

/**
 * The temporary trees of runs going on (`.dvc/tmp/exps/tmp*`), where `--temp` and queued runs —
 * Cairn's and dvc's — write their metrics and plots as they train. Only real folders: a committed
 * link there (a hostile repository) is never followed, and nothing is created.
 */
export function tempRunTrees(repo: Repo): TempRunTree[] {
  const exps = path.join(repo.dvcDir, 'tmp', 'exps');
  for (const dir of [path.dirname(exps), exps]) {
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return [];
  }
  const relRoot = path.relative(repo.scm?.root ?? repo.root, repo.root);
  const realExps = fs.realpathSync(exps);
  const trees: TempRunTree[] = [];
  for (const entry of fs.readdirSync(exps, { withFileTypes: true })) {
    if (!entry.isDirectory() || !TEMP_TREE.test(entry.name)) continue;
    const root = path.join(exps, entry.name, relRoot);
    const st = fs.lstatSync(root, { throwIfNoEntry: false });
    // The tree exists from mkdtemp on; its `.dvc` folder once its files are written.
    if (!st?.isDirectory() || !fs.lstatSync(path.join(root, '.dvc'), { throwIfNoEntry: false })?.isDirectory()) continue;
    // No link on the way (the repository's folder may be deeper in the tree than the tree's top).
    if (fs.realpathSync(root) !== path.join(realExps, entry.name, relRoot)) continue;
    trees.push({ name: entry.name, root });
  }
  return trees.sort((a, b) => a.name.localeCompare(b.name));
}
