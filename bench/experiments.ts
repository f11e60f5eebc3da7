import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The `exp-run` case (issue 15): the overhead of `exp run` in the workspace on a stage whose
 * command takes 0.1 s, in a repository with BENCH_EXP_FILES tracked files (a DVC-tracked folder the
 * stage depends on), each round with a new `-S` value so the stage runs. Cairn records its
 * environment (a git note) as always. Cairn and dvc each in their own copy; medians of
 * BENCH_EXP_ROUNDS rounds.
 */

export interface ExpBenchTool {
  name: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface ExpBenchContext {
  must(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ seconds: number; stdout: string }>;
  waitForQuiet(label: string): Promise<void>;
  log(line: string): void;
  row(r: { case: string; cairn: string; peer: string; ratio: string; target: string; met: string }): void;
}

/** Cairn's exp run takes at most a fifth of dvc's. */
const TARGET_FRACTION = 5;

export async function expRunCase(work: string, cairn: ExpBenchTool, dvc: ExpBenchTool, options: { files: number; rounds: number }, ctx: ExpBenchContext): Promise<void> {
  const make = async (tool: ExpBenchTool): Promise<string> => {
    const root = path.join(work, `exp-run-${tool.name}`);
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
    for (let i = 0; i < options.files; i++) fs.writeFileSync(path.join(root, 'data', `f${i}.txt`), `file ${i}\n`);
    fs.writeFileSync(path.join(root, 'params.yaml'), 'lr: 0\n');
    fs.writeFileSync(
      path.join(root, 'dvc.yaml'),
      'stages:\n  train:\n    cmd: sleep 0.1 && grep lr params.yaml > model.txt\n    deps: [data]\n    params: [lr]\n    outs: [model.txt]\n',
    );
    const git = (...args: string[]) => ctx.must('git', args, { cwd: root });
    await git('init', '-q');
    await git('config', 'user.email', 'bench@cairn.dev');
    await git('config', 'user.name', 'bench');
    await ctx.must(dvc.cmd, [...dvc.args, 'init', '-q'], { cwd: root, env: dvc.env });
    await ctx.must(dvc.cmd, [...dvc.args, 'add', '-q', 'data'], { cwd: root, env: dvc.env });
    await ctx.must(dvc.cmd, [...dvc.args, 'repro', '-q'], { cwd: root, env: dvc.env });
    await git('add', '-A');
    await git('commit', '-qm', 'baseline');
    return root;
  };
  const roots = { cairn: await make(cairn), dvc: await make(dvc) };
  await ctx.waitForQuiet('exp run');
  const times: Record<'cairn' | 'dvc', number[]> = { cairn: [], dvc: [] };
  for (let round = 1; round <= options.rounds; round++) {
    for (const [key, tool] of [['dvc', dvc], ['cairn', cairn]] as const) {
      const r = await ctx.must(tool.cmd, [...tool.args, 'exp', 'run', '-S', `lr=${round}`], { cwd: roots[key], env: tool.env });
      times[key].push(r.seconds);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [ours, theirs] = [median(times.cairn), median(times.dvc)];
  ctx.log(`exp run: cairn ${times.cairn.map((t) => t.toFixed(2)).join(', ')} s; dvc ${times.dvc.map((t) => t.toFixed(2)).join(', ')} s`);
  ctx.row({
    case: `exp run (workspace, 0.1 s stage, ${options.files} tracked files, environment recorded), median of ${options.rounds}`,
    cairn: `${ours.toFixed(2)} s`,
    peer: `${theirs.toFixed(2)} s`,
    ratio: `${(theirs / ours).toFixed(1)}×`,
    target: `≤ 1/${TARGET_FRACTION} of dvc's time`,
    met: ours * TARGET_FRACTION <= theirs ? 'yes' : 'NO',
  });
}
