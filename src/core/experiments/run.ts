import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { CairnError, throwIfAborted } from '../errors';
import { Repo } from '../repo/repo';
import { ConfigFile } from '../repo/config';
import { writeFileAtomic } from '../repo/atomicWrite';
import { checkout } from '../outputs/checkout';
import { loadWorkspacePipelines, repro, ReproResult } from '../pipeline/repro';
import { lockFor, stageAddress } from '../pipeline/stageStatus';
import { LockFile } from '../pipeline/lockFile';
import type { PipelineFile, Pipelines, Stage } from '../pipeline/stage';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { applyParamOverrides, checkParamOverrides } from './applyParamOverrides';
import { hasSweep, parseSetParams } from './setParams';
import { commitExperiment, experimentExists, experimentTree } from './commitExperiment';
import { assertValidExpName, experimentRef, randomExpName } from './names';
import { EnvironmentCapture, startEnvironmentCapture } from './environment';
import { writeEnvironmentNote } from './environmentNotes';
import type { ExpRunPhase } from './runEvents';
import { recordTempRun } from './liveRuns';

export interface ExpRunOptions {
  cwd: string;
  /** Stages or dvc.yaml files to reproduce (default: as `repro`). */
  targets?: string[];
  /** `-S [<file>:]<override>` as typed. */
  setParams?: string[];
  /** The experiment's name (default: a free random `adjective-noun`). */
  name?: string;
  /** The commit message (default dvc's `dvc: commit experiment <hash>`). */
  message?: string;
  /** Run in a temporary tree under `.dvc/tmp/exps/`; the workspace is left as it is. */
  temp?: boolean;
  /** Run every stage, changed or not, and replace an experiment of the same name (dvc's -f does both). */
  force?: boolean;
  /** With `temp`: untracked files or folders to copy into the temporary tree. */
  copyPaths?: string[];
  /** False: dvc's `--no-run-cache` (run stages even when a run-cache entry has their outputs). */
  runCache?: boolean;
  downstream?: boolean;
  singleItem?: boolean;
  allPipelines?: boolean;
  commandStdoutToStderr?: boolean;
  log?: (line: string) => void;
  /** One line for what went wrong but does not fail the run (a part of the environment record). */
  warn?: (line: string) => void;
  /** Where the run of the experiment `name` is: preparing, running stages, recording the experiment. */
  onPhase?: (phase: ExpRunPhase, name: string) => void;
  /** Told as each stage's commands start (a queue worker then starts its next run's process: the CPU is the stage's least then). */
  onStageStart?: (stage: string) => void;
  signal?: AbortSignal;
}

export interface ExpRunResult {
  name: string;
  /** The experiment commit. */
  rev: string;
  ref: string;
  baseline: string;
  /** Whether it ran in a temporary tree (the workspace untouched). */
  temp: boolean;
  /** Stages run and stages found unchanged (addresses). */
  ran: string[];
  skipped: string[];
}

/** DVC_EXP_* names of the variables DVCLive reads to know it runs inside an experiment (dvclive: env.py). */
const EXP_BASELINE_VAR = 'DVC_EXP_BASELINE_REV';
const EXP_NAME_VAR = 'DVC_EXP_NAME';

/**
 * `exp run`: reproduce the pipeline with `-S` overrides and record the result as a dvc experiment
 * (a commit whose single parent is HEAD, at `refs/exps/..`; outputs in the cache). In the
 * workspace by default, which keeps the results (as dvc); with `temp`, in a temporary tree under
 * `.dvc/tmp/exps/` that borrows the repository's objects and cache, the workspace untouched.
 * Everything that can be refused (a bad or taken name, a malformed `-S`) is checked before
 * anything changes.
 */
