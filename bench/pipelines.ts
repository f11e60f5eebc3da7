import * as fs from 'node:fs';
import * as path from 'node:path';
import { PIPELINE_SHAPES, PipelineShape, writePipeline } from './pipelineShapes';

/**
 * The `pipelines` case (issue 13, point 9): cairn's `status`, `dag`, `repro --dry` and `lint`
 * on generated pipelines (`pipelineShapes.ts`: chain, fan-out/fan-in, mixed) at each size,
 * the curve printed per shape and command, and the real dvc's `status`, `dag` and
 * `repro --dry` at the sizes where it finishes in reasonable time (up to BENCH_PIPELINE_DVC_MAX).
 * Every stage's output is there, as after a first run, but there is no dvc.lock: every stage is
 * checked in full, its deps and outputs hashed (and dvc's `repro --dry` finds each dep it needs).
 */

export interface PipelineBenchTool {
  name: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** What run.ts lends the case: running tools, its result rows and notes. */
export interface PipelineBenchContext {
  run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string; seconds: number }>;
  must(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<unknown>;
  childrenCpuSeconds(): number;
  waitForQuiet(label: string): Promise<void>;
  log(line: string): void;
  row(r: { case: string; cairn: string; peer: string; ratio: string; target: string; met: string }): void;
  note(line: string): void;
}

export interface PipelineBenchOptions {
  sizes: number[];
  shapes: PipelineShape[];
  /** dvc runs at sizes up to this (here it took 16 s for `dag`, 56 s for `repro --dry` at 1,000 stages). */
  dvcMax: number;
  /** A dvc run past this many seconds is stopped and reported as `> N s`. */
  dvcTimeout: number;
}

export function pipelineBenchOptions(env: NodeJS.ProcessEnv): PipelineBenchOptions {
  const list = (name: string, def: string) => (env[name] ?? def).split(',').map((s) => s.trim()).filter(Boolean);
  const shapes = list('BENCH_PIPELINE_SHAPES', PIPELINE_SHAPES.join(',')) as PipelineShape[];
  for (const s of shapes) if (!PIPELINE_SHAPES.includes(s)) throw new Error(`BENCH_PIPELINE_SHAPES: unknown shape '${s}' (${PIPELINE_SHAPES.join(', ')})`);
  const sizes = list('BENCH_PIPELINE_SIZES', '1000,2000,5000,10000').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 10)) throw new Error('BENCH_PIPELINE_SIZES must be whole numbers of stages (at least 10)');
  return { sizes, shapes, dvcMax: Number(env.BENCH_PIPELINE_DVC_MAX ?? 1000), dvcTimeout: Number(env.BENCH_PIPELINE_DVC_TIMEOUT ?? 300) };
}

const COMMANDS: { label: string; cairn: string[]; dvc?: string[] }[] = [
  { label: 'status', cairn: ['status'], dvc: ['status'] },
  { label: 'dag', cairn: ['dag', '--dot'], dvc: ['dag', '--dot'] },
  { label: 'repro --dry', cairn: ['repro', '--dry', '-P'], dvc: ['repro', '--dry', '-P'] },
  { label: 'lint', cairn: ['lint'] },
];

/** The issue's target: every command under 2 s at 10,000 stages. */
const TARGET_SECONDS = 2;
const TARGET_STAGES = 10_000;

