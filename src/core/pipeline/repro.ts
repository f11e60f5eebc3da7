import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError, throwIfAborted } from '../errors';
import type { Repo } from '../repo/repo';
import { collectDvcFiles, outputsOf } from '../outputs/collect';
import type { DvcFile } from '../outputs/dvcFile';
import { hashOutputs } from '../outputs/workspaceState';
import { storeManifest } from '../outputs/add';
import { relinkWorkspace } from '../outputs/relink';
import { addToGitignore } from '../scm/gitignore';
import type { Progress } from '../progress';
import { assertDependenciesExist, StageGraph, TrackedPath } from './graph';
import { loadPipelines, Pipelines } from './load';
import { LockEntry, LockFile, LockStage } from './lockFile';
import { canRunCache, entryHashName, loadRunCacheEntry, runCacheHashes, saveRunCacheEntry, writesRunCache } from './runCache';
import { checkoutOutputs, CheckoutEntry } from '../outputs/checkout';
import { flattenParams, missingParamsError } from './paramsFile';
import { workspacePipelineFiles } from './stageCachedOutputs';
import { lockFor, paramsValues, readParamsFile, stageAddress, StageState, stageStates } from './stageStatus';
import { selectStages } from './selectStages';
import { commandLines, runCommandLine } from './runCommand';
import type { Stage } from './stage';
import { workspaceSource } from './workspaceSource';
import type { ParamValue } from './values';

