import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { CairnError, throwIfAborted } from '../errors';
import { selectOutputs, TrackedOutput } from './collect';
import { hashOutputs, OutState } from './workspaceState';
import type { WorkerTask } from '../hashing/workerProtocol';
import type { DirEntry } from '../hashing/dirManifest';
import { statFile } from '../hashing/statIndex';
import type { Progress } from '../progress';

export interface CheckoutOptions {
  cwd: string;
  force?: boolean;
  relink?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** What checkout changed, per output (repo-relative; directories end in '/'). */
export interface CheckoutResult {
  added: string[];
  modified: string[];
  /** Outputs that could not be restored, with why. */
  failed: { path: string; reason: string }[];
}

interface Plan {
  output: TrackedOutput;
  writes: { abs: string; md5: string; isexec: boolean }[];
  removals: string[];
  /** Workspace paths whose current content is not in the cache and would be lost. */
  unsaved: string[];
  /** The whole workspace path must go first (e.g. a folder where a file is expected). */
  clearFirst: boolean;
  kind: 'added' | 'modified' | 'unchanged';
}

/**
 * `dvc checkout`: make the workspace match the `.dvc` entries from the cache. It never
 * destroys content that only exists in the workspace unless `force` is given.
 */
export async function checkout(repo: Repo, targets: string[], options: CheckoutOptions): Promise<CheckoutResult> {
  return repo.withLock(async () => {
    const outputs = (await selectOutputs(repo, targets, options.cwd)).filter((o) => o.out.cache);
    const states = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.out.hashName, recorded: o.out.md5 })), {
      signal: options.signal,
    });
    const result: CheckoutResult = { added: [], modified: [], failed: [] };
    const plans: Plan[] = [];
    for (let i = 0; i < outputs.length; i++) {
      const plan = planOutput(repo, outputs[i], states[i], !!options.relink, result);
      if (plan) plans.push(plan);
    }
    const unsaved = plans.flatMap((p) => p.unsaved);
    if (unsaved.length > 0 && !options.force) {
      const shown = unsaved.slice(0, 5).join(', ') + (unsaved.length > 5 ? ` and ${unsaved.length - 5} more` : '');
      throw new CairnError('UNCOMMITTED_CHANGES', `checkout would overwrite uncommitted changes in: ${shown}.`, {
        hint: 'Commit them with `cairn commit`, or discard them with `cairn checkout --force`.',
        paths: unsaved,
      });
    }
    throwIfAborted(options.signal);

    const tasks: WorkerTask[] = [];
    const stagingDir = repo.workspaceStagingDir;
    for (const plan of plans) {
      const { output } = plan;
      if (plan.clearFirst) await fs.promises.rm(output.abs, { recursive: true, force: true });
      for (const r of plan.removals) await fs.promises.rm(r, { force: true });
      for (const w of plan.writes) {
        await fs.promises.mkdir(path.dirname(w.abs), { recursive: true });
        // A read-only link in the way (hardlink/symlink to the cache) is replaced by rename, not written through.
        tasks.push({ op: 'link', path: w.abs, objectPath: repo.store.pathOf(w.md5, output.out.hashName), linkTypes: repo.linkTypes, isexec: w.isexec, stagingDir });
      }
    }
    // Progress counts files: sizing each object first would cost a stat per file.
    const results = await repo.pool.run(tasks, {
      signal: options.signal,
      onProgress: (p) => options.onProgress?.({ done: p.tasksDone, total: tasks.length, unit: 'files' }),
    });
    let k = 0;
    for (const plan of plans) {
      for (const w of plan.writes) {
        const r = results[k++];
        if (!r.ok) throw new CairnError('BAD_FILE', `cannot write ${repo.rel(w.abs)}: ${r.error}`);
        const stat = statFile(w.abs);
        if (stat) repo.statIndex.record(w.abs, stat, plan.output.out.hashName, w.md5);
      }
      const isDir = !!plan.output.out.md5?.endsWith('.dir');
      if (isDir) removeEmptyDirs(plan.output.abs);
      const shown = plan.output.rel + (isDir ? '/' : '');
      if (plan.kind === 'added') result.added.push(shown);
      else if (plan.kind === 'modified') result.modified.push(shown);
    }
    return result;
  });
}

function planOutput(repo: Repo, output: TrackedOutput, state: OutState, relink: boolean, result: CheckoutResult): Plan | undefined {
  const { out } = output;
  const shown = output.rel + (out.md5?.endsWith('.dir') ? '/' : '');
  if (!out.md5) {
    result.failed.push({ path: shown, reason: 'no hash recorded in ' + output.dvcFile.relFile });
    return undefined;
  }
  const inCache = (md5: string) => repo.store.has(md5, out.hashName);
  const plan: Plan = { output, writes: [], removals: [], unsaved: [], clearFirst: false, kind: state.exists ? 'modified' : 'added' };

  if (!out.md5.endsWith('.dir')) {
    if (state.exists && !state.isDir && state.md5 === out.md5) {
      if (!relink) return undefined;
      plan.kind = 'unchanged';
    } else if (state.exists) {
      if (state.isDir) {
        plan.clearFirst = true;
        plan.unsaved.push(...state.files.filter((f) => !inCache(f.md5)).map((f) => repo.rel(f.abs)));
      } else if (!inCache(state.md5!)) plan.unsaved.push(output.rel);
    }
    if (!inCache(out.md5)) {
      result.failed.push({ path: shown, reason: 'not in cache' });
      return undefined;
    }
    plan.writes.push({ abs: output.abs, md5: out.md5, isexec: !!out.isexec });
    return plan;
  }

  let manifest: DirEntry[] | undefined;
  manifest = repo.store.readDir(out.md5, out.hashName);
  if (!manifest) {
    result.failed.push({ path: shown, reason: 'not in cache' });
    return undefined;
  }
  if (state.exists && !state.isDir) {
    plan.clearFirst = true;
    if (!inCache(state.md5!)) plan.unsaved.push(output.rel);
  }
  const current = new Map((state.isDir ? state.files : []).map((f) => [f.relpath, f]));
  const missing = repo.store.missing(manifest.map((e) => e.md5), out.hashName);
  if (missing.length > 0) {
    const example = manifest.find((e) => e.md5 === missing[0])!.relpath;
    result.failed.push({ path: shown, reason: `${missing.length} file(s) not in cache, e.g. ${example}` });
    return undefined;
  }
  const expected = new Set<string>();
  for (const e of manifest) {
    expected.add(e.relpath);
    const have = current.get(e.relpath);
    if (have && have.md5 === e.md5 && !relink) continue;
    if (have && have.md5 !== e.md5 && !inCache(have.md5)) plan.unsaved.push(repo.rel(have.abs));
    plan.writes.push({ abs: path.join(output.abs, ...e.relpath.split('/')), md5: e.md5, isexec: false });
  }
  for (const [relpath, f] of current) {
    if (expected.has(relpath)) continue;
    plan.removals.push(f.abs);
    if (!inCache(f.md5)) plan.unsaved.push(repo.rel(f.abs));
  }
  if (plan.writes.length === 0 && plan.removals.length === 0 && !plan.clearFirst) return undefined;
  if (relink && state.exists && state.md5 === out.md5) plan.kind = 'unchanged';
  return plan;
}

/** Folders emptied by removals inside a tracked directory go too (the directory itself stays). */
function removeEmptyDirs(dir: string): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && removeEmptyDirs(path.join(dir, e.name))) fs.rmdirSync(path.join(dir, e.name));
    else empty = false;
  }
  return empty;
}
