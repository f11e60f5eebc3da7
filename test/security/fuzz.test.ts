import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { CairnError } from '../../src/core/errors';
import { parseDirManifest } from '../../src/core/hashing/dirManifest';
import { parseRunCacheEntry, runCacheHashes } from '../../src/core/pipeline/runCache';
import { DvcFile } from '../../src/core/outputs/dvcFile';
import { loadPipelines, PipelineSource } from '../../src/core/pipeline/load';
import { lintPipelines } from '../../src/core/pipeline/lint';
import { LockFile } from '../../src/core/pipeline/lockFile';
import { parseParamsText } from '../../src/core/pipeline/paramsFile';
import { overrideParamsText } from '../../src/core/experiments/applyParamOverrides';
import { parseSetParams } from '../../src/core/experiments/setParams';
import { environmentJson, parseEnvironmentRecord } from '../../src/core/experiments/environmentNotes';
import { ConfigFile } from '../../src/core/repo/config';
import { Repo } from '../../src/core/repo/repo';
import { openRemote } from '../../src/core/remotes/openRemote';
import { configuredRemotes } from '../../src/core/remotes/remoteConfig';
import { redactUrl } from '../../src/core/remotes/redactUrl';
import { ParamsFiles } from '../../src/server/paramsFile';
import { PipelineSchemas } from '../../src/server/schemas';
import { validateDocument, validationInput } from '../../src/server/validateDocument';
import { YamlText } from '../../src/server/yamlText';
import { tempDir } from '../support/fixtures';
import { ExpShowCache } from '../../src/core/experiments/showCache';
import { isoLocalTime } from '../../src/core/experiments/revisionData';
import { expTable } from '../../src/core/experiments/table';
import { parseWandbSweep } from '../../src/core/experiments/wandbSweep';
import { wandbSweepRuns } from '../../src/core/experiments/wandbSweepRuns';
import { parseTagName } from '../../src/core/registry/tagNames';
import { parseLegacyIndex } from '../../src/core/registry/legacyIndex';
import { parseGtoConfig } from '../../src/core/registry/gtoConfig';

/**
 * Every parser of bytes a stranger's repository or remote provides, fed valid files mutated
 * (so inputs get past the first parse): each input gets a result or a CairnError, within 2 s.
 * Anything else (a TypeError, a RangeError from deep nesting, a hang) is an unexpected error.
 * The seed is fixed: a failure is repeatable, and fast-check prints the shrunk input.
 * FUZZ_RUNS sets the number of inputs per parser (default 1000).
 */
const SEED = 20261206;
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const LIMIT_MS = 2000;

