import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { parse as parseYaml } from 'yaml';
import { CairnError } from '../../src/core/errors';
import { DvcFile } from '../../src/core/outputs/dvcFile';
import { ParamsFiles } from '../../src/server/paramsFile';
import { PipelineSchemas } from '../../src/server/schemas';
import { validateDocument, validationInput } from '../../src/server/validateDocument';
import { YamlText } from '../../src/server/yamlText';
import { tempDir } from '../support/fixtures';

const MD5 = 'b1946ac92492d2347c6235b4d2611184';
const out = (extra: string, p = 'data') => `outs:\n- md5: ${MD5}\n  size: 6\n  hash: md5\n  path: ${p}\n${extra}`;

/**
 * Each case: the `.dvc` text, and the line (1-based) the CLI and lint both name, or undefined
 * when both accept it. What the real dvc 3.67.1 does is noted where Cairn differs.
 */
const CASES: [string, string, number | undefined, RegExp?][] = [
  ['empty file (dvc: tracks nothing)', '', undefined],
  ['comment only', '# nothing\n', undefined],
  ['outs: null (dvc: tracks nothing)', 'outs:\n', undefined],
  ['nfiles -1 (dvc accepts it)', out('  nfiles: -1\n'), 6, /'nfiles' in output must be a whole number of files/],
  ['hash sha256 (dvc reads it as another hash)', out('').replace('hash: md5', 'hash: sha256'), 4, /'hash' in output must be 'md5'/],
  ['size 1e400', out('').replace('size: 6', 'size: 1e400'), 3, /'size' in output must be a whole number of bytes .*not Infinity/],
  ['size as a string', out('').replace('size: 6', 'size: "6"'), 3, /'size' in output must be/],
  ['size null', out('').replace('size: 6', 'size:'), 3, /'size' in output must be/],
  ['path .', out('', '.'), 5, /output '\.' is the repository itself/],
  ['cache "no"', out('  cache: "no"\n'), 6, /'cache' in output must be true or false, not 'no'/],
  ['isexec "yes"', out('  isexec: "yes"\n'), 6, /'isexec' in output must be true or false/],
  ['push 1', out('  push: 1\n'), 6, /'push' in output must be true or false/],
  ['remote [1]', out('  remote: [1]\n'), 6, /'remote' in output must be a remote name, not a list/],
  ['desc 1', out('  desc: 1\n'), 6, /'desc' in output must be a string/],
  ['labels not a list', out('  labels: a\n'), 6, /'labels' in output must be a list of strings/],
  ['top desc 1', `desc: 1\n${out('')}`, 1, /'desc' must be a string/],
  ['frozen "yes"', `frozen: "yes"\n${out('')}`, 1, /'frozen' must be true or false/],
  ['cmd (an old single-stage key dvc refuses)', `cmd: echo\n${out('')}`, 1, /unknown key 'cmd'/],
  ['metric (dvc refuses it in .dvc files)', out('  metric: true\n'), 6, /unknown key 'metric' in output/],
  ['md5 5', out('').replace(`md5: ${MD5}`, 'md5: 5'), 2, /'md5' in output must be 32 hex digits/],
  ['md5 a path', out('').replace(`md5: ${MD5}`, 'md5: ../../x'), 2, /'md5' in output must be 32 hex digits/],
  ['path 5', out('', '5').replace('path: 5', 'path: [5]'), 5, /'path' in output must be a non-empty path/],
  ['no path', 'outs:\n- md5: ' + MD5 + '\n', 2, /output has no `path:`/],
  ['outs a map', 'outs: {path: data}\n', 1, /'outs' must be a list of outputs/],
  ['an output that is not a map', 'outs:\n- data\n', 2, /each output must be a mapping/],
  ['a list at the top', '- outs\n', 1, /expected a mapping/],
  ['..foo is a legal name', out('', '..foo'), undefined],
  ['../foo leaves the repository', out('', '../foo'), 5, /output '\.\.\/foo' is outside the repository/],
  ['/etc/passwd', out('', '/etc/passwd'), 5, /is outside the repository/],
  ['.git/hooks/post-checkout', out('  isexec: true\n', '.git/hooks/post-checkout'), 5, /output '\.git\/hooks\/post-checkout' is inside \.git\/, which belongs to git \(it runs hooks from there\)/],
  ['.dvc/config', out('', '.dvc/config'), 5, /output '\.dvc\/config' is inside \.dvc\/, which holds DVC's config and cache/],
  ['.dvc/cache/files/md5/ab/cd', out('', '.dvc/cache/files/md5/ab/cd'), 5, /inside \.dvc\//],
  ['sub/.GIT/x (case-insensitive)', out('', 'sub/.GIT/x'), 5, /inside \.GIT\//],
  ['wdir into .git', `wdir: .git\n${out('', 'hooks/post-checkout')}`, 6, /inside \.git\//],
  ['a path listed twice', out('') + `- md5: ${MD5}\n  path: ./data\n`, 7, /output '\.\/data' is listed twice/],
];

describe('.dvc files: one check for the CLI and lint', () => {
  const root = tempDir();
  fs.mkdirSync(path.join(root, '.dvc'));
  const file = path.join(root, 'data.dvc');
  const services = { schemas: new PipelineSchemas(), params: new ParamsFiles() };

  for (const [name, text, line, words] of CASES) {
    it(`${name}: ${line === undefined ? 'accepted by both' : `refused by both at line ${line}`}`, async () => {
      let thrown: unknown;
      try {
        DvcFile.parse(text, file, 'data.dvc', root);
      } catch (err) {
        thrown = err;
      }
      const yaml = new YamlText(text);
      const diagnostics = await validateDocument(validationInput({ yaml, kind: 'dvc', file }, services, { schemaChecks: true }));
      const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
      if (line === undefined) {
        assert.equal(thrown, undefined, `the CLI refused it: ${(thrown as Error)?.message}`);
        assert.deepEqual(errors, [], 'lint flags it');
        return;
      }
      assert.ok(thrown instanceof CairnError, `the CLI accepted it (or crashed: ${String(thrown)})`);
      assert.equal(thrown.file, 'data.dvc');
      assert.equal(thrown.line, line, thrown.oneLine());
      assert.match(thrown.oneLine(), words!);
      assert.ok(errors.some((d) => d.range.start.line === line - 1), `lint has no error at line ${line}: ${JSON.stringify(errors)}`);
    });
  }

  it('the schema agrees with the check on every case whose verdict does not depend on where the file is', () => {
    const validate = services.schemas.validator('dvc');
    // The schema cannot know the file's folder: `.`, `..` and absolute paths, duplicates and wdir are the check's alone.
    const positional = /path \.|\.\.\/foo|\/etc\/passwd|wdir|twice|no path/;
    for (const [name, text, line] of CASES) {
      if (positional.test(name)) continue;
      const value = parseYaml(text) ?? {};
      assert.equal(validate(value), line === undefined, `${name}: schema says ${validate(value) ? 'valid' : JSON.stringify(validate.errors)}`);
    }
  });

  it('warns that an empty file tracks nothing, and says why a path is refused at the path', async () => {
    const empty = await validateDocument(validationInput({ yaml: new YamlText(''), kind: 'dvc', file }, services, { schemaChecks: true }));
    assert.deepEqual(empty.map((d) => [d.severity, d.message]), [[DiagnosticSeverity.Warning, 'This file tracks nothing (no `outs:`). Remove it, or restore it from git.']]);
    const text = out('', '.git/hooks/post-checkout');
    const [d] = await validateDocument(validationInput({ yaml: new YamlText(text), kind: 'dvc', file }, services, { schemaChecks: true }));
    assert.equal(d.code, 'UNSAFE_PATH');
    assert.deepEqual(d.range, { start: { line: 4, character: 8 }, end: { line: 4, character: 32 } });
  });
});
