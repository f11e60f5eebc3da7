import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readProblem } from '../repo/pathGuard';
import { readRepoFile } from '../repo/readRepoFile';
import { DvcIgnore } from '../repo/dvcignore';
import { loadPipelines } from '../pipeline/load';
import { workspaceSource } from '../pipeline/workspaceSource';
import { findOnPath, interpreterVersions, runProbe, virtualenvPackages } from './environmentProbes';

/**
 * What an experiment ran with, beyond what dvc records (issue 15): interpreters, lockfiles,
 * the active virtualenv's packages, the machine, and each stage's command, duration and exit
 * code. Stored as a git note on the experiment commit (`environmentNotes.ts`), shown by
 * `exp show --json` in `meta.environment`, compared by `environmentDiff.ts`. Keys are
 * snake_case, as in dvc's JSON.
 */
export interface EnvironmentRecord {
  /** The shape's version: a reader ignores a record of a schema it does not know. */
  schema: 1;
  /** `python`, `python3` and `node` as the first of each on PATH (a second name for the same file left out), and `virtualenv`: the active virtualenv's python. */
  interpreters: Interpreter[];
  /** sha256 of each lockfile at the repository root and in stage working folders, by repo-relative path. */
  lockfiles: Record<string, string>;
  /** The active virtualenv (VIRTUAL_ENV) and its installed packages (name → version), or null. */
  virtualenv: { path: string; packages: Record<string, string> } | null;
  os: { platform: string; release: string; arch: string };
  cpu: { model: string; count: number };
  /** From `nvidia-smi` when it is on PATH; empty otherwise. */
  gpus: Gpu[];
  /** The stages that ran, in order. */
  stages: StageRun[];
}

export interface Interpreter {
  name: string;
  path: string;
  /** `3.11.4`, `20.11.1`; null when `--version` printed none. */
  version: string | null;
}

export interface Gpu {
  name: string;
  driver_version: string;
  memory_total: string;
}

/** One stage's run, as the engine reports it (`EnvironmentCapture.recordStageRun`). */
export interface StageRun {
  /** The stage's address (`train`, `sub/dvc.yaml:prep`). */
  name: string;
  /** Its command lines, as run. */
  cmd: string[];
  /** Wall-clock seconds. */
  duration: number;
  /** null when the command was stopped by a signal. */
  exit_code: number | null;
}

export interface CaptureOptions {
  /**
   * Repo-relative working folders of the stages (lockfiles are looked for there and at the
   * root); by default those of the workspace's pipelines.
   */
  wdirs?: string[];
  /** The environment the stages run with: PATH and VIRTUAL_ENV are read from it (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** One line per part that could not be captured (the part is left empty; a capture never fails a run). */
  onWarning?: (line: string) => void;
}

/** Lockfiles whose hash is recorded: what fixes the packages a stage's code runs with. */
const LOCKFILE = /^(requirements.*\.txt|poetry\.lock|uv\.lock|environment\.yml|package-lock\.json|Dockerfile)$/;

/**
 * The environment as it is now, without stages. Cheap when warm: interpreter versions and a
 * virtualenv's packages come from a cache under `.dvc/tmp/cairn` while the interpreter file
 * and the site-packages folder keep their mtime; lockfiles are hashed, `nvidia-smi` runs
 * (a short timeout) when present. Every part is captured at once; one that fails is empty.
 */
export async function captureEnvironment(root: string, options: CaptureOptions = {}): Promise<EnvironmentRecord> {
  const env = options.env ?? process.env;
  const warn = (what: string) => (err: unknown) => {
    options.onWarning?.(`environment: ${what} not recorded: ${(err as Error)?.message ?? err}`);
    return undefined;
  };
  const venv = env.VIRTUAL_ENV && path.isAbsolute(env.VIRTUAL_ENV) ? env.VIRTUAL_ENV : undefined;
  const [interpreters, lockfiles, packages, gpus] = await Promise.all([
    interpreterVersions(root, interpreterPaths(env, venv), env).catch(warn('interpreters')),
    lockfileHashes(root, options.wdirs).catch(warn('lockfiles')),
    venv ? virtualenvPackages(root, venv).catch(warn('virtualenv packages')) : undefined,
    gpusOf(env).catch(warn('GPUs')),
  ]);
  const cpus = os.cpus();
  return {
    schema: 1,
    interpreters: interpreters ?? [],
    lockfiles: lockfiles ?? {},
    virtualenv: venv ? { path: venv, packages: packages ?? {} } : null,
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    cpu: { model: cpus[0]?.model.trim() ?? '', count: os.availableParallelism?.() ?? cpus.length },
    gpus: gpus ?? [],
    stages: [],
  };
}

