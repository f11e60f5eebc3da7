import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dos2unixChunk, isTextBlock } from '../../src/core/hashing/hashNames';
import { hashAndStoreSync, hashFileSync } from '../../src/core/hashing/hashFile';
import { HashPool } from '../../src/core/hashing/hashPool';
import { Repo } from '../../src/core/repo/repo';
import { FollowingHash, hashWhileWriting } from '../../src/core/hashing/followingHash';
import * as os from 'node:os';
import * as crypto from 'node:crypto';
import { md5, tempDir } from '../support/fixtures';
import { digest } from '../../src/core/hashing/digest';

describe('hashing', () => {
  it('digests bytes in memory (md5, sha256; hex or base64) to the published test vectors', () => {
    assert.equal(digest('md5', ''), 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal(digest('md5', Buffer.from('The quick brown fox jumps over the lazy dog')), '9e107d9d372bb6826bd81d3542a419d6');
    assert.equal(digest('sha256', 'abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(digest('md5', '', 'base64'), '1B2M2Y8AsgTpgAmY7PhCfg==');
  });

  it('tells text from binary as DVC does (NUL, or more than 30% non-text bytes)', () => {
    assert.equal(isTextBlock(Buffer.from('hello\r\nworld\n')), true);
    assert.equal(isTextBlock(Buffer.from('abc\0def')), false);
    assert.equal(isTextBlock(Buffer.from([0xc3, 0xa9, 0x61, 0x62, 0x63, 0x64, 0x65])), true); // 2/7 non-ASCII
    assert.equal(isTextBlock(Buffer.from([0xc3, 0xa9, 0xc3, 0xa9, 0x61])), false); // 4/5
    assert.equal(isTextBlock(Buffer.alloc(0)), true);
  });

  it('replaces CRLF by LF within a chunk, leaving lone CR alone', () => {
    assert.equal(Buffer.from(dos2unixChunk(Buffer.from('a\r\nb\rc\r\n'))).toString(), 'a\nb\rc\n');
  });

  it('hashes md5 and md5-dos2unix, streaming a file larger than one chunk', () => {
    const dir = tempDir();
    const text = 'line\r\n'.repeat(400_000); // 2.4 MB, crosses 1 MiB chunk boundaries
    fs.writeFileSync(path.join(dir, 't.txt'), text);
    assert.equal(hashFileSync(path.join(dir, 't.txt'), 'md5').md5, md5(text));
    // The chunk boundaries fall between \r and \n nowhere here (6-byte lines, 1 MiB chunks: 1048576 % 6 = 4).
    // DVC converts per 1 MiB chunk, so a CRLF split across a boundary stays as it is.
    const chunks: Buffer[] = [];
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += 1 << 20) chunks.push(Buffer.from(dos2unixChunk(buf.subarray(i, i + (1 << 20)))));
    assert.equal(hashFileSync(path.join(dir, 't.txt'), 'md5-dos2unix').md5, md5(Buffer.concat(chunks)));
    const binary = Buffer.from([0, 13, 10, 1, 2, 3]);
    fs.writeFileSync(path.join(dir, 'b.bin'), binary);
    assert.equal(hashFileSync(path.join(dir, 'b.bin'), 'md5-dos2unix').md5, md5(binary), 'binary files are not converted');
  });

  it('stores an object read-only under files/md5 with no temp file left', () => {
    const dir = tempDir();
    const objects = path.join(dir, 'cache', 'files', 'md5');
    const staging = path.join(dir, 'cache', '.cairn-staging');
    fs.writeFileSync(path.join(dir, 'f'), 'hello\n');
    const h = hashAndStoreSync(path.join(dir, 'f'), objects, staging, false);
    assert.equal(h.md5, 'b1946ac92492d2347c6235b4d2611184');
    const obj = path.join(objects, 'b1', '946ac92492d2347c6235b4d2611184');
    assert.equal(fs.readFileSync(obj, 'utf8'), 'hello\n');
    assert.equal(fs.statSync(obj).mode & 0o777, 0o444);
    assert.deepEqual(fs.readdirSync(staging), []);
    // Storing the same content again keeps the one object and leaves nothing behind.
    hashAndStoreSync(path.join(dir, 'f'), objects, staging, false);
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  it('runs tasks in worker threads and reports per-task errors', async () => {
    const dir = tempDir();
    const files = Array.from({ length: 200 }, (_, i) => path.join(dir, `f${i}`));
    files.forEach((f, i) => fs.writeFileSync(f, `content ${i}`));
    const pool = new HashPool(2);
    try {
      const results = await pool.run([...files, path.join(dir, 'missing')].map((p) => ({ op: 'hash' as const, path: p, hashName: 'md5' as const })));
      results.slice(0, 200).forEach((r, i) => assert.deepEqual(r, { ok: true, value: { md5: md5(`content ${i}`), size: `content ${i}`.length, isexec: false } }));
      assert.equal(results[200].ok, false);
    } finally {
      await pool.close();
    }
  });

  it("a repository lent another's pool (a temporary tree, the main repository's) hashes on its threads and leaves them running when closed", async () => {
    const [mainRoot, tmpRoot] = [tempDir(), tempDir()];
    for (const root of [mainRoot, tmpRoot]) fs.mkdirSync(path.join(root, '.dvc'));
    fs.writeFileSync(path.join(mainRoot, 'f'), 'content');
    const main = Repo.open(mainRoot);
    try {
      main.pool.warm();
      const threads = () => Number(/Threads:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
      const warm = threads();
      const tmp = Repo.open(tmpRoot, { pool: main.pool });
      assert.equal(tmp.pool, main.pool);
      await tmp.close();
      assert.equal(threads(), warm, "closing the borrower stops none of the pool's threads");
      const [result] = await main.pool.run([{ op: 'hash', path: path.join(mainRoot, 'f'), hashName: 'md5' }]);
      assert.deepEqual(result, { ok: true, value: { md5: md5('content'), size: 7, isexec: false } });
    } finally {
      await main.close();
    }
  });

  it('stops between batches when cancelled', async () => {
    const dir = tempDir();
    const files = Array.from({ length: 500 }, (_, i) => path.join(dir, `f${i}`));
    files.forEach((f) => fs.writeFileSync(f, 'x'));
    const pool = new HashPool(1);
    const controller = new AbortController();
    let batches = 0;
    try {
      await assert.rejects(
        pool.run(files.map((p) => ({ op: 'hash' as const, path: p, hashName: 'md5' as const })), {
          signal: controller.signal,
          onProgress: () => {
            if (++batches === 2) controller.abort();
          },
        }),
        /cancelled/,
      );
      assert.equal(batches, 2);
    } finally {
      await pool.close();
    }
  });
});

describe('FollowingHash: md5 on another thread while the file is written', () => {
  it('hashes what is written in pieces, waiting for each, and equals the md5 of the whole', async () => {
    const file = path.join(tempDir(), 'download.bin');
    const bytes = crypto.randomBytes(5 << 20);
    const out = fs.openSync(file, 'w');
    const hash = new FollowingHash(file);
    let written = 0;
    for (const size of [1, 65536, 3 << 20, 7, 1 << 20]) {
      fs.writeSync(out, bytes, written, Math.min(size, bytes.length - written));
      written += Math.min(size, bytes.length - written);
      hash.wrote([], written);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the thread catches up and waits for more
    }
    fs.writeSync(out, bytes, written, bytes.length - written);
    hash.wrote([], bytes.length);
    fs.closeSync(out);
    assert.equal(await hash.md5(), md5(bytes));
  });

  it('stops waiting for bytes when the operation is cancelled', async () => {
    const file = path.join(tempDir(), 'partial.bin');
    fs.writeFileSync(file, 'some bytes');
    const controller = new AbortController();
    const cancelled = new FollowingHash(file, controller.signal);
    cancelled.wrote([], 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    // Never told the file is complete: the thread must notice the cancel by itself (within its 100 ms wait), or this hangs.
    await assert.rejects(cancelled['result'], (err: Error & { code?: string }) => err.code === 'ABORTED');
  });
});

describe('hashWhileWriting: at most one hashing thread per core', () => {
  it('hashes on the caller thread once every core has a follower, with the same md5', async () => {
    const dir = tempDir();
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    const files = Array.from({ length: cores + 1 }, (_, i) => path.join(dir, `f${i}`));
    const bytes = files.map(() => crypto.randomBytes(300_000));
    files.forEach((f, i) => fs.writeFileSync(f, bytes[i]));
    const hashes = files.map((f) => hashWhileWriting(f));
    assert.deepEqual(hashes.map((h) => h instanceof FollowingHash), [...Array(cores).fill(true), false]);
    hashes.forEach((h, i) => h.wrote([bytes[i]], bytes[i].length));
    assert.deepEqual(await Promise.all(hashes.map((h) => h.md5())), bytes.map((b) => md5(b)));
    // Their threads are given back: a new writer gets one again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = hashWhileWriting(files[0]);
    assert.ok(again instanceof FollowingHash);
    again.wrote([], bytes[0].length);
    assert.equal(await again.md5(), md5(bytes[0]));
  });
});
