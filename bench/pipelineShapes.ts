import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Generated pipelines shaped like real ones, for the pipelines bench case and the tests at
 * scale (no imports beyond node: the tests load it too).
 *
 * - `chain`: each stage depends on the previous one's output, stages spread over dvc.yaml
 *   files in sub-folders (`chain/g<k>/dvc.yaml`), a third of them with `wdir: ../..`, a third
 *   with a nested `wdir: work`;
 * - `fan`: `foreach` over up to 2,000 items (read from a vars file) fanning out from one
 *   input, each group fanning in to one stage that depends on the group's output folder;
 * - `mixed`: half chain, then the fan-out/fan-in fed by the chain's end, then the other half
 *   of the chain fed by the fan-in.
 * Every stage reads the shared `params.yaml` (keys and `${}` values) at the repository's root.
 */
export type PipelineShape = 'chain' | 'fan' | 'mixed';

export const PIPELINE_SHAPES: PipelineShape[] = ['chain', 'fan', 'mixed'];

/** Stages per dvc.yaml of a chain. */
const CHAIN_FILE_STAGES = 250;
/** Items of one foreach group (the "foreach over 2,000 items feeding one stage"). */
const FAN_ITEMS = 2000;

export interface GeneratedPipeline {
  /** Stages as `cairn dag`/`dvc dag` count them. */
  stages: number;
  /** The last stage of the pipeline's order (every other stage is upstream of it for chain). */
  last: string;
}

/**
 * Write a pipeline of `count` stages of `shape` into the repository at `root` (which exists);
 * with `outputs`, every stage's output too, as if it had run once (without a dvc.lock).
 */
export function writePipeline(root: string, shape: PipelineShape, count: number, options: { outputs?: boolean } = {}): GeneratedPipeline {
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('params.yaml', 'lr: 0.01\nseed: 7\ntrain:\n  batch: 32\n  epochs: 5\n');
  write('data/raw.txt', 'raw\n');
  // Outputs are the pipeline's, never git's (dvc refuses outputs git tracks).
  if (options.outputs) write('.gitignore', '/out/\nparts/\nsummary.txt\n');
  let made = 0;
  let files = 0;
  /** A chain of `n` stages reading `input` (repo-relative); returns its last output (repo-relative). */
  const chain = (n: number, input: string): string => {
    let previous = input;
    for (let from = 0; from < n; from += CHAIN_FILE_STAGES) {
      const dir = `chain/g${String(files++).padStart(4, '0')}`;
      fs.mkdirSync(path.join(root, dir, 'work'), { recursive: true });
      const lines = ['vars:', '  - ../../params.yaml:train', 'stages:'];
      for (let i = from; i < Math.min(n, from + CHAIN_FILE_STAGES); i++) {
        const name = `s${String(made++).padStart(5, '0')}`;
        const output = `out/${dir}/${name}.txt`;
        // Paths as written, relative to the stage's wdir: the dvc.yaml's folder, the root, or `work` below it.
        const variant = i % 3;
        const up = variant === 0 ? '../../' : variant === 1 ? '' : '../../../';
        lines.push(`  ${name}:`);
        if (variant === 1) lines.push('    wdir: ../..');
        if (variant === 2) lines.push('    wdir: work');
        lines.push(`    cmd: echo ${name} \${train.batch} > ${up}${output}`);
        lines.push(`    deps:\n      - ${up}${previous}`);
        lines.push(`    params:\n      - ${up}params.yaml:\n          - lr\n          - train.epochs`);
        lines.push(`    outs:\n      - ${up}${output}`);
        if (options.outputs) write(output, `${name}\n`);
        previous = output;
      }
      write(`${dir}/dvc.yaml`, lines.join('\n') + '\n');
    }
    return previous;
  };
  /** Foreach groups with `n` stages in all, each fanning in to one stage; returns the last fan-in's output. */
  const fan = (n: number, input: string): string => {
    let last = input;
    for (let group = 0; n - group * (FAN_ITEMS + 1) > 1; group++) {
      const items = Math.min(FAN_ITEMS, n - group * (FAN_ITEMS + 1) - 1);
      const dir = `fan/g${String(group).padStart(2, '0')}`;
      write(`${dir}/items.yaml`, `items:\n${Array.from({ length: items }, (_, i) => `  - i${String(i).padStart(4, '0')}\n`).join('')}`);
      write(
        `${dir}/dvc.yaml`,
        [
          'vars:',
          '  - items.yaml',
          '  - ../../params.yaml:train',
          'stages:',
          '  part:',
          '    foreach: ${items}',
          '    do:',
          '      cmd: echo ${item} ${train.batch} > parts/${item}.txt',
          `      deps:\n        - ../../${input}`,
          '      params:\n        - ../../params.yaml:\n            - lr',
          '      outs:\n        - parts/${item}.txt',
          '  collect:',
          '    cmd: cat parts/* > summary.txt',
          '    deps:\n      - parts',
          '    params:\n      - ../../params.yaml:\n          - seed',
          '    outs:\n      - summary.txt',
          '',
        ].join('\n'),
      );
      if (options.outputs) {
        for (let i = 0; i < items; i++) write(`${dir}/parts/i${String(i).padStart(4, '0')}.txt`, `i${i}\n`);
        write(`${dir}/summary.txt`, 'summary\n');
      }
      made += items + 1;
      last = `${dir}/summary.txt`;
    }
    return last;
  };
  let end: string;
  if (shape === 'chain') end = chain(count, 'data/raw.txt');
  else if (shape === 'fan') end = fan(count, 'data/raw.txt');
  else {
    const fanStages = Math.min(FAN_ITEMS + 1, Math.floor(count / 2));
    end = chain(Math.floor((count - fanStages) / 2), 'data/raw.txt');
    end = fan(fanStages, end);
    end = chain(count - made, end);
  }
  return { stages: made, last: end };
}