const MD5 = 'b1946ac92492d2347c6235b4d2611184';
const DVC_FILES = [
  `outs:\n- md5: ${MD5}\n  size: 6\n  hash: md5\n  path: data\n`,
  `# comment\nouts:\n- md5: 734ba86cc7be9e6c2d8b8062ed9da41c.dir\n  size: 18\n  nfiles: 3\n  hash: md5\n  path: images\n  desc: raw images\n  type: dataset\n  labels: [a, b]\n  remote: store\n  push: false\nmeta:\n  owner: ml\n`,
  `wdir: sub\nfrozen: true\ndeps:\n- path: https://example.com/x.csv\n  etag: abc\nouts:\n- md5: ${MD5}\n  path: x.csv\n  cache: false\n  isexec: true\n`,
];
const PIPELINES = [
  `vars:\n  - params.yaml\n  - base: data\nstages:\n  prepare:\n    foreach: \${sets}\n    do:\n      cmd: python prep.py \${item} \${train.lr}\n      deps:\n        - \${base}/\${item}\n      outs:\n        - out/\${item}\n  train:\n    matrix:\n      lr: [0.1, 0.01]\n      model: [a, b]\n    cmd: python train.py --lr \${item.lr} --model \${item.model}\n    params:\n      - train.lr\n      - other.yaml:\n        - x\n    outs:\n      - models/\${item.model}-\${item.lr}.pkl:\n          cache: true\n    metrics:\n      - metrics.json:\n          cache: false\n    plots:\n      - plots.csv:\n          x: step\nmetrics:\n  - metrics.json\nplots:\n  - plots.csv\nartifacts:\n  model:\n    path: models/a-0.1.pkl\n    type: model\n`,
  `stages:\n  a:\n    cmd: cat b > a\n    wdir: sub\n    deps: [b]\n    outs: [a]\n    frozen: false\n  b:\n    cmd:\n      - echo 1\n      - echo 2 > ../b\n    outs:\n      - b:\n          persist: true\n`,
];
const PARAMS_FILES: Record<string, string> = {
  'params.yaml': 'sets: [x, y]\ntrain:\n  lr: 0.01\n  layers: [1, 2, {a: b}]\nfolder: data\n',
  'other.yaml': 'x: 1\n',
  'params.json': '{"train": {"lr": 0.01, "epochs": [1, 2.5e3, null, true]}, "name": "\\u00e9"}',
  'params.toml': '[train]\nlr = 0.01\nepochs = 5\nwhen = 1979-05-27T07:32:00Z\n[[runs]]\nname = "a"\n',
};
const LOCKS = [
  `schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data\n      hash: md5\n      md5: 734ba86cc7be9e6c2d8b8062ed9da41c.dir\n      size: 18\n      nfiles: 3\n    params:\n      params.yaml:\n        train.lr: 0.01\n    outs:\n    - path: model.pkl\n      hash: md5\n      md5: ${MD5}\n      size: 6\n      isexec: true\n`,
];
const DIRS = [`[{"md5": "${MD5}", "relpath": "a.txt"}, {"md5": "734ba86cc7be9e6c2d8b8062ed9da41c", "relpath": "sub/b \\u00e9.txt"}]`];
const ENVIRONMENT_NOTES = [
  JSON.stringify({
    schema: 1,
    interpreters: [{ name: 'python', path: '/usr/bin/python3', version: '3.11.2' }, { name: 'node', path: '/usr/bin/node', version: null }],
    lockfiles: { 'requirements.txt': 'a'.repeat(64), 'sub/uv.lock': 'b'.repeat(64) },
    virtualenv: { path: '/home/u/.venv', packages: { numpy: '1.26.4', PyYAML: '6.0.1' } },
    os: { platform: 'linux', release: '6.1.0', arch: 'x64' },
    cpu: { model: 'AMD EPYC', count: 2 },
    gpus: [{ name: 'A100', driver_version: '535.54.03', memory_total: '40960 MiB' }],
    stages: [{ name: 'train', cmd: ['python train.py', 'echo done'], duration: 1.25, exit_code: 0 }, { name: 'eval', cmd: [], duration: 0, exit_code: null }],
  }),
];
const SHA = 'e9060c4272b1dd5666463cf763b28fa742507946';
const EXP_SHOW_CACHES = [
  JSON.stringify({
    format: 1,
    revisions: {
      [SHA]: {
        firstParent: null,
        time: 1796555134,
        data: {
          params: { 'params.yaml': { data: { train: { lr: 0.1, layers: [1, 2.5, 'x'], name: null } } } },
          metrics: { 'eval/metrics.json': { data: { auc: 0.95, nested: { f1: 0.1, ok: true } } } },
          deps: { 'data.txt': { hash: MD5, size: 2, nfiles: null } },
          outs: { eval: { hash: `${MD5}.dir`, size: 40, nfiles: 1, use_cache: true, is_data_source: false } },
          meta: {},
        },
      },
    },
  }),
];
const CONFIGS = [
  `[core]\n    remote = store\n    autostage = true\n['remote "store"']\n    url = s3://bucket/path\n    endpointurl = http://127.0.0.1:9\n    jobs = 4\n[cache]\n    type = reflink,copy\n`,
  `[core]\nremote = f\n[remote "f"]\nurl = ../remote-folder\n[remote "g"]\nurl = file:///tmp/store\n`,
];

