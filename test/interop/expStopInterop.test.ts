import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { ensureDvc } from '../support/peers';
import { CLI } from '../support/fixtures';
import { dvcOk, folderSnapshot, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { Repo } from '../../src/core/repo/repo';
import { workspaceRun } from '../../src/core/experiments/queue';
import { stopWorkspaceRun } from '../../src/core/experiments/stopWorkspaceRun';
import { processAndGroupDescendants, processArguments } from '../../src/core/experiments/processCheck';

/**
 * Stop for an experiment dvc runs in the workspace (`dvc exp run` in a terminal): Cairn
 * interrupts it as Ctrl-C there would, and dvc's state afterwards is the state a real Ctrl-C
 * (SIGINT to the terminal's foreground process group) leaves.
 */
describe('interop: Stop of an experiment dvc runs in the workspace', function () {
  this.timeout(180_000);

  /** A baseline whose stage sleeps a minute before writing its metric. */
  function slowBaseline(): string {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'm.src': '{"acc": 1}\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: cp m.src m.json\n    deps: [m.src]\n    params: [lr]\n    metrics: [{m.json: {cache: false}}]\n' });
    dvcOk(root, 'repro', '-q');
    fs.writeFileSync(path.join(root, 'dvc.yaml'), fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('cmd: cp', 'cmd: sleep 60 && cp'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'baseline');
    return root;
  }

  /**
   * `dvc exp run` started as a terminal starts a command (its own process group, dvc leading it),
   * once its stage's command runs; `interrupt` stops it; then what dvc left.
   */
  async function interruptedRun(interrupt: (root: string, pid: number) => Promise<void>, program: 'dvc' | 'cairn' = 'dvc') {
    const root = slowBaseline();
    const command = program === 'dvc' ? [ensureDvc()] : [process.execPath, CLI];
    const run = spawn(command[0], [...command.slice(1), 'exp', 'run', '-S', 'lr=0.5', '-n', 'slowpoke'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
    let output = '';
    run.stdout!.on('data', (d) => (output += d));
    run.stderr!.on('data', (d) => (output += d));
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) => run.on('exit', (code, signal) => resolve({ code, signal })));
    const stageRuns = () => processAndGroupDescendants(run.pid!).some((p) => processArguments(p)?.[0] === 'sleep');
    for (let i = 0; i < 600 && !stageRuns(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(stageRuns(), `the stage never started: ${output}`);
    await interrupt(root, run.pid!);
    const exit = await ended;
    const stash = (p: string) => p.replace(/[0-9a-f]{40}/g, '<rev>');
    const tmp = folderSnapshot(path.join(root, '.dvc', 'tmp'));
    const runInfo = Object.keys(tmp).filter((p) => p.endsWith('.run')).map((p) => stash(fs.readFileSync(path.join(root, '.dvc', 'tmp', p), 'utf8').split(root).join('<root>')));
    return {
      root,
      state: {
        exit,
        output: output.trim().split('\n').slice(-1),
        refs: git(root, 'for-each-ref', '--format=%(refname)'),
        // The files by content: git's own view (`git diff`) may miss params.yaml edited in the second dvc wrote the index.
        files: folderSnapshot(root, (rel) => rel === '.git' || rel.startsWith('.git/') || rel.startsWith('.dvc/')),
        tmp: Object.keys(tmp).map(stash).sort(),
        runInfo,
      },
    };
  }

  it('interrupts the run as Ctrl-C in its terminal would: dvc ends failed and leaves what a real Ctrl-C leaves', async () => {
    const ctrlC = await interruptedRun(async (_, pid) => {
      process.kill(-pid, 'SIGINT'); // what the terminal does on Ctrl-C
    });
    let result: Awaited<ReturnType<typeof stopWorkspaceRun>> | undefined;
    const stopped = await interruptedRun(async (root) => {
      result = await Repo.using(root, {}, async (repo) => {
        assert.equal((await workspaceRun(repo))?.name, 'slowpoke', 'Cairn sees the run going on');
        return stopWorkspaceRun(repo);
      });
    });
    assert.equal(result?.stopped, true, JSON.stringify(result));
    assert.equal(result?.name, 'slowpoke');
    assert.match(stopped.state.output[0], /^ERROR: failed to reproduce 'train': failed to run: sleep 60 && cp m\.src m\.json, exited with -2$/);
    assert.deepEqual(stopped.state, ctrlC.state);
    // Nothing runs any more, and Cairn no longer lists it running.
    assert.equal(await Repo.using(stopped.root, {}, (repo) => workspaceRun(repo)), undefined);
  });

  it("interrupts Cairn's own workspace run (`cairn exp run` in a terminal) the same way: it ends as after Ctrl-C", async () => {
    const ctrlC = await interruptedRun(async (_, pid) => {
      process.kill(-pid, 'SIGINT');
    }, 'cairn');
    let result: Awaited<ReturnType<typeof stopWorkspaceRun>> | undefined;
    const stopped = await interruptedRun(async (root) => {
      result = await Repo.using(root, {}, async (repo) => {
        assert.equal((await workspaceRun(repo))?.name, 'slowpoke', 'the run going on, as its record says');
        return stopWorkspaceRun(repo);
      });
    }, 'cairn');
    assert.equal(result?.stopped, true, JSON.stringify(result));
    assert.deepEqual(stopped.state, ctrlC.state);
    assert.notEqual(stopped.state.exit.code, 0, 'the run failed');
    assert.equal(stopped.state.refs.includes('slowpoke'), false, 'no experiment recorded');
    assert.equal(await Repo.using(stopped.root, {}, (repo) => workspaceRun(repo)), undefined);
  });
});
