import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { PIPELINE, TRAIN } from '../support/expFixtures';
import { ensureDvclive } from '../support/peers';

/** The repository root (this file runs from out/test/e2e/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The tests module VS Code loads as extensionTestsPath: runs every suite/*.test.js in the extension host. */
export const SUITE_MODULE = path.join(REPO_ROOT, 'out', 'test', 'e2e', 'suite', 'index.js');

/**
 * The workspace the in-VS-Code suite (test/e2e/suite) expects: a temp git repository with
 * `cairn init` run by the bundled CLI, `data/` (3 files: images/cat.png, images/dog.png,
 * labels.csv) and `models/model.pkl` tracked with `cairn add`, everything committed.
 * Removed by cleanupTempDirs() (test/run.ts calls it at the end).
 */
export function makeE2eWorkspace(): string {
  const workspace = tempGitRepo();
  cairnOk(workspace, 'init');
  writeFiles(workspace, {
    'data/labels.csv': 'name,label\ncat,1\ndog,2\n',
    'data/images/cat.png': Buffer.alloc(700, 1),
    'data/images/dog.png': Buffer.alloc(900, 2),
    'models/model.pkl': Buffer.alloc(1500, 3),
  });
  cairnOk(workspace, 'add', 'data', 'models/model.pkl');
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'Track data and model');
  return workspace;
}

/**
 * The e2e workspace as a stranger might send it (an archive: `.git/config` comes with it), for the
 * Restricted Mode run: besides the tracked data, a stage in dvc.yaml with its dvc.lock, params and
 * metrics, a default remote, and a `.git/config` naming programs git runs by itself — a `core.fsmonitor` hook and a
 * clean/smudge filter for every file — each appending a line to `marker` (outside the folder).
 */
