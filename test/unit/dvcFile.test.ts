import { strict as assert } from 'node:assert';
import { DvcFile } from '../../src/core/outputs/dvcFile';
import { CairnError } from '../../src/core/errors';

const root = '/repo';
const parse = (text: string) => DvcFile.parse(text, '/repo/data.dvc', 'data.dvc', root);

function rejects(text: string, line: number | undefined, words: RegExp): void {
  assert.throws(
    () => parse(text),
    (e: unknown) => e instanceof CairnError && e.file === 'data.dvc' && e.line === line && words.test(e.oneLine()),
  );
}

describe('.dvc files', () => {
  it('writes a new entry exactly as dvc add does', () => {
    const f = DvcFile.create('/repo/data.dvc', 'data.dvc', 'data', root);
    f.setHashes(0, { md5: '734ba86cc7be9e6c2d8b8062ed9da41c.dir', size: 18, nfiles: 3 });
    assert.equal(f.serialize(), 'outs:\n- md5: 734ba86cc7be9e6c2d8b8062ed9da41c.dir\n  size: 18\n  nfiles: 3\n  hash: md5\n  path: data\n');
    const g = DvcFile.create('/repo/m.pkl.dvc', 'm.pkl.dvc', 'm.pkl', root);
    g.setHashes(0, { md5: 'e677fa09cf2eaf6d22152de6bb40e1af', size: 18, isexec: true });
    assert.equal(g.serialize(), 'outs:\n- md5: e677fa09cf2eaf6d22152de6bb40e1af\n  size: 18\n  isexec: true\n  hash: md5\n  path: m.pkl\n');
  });

  it('keeps comments and other keys when hashes change', () => {
    const f = parse('# the raw data\nouts:\n- md5: 0dfb53e7b982c5df6488fc234f9b2e82\n  size: 23\n  path: data  # where\n  desc: raw images\n  type: dataset\nmeta:\n  owner: ml-team\n');
    assert.equal(f.outs[0].hashName, 'md5-dos2unix', 'no hash: key means a DVC 2 entry');
    f.setHashes(0, { md5: '734ba86cc7be9e6c2d8b8062ed9da41c.dir', size: 18, nfiles: 3 });
    assert.equal(
      f.serialize(),
      '# the raw data\nouts:\n- md5: 734ba86cc7be9e6c2d8b8062ed9da41c.dir\n  size: 18\n  path: data  # where\n  desc: raw images\n  type: dataset\n  nfiles: 3\n  hash: md5\nmeta:\n  owner: ml-team\n',
    );
  });

  it('edits values in place, keeping inline comments and spacing, and drops keys no longer true', () => {
    const f = parse('outs:\n- md5: b1946ac92492d2347c6235b4d2611184 # old\n  size: 6  # bytes\n  isexec: true\n  hash: md5\n  path: model.pkl\n  desc: the model  # keep me');
    f.setHashes(0, { md5: '738bb2e5a1c2e4a4a7d0e0c8ff1a4d6f', size: 11 });
    assert.equal(
      f.serialize(),
      'outs:\n- md5: 738bb2e5a1c2e4a4a7d0e0c8ff1a4d6f # old\n  size: 11  # bytes\n  hash: md5\n  path: model.pkl\n  desc: the model  # keep me',
    );
    const g = parse('outs:\n- nfiles: 2\n  md5: 734ba86cc7be9e6c2d8b8062ed9da41c.dir\n  path: d\n');
    g.setHashes(0, { md5: 'b1946ac92492d2347c6235b4d2611184', size: 6 });
    assert.equal(g.serialize(), 'outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  path: d\n  size: 6\n  hash: md5\n');
  });

  it('names the file and line of malformed YAML, unknown keys and bad values', () => {
    rejects('outs:\n- md5: [abc\n  path: data\n', 3, /invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]/);
    rejects('outs:\n- md5: 734ba86cc7be9e6c2d8b8062ed9da41c\n  path: data\n  colour: red\n', 4, /unknown key 'colour'/);
    rejects('outputs:\n- path: data\n', 1, /unknown key 'outputs'/);
    rejects('outs:\n- md5: nothex\n  path: data\n', 2, /must be 32 hex digits/);
    rejects('outs:\n- size: 3\n', 2, /no `path:`/);
    rejects('outs:\n- md5: 734ba86cc7be9e6c2d8b8062ed9da41c\n  size: -1\n  path: data\n', 3, /whole number/);
  });

  it('refuses output paths that leave the repository', () => {
    for (const p of ['../outside', '/etc/passwd', 'a/../../x']) {
      assert.throws(
        () => parse(`outs:\n- md5: 734ba86cc7be9e6c2d8b8062ed9da41c\n  path: ${p}\n`),
        (e: unknown) => e instanceof CairnError && e.code === 'PATH_OUTSIDE_REPO' && e.line === 3,
      );
    }
  });
});
