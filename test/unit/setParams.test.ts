import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { CairnError } from '../../src/core/errors';
import { isSweep, OverrideElement, OverrideSyntaxError, parseOverride, printElement, printOverride, QuotedString, sweepElements } from '../../src/core/experiments/overrideGrammar';
import { hasSweep, parseSetParams, sweepOverrides } from '../../src/core/experiments/setParams';
import { applyParamOverrides, overrideParamsText } from '../../src/core/experiments/applyParamOverrides';
import { PyFloat } from '../../src/core/pipeline/values';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { git, tempGitRepo, writeFiles } from '../support/fixtures';
import { override, paramsFiles } from '../support/paramsArbitraries';

/** The element of a one-value override. */
function valueOf(text: string): OverrideElement {
  const value = parseOverride(text).value;
  assert.equal(value?.kind, 'element');
  return (value as { element: OverrideElement }).element;
}

/** The text after overrides (the -S arguments for one file). */
function edited(file: string, text: string, ...args: string[]): string {
  return overrideParamsText(text, file, parseSetParams(args.map((a) => `${file}:${a}`))[0].overrides).text;
}

describe('-S arguments', () => {
  it('take the file before the first `:` only when it comes before `=`', () => {
    assert.deepEqual(
      parseSetParams(['lr=a:b', 'conf/t.json:x.y=1', 'params.yaml:z=2', 'a.toml:b=c:d']).map((g) => [g.file, g.overrides.map((o) => o.input)]),
      [['params.yaml', ['lr=a:b', 'z=2']], ['conf/t.json', ['x.y=1']], ['a.toml', ['b=c:d']]],
    );
  });

  it('name the argument and what to do when it is wrong', () => {
    const fails = (arg: string, pattern: RegExp) =>
      assert.throws(() => parseSetParams([arg]), (err: unknown) => err instanceof CairnError && err.code === 'USAGE' && pattern.test(err.oneLine()));
    fails('lr=[1', /^-S 'lr=\[1' is not a valid override: unexpected end of the override \(column 6\)\. Write -S \[<file>:\]<key>=<value>/);
    fails('a b=1', /^-S 'a b=1' is not a valid override: token recognition error at: ' '/);
    fails('params.py:lr=1', /'params\.py' is not a params file Cairn can change\. Cairn does not rewrite Python params files/);
    fails('conf.cfg:lr=1', /'conf\.cfg' is not a params file Cairn can change\. Name a \.yaml, \.yml, \.json or \.toml file/);
    fails('=1', /names no key/);
    fails('db@pkg=1', /looks like a config group override, but config group 'db' does not exist/);
    fails('lr=foo(1)', /Unknown function 'foo'/);
  });
});