/** Tokens that have broken parsers before, or could: path tricks, YAML features, numbers, unicode. */
const TOKENS = [
  '..', '../', '/', '\\', '\0', '${', '${item}', '${a.b[0]}', '}', '&a ', '*a', '<<: *a\n', '!!binary ', '!!python/object:os.system ', '? ',
  '1e400', '-1', '-0', '.nan', '0x1F', '99999999999999999999999999', '1.', "'2.0'", '~', 'null', 'true', 'yes', '""', "''", '"',
  '\t', '\r\n', '\n', ': ', '- ', '---\n', '...\n', '%YAML 1.1\n', '#', '[', ']', '{', '}', ',', '=', '[[x]]', '\ufeff', '\u202e',
  'é', '💥', '\ud800', '.git/hooks/post-checkout', '.dvc/config', '/etc/passwd', 'C:\\x', 's3://a:b@c/d', 'file://u:p@/x',
];
const JSON_VALUES: unknown[] = [
  '..', '../x', '/etc/passwd', 'a/../../b', '', '.', 'a//b', 'a/', 'C:x', '\0', '.git/hooks/post-checkout', '../../../../../../tmp/x',
  `${MD5}/../x`, MD5.toUpperCase(), `${MD5}.dir`, 'x'.repeat(10000), -1, 1e308, null, true, [], {}, [[[]]],
];
const WRONG_VALUES = ['..foo', 'data/../x', '.git/config', 'sub/.DVC/x', '\"\\u0000\"', '[1]', '{a: 1}', 'null', '1.5', '"x"', 'true', '-', '-1', '1e400', '[]', '{}', '*a', '${x}', '.', '..'];

type Mutation =
  | { kind: 'flip'; at: number; char: string }
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'insertInValue'; at: number; token: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicateLine'; at: number }
  | { kind: 'wrongValue'; at: number; value: string }
  | { kind: 'nest'; at: number; depth: number; open: string }
  | { kind: 'aliasBomb' }
  | { kind: 'jsonValue'; at: number; value: unknown };

// Uniform: fast-check's default bias toward the extremes would mutate the first line most of the time.
const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n: number) => n / 1_000_000);
// Weighted toward mutations that keep the file parseable (a wrong value, a token inside a value,
// a duplicated line), so most inputs reach the checks behind the first parse; a few break it.
const jsonValue = fc.record({ kind: fc.constant('jsonValue' as const), at: position, value: fc.oneof(fc.constantFrom(...JSON_VALUES), fc.jsonValue({ maxDepth: 3 })) });
const textMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, char: fc.oneof(fc.constantFrom(...TOKENS.filter((t) => t.length === 1)), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, token: fc.constantFrom(...TOKENS) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('insertInValue' as const), at: position, token: fc.constantFrom(...TOKENS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('duplicateLine' as const), at: position }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('wrongValue' as const), at: position, value: fc.constantFrom(...WRONG_VALUES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), at: position, depth: fc.integer({ min: 50, max: 5000 }), open: fc.constantFrom('[', '{', '- ', '{a: ') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'aliasBomb' as const }) },
);
/** For JSON texts (a `.dir` manifest, params.json): mostly one value replaced, structure kept. */
const jsonMutation: fc.Arbitrary<Mutation> = fc.oneof({ weight: 6, arbitrary: jsonValue }, { weight: 1, arbitrary: textMutation });

function mutate(text: string, m: Mutation): string {
  const where = 'at' in m ? m.at : 0;
  const at = Math.floor(where * text.length);
  const lines = text.split('\n');
  const lineAt = Math.min(lines.length - 1, Math.floor(where * lines.length));
  switch (m.kind) {
    case 'flip':
      return text.slice(0, at) + m.char + text.slice(at + 1);
    case 'insert':
      return text.slice(0, at) + m.token + text.slice(at);
    case 'insertInValue': {
      // Inside the value of the key on that line, where a token changes what the value means more than the syntax.
      const line = lines[lineAt];
      const colon = line.search(/[:=] /);
      const cut = colon < 0 ? line.length : colon + 2 + Math.floor((line.length - colon - 2) * ((m.at * lines.length) % 1));
      return [...lines.slice(0, lineAt), line.slice(0, cut) + m.token + line.slice(cut), ...lines.slice(lineAt + 1)].join('\n');
    }
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.length);
    case 'duplicateLine':
      return [...lines.slice(0, lineAt + 1), lines[lineAt], ...lines.slice(lineAt + 1)].join('\n');
    case 'wrongValue': {
      // The value of the key on that line (YAML `key: value`, INI `key = value`, JSON `"key": value`).
      // A parent key (`outs:` above its items) loses its block: the new value replaces all of it.
      const line = lines[lineAt].replace(/^(\s*(?:- )?[^:=\s]+\s*[:=])\s*.*$/, `$1 ${m.value}`);
      const indent = /^\s*/.exec(lines[lineAt])![0].length;
      let end = lineAt + 1;
      if (/[:=]\s*$/.test(lines[lineAt])) {
        while (end < lines.length && (/^\s*$/.test(lines[end]) || /^\s*/.exec(lines[end])![0].length > indent || /^\s*- /.test(lines[end].slice(indent, indent + 2) === '- ' ? lines[end] : ''))) end++;
      }
      return [...lines.slice(0, lineAt), line, ...lines.slice(end)].join('\n');
    }
    case 'nest':
      return text.slice(0, at) + m.open.repeat(m.depth) + text.slice(at);
    case 'jsonValue': {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        return text.slice(0, at) + JSON.stringify(m.value) + text.slice(at);
      }
      // The leaves in order; the one at `at` is replaced.
      const leaves: [Record<string, unknown> | unknown[], string | number][] = [];
      const visit = (v: unknown) => {
        if (v && typeof v === 'object') for (const k of Object.keys(v)) (typeof (v as any)[k] === 'object' && (v as any)[k] ? visit((v as any)[k]) : leaves.push([v as any, Array.isArray(v) ? Number(k) : k]));
      };
      visit(data);
      if (leaves.length === 0) return JSON.stringify(m.value);
      const [parent, key] = leaves[Math.min(leaves.length - 1, Math.floor(m.at * leaves.length))];
      (parent as any)[key] = m.value;
      return JSON.stringify(data);
    }
    case 'aliasBomb': {
      const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
      return `${levels.join('\n')}\n${text}`;
    }
  }
}

