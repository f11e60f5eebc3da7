import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvcOk, git, tempDir } from '../support/fixtures';
import { trainedBaseline } from '../support/expFixtures';

/**
 * Tags and notes on experiments (`cairn exp tag`, `cairn exp note`): git notes beside the
 * environment record, which dvc never reads; shown by `cairn exp show`, pushed and pulled with
 * the experiments, two machines' annotations of one experiment merged.
 */
describe('experiment tags and notes', function () {
  this.timeout(300_000);

  const meta = (root: string, name: string) => {
    const shown = JSON.parse(cairnOk(root, 'exp', 'show', '--json', '-A')) as any[];
    const range = shown.flatMap((baseline) => baseline.experiments ?? []).find((e: any) => e.name === name);
    const { tags, notes } = range.revs[0].data.meta;
    return { tags, notes };
  };
  const withoutTimes = (text: string) => JSON.parse(text, (k, v) => (k === 'timestamp' ? null : v));

  it('shown by cairn exp show (meta and a Tags column), unseen by dvc, pushed and pulled, two machines\' tags of one experiment merged', () => {
    const root = trainedBaseline();
    cairnOk(root, 'exp', 'run', '-S', 'train.lr=0.2', '-n', 'a');
    cairnOk(root, 'exp', 'run', '-S', 'train.lr=0.3', '-n', 'b');
    const dvcBefore = withoutTimes(dvcOk(root, 'exp', 'show', '--json'));
    assert.equal(cairnOk(root, 'exp', 'tag', 'a', 'best', 'to-review'), 'a: tags best to-review\n');
    assert.equal(cairnOk(root, 'exp', 'note', 'a', 'lr 0.2:\nstable'), 'a: tags best to-review\n  note: lr 0.2:\n        stable\n');
    cairnOk(root, 'exp', 'tag', 'a', '--remove', 'to-review');
    assert.deepEqual(meta(root, 'a'), { tags: ['best'], notes: ['lr 0.2:\nstable'] });
    assert.deepEqual(meta(root, 'b'), { tags: undefined, notes: undefined });
    assert.match(cairnOk(root, 'exp', 'show', '--no-pager'), /Tags[\s\S]*\[a\] +\d\d:\d\d [AP]M +best /);
    assert.deepEqual(withoutTimes(dvcOk(root, 'exp', 'show', '--json')), dvcBefore, "dvc's view is unchanged");

    // Shared through a bare git remote and a folder DVC remote.
    const remote = path.join(tempDir(), 'remote.git');
    fs.mkdirSync(remote);
    git(remote, 'init', '-q', '--bare', '-b', 'main');
    const store = tempDir();
    git(root, 'remote', 'add', 'origin', remote);
    cairnOk(root, 'remote', 'add', '-d', 'store', store);
    git(root, 'commit', '-qm', 'data remote', '--', '.dvc/config');
    git(root, 'push', '-q', 'origin', 'HEAD:main');
    cairnOk(root, 'exp', 'push', 'origin', 'a', 'b');
    const clone = path.join(tempDir(), 'clone');
    git(path.dirname(clone), 'clone', '-q', '-b', 'main', remote, clone);
    git(clone, 'config', 'user.email', 'test@cairn.dev');
    git(clone, 'config', 'user.name', 'Cairn Test');
    cairnOk(clone, 'exp', 'pull', 'origin', 'a', 'b');
    assert.deepEqual(meta(clone, 'a'), { tags: ['best'], notes: ['lr 0.2:\nstable'] });

    // Both machines tag `a`; each push and pull merges, nothing is lost.
    cairnOk(clone, 'exp', 'tag', 'a', 'reviewed');
    cairnOk(clone, 'exp', 'note', 'a', 'checked on the GPU box');
    cairnOk(clone, 'exp', 'push', 'origin', 'a');
    cairnOk(root, 'exp', 'tag', 'a', 'golden');
    cairnOk(root, 'exp', 'pull', 'origin', 'a');
    assert.deepEqual(meta(root, 'a'), { tags: ['best', 'golden', 'reviewed'], notes: ['checked on the GPU box', 'lr 0.2:\nstable'] });
    cairnOk(root, 'exp', 'push', 'origin', 'a');
    cairnOk(clone, 'exp', 'pull', 'origin', 'a');
    assert.deepEqual(meta(clone, 'a'), meta(root, 'a'));
    // The environment records travelled in their own ref, untouched by the merge.
    const shown = JSON.parse(cairnOk(clone, 'exp', 'show', '--json', '-A')) as any[];
    assert.equal(shown.flatMap((baseline) => baseline.experiments ?? []).find((e: any) => e.name === 'a').revs[0].data.meta.environment.schema, 1);
  });

  it('a bad tag or note, or an unknown experiment: one line, nothing written; clearing the notes and tags removes the note', () => {
    const root = trainedBaseline();
    cairnOk(root, 'exp', 'run', '-S', 'train.lr=0.2', '-n', 'a');
    const refused = (args: string[], message: RegExp) => {
      const r = cairn(root, 'exp', ...args);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(git(root, 'for-each-ref', 'refs/notes/cairn-annotations'), '', args.join(' '));
    };
    refused(['tag', 'a', 'two words'], /^ERROR: 'two words' is not a tag/);
    refused(['tag', 'a', '--', '-rf'], /^ERROR: '-rf' is not a tag/);
    refused(['note', 'a', '   '], /^ERROR: the note is empty\./);
    refused(['note', 'a', 'x'.repeat(5000)], /^ERROR: the note is 5000 characters; a note may be 4096\./);
    refused(['tag', 'aa', 'best'], /^ERROR: .*'aa'.*Did you mean 'a'\?/);
    cairnOk(root, 'exp', 'tag', 'a', 'best');
    cairnOk(root, 'exp', 'note', 'a', 'n');
    cairnOk(root, 'exp', 'tag', 'a', '--remove', 'best');
    cairnOk(root, 'exp', 'note', 'a', '--clear');
    assert.equal(git(root, 'notes', '--ref=refs/notes/cairn-annotations', 'list'), '', 'no empty note is left');
  });
});
