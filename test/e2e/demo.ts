import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { provision, killGroup } from './provision';
import { cairnOk, git } from '../support/fixtures';
import { REPO_ROOT } from './workspace';

/**
 * `npm start`: makes a demo ML project (`makeDemoProject`: a tracked dataset, a pipeline with
 * params, metrics with history, plots, a model and a remote), starts a real VS Code server with
 * the extension loaded from this checkout, and prints the URL to open. Ctrl-C stops it.
 * CAIRN_DEMO_DIR and CAIRN_PORT (default 8765) change where and on which port.
 */
async function main(): Promise<void> {
  const server = await provision();
  const demo = process.env.CAIRN_DEMO_DIR ?? path.join(os.tmpdir(), 'cairn-demo');
  const port = Number(process.env.CAIRN_PORT ?? 8765);
  makeDemoProject(demo);

  const userData = path.join(os.tmpdir(), `cairn-demo-vscode-${process.pid}`);
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(path.join(userData, 'srv'), { recursive: true });
  fs.mkdirSync(path.join(userData, 'ext'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none' }));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const proc = spawn(
    server.node,
    [server.serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms',
      '--user-data-dir', userData, '--server-data-dir', path.join(userData, 'srv'), '--extensions-dir', path.join(userData, 'ext'), '--disable-telemetry'],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = () => {
    killGroup(proc.pid);
    fs.rmSync(userData, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let started = false;
  const onOutput = (b: Buffer) => {
    if (started || !/Extension host agent listening on/.test(b.toString())) return;
    started = true;
    const payload = [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${REPO_ROOT}`], ['skipWelcome', 'true']];
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(demo)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    process.stdout.write(`\nDemo project: ${demo}\nVS Code ${server.vscodeVersion} with Cairn loaded from ${REPO_ROOT}\n\nOpen: ${url}\n\nPress Ctrl-C to stop.\n`);
  };
  proc.stdout!.on('data', onOutput);
  proc.stderr!.on('data', onOutput);
  proc.on('exit', (code) => {
    if (!started) process.stderr.write(`The VS Code server exited (${code}) before it started; is port ${port} free? Set CAIRN_PORT to use another.\n`);
    process.exit(code ?? 1);
  });
}

/** The demo's scripts: Node, so the demo runs wherever `npm start` does (no Python needed). */
const PREPARE_JS = `// Splits data/labels.csv into prepared/train.csv and prepared/val.csv.
const fs = require('fs');
const rows = fs.readFileSync('data/labels.csv', 'utf8').trim().split('\\n').slice(1);
fs.mkdirSync('prepared', { recursive: true });
fs.writeFileSync('prepared/train.csv', rows.filter((r) => r.includes('/train/')).join('\\n') + '\\n');
fs.writeFileSync('prepared/val.csv', rows.filter((r) => r.includes('/val/')).join('\\n') + '\\n');
`;

const TRAIN_JS = `// "Trains" models/classifier.pkl: a loss curve shaped by params.yaml, logged as DVCLive does.
const fs = require('fs');
const params = Object.fromEntries(fs.readFileSync('params.yaml', 'utf8').split('\\n').filter((l) => /^  \\w+: /.test(l)).map((l) => l.trim().split(': ')));
const lr = Number(params.lr), epochs = Number(params.epochs);
fs.mkdirSync('models', { recursive: true });
fs.mkdirSync('dvclive/plots/metrics/train', { recursive: true });
const lines = ['step\\tloss'];
let loss = 1;
for (let step = 0; step < epochs; step++) {
  loss = loss * (1 - Math.min(0.9, lr * 3)) + 0.05;
  lines.push(step + '\\t' + loss.toFixed(4));
}
fs.writeFileSync('dvclive/plots/metrics/train/loss.tsv', lines.join('\\n') + '\\n');
fs.writeFileSync('models/classifier.pkl', Buffer.alloc(64 * 1024 + epochs * 1024, Math.round(lr * 1000) % 256));
`;

const EVALUATE_JS = `// Evaluates the model: metrics in eval/metrics.json, an ROC curve and a confusion matrix.
const fs = require('fs');
const size = fs.statSync('models/classifier.pkl').size;
const seed = fs.readFileSync('models/classifier.pkl')[0];
const acc = Math.min(0.99, 0.6 + seed / 1000 + size / 1e7);
fs.mkdirSync('eval/plots', { recursive: true });
fs.writeFileSync('eval/metrics.json', JSON.stringify({ test: { accuracy: +acc.toFixed(4), loss: +(1 - acc).toFixed(4) }, step: 1 }, null, 2) + '\\n');
const roc = [];
for (let i = 0; i <= 10; i++) roc.push({ fpr: i / 10, tpr: +Math.min(1, Math.pow(i / 10, 1 - acc)).toFixed(3) });
fs.writeFileSync('eval/plots/roc.json', JSON.stringify({ roc }, null, 2) + '\\n');
const labels = ['cat', 'dog'];
const rows = [];
for (let i = 0; i < 50; i++) rows.push({ actual: labels[i % 2], predicted: labels[(i % 2) ^ (i / 50 > acc ? 1 : 0)] });
fs.writeFileSync('eval/plots/confusion.json', JSON.stringify(rows, null, 2) + '\\n');
`;

const PIPELINE = `stages:
  prepare:
    cmd: node src/prepare.js
    deps:
      - data/labels.csv
      - src/prepare.js
    outs:
      - prepared
  train:
    cmd: node src/train.js
    deps:
      - prepared
      - src/train.js
    params:
      - train.lr
      - train.epochs
    outs:
      - models/classifier.pkl
    plots:
      - dvclive/plots/metrics/train/loss.tsv:
          x: step
          y: loss
          cache: false
  evaluate:
    cmd: node src/evaluate.js
    deps:
      - models/classifier.pkl
      - prepared/val.csv
      - src/evaluate.js
    metrics:
      - eval/metrics.json:
          cache: false
    plots:
      - eval/plots/roc.json:
          x: fpr
          y: tpr
          cache: false
      - eval/plots/confusion.json:
          template: confusion
          x: actual
          y: predicted
          cache: false
`;

/**
 * A small image-classification project, so every view has something on first open: data/
 * (train/val images and labels) tracked by a .dvc file; a pipeline (prepare -> train ->
 * evaluate) whose params, metrics and plots changed over three commits (the Runs view and the
 * metrics panel have history); its model under Models; everything pushed to a folder remote
 * beside the project; and one uncommitted change.
 */
export function makeDemoProject(dir: string): void {
  if (fs.existsSync(path.join(dir, '.dvc'))) return; // made by an earlier run: keep the user's changes
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'demo@cairn.dev');
  git(dir, 'config', 'user.name', 'Cairn Demo');
  cairnOk(dir, 'init', '-q');
  const rows = ['file,label'];
  for (const split of ['train', 'val']) {
    for (let i = 0; i < (split === 'train' ? 40 : 10); i++) {
      const name = `data/images/${split}/img-${String(i).padStart(3, '0')}.png`;
      fs.mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), crypto.randomBytes(2048 + i * 64));
      rows.push(`${name},${i % 3 === 0 ? 'cat' : 'dog'}`);
    }
  }
  fs.writeFileSync(path.join(dir, 'data', 'labels.csv'), rows.join('\n') + '\n');
  cairnOk(dir, 'add', '-q', 'data');
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'prepare.js'), PREPARE_JS);
  fs.writeFileSync(path.join(dir, 'src', 'train.js'), TRAIN_JS);
  fs.writeFileSync(path.join(dir, 'src', 'evaluate.js'), EVALUATE_JS);
  fs.writeFileSync(path.join(dir, 'dvc.yaml'), PIPELINE);
  const remote = `${dir}-remote`;
  fs.mkdirSync(remote, { recursive: true });
  cairnOk(dir, 'remote', 'add', '-d', 'storage', remote);
  // Three runs, each committed: the metrics and plots have a history.
  const runs = [{ lr: 0.05, epochs: 10, message: 'Train a first classifier' }, { lr: 0.1, epochs: 15, message: 'Raise the learning rate' }, { lr: 0.2, epochs: 20, message: 'Train longer' }];
  for (const run of runs) {
    fs.writeFileSync(path.join(dir, 'params.yaml'), `train:\n  lr: ${run.lr}\n  epochs: ${run.epochs}\n`);
    cairnOk(dir, 'repro', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', run.message);
  }
  cairnOk(dir, 'push', '-q');
  // One uncommitted change, so the views have something to show.
  fs.appendFileSync(path.join(dir, 'data', 'labels.csv'), 'data/images/train/img-999.png,cat\n');
  fs.writeFileSync(path.join(dir, 'params.yaml'), 'train:\n  lr: 0.3\n  epochs: 20\n');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