/**
 * A capture started at a run's start and awaited only when the experiment commit is written,
 * so it costs the run nothing: `startEnvironmentCapture`, then `recordStageRun` after each
 * stage, then `finish()` for the record.
 */
export class EnvironmentCapture {
  private readonly stages: StageRun[] = [];
  private readonly machine: Promise<EnvironmentRecord>;

  constructor(root: string, options: CaptureOptions = {}) {
    this.machine = captureEnvironment(root, options);
  }

  recordStageRun(run: StageRun): void {
    this.stages.push({ name: run.name, cmd: [...run.cmd], duration: run.duration, exit_code: run.exit_code });
  }

  async finish(): Promise<EnvironmentRecord> {
    return { ...(await this.machine), stages: [...this.stages] };
  }
}

export function startEnvironmentCapture(root: string, options: CaptureOptions = {}): EnvironmentCapture {
  return new EnvironmentCapture(root, options);
}

/** Which interpreters to ask: the first of each name on PATH, and the virtualenv's python. */
function interpreterPaths(env: NodeJS.ProcessEnv, venv: string | undefined): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  for (const name of ['python', 'python3', 'node']) {
    const file = findOnPath(name, env);
    if (file) found.push({ name, path: file });
  }
  if (venv) {
    const file = path.join(venv, process.platform === 'win32' ? 'Scripts' : 'bin', process.platform === 'win32' ? 'python.exe' : 'python');
    if (fs.existsSync(file)) found.push({ name: 'virtualenv', path: file });
  }
  return found;
}

/** sha256 of the lockfiles at the root and in `wdirs` (repo-relative), skipping any reached through a link that leaves the repository. */
async function lockfileHashes(root: string, wdirs: string[] | undefined): Promise<Record<string, string>> {
  const dirs = [...new Set(['', ...(wdirs ?? (await pipelineWdirs(root)))])];
  const hashes: Record<string, string> = {};
  for (const dir of dirs.sort()) {
    const abs = path.join(root, ...dir.split('/').filter(Boolean));
    if (await readProblem(root, abs)) continue;
    let names: string[];
    try {
      names = (await fs.promises.readdir(abs)).filter((n) => LOCKFILE.test(n)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const rel = dir ? `${dir}/${name}` : name;
      const file = path.join(abs, name);
      if (await readProblem(root, file)) continue;
      const bytes = await readRepoFile(file, rel).catch(() => undefined);
      if (bytes) hashes[rel] = crypto.createHash('sha256').update(bytes).digest('hex');
    }
  }
  return hashes;
}

/** The working folders of the workspace's stages, as far as its pipelines load. */
async function pipelineWdirs(root: string): Promise<string[]> {
  const pipelines = await loadPipelines(workspaceSource(root, new DvcIgnore(root)), { strict: false });
  return pipelines.stages.map((s) => s.wdir);
}

const NVIDIA_SMI_TIMEOUT_MS = 3000;

/** The GPUs `nvidia-smi` lists, when it is on PATH. */
async function gpusOf(env: NodeJS.ProcessEnv): Promise<Gpu[]> {
  const smi = findOnPath('nvidia-smi', env);
  if (!smi) return [];
  const text = await runProbe(smi, ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], NVIDIA_SMI_TIMEOUT_MS);
  return (text ?? '')
    .split('\n')
    .map((line) => line.split(',').map((f) => f.trim()))
    .filter((f) => f.length >= 3 && f[0])
    .map(([name, driver, memory]) => ({ name, driver_version: driver, memory_total: memory }));
}
