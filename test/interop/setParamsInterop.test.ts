import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvc, git, tempGitRepo, writeFiles, dvcOk } from '../support/fixtures';
import { CairnError } from '../../src/core/errors';
import { Repo } from '../../src/core/repo/repo';
import { applyParamOverrides } from '../../src/core/experiments/applyParamOverrides';
import { hasSweep, parseSetParams } from '../../src/core/experiments/setParams';
import { paramsEdits } from '../../src/core/experiments/paramsEdits';
import { parseParamsText } from '../../src/core/pipeline/paramsFile';
import { ParamValue, PyFloat, pyFloatRepr } from '../../src/core/pipeline/values';
import { overrideParamsText } from '../../src/core/experiments/applyParamOverrides';
import fc from 'fast-check';
import { dvcApplyOverrides } from '../support/dvcApplyOverrides';
import { override, paramsFiles } from '../support/paramsArbitraries';

/** Random cases for the comparison with dvc's apply_overrides (FUZZ_RUNS raises it). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

/**
 * `-S` overrides applied by Cairn against the real `dvc exp run -S` (3.67.1) on the same
 * repository: YAML, JSON and TOML params files. For each case dvc makes an experiment; the
 * params files in its commit (`git show <exp-ref>:<file>`) must hold the same values, of the
 * same types, as the files Cairn writes from the same baseline. Cairn also keeps every comment
 * (dvc rewrites JSON on one line and YAML lists in block style: formatting may differ, values not).
 * Errors: where dvc fails, Cairn fails with Hydra's words and changes nothing.
 */

const FILES: Record<string, string> = {
  'params.yaml': `# training params
train:
  lr: 0.1   # learning rate
  epochs: 10
  layers: [64, 32]
  opt: {name: adam, beta: 0.9}
  nothing: null
  dropout: 0.5
name: base # the run name
seed: 42
`,
  'params.json': `{
    "train": {
        "lr": 0.1,
        "epochs": 10,
        "layers": [64, 32],
        "opt": {"name": "adam", "beta": 0.9}
    },
    "name": "base"
}
`,
  'params.toml': `# model config
name = "base"  # the run name

[train]
lr = 0.1   # learning rate
epochs = 10
layers = [64, 32]
opt = {name = "adam", beta = 0.9}

[train.sub]
x = 1

[other]
y = "z"
`,
  'dvc.yaml': `stages:
  show:
    cmd: cat params.yaml params.json params.toml > out.txt
    deps:
    - params.yaml
    - params.json
    - params.toml
    outs:
    - out.txt:
        cache: false
`,
};

/** Each case: the -S arguments of one experiment. */
const CASES: string[][] = [
  ['train.lr=0.2', 'params.json:train.lr=0.3', 'params.toml:train.lr=0.4'],
  ['train.epochs=20', 'name=tuned', 'params.json:name="quoted name"', 'params.toml:name=x y'],
  ['+train.momentum=0.9', 'params.json:+train.momentum=1.0', 'params.toml:+train.momentum=1e-3'],
  ['~train.dropout', 'params.json:~train.epochs', 'params.toml:~train.epochs'],
  ['++train.lr=1', '++new.deep.key=3', 'params.json:++new.deep.key=[1,2]', 'params.toml:++new.deep.key=true'],
  ['train.layers.0=128', 'train.opt.name=sgd', 'params.json:train.layers=[1,2,3]', 'params.toml:train.opt.name=sgd'],
  ['train={lr: 0.5, epochs: 5}', 'params.json:+train.opt={momentum: 0.1}', 'params.toml:train.sub.x=2'],
  ['train.lr=${train.epochs}', 'train.nothing=3', 'params.json:train.opt.beta=null', 'params.toml:~other.y'],
  ['seed=int(7.9)', 'train.dropout=str(0.25)', 'params.json:train.epochs=float(3)', 'params.toml:train.epochs=-1_000'],
  ['+train.lr.deep=1', 'train.opt=5', 'params.json:~train.opt', 'params.toml:~train.sub', 'params.toml:+train.extra={a: 1, b: [x, y]}'],
  ['~train.lr=0.1', 'train.opt={}', 'params.json:name=', 'params.toml:name=\'a "b" c\''],
  ['new.yaml:+a.b=1', 'new.json:+c=[1]', 'new.toml:+d=x'],
];

