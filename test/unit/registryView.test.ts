import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairnOk, git, md5, tempGitRepo, writeFiles } from '../support/fixtures';
import { Repo } from '../../src/core/repo/repo';
import { artifactsGetCommand, registrySnapshot, versionProblem } from '../../src/extension/registrySnapshot';
import { lineageSnapshot, stageLine } from '../../src/extension/lineageSnapshot';
import { checkMessage, FROM_LINEAGE } from '../../webview/messages';

/**
 * The Model Registry view's and the lineage panel's data, read in the core worker: a three-stage
 * pipeline (prepare → featurize → train) whose model dvc.yaml declares, run and committed twice
 * with different params, each commit registered and given `prod`, written by the cairn CLI
 * (checked against gto in test/interop/registryInterop.test.ts).
 */
const PIPELINE = `stages:
  prepare:
    cmd: mkdir -p data && tr a-z A-Z < raw/input.txt > data/prepared.txt
    deps: [raw/input.txt, raw/labels.txt]
    outs: [data/prepared.txt]
  featurize:
    cmd: cat data/prepared.txt data/prepared.txt > data/features.txt
    deps: [data/prepared.txt]
    outs: [data/features.txt]
  train:
    cmd: cat data/features.txt > model.bin && echo "lr \${lr}" >> model.bin && printf '{"acc":%s}' \${acc} > metrics.json
    deps: [data/features.txt]
    params: [lr, acc]
    outs: [model.bin]
    metrics:
    - metrics.json:
        cache: false
artifacts:
  classifier:
    path: model.bin
    type: model
    desc: Sorts cats from dogs
`;

/** Runs git and the CLI with their clocks at `seconds` (tags made in one second would tie: gto orders them by time). */
function at<T>(seconds: number, fn: () => T): T {
  const date = `${seconds} +0000`;
  process.env.GIT_COMMITTER_DATE = date;
  process.env.GIT_AUTHOR_DATE = date;
  try {
    return fn();
  } finally {
    delete process.env.GIT_COMMITTER_DATE;
    delete process.env.GIT_AUTHOR_DATE;
  }
}

function makeRegistryRepo(): { dir: string; first: string; second: string } {
  const dir = tempGitRepo();
  cairnOk(dir, 'init');
  writeFiles(dir, { 'raw/input.txt': 'cat\ndog\n', 'raw/labels.txt': '0,1\n', 'params.yaml': 'lr: 0.1\nacc: 0.8\n', 'dvc.yaml': PIPELINE });
  cairnOk(dir, 'add', 'raw/input.txt');
  cairnOk(dir, 'repro');
  const T = 1_700_000_000;
  at(T, () => {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'First model');
  });
  const first = git(dir, 'rev-parse', 'HEAD').trim();
  at(T + 10, () => cairnOk(dir, 'model', 'register', 'classifier', '--version', 'v0.1.0'));
  at(T + 20, () => cairnOk(dir, 'model', 'assign', 'classifier', '--version', 'v0.1.0', '--stage', 'prod'));
  at(T + 30, () => cairnOk(dir, 'model', 'register', 'other', '--version', 'v1.0.0'));
  writeFiles(dir, { 'params.yaml': 'lr: 0.2\nacc: 0.9\n' });
  cairnOk(dir, 'repro');
  at(T + 100, () => {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Better model');
  });
  const second = git(dir, 'rev-parse', 'HEAD').trim();
  at(T + 110, () => cairnOk(dir, 'model', 'register', 'classifier', '--version', 'v0.2.0'));
  at(T + 120, () => cairnOk(dir, 'model', 'assign', 'classifier', '--version', 'v0.2.0', '--stage', 'prod'));
  at(T + 130, () => cairnOk(dir, 'model', 'assign', 'classifier', '--version', 'v0.1.0', '--stage', 'staging'));
  return { dir, first, second };
}