const mutated = (seeds: string[], mutation: fc.Arbitrary<Mutation>) =>
  fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([seed, ms]) => ms.reduce(mutate, seed));

/** Per parser: how many inputs, the slowest one, and how many were refused with a CairnError (at the syntax, or after it). */
const figures: { parser: string; inputs: number; refused: number; syntax: number; maxMs: number }[] = [];
const SYNTAX_ERROR = /invalid (YAML|JSON|TOML)|bad JSON|structure is corrupted|too deeply/;

async function fuzz(parser: string, seeds: string[], run: (text: string) => unknown, mutation = textMutation): Promise<void> {
  const figure = { parser, inputs: 0, refused: 0, syntax: 0, maxMs: 0 };
  figures.push(figure);
  for (const seed of seeds) await run(seed); // the seeds themselves are valid
  await fc.assert(
    fc.asyncProperty(mutated(seeds, mutation), async (text) => {
      const started = performance.now();
      try {
        await run(text);
      } catch (err) {
        if (!(err instanceof CairnError)) throw err; // an unexpected error: fast-check shrinks and prints the input
        figure.refused++;
        if (SYNTAX_ERROR.test(err.message)) figure.syntax++;
        if (process.env.FUZZ_SHOW) process.stdout.write(`${parser}: ${err.oneLine().slice(0, 160)}${process.env.FUZZ_SHOW === "text" ? JSON.stringify(text) : ""}\n`);
      } finally {
        const ms = performance.now() - started;
        figure.inputs++;
        figure.maxMs = Math.max(figure.maxMs, ms);
        assert.ok(ms < LIMIT_MS, `took ${Math.round(ms)} ms`);
      }
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
}

/** A repository made of strings: dvc.yaml and its params files, for the pipeline loader. */
function memorySource(files: Record<string, string>): PipelineSource {
  return {
    read: async (rel) => files[rel],
    list: async (dir) => (dir === '' ? Object.keys(files).map((name) => ({ name, isDir: false })) : []),
  };
}

describe('fuzzing every parser of repository and remote bytes', function () {
  this.timeout(300_000);
  const root = tempDir();
  fs.mkdirSync(path.join(root, '.dvc'));
  const services = { schemas: new PipelineSchemas(), params: new ParamsFiles() };
  const lint = (text: string, kind: 'dvc' | 'pipeline' | 'lock', load?: () => Promise<{ root: string; relFile: string; pipelines: Awaited<ReturnType<typeof loadPipelines>> }>) => {
    const file = path.join(root, kind === 'dvc' ? 'data.dvc' : kind === 'lock' ? 'dvc.lock' : 'dvc.yaml');
    return validateDocument(validationInput({ yaml: new YamlText(text), kind, file }, services, { schemaChecks: true, load }));
  };

  after(() => {
    process.stdout.write(`      fuzz (seed ${SEED}, limit ${LIMIT_MS} ms per input):\n`);
    for (const f of figures) {
      const counts = `${String(f.inputs - f.refused).padStart(4)} read, ${String(f.refused - f.syntax).padStart(4)} refused after parsing, ${String(f.syntax).padStart(4)} at the syntax`;
      process.stdout.write(`        ${f.parser.padEnd(28)} ${String(f.inputs).padStart(5)} inputs: ${counts}, 0 unexpected; slowest ${f.maxMs.toFixed(1)} ms\n`);
    }
  });

  it('.dvc files: DvcFile.parse and the lint of the same text', async () => {
    await fuzz('.dvc (DvcFile.parse)', DVC_FILES, (text) => DvcFile.parse(text, path.join(root, 'data.dvc'), 'data.dvc', root));
    await fuzz('.dvc (lint)', DVC_FILES, (text) => lint(text, 'dvc'));
  });

  it('dvc.yaml with vars, foreach, matrix and params: loadPipelines (strict and not), lintPipelines, the lint', async () => {
    const load = (text: string, strict: boolean) => loadPipelines(memorySource({ ...PARAMS_FILES, 'dvc.yaml': text }), { strict, files: ['dvc.yaml'] });
    await fuzz('dvc.yaml (loadPipelines)', PIPELINES, (text) => load(text, true));
    await fuzz('dvc.yaml (lint)', PIPELINES, async (text) => {
      const pipelines = await load(text, false);
      lintPipelines(pipelines, { exists: () => true });
      return lint(text, 'pipeline', async () => ({ root, relFile: 'dvc.yaml', pipelines }));
    });
  });

  it('params files: YAML, JSON and TOML, read alone and as vars of a pipeline', async () => {
    for (const name of ['params.yaml', 'params.json', 'params.toml']) {
      await fuzz(name, [PARAMS_FILES[name]], (text) => parseParamsText(text, name), name.endsWith('.json') ? jsonMutation : textMutation);
    }
    // `exp run -S` edits these files in place: the editors read the same bytes after the parser.
    const overrides = ['train.lr=0.5', '+train.momentum=0.9', '~train.epochs', '++name=x', '+train.layers={a: 1}', 'train.layers.0=7'];
    for (const name of ['params.yaml', 'params.json', 'params.toml']) {
      await fuzz(`${name} (-S in place)`, [PARAMS_FILES[name]], (text) => {
        for (const o of overrides) {
          try {
            overrideParamsText(text, name, parseSetParams([`${name}:${o}`])[0].overrides);
          } catch (err) {
            // An override the file cannot take (a missing key) is expected; the self-check of the written text must never fire.
            if (!(err instanceof CairnError) || /in place without changing others/.test(err.message)) throw err;
          }
        }
      }, name.endsWith('.json') ? jsonMutation : textMutation);
    }
    await fuzz('params.yaml (as vars)', [PARAMS_FILES['params.yaml']], (text) =>
      loadPipelines(memorySource({ ...PARAMS_FILES, 'params.yaml': text, 'dvc.yaml': PIPELINES[0] }), { strict: true, files: ['dvc.yaml'] }),
    );
  });

  it('dvc.lock: LockFile.parse, each stage read, and the lint', async () => {
    await fuzz('dvc.lock (LockFile)', LOCKS, (text) => {
      const lock = LockFile.parse(text, 'dvc.lock');
      for (const name of ['train', 'a', '']) lock.stage(name);
      return lock.serialize();
    });
    await fuzz('dvc.lock (lint)', LOCKS, (text) => lint(text, 'lock'));
  });

  it('run-cache entries: parsed, checked and hashed', async () => {
    const entry = `cmd: python train.py\ndeps:\n- path: data\n  hash: md5\n  md5: ${MD5}.dir\n  size: 4\n  nfiles: 2\nparams:\n  params.yaml:\n    lr: 0.1\n    size: 3\n    opt: {kind: adam, layers: [1, 2.0]}\nouts:\n- path: model.bin\n  hash: md5\n  md5: ${MD5}\n  size: 5\n`;
    const { key, value } = runCacheHashes(parseRunCacheEntry(Buffer.from(entry), 'entry'));
    await fuzz('run-cache entry', [entry], (text) => parseRunCacheEntry(Buffer.from(text), 'entry', { key, value }));
  });

  it('W&B sweep files: parsed, checked, and their runs listed or drawn', async () => {
    const sweeps = [
      'program: train.py\nmethod: grid\nmetric: {name: acc, goal: maximize}\nrun_cap: 50\nparameters:\n  train.lr: {values: [0.1, 0.01, 1.0e-3]}\n  train.epochs: {min: 1, max: 4}\n  step: {distribution: q_uniform, min: 0, max: 1, q: 0.25}\n  model:\n    parameters:\n      depth: {value: 3}\n      act: {values: [relu, [1, 2], {a: b}]}\n',
      'method: random\nrun_cap: 5\nearly_terminate: {type: hyperband, min_iter: 3}\nparameters:\n  a: {distribution: normal, mu: 1, sigma: 2}\n  b: {distribution: log_uniform_values, min: 0.001, max: 1}\n  c: {values: [x, y], probabilities: [0.3, 0.7]}\n  d: {distribution: q_log_normal, q: 2}\n  conf/t.yaml:e: {distribution: inv_log_uniform_values, min: 1, max: 9}\n  +f: {distribution: q_normal}\n',
    ];
    await fuzz('W&B sweep file', sweeps, (text) => wandbSweepRuns(parseWandbSweep(text, 'sweep.yaml'), { seed: 1 }));
  });

  it("the model registry: GTO tag names and the legacy artifacts.yaml", async () => {
    await fuzz('GTO tag name', ['model@v1.2.3-rc.1+b.5', 'sub/dir=m#prod!#12', 'm@deprecated', 'a-b_c/d@v0.0.1!'], (text) => parseTagName(text));
    await fuzz('.gto (gto config)', ['stages: [dev, staging, prod]\ntypes:\n  - model\n  - dataset\nemojis: false\nenrichments:\n  - type: gto\n    config: {}\n'], (text) => parseGtoConfig(text, '/repo/.gto'));
    await fuzz('artifacts.yaml (legacy)', ['m:\n  type: model\n  path: m.pkl\n  virtual: false\n  labels: [a, b]\n  description: d\n  custom: {k: [1, 2]}\nn:\n  path: x\n'], (text) => parseLegacyIndex(text));
  });

  it('.dir manifests', async () => {
    await fuzz('.dir (parseDirManifest)', DIRS, (text) => parseDirManifest(text, 'files/md5/73/4ba86cc7be9e6c2d8b8062ed9da41c.dir'), jsonMutation);
  });

  it('environment notes (refs/notes/cairn): parseEnvironmentRecord, and the record written back', async () => {
    await fuzz('environment note', ENVIRONMENT_NOTES, (text) => environmentJson(parseEnvironmentRecord(text)), jsonMutation);
  });

  it("exp show's cache (.dvc/tmp/cairn/exp-show): what is read back is printed as exp show prints it", async () => {
    const dvcDir = path.join(tempDir(), '.dvc');
    const folder = path.join(dvcDir, 'tmp', 'cairn', 'exp-show');
    fs.mkdirSync(folder, { recursive: true });
    await fuzz('exp show cache (load, table)', EXP_SHOW_CACHES, (text) => {
      fs.writeFileSync(path.join(folder, `${SHA}.json`), text);
      const cache = new ExpShowCache({ dvcDir } as Repo);
      cache.load([SHA]);
      const found = cache.get(SHA);
      if (!found) return undefined;
      const state = { rev: SHA, name: null, data: { rev: SHA, timestamp: isoLocalTime(found.time), ...found.data }, error: null, experiments: null };
      JSON.stringify(state);
      return expTable([state], { fillValue: '-', precision: 5, isoTime: false });
    }, jsonMutation);
  });

  it('.dvc/config and remote URLs: the config parsed, every remote opened (nothing is sent)', async () => {
    const repoDir = tempDir();
    fs.mkdirSync(path.join(repoDir, '.dvc'));
    const repo = Repo.open(repoDir);
    const configFile = path.join(repoDir, '.dvc', 'config');
    const openAll = (text: string) => {
      repo.config.levels.set('repo', ConfigFile.parse(text, configFile));
      repo.linkTypes;
      for (const name of configuredRemotes(repo).keys()) {
        try {
          openRemote(repo, name).close();
        } catch (err) {
          if (!(err instanceof CairnError)) throw err;
        }
      }
    };
    try {
      await fuzz('config (ConfigFile, remotes)', CONFIGS, openAll);
      const urls = ['s3://bucket/path', 's3://AKIA:secret@bucket/p', 'file:///tmp/store', 'file://localhost/tmp/x', '/tmp/store', 'relative/store'];
      await fuzz('remote url (openRemote)', urls, (url) => {
        redactUrl(url);
        openAll(`[remote "r"]\nurl = ${url.replace(/[\r\n]/g, '')}\n`);
      });
    } finally {
      await repo.close();
    }
  });
});