/** Cases dvc refuses: Cairn must refuse them too, with the same words, and change nothing. */
const ERRORS: { args: string[]; words: string }[] = [
  { args: ['train.newkey=1'], words: "Could not override 'train.newkey'. To append to your config use +train.newkey=1" },
  { args: ['params.json:train.x.y=1'], words: "Could not override 'train.x.y'. To append to your config use +train.x.y=1" },
  { args: ['params.toml:+train.lr=1'], words: "Could not append to config. An item is already at 'train.lr'." },
  { args: ['~train.nothing'], words: "Could not delete from config. 'train.nothing' does not exist." },
  { args: ['~train.lr=0.3'], words: "Could not delete from config. The value of 'train.lr' is 0.1 and not 0.3." },
  { args: ['train={zz: 1}'], words: "Could not override 'train'." },
  { args: ['train.layers.5=1'], words: 'Error merging override train.layers.5=1' },
  { args: ['train.opt=[1]'], words: 'Error merging override train.opt=[1]' },
];

const FILE_NAMES = ['params.yaml', 'params.json', 'params.toml'];

describe('-S params overrides, compared with dvc exp run -S', () => {
  let repo: string;
  let baseline: string;

  before(() => {
    repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    writeFiles(repo, FILES);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'baseline');
    baseline = git(repo, 'rev-parse', 'HEAD').trim();
  });

  function resetWorkspace(): void {
    git(repo, 'reset', '-q', '--hard', baseline);
    git(repo, 'clean', '-fdq');
  }

  /** Cairn's apply on the baseline's files; the files' texts afterwards. */
  async function cairnApply(args: string[]): Promise<Record<string, string>> {
    resetWorkspace();
    await Repo.using(repo, {}, async (r) => {
      for (const group of parseSetParams(args)) await applyParamOverrides(r, group);
    });
    const files = new Set([...FILE_NAMES, ...parseSetParams(args).map((g) => g.file)]);
    return Object.fromEntries([...files].filter((f) => fs.existsSync(path.join(repo, f))).map((f) => [f, fs.readFileSync(path.join(repo, f), 'utf8')]));
  }

  function valuesOf(files: Record<string, string>): Record<string, Record<string, ParamValue>> {
    return Object.fromEntries(Object.entries(files).map(([f, text]) => [f, parseParamsText(text, f)]));
  }

  /** The files differ in value or type (1 vs 1.0 vs '1'): the differing paths, else []. */
  function differences(ours: Record<string, Record<string, ParamValue>>, theirs: Record<string, Record<string, ParamValue>>): string[] {
    const out: string[] = [];
    for (const file of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      if (!(file in ours) || !(file in theirs)) out.push(`${file}: only in ${file in ours ? 'Cairn' : 'dvc'}`);
      else for (const e of paramsEdits(ours[file], theirs[file])) out.push(`${file}: ${e.kind} ${[...e.path, ...(e.kind === 'add' ? [e.key] : [])].join('.')}`);
    }
    return out;
  }

  CASES.forEach((args, i) => {
    it(`gives the values dvc's experiment has: -S ${args.join(' -S ')}`, async () => {
      resetWorkspace();
      const name = `case-${i}`;
      dvcOk(repo, 'exp', 'run', '-n', name, ...args.flatMap((a) => ['-S', a]));
      const ref = `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
      const files = new Set([...FILE_NAMES, ...parseSetParams(args).map((g) => g.file)]);
      const theirs: Record<string, string> = {};
      for (const f of files) theirs[f] = git(repo, 'show', `${ref}:${f}`);
      const ours = await cairnApply(args);
      assert.deepEqual(differences(valuesOf(ours), valuesOf(theirs)), []);
      // What dvc does not do: every comment of the baseline that is not on a removed line is still there.
      for (const f of FILE_NAMES) {
        const comments = FILES[f].split('\n').filter((l) => l.includes('#')).map((l) => l.slice(l.indexOf('#')));
        const kept = comments.filter((c) => ours[f].includes(c));
        assert.ok(kept.length >= comments.length - 1, `${f} keeps its comments:\n${ours[f]}`);
      }
    });
  });

  ERRORS.forEach(({ args, words }) => {
    it(`fails as dvc fails, changing nothing: -S ${args.join(' -S ')}`, async () => {
      resetWorkspace();
      const theirs = dvc(repo, 'exp', 'run', ...args.flatMap((a) => ['-S', a]));
      assert.notEqual(theirs.status, 0);
      assert.ok(theirs.stderr.replace(/\n/g, ' ').includes(words), theirs.stderr);
      resetWorkspace();
      const before = FILE_NAMES.map((f) => fs.readFileSync(path.join(repo, f), 'utf8'));
      await assert.rejects(
        Repo.using(repo, {}, async (r) => {
          for (const group of parseSetParams(args)) await applyParamOverrides(r, group);
        }),
        (err: unknown) => err instanceof CairnError && err.oneLine().includes(words),
      );
      assert.deepEqual(FILE_NAMES.map((f) => fs.readFileSync(path.join(repo, f), 'utf8')), before);
    });
  });

  it('refuses a malformed override and a sweep without the queue, as dvc does', () => {
    resetWorkspace();
    const bad = dvc(repo, 'exp', 'run', '-S', 'train.lr=[');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /no viable alternative at input/);
    assert.throws(() => parseSetParams(['train.lr=[']), (err: unknown) => err instanceof CairnError && /^-S 'train\.lr=\[' is not a valid override/.test(err.oneLine()));
    const sweep = dvc(repo, 'exp', 'run', '-S', 'train.lr=0.1,0.2');
    assert.notEqual(sweep.status, 0);
    assert.match(sweep.stderr, /Sweep overrides can't be used without `--queue`/);
    assert.equal(hasSweep(parseSetParams(['train.lr=0.1,0.2'])), true);
    assert.equal(hasSweep(parseSetParams(['train.lr=0.1', 'params.json:name=range(1,3)'])), true);
    assert.equal(hasSweep(parseSetParams(['train.lr=0.1'])), false);
  });
});

describe('-S params overrides, compared with dvc\'s own apply_overrides on random files', () => {
  /** Cairn's values in the shape `dvcApplyOverrides` prints. */
  function encode(v: ParamValue): unknown {
    if (v === null) return null;
    if (typeof v === 'boolean') return { b: v };
    if (v instanceof PyFloat) return { f: pyFloatRepr(v.value) };
    if (typeof v === 'number') return Number.isInteger(v) ? { i: String(v) } : { f: pyFloatRepr(v) };
    if (typeof v === 'string') return { s: v };
    if (Array.isArray(v)) return v.map(encode);
    return { d: Object.entries(v).map(([k, x]) => [k, encode(x)]) };
  }

  /**
   * dvc's dicts in the order a JS object keeps keys: integer-like keys first, ascending (Cairn's
   * values are JS objects, so a new key `0` reads first; in the file it is written last, as dvc does).
   */
  function inJsKeyOrder(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(inJsKeyOrder);
    if (v && typeof v === 'object' && 'd' in v) {
      const entries = (v as { d: [string, unknown][] }).d.map(([k, x]) => [k, inJsKeyOrder(x)] as [string, unknown]);
      const isIndex = (k: string) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;
      return { d: [...entries.filter(([k]) => isIndex(k)).sort((a, b) => Number(a[0]) - Number(b[0])), ...entries.filter(([k]) => !isIndex(k))] };
    }
    return v;
  }

  function sortedKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortedKeys);
    if (v && typeof v === 'object' && 'd' in v) return { d: (v as { d: [string, unknown][] }).d.map(([k, x]) => [k, sortedKeys(x)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))) };
    return v;
  }

  function withoutEmptyTables(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(withoutEmptyTables);
    if (v && typeof v === 'object' && 'd' in v) {
      const entries = (v as { d: [string, unknown][] }).d.map(([k, x]) => [k, withoutEmptyTables(x)] as [string, unknown]);
      return { d: entries.filter(([, x]) => !(x && typeof x === 'object' && 'd' in x && (x as { d: unknown[] }).d.length === 0)) };
    }
    return v;
  }

  it('gives the values (types and key order too) dvc gives, and fails where dvc fails', () => {
    const cases = fc.sample(fc.tuple(paramsFiles, fc.array(override, { minLength: 1, maxLength: 3 })), { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 19) }).map(([[file, text], overrides]) => ({ file, text, overrides }));
    const theirs = dvcApplyOverrides(cases);
    let applied = 0;
    const differences = cases.flatMap((c, i) => {
      let ours: { values: unknown } | { error: string };
      try {
        // What the written file holds, read back (not the values computed before writing).
        const written = overrideParamsText(c.text, c.file, parseSetParams(c.overrides.map((o) => `${c.file}:${o}`))[0].overrides).text;
        ours = { values: encode(parseParamsText(written, c.file)) };
        applied++;
      } catch (err) {
        if (!(err instanceof CairnError)) throw err;
        ours = { error: err.message };
      }
      const their = 'values' in theirs[i] ? { values: inJsKeyOrder((theirs[i] as { values: unknown }).values) } : theirs[i];
      if ('error' in ours && 'error' in their) return [];
      // A TOML writer must put tables after plain keys, so dvc's tomlkit moves them: key order is not compared there;
      // nor empty tables, which tomlkit drops when their only sub-table is deleted (`~b.a` leaves no `b`; Cairn keeps `[b]`).
      const shown = (v: unknown) => JSON.stringify(c.file.endsWith('.toml') ? withoutEmptyTables(sortedKeys(v)) : v);
      if ('values' in ours && 'values' in their && shown(ours.values) === shown(their.values)) return [];
      return [{ ...c, ours, theirs: their }];
    });
    if (process.env.SHOW_DIFFS) for (const d of differences) console.log(JSON.stringify(d));
    assert.deepEqual(differences, []);
    assert.ok(applied > RUNS / 10, `a tenth of the cases apply (${applied})`);
  });
});
