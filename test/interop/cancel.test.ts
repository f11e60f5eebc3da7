import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, cairnOk, corruptCacheObjects, dvcOk, git, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { ensureDvc } from '../support/peers';

describe('Ctrl-C (SIGINT) on the CLI', () => {
  it('stops an add cleanly: exit 130, no .dvc file, intact cache, lock released, and a rerun works', async function () {
    const dir = tempGitRepo();
    cairnOk(dir, 'init');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    // Enough bytes that the add is still running when the signal arrives.
    for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(data, `part-${i}.bin`), Buffer.alloc(8 << 20, i));
    const before = treeHashes(data);

    const child = spawn(process.execPath, [CLI, 'add', 'data'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until it has started writing into the cache, then interrupt.
    const staging = path.join(dir, '.dvc/cache/.cairn-staging');
    const objects = path.join(dir, '.dvc/cache/files/md5');
    while (!fs.existsSync(staging) && !fs.existsSync(objects)) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));

    assert.equal(code, 130, stderr);
    assert.match(stderr, /Operation cancelled/);
    assert.equal(fs.existsSync(path.join(dir, 'data.dvc')), false);
    assert.equal(fs.existsSync(path.join(dir, '.dvc/tmp/cairn/lock')), false, 'lock released');
    assert.deepEqual(corruptCacheObjects(path.join(dir, '.dvc/cache')), []);
    assert.deepEqual(treeHashes(data), before);

    cairnOk(dir, 'add', 'data');
    assert.equal(cairnOk(dir, 'status').trim(), 'Data and pipelines are up to date.');
  });
});

describe('Ctrl-C (SIGINT) on a workspace exp run, as the extension\'s Cancel sends it (interop with dvc)', function () {
  this.timeout(120_000);

  /** `exp run -S train.lr=0.5 -n cut` in its own process group, interrupted once its stage runs; its exit code and, for Cairn, what it told its IPC parent. */
  async function interruptedRun(root: string, tool: 'cairn' | 'dvc'): Promise<{ code: number | null; events: unknown[]; stderr: string }> {
    const args = ['exp', 'run', '-S', 'train.lr=0.5', '-n', 'cut'];
    const child = tool === 'cairn'
      ? spawn(process.execPath, [CLI, ...args], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      : spawn(ensureDvc(), args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
    const events: unknown[] = [];
    child.on('message', (m) => events.push(m));
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started = path.join(root, 'started');
    while (!fs.existsSync(started)) await new Promise((r) => setTimeout(r, 20));
    // The whole group, as a terminal's Ctrl-C: the tool and the stage's command.
    process.kill(-child.pid!, 'SIGINT');
    return { code: await exited, events, stderr };
  }

  it('ends failed with no experiment recorded, the params left as the run set them and HEAD on its branch, as dvc; Cairn leaves no run record', async () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'params.yaml': 'train:\n  lr: 0.1\n',
      // The baseline's lr runs at once; any other trains until interrupted.
      'train.py': "import time, yaml\nlr = yaml.safe_load(open('params.yaml'))['train']['lr']\nopen('out.txt', 'w').write(str(lr))\nif lr != 0.1:\n    open('started', 'w').close()\n    time.sleep(60)\n",
      'dvc.yaml': 'stages:\n  train:\n    cmd: python3 train.py\n    deps: [train.py]\n    params: [train.lr]\n    outs: [out.txt]\n',
    });
    dvcOk(root, 'repro', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'baseline');
    const copy = tempDir('cairn-interrupted-');
    fs.cpSync(root, copy, { recursive: true });

    const ours = await interruptedRun(root, 'cairn');
    const theirs = await interruptedRun(copy, 'dvc');
    assert.equal(ours.code, 130, ours.stderr);
    assert.notEqual(theirs.code, 0, theirs.stderr);
    for (const repo of [root, copy]) {
      assert.equal(fs.readFileSync(path.join(repo, 'params.yaml'), 'utf8'), 'train:\n  lr: 0.5\n');
      assert.doesNotMatch(git(repo, 'for-each-ref', '--format=%(refname)', 'refs/exps'), /\/cut$/m);
      assert.equal(git(repo, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main');
    }
    // dvc leaves its record of the run (status failed) and its exec refs behind; Cairn removes its record.
    assert.equal(fs.existsSync(path.join(root, '.dvc', 'tmp', 'exps', 'run', 'workspace')), false);
    // What the extension's progress shows, as data.
    assert.deepEqual(ours.events, [
      { type: 'phase', phase: 'preparing', name: 'cut' },
      { type: 'phase', phase: 'running', name: 'cut' },
      { type: 'stage', stage: 'train' },
    ]);
  });
});
