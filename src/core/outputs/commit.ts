import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { selectOutputs, TrackedOutput } from './collect';
import { hashOutputs, OutState } from './workspaceState';
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
    const complete = outputs.map((o) => !o.out.md5 || repo.store.hasAll(o.out.md5, o.out.hashName, repo.statIndex));
    // One pass hashes every output and stores what DVC 3 entries hold (so changed data is read
    // once). Until confirmed, nothing but the cache changes: objects alone reference nothing.
    const asRecorded = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.out.hashName, recorded: o.out.md5 })), {
      store: true,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const changed: { output: TrackedOutput; state: OutState }[] = [];
    outputs.forEach((o, i) => {
      const state = asRecorded[i];
      if (!state.exists) {
        throw new CairnError('MISSING_PATH', `output '${o.rel}' does not exist, nothing to commit.`, {
          file: o.dvcFile.relFile,
          hint: `Restore it with \`cairn checkout ${o.rel}\`, or stop tracking it with \`cairn remove ${o.dvcFile.relFile}\`.`,
        });
      }
      if (state.md5 !== o.out.md5 || !complete[i]) changed.push({ output: o, state });
    });
    if (!options.force) {
      for (const [file, outs] of groupByFile(changed.map((c) => c.output))) {
        const yes = options.confirm ? await options.confirm(outs.map((o) => o.rel), file) : false;
        if (!yes) {
          throw new CairnError('UNCOMMITTED_CHANGES', `unable to commit changed outputs: ${outs.map((o) => o.rel).join(', ')}.`, {
            file,
            hint: 'Use `-f|--force` to commit them.',
          });
        }
      }
    }
    // A changed DVC 2 entry was hashed the md5-dos2unix way; it becomes a DVC 3 entry, hashed and stored as md5.
    const legacy = changed.filter((c) => c.output.out.hashName !== 'md5');
    const restated = await hashOutputs(repo, legacy.map((c) => ({ abs: c.output.abs, rel: c.output.rel, hashName: 'md5' as const })), {
      store: true,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    legacy.forEach((c, i) => (c.state = restated[i]));
    const touched = new Set<DvcFile>();
    for (const { output: o, state } of changed) {
      storeManifest(repo, state);
      o.dvcFile.setHashes(o.index, { md5: state.md5!, size: state.size!, nfiles: state.nfiles, isexec: state.isexec });
      await relinkWorkspace(repo, state, options.signal);
      touched.add(o.dvcFile);
    }
    for (const f of touched) await f.save();
    return { committed: changed.map((c) => c.output.rel), dvcFiles: [...touched].map((f) => f.relFile) };
  });
}

function groupByFile(outputs: TrackedOutput[]): Map<string, TrackedOutput[]> {
  const groups = new Map<string, TrackedOutput[]>();
  for (const o of outputs) groups.set(o.dvcFile.relFile, [...(groups.get(o.dvcFile.relFile) ?? []), o]);
  return groups;
}
