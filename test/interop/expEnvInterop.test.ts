import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cairn, cairnOk, dvcOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureDvc } from '../support/peers';
import { commitAll } from '../support/metricsJson';
import * as fs from 'node:fs';
import { parsePythonJson } from '../../src/core/metrics/dataFile';
import { startEnvironmentCapture } from '../../src/core/experiments/environment';
import { ENVIRONMENT_NOTES_REF, writeEnvironmentNote } from '../../src/core/experiments/environmentNotes';

/**
 * The environment record in `exp show --json` (issue 15, "what ran is recorded"): a note in
 * `refs/notes/cairn` on an experiment dvc made shows in that experiment's `data.meta.environment`;
 * everything else, and the output of a repository without notes, is dvc's.
 */

const TRAIN = `import json
lr = float(open('params.yaml').read().split(':')[1])
json.dump({'acc': lr * 2}, open('metrics.json', 'w'))
`;

function showJson(root: string): { ours: any[]; theirs: any[]; stderr: string } {
  const r = cairn(root, 'exp', 'show', '--json');
  assert.equal(r.status, 0, r.stderr);
  return { ours: parsePythonJson(r.stdout) as any[], theirs: parsePythonJson(dvcOk(root, 'exp', 'show', '--json')) as any[], stderr: r.stderr };
}

/** dvc's table on a terminal wide enough that rich wraps nothing. */
function dvcWide(root: string, ...args: string[]): string {
  const r = spawnSync(ensureDvc(), args, { cwd: root, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1', COLUMNS: '1000' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const experiment = (shown: any[], name: string) => shown[1].experiments.find((e: any) => e.name === name).revs[0];

describe('interop: exp show --json with environment notes', function () {
  this.timeout(300_000);

  it('an experiment with a note has it in data.meta.environment; the rest, and a repository without notes, equals dvc', async () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'train.py': TRAIN, 'requirements.txt': 'numpy\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: python3 train.py\n    deps: [train.py]\n    params: [lr]\n    metrics: [{metrics.json: {cache: false}}]\n' });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'baseline');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'lr=0.2', '-n', 'with-env');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'lr=0.3', '-n', 'without-env');
    git(root, 'checkout', '-q', '--', '.');

    const plain = showJson(root);
    assert.deepEqual(plain.ours, plain.theirs, 'no notes: dvc\'s output');
    assert.deepEqual(experiment(plain.ours, 'with-env').data.meta, {});

    const head = git(root, 'rev-parse', 'HEAD').trim();
    const expCommit = git(root, 'rev-parse', `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/with-env`).trim();
    const capture = startEnvironmentCapture(root);
    capture.recordStageRun({ name: 'train', cmd: ['python3 train.py'], duration: 0.04, exit_code: 0 });
    const record = await capture.finish();
    assert.ok(record.lockfiles['requirements.txt'], 'the lockfile at the root is recorded');
    await writeEnvironmentNote(root, expCommit, record);

    const noted = showJson(root);
    assert.equal(noted.stderr, '');
    const withEnv = experiment(noted.ours, 'with-env');
    assert.equal(withEnv.rev, expCommit);
    assert.deepEqual(withEnv.data.meta, { environment: JSON.parse(JSON.stringify(record)) });
    assert.deepEqual(experiment(noted.theirs, 'with-env').data.meta, {}, 'dvc reads no notes');
    withEnv.data.meta = {};
    assert.deepEqual(noted.ours, noted.theirs, 'all but that meta is dvc\'s');
    for (const form of [[], ['--md'], ['--csv']]) assert.equal(cairnOk(root, 'exp', 'show', ...form), dvcWide(root, 'exp', 'show', ...form), `exp show ${form.join(' ')}: the tables have no environment`);

    // A hostile note on the baseline: one warning line, the output as without it.
    const bad = path.join(tempDir(), 'note');
    fs.writeFileSync(bad, '{"schema": 1, "interpreters": [[[[[');
    git(root, 'notes', `--ref=${ENVIRONMENT_NOTES_REF}`, 'add', '-F', bad, head);
    const hostile = showJson(root);
    assert.match(hostile.stderr, new RegExp(`^WARNING: refs/notes/cairn: the note on ${head.slice(0, 7)} is not an environment record \\(invalid JSON: [^\\n]*\\); ignored\\.\\n$`));
    assert.deepEqual(hostile.ours[1].data.meta, {});
    experiment(hostile.ours, 'with-env').data.meta = {};
    assert.deepEqual(hostile.ours, hostile.theirs);
  });
});
