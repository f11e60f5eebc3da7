import { strict as assert } from 'node:assert';
import { dumpLockYaml } from '../../src/core/pipeline/lockYaml';
import { LockFile } from '../../src/core/pipeline/lockFile';
import { paramsKeys } from '../../src/core/pipeline/stageAdd';
import { PyFloat } from '../../src/core/pipeline/values';

// Expected texts were produced by DVC 3.67.1's own dumper (ruamel.yaml) for the same values.
describe('dvc.lock writing', () => {
  it('quotes scalars as ruamel does', () => {
    const values: Record<string, unknown> = {
      a: 1e-5, b: new PyFloat(1e20), c: new PyFloat(1), d: null, e: 'yes', f: '1.0', g: '', h: 'a: b', i: '-x', j: [], k: {}, l: 'true', m: Infinity,
      n: 'x\ny', o: '#x', p: "it's", q: 'ü', s: '${x}', t: 'null', u: '~', v: '0x10', w: '1e3', x: '@a', y: 'a #b', z: 'trailing ',
      aa: '- x', ab: 'x:', ac: '?x', ad: 'a\tb', ae: 'On', af: '2024-01-01', ag: '1_000', ah: 'x,y', ai: '[x]', aj: '*a', ak: '!a', al: '%a', am: 'a\'b"c',
    };
    const expected = [
      'a: 1e-05', 'b: 1e+20', 'c: 1.0', 'd:', 'e: yes', "f: '1.0'", "g: ''", "h: 'a: b'", 'i: -x', 'j: []', 'k: {}', "l: 'true'", 'm: .inf',
      'n: "x\\ny"', "o: '#x'", "p: it's", 'q: ü', 's: ${x}', "t: 'null'", "u: '~'", "v: '0x10'", "w: '1e3'", "x: '@a'", "y: 'a #b'", "z: 'trailing '",
      "aa: '- x'", "ab: 'x:'", 'ac: ?x', 'ad: "a\\tb"', 'ae: On', "af: '2024-01-01'", "ag: '1_000'", 'ah: x,y', "ai: '[x]'", "aj: '*a'", "ak: '!a'", "al: '%a'", 'am: a\'b"c',
    ];
    assert.equal(dumpLockYaml(values as never), expected.join('\n') + '\n');
  });

  it('folds long scalars at ruamel\'s points, trailing space included', () => {
    const folded = [69, 71, 72].map((n) => dumpLockYaml({ cmd: 'a'.repeat(n) + ' bbb ccc' }));
    assert.deepEqual(folded, [
      `cmd: ${'a'.repeat(69)} bbb \n  ccc\n`,
      `cmd: ${'a'.repeat(71)} bbb\n  ccc\n`,
      `cmd: ${'a'.repeat(72)} \n  bbb ccc\n`,
    ]);
    assert.equal(
      dumpLockYaml({ cmd: ['echo ' + 'word '.repeat(30), 'short'] }),
      "cmd:\n- 'echo word word word word word word word word word word word word word word word\n  word word word word word word word word word word word word word word word '\n- short\n",
    );
  });

  it('keeps other stages where they are and appends new ones, deps and outs sorted by path', () => {
    const lock = LockFile.parse("schema: '2.0'\nstages:\n  b:\n    cmd: x\n  a:\n    cmd: y\n", 'dvc.lock');
    lock.setStage('b', { cmd: 'z', deps: [{ path: 'é', hash: 'md5', md5: 'a1', size: 1 }, { path: 'z', hash: 'md5', md5: 'a2', size: 2 }], params: {}, outs: [] });
    lock.setStage('c', { cmd: 'w', deps: [], params: { 'params.yaml': { lr: new PyFloat(1) } }, outs: [{ path: 'd', hash: 'md5', md5: 'e.dir', size: 3, nfiles: 2 }] });
    assert.equal(lock.serialize(), [
      "schema: '2.0'", 'stages:', '  b:', '    cmd: z', '    deps:', '    - path: z', '      hash: md5', '      md5: a2', '      size: 2',
      '    - path: é', '      hash: md5', '      md5: a1', '      size: 1', '  a:', '    cmd: y', '  c:', '    cmd: w', '    params:', '      params.yaml:',
      '        lr: 1.0', '    outs:', '    - path: d', '      hash: md5', '      md5: e.dir', '      size: 3', '      nfiles: 2', '',
    ].join('\n'));
    assert.throws(() => LockFile.parse("schema: '1.0'\n", 'dvc.lock'), /unsupported lock file schema/);
  });

  it('writes -p values as dvc stage add does', () => {
    assert.deepEqual(paramsKeys(['lr,epochs', 'conf.yaml:b,a', 'all.json:', 'epochs']), ['epochs', 'lr', { 'all.json': null }, { 'conf.yaml': ['a', 'b'] }]);
  });
});
