import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { DvcFile, OutEntry } from './dvcFile';
import { CairnError } from '../errors';
import { findWorkspaceFiles } from '../repo/workspaceFiles';
import { WorkspaceSource } from '../metrics/revisionSource';
import { revisionDvcFiles } from './revisionDvcFiles';
import { setAsideUnreadable } from './unreadableFiles';

/** The repository's workspace files named by `names` (see findWorkspaceFiles: git's view when there is git). */
export function listWorkspaceFiles(repo: Repo, names: string[]): Promise<string[]> {
  return findWorkspaceFiles(repo.root, repo.scm, repo.ignore, names);
}

/** Every readable `.dvc` file of the workspace (git's view when there is git); the others are set aside (`unreadableFiles`). */
export function collectDvcFiles(repo: Repo): Promise<DvcFile[]> {
  return revisionDvcFiles(new WorkspaceSource(repo.root, repo.ignore, repo.scm), { setAside: (err) => setAsideUnreadable(repo, err) });
}

/** The workspace, as a "revision". */
export const WORKSPACE = 'workspace';

/** An output together with the file that declares it. */
export interface TrackedOutput {
  dvcFile: DvcFile;
  index: number;
  out: OutEntry;
  abs: string;
  /** Repo-relative path of the output. */
  rel: string;
}

export function outputsOf(repo: Repo, files: DvcFile[]): TrackedOutput[] {
  return files.flatMap((dvcFile) =>
    dvcFile.outs.map((out, index) => {
      const abs = dvcFile.outPath(out);
      return { dvcFile, index, out, abs, rel: repo.rel(abs) };
    }),
  );
}

/**
 * The outputs named by `targets` (a `.dvc` file, or a tracked path), or all outputs when
 * there are none. An unknown target is an error that says what is tracked instead.
 */
export async function selectOutputs(repo: Repo, targets: string[], cwd: string): Promise<TrackedOutput[]> {
  const all = outputsOf(repo, await collectDvcFiles(repo));
  if (targets.length === 0) return all;
  const chosen: TrackedOutput[] = [];
  for (const target of targets) {
    const abs = repo.resolveInside(target, cwd);
    const matches = all.filter((o) => o.dvcFile.file === abs || o.abs === abs || o.abs.startsWith(abs + path.sep));
    if (matches.length === 0) {
      if (abs.endsWith('.dvc') && fs.existsSync(abs)) {
        // Present but not collected (e.g. ignored): load it directly so its errors surface.
        const file = DvcFile.load(abs, repo.rel(abs), repo.root);
        chosen.push(...outputsOf(repo, [file]));
        continue;
      }
      throw new CairnError('NOT_TRACKED', `'${target}' is not tracked by any .dvc file.`, {
        hint: fs.existsSync(abs) ? `Track it with \`cairn add ${target}\`.` : 'Check the path; `cairn ls` lists what is tracked.',
      });
    }
    for (const m of matches) if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}
