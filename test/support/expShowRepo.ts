import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { pyFloatRepr } from '../../src/core/pipeline/values';
import { dirManifestHash } from '../../src/core/hashing/dirManifest';

/**
 * Many experiments, quickly: the commits `dvc repro` + `git commit` (baselines) and `dvc exp run
 * -S train.lr=<lr>` (experiments) would make for one small pipeline, written with one
 * `git fast-import` per kind instead of running anything. Each experiment commit holds what dvc
 * commits — the baseline's tree with the new params.yaml, metrics.json and dvc.lock, message
 * `dvc: commit experiment <sha256 of the stage's lock entry>`, the baseline its only parent, at
 * `refs/exps/<baseline[0:2]>/<baseline[2:]>/<name>` — and its cached outputs (`model.bin`, the
 * `eval/` folder with DVCLive-style metrics) go into the DVC cache as dvc stores them.
 * `test/interop/expShowGeneratorInterop.test.ts` checks this against the real `dvc exp run`.
 * Not written: dvc's run-cache entries (`.dvc/cache/runs/`), which `exp show` never reads.
 */

/** The stage's script: metrics from `train.lr`, as Python writes them. */
export const TRAIN_PY = `import json, os
lr = float([l.split(':')[1] for l in open('params.yaml') if 'lr:' in l][0])
json.dump({'acc': lr * 2, 'loss': 1 - lr}, open('metrics.json', 'w'))
os.makedirs('eval', exist_ok=True)
json.dump({'auc': 1 - lr / 2, 'nested': {'f1': lr}}, open('eval/metrics.json', 'w'))
open('model.bin', 'w').write(str(lr))
`;

export const PIPELINE = `stages:
  train:
    cmd: python3 train.py
    deps: [train.py, data.txt]
    params: [train.lr, train.epochs]
    outs: [model.bin, eval]
    metrics: [{metrics.json: {cache: false}}]
metrics: [eval/metrics.json]
`;

const GITIGNORE = '/data.txt\n/model.bin\n/eval\n';
const EPOCHS = 3;
/** The baselines' own learning rate; experiments change it. */
export const BASELINE_LR = 0.1;

export interface GeneratedRepo {
  /** Baseline commits, oldest first (the last is HEAD, on `main`). */
  baselines: string[];
  experiments: { ref: string; sha: string; baseline: string; name: string; lr: number }[];
}

export interface GenerateOptions {
  baselines: number;
  experimentsPerBaseline: number;
  /** Commit time of the first baseline (seconds since the epoch); each later commit a minute after. */
  startTime?: number;
  /** The learning rate of experiment `j` of baseline `i` (default `(i·n + j + 1) / 1000`). */
  lr?: (baseline: number, experiment: number) => number;
}

/** What `python3 train.py` writes for a learning rate: the file texts, as Python's json and str write them. */
export function trainOutputs(lr: number): { metrics: string; evalMetrics: string; model: string } {
  const f = pyFloatRepr;
  return {
    metrics: `{"acc": ${f(lr * 2)}, "loss": ${f(1 - lr)}}`,
    evalMetrics: `{"auc": ${f(1 - lr / 2)}, "nested": {"f1": ${f(lr)}}}`,
    model: f(lr),
  };
}

const md5 = (data: string) => crypto.createHash('md5').update(data).digest('hex');
const size = (data: string) => Buffer.byteLength(data);

interface LockEntry {
  path: string;
  hash: 'md5';
  md5: string;
  size: number;
  nfiles?: number;
}

/** One run of the stage: the files it writes and the dvc.lock dvc writes for it (and the objects to cache). */
function stageRun(data: string, lr: number): { files: Record<string, string>; lock: string; expHash: string; cached: Record<string, string> } {
  const outs = trainOutputs(lr);
  const dir = dirManifestHash([{ md5: md5(outs.evalMetrics), relpath: 'metrics.json' }]);
  const deps: LockEntry[] = [
    { path: 'data.txt', hash: 'md5', md5: md5(data), size: size(data) },
    { path: 'train.py', hash: 'md5', md5: md5(TRAIN_PY), size: size(TRAIN_PY) },
  ];
  const lockOuts: LockEntry[] = [
    { path: 'eval', hash: 'md5', md5: dir.md5, size: size(outs.evalMetrics), nfiles: 1 },
    { path: 'metrics.json', hash: 'md5', md5: md5(outs.metrics), size: size(outs.metrics) },
    { path: 'model.bin', hash: 'md5', md5: md5(outs.model), size: size(outs.model) },
  ];
  const entry = (e: LockEntry) => `    - path: ${e.path}\n      hash: ${e.hash}\n      md5: ${e.md5}\n      size: ${e.size}\n${e.nfiles === undefined ? '' : `      nfiles: ${e.nfiles}\n`}`;
  const lock =
    `schema: '2.0'\nstages:\n  train:\n    cmd: python3 train.py\n    deps:\n${deps.map(entry).join('')}` +
    `    params:\n      params.yaml:\n        train.epochs: ${EPOCHS}\n        train.lr: ${pyFloatRepr(lr)}\n    outs:\n${lockOuts.map(entry).join('')}`;
  // dvc's hash_exp: sha256 of json.dumps(to_lockfile(stage), sort_keys=True).
  const sortedJson = (e: LockEntry) => `{"hash": "md5", "md5": "${e.md5}", ${e.nfiles === undefined ? '' : `"nfiles": ${e.nfiles}, `}"path": "${e.path}", "size": ${e.size}}`;
  const lockJson =
    `{"train": {"cmd": "python3 train.py", "deps": [${deps.map(sortedJson).join(', ')}], "outs": [${lockOuts.map(sortedJson).join(', ')}], ` +
    `"params": {"params.yaml": {"train.epochs": ${EPOCHS}, "train.lr": ${pyFloatRepr(lr)}}}}}`;
  return {
    files: { 'params.yaml': `train:\n  lr: ${pyFloatRepr(lr)}\n  epochs: ${EPOCHS}\n`, 'metrics.json': outs.metrics, 'dvc.lock': lock },
    lock,
    expHash: crypto.createHash('sha256').update(lockJson).digest('hex'),
    cached: { [md5(data)]: data, [md5(outs.model)]: outs.model, [md5(outs.evalMetrics)]: outs.evalMetrics, [dir.md5]: dir.bytes },
  };
}

