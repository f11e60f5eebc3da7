import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import type { DvcFile } from '../outputs/dvcFile';
import { outputsOf } from '../outputs/collect';
import { pathFromCwd } from '../outputs/status';
import type { Repo } from '../repo/repo';
import { selectStages, stageTarget } from './selectStages';
import { setAsideUnreadable } from '../outputs/unreadableFiles';
import type { Pipelines, Stage } from './stage';
import { stageAddress } from './stageStatus';
import { walkOrder } from './walkOrder';

/** A row of `stage list` (`--json` leaves out `file`): a stage or a `.dvc` file. */
export interface StageListRow {
  stage: string;
  description: string;
  cmd: string | string[] | null;
  /** Repo-relative. */
  outs: string[];
  desc?: string;
  /** Repo-relative dvc.yaml or .dvc file, for the order. */
  file: string;
}

/**
 * The rows `stage list` prints: for targets (default: the dvc.yaml of the current folder) the
 * stages and .dvc files they name; without (`--all`), every stage and .dvc file in dvc's order.
 */
export function listStages(repo: Repo, pipelines: Pipelines, dvcFiles: DvcFile[], options: { targets?: string[]; cwd: string }): StageListRow[] {
  const { targets, cwd } = options;
  const { stages } = pipelines;
  // A dvc.yaml that cannot be loaded: an error when named, else set aside (printed, exit 1) while the rest is listed.
  const broken = new Map(pipelines.errors.map((e) => [e.file, e]));
  const assertLoaded = (file: string) => {
    const err = broken.get(file);
    if (err) throw err;
  };
  if (targets === undefined) for (const err of pipelines.errors) setAsideUnreadable(repo, err);
  const ofStage = (s: Stage): StageListRow => ({ stage: stageAddress(s, repo, cwd), description: stageDescription(s), cmd: s.cmd, outs: s.outs.map((o) => o.repoPath), desc: s.desc, file: s.file });
  const ofFile = (f: DvcFile): StageListRow => ({ stage: pathFromCwd(f.file, cwd), description: dvcFileDescription(f), cmd: null, outs: outputsOf(repo, [f]).map((o) => o.rel), desc: f.desc, file: f.relFile });
  if (targets === undefined) {
    // Stable: stages keep their order within a file.
    return [...stages.map(ofStage), ...dvcFiles.map(ofFile)].sort((a, b) => walkOrder(a.file, b.file));
  }
  if (targets.length === 0) {
    const here = repo.rel(path.join(repo.resolveInside('.', cwd), 'dvc.yaml'));
    if (!fs.existsSync(path.join(repo.root, here))) throw new CairnError('MISSING_PATH', `'${pathFromCwd(path.join(repo.root, here), cwd)}' does not exist`, { hint: 'Name targets, or use --all for every stage and .dvc file.' });
    assertLoaded(here);
    return stages.filter((s) => s.file === here).map(ofStage);
  }
  const rows: StageListRow[] = [];
  for (const target of targets) {
    if (target.endsWith('.dvc')) {
      const rel = repo.rel(repo.resolveInside(target, cwd));
      const file = dvcFiles.find((f) => f.relFile === rel);
      if (!file) throw new CairnError('MISSING_PATH', `'${target}' does not exist`, { hint: 'Name a .dvc file of the workspace.' });
      rows.push(ofFile(file));
    } else {
      assertLoaded(stageTarget(repo, target, cwd).file);
      rows.push(...selectStages(repo, stages, [target], cwd).map(ofStage));
    }
  }
  // Each once, in the order first named (as dvc).
  return rows.filter((r, i) => rows.findIndex((o) => o.stage === r.stage) === i);
}

/** dvc cuts a description at this many characters, the last one an ellipsis. */
const MAX_DESCRIPTION = 80;

/**
 * What `stage list` says of a stage, as dvc does: the first non-empty line of its `desc`, else
 * `Outputs a, b; Reports m.json` (metrics and plots are reports), `Depends on …` for a stage
 * without outputs, `No outputs or dependencies` for neither. Paths as written in dvc.yaml.
 */
export function stageDescription(stage: Stage): string {
  const deps = [...stage.deps.map((d) => d.path), ...stage.params.map((p) => p.file)];
  return describe(stage.desc, stage.outs.filter((o) => o.kind === 'outs').map((o) => o.path), stage.outs.filter((o) => o.kind !== 'outs').map((o) => o.path), deps);
}

/** The same for a `.dvc` file: its `desc`, else its outputs as the file writes them. */
export function dvcFileDescription(file: DvcFile): string {
  return describe(file.desc, file.outs.map((o) => o.path), [], []);
}

function describe(desc: string | undefined, outs: string[], reports: string[], deps: string[]): string {
  const firstLine = desc?.split(/\r\n|\r|\n/).find((line) => line.trim() !== '')?.trim();
  let text: string;
  if (firstLine) text = firstLine;
  else if (outs.length === 0 && reports.length === 0) text = deps.length ? `Depends on ${deps.join(', ')}` : 'No outputs or dependencies';
  else text = [outs.length ? `Outputs ${outs.join(', ')}` : '', reports.length ? `Reports ${reports.join(', ')}` : ''].filter(Boolean).join('; ');
  return [...text].length > MAX_DESCRIPTION ? `${[...text].slice(0, MAX_DESCRIPTION - 1).join('')}…` : text;
}
