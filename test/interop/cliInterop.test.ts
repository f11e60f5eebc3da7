import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvc, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/** The command line as scripts written for dvc see it: exit codes of usage errors, what is printed before a failure. */
describe('cli: usage errors and failures as dvc (3.67.1)', () => {
  it('exits 254 for an unknown command, subcommand or option, as dvc', () => {
    const repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    for (const args of [['stat'], ['status', '--foo'], ['remote', 'lst'], ['push', '-j']]) {
      const theirs = dvc(repo, ...args);
      const ours = cairn(repo, ...args);
      assert.equal(theirs.status, 254, `dvc ${args.join(' ')}`);
      assert.equal(ours.status, theirs.status, `cairn ${args.join(' ')}: ${ours.stderr}`);
      assert.equal(ours.stderr.trim().split('\n').length, 1, `one line: ${ours.stderr}`);
    }
  });

  it('repro fails on a params key missing from params.yaml before announcing the stage (with --dry too), as dvc', () => {
    const repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    writeFiles(repo, { 'params.yaml': 'a: 1\n' });
    dvcOk(repo, 'stage', 'add', '-q', '-n', 's', '-p', 'a,b', '-o', 'o', 'echo x > o');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'stage');
    for (const dry of [[], ['--dry']]) {
      const theirs = dvc(repo, 'repro', ...dry);
      const ours = cairn(repo, 'repro', ...dry);
      assert.notEqual(theirs.status, 0);
      assert.doesNotMatch(theirs.stdout, /Running stage/);
      assert.equal(ours.status, 1, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout, `nothing printed before the error ${dry.join(' ')}`);
      assert.match(theirs.stderr, /Parameters 'b' are missing from 'params.yaml'/);
      // At the missing key's line, in lint's words (the lint tests hold the two together).
      assert.match(ours.stderr, /^ERROR: dvc\.yaml:6: Parameter 'b' is missing from 'params\.yaml'\. Did you mean 'a'\?/);
    }
    assert.ok(!fs.existsSync(path.join(repo, 'o')), 'nothing ran');
    fs.appendFileSync(path.join(repo, 'params.yaml'), 'b: 2\n');
    assert.match(cairnOk(repo, 'repro'), /^Running stage 's':\n> echo x > o\n/);
  });
});
