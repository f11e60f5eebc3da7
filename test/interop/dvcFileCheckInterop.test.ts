import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, dvc, dvcOk, tempGitRepo, writeFiles } from '../support/fixtures';

const MD5 = 'b1946ac92492d2347c6235b4d2611184';
const out = (extra: string, p = 'data') => `outs:\n- md5: ${MD5}\n  size: 6\n  hash: md5\n  path: ${p}\n${extra}`;

/**
 * `.dvc` files the real dvc and `cairn status` both judge: [case, text, dvc refuses it, why
 * Cairn differs (when it does)]. Cairn follows dvc except where it cannot do what the file asks
 * or the file is an attack; each difference is named here so that a change in dvc shows.
 */
const CASES: [string, string, boolean, string?][] = [
  ['an empty file', '', false],
  ['outs: null', 'outs:\n', false],
  ['size 1e400', out('').replace('size: 6', 'size: 1e400'), true],
  ['size "6"', out('').replace('size: 6', 'size: "6"'), true],
  ['cache "no"', out('  cache: "no"\n'), true],
  ['isexec "yes"', out('  isexec: "yes"\n'), true],
  ['remote [1]', out('  remote: [1]\n'), true],
  ['desc 1', out('  desc: 1\n'), true],
  ['metric in a .dvc file', out('  metric: true\n'), true],
  ['cmd in a .dvc file', `cmd: echo\n${out('')}`, true],
  ['md5 5', out('').replace(`md5: ${MD5}`, 'md5: 5'), true],
  ['outs a map', 'outs: {path: data}\n', true],
  ['path .git/hooks/post-checkout', out('', '.git/hooks/post-checkout'), true],
  ['path .dvc/config', out('', '.dvc/config'), true],
  ['path ../foo', out('', '../foo'), true],
  ['path .', out('', '.'), true],
  ['path ..foo', out('', '..foo'), false],
  ['fs_config and persist', out('  fs_config: {}\n  persist: true\n'), false],
  ['nfiles -1', out('  nfiles: -1\n'), false, 'a count below zero is refused: no folder has -1 files'],
  ['hash sha256', out('').replace('hash: md5', 'hash: sha256'), false, 'Cairn computes md5 only, so it cannot check a sha256 entry'],
  ['md5 ../../x', out('').replace(`md5: ${MD5}`, 'md5: ../../x'), false, 'a hash is never a path: refused before it names a cache file'],
  ['path sub/.GIT/x', out('', 'sub/.GIT/x'), false, '.GIT is .git on case-insensitive file systems'],
];

describe('.dvc files: what the real dvc and cairn status refuse', () => {
  for (const [name, text, dvcRefuses, difference] of CASES) {
    it(`${name}: ${difference ? `dvc ${dvcRefuses ? 'refuses' : 'accepts'} it, Cairn does not (${difference})` : dvcRefuses ? 'both refuse it' : 'both accept it'}`, () => {
      const dir = tempGitRepo();
      dvcOk(dir, 'init', '-q');
      writeFiles(dir, { 'data.dvc': text });
      const d = dvc(dir, 'status', 'data.dvc');
      const dvcRefused = d.status !== 0 || /ERROR|validation failed/.test(d.stdout + d.stderr);
      assert.equal(dvcRefused, dvcRefuses, `dvc: ${d.stdout}${d.stderr}`);
      const c = cairn(dir, 'status');
      const cairnRefused = /^ERROR: data\.dvc:/m.test(c.stderr);
      assert.equal(cairnRefused, difference ? !dvcRefuses : dvcRefuses, `cairn: ${c.stdout}${c.stderr}`);
      if (cairnRefused) {
        assert.equal(c.status, 1);
        assert.doesNotMatch(c.stderr, /unexpected error/);
      }
      assert.ok(!fs.existsSync(path.join(dir, '.git', 'hooks', 'post-checkout')));
    });
  }
});
