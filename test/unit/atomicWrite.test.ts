import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFileAtomicSync, copyFileBytesSync } from '../../src/core/repo/atomicWrite';
import { md5, tempDir } from '../support/fixtures';

describe('copying files (atomicWrite)', () => {
  it('copies small and big files byte for byte with the mode asked, a big one in reported pieces', () => {
    const dir = tempDir();
    for (const size of [0, 1, 4096, (1 << 20) - 1, 1 << 20, (5 << 20) + 123]) {
      const source = path.join(dir, `src-${size}`);
      const bytes = crypto.randomBytes(size);
      fs.writeFileSync(source, bytes);
      const target = path.join(dir, `dst-${size}`);
      const seen: number[] = [];
      assert.equal(copyFileBytesSync(source, target, 0o640, 'try', (n) => seen.push(n)), size);
      assert.equal(md5(fs.readFileSync(target)), md5(bytes), `${size} bytes`);
      assert.equal(fs.statSync(target).mode & 0o777, 0o640);
      // Progress after each full MiB, unless the file system cloned the big file (none on ext4 or tmpfs).
      const pieces = Array.from({ length: Math.floor(size / (1 << 20)) }, (_, i) => (i + 1) << 20);
      if (seen.length > 0 || pieces.length === 0) assert.deepEqual(seen, pieces, `${size} bytes`);
    }
  });

  it('stops a big copy when its progress callback throws, leaving no target behind', () => {
    const dir = tempDir();
    const source = path.join(dir, 'big');
    fs.writeFileSync(source, crypto.randomBytes(6 << 20));
    const target = path.join(dir, 'store', 'ab', 'object');
    assert.throws(
      () =>
        copyFileAtomicSync(source, target, (n) => {
          if (n >= 2 << 20) throw Object.assign(new Error('cancelled'), { code: 'ECANCELED' });
        }),
      /cancelled/,
    );
    assert.equal(fs.existsSync(target), false);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), [], 'its temp file removed');
    assert.equal(copyFileAtomicSync(source, target), 6 << 20);
    assert.equal(md5(fs.readFileSync(target)), md5(fs.readFileSync(source)));
    assert.equal(fs.statSync(target).mode & 0o777, 0o444);
  });
});
