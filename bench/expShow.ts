import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { generateExperiments } from '../test/support/expShowRepo';
import { parsePythonJson } from '../src/core/metrics/dataFile';
import type { PipelineBenchContext as BenchContext, PipelineBenchTool as BenchTool } from './pipelines';

/**
 * The `exp-show` case (issue 15's benchmark): `exp show --json -A` over experiments made on
 * every commit of a generated history (`test/support/expShowRepo.ts`: what `dvc repro` and
 * `dvc exp run -S` commit, written with `git fast-import`), each tool in its own identical copy.
 * dvc keeps what it read of each commit in `.dvc/tmp/exps/cache`, Cairn in
 * `.dvc/tmp/cairn/exp-show`: both first run once (cold, reported), then the timed runs (warm,
 * median), alternating. Cairn's `--force` runs (every commit read again) and the table (no
 * --json) are rows of their own. The outputs are compared before anything is timed.
 */

export interface ExpShowBenchOptions {
  baselines: number;
  experimentsPerBaseline: number;
  /** Timed runs per tool and command (the median is reported). */
  runs: number;
}

export function expShowBenchOptions(env: NodeJS.ProcessEnv): ExpShowBenchOptions {
  const whole = (name: string, def: number) => {
    const n = Number(env[name] ?? def);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got '${env[name]}'`);
    return n;
  };
  return { baselines: whole('BENCH_EXP_BASELINES', 20), experimentsPerBaseline: whole('BENCH_EXP_PER_BASELINE', 15), runs: whole('BENCH_EXP_RUNS', 7) };
}

/** The target: ≥ 10× dvc's warm time, and under a second. */
const TARGET_RATIO = 10;
const TARGET_SECONDS = 1;

export async function expShowCase(work: string, cairn: BenchTool, dvc: BenchTool, options: ExpShowBenchOptions, ctx: BenchContext): Promise<void> {
  const s = (x: number) => `${x.toFixed(x < 10 ? 3 : 1)} s`;
  const list = (xs: number[]) => xs.map((t) => t.toFixed(3)).join(', ');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const count = options.baselines * options.experimentsPerBaseline;
  const label = `exp show --json -A, ${count} experiments over ${options.baselines} commits`;
  // Same commit times in both copies, so the same shas.
  const startTime = Math.floor(Date.now() / 1000) - 86_400;
  const repos: Record<string, string> = {};
  for (const t of [cairn, dvc]) {
    const dir = path.join(work, `exp-show-${t.name}`);
    fs.mkdirSync(dir, { recursive: true });
    await ctx.must('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    await ctx.must(t.cmd, [...t.args, 'init', '-q'], { cwd: dir, env: t.env });
    fs.rmSync(path.join(dir, '.dvc', 'tmp'), { recursive: true, force: true });
    const made = generateExperiments(dir, { baselines: options.baselines, experimentsPerBaseline: options.experimentsPerBaseline, startTime });
    if (made.experiments.length !== count) throw new Error(`generated ${made.experiments.length} experiments, not ${count}`);
    repos[t.name] = dir;
  }
  const heads = await Promise.all([cairn, dvc].map((t) => ctx.must('git', ['rev-parse', 'HEAD'], { cwd: repos[t.name] })));
  if ((heads[0] as { stdout: string }).stdout !== (heads[1] as { stdout: string }).stdout) throw new Error('the two generated repositories differ');

  const args = ['exp', 'show', '--json', '-A'];
  const timed = async (t: BenchTool, extra: string[] = [], json = true) => {
    const cpuBefore = ctx.childrenCpuSeconds();
    const r = await ctx.run(t.cmd, [...t.args, ...(json ? args : args.filter((a) => a !== '--json')), ...extra], { cwd: repos[t.name], env: { ...t.env, COLUMNS: '1000' } });
    if (r.code !== 0) throw new Error(`${t.name} ${args.join(' ')} ${extra.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    return { seconds: r.seconds, cpu: ctx.childrenCpuSeconds() - cpuBefore, stdout: r.stdout };
  };

  await ctx.waitForQuiet('exp-show');
  // Cold: each tool's first run, its cache empty.
  const dvcCold = await timed(dvc);
  const cairnCold = await timed(cairn);
  const same = isDeepStrictEqual(parsePythonJson(cairnCold.stdout), parsePythonJson(dvcCold.stdout));
  ctx.log(`exp-show: cold dvc ${s(dvcCold.seconds)}, cairn ${s(cairnCold.seconds)}; outputs ${same ? 'equal' : 'DIFFER'}`);

  const runs: Record<string, { seconds: number; cpu: number }[]> = { dvc: [], cairn: [], force: [], dvcTable: [], cairnTable: [] };
  for (let i = 0; i < options.runs; i++) {
    // Alternating which tool goes first.
    const order = i % 2 ? ['cairn', 'dvc'] : ['dvc', 'cairn'];
    for (const who of order) {
      const r = await timed(who === 'dvc' ? dvc : cairn);
      if (who === 'cairn' && r.stdout !== cairnCold.stdout) throw new Error('cairn exp show printed something else on a warm run');
      runs[who].push(r);
    }
    runs.force.push(await timed(cairn, ['--force']));
    runs.dvcTable.push(await timed(dvc, [], false));
    runs.cairnTable.push(await timed(cairn, [], false));
  }
  const med = (key: string) => median(runs[key].map((r) => r.seconds));
  const medCpu = (key: string) => median(runs[key].map((r) => r.cpu));
  const dvcWarm = med('dvc');
  const cairnWarm = med('cairn');
  const ratio = dvcWarm / cairnWarm;
  const x = (r: number) => `${r.toFixed(r < 10 ? 2 : 1)}×`;
  ctx.row({
    case: `${label}, both warm (median of ${options.runs})`,
    cairn: s(cairnWarm),
    peer: `${s(dvcWarm)} (dvc)`,
    ratio: `${x(ratio)} dvc/cairn`,
    target: `≥ ${TARGET_RATIO}× and < ${TARGET_SECONDS} s`,
    met: !same ? 'output differs' : ratio >= TARGET_RATIO && cairnWarm < TARGET_SECONDS ? 'met' : 'NOT met',
  });
  ctx.row({ case: `${label}: client CPU, user + system (median)`, cairn: s(medCpu('cairn')), peer: `${s(medCpu('dvc'))} (dvc)`, ratio: `${x(medCpu('dvc') / medCpu('cairn'))} dvc/cairn`, target: '—', met: '—' });
  ctx.row({ case: `${label}, cairn --force (every commit read again) vs dvc warm`, cairn: s(med('force')), peer: `${s(dvcWarm)} (dvc)`, ratio: `${x(dvcWarm / med('force'))} dvc/cairn`, target: '—', met: '—' });
  ctx.row({ case: `${label}, each tool's first run (cache empty)`, cairn: s(cairnCold.seconds), peer: `${s(dvcCold.seconds)} (dvc)`, ratio: `${x(dvcCold.seconds / cairnCold.seconds)} dvc/cairn`, target: '—', met: '—' });
  ctx.row({ case: `exp show -A (the table), both warm (median of ${options.runs})`, cairn: s(med('cairnTable')), peer: `${s(med('dvcTable'))} (dvc)`, ratio: `${x(med('dvcTable') / med('cairnTable'))} dvc/cairn`, target: '—', met: '—' });
  ctx.note(
    `exp-show: ${count} experiments (${options.experimentsPerBaseline} on each of ${options.baselines} commits) generated by test/support/expShowRepo.ts (one stage; params.yaml, metrics.json and dvc.lock change per experiment; DVCLive-style metrics in a cached eval/ folder read from the DVC cache); ` +
      `cairn's output ${same ? 'equals' : 'DIFFERS from'} dvc's (parsed JSON). Runs (s), order alternating: dvc [${list(runs.dvc.map((r) => r.seconds))}], cairn [${list(runs.cairn.map((r) => r.seconds))}], ` +
      `cairn --force [${list(runs.force.map((r) => r.seconds))}], tables: dvc [${list(runs.dvcTable.map((r) => r.seconds))}], cairn [${list(runs.cairnTable.map((r) => r.seconds))}]; first runs: dvc ${s(dvcCold.seconds)} (CPU ${s(dvcCold.cpu)}), cairn ${s(cairnCold.seconds)} (CPU ${s(cairnCold.cpu)}).`,
  );
  ctx.note(`exp-show: CPU seconds (user + system, children included) of the warm runs: dvc [${list(runs.dvc.map((r) => r.cpu))}], cairn [${list(runs.cairn.map((r) => r.cpu))}], cairn --force [${list(runs.force.map((r) => r.cpu))}].`);
}
