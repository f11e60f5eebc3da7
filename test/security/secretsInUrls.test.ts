import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { redactUrl, redactUrlsIn } from '../../src/core/remotes/redactUrl';
import { cairn, cairnOk, tempGitRepo, writeFiles } from '../support/fixtures';

const KEY = 'AKIAEXAMPLEKEY';
const SECRET = 'supersecret';

describe('secrets in remote URLs are never shown', () => {
  it('redactUrl drops the whole user-info, also when the secret holds / or @, and keeps an @ of a path', () => {
    assert.equal(redactUrl(`s3://${KEY}:${SECRET}@bucket/path`), 's3://***@bucket/path');
    assert.equal(redactUrl(`s3://${KEY}:a/b+c@d@bucket/path`), 's3://***@bucket/path');
    assert.equal(redactUrl(`s3://${KEY}@bucket`), 's3://***@bucket');
    assert.equal(redactUrl('file://user:pw@/tmp/x'), 'file://***@/tmp/x');
    assert.equal(redactUrl('s3://bucket/data@v2'), 's3://bucket/data@v2');
    assert.equal(redactUrl('/mnt/store@2'), '/mnt/store@2');
    assert.equal(redactUrlsIn(`push to 's3://${KEY}:${SECRET}@b/p' failed (https://u:p@h/x)`), "push to 's3://***@b/p' failed (https://***@h/x)");
  });

  it('remote list, push, fetch, pull, status -c and gc -c (text and --json) never print the key or the secret, and never crash', () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init', '-q');
    writeFiles(dir, { data: 'hello\n' });
    cairnOk(dir, 'add', 'data');
    cairnOk(dir, 'remote', 'add', '-d', 's3', `s3://${KEY}:${SECRET}@bucket/path`);
    // Nothing listens on port 9: every request fails, and each failure is a message to check.
    cairnOk(dir, 'remote', 'modify', 's3', 'endpointurl', 'http://127.0.0.1:9');
    cairnOk(dir, 'remote', 'modify', '--local', 's3', 'access_key_id', 'AKIACONFIGKEY');
    cairnOk(dir, 'remote', 'modify', '--local', 's3', 'secret_access_key', 'configsecret');
    cairnOk(dir, 'remote', 'add', 'slash', `s3://${KEY}:a/${SECRET}@bucket/path`);
    cairnOk(dir, 'remote', 'add', 'folder', `file://user:${SECRET}@/tmp/x`);
    const runs: string[][] = [['remote', 'list'], ['remote', 'list', '--json']];
    for (const r of ['s3', 'slash', 'folder']) {
      for (const json of [[], ['--json']]) {
        runs.push(['push', '-r', r, ...json], ['status', '-c', '-r', r, ...json], ['gc', '-w', '-c', '-f', '-r', r, ...json], ['fetch', '-r', r, ...json]);
      }
    }
    const cache = path.join(dir, '.dvc', 'cache');
    for (const args of runs) {
      // fetch and pull reach the remote only for what the cache lacks.
      fs.rmSync(cache, { recursive: true, force: true });
      const r = cairn(dir, ...args, '-v');
      const shown = r.stdout + r.stderr;
      for (const secret of [KEY, SECRET, 'configsecret']) assert.ok(!shown.includes(secret), `${args.join(' ')} printed '${secret}':\n${shown}`);
      assert.notEqual(r.status, 255, `${args.join(' ')}: ${shown}`);
      if (args[0] !== 'remote') {
        assert.equal(r.status, 1, `${args.join(' ')} should fail: ${shown}`);
        // The failure is said (on stderr, or in the JSON on stdout), naming the remote without its secrets.
        assert.match(shown, /(\*\*\*@|remote 'folder')/, args.join(' '));
      }
    }
    const pull = cairn(dir, 'pull', '-r', 's3');
    assert.ok(!(pull.stdout + pull.stderr).includes(SECRET));
    assert.equal(cairn(dir, 'remote', 'list').stdout, 's3      s3://***@bucket/path    (default)\nslash   s3://***@bucket/path\nfolder  file://***@/tmp/x\n');
  });

  it('odd remote URLs are one clear line, never an unexpected error', () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init', '-q');
    writeFiles(dir, { data: 'hello\n' });
    cairnOk(dir, 'add', 'data');
    for (const [url, words] of [
      ['file://user:pw@/tmp/x', /remote 'r' has url 'file:\/\/\*\*\*@\/tmp\/x', which names no local folder/],
      ['file://otherhost/tmp/x', /which names no local folder/],
      ['file:///tmp/%2Fx', /which names no local folder/],
      ['s3://', /is not an S3 url/],
      ['s3:///path', /is not an S3 url/],
      ['s3://bucket name/x', /is not an S3 url/],
      ['s3://evil.example#/x', /is not an S3 url/],
      ['gs://bucket/x', /uses 'gs:\/\/', which Cairn does not support yet/],
    ] as [string, RegExp][]) {
      cairnOk(dir, 'remote', 'add', '-f', 'r', url);
      for (const cmd of [['push'], ['status', '-c'], ['gc', '-w', '-c', '-f']]) {
        const r = cairn(dir, ...cmd, '-r', 'r', '-v');
        assert.equal(r.status, 1, `${url} ${cmd.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, words, `${url} ${cmd.join(' ')}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, `${url}: one line, no stack: ${r.stderr}`);
      }
    }
  });
});