describe('Model Registry view and lineage panel data (core worker side)', function () {
  this.timeout(60_000);
  let repo: ReturnType<typeof makeRegistryRepo>;
  before(() => {
    repo = makeRegistryRepo();
  });

  it("lists declared and registered models, versions greatest first with the stages gto show shows, each with its commit's metrics", async () => {
    const snapshot = await Repo.using(repo.dir, {}, (r) => registrySnapshot(r));
    assert.deepEqual(snapshot.models.map((m) => [m.name, m.declared?.path ?? null, m.registered, m.nextVersion]), [
      ['classifier', 'model.bin', true, 'v0.2.1'],
      ['other', null, true, 'v1.0.1'],
    ]);
    const classifier = snapshot.models[0];
    assert.deepEqual(
      classifier.versions.map((v) => [v.version, v.commit, v.stages, v.assignedStages, v.metrics['metrics.json:acc'], v.branches]),
      [
        ['v0.2.0', repo.second, ['prod'], ['prod'], 0.9, ['main']],
        // Still assigned prod, but gto show shows prod's newest assignment only (v0.2.0).
        ['v0.1.0', repo.first, ['staging'], ['staging', 'prod'], 0.8, []],
      ],
    );
    assert.deepEqual([classifier.versions[1].commitMessage, classifier.versions[1].commitAuthor, classifier.versions[1].commitTime], ['First model', 'Cairn Test', '2023-11-14T22:13:20+00:00']);
    assert.deepEqual(snapshot.stages, ['prod', 'staging']);
    const show = JSON.parse(cairnOk(repo.dir, 'model', 'show', '--json'));
    assert.deepEqual(show.classifier.stage, { prod: 'v0.2.0', staging: 'v0.1.0' }, 'the badges are what `model show` (gto show) says');
    assert.equal(snapshot.repositoryUrl, repo.dir, 'no origin: the folder');
    git(repo.dir, 'remote', 'add', 'origin', 'https://user:secret@example.com/team/models.git');
    const withOrigin = await Repo.using(repo.dir, {}, (r) => registrySnapshot(r));
    // Without its user-info (never shown), so the command works for whoever has access.
    assert.equal(artifactsGetCommand(withOrigin.repositoryUrl, 'classifier', 'v0.1.0'), 'dvc artifacts get https://example.com/team/models.git classifier --rev v0.1.0');
    assert.equal(artifactsGetCommand('/tmp/my repo', 'sub/dir:model'), "dvc artifacts get '/tmp/my repo' sub/dir:model");
    git(repo.dir, 'remote', 'remove', 'origin');
  });

  it('refuses a version that is no SemVer or exists, before anything is written', async () => {
    const snapshot = await Repo.using(repo.dir, {}, (r) => registrySnapshot(r));
    const classifier = snapshot.models[0];
    assert.match(versionProblem(classifier, '1.0.0')!, /is not a version: SemVer with a leading v/);
    assert.match(versionProblem(classifier, 'v0.1.0')!, /classifier v0\.1\.0 exists already/);
    assert.equal(versionProblem(classifier, 'v0.2.1'), undefined);
  });

  it("draws the graph from a version back to raw data: each node's hash and size as its commit records them, the commit's params and metrics", async () => {
    const { payload, targets } = await Repo.using(repo.dir, {}, (r) => lineageSnapshot(r, 'classifier@v0.1.0'));
    assert.equal(payload.title, 'Lineage of classifier@v0.1.0');
    assert.equal(payload.commit.short, repo.first.slice(0, 7));
    assert.deepEqual(payload.commit.refs, ['classifier#prod#1', 'classifier#staging#3', 'classifier@v0.1.0', 'other@v1.0.0']);
    const byId = new Map(payload.nodes.map((n) => [n.id, n]));
    assert.deepEqual(
      payload.nodes.map((n) => `${n.kind} ${n.label}`).sort(),
      ['data data/features.txt', 'data data/prepared.txt', 'data metrics.json', 'source raw/input.txt', 'source raw/labels.txt', 'stage featurize', 'stage prepare', 'stage train', 'target model.bin'],
    );
    assert.deepEqual(payload.edges, [
      { from: 'data:data/features.txt', to: 'stage:train' },
      { from: 'stage:train', to: 'data:model.bin' },
      { from: 'stage:train', to: 'data:metrics.json' },
      { from: 'data:data/prepared.txt', to: 'stage:featurize' },
      { from: 'stage:featurize', to: 'data:data/features.txt' },
      { from: 'data:raw/input.txt', to: 'stage:prepare' },
      { from: 'data:raw/labels.txt', to: 'stage:prepare' },
      { from: 'stage:prepare', to: 'data:data/prepared.txt' },
    ]);
    const raw = byId.get('data:raw/input.txt')!;
    assert.equal(raw.hash, md5('cat\ndog\n').slice(0, 8));
    assert.equal(raw.size, '8 B');
    assert.equal(raw.detail, 'tracked by raw/input.txt.dvc');
    // A file in git: its size from the commit's tree, its hash from dvc.lock.
    const labels = byId.get('data:raw/labels.txt')!;
    assert.deepEqual([labels.hash, labels.size, labels.detail.replace(/[0-9a-f]{7}/, 'SHA')], [md5('0,1\n').slice(0, 8), '4 B', 'in git (blob SHA)']);
    const model = fs.readFileSync(path.join(repo.dir, 'model.bin'));
    assert.notEqual(byId.get('data:model.bin')!.hash, md5(model).slice(0, 8), 'v0.1.0 is the first commit, not the workspace');
    assert.deepEqual(payload.params, [{ key: 'params.yaml:lr', value: '0.1' }, { key: 'params.yaml:acc', value: '0.8' }]);
    assert.deepEqual(payload.metrics, [{ key: 'metrics.json:acc', value: '0.8' }]);
    assert.deepEqual(targets['stage:train'], { kind: 'stage', file: 'dvc.yaml', name: 'train' });
    assert.deepEqual(targets['data:raw/input.txt'], { kind: 'file', path: 'raw/input.txt' });
    assert.deepEqual(targets.commit, { kind: 'commit', sha: repo.first });
    assert.equal(stageLine(PIPELINE, 'train'), 9);
    assert.equal(stageLine(PIPELINE, 'classifier'), -1, 'an artifact is no stage');
  });

  it("accepts from the lineage page only its contract's messages: a node is named by an id, never a path to open", () => {
    assert.deepEqual(checkMessage(FROM_LINEAGE, { type: 'open', id: 'stage:train' }), { type: 'open', id: 'stage:train' });
    for (const bad of [{ type: 'open', id: 3 }, { type: 'open', id: 'x', path: '/etc/passwd' }, { type: 'open' }, { type: 'openFile', id: 'x' }, { type: 'rendered', ms: Infinity, nodes: 1 }]) {
      assert.equal(checkMessage(FROM_LINEAGE, bad), undefined, JSON.stringify(bad));
    }
  });
});