describe('-S override grammar', () => {
  it('reads values with their types, as Hydra does', () => {
    assert.equal(valueOf('a=1_000'), 1000);
    assert.deepEqual(valueOf('a=1.0'), new PyFloat(1));
    assert.equal(valueOf('a=1e-3'), 0.001);
    assert.equal(valueOf('a=-inf'), -Infinity);
    assert.equal(valueOf('a=TRUE'), true);
    assert.equal(valueOf('a=null'), null);
    assert.equal(valueOf('a=01'), '01');
    assert.equal(valueOf('a= two words '), 'two words');
    assert.equal(valueOf('a=a\\,b'), 'a,b');
    assert.equal(valueOf('a=${x.y}'), '${x.y}');
    assert.equal(valueOf('a='), '');
    assert.deepEqual(valueOf("a='1.5'"), new QuotedString('1.5', "'"));
    assert.deepEqual(valueOf('a=[1, [x]]'), [1, ['x']]);
    assert.deepEqual(valueOf('a={b: 1, c: {d: e}}'), new Map<string, OverrideElement>([['b', 1], ['c', new Map([['d', 'e']])]]));
    assert.deepEqual(valueOf('a={1: x, true: y}'), new Map([['1', 'y']])); // Python: 1 == True, one key
    assert.equal(valueOf('a=int(3.9)'), 3);
    assert.equal(valueOf('a=str(0.5)'), '0.5');
    assert.deepEqual(
      ['k=1', '+k=1', '++k=1', '~k', '~k=1'].map((t) => [parseOverride(t).type, parseOverride(t).value !== undefined]),
      [['change', true], ['add', true], ['forceAdd', true], ['delete', false], ['delete', true]],
    );
  });

  it('tells sweeps from values and lists their values in order', () => {
    const values = (text: string) => sweepElements(parseOverride(text).value!);
    assert.equal(isSweep(parseOverride('a=1').value), false);
    assert.equal(isSweep(parseOverride('a=[1,2]').value), false);
    assert.deepEqual(values('a=1,x,[2]'), [1, 'x', [2]]);
    assert.deepEqual(values('a=choice(1, 2)'), [1, 2]);
    assert.deepEqual(values('a=range(3)'), [0, 1, 2]);
    assert.deepEqual(values('a=range(5, 0, -2)'), [5, 3, 1]);
    // Hydra steps float ranges with exact decimals of the floats, so 0.1 + 0.2 is what the doubles add to.
    assert.deepEqual(values('a=range(0, 0.4, 0.1)'), [new PyFloat(0), 0.1, 0.2, 0.30000000000000004]);
    assert.deepEqual(values('a=range(1.0, 2.0, 0.5)'), [new PyFloat(1), 1.5]);
    assert.deepEqual(
      sweepOverrides(parseOverride('+a.b=1,two,[3]')).map((o) => o.input),
      ['+a.b=1', '+a.b=two', '+a.b=[3]'],
    );
    assert.throws(() => sweepOverrides(parseOverride('a=glob(*)')), /Glob override 'a=glob\(\*\)' is not supported/);
    assert.throws(() => sweepOverrides(parseOverride('a=interval(0, 1)')), /does not support sweep type : INTERVAL_SWEEP/);
    assert.throws(() => values('a=range(0, 1, 0)'), OverrideSyntaxError);
    assert.equal(hasSweep(parseSetParams(['a=1', 'b.json:c=1,2'])), true);
  });

  it('prints an element so that it parses back to the same element (Hydra\'s printing)', () => {
    const scalar: fc.Arbitrary<OverrideElement> = fc.oneof(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.double({ noNaN: true, noDefaultInfinity: false }).filter((d) => !Number.isInteger(d) && !Object.is(d, -0)),
      fc.integer({ min: -1000, max: 1000 }).map((n) => new PyFloat(n)),
      fc.boolean(),
      fc.constant(null),
      fc.string({ minLength: 1, maxLength: 8 }).map((s) => new QuotedString(s, "'")),
      fc.string({ minLength: 1, maxLength: 8 }).map((s) => new QuotedString(s, '"')),
      fc.stringMatching(/^[a-z_][a-z0-9_ ,:=()[\]{}\\-]{0,8}[a-z]$/),
    );
    const element = fc.letrec<{ value: OverrideElement }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), tie('value')), { maxLength: 3 }).map((pairs) => new Map(pairs))),
    })).value;
    fc.assert(
      fc.property(element, (e) => {
        assert.deepEqual(valueOf(`a=${printElement(e)}`), e);
      }),
      { seed: 15, numRuns: 2000 },
    );
  });

  it('parses again what it printed of any override it read (print ∘ parse is stable)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        let first;
        try {
          first = parseOverride(`a=${text}`);
        } catch (err) {
          if (err instanceof OverrideSyntaxError) return; // refused: fine, the point is no other error
          throw err;
        }
        if (first.value?.kind !== 'element' || text.includes('(')) return; // functions print their results, not their calls
        const again = parseOverride(printOverride(first));
        assert.deepEqual(again.value, first.value);
      }),
      { seed: 16, numRuns: 5000 },
    );
  });

  it('never fails on random text with anything but its own error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (text) => {
        try {
          parseSetParams([text]);
        } catch (err) {
          if (!(err instanceof CairnError)) throw err;
        }
      }),
      { seed: 17, numRuns: 5000 },
    );
  });
});

