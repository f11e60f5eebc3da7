import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { compareCodePoints, dirManifestHash, parseDirManifest, pythonJsonString, serializeDirManifest } from '../../src/core/hashing/dirManifest';
import { CairnError } from '../../src/core/errors';

const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

describe('.dir manifests', () => {
  it('match the test vectors of dvc-formats.md', () => {
    const full = [
      { md5: md5('foo'), relpath: 'foo' },
      { md5: md5('bar'), relpath: 'bar' },
      { md5: md5('data'), relpath: 'subdir/data' },
    ];
    assert.equal(dirManifestHash(full).md5, '8761c4e9acad696bee718615e23e22db.dir');
    assert.equal(dirManifestHash([{ md5: md5('data'), relpath: 'data' }]).md5, 'af314506f1622d107e0ed3f14ec1a3b5.dir');
    assert.equal(dirManifestHash([]).md5, 'd751713988987e9331980363e24189ce.dir');
  });

  it('writes the exact bytes of Python json.dumps(sort_keys=True): separators, order, no newline', () => {
    const bytes = serializeDirManifest([
      { md5: 'b', relpath: 'sub/b.txt' },
      { md5: 'a', relpath: 'a.txt' },
    ]);
    assert.equal(bytes, '[{"md5": "a", "relpath": "a.txt"}, {"md5": "b", "relpath": "sub/b.txt"}]');
  });

  it('escapes non-ASCII names as \\uXXXX, with surrogate pairs above U+FFFF', () => {
    assert.equal(pythonJsonString('é.txt'), '"\\u00e9.txt"');
    assert.equal(pythonJsonString('😀.txt'), '"\\ud83d\\ude00.txt"');
    assert.equal(pythonJsonString('a"b\\c\n\x7f'), '"a\\"b\\\\c\\n\\u007f"');
  });

  it('sorts by Unicode code point as Python does, not by UTF-16 unit', () => {
    // U+FF5E (fullwidth tilde) is below U+1F600 by code point, but above its UTF-16 surrogates.
    const names = ['😀', '～', 'z', 'é'];
    assert.deepEqual([...names].sort(compareCodePoints), ['z', 'é', '～', '😀']);
    assert.deepEqual([...names].sort(), ['z', 'é', '😀', '～']); // what plain JS sort would do
  });

  it('refuses manifest entries whose paths escape the directory', () => {
    for (const relpath of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.', 'a/.', './a', 'a\0b', '.git/hooks/x', 'sub/.DVC/config', 'C:/x']) {
      const text = JSON.stringify([{ md5: md5('x'), relpath }]);
      assert.throws(() => parseDirManifest(text, 'cache/ab/cd.dir'), (e: unknown) => e instanceof CairnError && e.oneLine().includes('cache/ab/cd.dir'));
    }
    const ok = md5('x');
    assert.deepEqual(parseDirManifest(`[{"md5": "${ok}", "relpath": "ok/..a.txt"}]`, 'f'), [{ md5: ok, relpath: 'ok/..a.txt' }]);
  });

  it('refuses entries whose md5 is not a file hash (a path, a .dir id, upper case, short)', () => {
    for (const bad of ['../../../../etc/passwd', `${md5('x')}.dir`, md5('x').toUpperCase(), 'abc', 'e2/q/outside/secret']) {
      const text = JSON.stringify([{ md5: bad, relpath: 'a.txt' }]);
      assert.throws(() => parseDirManifest(text, 'cache/ab/cd.dir'), (e: unknown) => e instanceof CairnError && e.code === 'BAD_HASH' && e.oneLine().includes('cache/ab/cd.dir'));
    }
  });
});
