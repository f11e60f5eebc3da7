import * as path from 'node:path';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import type { Stage } from './stage';

/**
 * The stages named by targets, as DVC addresses them: `name` (in the dvc.yaml of the current
 * folder; a foreach/matrix group name selects all its stages), `path/dvc.yaml:name`, or a
 * `dvc.yaml` path for all its stages.
 */
export function selectStages(repo: Repo, stages: Stage[], targets: string[], cwd: string): Stage[] {
  const chosen = new Set<Stage>();
  for (const target of targets) {
    const { file, name } = stageTarget(repo, target, cwd);
    const inFile = stages.filter((s) => s.file === file);
    const matches = name === undefined ? inFile : inFile.filter((s) => s.name === name || s.generatedFrom?.name === name);
    if (matches.length === 0) {
      const known = inFile.map((s) => s.name);
      throw new CairnError('UNKNOWN_STAGE', `'${target}' does not exist`, {
        file: name === undefined ? undefined : file,
        hint: known.length ? `Stages in ${file}: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}.` : `There is no pipeline in '${path.posix.dirname(file)}'.`,
      });
    }
    for (const s of matches) chosen.add(s);
  }
  return [...chosen];
}

/** The dvc.yaml (repo-relative) a stage target addresses, and the stage name in it (none: all its stages). */
export function stageTarget(repo: Repo, target: string, cwd: string): { file: string; name?: string } {
  const fileOf = (p: string) => repo.rel(repo.resolveInside(p, cwd));
  const colon = target.lastIndexOf(':');
  if (colon > 0) return { file: fileOf(target.slice(0, colon)), name: target.slice(colon + 1) };
  if (target === 'dvc.yaml' || target.endsWith('/dvc.yaml')) return { file: fileOf(target) };
  return { file: fileOf('dvc.yaml'), name: target };
}