describe('-S applied to params files in place', () => {
  const YAML = `# training
train:
  lr: 0.1   # rate
  layers:
    - 64
    - 32
  opt: {name: adam, beta: 0.9}

    # spaced comment
name: run   # name
`;

  it('YAML: changes only the characters of the changed values', () => {
    assert.equal(edited('p.yaml', YAML, 'train.lr=0.25'), YAML.replace('lr: 0.1', 'lr: 0.25'));
    assert.equal(edited('p.yaml', YAML, 'train.opt.name=sgd'), YAML.replace('name: adam', 'name: sgd'));
    assert.equal(edited('p.yaml', YAML, 'train.layers.1=16'), YAML.replace('- 32', '- 16'));
    assert.equal(edited('p.yaml', YAML, 'train.layers=[1,2,3]'), YAML.replace('- 64\n    - 32', '- 1\n    - 2\n    - 3'));
    assert.equal(edited('p.yaml', YAML, '+train.momentum=1.0'), YAML.replace('beta: 0.9}\n', 'beta: 0.9}\n  momentum: 1.0\n'));
    assert.equal(edited('p.yaml', YAML, '~train.lr'), YAML.replace('  lr: 0.1   # rate\n', ''));
    assert.equal(edited('p.yaml', YAML, '~train.opt.beta'), YAML.replace(', beta: 0.9', ''));
    assert.equal(edited('p.yaml', YAML, 'name=true'), YAML.replace('name: run', 'name: true'));
    assert.equal(edited('p.yaml', YAML, 'name="true"'), YAML.replace('name: run', 'name: "true"'), 'a string that reads as another type is quoted');
    assert.equal(edited('p.yaml', 'a:\n  b: 1 # only\nc: 2\n', '~a.b'), 'a: {}\nc: 2\n');
    assert.equal(edited('p.yaml', 'a: 1\n', '+b.c=x: y'), 'a: 1\nb: {c: "x: y"}\n');
    assert.equal(edited('p.yaml', '', '+a=1'), 'a: 1\n');
    assert.throws(() => edited('p.yaml', 'base: &b {lr: 1}\ntrain: *b\n', 'base.lr=2'), /shares values through anchors and aliases/);
  });

  it('JSON: keeps the indentation and order; new keys take the spacing of the key before', () => {
    const json = '{\n  "a": 1,\n  "b": {"c": [1, 2]},\n  "d": "x"\n}\n';
    assert.equal(edited('p.json', json, 'a=2.0'), json.replace('"a": 1', '"a": 2.0'));
    assert.equal(edited('p.json', json, '+e=[1,{f: null}]'), json.replace('"d": "x"', '"d": "x",\n  "e": [1, {"f": null}]'));
    assert.equal(edited('p.json', json, '~b'), '{\n  "a": 1,\n  "d": "x"\n}\n');
    assert.equal(edited('p.json', json, '~d'), '{\n  "a": 1,\n  "b": {"c": [1, 2]}\n}\n');
    assert.throws(() => edited('p.json', json, 'b.c.0=inf'), /cannot write inf into a JSON file: JSON has no NaN or Infinity/);
  });

  it('TOML: changes the key\'s line, removes a table\'s sections, adds after the last key of the table', () => {
    const toml = '# top\nname = "x"  # n\n\n[train]\nlr = 0.1   # rate\nopt = {name = "adam"}\n\n[train.sub]\nx = 1\n';
    assert.equal(edited('p.toml', toml, 'train.lr=1e-05'), toml.replace('lr = 0.1', 'lr = 1e-05'));
    assert.equal(edited('p.toml', toml, '+train.epochs=3'), toml.replace('{name = "adam"}\n', '{name = "adam"}\nepochs = 3\n'));
    assert.equal(edited('p.toml', toml, 'train.opt.name=sgd'), toml.replace('"adam"', '"sgd"'));
    assert.equal(edited('p.toml', toml, '~train.sub'), '# top\nname = "x"  # n\n\n[train]\nlr = 0.1   # rate\nopt = {name = "adam"}\n\n');
    assert.equal(edited('p.toml', toml, '+seed=1'), toml.replace('# n\n', '# n\nseed = 1\n'));
    assert.throws(() => edited('p.toml', toml, 'train.lr=null'), /TOML has no null value/);
    assert.throws(() => edited('p.toml', '[[runs]]\nlr = 1\n', 'runs.0.lr=2'), /inside an array of tables/);
  });

  it('writes exactly the values the overrides give, in random files of each format (or refuses with a CairnError)', () => {
    let written = 0;
    fc.assert(
      fc.property(paramsFiles, fc.array(override, { minLength: 1, maxLength: 3 }), ([file, text], overrides) => {
        try {
          if (overrideParamsText(text, file, parseSetParams(overrides.map((o) => `${file}:${o}`))[0].overrides).changed) written++;
        } catch (err) {
          // The self-check (the new text read back holds other values) must never fire.
          if (!(err instanceof CairnError) || /in place without changing others/.test(err.message)) throw err;
        }
      }),
      { seed: 18, numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
    );
    assert.ok(written > Number(process.env.FUZZ_RUNS ?? 3000) / 10, `a tenth of the cases change the file (${written})`);
  });

  it('changes nothing when a value is already what the override sets', () => {
    const r = overrideParamsText(YAML, 'p.yaml', parseSetParams(['p.yaml:train.lr=0.1']).map((g) => g.overrides)[0]);
    assert.equal(r.changed, false);
    assert.equal(r.text, YAML);
  });
});

describe('-S on a repository', () => {
  async function withRepo(files: Record<string, string>, fn: (root: string, repo: Repo) => Promise<void>): Promise<void> {
    const root = tempGitRepo();
    await init(root);
    writeFiles(root, files);
    git(root, 'add', '-A');
    await Repo.using(root, {}, (repo) => fn(root, repo));
  }

  it('writes through a temp file and a rename, keeping the file\'s mode, and leaves no temp file', async () => {
    await withRepo({ 'params.yaml': 'lr: 0.1\n' }, async (root, repo) => {
      const file = path.join(root, 'params.yaml');
      fs.chmodSync(file, 0o640);
      const inode = fs.statSync(file).ino;
      const result = await applyParamOverrides(repo, parseSetParams(['lr=0.2'])[0]);
      assert.equal(result.changed, true);
      assert.equal(fs.readFileSync(file, 'utf8'), 'lr: 0.2\n');
      assert.equal(fs.statSync(file).mode & 0o777, 0o640);
      assert.notEqual(fs.statSync(file).ino, inode, 'a new file renamed into place');
      assert.deepEqual(fs.readdirSync(root).filter((n) => n.endsWith('.tmp')), []);
    });
  });

  it('refuses a params file outside the repository, in .git, or reached through a link that leaves it', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.yaml'), 'token: abc\n');
    await withRepo({ 'params.yaml': 'lr: 0.1\n', 'real/p.yaml': 'lr: 1\n' }, async (root, repo) => {
      fs.symlinkSync(path.join(outside, 'secret.yaml'), path.join(root, 'linked.yaml'));
      fs.symlinkSync(outside, path.join(root, 'dir'));
      const refused = async (arg: string, code: string, pattern: RegExp) =>
        assert.rejects(applyParamOverrides(repo, parseSetParams([arg])[0]), (err: unknown) => err instanceof CairnError && err.code === code && pattern.test(err.oneLine()));
      await refused('linked.yaml:token=x', 'UNSAFE_PATH', /refusing to change params file 'linked\.yaml': it leads through a link to a place that is outside/);
      await refused('dir/secret.yaml:token=x', 'UNSAFE_PATH', /refusing to write or delete 'dir\/secret\.yaml'/);
      await refused('../x.yaml:+a=1', 'PATH_OUTSIDE_REPO', /is outside the repository/);
      await refused('.git/x.yaml:+a=1', 'UNSAFE_PATH', /\.git/);
      assert.equal(fs.readFileSync(path.join(outside, 'secret.yaml'), 'utf8'), 'token: abc\n');
      // A link that stays inside: its target changes and the link stays a link, as dvc writes through it.
      fs.symlinkSync('real/p.yaml', path.join(root, 'inside.yaml'));
      await applyParamOverrides(repo, parseSetParams(['inside.yaml:lr=2'])[0]);
      assert.equal(fs.readFileSync(path.join(root, 'real/p.yaml'), 'utf8'), 'lr: 2\n');
      assert.ok(fs.lstatSync(path.join(root, 'inside.yaml')).isSymbolicLink());
    });
  });

  it('leaves the file as it was when an override fails, even after others succeeded', async () => {
    await withRepo({ 'params.yaml': 'a: 1\nb: 2\n' }, async (root, repo) => {
      await assert.rejects(applyParamOverrides(repo, parseSetParams(['a=5', 'c=1'])[0]), /Could not override 'c'/);
      assert.equal(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), 'a: 1\nb: 2\n');
    });
  });
});