export async function expRun(repo: Repo, options: ExpRunOptions): Promise<ExpRunResult> {
  const scm = repo.scm;
  if (!scm) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git repository.', { hint: 'Run `git init` and commit first.' });
  const baseline = await scm.revParse('HEAD').catch(() => '');
  if (!baseline) throw new CairnError('USAGE', 'cannot run an experiment without a git commit to start from.', { hint: 'Commit your pipeline first (git add -A && git commit).' });
  const overrides = parseSetParams(options.setParams ?? []);
  if (hasSweep(overrides)) {
    throw new CairnError('USAGE', "sweep overrides (a,b / range() / choice()) can't be used without --queue.", { hint: 'Add --queue to queue one experiment per combination.' });
  }
  await checkParamOverrides(repo, overrides);
  const name = await experimentName(scm.root, baseline, options);
  options.onPhase?.('preparing', name);
  options.log?.(`Reproducing experiment '${name}'`);
  // What the run runs with is captured beside it, awaited only when the experiment is recorded.
  const environment = startEnvironmentCapture(repo.root, { onWarning: options.warn });
  const run = options.temp ? runInTempTree : runInWorkspace;
  const result = await run(repo, scm.root, { baseline, name, overrides, options, environment });
  await recordEnvironment(repo.root, result.rev, environment, options.warn);
  return result;
}

interface RunPlan {
  baseline: string;
  name: string;
  overrides: ReturnType<typeof parseSetParams>;
  options: ExpRunOptions;
  environment: EnvironmentCapture;
  /** A temporary run's starting files (a queued run's, saved when it was queued); default: the workspace's now. */
  startTree?: string;
}

/** The options of `exp run` a queued run keeps for when it runs. */
export interface QueuedRunOptions {
  message?: string;
  force?: boolean;
  runCache?: boolean;
  /** `-C`: untracked files and folders copied from the workspace into its tree when it runs. */
  copyPaths?: string[];
  downstream?: boolean;
  singleItem?: boolean;
  allPipelines?: boolean;
}

/** What a queued run was given when it was queued (its `copyPaths` relative to the repository root). */
export interface QueuedRun extends QueuedRunOptions {
  baseline: string;
  name: string;
  /** The tree of the workspace's tracked files when it was queued. */
  startTree: string;
  setParams: string[];
  targets: string[];
}

/**
 * A queued run, in a temporary tree of its own made from the files the workspace had when it
 * was queued, recorded as `exp run --temp` records it.
 */
export async function runQueuedExperiment(repo: Repo, queued: QueuedRun, options: Pick<ExpRunOptions, 'log' | 'warn' | 'signal' | 'commandStdoutToStderr' | 'onStageStart'> = {}): Promise<ExpRunResult> {
  const scm = repo.scm;
  if (!scm) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git repository.');
  // The entry is a file under .dvc/tmp, which a cloned archive may have brought: its name is checked again.
  await assertValidExpName(scm.root, queued.name);
  const runOptions: ExpRunOptions = { ...options, cwd: repo.root, targets: queued.targets, setParams: queued.setParams, name: queued.name, message: queued.message, temp: true, force: queued.force, runCache: queued.runCache, copyPaths: queued.copyPaths, downstream: queued.downstream, singleItem: queued.singleItem, allPipelines: queued.allPipelines };
  options.log?.(`Reproducing experiment '${queued.name}'`);
  const environment = startEnvironmentCapture(repo.root, { onWarning: options.warn });
  // The queue applied the overrides to the start tree already.
  const plan: RunPlan = { baseline: queued.baseline, name: queued.name, overrides: [], options: runOptions, environment, startTree: queued.startTree };
  const result = await runInTempTree(repo, scm.root, plan);
  await recordEnvironment(repo.root, result.rev, environment, options.warn);
  return result;
}

/** The environment record as a note on the experiment commit; a failure is a warning, the experiment stands. */
export async function recordEnvironment(root: string, rev: string, environment: EnvironmentCapture, warn?: (line: string) => void): Promise<void> {
  try {
    await writeEnvironmentNote(root, rev, await environment.finish());
  } catch (err) {
    warn?.(`the environment record of ${rev.slice(0, 7)} was not saved: ${(err as Error).message}`);
  }
}

