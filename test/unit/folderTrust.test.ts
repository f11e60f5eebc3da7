import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Repo } from '../../src/core/repo/repo';
import { CairnError } from '../../src/core/errors';
import { runGit } from '../../src/core/scm/git';
import { setFolderTrusted } from '../../src/core/folderTrust';
import { GitObjectReader } from '../../src/core/metrics/gitObjectReader';
import { runCommandLine } from '../../src/core/pipeline/runCommand';
import { collectDvcFiles, listWorkspaceFiles } from '../../src/core/outputs/collect';
import { outputStatuses } from '../../src/core/outputs/status';
import { pipelineOutputStatuses } from '../../src/core/pipeline/pipelineOutputs';
import { pipelinesSnapshot } from '../../src/extension/pipelinesSnapshot';
import { runsSnapshot } from '../../src/extension/runsSnapshot';
import { plotsSnapshot } from '../../src/extension/plotsSnapshot';
import { CoreClient } from '../../src/extension/coreClient';
import { cairnOk, cleanupTempDirs, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/** The extension's folder: CoreClient starts dist/coreWorker.js from there. */
const EXTENSION_PATH = path.resolve(__dirname, '..', '..', '..');

/**
 * A repository someone sent: its `.git/config` names programs git runs by itself (an fsmonitor
 * hook, a clean/smudge filter and a textconv for every file, an external diff). Each writes a
 * line to a marker file outside the repository when git runs it.
 */
function hostileRepository(): { dir: string; marker: string } {
  const dir = tempGitRepo();
  writeFiles(dir, {
    'data/a.csv': 'x,y\n1,2\n',
    'data/sub/b.csv': 'x,y\n3,4\n',
    'params.yaml': 'lr: 0.1\n',
    'dvc.yaml': 'stages:\n  train:\n    cmd: \'echo 0.9 > acc.txt && echo "{\\\\"acc\\\\": 0.9}" > metrics.json\'\n    params:\n    - lr\n    outs:\n    - acc.txt\n    metrics:\n    - metrics.json:\n        cache: false\n',
  });
  cairnOk(dir, 'init');
  cairnOk(dir, 'add', 'data');
  cairnOk(dir, 'repro');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'data and a stage');

  const marker = path.join(tempDir('cairn-marker-'), 'ran');
  const hook = path.join(path.dirname(marker), 'hook.sh');
  fs.writeFileSync(hook, `#!/bin/sh\necho "$*" >> '${marker}'\ncat\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, '.gitattributes'), '* filter=evil diff=evil\n');
  for (const [key, value] of [
    ['core.fsmonitor', hook],
    ['filter.evil.clean', hook],
    ['filter.evil.smudge', hook],
    ['diff.evil.textconv', hook],
    ['diff.external', hook],
  ]) git(dir, 'config', key, value);
  fs.rmSync(marker, { force: true }); // the config commands above may have run it
  return { dir, marker };
}

/** Everything the extension's views read of a repository, as its worker reads it. */
async function readLikeTheViews(dir: string): Promise<{ dvcFiles: string[]; outputs: string[]; stages: string[]; runs: string[] }> {
  const repo = Repo.open(dir, { hashJobs: 1 });
  try {
    const dvcFiles = (await collectDvcFiles(repo)).map((f) => f.relFile);
    const outputs = (await outputStatuses(repo, [], { cwd: dir })).map((s) => `${s.output.rel} ${s.status ?? 'in sync'}`);
    outputs.push(...(await pipelineOutputStatuses(repo)).map((o) => `${o.out.repoPath} ${o.status ?? 'in sync'}`));
    const stages = (await pipelinesSnapshot(repo)).stages.map((s) => `${s.addr} ${s.state}`);
    const runs = (await runsSnapshot(repo, { historyLimit: 10, branches: ['main'] })).runs.map((r) => r.kind);
    await plotsSnapshot(repo, ['workspace']);
    return { dvcFiles, outputs, stages, runs };
  } finally {
    await repo.close();
  }
}

describe('folders not trusted: no git, no stage command', () => {
  after(() => setFolderTrusted(true));
  afterEach(() => setFolderTrusted(true));
  after(cleanupTempDirs);

  it('reads .dvc files, statuses, stages and the workspace run from disk without running any program the repository names', async function () {
    this.timeout(60_000);
    const { dir, marker } = hostileRepository();
    fs.appendFileSync(path.join(dir, 'data', 'a.csv'), '5,6\n'); // a change, so git would have content to filter
    setFolderTrusted(false);
    const seen = await readLikeTheViews(dir);
    assert.equal(fs.existsSync(marker), false, `git ran a program of the repository: ${fs.existsSync(marker) && fs.readFileSync(marker, 'utf8')}`);
    assert.deepEqual(seen.dvcFiles, ['data.dvc']);
    assert.deepEqual(seen.outputs, ['data modified', 'acc.txt in sync']);
    assert.deepEqual(seen.stages, ['train up to date']);
    assert.deepEqual(seen.runs, ['workspace'], 'commits and experiments need git');
  });

  it('runs git once the folder is trusted, with core.fsmonitor off; git itself starts the hook (so the test above can fail)', async function () {
    this.timeout(60_000);
    const { dir, marker } = hostileRepository();
    const seen = await readLikeTheViews(dir);
    assert.deepEqual(seen.dvcFiles, ['data.dvc']);
    assert.deepEqual(seen.runs, ['commit', 'workspace'], 'commits read: git ran');
    // Cairn's git runs with core.fsmonitor off (src/core/scm/git.ts), and its reads run no filter or diff driver.
    assert.equal(fs.existsSync(marker), false, `Cairn's git started a program of the repository: ${fs.existsSync(marker) && fs.readFileSync(marker, 'utf8')}`);
    // The control: git itself, run as Cairn runs ls-files but without that setting, starts the hook this repository names.
    execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: dir });
    assert.ok(fs.existsSync(marker), 'the fsmonitor hook runs when git runs ls-files');
  });

  it('refuses to spawn git or a stage command, with one line saying why and what to do', async () => {
    const { dir, marker } = hostileRepository();
    setFolderTrusted(false);
    await assert.rejects(runGit(dir, ['status']), (err: unknown) => {
      assert.ok(err instanceof CairnError);
      assert.match(err.oneLine(), /^git status is not run in a folder you have not trusted\. Trust the folder first \(VS Code: Manage Workspace Trust\)/);
      return true;
    });
    const reader = new GitObjectReader(dir);
    await assert.rejects(reader.read('HEAD:dvc.yaml'), (err: unknown) => err instanceof CairnError && /^git cat-file is not run in a folder you have not trusted/.test(err.message));
    reader.close();
    // Nor a stage's command (only `cairn repro` runs them; the extension's threads never should).
    const ran = path.join(path.dirname(marker), 'stage-ran');
    await assert.rejects(runCommandLine(`touch '${ran}'`, { cwd: dir, env: process.env, stageName: 'train' }), (err: unknown) => {
      assert.ok(err instanceof CairnError);
      assert.match(err.oneLine(), /^the command of stage 'train' is not run in a folder you have not trusted/);
      return true;
    });
    assert.equal(fs.existsSync(ran), false);
    const repo = Repo.open(dir);
    assert.equal(repo.scm, undefined);
    await repo.close();
    assert.equal(fs.existsSync(marker), false);
  });

  it('walks the disk for .dvc and dvc.yaml files without entering tracked folders, .git or .dvcignore\'d ones', async () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init');
    writeFiles(dir, {
      'data/x.txt': 'x',
      'sub/dvc.yaml': 'stages: {}\n',
      'sub/model.bin': 'm',
      'ignored/dvc.yaml': 'stages: {}\n',
      '.dvcignore': 'ignored/\n',
    });
    cairnOk(dir, 'add', 'data', 'sub/model.bin');
    // Inside the tracked folder: a .dvc file git would not list either (the folder is git-ignored).
    writeFiles(dir, { 'data/inner.dvc': 'outs:\n- path: y\n', '.git/stray.dvc': 'outs: []\n' });
    setFolderTrusted(false);
    const repo = Repo.open(dir);
    try {
      assert.deepEqual((await collectDvcFiles(repo)).map((f) => f.relFile), ['data.dvc', 'sub/model.bin.dvc']);
      assert.deepEqual((await pipelinesSnapshot(repo)).stages, []);
      assert.deepEqual(await listWorkspaceFiles(repo, ['dvc.yaml']), ['sub/dvc.yaml']);
    } finally {
      await repo.close();
    }
  });

  it("starts the extension's core worker without git in an untrusted folder, refuses writes there, and a new one with git once trusted", async function () {
    this.timeout(60_000);
    const { dir, marker } = hostileRepository();
    const core = new CoreClient(EXTENSION_PATH);
    try {
      setFolderTrusted(false); // as the extension host does in Restricted Mode
      const untrusted = await core.call('runs', dir, { historyLimit: 10, branches: [] });
      assert.deepEqual(untrusted.runs.map((r) => r.kind), ['workspace']);
      assert.deepEqual((await core.call('snapshot', dir, {})).items.map((i) => i.path).sort(), ['acc.txt', 'data']);
      await assert.rejects(core.call('add', dir, { paths: [path.join(dir, 'params.yaml')], stageInGit: false }), (err: unknown) => {
        assert.ok(err instanceof CairnError);
        assert.match(err.oneLine(), /^add changes files or reaches a remote, which Cairn does not do in a folder you have not trusted\. Trust the folder first/);
        return true;
      });
      assert.equal(fs.existsSync(path.join(dir, 'params.yaml.dvc')), false);
      assert.equal(fs.existsSync(marker), false, 'the worker ran git');

      setFolderTrusted(true); // trust granted
      const trusted = await core.call('runs', dir, { historyLimit: 10, branches: [] });
      // Commits read: the new worker runs git.
      assert.deepEqual(trusted.runs.map((r) => r.kind), ['commit', 'workspace']);
      await core.call('snapshot', dir, {});
    } finally {
      core.dispose();
    }
  });
});
