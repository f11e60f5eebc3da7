import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureEnvironment } from '../src/core/experiments/environment';

/**
 * The `environment` case (issue 15, "what ran is recorded"): the environment capture an
 * experiment run starts in the background, with the dvc peer's virtualenv active (its
 * ~100 packages), cold (no cache in `.dvc/tmp/cairn`: `--version` of each interpreter, every
 * dist-info METADATA read) and warm (the run after), against `pip freeze` in the same
 * virtualenv, which is what a user would otherwise run to record the packages.
 */

export interface EnvironmentBenchContext {
  run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string; seconds: number }>;
  waitForQuiet(label: string): Promise<void>;
  log(line: string): void;
  row(r: { case: string; cairn: string; peer: string; ratio: string; target: string; met: string }): void;
}

const WARM_RUNS = 5;
/** Far cheaper than `pip freeze` warm: a tenth of it at most. */
const TARGET_RATIO = 10;

export async function environmentCase(work: string, dvcBin: string, ctx: EnvironmentBenchContext): Promise<void> {
  const venv = path.dirname(path.dirname(dvcBin));
  const pip = path.join(venv, 'bin', 'pip');
  if (!fs.existsSync(pip)) {
    ctx.log(`environment: no pip beside ${dvcBin}; case skipped`);
    return;
  }
  await ctx.waitForQuiet('environment');
  const root = path.join(work, 'environment');
  fs.mkdirSync(path.join(root, '.dvc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'requirements.txt'), 'numpy\n');
  const env = { ...process.env, VIRTUAL_ENV: venv, PATH: `${path.join(venv, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };

  const timed = async () => {
    const started = process.hrtime.bigint();
    const record = await captureEnvironment(root, { env, wdirs: [] });
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, packages: Object.keys(record.virtualenv?.packages ?? {}).length };
  };
  const cold = await timed();
  const warm: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push((await timed()).seconds);
  const freeze: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await ctx.run(pip, ['freeze', '--disable-pip-version-check'], { cwd: root, env });
    if (r.code !== 0) throw new Error(`pip freeze failed: ${r.stderr}`);
    freeze.push(r.seconds);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const warmMedian = median(warm);
  const freezeMedian = median(freeze);
  const fmt = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  ctx.row({ case: `environment capture, cold (${cold.packages} packages)`, cairn: fmt(cold.seconds), peer: `${fmt(freezeMedian)} (pip freeze)`, ratio: `${(freezeMedian / cold.seconds).toFixed(1)}×`, target: '-', met: '-' });
  ctx.row({
    case: `environment capture, warm (${cold.packages} packages)`,
    cairn: fmt(warmMedian),
    peer: `${fmt(freezeMedian)} (pip freeze)`,
    ratio: `${(freezeMedian / warmMedian).toFixed(1)}×`,
    target: `≥ ${TARGET_RATIO}× faster than pip freeze`,
    met: freezeMedian / warmMedian >= TARGET_RATIO ? 'yes' : 'NO',
  });
}
