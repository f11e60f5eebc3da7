import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DvcIgnore, walkTrackedDir } from '../../src/core/repo/dvcignore';
import { CairnError } from '../../src/core/errors';
import { tempDir, writeFiles } from '../support/fixtures';

describe('.dvcignore', () => {
  it('follows gitignore rules: globs, anchoring, dir-only, negation, **', () => {
    const root = tempDir();
    writeFiles(root, {
      '.dvcignore': '# comment\n*.tmp\n/build\nlogs/\n!keep.tmp\ndocs/**/*.draft\n\\#hash\n',
      'sub/.dvcignore': 'local.txt\n',
    });
    const ig = new DvcIgnore(root);
    assert.equal(ig.isIgnored('a.tmp', false), true);
    assert.equal(ig.isIgnored('deep/x/a.tmp', false), true);
    assert.equal(ig.isIgnored('keep.tmp', false), false);
    assert.equal(ig.isIgnored('build', true), true);
    assert.equal(ig.isIgnored('sub/build', true), false, 'a leading / anchors to the .dvcignore folder');
    assert.equal(ig.isIgnored('x/logs', true), true);
    assert.equal(ig.isIgnored('x/logs', false), false, 'a trailing / matches folders only');
    assert.equal(ig.isIgnored('docs/a/b/c.draft', false), true);
    assert.equal(ig.isIgnored('docs/c.draft', false), true);
    assert.equal(ig.isIgnored('#hash', false), true);
    assert.equal(ig.isIgnored('sub/local.txt', false), true);
    assert.equal(ig.isIgnored('local.txt', false), false, 'a nested .dvcignore applies below its folder only');
    assert.equal(ig.isIgnored('.git', true), true);
    assert.equal(ig.isIgnored('x/.dvc', true), true);
  });

  it('leaves ignored files out of a tracked directory, and refuses a .dvcignore inside it', () => {
    const root = tempDir();
    writeFiles(root, { '.dvcignore': '*.log\n', 'data/a.csv': '1', 'data/run.log': 'x', 'data/s/b.csv': '2' });
    const ig = new DvcIgnore(root);
    const files = walkTrackedDir(path.join(root, 'data'), 'data', ig, () => true).map((f) => f.relpath).sort();
    assert.deepEqual(files, ['a.csv', 's/b.csv']);
    fs.writeFileSync(path.join(root, 'data', 's', '.dvcignore'), '*.csv\n');
    assert.throws(
      () => walkTrackedDir(path.join(root, 'data'), 'data', new DvcIgnore(root), () => true),
      (e: unknown) => e instanceof CairnError && e.code === 'DVCIGNORE_IN_TRACKED_DIR' && e.file === 'data/s/.dvcignore',
    );
  });
});
