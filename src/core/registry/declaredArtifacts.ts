import { isMap } from 'yaml';
import { CairnError } from '../errors';
import { GitObjectReader } from '../metrics/gitObjectReader';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { runGit } from '../scm/git';

/** An artifact a dvc.yaml of a commit declares (`artifacts:`), named as GTO and dvc name it. */
export interface DeclaredArtifact {
  /** `name`, or `sub/dir:name` for one in `sub/dir/dvc.yaml`. */
  name: string;
  /** The dvc.yaml, repository-relative. */
  file: string;
  path: string;
  type?: string;
  desc?: string;
  labels?: string[];
}

/**
 * The artifacts every dvc.yaml of `rev` declares (Cairn lists them beside the registry's; gto's
 * `show` does not). A dvc.yaml that cannot be read, or an entry without a path, is left out: the
 * pipeline commands name those problems.
 */
export async function declaredArtifacts(gitRoot: string, rev = 'HEAD'): Promise<DeclaredArtifact[]> {
  const commit = (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { allowedExitCodes: [1] })).trim();
  if (!/^[0-9a-f]{40}$/.test(commit)) return [];
  const files = (await runGit(gitRoot, ['ls-tree', '-r', '-z', '--name-only', commit])).split('\0').filter((f) => f === 'dvc.yaml' || f.endsWith('/dvc.yaml'));
  const reader = new GitObjectReader(gitRoot);
  const found: DeclaredArtifact[] = [];
  try {
    for (const file of files) {
      const blob = await reader.read(`${commit}:${file}`);
      if (!blob || blob.type !== 'blob') continue;
      let artifacts: unknown;
      try {
        const doc = parseYamlDocument(blob.data.toString('utf8'), file);
        if (doc.errors.length) continue;
        const node = doc.get('artifacts', true);
        artifacts = isMap(node) ? node.toJSON() : undefined;
      } catch (err) {
        if (err instanceof CairnError) continue;
        throw err;
      }
      if (!artifacts || typeof artifacts !== 'object') continue;
      const dir = file === 'dvc.yaml' ? '' : file.slice(0, -'/dvc.yaml'.length);
      for (const [name, value] of Object.entries(artifacts as Record<string, unknown>)) {
        const v = value as Record<string, unknown> | null;
        if (!v || typeof v !== 'object' || typeof v.path !== 'string') continue;
        found.push({
          name: dir ? `${dir}:${name}` : name,
          file,
          path: v.path,
          ...(typeof v.type === 'string' ? { type: v.type } : {}),
          ...(typeof v.desc === 'string' ? { desc: v.desc } : {}),
          ...(Array.isArray(v.labels) ? { labels: v.labels.map(String) } : {}),
        });
      }
    }
  } finally {
    reader.close();
  }
  return found;
}
