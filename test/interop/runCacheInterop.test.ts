import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cairnOk, dvcOk, git, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { ensureDvcS3 } from '../support/peers';
import { createBucket, S3Server, startMinio } from '../support/minio';

/**
 * DVC's run cache (`.dvc/cache/runs/`) written and used by Cairn and by the real dvc on the same
 * stages: the entry files each writes, a changed stage checked out from an entry instead of run
 * (whichever tool wrote it), `--no-run-cache`, stages neither caches, and entries carried through
 * a folder remote with `push/pull --run-cache`. Runs are counted: every command appends a line to
 * the file `$RUNS_LOG` names, outside the repository (the command's text is the same everywhere).
 */

const PARAMS = [
  'lr: 0.1',
  'small: 0.00001',
  'whole: 1.0',
  'size: 3', // dvc's hashes leave out every key named size or nfiles, params too
  'name: "héllo wörld"',
  'train:',
  '  layers: [1, 2]',
  '  opt: {kind: adam, nesterov: true, nfiles: 9}',
  '',
].join('\n');

const TRAIN = [
  'echo run >> "$RUNS_LOG"',
  'mkdir -p model',
  'cp params.yaml model/params.txt',
  'cat data/a.txt data/b.txt > model/data.txt',
  'cp params.yaml out.txt',
  "printf '{\"acc\": 1}' > metrics.json",
  '',
].join('\n');

const PIPELINE_LINES = [
  'stages:',
  '  train:',
  '    cmd: sh train.sh',
  '    deps:',
  '    - train.sh',
  '    - data',
  '    params:',
  '    - lr',
  '    - small',
  '    - whole',
  '    - size',
  '    - name',
  '    - train',
  '    outs:',
  '    - out.txt',
  '    - model',
  '    metrics:',
  '    - metrics.json:',
  '        cache: false',
  '',
];
const PIPELINE = PIPELINE_LINES.join('\n');
const CACHED_METRIC = PIPELINE_LINES.filter((l) => !l.includes('cache: false')).map((l) => l.replace('metrics.json:', 'metrics.json')).join('\n');

let runsLog = '';
let server: S3Server | undefined;

/** A repository with the pipeline committed (nothing run), its runs counted in a log of its own. */
function newRepo(pipeline = PIPELINE): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, { 'params.yaml': PARAMS, 'train.sh': TRAIN, 'dvc.yaml': pipeline, 'data/a.txt': 'a\n', 'data/b.txt': 'b\n' });
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'pipeline');
  return root;
}

const runs = () => (fs.existsSync(runsLog) ? fs.readFileSync(runsLog, 'utf8').split('\n').filter(Boolean).length : 0);

/** Every file under `.dvc/cache/runs` (or a remote's `runs`) → its text. */
function runEntries(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const base = fs.existsSync(path.join(root, '.dvc')) ? path.join(root, '.dvc', 'cache', 'runs') : path.join(root, 'runs');
  const visit = (dir: string, rel: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path.join(dir, e.name), r);
      else out[r] = fs.readFileSync(path.join(dir, e.name), 'utf8');
    }
  };
  visit(base, '');
  return out;
}

const setLr = (root: string, lr: string) => writeFiles(root, { 'params.yaml': PARAMS.replace('lr: 0.1', `lr: ${lr}`) });
const CACHED = "Stage 'train' is cached - skipping run, checking out outputs";
const outputs = (root: string) => Object.fromEntries(Object.entries(treeHashes(root)).filter(([p]) => /^(out\.txt|metrics\.json|model\/)/.test(p)));