/** `-n` checked (a valid ref name, not taken unless -f), or a random free name. */
export async function experimentName(gitRoot: string, baseline: string, options: { name?: string; force?: boolean }): Promise<string> {
  const taken = async (name: string) => (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', experimentRef(baseline, name)], { allowedExitCodes: [1] })).trim() !== '';
  if (options.name !== undefined) {
    await assertValidExpName(gitRoot, options.name);
    if (!options.force && (await taken(options.name))) throw experimentExists(options.name);
    return options.name;
  }
  for (;;) {
    const name = randomExpName();
    if (!(await taken(name))) return name;
  }
}

/** The workspace run: overrides, repro and the commit, holding the repository's lock; a dvc-style record says it is running. */
async function runInWorkspace(repo: Repo, gitRoot: string, plan: RunPlan): Promise<ExpRunResult> {
  return repo.withLock(async () => {
    const record = await writeRunRecord(repo, plan);
    try {
      for (const group of plan.overrides) await applyParamOverrides(repo, group);
      const result = await reproExperiment(repo, repo.root, plan);
      return await recordExperiment(repo, gitRoot, gitRoot, 'index', plan, result, false);
    } finally {
      await fs.promises.rm(record, { recursive: true, force: true });
    }
  });
}

/**
 * The temporary run. Its tree is a git repository of its own under `.dvc/tmp/exps/` (dvc makes
 * one there too, so the real dvc and DVCLive work in it): objects borrowed from the main
 * repository (alternates), HEAD detached at the baseline, the workspace's tracked changes in its
 * files, the main cache as its cache. The experiment commit is built by the main repository from
 * its files; the folder is removed afterwards.
 */
async function runInTempTree(repo: Repo, gitRoot: string, plan: RunPlan): Promise<ExpRunResult> {
  const startTree = plan.startTree ?? (await workspaceTree(gitRoot));
  const tmp = await makeTempTree(repo, gitRoot, plan.baseline, startTree);
  let unrecord: (() => Promise<void>) | undefined;
  try {
    // Which experiment this tree runs, for whoever follows it live (liveRuns.ts).
    unrecord = await recordTempRun(repo, tmp, plan.name);
    const tmpRoot = path.join(tmp, path.relative(gitRoot, repo.root));
    await writeTempConfig(repo, tmpRoot);
    for (const p of plan.options.copyPaths ?? []) await copyIntoTemp(repo, tmpRoot, p, plan.options.cwd);
    // The main repository's hash threads: a queued run's are started while it waits for its entry.
    const tmpRepo = Repo.open(tmpRoot, { pool: repo.pool });
    try {
      const result = await tmpRepo.withLock(async () => {
        for (const group of plan.overrides) await applyParamOverrides(tmpRepo, group);
        // A `--temp` run (a queued one is listed by the queue): its starting files as a commit on the baseline, so `exp show` lists it running.
        if (!plan.startTree) unrecord = await recordTempRun(repo, tmp, plan.name, { baseline: plan.baseline, start: await startingCommit(gitRoot, tmp, startTree, plan) });
        // The tree has the files git has; the data comes from the cache, what is there of it (dvc: checkout --allow-missing).
        await checkout(tmpRepo, [], { cwd: tmpRoot, force: true, signal: plan.options.signal });
        return reproExperiment(tmpRepo, repo.root, plan);
      });
      const stagedInTemp = (await runGit(tmp, ['diff', '--cached', '--name-only', '-z', '--no-renames', startTree])).split('\0').filter(Boolean);
      return await recordExperiment(tmpRepo, gitRoot, tmp, { tree: startTree }, plan, result, true, stagedInTemp);
    } finally {
      await tmpRepo.close();
    }
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await unrecord?.();
  }
}

/**
 * The files a temporary run starts from (its tree's tracked files, overrides applied) as a commit
 * on the baseline, in the main repository's object store; no ref names it (the run's own commit
 * is made at its end).
 */
async function startingCommit(gitRoot: string, tmp: string, startTree: string, plan: RunPlan): Promise<string> {
  const tree = await experimentTree({ gitRoot, workTree: tmp, start: { tree: startTree }, paths: [] });
  const git = gitWriter(gitRoot, { what: 'git commit-tree (--temp run)' });
  return (await gitWrite(git, ['commit-tree', tree, '-p', plan.baseline, '-m', `cairn: --temp experiment ${plan.name}`])).trim();
}

/** The tree of the workspace's tracked files as they are now (staged or not), in the main repository's object store. */
export function workspaceTree(gitRoot: string): Promise<string> {
  return experimentTree({ gitRoot, workTree: gitRoot, start: 'index', paths: [] });
}

/** Reproduce in `repo` (the workspace or the temporary tree) with the experiment's variables; `mainRoot` is DVC_ROOT (DVCLive signals there). */
async function reproExperiment(repo: Repo, mainRoot: string, plan: RunPlan): Promise<RunOutcome> {
  const { options } = plan;
  throwIfAborted(options.signal);
  options.onPhase?.('running', plan.name);
  const loaded = await loadWorkspacePipelines(repo);
  const result = await repro(repo, options.targets ?? [], {
    loaded,
    cwd: options.temp ? repo.root : options.cwd,
    force: options.force,
    downstream: options.downstream,
    singleItem: options.singleItem,
    allPipelines: options.allPipelines,
    commandStdoutToStderr: options.commandStdoutToStderr,
    log: options.log,
    warn: options.warn,
    runCache: options.runCache,
    signal: options.signal,
    env: { DVC_ROOT: mainRoot, [EXP_BASELINE_VAR]: plan.baseline, [EXP_NAME_VAR]: plan.name },
    onStageRun: (run) => plan.environment.recordStageRun(run),
    onStageStart: options.onStageStart,
  });
  return { result, pipelines: loaded.pipelines };
}

/** What a run did, and the pipelines it ran. */
interface RunOutcome {
  result: ReproResult;
  pipelines: Pipelines;
}

/** Commit what the run left in `workTree` as the experiment. */
async function recordExperiment(
  repo: Repo,
  gitRoot: string,
  workTree: string,
  start: 'index' | { tree: string },
  plan: RunPlan,
  { result, pipelines }: RunOutcome,
  temp: boolean,
  extraPaths: string[] = [],
): Promise<ExpRunResult> {
  throwIfAborted(plan.options.signal);
  plan.options.onPhase?.('committing', plan.name);
  const ran = new Set(result.ran);
  const ranStages = pipelines.stages.filter((s) => ran.has(stageAddress(s, repo, repo.root)) || ran.has(stageAddress(s, repo, plan.options.cwd)));
  const fromRepo = (p: string) => path.relative(workTree, path.join(repo.root, ...p.split('/'))).split(path.sep).join('/');
  const paths = [...stageFiles(ranStages), ...topLevelFiles(pipelines.files), ...result.gitFiles].map(fromRepo);
  const message = plan.options.message ?? `dvc: commit experiment ${await experimentHash(repo, ranStages)}`;
  const committed = await commitExperiment({ gitRoot, workTree, start, paths: [...paths, ...extraPaths], baseline: plan.baseline, name: plan.name, message, force: !!plan.options.force });
  return { name: plan.name, rev: committed.sha, ref: committed.ref, baseline: plan.baseline, temp, ran: result.ran, skipped: result.skipped };
}

/**
 * The files dvc adds to an experiment commit beyond the tracked ones for the stages that ran
 * (dvc: stage/utils.py `_get_stage_files`): each one's dvc.yaml and dvc.lock, its deps and
 * uncached outputs in the repository. A dep DVC tracks is left out by its .gitignore line.
 * Repo-relative.
 */
function stageFiles(ranStages: Stage[]): string[] {
  const paths: string[] = [];
  for (const stage of ranStages) {
    paths.push(stage.file, LockFile.lockPathFor(stage.file));
    for (const d of stage.deps) if (d.repoPath !== undefined) paths.push(d.repoPath);
    for (const o of stage.outs) if (!o.cache) paths.push(o.repoPath);
  }
  return paths;
}

/** The top-level metrics, params and plots files of the pipelines (dvc: executor `_get_top_level_paths`), repo-relative. */
export function topLevelFiles(files: PipelineFile[]): string[] {
  return files.flatMap((f) => [...f.metrics.map((m) => m.repoPath), ...f.params.map((p) => p.repoPath), ...f.plots.flatMap((p) => p.repoPaths)]);
}

/** dvc's experiment hash (executor `hash_exp`): sha256 of the run stages' dvc.lock entries as sorted JSON. */
export async function experimentHash(repo: Repo, stages: Stage[]): Promise<string> {
  const entries: Record<string, unknown> = {};
  for (const stage of stages) {
    const lock = await lockFor(repo, stage.file, true);
    entries[stage.name] = lock.stage(stage.name) ?? null;
  }
  return createHash('sha256').update(sortedJson(entries)).digest('hex');
}

/** JSON with keys sorted at every level, separators as Python's json.dumps. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${sortedJson((value as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * dvc's record of a workspace run (`.dvc/tmp/exps/run/workspace/workspace.{run,json}`: where, which
 * baseline and name, the process), so `exp show` — Cairn's and dvc's — shows it running. Removed
 * when the run ends.
 */
async function writeRunRecord(repo: Repo, plan: RunPlan): Promise<string> {
  const dir = repo.tmpDir('exps', 'run', 'workspace');
  const info = {
    git_url: `file://${repo.scm!.root}`,
    baseline_rev: plan.baseline,
    location: 'workspace',
    root_dir: repo.scm!.root,
    dvc_dir: path.relative(repo.scm!.root, repo.dvcDir).split(path.sep).join('/'),
    name: plan.name,
    wdir: path.relative(repo.scm!.root, repo.root).split(path.sep).join('/') || null,
    result_hash: null,
    result_ref: null,
    result_force: false,
    status: 2, // RUNNING
  };
  await writeFileAtomic(path.join(dir, 'workspace.run'), JSON.stringify(info));
  await writeFileAtomic(path.join(dir, 'workspace.json'), JSON.stringify({ pid: process.pid, stdin: null, stdout: null, stderr: null, returncode: null }));
  return dir;
}

/** A fresh git repository under `.dvc/tmp/exps/`, borrowing the main one's objects, HEAD detached at `baseline`, files of `tree`. */
async function makeTempTree(repo: Repo, gitRoot: string, baseline: string, tree: string): Promise<string> {
  const parent = repo.tmpDir('exps');
  const tmp = await fs.promises.mkdtemp(path.join(parent, 'tmp'));
  try {
    const git = gitWriter(tmp, { what: 'git init (experiment)' });
    // Each git call is a few milliseconds on a queued run's critical path: what can overlap does, what can be one call is.
    const [, objects] = await Promise.all([gitWrite(git, ['init', '--quiet', '.']), runGit(gitRoot, ['rev-parse', '--git-path', 'objects'])]);
    const mainObjects = path.resolve(gitRoot, objects.trim());
    await fs.promises.mkdir(path.join(tmp, '.git', 'objects', 'info'), { recursive: true });
    await fs.promises.writeFile(path.join(tmp, '.git', 'objects', 'info', 'alternates'), `${mainObjects}\n`);
    // The index and the files at once (the folder is empty but for .git).
    await gitWrite(git, ['read-tree', '--reset', '-u', tree]);
    await gitWrite(git, ['update-ref', '--no-deref', 'HEAD', baseline]);
    return tmp;
  } catch (err) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The temporary tree's `.dvc/config.local`: the main one's, with the main cache as its cache (as dvc's temp runs). */
async function writeTempConfig(repo: Repo, tmpRoot: string): Promise<void> {
  const file = path.join(tmpRoot, '.dvc', 'config.local');
  const main = path.join(repo.dvcDir, 'config.local');
  const text = fs.existsSync(main) ? await fs.promises.readFile(main, 'utf8') : '';
  const config = ConfigFile.parse(text, file);
  config.set('cache', 'dir', repo.store.cacheDir);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await config.write();
}

/** `-C`: an untracked file or folder of the workspace copied into the temporary tree (it must be inside the repository). */
async function copyIntoTemp(repo: Repo, tmpRoot: string, p: string, cwd: string): Promise<void> {
  const from = repo.resolveInside(p, cwd);
  const rel = path.relative(repo.root, from);
  if (!fs.existsSync(from)) throw new CairnError('MISSING_PATH', `Unable to copy '${p}': it does not exist.`, { hint: 'Name a file or folder of the workspace with -C.' });
  await fs.promises.cp(from, path.join(tmpRoot, rel), { recursive: true, verbatimSymlinks: true });
}