export function makeRestrictedWorkspace(): { workspace: string; marker: string } {
  const workspace = makeE2eWorkspace();
  writeFiles(workspace, {
    'params.yaml': 'lr: 0.1\n',
    'dvc.yaml': "stages:\n  train:\n    cmd: 'echo trained > model.txt && echo acc: 0.9 > metrics.yaml'\n    params:\n    - lr\n    outs:\n    - model.txt\n    metrics:\n    - metrics.yaml:\n        cache: false\n",
  });
  cairnOk(workspace, 'repro');
  cairnOk(workspace, 'remote', 'add', '-d', 'storage', tempDir('cairn-e2e-remote-'));
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'Train stage');
  const marker = path.join(tempDir('cairn-e2e-marker-'), 'ran');
  const hook = path.join(path.dirname(marker), 'hook.sh');
  fs.writeFileSync(hook, `#!/bin/sh\necho "$*" >> '${marker}'\ncat\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(workspace, '.gitattributes'), '* filter=evil\n');
  for (const [key, value] of [['core.fsmonitor', hook], ['filter.evil.clean', hook], ['filter.evil.smudge', hook]]) git(workspace, 'config', key, value);
  fs.rmSync(marker, { force: true }); // the git commands above may have run it
  return { workspace, marker };
}

/**
 * The experiments table's workspace: the training pipeline of test/support/expFixtures run and
 * committed as the baseline, then experiments made by the bundled CLI — `exp-low` (lr 0.2) and
 * `exp-high` (lr 0.4) run in the workspace, `exp-fails` (lr 2: the script refuses) queued and run
 * by Cairn's queue so it stays failed, and `exp-waiting` (lr 0.3) queued and never run.
 */
export function makeExperimentsWorkspace(): string {
  const workspace = trainedRepository();
  cairnOk(workspace, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'exp-low');
  cairnOk(workspace, 'exp', 'run', '-q', '-S', 'train.lr=0.4', '-n', 'exp-high');
  cairnOk(workspace, 'exp', 'run', '--queue', '-S', 'train.lr=2', '-n', 'exp-fails');
  if (cairn(workspace, 'exp', 'run', '--run-all').status === 0) throw new Error('the run with lr 2 should fail');
  cairnOk(workspace, 'exp', 'run', '--queue', '-S', 'train.lr=0.3', '-n', 'exp-waiting');
  return workspace;
}

/**
 * The experiments workspace (above), plus `exp-extra` (lr 0.5, the last run, so the workspace's
 * params.yaml says 0.5), shared through a git remote: `origin`, a bare repository
 * holding `main`, and `exp-teammate` (lr 0.7), which a second clone ran and pushed there with
 * `cairn exp push` — an experiment only on the remote, until pulled.
 */
export function makeExperimentActionsWorkspace(): string {
  const workspace = makeExperimentsWorkspace();
  // One more finished experiment, so two can be removed together and the rest still acted on.
  cairnOk(workspace, 'exp', 'run', '-q', '-S', 'train.lr=0.5', '-n', 'exp-extra');
  const remote = path.join(tempDir('cairn-e2e-origin-'), 'origin.git');
  git(path.dirname(remote), 'init', '-q', '--bare', remote);
  git(workspace, 'remote', 'add', 'origin', remote);
  git(workspace, 'push', '-q', 'origin', 'main');
  const teammate = path.join(tempDir('cairn-e2e-teammate-'), 'clone');
  git(path.dirname(teammate), 'clone', '-q', '-b', 'main', remote, teammate);
  for (const [key, value] of [['user.email', 'teammate@cairn.dev'], ['user.name', 'Teammate'], ['commit.gpgsign', 'false']]) git(teammate, 'config', key, value);
  // The teammate's cache has the baseline's data (as a `cairn pull` from a shared DVC remote would give).
  fs.cpSync(path.join(workspace, '.dvc', 'cache'), path.join(teammate, '.dvc', 'cache'), { recursive: true });
  cairnOk(teammate, 'checkout', '-q');
  cairnOk(teammate, 'exp', 'run', '-q', '-S', 'train.lr=0.7', '-n', 'exp-teammate');
  cairnOk(teammate, 'exp', 'push', '--no-cache', 'origin', 'exp-teammate');
  return workspace;
}

/** The trained baseline alone, for the Modify Params and Run form's tests (they run and queue experiments from it). */
export function makeRunFormWorkspace(): string {
  // A run that takes a while, to see its progress and cancel it: a second per epoch beyond the baseline's 3.
  const slowWithEpochs = `${TRAIN}import time\ntime.sleep(max(0, int([l.split(':')[1] for l in open('params.yaml') if 'epochs:' in l][0]) - 3))\n`;
  return trainedRepository(slowWithEpochs);
}

/** The training pipeline of test/support/expFixtures (or `train`) run by the bundled CLI and committed as `baseline`. */
function trainedRepository(train = TRAIN): string {
  const workspace = tempGitRepo();
  cairnOk(workspace, 'init', '-q');
  writeFiles(workspace, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 3\n', 'train.py': train, 'dvc.yaml': PIPELINE, 'data.txt': 'd\n' });
  cairnOk(workspace, 'add', '-q', 'data.txt');
  cairnOk(workspace, 'repro', '-q');
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'baseline');
  return workspace;
}

/**
 * A multi-root workspace (a `.code-workspace` file) of two repositories, `first` and `second`,
 * each with the trained baseline and one experiment of its own (`first-exp`, `second-exp`).
 */
export function makeTwoRepositoryWorkspace(): string {
  const folders = ['first', 'second'].map((name) => {
    const repository = trainedRepository();
    cairnOk(repository, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', `${name}-exp`);
    return { name, path: repository };
  });
  const file = path.join(tempDir('cairn-e2e-multiroot-'), 'two.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders }, null, 2));
  return file;
}

/**
 * The model registry run: a three-stage pipeline (prepare → featurize → train) over raw data
 * tracked by a `.dvc` file, its model declared in dvc.yaml `artifacts:` (`classifier`, type
 * model), run and committed; plus one experiment (`exp-better`, on no branch).
 */
export function makeModelsWorkspace(): string {
  const workspace = tempGitRepo();
  cairnOk(workspace, 'init', '-q');
  writeFiles(workspace, {
    'raw/input.txt': 'cat\ndog\n',
    'params.yaml': 'lr: 0.1\nacc: 0.8\n',
    'dvc.yaml': [
      'stages:',
      '  prepare:',
      '    cmd: mkdir -p data && tr a-z A-Z < raw/input.txt > data/prepared.txt',
      '    deps: [raw/input.txt]',
      '    outs: [data/prepared.txt]',
      '  featurize:',
      '    cmd: cat data/prepared.txt data/prepared.txt > data/features.txt',
      '    deps: [data/prepared.txt]',
      '    outs: [data/features.txt]',
      '  train:',
      `    cmd: cat data/features.txt > model.bin && echo "lr \${lr}" >> model.bin && printf '{"acc":%s}' \${acc} > metrics.json`,
      '    deps: [data/features.txt]',
      '    params: [lr, acc]',
      '    outs: [model.bin]',
      '    metrics:',
      '    - metrics.json:',
      '        cache: false',
      'artifacts:',
      '  classifier:',
      '    path: model.bin',
      '    type: model',
      '    desc: Sorts cats from dogs',
      '',
    ].join('\n'),
  });
  cairnOk(workspace, 'add', '-q', 'raw/input.txt');
  cairnOk(workspace, 'repro', '-q');
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'Train the classifier');
  cairnOk(workspace, 'exp', 'run', '-q', '-S', 'lr=0.3', '-S', 'acc=0.95', '-n', 'exp-better');
  return workspace;
}

/**
 * The live plots' workspace: a training script using the real DVCLive (the peer virtualenv's
 * python) that logs `acc` each step and, right after each `next_step()` (which writes the plots
 * files, then DVCLive's step signal), appends `<step> <unix time>` to `stepTimes` (outside the
 * folder); its steps and the sleep between them are params. The baseline (3 steps, no sleep) run
 * by `cairn repro` and committed. `python`: the virtualenv's, for DVCLive run outside a pipeline.
 */
export function makeLivePlotsWorkspace(): { workspace: string; stepTimes: string; python: string } {
  const python = ensureDvclive();
  const stepTimes = path.join(tempDir('cairn-e2e-steps-'), 'steps.txt');
  const workspace = tempGitRepo();
  cairnOk(workspace, 'init', '-q');
  writeFiles(workspace, {
    'params.yaml': 'train:\n  lr: 0.1\n  steps: 3\n  sleep: 0\n',
    'train.py': [
      'import time, yaml',
      'from dvclive import Live',
      "p = yaml.safe_load(open('params.yaml'))['train']",
      "with Live('eval') as live:",
      "    for step in range(p['steps']):",
      "        live.log_metric('acc', p['lr'] * (step + 1) / p['steps'])",
      '        live.next_step()',
      `        with open(${JSON.stringify(stepTimes)}, 'a') as f:`,
      "            f.write(f'{step} {time.time()}\\n')",
      "        time.sleep(p['sleep'])",
      '',
    ].join('\n'),
    'dvc.yaml': `stages:\n  train:\n    cmd: ${python} train.py\n    deps: [train.py]\n    params: [train]\n    outs: [eval]\nmetrics: [eval/metrics.json]\nplots:\n  - eval/plots/metrics:\n      x: step\n`,
  });
  // DVCLive needs a commit to start from.
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'pipeline');
  cairnOk(workspace, 'repro', '-q');
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'baseline');
  fs.rmSync(stepTimes, { force: true });
  return { workspace, stepTimes, python };
}