describe('run cache against the real dvc', function () {
  this.timeout(300_000);

  beforeEach(() => {
    runsLog = path.join(tempDir(), 'runs.log');
    process.env.RUNS_LOG = runsLog;
  });
  after(async () => {
    delete process.env.RUNS_LOG;
    await server?.stop();
    server = undefined;
  });

  it('writes the entry dvc writes, byte for byte and under the same key and value', () => {
    const ours = newRepo();
    const theirs = newRepo();
    cairnOk(ours, 'repro');
    dvcOk(theirs, 'repro');
    const entries = runEntries(ours);
    assert.equal(Object.keys(entries).length, 1, Object.keys(entries).join(' '));
    assert.deepEqual(entries, runEntries(theirs));
    // The entry is the stage's dvc.lock record; its uncached metric went into the cache as dvc's did.
    assert.match(Object.values(entries)[0], /^cmd: sh train\.sh\ndeps:\n- path: data\n/);
    const objects = (root: string) => Object.keys(treeHashes(path.join(root, '.dvc', 'cache', 'files'))).sort();
    assert.deepEqual(objects(ours), objects(theirs));
  });

  it('checks a run out of the cache instead of running it again, from its own entries and from the other tool\'s', () => {
    for (const [writer, reader] of [['cairn', 'dvc'], ['dvc', 'cairn']] as const) {
      runsLog = process.env.RUNS_LOG = path.join(tempDir(), 'runs.log');
      const root = newRepo();
      const repro = (tool: 'cairn' | 'dvc', ...args: string[]) => (tool === 'cairn' ? cairnOk : dvcOk)(root, 'repro', ...args);
      repro(writer);
      const first = outputs(root);
      const firstLock = fs.readFileSync(path.join(root, 'dvc.lock'), 'utf8');
      setLr(root, '0.2');
      repro(writer);
      assert.equal(runs(), 2);
      // Back to lr 0.1: the writer's own entry.
      setLr(root, '0.1');
      assert.ok(repro(writer).includes(CACHED), `${writer} did not use its own entry`);
      assert.equal(runs(), 2, `${writer} ran the command again`);
      assert.deepEqual(outputs(root), first);
      assert.equal(fs.readFileSync(path.join(root, 'dvc.lock'), 'utf8'), firstLock);
      // lr 0.2 again, by the other tool: the writer's entry.
      setLr(root, '0.2');
      const said = repro(reader);
      assert.ok(said.includes(CACHED), `${reader} did not use ${writer}'s entry: ${said}`);
      assert.ok(!said.includes('Running stage'), said);
      assert.equal(runs(), 2, `${reader} ran the command instead of using ${writer}'s entry`);
      assert.equal(fs.readFileSync(path.join(root, 'model', 'params.txt'), 'utf8'), PARAMS.replace('lr: 0.1', 'lr: 0.2'));
      // Both agree all is up to date now.
      assert.match(dvcOk(root, 'status'), /up to date/);
      assert.match(cairnOk(root, 'status'), /up to date/);
    }
  });

  it('runs the command with --no-run-cache (and still keeps the run), and checks out from dvc.lock when only outputs changed, as dvc does', () => {
    for (const tool of ['cairn', 'dvc'] as const) {
      runsLog = process.env.RUNS_LOG = path.join(tempDir(), 'runs.log');
      const root = newRepo();
      const repro = (...args: string[]) => (tool === 'cairn' ? cairnOk : dvcOk)(root, 'repro', ...args);
      repro();
      setLr(root, '0.2');
      repro();
      setLr(root, '0.1');
      const said = repro('--no-run-cache');
      assert.ok(said.includes("Running stage 'train':") && !said.includes(CACHED), `${tool}: ${said}`);
      assert.equal(runs(), 3, tool);
      // The same run again: dvc's entry name is the same, so still two entries.
      assert.equal(Object.keys(runEntries(root)).length, 2, tool);
      // An output deleted, nothing else changed: checked out from dvc.lock, --no-run-cache or not.
      fs.rmSync(path.join(root, 'out.txt'));
      assert.ok(repro('--no-run-cache').includes(CACHED), tool);
      assert.equal(runs(), 3, tool);
      assert.equal(fs.readFileSync(path.join(root, 'out.txt'), 'utf8'), PARAMS);
      // --force runs whatever the caches hold.
      assert.ok(repro('--force').includes("Running stage 'train':"), tool);
      assert.equal(runs(), 4, tool);
    }
  });

  it('carries runs through a folder remote: push --run-cache, a fresh clone pulls --run-cache and checks the run out (both tools, crossed)', () => {
    for (const [pusher, puller] of [['cairn', 'dvc'], ['dvc', 'cairn'], ['cairn', 'cairn']] as const) {
      runsLog = process.env.RUNS_LOG = path.join(tempDir(), 'runs.log');
      // The metric cached: dvc pushes no uncached output, so a run it pushed with one can be checked out nowhere (see below).
      const root = newRepo(CACHED_METRIC);
      const remote = tempDir();
      dvcOk(root, 'remote', 'add', '-q', '-d', 'r', remote);
      const tool = (name: 'cairn' | 'dvc') => (name === 'cairn' ? cairnOk : dvcOk);
      tool(pusher)(root, 'repro');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'ran with lr 0.1');
      tool(pusher)(root, 'push'); // the committed run's data, which the clone pulls
      setLr(root, '0.2');
      tool(pusher)(root, 'repro');
      tool(pusher)(root, 'push', '--run-cache');
      assert.deepEqual(runEntries(remote), runEntries(root), `${pusher} pushed every entry`);
      const clone = path.join(tempDir(), 'clone');
      git(path.dirname(clone), 'clone', '-q', root, clone);
      tool(puller)(clone, 'pull', '--run-cache');
      assert.deepEqual(runEntries(clone), runEntries(root), `${puller} pulled every entry`);
      setLr(clone, '0.2');
      // dvc's pull --run-cache brings the entries only: its repro --pull fetches the outputs of the entry it uses.
      const said = tool(puller)(clone, 'repro', ...(puller === 'dvc' ? ['--pull'] : []));
      assert.ok(said.includes(CACHED), `${puller} after ${pusher}'s push: ${said}`);
      assert.equal(runs(), 2, `${puller} ran the command after ${pusher}'s push`);
      assert.deepEqual(outputs(clone), outputs(root));
      assert.equal(fs.readFileSync(path.join(clone, 'dvc.lock'), 'utf8'), fs.readFileSync(path.join(root, 'dvc.lock'), 'utf8'));
    }
  });

  it('carries runs through S3 (MinIO) the same way, crossed with dvc-s3', async () => {
    server ??= await startMinio();
    const dvcS3 = (cwd: string, ...args: string[]) => {
      const r = spawnSync(ensureDvcS3(), args, { cwd, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
      if (r.status !== 0) throw new Error(`dvc ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    for (const [pusher, puller] of [['cairn', 'dvc'], ['dvc', 'cairn']] as const) {
      runsLog = process.env.RUNS_LOG = path.join(tempDir(), 'runs.log');
      const bucket = `runcache-${pusher}`;
      await createBucket(server, bucket);
      const tool = (name: 'cairn' | 'dvc') => (name === 'cairn' ? cairnOk : dvcS3);
      const root = newRepo(CACHED_METRIC);
      dvcS3(root, 'remote', 'add', '-q', '-d', 's3', `s3://${bucket}/project`);
      dvcS3(root, 'remote', 'modify', 's3', 'endpointurl', server.endpoint);
      const credentials = (dir: string) => {
        dvcS3(dir, 'remote', 'modify', '--local', 's3', 'access_key_id', server!.accessKey);
        dvcS3(dir, 'remote', 'modify', '--local', 's3', 'secret_access_key', server!.secretKey);
      };
      credentials(root);
      tool(pusher)(root, 'repro');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'ran with lr 0.1');
      tool(pusher)(root, 'push');
      setLr(root, '0.2');
      tool(pusher)(root, 'repro');
      tool(pusher)(root, 'push', '--run-cache');
      const clone = path.join(tempDir(), 'clone');
      git(path.dirname(clone), 'clone', '-q', root, clone);
      credentials(clone);
      tool(puller)(clone, 'pull', '--run-cache');
      assert.deepEqual(runEntries(clone), runEntries(root), `${puller} pulled every entry ${pusher} pushed`);
      setLr(clone, '0.2');
      const said = tool(puller)(clone, 'repro', ...(puller === 'dvc' ? ['--pull'] : []));
      assert.ok(said.includes(CACHED), `${puller} after ${pusher}'s push: ${said}`);
      assert.equal(runs(), 2, `${puller} ran the command after ${pusher}'s push`);
      assert.deepEqual(outputs(clone), outputs(root));
    }
  });

  it('runs the command when a pushed run\'s uncached metric never reached the remote (dvc pushes no uncached output), as dvc', () => {
    for (const puller of ['dvc', 'cairn'] as const) {
      runsLog = process.env.RUNS_LOG = path.join(tempDir(), 'runs.log');
      const root = newRepo();
      const remote = tempDir();
      dvcOk(root, 'remote', 'add', '-q', '-d', 'r', remote);
      dvcOk(root, 'repro');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'ran with lr 0.1');
      dvcOk(root, 'push');
      setLr(root, '0.2');
      dvcOk(root, 'repro');
      dvcOk(root, 'push', '--run-cache');
      const clone = path.join(tempDir(), 'clone');
      git(path.dirname(clone), 'clone', '-q', root, clone);
      (puller === 'cairn' ? cairnOk : dvcOk)(clone, 'pull', '--run-cache');
      setLr(clone, '0.2');
      const said = (puller === 'cairn' ? cairnOk : dvcOk)(clone, 'repro', ...(puller === 'dvc' ? ['--pull'] : []));
      assert.ok(said.includes("Running stage 'train':") && !said.includes(CACHED), `${puller}: ${said}`);
      assert.equal(runs(), 3, puller);
    }
  });

  it('keeps no entry for the stages dvc does not cache', () => {
    const stages = [
      'stages:',
      '  nodeps:', // no deps
      '    cmd: echo a > nodeps.txt',
      '    outs: [nodeps.txt]',
      '  always:',
      '    cmd: cat in.txt > always.txt',
      '    deps: [in.txt]',
      '    outs: [always.txt]',
      '    always_changed: true',
      '  persist:',
      '    cmd: cat in.txt > persist.txt',
      '    deps: [in.txt]',
      '    outs: [{persist.txt: {persist: true}}]',
      '  uncached:', // a plain output out of the cache (a metric's would be cached anyway)
      '    cmd: cat in.txt > uncached.txt',
      '    deps: [in.txt]',
      '    outs: [{uncached.txt: {cache: false}}]',
      '  noouts:',
      '    cmd: cat in.txt > /dev/null',
      '    deps: [in.txt]',
      '',
    ].join('\n');
    const entriesAfter = (tool: 'cairn' | 'dvc') => {
      const root = tempGitRepo();
      dvcOk(root, 'init', '-q');
      writeFiles(root, { 'dvc.yaml': stages, 'in.txt': 'in\n' });
      (tool === 'cairn' ? cairnOk : dvcOk)(root, 'repro');
      return runEntries(root);
    };
    assert.deepEqual(entriesAfter('dvc'), {});
    assert.deepEqual(entriesAfter('cairn'), {});
  });
});
