import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { git, tempGitRepo } from '../support/fixtures';
import { gitWrite, gitWriter } from '../../src/core/scm/gitWrites';

describe('git writes (gitWriter)', () => {
  it("talks to remotes with the user's environment as it is (an EDITOR or PAGER a CI sets is no reason to refuse)", async () => {
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'x');
    const saved = { EDITOR: process.env.EDITOR, PAGER: process.env.PAGER };
    process.env.EDITOR = 'vim';
    process.env.PAGER = 'less';
    try {
      const listed = await gitWrite(gitWriter(root), ['ls-remote', root, 'HEAD']);
      assert.match(listed, /^[0-9a-f]{40}\tHEAD\n$/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('refuses a remote argument that would run a program, whatever the environment', async () => {
    const root = tempGitRepo();
    const marker = path.join(root, 'pwned');
    await assert.rejects(gitWrite(gitWriter(root), ['ls-remote', `--upload-pack=touch ${marker}`, root]), /git ls-remote failed/);
    assert.ok(!fs.existsSync(marker));
  });

  it('runs no hook and signs nothing when it writes', async () => {
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'x');
    const marker = path.join(root, 'hook-ran');
    fs.writeFileSync(path.join(root, '.git', 'hooks', 'reference-transaction'), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    git(root, 'config', 'commit.gpgsign', 'true');
    const writer = gitWriter(root);
    const commit = (await gitWrite(writer, ['commit-tree', 'HEAD^{tree}', '-p', 'HEAD', '-m', 'unsigned'])).trim();
    await gitWrite(writer, ['update-ref', 'refs/heads/other', commit]);
    assert.ok(!fs.existsSync(marker), 'the reference-transaction hook ran');
    assert.ok(!git(root, 'cat-file', 'commit', commit).includes('gpgsig'));
  });
});