export interface ReproOptions {
  cwd: string;
  /** Run the stages even when nothing changed. */
  force?: boolean;
  /** Say what would run, run nothing, write nothing. */
  dry?: boolean;
  /** Targets and the stages depending on them, instead of what they depend on. */
  downstream?: boolean;
  /** Only the targets, not what they depend on. */
  singleItem?: boolean;
  /** Send the commands' standard output to our standard error (keeps `--json` output clean). */
  commandStdoutToStderr?: boolean;
  /** Every stage of every dvc.yaml (without targets, DVC takes the dvc.yaml of the current folder). */
  allPipelines?: boolean;
  /** Variables for the stages' commands beyond DVC_ROOT and DVC_STAGE (an experiment's; may replace DVC_ROOT). */
  env?: Record<string, string>;
  /** Told as each stage's commands start (not of stages skipped or restored). */
  onStageStart?: (stage: string) => void;
  /** Told of each stage whose commands ran to the end (for an experiment's environment record). */
  onStageRun?: (run: { name: string; cmd: string[]; duration: number; exit_code: number }) => void;
  /**
   * Restore a changed stage's outputs from a run-cache entry of the same cmd, deps and params
   * instead of running it (default true). False is dvc's `--no-run-cache`: entries are still
   * written, and a stage whose outputs alone changed is still checked out from its dvc.lock entry.
   */
  runCache?: boolean;
  /** The workspace's pipelines when the caller has loaded them already (`loadWorkspacePipelines`). */
  loaded?: WorkspacePipelines;
  /** Progress lines DVC prints ("Running stage 'x':", "> cmd", "Stage 'x' didn't change, skipping"). */
  log?: (line: string) => void;
  /** Problems that do not stop the run (a run-cache entry that cannot be used), one line each. */
  warn?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ReproResult {
  /** Stages run (addresses), in order. */
  ran: string[];
  /** Changed stages whose outputs were checked out from the cache instead (run cache or dvc.lock), in order. */
  restored: string[];
  /** Stages found unchanged. */
  skipped: string[];
  /** Files to commit to git (lock files, .gitignore files), repo-relative. */
  gitFiles: string[];
  staged: boolean;
}

export interface WorkspacePipelines {
  pipelines: Pipelines;
  tracked: TrackedPath[];
  dvcFiles: DvcFile[];
}

/**
 * The workspace's pipelines, its `.dvc` files and the paths they track (which stages may depend
 * on). With `strict: false`, a dvc.yaml that cannot be loaded is in `pipelines.errors` and hides
 * only its own stages.
 */
export async function loadWorkspacePipelines(repo: Repo, options: { strict?: boolean } = {}): Promise<WorkspacePipelines> {
  const [pipelineFiles, dvcFiles] = await Promise.all([workspacePipelineFiles(repo), collectDvcFiles(repo)]);
  const pipelines = await loadPipelines(workspaceSource(repo.root, repo.ignore), { files: pipelineFiles, strict: options.strict });
  const tracked = outputsOf(repo, dvcFiles).map((o) => ({ repoPath: o.rel, file: o.dvcFile.relFile }));
  return { pipelines, tracked, dvcFiles };
}

/** The stages `repro` would consider, in the order it would run them. */
export function planRepro(repo: Repo, graph: StageGraph, targets: string[], options: Pick<ReproOptions, 'cwd' | 'downstream' | 'singleItem' | 'allPipelines'>): Stage[] {
  let roots: Stage[];
  if (options.allPipelines) roots = graph.stages;
  else if (targets.length) roots = selectStages(repo, graph.stages, targets, options.cwd);
  else {
    const here = repo.rel(path.join(repo.resolveInside('.', options.cwd), 'dvc.yaml'));
    if (!fs.existsSync(path.join(repo.root, here))) {
      throw new CairnError('MISSING_PATH', `'${here}' does not exist`, { hint: 'Run it where a dvc.yaml is, name targets (`cairn repro sub/dvc.yaml`), or use --all-pipelines.' });
    }
    roots = graph.stages.filter((s) => s.file === here);
  }
  if (options.singleItem) {
    const chosen = new Set(roots);
    return graph.order(graph.stages).filter((s) => chosen.has(s));
  }
  return graph.order(roots, { downstream: options.downstream, cutAtFrozen: true });
}

/** `dvc repro`: run changed stages in dependency order, cache their outputs and record them in dvc.lock. */
export async function repro(repo: Repo, targets: string[], options: ReproOptions): Promise<ReproResult> {
  const log = options.log ?? (() => undefined);
  const { pipelines, tracked } = options.loaded ?? (await loadWorkspacePipelines(repo));
  const graph = StageGraph.build(pipelines.stages, tracked);
  const plan = planRepro(repo, graph, targets, options);
  const exists = (p: string) => fs.existsSync(path.join(repo.root, ...p.split('/')));
  const run = async (): Promise<ReproResult> => {
    const result: ReproResult = { ran: [], skipped: [], restored: [], gitFiles: [], staged: false };
    const gitFiles = new Set<string>();
    // A dry run changes nothing, so every stage is checked at once (one hashing call, not one per stage);
    // on an error, stage by stage below, which reports the first in the order of the plan.
    const dryStates = options.dry ? await stageStates(repo, plan, { cwd: options.cwd, signal: options.signal }).catch(() => undefined) : undefined;
    for (const [i, stage] of plan.entries()) {
      throwIfAborted(options.signal);
      const addr = stageAddress(stage, repo, options.cwd);
      // Checked now: stages before it may have changed its deps.
      assertDependenciesExist(graph, [stage], exists);
      const state = dryStates?.[i] ?? (await stageStates(repo, [stage], { cwd: options.cwd, signal: options.signal }))[0];
      if (!state.changed && !options.force) {
        log(`Stage '${addr}' didn't change, skipping`);
        result.skipped.push(addr);
        continue;
      }
      if (stage.frozen) {
        // DVC never runs a frozen stage: it checks its outputs are there and records them.
        log(`Verifying outputs in frozen stage: '${addr}'`);
        if (!options.dry) await recordStage(repo, stage, gitFiles, options);
        result.skipped.push(addr);
        continue;
      }
      // Before "Running stage": a stage that cannot run is not announced (dvc fails here too, --dry or not).
      assertParamsExist(repo, stage);
      const cached = options.force || options.dry ? undefined : await cachedRun(repo, state, options);
      if (cached) {
        log(`Stage '${addr}' is cached - skipping run, checking out outputs`);
        await removeOutputs(repo, stage);
        await checkoutRun(repo, stage, cached, options);
        await recordStage(repo, stage, gitFiles, options);
        result.restored.push(addr);
        continue;
      }
      log(`Running stage '${addr}':`);
      for (const line of commandLines(stage.cmd)) {
        log(`> ${line}`);
      }
      if (options.dry) {
        result.ran.push(addr);
        continue;
      }
      await removeOutputs(repo, stage);
      const cwd = path.join(repo.root, ...stage.wdir.split('/').filter(Boolean));
      const env = { ...process.env, DVC_ROOT: repo.root, DVC_STAGE: addr, ...options.env };
      const started = Date.now();
      options.onStageStart?.(addr);
      for (const line of commandLines(stage.cmd)) {
        await runCommandLine(line, { cwd, env, stageName: addr, signal: options.signal, stdoutToStderr: options.commandStdoutToStderr });
      }
      options.onStageRun?.({ name: addr, cmd: commandLines(stage.cmd), duration: (Date.now() - started) / 1000, exit_code: 0 });
      await recordStage(repo, stage, gitFiles, options);
      result.ran.push(addr);
    }
    result.gitFiles = [...gitFiles];
    result.staged = !!repo.scm && repo.autostage && result.gitFiles.length > 0;
    if (result.staged) await repo.scm!.add(result.gitFiles.map((f) => path.join(repo.root, f)));
    return result;
  };
  return options.dry ? run() : repo.withLock(run);
}

/** Every params file and key the stage names is there: else one error naming the first file short of them. */
function assertParamsExist(repo: Repo, stage: Stage): void {
  for (const p of stage.params) {
    const data = readParamsFile(repo, p.repoPath);
    if (!data) throw new CairnError('MISSING_PATH', `Parameters file '${p.repoPath}' does not exist`, { file: stage.file, line: p.entries[0]?.range?.start.line, hint: `Create it, or remove it from the params of '${stage.name}'.` });
    const { missing } = paramsValues(p, data);
    if (missing.length) throw missingParamsError(stage, p, missing, Object.keys(flattenParams(data)));
  }
}

/** Before a run, non-persistent outputs go (DVC's rule: a stage makes its outputs from scratch). */
async function removeOutputs(repo: Repo, stage: Stage): Promise<void> {
  for (const o of stage.outs) {
    if (o.persist) continue;
    const abs = path.join(repo.root, ...o.repoPath.split('/'));
    repo.assertWritable(abs);
    await fs.promises.rm(abs, { recursive: true, force: true });
  }
}

/**
 * What a changed stage's outputs can be checked out from instead of running its command, as dvc's
 * `StageCache.restore` decides: its dvc.lock entry when only outputs changed (cmd, deps and params
 * as recorded), else the run-cache entry of its cmd, deps and params; only for a stage dvc would
 * cache, and only when every output is in the cache. A run-cache entry that cannot be used is
 * a warning, and the command runs.
 */
async function cachedRun(repo: Repo, state: StageState, options: ReproOptions): Promise<LockStage | undefined> {
  const { stage, lock } = state;
  if (!canRunCache(stage)) return undefined;
  const lockOut = new Map((lock?.outs ?? []).map((o) => [o.path, o]));
  const inputsAsRecorded = lock && !state.status.some((s) => s === 'changed command' || (typeof s === 'object' && 'changed deps' in s));
  let record: LockStage | undefined;
  if (inputsAsRecorded && stage.outs.every((o) => lockOut.get(o.path)?.md5)) {
    record = { cmd: stage.cmd, deps: lock.deps, params: state.params, outs: stage.outs.map((o) => lockOut.get(o.path)!) };
  } else if (options.runCache !== false) {
    const { key } = runCacheHashes({ cmd: stage.cmd, deps: await depEntries(repo, state, options.signal), params: state.params, outs: stage.outs.map((o) => ({ path: o.path })) });
    try {
      record = await loadRunCacheEntry(repo, key);
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      options.warn?.(err.oneLine());
      return undefined;
    }
  }
  if (!record) return undefined;
  const outPaths = new Set(stage.outs.map((o) => o.path));
  if (record.outs.length !== outPaths.size || !record.outs.every((o) => outPaths.has(o.path))) return undefined;
  return record.outs.every((o) => repo.store.hasAll(o.md5!, entryHashName(o), repo.statIndex)) ? record : undefined;
}

/** The stage's outputs (removed before) checked out from the cache as `record` has them. */
async function checkoutRun(repo: Repo, stage: Stage, record: LockStage, options: ReproOptions): Promise<void> {
  const byPath = new Map(record.outs.map((o) => [o.path, o]));
  const outputs: CheckoutEntry[] = stage.outs.map((o) => {
    const e = byPath.get(o.path)!;
    return { abs: path.join(repo.root, ...o.repoPath.split('/')), rel: o.repoPath, md5: e.md5, hashName: entryHashName(e), isexec: e.isexec, recordedIn: LockFile.lockPathFor(stage.file), size: e.size, nfiles: e.nfiles };
  });
  const result = await checkoutOutputs(repo, outputs, { cwd: options.cwd, force: true, signal: options.signal, onProgress: options.onProgress });
  if (result.failed.length) {
    const f = result.failed[0];
    throw new CairnError(f.refused ? 'UNSAFE_PATH' : 'NOT_IN_CACHE', `cannot check out '${f.path}' of stage '${stage.addr}' from the cache: ${f.reason}`, { hint: 'Run `cairn repro --no-run-cache` to run its command instead.' });
  }
}

/** The stage's file deps as dvc.lock would record them now (as its status hashed them, unless that was by a DVC 2 entry's hash). */
async function depEntries(repo: Repo, state: StageState, signal?: AbortSignal): Promise<LockEntry[]> {
  const fileDeps = state.stage.deps.filter((d) => d.repoPath !== undefined);
  if (state.depHashes.every((d) => d.hashName === 'md5')) return fileDeps.map((d, i) => lockEntry(d.path, state.depHashes[i].state));
  const states = await hashOutputs(repo, fileDeps.map((d) => ({ abs: path.join(repo.root, ...d.repoPath!.split('/')), rel: d.repoPath!, hashName: 'md5' as const })), { signal });
  return fileDeps.map((d, i) => lockEntry(d.path, states[i]));
}

const lockEntry = (p: string, s: { md5?: string; size?: number; nfiles?: number; isexec?: boolean; isDir: boolean }): LockEntry => ({
  path: p,
  hash: 'md5',
  md5: s.md5,
  size: s.size,
  nfiles: s.isDir ? s.nfiles : undefined,
  isexec: s.isexec,
});

/**
 * After a run (or for `exp save`, what the workspace holds now): hash deps and outs, store cached
 * outs, write the stage's dvc.lock entry, its run-cache entry and .gitignore lines.
 */
export async function recordStage(repo: Repo, stage: Stage, gitFiles: Set<string>, options: Pick<ReproOptions, 'signal' | 'onProgress' | 'warn'>): Promise<void> {
  const abs = (p: string) => path.join(repo.root, ...p.split('/'));
  for (const o of stage.outs) {
    if (!fs.existsSync(abs(o.repoPath))) {
      throw new CairnError('MISSING_PATH', `output '${o.path}' of stage '${stage.addr}' does not exist after its command ran`, {
        file: stage.file,
        line: o.range?.start.line,
        hint: 'Make the command write it, or remove it from the outputs.',
      });
    }
  }
  const fileDeps = stage.deps.filter((d) => d.repoPath !== undefined);
  const depStates = await hashOutputs(repo, fileDeps.map((d) => ({ abs: abs(d.repoPath!), rel: d.repoPath!, hashName: 'md5' as const })), { signal: options.signal });
  const cached = stage.outs.filter((o) => o.cache);
  const cachedStates = await hashOutputs(repo, cached.map((o) => ({ abs: abs(o.repoPath), rel: o.repoPath, hashName: 'md5' as const })), { store: true, signal: options.signal, onProgress: options.onProgress });
  const uncached = stage.outs.filter((o) => !o.cache);
  // A run kept in the run cache has every output in the cache (dvc commits its uncached metrics and plots there too).
  const toRunCache = writesRunCache(stage);
  const uncachedStates = await hashOutputs(repo, uncached.map((o) => ({ abs: abs(o.repoPath), rel: o.repoPath, hashName: 'md5' as const })), { store: toRunCache, signal: options.signal });
  if (toRunCache) uncachedStates.forEach((s) => storeManifest(repo, s));
  const entry = lockEntry;
  const outEntries = new Map<string, LockEntry>();
  for (const [i, o] of cached.entries()) {
    const s = cachedStates[i];
    storeManifest(repo, s);
    await relinkWorkspace(repo, s, options.signal);
    outEntries.set(o.path, entry(o.path, s));
    if (repo.scm) {
      const ignored = await repo.scm.ignored([abs(o.repoPath)]);
      repo.assertWritable(abs(o.repoPath));
      if (!ignored.has(abs(o.repoPath))) gitFiles.add(repo.rel(await addToGitignore(abs(o.repoPath))));
    }
  }
  uncached.forEach((o, i) => outEntries.set(o.path, entry(o.path, uncachedStates[i])));
  const params: Record<string, Record<string, ParamValue>> = {};
  const byFile = [...stage.params].sort((a, b) => (a.file === 'params.yaml' ? -1 : b.file === 'params.yaml' ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const p of byFile) params[p.file] = paramsValues(p, readParamsFile(repo, p.repoPath) ?? {}).values;
  const lock = await lockFor(repo, stage.file, true);
  const record: LockStage = {
    cmd: stage.cmd,
    deps: fileDeps.map((d, i) => entry(d.path, depStates[i])),
    params,
    outs: stage.outs.map((o) => outEntries.get(o.path)!),
  };
  lock.setStage(stage.name, record);
  await lock.save(repo.root);
  // The run is recorded either way: a run-cache folder that cannot be written (a link planted there) is a warning.
  if (toRunCache) await saveRunCacheEntry(repo, record).catch((err) => (err instanceof CairnError ? options.warn?.(err.oneLine()) : Promise.reject(err)));
  gitFiles.add(lock.relPath);
}
