import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvc, dvcOk, git, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';

/**
 * `add` where the path is already someone's: git's, a stage's, inside or around another `.dvc`
 * file's output; lint and remove around overlapping outputs. Against dvc (3.67.1).
 */
describe('add, lint and remove around outputs already tracked, as dvc', () => {
  /** A repository with a committed file and folder, a pipeline that ran, and a tracked folder. */
  function layout(): string {
    const repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    writeFiles(repo, { 'extra.csv': 'a\n', 'code/x.py': 'print(1)\n', 'data/train.csv': '1\n', 'data/test.csv': '2\n' });
    git(repo, 'add', 'extra.csv', 'code');
    dvcOk(repo, 'add', '-q', 'data');
    dvcOk(repo, 'stage', 'add', '-q', '-n', 'train', '-o', 'model.bin', '-o', 'outdir', 'echo m > model.bin && mkdir -p outdir && echo y > outdir/y');
    dvcOk(repo, 'repro', '-q');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'layout');
    return repo;
  }

  /** Files git would see change (the workspace outside .git and the cache). */
  const snapshot = (repo: string) => {
    const all = treeHashes(repo);
    return Object.fromEntries(Object.entries(all).filter(([p]) => !p.startsWith('.git/') && !p.startsWith('.dvc/')));
  };

  it('refuses a path git tracks, a stage output (or a path inside one), and a folder holding another .dvc output; nothing is written', () => {
    const repo = layout();
    writeFiles(repo, { 'grp/a': '1\n', 'extra-new.txt': 'new\n' });
    cairnOk(repo, 'add', '-q', 'grp/a');
    const cases: [string, RegExp, RegExp][] = [
      ['extra.csv', /output 'extra\.csv' is already tracked by SCM/, /^ERROR: output 'extra\.csv' is already tracked by git\. Stop tracking it in git first \(`git rm -r --cached extra\.csv` and commit\), then add it\.\n$/],
      ['code', /output 'code' is already tracked by SCM/, /already tracked by git/],
      ['code/x.py', /output 'code\/x\.py' is already tracked by SCM/, /already tracked by git/],
      ['model.bin', /overlaps with an output of stage: 'train'/, /^ERROR: dvc\.yaml:\d+: cannot add 'model\.bin': it is an output of stage 'train'\./],
      ['outdir/y', /overlaps with an output of stage: 'train'/, /cannot add 'outdir\/y': it is inside output 'outdir' of stage 'train'/],
      ['grp', /overlapping with other DVC tracked output: 'grp\/a'/, /cannot add 'grp': 'grp\/a' inside it is tracked by 'grp\/a\.dvc'\. To track it as part of 'grp', run `cairn remove grp\/a\.dvc` first\./],
    ];
    for (const [target, theirsSay, oursSay] of cases) {
      const before = snapshot(repo);
      // With a path that could be added: all or nothing, as dvc.
      const ours = cairn(repo, 'add', 'extra-new.txt', target);
      assert.equal(ours.status, 1, `cairn add ${target}: ${ours.stderr}`);
      assert.match(ours.stderr, oursSay);
      assert.deepEqual(snapshot(repo), before, `cairn add ${target} wrote nothing`);
      const theirs = dvc(repo, 'add', target);
      assert.equal(theirs.status, 1, `dvc add ${target}`);
      assert.match(theirs.stderr, theirsSay);
      assert.deepEqual(snapshot(repo), before, `dvc add ${target} wrote nothing`);
    }
  });

  it('adds a file, a new file and a folder inside a tracked folder into its .dvc file, byte for byte as dvc 3 (other changes there left out)', () => {
    const ours = layout();
    const theirs = layout();
    for (const repo of [ours, theirs]) writeFiles(repo, { 'data/train.csv': '3\n', 'data/test.csv': '9\n', 'data/new.csv': 'new\n', 'data/sub/s1': 's\n' });
    const steps = [['data/train.csv'], ['data/new.csv', 'data/sub']];
    for (const step of steps) {
      cairnOk(ours, 'add', '-q', ...step);
      dvcOk(theirs, 'add', '-q', ...step);
      const dvcFile = (repo: string) => fs.readFileSync(path.join(repo, 'data.dvc'), 'utf8');
      assert.equal(dvcFile(ours), dvcFile(theirs), `after add ${step.join(' ')}`);
      assert.doesNotMatch(dvcFile(ours), /size:/, 'dvc 3 drops the size it no longer knows');
    }
    assert.ok(!fs.existsSync(path.join(ours, 'data', 'train.csv.dvc')), 'no .dvc file of its own');
    assert.deepEqual(snapshot(ours), snapshot(theirs));
    // test.csv's change was not taken: both tools say the folder differs from its record.
    assert.deepEqual(JSON.parse(dvcOk(ours, 'status', '--json')), JSON.parse(dvcOk(theirs, 'status', '--json')));
    assert.deepEqual(JSON.parse(cairnOk(ours, 'status', '--json')), { 'data.dvc': [{ 'changed outs': { data: 'modified' } }] });
    // The new manifest is in the cache: dvc checks the folder out from it.
    fs.rmSync(path.join(ours, 'data'), { recursive: true });
    dvcOk(ours, 'checkout', '-q', 'data.dvc');
    assert.equal(fs.readFileSync(path.join(ours, 'data', 'sub', 's1'), 'utf8'), 's\n');
    assert.equal(fs.readFileSync(path.join(ours, 'data', 'test.csv'), 'utf8'), '2\n', 'the recorded test.csv');
  });

  it('adds a path a .dvc file of another name tracks into that file, as dvc', () => {
    const [ours, theirs] = [layout(), layout()];
    for (const repo of [ours, theirs]) {
      git(repo, 'mv', 'data.dvc', 'dataset.dvc');
      writeFiles(repo, { 'data/train.csv': '5\n' });
    }
    cairnOk(ours, 'add', '-q', 'data');
    dvcOk(theirs, 'add', '-q', 'data');
    assert.equal(fs.readFileSync(path.join(ours, 'dataset.dvc'), 'utf8'), fs.readFileSync(path.join(theirs, 'dataset.dvc'), 'utf8'));
    assert.ok(!fs.existsSync(path.join(ours, 'data.dvc')) && !fs.existsSync(path.join(theirs, 'data.dvc')));
    assert.deepEqual(snapshot(ours), snapshot(theirs));
  });

  it('lint flags a .dvc output inside another .dvc file\'s folder, which dvc refuses', () => {
    const repo = layout();
    writeFiles(repo, { 'train.dvc': 'outs:\n- md5: b026324c6904b2a9cb4b88d6d61c81d1\n  size: 2\n  hash: md5\n  path: data/train.csv\n' });
    const theirs = dvc(repo, 'dag');
    assert.notEqual(theirs.status, 0);
    assert.match(theirs.stderr, /'data'\('data\.dvc'\)\s+'data\/train\.csv'\('train\.dvc'\)\s+overlap/);
    const ours = cairn(repo, 'lint');
    assert.equal(ours.status, 1, ours.stdout);
    assert.match(ours.stdout, /^train\.dvc:5:9: error: Output 'data\/train\.csv' is inside output 'data' of 'data\.dvc'\. .* \[OUTPUT_CONFLICT\]$/m);
    assert.doesNotMatch(ours.stdout, /^data\.dvc:/m, 'said once, in the file to fix');
  });

  it('remove of a .dvc file keeps the .gitignore entry of a path a stage still caches (dvc drops it, and git then shows the stage output)', () => {
    const ours = layout();
    const theirs = layout();
    const stray = 'outs:\n- md5: 0ef5f9b0e1a1e4a6bd36d1e4f8d5d9a4\n  size: 2\n  hash: md5\n  path: model.bin\n';
    for (const repo of [ours, theirs]) writeFiles(repo, { 'model.bin.dvc': stray, 'extra2.txt': 'x\n' });
    dvcOk(theirs, 'remove', 'model.bin.dvc');
    cairnOk(ours, 'remove', 'model.bin.dvc');
    assert.doesNotMatch(fs.readFileSync(path.join(theirs, '.gitignore'), 'utf8'), /^\/model\.bin$/m);
    assert.match(fs.readFileSync(path.join(ours, '.gitignore'), 'utf8'), /^\/model\.bin$/m);
    assert.doesNotMatch(git(ours, 'status', '--porcelain'), /model\.bin/);
    assert.ok(!fs.existsSync(path.join(ours, 'model.bin.dvc')));
  });
});
