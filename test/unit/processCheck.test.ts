import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { processAlive, processArguments, processArgumentsByPs, runsIn } from '../../src/core/experiments/processCheck';
import { isCairnWorkspaceRun, isDvcWorkspaceRun } from '../../src/core/experiments/stopWorkspaceRun';
import { tempDir } from '../support/fixtures';

describe('which process a pid names (core/experiments/processCheck)', () => {
  it('reads a live process\'s arguments and folder; ps (used where /proc is missing) gives the same arguments; a gone pid gives none', async () => {
    const folder = path.join(fs.realpathSync(tempDir()), 'repo');
    fs.mkdirSync(folder);
    fs.mkdirSync(`${folder}-other`);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)', 'queue', 'worker'], { cwd: folder, stdio: 'ignore' });
    const ended = new Promise((resolve) => child.on('exit', resolve));
    try {
      const pid = child.pid!;
      assert.ok(processAlive(pid));
      assert.deepEqual(processArguments(pid), [process.execPath, '-e', 'setTimeout(() => {}, 30_000)', 'queue', 'worker']);
      // ps joins the arguments with spaces: the script's own spaces split it, the rest reads the same.
      assert.deepEqual(processArgumentsByPs(pid), [process.execPath, '-e', 'setTimeout(()', '=>', '{},', '30_000)', 'queue', 'worker']);
      assert.equal(runsIn(pid, folder), true);
      assert.equal(runsIn(pid, `${folder}-other`), false, 'a folder whose name starts with the same letters is another folder');
      assert.equal(runsIn(process.pid, folder), false);
    } finally {
      child.kill();
    }
    await ended;
    assert.equal(processAlive(child.pid!), false);
    assert.equal(processArguments(child.pid!), undefined);
    assert.equal(processArgumentsByPs(child.pid!), undefined);
    for (const pid of [0, -1, 1.5]) assert.equal(processAlive(pid), false, `${pid} is no process`);
  });
});

describe('which command line is dvc running an experiment in the workspace (core/experiments/stopWorkspaceRun)', () => {
  it('is `exp run` of the dvc program (a script, a binary, python -m dvc), never --temp, --queue or --run-all, nor another program', () => {
    for (const args of [
      ['/venv/bin/python3', '/venv/bin/dvc', 'exp', 'run', '-S', 'lr=0.5'],
      ['/usr/lib/dvc/dvc', 'exp', 'run'],
      ['python3', '-m', 'dvc', 'exp', 'run', '-n', 'x'],
      ['/venv/bin/python3', '/venv/bin/dvc', '-q', 'exp', 'run'],
    ]) assert.equal(isDvcWorkspaceRun(args), true, args.join(' '));
    for (const args of [
      ['/venv/bin/python3', '/venv/bin/dvc', 'exp', 'run', '--temp'],
      ['/venv/bin/python3', '/venv/bin/dvc', 'exp', 'run', '--queue'],
      ['/venv/bin/python3', '/venv/bin/dvc', 'exp', 'run', '--run-all', '-j', '2'],
      ['node', '/x/dist/cli.js', 'exp', 'run'],
      ['python3', '-c', 'import time', 'exp', 'run'],
      ['/venv/bin/python3', '/venv/bin/dvc', 'exp', 'show'],
      ['/venv/bin/python3', '/venv/bin/dvc-x', 'exp', 'run'],
      ['sleep', '60'],
      [],
    ]) assert.equal(isDvcWorkspaceRun(args), false, args.join(' '));
  });

  it("is Cairn's `exp run` (the linked bin, or dist/cli.js run by node or VS Code's Electron), never --temp, --queue or --run-all, nor another script", () => {
    for (const args of [
      ['node', '/usr/local/bin/cairn', 'exp', 'run', '-S', 'lr=0.5'],
      ['/usr/bin/node', '/home/u/cairn/dist/cli.js', 'exp', 'run'],
      ['/usr/share/code/code', '/home/u/.vscode/extensions/cairn.cairn-0.1.0/dist/cli.js', 'exp', 'run', '-n', 'x'],
    ]) assert.equal(isCairnWorkspaceRun(args), true, args.join(' '));
    for (const args of [
      ['node', '/usr/local/bin/cairn', 'exp', 'run', '--temp'],
      ['node', '/x/dist/cli.js', 'exp', 'run', '--queue'],
      ['node', '/x/dist/cli.js', 'queue', 'exec'],
      ['node', '/x/other-cli.js', 'exp', 'run'],
      ['node', '/x/src/cli.js', 'exp', 'run'],
      ['/venv/bin/python3', '/venv/bin/dvc', 'exp', 'run'],
      [],
    ]) assert.equal(isCairnWorkspaceRun(args), false, args.join(' '));
  });
});
