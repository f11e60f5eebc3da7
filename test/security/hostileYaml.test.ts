import { strict as assert } from 'node:assert';
import { CairnError } from '../../src/core/errors';
import { findExpressions } from '../../src/core/pipeline/interpolate';
import { PIPELINE_LIMITS } from '../../src/core/pipeline/limits';
import { loadPipelines, PipelineSource } from '../../src/core/pipeline/load';
import { LockFile } from '../../src/core/pipeline/lockFile';
import { parseParamsText } from '../../src/core/pipeline/paramsFile';
import { findInterpolations } from '../../src/server/interpolation';
import { YamlText } from '../../src/server/yamlText';
import { cairn, cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * A repository may be a stranger's: pipeline files past the parser limits are refused with one
 * clear line naming the limit (LIMIT_EXCEEDED, file and line), never a stack, an exit 255 or
 * minutes of work; under the limits hostile shapes stay near-linear.
 */

/** dvc.yaml and the files beside it, at the root (the loader finds no other folder). */
const memorySource = (files: Record<string, string>): PipelineSource => ({
  read: async (p) => files[p],
  list: async (dir) => (dir ? [] : Object.keys(files).map((name) => ({ name, isDir: false }))),
});

const aliases = (n: number) =>
  ['vars:', '  - x:', ...Array.from({ length: n }, (_, i) => `      a${i}: &a${i} v${i}`), 'stages:', '  s:', '    cmd: echo', '    deps:', ...Array.from({ length: n }, (_, i) => `      - *a${i}`), ''].join('\n');
const matrix = (keys: number, values: number) =>
  `stages:\n  s:\n    matrix:\n${Array.from({ length: keys }, (_, k) => `      k${k}: [${Array.from({ length: values }, (_, v) => v).join(', ')}]\n`).join('')}    cmd: echo \${item.k0}\n`;
const foreach = (n: number) => `stages:\n  s:\n    foreach: [${Array.from({ length: n }, (_, i) => i).join(',')}]\n    do:\n      cmd: echo \${item}\n`;
const nested = (depth: number) => `stages:\n  s:\n    cmd: echo\n    meta: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
const oversized = () => {
  const stage = (i: number) => `  s${i}:\n    cmd: echo ${i} ${'x'.repeat(200)}\n`;
  const perStage = stage(0).length;
  return `stages:\n${Array.from({ length: Math.ceil(PIPELINE_LIMITS.documentBytes / perStage) + 1 }, (_, i) => stage(i)).join('')}`;
};

/** Load a dvc.yaml (strict: the first error thrown) and return that error. */
async function loadError(text: string, more: Record<string, string> = {}): Promise<CairnError> {
  try {
    await loadPipelines(memorySource({ 'dvc.yaml': text, ...more }));
  } catch (err) {
    if (err instanceof CairnError) return err;
    throw err;
  }
  throw new Error('loaded without an error');
}

/** The repository with these files committed, and `cairn <args>`'s exit code and stderr. */
function cliRun(files: Record<string, string>, ...args: string[]) {
  const repo = tempGitRepo();
  cairnOk(repo, 'init');
  writeFiles(repo, files);
  git(repo, 'add', '-A');
  return cairn(repo, ...args);
}

/** One `ERROR: file:line: ...` line naming the limit, exit 1 (never 255 and no stack). */
function assertLimitLine(r: { status: number | null; stderr: string }, where: RegExp, limit: RegExp): void {
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], where);
  assert.match(lines[0], limit);
  assert.doesNotMatch(r.stderr, /unexpected error|    at /);
}

describe('hostile pipeline files', function () {
  this.timeout(120_000);

  it('refuses a matrix of 10^9 stages at once, counted before generating (was a stack overflow, exit 255)', async () => {
    const e = await loadError(matrix(9, 10));
    assert.equal(e.code, 'LIMIT_EXCEEDED');
    assert.equal(e.file, 'dvc.yaml');
    assert.equal(e.line, 4);
    assert.match(e.message, /stage 's' brings the stages of 'dvc.yaml' to 1,000,000,000; the limit is 50,000 stages per dvc.yaml/);
    for (const command of [['status'], ['dag'], ['repro', '--dry']]) {
      assertLimitLine(cliRun({ 'dvc.yaml': matrix(9, 10) }, ...command), /^ERROR: dvc\.yaml:4: /, /the limit is 50,000 stages per dvc\.yaml.*Generate fewer/);
    }
  });

  it('refuses a foreach past the stage limit, and a dvc.yaml whose stages add up past it', async () => {
    const e = await loadError(foreach(PIPELINE_LIMITS.stagesPerFile + 1));
    assert.equal(e.code, 'LIMIT_EXCEEDED');
    assert.equal(e.line, 3);
    const under = await loadPipelines(memorySource({ 'dvc.yaml': foreach(2000) }));
    assert.equal(under.stages.length, 2000);
    assert.equal(under.stages[1999].name, 's@1999');
    const many = `stages:\n  plain:\n    cmd: x\n${foreach(PIPELINE_LIMITS.stagesPerFile).slice('stages:\n'.length)}`;
    const e2 = await loadError(many);
    assert.match(e2.message, /brings the stages of 'dvc.yaml' to 50,001/);
  });

  it('refuses more YAML aliases than the limit, in dvc.yaml, dvc.lock and params files', async () => {
    const n = PIPELINE_LIMITS.aliases + 1;
    const e = await loadError(aliases(n));
    assert.equal(e.code, 'LIMIT_EXCEEDED');
    assert.match(e.message, /'dvc.yaml' has too many YAML aliases; the limit is 1,000 aliases/);
    assert.equal(e.line, 2 + n + 4 + n, 'the line of the first alias past the limit: after 2 + n lines of vars, 4 of the stage, and n - 1 aliases');
    const underLimit = await loadPipelines(memorySource({ 'dvc.yaml': aliases(PIPELINE_LIMITS.aliases) }));
    assert.equal(underLimit.stages.length, 1);
    const lock = `schema: '2.0'\nstages:\n${Array.from({ length: n + 1 }, (_, i) => `  s${i}:\n    cmd: ${i === 0 ? '&c echo' : '*c'}\n`).join('')}`;
    assert.throws(() => LockFile.parse(lock, 'dvc.lock'), (err: unknown) => err instanceof CairnError && err.code === 'LIMIT_EXCEEDED' && err.file === 'dvc.lock');
    const params = `a: &a 1\n${Array.from({ length: n }, (_, i) => `k${i}: *a\n`).join('')}`;
    assert.throws(() => parseParamsText(params, 'params.yaml'), (err: unknown) => err instanceof CairnError && err.code === 'LIMIT_EXCEEDED' && err.file === 'params.yaml');
    // Read as a vars file for dvc.yaml, the params file's limit names the params file.
    const viaVars = await loadError('stages:\n  s:\n    cmd: echo ${a}\n', { 'params.yaml': params });
    assert.equal(viaVars.code, 'LIMIT_EXCEEDED');
    assert.equal(viaVars.file, 'params.yaml');
    assertLimitLine(cliRun({ 'dvc.yaml': aliases(50_000) }, 'status'), /^ERROR: dvc\.yaml:\d+: /, /too many YAML aliases; the limit is 1,000 aliases/);
  });

  it('refuses a pipeline file past the size limit before parsing it', async () => {
    const text = oversized();
    const e = await loadError(text);
    assert.equal(e.code, 'LIMIT_EXCEEDED');
    assert.match(e.message, /'dvc.yaml' is 16\.\d MiB; the limit is 16 MiB per pipeline, lock or params file/);
    assert.throws(() => LockFile.parse(text, 'dvc.lock'), (err: unknown) => err instanceof CairnError && err.code === 'LIMIT_EXCEEDED');
    assertLimitLine(cliRun({ 'dvc.yaml': text }, 'dag'), /^ERROR: dvc\.yaml: /, /the limit is 16 MiB/);
  });

  it('refuses nesting past the depth limit, however deep (no stack overflow), in YAML and TOML', async () => {
    for (const depth of [PIPELINE_LIMITS.depth + 10, 100_000]) {
      const e = await loadError(nested(depth));
      assert.equal(e.code, 'LIMIT_EXCEEDED', e.message);
      assert.match(e.message, /nests mappings and lists too deeply; the limit is 100 levels/);
    }
    // TOML params/vars files too: dotted keys nest a table per part (the TOML parser itself ran out of stack at 20,000).
    for (const depth of [PIPELINE_LIMITS.depth + 10, 20_000]) {
      const toml = `${Array.from({ length: depth }, () => 'a').join('.')} = 1\n`;
      assert.throws(() => parseParamsText(toml, 'p.toml'), (err: unknown) => err instanceof CairnError && err.code === 'LIMIT_EXCEEDED' && err.file === 'p.toml' && /too deeply/.test(err.message));
    }
    assert.deepEqual(parseParamsText('a.b.c = 1\n', 'p.toml'), { a: { b: { c: 1 } } });
    const fine = await loadPipelines(memorySource({ 'dvc.yaml': nested(20) }));
    assert.equal(fine.stages.length, 1);
    assertLimitLine(cliRun({ 'dvc.yaml': nested(100_000) }, 'status'), /^ERROR: dvc\.yaml:4: /, /too deeply; the limit is 100 levels/);
  });

  it('cairn lint reports each limit as one diagnostic, exit 1, and the language server does not throw', () => {
    const r = cliRun({ 'dvc.yaml': matrix(9, 10), 'sub/dvc.yaml': aliases(2000) }, 'lint');
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^dvc\.yaml:4:7: error: .*the limit is 50,000 stages per dvc\.yaml.* \[LIMIT_EXCEEDED\]$/m);
    assert.match(r.stdout, /^sub\/dvc\.yaml:\d+:\d+: error: .*too many YAML aliases; the limit is 1,000 aliases.* \[YAML_LIMIT_EXCEEDED\]$/m);
    const yaml = new YamlText(nested(100_000), 'dvc.yaml');
    assert.equal(yaml.doc.errors.length, 1);
    assert.equal(yaml.value, null);
  });

  it('finds duplicate keys in a 50,000-key mapping as the parser does, at the duplicate', async () => {
    const text = `stages:\n${Array.from({ length: 50_000 }, (_, i) => `  s${i}:\n    cmd: echo ${i}\n`).join('')}  s7:\n    cmd: x\n`;
    const e = await loadError(text);
    assert.equal(e.code, 'BAD_FILE');
    assert.match(e.message, /invalid YAML: Map keys must be unique/);
    assert.equal(e.line, 100_002);
    const small = await loadError('stages:\n  a:\n    cmd: x\n    cmd: y\n');
    assert.match(small.message, /Map keys must be unique/);
    assert.equal(small.line, 4);
  });

  it('reads 200,000 unclosed `${` in one pass, in the loader and the language server', async function () {
    // Quadratic before (20 s for 100,000); linear now. The timeout is the only clock here.
    this.timeout(30_000);
    const cmd = '${'.repeat(200_000);
    assert.deepEqual(findExpressions(cmd), []);
    assert.deepEqual(findExpressions(`${cmd}x}`).map((e) => [e.start, e.end]), [[0, cmd.length + 2]]);
    const p = await loadPipelines(memorySource({ 'dvc.yaml': `stages:\n  s:\n    cmd: "${cmd}"\n` }));
    assert.equal(p.stages[0].cmd, cmd);
    assert.deepEqual(findInterpolations(new YamlText(`stages:\n  s:\n    cmd: "${cmd}"\n`)), []);
    const spaces = `\${${' '.repeat(200_000)}x.}`;
    const e = await loadError(`stages:\n  s:\n    cmd: "echo ${spaces}"\n`);
    assert.ok(e.oneLine().length < 400, 'the expression is shortened in the message');
    assert.match(e.message, /invalid expression '\$\{ +…\}'/);
  });

  it('aliases of aliases that would double into a billion values (YAML "billion laughs") stop at the expansion limit, in one line', () => {
    const laughs = ['vars:', '  - l0: &l0 [lol, lol]', ...Array.from({ length: 30 }, (_, i) => `    l${i + 1}: &l${i + 1} [*l${i}, *l${i}]`), 'stages:', '  s:', '    cmd: echo', '    meta: *l30', ''].join('\n');
    assertLimitLine(cliRun({ 'dvc.yaml': laughs }, 'status'), /^ERROR: dvc\.yaml:\d+: /, /expands its YAML aliases past 20,000 values/);
  });
});
