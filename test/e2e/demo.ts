import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { provision, killGroup } from './provision';
import { cairnOk, git } from '../support/fixtures';
import { REPO_ROOT } from './workspace';

/**
 * `npm start`: makes a demo ML project (a git repository with a dataset folder and a model
 * file tracked by Cairn, plus one uncommitted change), starts a real VS Code server with the
 * extension loaded from this checkout, and prints the URL to open. Ctrl-C stops it.
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
    process.execPath,
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

/** A small image-classification project: data/ (train/val images and labels) and models/classifier.pkl. */
function makeDemoProject(dir: string): void {
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
  fs.mkdirSync(path.join(dir, 'models'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'models', 'classifier.pkl'), crypto.randomBytes(256 * 1024));
  fs.writeFileSync(path.join(dir, 'train.py'), '# trains models/classifier.pkl from data/\n');
  cairnOk(dir, 'add', '-q', 'data', 'models/classifier.pkl');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'Track the dataset and the model with Cairn');
  // One uncommitted change, so the views have something to show.
  fs.appendFileSync(path.join(dir, 'data', 'labels.csv'), 'data/images/train/img-999.png,cat\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
