import * as fs from 'node:fs';
import * as path from 'node:path';
import { DvcIgnore, globToRegex } from './dvcignore';
import type { Git } from '../scm/git';

/**
 * Workspace files whose name matches one of `names` (file-name globs: `dvc.yaml`, `*.dvc`), at any
 * depth, repo-relative and sorted: present and not ignored by `ignore`. With git (`scm`; none with
 * `core.no_scm` or where git may not run), git's list (tracked or untracked-but-not-ignored),
 * which skips ignored data fast, as dvc skips what git ignores in the workspace. Without git a
 * walk of the disk that never enters `.git`, `.dvc`, folders a `.dvc` file beside them tracks,
 * or linked folders, so big tracked folders are never walked.
 */
export async function findWorkspaceFiles(root: string, scm: Git | undefined, ignore: DvcIgnore, names: string[]): Promise<string[]> {
  if (!scm) return walkWorkspaceFiles(root, ignore, names);
  const prefix = path.relative(scm.root, root).split(path.sep).join('/');
  const pathspecs = names.flatMap((name) => [name, `*/${name}`]).map((p) => (prefix ? `${prefix}/${p}` : p));
  const listed = await scm.listWorktreeFiles(pathspecs);
  return listed
    .map((p) => (prefix ? p.slice(prefix.length + 1) : p))
    .filter((rel) => !rel.startsWith('.dvc/') && fs.existsSync(path.join(root, rel)) && !ignore.isIgnored(rel, false))
    .sort();
}

function walkWorkspaceFiles(root: string, ignore: DvcIgnore, names: string[]): string[] {
  const wanted = new RegExp(`^(?:${names.map(globToRegex).join('|')})$`);
  const found: string[] = [];
  const visit = (abs: string, rel: string) => {
    const entries = fs.readdirSync(abs, { withFileTypes: true });
    const present = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (ignore.isIgnored(childRel, e.isDirectory())) continue;
      if (e.isDirectory()) {
        if (!present.has(`${e.name}.dvc`)) visit(path.join(abs, e.name), childRel);
      } else if (wanted.test(e.name)) found.push(childRel);
    }
  };
  visit(root, '');
  return found.sort();
}