/** The data file of baseline `i`: every baseline brings new data. */
const dataOf = (i: number) => `data ${i}\n`;

function dvcFileOf(data: string): string {
  return `outs:\n- md5: ${md5(data)}\n  size: ${size(data)}\n  hash: md5\n  path: data.txt\n`;
}

/** Store objects as dvc does: `files/md5/<2>/<30>`, read-only. */
function cacheObjects(root: string, objects: Record<string, string>): void {
  for (const [id, text] of Object.entries(objects)) {
    const file = path.join(root, '.dvc', 'cache', 'files', 'md5', id.slice(0, 2), id.slice(2));
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o444 });
  }
}

function git(root: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd: root, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A fast-import commit: `files` replace the parent's (or make the whole tree), committed at `time`. */
function importCommit(ref: string, time: number, message: string, parent: string | undefined, files: Record<string, string>): string {
  let s = `commit ${ref}\nauthor Cairn Bench <bench@cairn.dev> ${time} +0000\ncommitter Cairn Bench <bench@cairn.dev> ${time} +0000\n`;
  s += `data ${size(message)}\n${message}\n`;
  if (parent) s += `from ${parent}\n`;
  for (const [name, body] of Object.entries(files)) s += `M 100644 inline ${name}\ndata ${size(body)}\n${body}\n`;
  return s + '\n';
}

/**
 * Writes `baselines` commits on `main` and `experimentsPerBaseline` experiments on each into the
 * git repository at `root`, which `dvc init` (or `cairn init`) has made and nothing has been
 * committed in; leaves the workspace at the last baseline with its outputs, as after `dvc repro`.
 */
export function generateExperiments(root: string, options: GenerateOptions): GeneratedRepo {
  const start = options.startTime ?? Math.floor(Date.now() / 1000) - 86_400;
  const lrOf = options.lr ?? ((i: number, j: number) => (i * options.experimentsPerBaseline + j + 1) / 1000);
  const dvcFiles: Record<string, string> = {};
  for (const f of ['.dvc/.gitignore', '.dvc/config', '.dvcignore']) dvcFiles[f] = fs.readFileSync(path.join(root, f), 'utf8');
  let stream = '';
  let time = start;
  for (let i = 0; i < options.baselines; i++) {
    const run = stageRun(dataOf(i), BASELINE_LR);
    cacheObjects(root, run.cached);
    const files = { ...(i === 0 ? { ...dvcFiles, '.gitignore': GITIGNORE, 'dvc.yaml': PIPELINE, 'train.py': TRAIN_PY } : {}), 'data.txt.dvc': dvcFileOf(dataOf(i)), ...run.files };
    // fast-import puts each commit of a branch on the one before it.
    stream += importCommit('refs/heads/main', time, `baseline ${i}`, undefined, files);
    time += 60;
  }
  git(root, ['fast-import', '--quiet'], stream);
  const baselines = git(root, ['rev-list', '--reverse', '--first-parent', 'main']).split('\n').filter(Boolean);

  stream = '';
  const experiments: GeneratedRepo['experiments'] = [];
  for (let i = 0; i < options.baselines; i++) {
    const baseline = baselines[i];
    for (let j = 0; j < options.experimentsPerBaseline; j++) {
      const lr = lrOf(i, j);
      const run = stageRun(dataOf(i), lr);
      cacheObjects(root, run.cached);
      const name = `exp-${i}-${j}`;
      const ref = `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
      stream += importCommit(ref, time, `dvc: commit experiment ${run.expHash}`, baseline, run.files);
      experiments.push({ ref, sha: '', baseline, name, lr });
      time += 60;
    }
  }
  git(root, ['fast-import', '--quiet'], stream);
  const shas = new Map(git(root, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/exps/']).split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  for (const e of experiments) e.sha = shas.get(e.ref) ?? '';

  // The workspace as `dvc repro` leaves the last baseline: its files and its outputs.
  git(root, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
  git(root, ['reset', '-q', '--hard', 'main']);
  const last = trainOutputs(BASELINE_LR);
  fs.writeFileSync(path.join(root, 'data.txt'), dataOf(options.baselines - 1));
  fs.writeFileSync(path.join(root, 'model.bin'), last.model);
  fs.mkdirSync(path.join(root, 'eval'), { recursive: true });
  fs.writeFileSync(path.join(root, 'eval', 'metrics.json'), last.evalMetrics);
  return { baselines, experiments };
}