export async function pipelinesCase(work: string, cairn: PipelineBenchTool, dvc: PipelineBenchTool, options: PipelineBenchOptions, ctx: PipelineBenchContext): Promise<void> {
  const s = (x: number) => `${x.toFixed(x < 10 ? 3 : 1)} s`;
  /** cairn's wall and CPU seconds per shape, command and size, for the curve. */
  const curve = new Map<string, { size: number; wall: number; cpu: number }[]>();
  for (const shape of options.shapes) {
    for (const size of options.sizes) {
      const repos: Record<string, string> = {};
      for (const t of [cairn, dvc]) {
        const dir = path.join(work, `pipelines-${shape}-${size}-${t.name}`);
        fs.mkdirSync(dir, { recursive: true });
        await ctx.must('git', ['init', '-q'], { cwd: dir });
        await ctx.must(cairn.cmd, [...cairn.args, 'init', '-q'], { cwd: dir, env: cairn.env });
        const made = writePipeline(dir, shape, size, { outputs: true });
        if (made.stages !== size) throw new Error(`${shape} of ${size}: generated ${made.stages} stages`);
        await ctx.must('git', ['add', '-A'], { cwd: dir });
        repos[t.name] = dir;
      }
      await ctx.waitForQuiet(`pipelines ${shape} ${size}`);
      for (const c of COMMANDS) {
        const cpuBefore = ctx.childrenCpuSeconds();
        const mine = await ctx.run(cairn.cmd, [...cairn.args, ...c.cairn], { cwd: repos.cairn, env: cairn.env });
        const cpu = ctx.childrenCpuSeconds() - cpuBefore;
        // lint exits 1 when it finds errors; these pipelines have none.
        if (mine.code !== 0) throw new Error(`cairn ${c.cairn.join(' ')} on ${shape} of ${size} exited ${mine.code}: ${mine.stderr}${mine.stdout.slice(0, 2000)}`);
        const key = `${shape}|${c.label}`;
        curve.set(key, [...(curve.get(key) ?? []), { size, wall: mine.seconds, cpu }]);
        ctx.log(`pipelines ${shape} ${size}: cairn ${c.label} ${s(mine.seconds)} (CPU ${s(cpu)})`);
        let peer = `— (dvc run up to ${options.dvcMax} stages)`;
        let ratio = '—';
        if (!c.dvc) peer = '— (dvc has no lint)';
        else if (size <= options.dvcMax) {
          const theirs = await runWithTimeout(ctx, dvc, c.dvc, repos.dvc, options.dvcTimeout);
          ctx.log(`pipelines ${shape} ${size}: dvc ${c.label} ${theirs === undefined ? `> ${options.dvcTimeout} s` : s(theirs)}`);
          peer = theirs === undefined ? `> ${options.dvcTimeout} s (dvc, stopped)` : `${s(theirs)} (dvc)`;
          ratio = theirs === undefined ? `> ${(options.dvcTimeout / mine.seconds).toFixed(0)}× dvc/cairn` : `${(theirs / mine.seconds).toFixed(theirs / mine.seconds < 10 ? 2 : 1)}× dvc/cairn`;
        }
        const targeted = size === TARGET_STAGES;
        ctx.row({
          case: `${c.label}, ${shape} of ${size} stages`,
          cairn: s(mine.seconds),
          peer,
          ratio,
          target: targeted ? `< ${TARGET_SECONDS} s` : '—',
          met: targeted ? (mine.seconds < TARGET_SECONDS ? 'met' : 'NOT met') : '—',
        });
      }
    }
  }
  for (const [key, points] of curve) {
    const [shape, label] = key.split('|');
    const first = points[0];
    const last = points[points.length - 1];
    const growth = last.wall / first.wall;
    ctx.note(
      `pipelines, cairn ${label} on ${shape}: ${points.map((p) => `${p.size}: ${s(p.wall)} (CPU ${s(p.cpu)})`).join(', ')}; ` +
        `${(last.size / first.size).toFixed(0)}× the stages took ${growth.toFixed(1)}× the time (CPU ${(last.cpu / first.cpu).toFixed(1)}×; linear would be ${(last.size / first.size).toFixed(0)}×, start-up included).`,
    );
  }
  ctx.note(
    `pipelines: generated by bench/pipelineShapes.ts (chain: 250 stages per dvc.yaml in sub-folders, a third with \`wdir: ../..\`, a third with a nested \`wdir: work\`; fan: foreach over up to 2,000 items from a vars file, each group feeding one stage through its output folder; mixed: chain, fan, chain), every stage reading the shared params.yaml; every output written, no dvc.lock (every stage changed, its deps and outputs hashed). ` +
      `dvc ran only up to ${options.dvcMax} stages (BENCH_PIPELINE_DVC_MAX), each run stopped after ${options.dvcTimeout} s; one run per tool and size (wall clock, start-up included).`,
  );
}

/** A dvc run's seconds, or undefined when it was stopped at `timeout` s. */
async function runWithTimeout(ctx: PipelineBenchContext, t: PipelineBenchTool, args: string[], cwd: string, timeout: number): Promise<number | undefined> {
  const r = await ctx.run('timeout', ['-s', 'KILL', String(timeout), t.cmd, ...t.args, ...args], { cwd, env: t.env });
  if (r.code === 137 || r.code === 128) return undefined;
  if (r.code !== 0) throw new Error(`dvc ${args.join(' ')} in ${cwd} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  return r.seconds;
}
