import { strict as assert } from 'node:assert';
import { dvcOk, tempGitRepo, writeFiles } from '../support/fixtures';
import { commitAll, dvcJson, same } from '../support/metricsJson';

/**
 * dvc reads a git revision with that revision's own `.dvcignore`, not the workspace's: which
 * `.dvc` files a revision has is decided by the rules it holds. diff (and ls) and metrics find a
 * revision's `.dvc` files through the same walk, so they must agree with dvc on it alike.
 */

/**
 * HEAD~1 ignores b.txt.dvc; HEAD ignores nothing, tracks b.txt and a new eval/ (metrics in a
 * cached folder); the workspace's uncommitted `.dvcignore` ignores a.txt.dvc and eval.dvc.
 */
function repoWithChangingDvcignore(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, {
    'a.txt': 'a\n',
    'b.txt': 'b\n',
    'eval/metrics.json': '{"acc": 0.5}',
    'dvc.yaml': 'metrics:\n- eval/metrics.json\n',
    '.dvcignore': 'b.txt.dvc\n',
  });
  dvcOk(root, 'add', '-q', 'a.txt', 'eval');
  // Added while not ignored, then ignored by the commit's rules.
  writeFiles(root, { '.dvcignore': '' });
  dvcOk(root, 'add', '-q', 'b.txt');
  writeFiles(root, { '.dvcignore': 'b.txt.dvc\n' });
  commitAll(root, 'v1');
  writeFiles(root, { '.dvcignore': '', 'eval/metrics.json': '{"acc": 0.75}' });
  dvcOk(root, 'add', '-q', 'eval');
  commitAll(root, 'v2');
  writeFiles(root, { '.dvcignore': 'a.txt.dvc\neval.dvc\n' });
  return root;
}

describe("interop: a revision's .dvc files are found with its own .dvcignore, as dvc finds them", function () {
  this.timeout(300_000);
  let root: string;
  before(() => {
    root = repoWithChangingDvcignore();
  });

  it('diff between revisions uses each revision\'s rules, not the workspace\'s', () => {
    const theirs = dvcJson(root, 'diff', 'HEAD~1', 'HEAD') as { added: { path: string }[] };
    assert.deepEqual(theirs.added.map((e) => e.path), ['b.txt'], 'dvc sees b.txt.dvc appear (fixture check)');
    same(root, 'diff', 'HEAD~1', 'HEAD');
  });

  it('metrics read from a cached folder at revisions use each revision\'s rules, not the workspace\'s', () => {
    const theirs = dvcJson(root, 'metrics', 'diff', 'HEAD~1', 'HEAD') as Record<string, unknown>;
    assert.ok(JSON.stringify(theirs).includes('0.75'), `dvc reads eval/metrics.json at both revisions (fixture check): ${JSON.stringify(theirs)}`);
    same(root, 'metrics', 'diff', 'HEAD~1', 'HEAD');
    same(root, 'metrics', 'show', '-a');
  });
});
