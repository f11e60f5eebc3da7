import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { selectOutputs, TrackedOutput } from './collect';
import { hashOutputs } from './workspaceState';
import { storeManifest } from './add';
import { relinkWorkspace } from './relink';
import type { DvcFile } from './dvcFile';
import type { Progress } from '../progress';

export interface CommitOptions {
  cwd: string;
  /** Commit changed outputs without asking. */
  force?: boolean;
  /** Asked (without `force`) before changed outputs are recorded; no answer means no. */
  confirm?: (changedOutputs: string[], dvcFile: string) => Promise<boolean>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface CommitResult {
  /** Outputs whose new content was recorded (repo-relative). */
  committed: string[];
  /** `.dvc` files rewritten (repo-relative). */
  dvcFiles: string[];
}

/**
 * `dvc commit`: record the workspace's current content of tracked outputs in their `.dvc`
 * files and the cache. Unchanged outputs keep their entries untouched, so a DVC 2 entry
 * stays a DVC 2 entry until its content changes, as in DVC.
 */
export async function commit(repo: Repo, targets: string[], options: CommitOptions): Promise<CommitResult> {
  return repo.withLock(async () => {
    const outputs = (await selectOutputs(repo, targets, options.cwd)).filter((o) => o.out.cache);
    const asRecorded = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.out.hashName, recorded: o.out.md5 })), {
      signal: options.signal,
    });
    const changed: TrackedOutput[] = [];
    outputs.forEach((o, i) => {
      const state = asRecorded[i];
      if (!state.exists) {
        throw new CairnError('MISSING_PATH', `output '${o.rel}' does not exist, nothing to commit.`, {
          file: o.dvcFile.relFile,
          hint: `Restore it with \`cairn checkout ${o.rel}\`, or stop tracking it with \`cairn remove ${o.dvcFile.relFile}\`.`,
        });
      }
      if (state.md5 !== o.out.md5 || !repo.store.hasAll(o.out.md5!, o.out.hashName, repo.statIndex)) changed.push(o);
    });
    if (!options.force) {
      for (const [file, outs] of groupByFile(changed)) {
        const yes = options.confirm ? await options.confirm(outs.map((o) => o.rel), file) : false;
        if (!yes) {
          throw new CairnError('UNCOMMITTED_CHANGES', `unable to commit changed outputs: ${outs.map((o) => o.rel).join(', ')}.`, {
            file,
            hint: 'Use `-f|--force` to commit them.',
          });
        }
      }
    }
    const states = await hashOutputs(repo, changed.map((o) => ({ abs: o.abs, rel: o.rel, hashName: 'md5' as const })), {
      store: true,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const touched = new Set<DvcFile>();
    for (let i = 0; i < changed.length; i++) {
      const o = changed[i];
      const state = states[i];
      storeManifest(repo, state);
      o.dvcFile.setHashes(o.index, { md5: state.md5!, size: state.size!, nfiles: state.nfiles, isexec: state.isexec });
      await relinkWorkspace(repo, state, options.signal);
      touched.add(o.dvcFile);
    }
    for (const f of touched) await f.save();
    return { committed: changed.map((o) => o.rel), dvcFiles: [...touched].map((f) => f.relFile) };
  });
}

function groupByFile(outputs: TrackedOutput[]): Map<string, TrackedOutput[]> {
  const groups = new Map<string, TrackedOutput[]>();
  for (const o of outputs) groups.set(o.dvcFile.relFile, [...(groups.get(o.dvcFile.relFile) ?? []), o]);
  return groups;
}
