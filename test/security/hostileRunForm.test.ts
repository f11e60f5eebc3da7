import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Repo } from '../../src/core/repo/repo';
import { runFormFields } from '../../src/extension/runFormSnapshot';
import { cairnOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * The "Modify Params and Run" form's fields in a repository someone sent: a params file that is
 * a link out of the repository, in the workspace or committed as a link, is not read (its line
 * says why, in the workspace); the form shows none of the outside file's values.
 */
describe('hostile repository: the run form reads no params file outside the repository', function () {
  this.timeout(60_000);

  it('sets aside a params file linked out of the repository, in the workspace and in a commit', async () => {
    const root = tempGitRepo();
    const outside = tempDir();
    writeFiles(outside, { 'secret.yaml': 'token: hunter2\n' });
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    params: [lr, {conf.yaml: [token]}]\n' });
    fs.symlinkSync(path.join(outside, 'secret.yaml'), path.join(root, 'conf.yaml'));
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'a params file linked outside');
    const sha = git(root, 'rev-parse', 'HEAD').trim();
    for (const row of ['workspace', sha]) {
      const form = await Repo.using(root, {}, (repo) => runFormFields(repo, row));
      assert.deepEqual(form.fields.map((f) => `${f.file}:${f.path.join('.')}=${f.value}`), ['params.yaml:lr=0.1'], row);
      // In the workspace the link is named and refused; in a commit a link is no file (git keeps its target's name, not its content).
      if (row === 'workspace') assert.deepEqual(form.skipped.map((l) => l.split(':')[0]), ['conf.yaml']);
      else assert.deepEqual(form.skipped, []);
      assert.ok(!JSON.stringify(form).includes('hunter2'), `${row}: the outside file was read`);
    }
  });
});
