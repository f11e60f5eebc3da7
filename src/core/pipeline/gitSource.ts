import type { Git } from '../scm/git';
import type { DvcIgnore } from '../repo/dvcignore';
import type { PipelineSource } from './load';

/**
 * A git commit as a PipelineSource (nothing checked out). `prefix` is the repository's folder
 * inside the git work tree ('' when they are the same).
 */
export async function gitRevisionSource(git: Git, commit: string, prefix = '', ignore?: DvcIgnore): Promise<PipelineSource> {
  const names = await git.listFiles(commit);
  const files = new Set<string>();
  const children = new Map<string, Map<string, boolean>>();
  const dirIgnored = new Map<string, boolean>();
  const isDirIgnored = (dir: string): boolean => {
    let known = dirIgnored.get(dir);
    if (known === undefined) {
      const slash = dir.lastIndexOf('/');
      known = (slash > 0 && isDirIgnored(dir.slice(0, slash))) || !!ignore?.isIgnored(dir, true);
      dirIgnored.set(dir, known);
    }
    return known;
  };
  for (const name of names) {
    if (prefix && !name.startsWith(prefix + '/')) continue;
    const rel = prefix ? name.slice(prefix.length + 1) : name;
    const parts = rel.split('/');
    // A file is ignored by its own rules or by a rule on any folder above it.
    if (ignore && ((parts.length > 1 && isDirIgnored(parts.slice(0, -1).join('/'))) || ignore.isIgnored(rel, false))) continue;
    files.add(rel);
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const m = children.get(dir) ?? new Map<string, boolean>();
      m.set(parts[i], i < parts.length - 1);
      children.set(dir, m);
    }
  }
  return {
    async read(relPath) {
      if (!files.has(relPath)) return undefined;
      return git.show(commit, prefix ? `${prefix}/${relPath}` : relPath);
    },
    async list(dir) {
      return [...(children.get(dir) ?? new Map<string, boolean>())].map(([name, isDir]) => ({ name, isDir }));
    },
  };
}
