import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvcOk, git, tempDir, tempGitRepo, writeFiles } from './fixtures';
import { commitAll } from './metricsJson';

/**
 * The experiments fixture: a training script (lr from params.yaml; lr >= 1 fails) writing
 * metrics.json (git), eval/metrics.json and model.bin (cached outputs, DVCLive's layout), and its
 * pipeline.
 */
export const TRAIN = `import json, os, sys
lr = float([l.split(':')[1] for l in open('params.yaml') if 'lr:' in l][0])
if lr >= 1:
    sys.exit('lr too big')
json.dump({'acc': lr * 2, 'loss': 1 - lr}, open('metrics.json', 'w'))
os.makedirs('eval', exist_ok=True)
json.dump({'auc': round(lr / 3, 6), 'nested': {'f1': lr}}, open('eval/metrics.json', 'w'))
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

/** A repository with the pipeline run and committed twice ('pipeline', then 'baseline' with its data and dvc.lock). */
export function trainedBaseline(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 3\n', 'train.py': TRAIN, 'dvc.yaml': PIPELINE });
  commitAll(root, 'pipeline');
  writeFiles(root, { 'data.txt': 'd\n' });
  dvcOk(root, 'add', '-q', 'data.txt');
  dvcOk(root, 'repro', '-q');
  commitAll(root, 'baseline');
  return root;
}


/**
 * For the mocha `describe` it is called in: RUNS_LOG names a fresh file for its tests (restored
 * after). A counting baseline's stage appends a line to it on each run. Returns the file's path.
 */
export function useRunsLog(): () => string {
  let runsLog = '';
  const saved = process.env.RUNS_LOG;
  before(() => {
    runsLog = path.join(tempDir(), 'runs.log');
    process.env.RUNS_LOG = runsLog;
  });
  after(() => {
    if (saved === undefined) delete process.env.RUNS_LOG;
    else process.env.RUNS_LOG = saved;
  });
  return () => runsLog;
}

/** The trained baseline whose stage writes the experiment's name to $RUNS_LOG (outside the repository, so not an output) on each run. */
export function countingBaseline(): string {
  const root = trainedBaseline();
  const yaml = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('cmd: python3 train.py', 'cmd: python3 train.py && echo "$DVC_EXP_NAME" >> "$RUNS_LOG"');
  fs.writeFileSync(path.join(root, 'dvc.yaml'), yaml);
  dvcOk(root, 'repro', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'counting');
  return root;
}
