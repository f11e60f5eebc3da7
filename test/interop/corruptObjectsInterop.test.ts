import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvc, dvcOk, md5, storeObjects, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/** Corrupt objects in a cache dvc filled: the CLI's exit codes and messages, and the repair through a remote. */

const FILES = {
  'f1.txt': 'one: the first of four\n',
  'f2.txt': 'two: changed in place\n',
  'f3.txt': 'three: cut short\n',
  'f4.bin': Buffer.alloc(300 << 10, 4),
};
const bad = { 'f2.txt': FILES['f2.txt'].toUpperCase(), 'f3.txt': 'three' };
const keyOf = (content: string | Buffer) => `files/md5/${md5(content).slice(0, 2)}/${md5(content).slice(2)}`;

describe('corrupt cache objects through the CLI, in a repository dvc made', function () {
  this.timeout(180_000);
  let repo: string;
  let store: string;

  beforeEach(() => {
    repo = tempGitRepo();
    store = path.join(tempDir(), 'store');
    dvcOk(repo, 'init', '-q');
    writeFiles(repo, FILES);
    dvcOk(repo, 'add', '-q', ...Object.keys(FILES));
    dvcOk(repo, 'remote', 'add', '-d', 'store', store);
    dvcOk(repo, 'push', '-q');
    for (const [file, bytes] of Object.entries(bad)) {
      const object = path.join(repo, '.dvc', 'cache', keyOf(FILES[file as keyof typeof FILES]));
      fs.chmodSync(object, 0o644);
      fs.writeFileSync(object, bytes);
      fs.chmodSync(object, 0o444);
    }
  });

  const oneErrorLine = (stderr: string) => {
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^ERROR: /);
    return lines[0];
  };

  it('push exits 1 naming the corrupt objects and uploads only the good ones; checkout exits 1 and restores only the good ones; pull brings good copies back', () => {
    const fresh = path.join(tempDir(), 'fresh');
    cairnOk(repo, 'remote', 'add', 'fresh', fresh);
    const pushed = cairn(repo, 'push', '-r', 'fresh');
    assert.equal(pushed.status, 1, pushed.stderr);
    const pushError = oneErrorLine(pushed.stderr);
    assert.match(pushError, /^ERROR: 2 files failed to upload: /);
    for (const [file, bytes] of Object.entries(bad)) assert.match(pushError, new RegExp(`${file} \\(${keyOf(FILES[file as keyof typeof FILES])}\\): not uploaded: .* is corrupt \\(its bytes hash to ${md5(bytes)}\\)`));
    assert.deepEqual(storeObjects(fresh), [keyOf(FILES['f1.txt']), keyOf(FILES['f4.bin'])].sort());

    // The corrupt objects went aside at push (so this second pair goes aside as `<md5>.1`). Fetched again, then corrupted again: checkout refuses them.
    for (const f of Object.keys(FILES)) fs.rmSync(path.join(repo, f));
    cairnOk(repo, 'fetch');
    for (const [file, bytes] of Object.entries(bad)) {
      const object = path.join(repo, '.dvc', 'cache', keyOf(FILES[file as keyof typeof FILES]));
      fs.chmodSync(object, 0o644);
      fs.writeFileSync(object, bytes);
    }
    const restored = cairn(repo, 'checkout');
    assert.equal(restored.status, 1, restored.stderr);
    const checkoutError = oneErrorLine(restored.stderr);
    assert.match(checkoutError, /^ERROR: checkout failed for: f2\.txt \(\.dvc\/cache\/files\/md5\/.* is corrupt \(its bytes hash to [0-9a-f]{32}\); moved to \.dvc\/cache\/\.cairn-corrupt\/[0-9a-f]{32}\.1: fetch it again/);
    assert.match(checkoutError, /f3\.txt \(/);
    assert.deepEqual(restored.stdout.trim().split('\n').sort(), ['A       f1.txt', 'A       f4.bin']);
    assert.equal(fs.existsSync(path.join(repo, 'f2.txt')), false);

    // As the message says: fetched again, the good bytes come back, and dvc agrees.
    const pulled = cairn(repo, 'pull');
    assert.equal(pulled.status, 0, pulled.stderr);
    for (const [file, content] of Object.entries(FILES)) assert.deepEqual(fs.readFileSync(path.join(repo, file)), Buffer.from(content));
    assert.match(dvcOk(repo, 'status'), /Data and pipelines are up to date/);
  });

  it('dvc itself restores and pushes a corrupt object without a word (what Cairn guards against)', () => {
    for (const f of Object.keys(FILES)) fs.rmSync(path.join(repo, f));
    const r = dvc(repo, 'checkout');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(repo, 'f2.txt'), 'utf8'), bad['f2.txt']);
  });
});
