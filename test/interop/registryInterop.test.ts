import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cairnOk, CLI, dvcOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureDvc, ensureGto } from '../support/peers';

/**
 * The model registry against the real gto (PyPI, GTO_VERSION): the same operations done by gto in
 * one repository and by Cairn in another (same commits, same tagger, same clock) give the same tag
 * objects, and `show`/`history`/`stages`/`check-ref` print the same JSON, whoever wrote the tags.
 */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Who tags. No GIT_COMMITTER_DATE for tags: gto then takes another path (its tag gets a newline
 * after the message and the wall clock with that date's offset), not what users get.
 */
const TAGGER = { GIT_COMMITTER_NAME: 'Reg Tester', GIT_COMMITTER_EMAIL: 'reg@cairn.dev' };

/** A fixed clock for commits: every commit and tag gets the next second, so both repositories get the same objects. */
class Clock {
  private seconds = 1_700_000_000;
  env(): Record<string, string> {
    const date = `${this.seconds++} +0200`;
    return { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date, ...TAGGER };
  }
}

function runIn(cwd: string, program: string, args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(program, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const gtoBin = () => ensureGto();
const gto = (cwd: string, args: string[], env?: Record<string, string>) => runIn(cwd, gtoBin(), args, env);
const cairnModel = (cwd: string, args: string[], env?: Record<string, string>) => runIn(cwd, process.execPath, [CLI, 'model', ...args], env);

function commit(root: string, clock: Clock, file: string): void {
  fs.writeFileSync(path.join(root, file), file);
  git(root, 'add', file);
  const r = runIn(root, 'git', ['commit', '-q', '-m', `add ${file}`], clock.env());
  assert.equal(r.status, 0, r.stderr);
}

/** The registry operations both tools do, each with the same words (gto's and Cairn's CLIs agree). */
function scenario(root: string, tool: (cwd: string, args: string[], env?: Record<string, string>) => Run): void {
  const clock = new Clock();
  const step = (...args: string[]) => {
    const r = tool(root, args, TAGGER);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  };
  commit(root, clock, 'a.txt');
  step('register', 'model');
  step('register', 'sub/dir:nested');
  step('register', 'other', '--version', 'v1.0.0-rc.1+build.7');
  commit(root, clock, 'b.txt');
  step('register', 'model', '--bump-minor');
  step('register', 'other', '--bump-major');
  commit(root, clock, 'c.txt');
  step('register', 'model');
  step('assign', 'model', '--version', 'v0.0.1', '--stage', 'prod');
  step('assign', 'model', '--stage', 'prod');
  step('assign', 'model', '--version', 'v0.1.0', '--stage', 'staging');
  step('assign', 'other', '--version', 'v2.0.0', '--stage', 'prod', '--simple', 'true');
  step('deprecate', 'model', 'v0.1.1', 'prod');
  step('deprecate', 'model', 'v0.0.1');
  step('assign', 'sub/dir:nested', '--version', 'v0.0.1', '--stage', 'dev');
  commit(root, clock, 'd.txt');
  step('assign', 'model', 'HEAD', '--version', 'v1.0.0', '--stage', 'prod');
  step('deprecate', 'sub/dir:nested');
}

/** Two repositories with the same commits: `gto` did the scenario in one, Cairn in the other. */
function bothWays(): { byGto: string; byCairn: string } {
  const byGto = tempGitRepo();
  const byCairn = tempGitRepo();
  scenario(byGto, gto);
  scenario(byCairn, cairnModel);
  return { byGto, byCairn };
}

/**
 * Each tag and its object's bytes, the tagger's clock masked: gto (pygit2) stamps tags with the wall
 * clock, whatever GIT_COMMITTER_DATE says, so only the time can differ.
 */
function tagObjects(root: string): string {
  return git(root, 'for-each-ref', '--format=%(refname) %(objecttype)', 'refs/tags/')
    .split('\n')
    .filter(Boolean)
    .map((line) => `${line}\n${git(root, 'cat-file', 'tag', line.split(' ')[0]).replace(/^(tagger .*>) \d+ [+-]\d{4}$/m, '$1 <time>')}`)
    .join('\n---\n');
}

const REGISTRY_QUERIES = [
  ['show', '--json'],
  ['show', '--json', '-d'],
  ['show', '--json', '--sort', 'semver'],
  ['history', '--json'],
  ['stages', '--json'],
];

/** The queries of one artifact. */
const artifactQueries = (name: string) => [
  ['show', name, '--json'],
  ['show', name, '--json', '-d'],
  ['show', `${name}#prod`, '--json'],
  ['show', `${name}@latest`, '--json'],
  ['history', name, '--json'],
];

/** Every query's output from both tools over one repository, compared to the byte. */
function assertSameQueries(root: string, names: string[]): void {
  for (const query of [...REGISTRY_QUERIES, ...names.flatMap(artifactQueries)]) {
    const expected = gto(root, query);
    assert.equal(expected.status, 0, `gto ${query.join(' ')}: ${expected.stderr}`);
    const actual = cairnModel(root, query);
    assert.equal(actual.status, 0, `cairn model ${query.join(' ')}: ${actual.stderr}`);
    assert.equal(actual.stdout, expected.stdout, `cairn model ${query.join(' ')}`);
  }
  for (const tag of git(root, 'tag', '-l').split('\n').filter(Boolean)) {
    const expected = gto(root, ['check-ref', tag, '--json']);
    assert.equal(cairnModel(root, ['check-ref', tag, '--json']).stdout, expected.stdout, `check-ref ${tag}`);
  }
}

describe('model registry against the real gto', function () {
  this.timeout(240_000);
  let repos: { byGto: string; byCairn: string };
  before(() => {
    repos = bothWays();
  });

  it('writes the very tag objects gto writes (names, targets, tagger, messages, no newline added; only the clock differs)', () => {
    const tags = tagObjects(repos.byCairn);
    assert.match(tags, /refs\/tags\/model#prod!#4 tag\nobject [0-9a-f]{40}\ntype commit\ntag model#prod!#4\ntagger Reg Tester <reg@cairn.dev> <time>\n\nUnassigning stage 'prod' to artifact 'model' version 'v0.1.1'\n---/);
    assert.match(tags, /refs\/tags\/sub\/dir=nested@deprecated tag\n/);
    assert.match(tags, /refs\/tags\/other#prod tag\n/);
    assert.equal(tags, tagObjects(repos.byGto));
  });

  it("reads the tags gto wrote as gto does: show, versions, shortcuts, history, stages, check-ref", () => {
    assertSameQueries(repos.byGto, ['model', 'other', 'sub/dir:nested']);
  });

  it('gto reads the tags Cairn wrote as Cairn does', () => {
    assertSameQueries(repos.byCairn, ['model', 'other', 'sub/dir:nested']);
  });

  it('reads tags of the same second, in other time zones, and tags gto ignores, as gto does', () => {
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'one');
    // Cairn's tags (git's) take GIT_COMMITTER_DATE: three in one second, in another time zone.
    const env = { GIT_COMMITTER_DATE: '1700000000 -0530' };
    for (const args of [['register', 'm'], ['assign', 'm', '--stage', 'b'], ['assign', 'm', '--stage', 'a']]) assert.equal(cairnModel(root, args, env).status, 0);
    git(root, 'tag', 'm@v9.9.9'); // lightweight: gto ignores it
    git(root, 'tag', '-a', '-m', 'not ours', 'release-1.0');
    git(root, 'tag', '-a', '-m', 'bad semver', 'm@v01.0.0');
    assertSameQueries(root, ['m']);
  });

  it("reads the legacy artifacts.yaml as gto does: each version's commit describes it, HEAD's declares unregistered ones", () => {
    const root = tempGitRepo();
    writeFiles(root, { 'artifacts.yaml': 'reg:\n  type: model\n  path: r.pkl\n  description: first\n  labels: [a, b]\n  custom: {k: [1, 2]}\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'one');
    assert.equal(cairnModel(root, ['register', 'reg']).status, 0);
    writeFiles(root, { 'artifacts.yaml': 'reg:\n  type: model\n  path: r.pkl\n  virtual: false\nlegacy:\n  path: m.pkl\n' });
    git(root, 'commit', '-q', '-am', 'two');
    assert.equal(gto(root, ['register', 'reg']).status, 0);
    assertSameQueries(root, ['reg', 'legacy']);
    // A file gto's model refuses stops gto; Cairn reads the registry as if the file were not there.
    writeFiles(root, { 'artifacts.yaml': '- not a mapping\n' });
    git(root, 'commit', '-q', '-am', 'three');
    assert.match(gto(root, ['show', '--json']).stderr, /artifacts\.yaml file doesn't conform to GTO format/);
    assert.deepEqual(Object.keys(JSON.parse(cairnModel(root, ['show', '--json']).stdout)), ['reg']);
  });

  it('refuses bad input with one line and writes no tag (as gto refuses it)', () => {
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'one');
    assert.equal(cairnModel(root, ['register', 'm', '--version', 'v1.0.0']).status, 0);
    git(root, 'commit', '-q', '--allow-empty', '-m', 'two');
    const cases: [string[], RegExp][] = [
      [['register', 'm', '--version', '1.0.0'], /Version '1\.0\.0' is not valid/],
      [['register', 'm', '--version', 'v1.0'], /Version 'v1\.0' is not valid/],
      [['register', 'm', '--version', 'v1.0.0'], /Version 'v1\.0\.0' already was registered/],
      [['register', 'm', 'HEAD~1'], /'m' is already registered in this commit with version 'v1\.0\.0'/],
      [['register', 'new', '--bump-major'], /Can't apply bump, because this is the first version being registered/],
      [['register', '--', '-bad-'], /Invalid value '-bad-'/],
      [['register', 'bad..name!'], /Invalid value 'bad\.\.name!'/],
      [['register', 'm', 'no-such-rev'], /Ref 'no-such-rev' was not found/],
      [['deprecate', 'm', 'v1.0.0', 'prod'], /Stage 'prod' is not assigned to a version 'v1\.0\.0'/],
      [['deprecate', 'm', 'v3.0.0'], /No versions found for 'm'/],
      [['assign', 'm', '--version', 'v1.0.0', '--stage', 'bad stage'], /Invalid value 'bad stage'/],
      [['deprecate', 'nothere'], /Cannot find artifact 'nothere'/],
    ];
    for (const [args, message] of cases) {
      const before = git(root, 'tag', '-l');
      const r = cairnModel(root, args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.equal(git(root, 'tag', '-l'), before, `no tag written by ${args.join(' ')}`);
      const g = gto(root, args);
      assert.notEqual(g.status, 0, `gto refuses ${args.join(' ')} too`);
      assert.equal(git(root, 'tag', '-l'), before);
    }
  });

  it('pushes the tag to origin with --push', () => {
    const remote = tempDir();
    git(remote, 'init', '-q', '--bare');
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'one');
    git(root, 'remote', 'add', 'origin', remote);
    const r = cairnModel(root, ['register', 'm', '--push']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(git(remote, 'for-each-ref', '--format=%(objectname)', 'refs/tags/m@v0.0.1'), git(root, 'for-each-ref', '--format=%(objectname)', 'refs/tags/m@v0.0.1'));
  });

  it('takes names and messages from a hostile repository as data: huge messages, option-like revs, odd tag names', () => {
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'one');
    const huge = 'x'.repeat(3 * 1024 * 1024);
    const id = git(root, 'var', 'GIT_COMMITTER_IDENT').trim();
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const mktag = (name: string, message: string) => {
      const r = spawnSync('git', ['mktag'], { cwd: root, input: `object ${head}\ntype commit\ntag ${name}\ntagger ${id}\n\n${message}`, encoding: 'utf8' });
      git(root, 'update-ref', `refs/tags/${name}`, r.stdout.trim());
    };
    mktag('big@v1.0.0', huge);
    mktag('-dash@v1.0.0', 'leading dash: not a GTO name');
    mktag('x#--upload-pack=touch-pwned#1', 'not a GTO tag');
    assertSameQueries(root, ['big']);
    const outside = path.join(tempDir(), 'pwned');
    const r = cairnModel(root, ['register', 'n', '--', `--output=${outside}`]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /was not found in the repository history/);
    assert.ok(!fs.existsSync(outside));
    assert.ok(!fs.existsSync(path.join(root, 'pwned')));
  });
});

/** What dvc's own Python API reads of a repository's declared artifacts (`Repo.artifacts.read`). */
function dvcArtifacts(root: string): unknown {
  const python = path.join(path.dirname(ensureDvc()), 'python');
  const code = 'import json; from dvc.repo import Repo\nprint(json.dumps({f: {n: a.to_dict() for n, a in d.items()} for f, d in Repo(".").artifacts.read().items()}))';
  const r = runIn(root, python, ['-c', code]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('artifacts declared in dvc.yaml, against the real dvc', function () {
  this.timeout(120_000);

  it('cairn artifacts add writes entries dvc reads, keeping the rest of dvc.yaml; refusals change nothing', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    const pipeline = 'stages:\n  train:\n    cmd: echo hi  # says hi\n# artifacts below\n';
    writeFiles(root, { 'dvc.yaml': pipeline });
    cairnOk(root, 'artifacts', 'add', 'model', '--path', 'models/model.pkl', '--type', 'model', '--desc', 'the: model', '--label', 'a', '--label', 'b c');
    cairnOk(root, 'artifacts', 'add', 'data/set', '--path', 'data.csv');
    const text = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8');
    assert.ok(text.startsWith(pipeline), text);
    assert.deepEqual(dvcArtifacts(root), {
      'dvc.yaml': { model: { path: 'models/model.pkl', type: 'model', desc: 'the: model', labels: ['a', 'b c'] }, 'data/set': { path: 'data.csv' } },
    });
    // Beyond gto: `show --declared` lists the declared artifacts the registry has no tag of, once committed.
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'declared');
    cairnOk(root, 'model', 'register', 'model');
    const registered = { model: { version: 'v0.0.1', stage: {}, registered: true, active: true } };
    assert.deepEqual(JSON.parse(gto(root, ['show', '--json']).stdout), registered);
    assert.deepEqual(JSON.parse(cairnOk(root, 'model', 'show', '--json')), registered);
    assert.deepEqual(JSON.parse(cairnOk(root, 'model', 'show', '--declared', '--json')), { ...registered, 'data/set': { version: null, stage: {}, registered: false, active: true } });
    for (const args of [['model', '--path', 'x'], ['--', '-bad', '--path', 'x'], ['ok', '--path', '../outside'], ['ok', '--path', '.git/hooks/x']]) {
      const r = runIn(root, process.execPath, [CLI, 'artifacts', 'add', ...args]);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8'), text);
    }
  });

  it('dvc artifacts get fetches the version Cairn registered and a stage Cairn assigned (folder remote)', () => {
    const root = tempGitRepo();
    const storage = tempDir();
    dvcOk(root, 'init', '-q');
    dvcOk(root, 'remote', 'add', '-d', 'store', storage);
    writeFiles(root, { 'models/model.pkl': 'weights v1' });
    dvcOk(root, 'add', '-q', 'models/model.pkl');
    cairnOk(root, 'artifacts', 'add', 'model', '--path', 'models/model.pkl', '--type', 'model');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'v1');
    cairnOk(root, 'model', 'register', 'model');
    writeFiles(root, { 'models/model.pkl': 'weights v2' });
    dvcOk(root, 'add', '-q', 'models/model.pkl');
    git(root, 'commit', '-q', '-am', 'v2');
    cairnOk(root, 'model', 'register', 'model');
    cairnOk(root, 'model', 'assign', 'model', '--version', 'v0.0.1', '--stage', 'prod');
    dvcOk(root, 'push', '-q', '--all-commits');
    const out = tempDir();
    dvcOk(out, 'artifacts', 'get', root, 'model', '--rev', 'v0.0.2', '-o', 'latest.pkl');
    dvcOk(out, 'artifacts', 'get', root, 'model', '--stage', 'prod', '-o', 'prod.pkl');
    assert.equal(fs.readFileSync(path.join(out, 'latest.pkl'), 'utf8'), 'weights v2');
    assert.equal(fs.readFileSync(path.join(out, 'prod.pkl'), 'utf8'), 'weights v1');
  });
});

describe('cairn artifacts get, against dvc artifacts get', function () {
  this.timeout(120_000);

  it('downloads what dvc downloads for versions and stages gto registered (from the folder remote, the cache emptied), refusing what it cannot find', () => {
    const root = tempGitRepo();
    const storage = tempDir();
    dvcOk(root, 'init', '-q');
    dvcOk(root, 'remote', 'add', '-d', 'store', storage);
    writeFiles(root, { 'sub/models/model.pkl': 'weights v1', 'sub/dvc.yaml': 'artifacts:\n  model:\n    path: models/model.pkl\n    type: model\n' });
    dvcOk(root, 'add', '-q', 'sub/models/model.pkl');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'v1');
    assert.equal(gto(root, ['register', 'sub:model']).status, 0);
    writeFiles(root, { 'sub/models/model.pkl': 'weights v2' });
    dvcOk(root, 'add', '-q', 'sub/models/model.pkl');
    git(root, 'commit', '-q', '-am', 'v2');
    assert.equal(gto(root, ['register', 'sub:model', '--bump-major']).status, 0);
    assert.equal(gto(root, ['assign', 'sub:model', '--version', 'v0.0.1', '--stage', 'prod']).status, 0);
    dvcOk(root, 'push', '-q', '-A');
    fs.rmSync(path.join(root, '.dvc', 'cache'), { recursive: true, force: true });
    const out = tempDir();
    for (const [file, choice] of [['greatest', []], ['v1', ['--rev', 'v0.0.1']], ['prod', ['--stage', 'prod']], ['nested-spelling', ['--rev', 'v1.0.0']]] as [string, string[]][]) {
      const name = file === 'nested-spelling' ? 'sub/dvc.yaml:model' : 'sub:model';
      dvcOk(out, 'artifacts', 'get', root, name, ...choice, '-o', `dvc-${file}`);
      cairnOk(out, 'artifacts', 'get', root, name, ...choice, '-o', `cairn-${file}`);
      assert.equal(fs.readFileSync(path.join(out, `cairn-${file}`), 'utf8'), fs.readFileSync(path.join(out, `dvc-${file}`), 'utf8'), file);
    }
    assert.equal(fs.readFileSync(path.join(out, 'cairn-greatest'), 'utf8'), 'weights v2');
    assert.equal(fs.readFileSync(path.join(out, 'cairn-prod'), 'utf8'), 'weights v1');
    // gto's shortcuts, beyond dvc: the same files.
    for (const [shortcut, same] of [['sub:model@v0.0.1', 'v1'], ['sub:model#prod', 'prod'], ['sub:model@latest', 'greatest']]) {
      cairnOk(out, 'artifacts', 'get', root, shortcut, '-o', `shortcut-${same}`);
      assert.equal(fs.readFileSync(path.join(out, `shortcut-${same}`), 'utf8'), fs.readFileSync(path.join(out, `dvc-${same}`), 'utf8'), shortcut);
    }
    const twice = runIn(out, process.execPath, [CLI, 'artifacts', 'get', root, 'sub:model#prod', '--rev', 'v0.0.1', '-o', 'y']);
    assert.match(twice.stderr, /^ERROR: 'sub:model#prod' names its version or stage already/);
    for (const args of [['sub:model', '--rev', 'v9.9.9'], ['sub:model', '--stage', 'nope'], ['other']]) {
      const r = runIn(out, process.execPath, [CLI, 'artifacts', 'get', root, ...args, '-o', 'x']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /Unable to find artifact/);
      assert.ok(!fs.existsSync(path.join(out, 'x')));
    }
  });

  it("refuses an artifact whose declared path leaves the repository (a hostile dvc.yaml), writing nothing", () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': 'artifacts:\n  model:\n    path: ../../etc/passwd\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'hostile');
    assert.equal(cairnModel(root, ['register', 'model']).status, 0);
    const out = tempDir();
    const r = runIn(out, process.execPath, [CLI, 'artifacts', 'get', root, 'model']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /is outside the repository/);
    assert.deepEqual(fs.readdirSync(out), []);
  });
});

/** gto's own words for a refusal: its `❌ <message>` line. */
const gtoRefusal = (r: Run) => r.stderr.trim().replace(/^❌ /, '');

describe("gto's .gto config, --force and --delete, against the real gto", function () {
  this.timeout(240_000);

  it(".gto's stages: restrict assign and unassign with gto's message, and are the stages stages/show list; types: restrict artifacts add --type; no tag written by a refusal", () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'one');
    assert.equal(gto(root, ['register', 'm']).status, 0);
    assert.equal(gto(root, ['assign', 'm', '--version', 'v0.0.1', '--stage', 'qa']).status, 0);
    fs.writeFileSync(path.join(root, '.gto'), '# the stages we deploy to\nstages: [dev, prod]\nTypes:\n  - model\n  - dataset\nemojis: false\n');
    for (const args of [['assign', 'm', '--version', 'v0.0.1', '--stage', 'staging'], ['deprecate', 'm', 'v0.0.1', 'qa'], ['assign', 'm', '--version', 'v0.0.1', '--stage', 'bad stage']]) {
      const before = git(root, 'tag', '-l');
      const expected = gto(root, args);
      const actual = cairnModel(root, args);
      assert.notEqual(expected.status, 0, args.join(' '));
      assert.notEqual(actual.status, 0, args.join(' '));
      assert.equal(actual.stderr.trim().split('\n').length, 1, actual.stderr);
      // gto wraps its line at the terminal's width: its first line is compared.
      assert.ok(actual.stderr.startsWith(`ERROR: ${gtoRefusal(expected).split('\n')[0].trim()}`), `${args.join(' ')}:\n${actual.stderr}\nvs gto's\n${expected.stderr}`);
      assert.equal(git(root, 'tag', '-l'), before);
    }
    assert.match(cairnModel(root, ['assign', 'm', '--version', 'v0.0.1', '--stage', 'staging']).stderr, /Allowed stages are: '\['dev', 'prod'\]'/);
    assert.equal(cairnModel(root, ['assign', 'm', '--version', 'v0.0.1', '--stage', 'prod']).status, 0);
    for (const query of [['stages', '--json'], ['stages', '--allowed', '--json'], ['stages', '--used', '--json'], ['stages'], ['show', '--json'], ['show', '--json', '-d']]) {
      const expected = gto(root, query);
      assert.equal(expected.status, 0, expected.stderr);
      assert.equal(cairnModel(root, query).stdout, expected.stdout, query.join(' '));
    }
    // types: restrict the type Cairn's artifacts add declares (gto's rule for types, and its words).
    const refused = runIn(root, process.execPath, [CLI, 'artifacts', 'add', 'net', '--path', 'net.pt', '--type', 'checkpoint']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^ERROR: Allowed types are: '\['model', 'dataset'\]'/);
    assert.ok(!fs.existsSync(path.join(root, 'dvc.yaml')));
    cairnOk(root, 'artifacts', 'add', 'net', '--path', 'net.pt', '--type', 'dataset');
  });

  it('a .gto gto refuses makes every command refuse it with gto\'s words, writing nothing; an empty one restricts nothing', () => {
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'one');
    assert.equal(gto(root, ['register', 'm']).status, 0);
    const wrong = ['stages: prod\n', 'stages: [prod, "bad name"]\n', 'stages: [1, 2]\n', 'stage: [prod]\n', '- prod\n', 'stages: [prod\n', 'emojis: maybe\n', 'stages: [a, a]\nstages: [b]\n'];
    for (const text of wrong) {
      fs.writeFileSync(path.join(root, '.gto'), text);
      for (const args of [['assign', 'm', '--version', 'v0.0.1', '--stage', 'prod'], ['show', '--json'], ['stages']]) {
        const expected = gto(root, args);
        const actual = cairnModel(root, args);
        assert.notEqual(expected.status, 0, `gto ${args.join(' ')} over ${JSON.stringify(text)}`);
        assert.equal(actual.status, 1, `${args.join(' ')} over ${JSON.stringify(text)}: ${actual.stdout}`);
        assert.equal(actual.stderr.trim().split('\n').length, 1, actual.stderr);
        assert.ok(actual.stderr.startsWith(`ERROR: ${gtoRefusal(expected).split('\n')[0].trim()}`), `${JSON.stringify(text)}:\n${actual.stderr}\nvs gto's\n${expected.stderr}`);
      }
      assert.equal(git(root, 'tag', '-l'), 'm@v0.0.1\n');
    }
    for (const text of ['', '# nothing\n', 'stages:\n', 'emojis: no\nlog_level: DEBUG\n']) {
      fs.writeFileSync(path.join(root, '.gto'), text);
      for (const query of [['stages', '--json'], ['stages', '--allowed', '--json'], ['show', '--json']]) {
        const expected = gto(root, query);
        assert.equal(expected.status, 0, `${JSON.stringify(text)}: ${expected.stderr}`);
        assert.equal(cairnModel(root, query).stdout, expected.stdout, `${query.join(' ')} over ${JSON.stringify(text)}`);
      }
    }
  });

  /** Registry writes with --force and --delete, the same words for both tools; each step's stdout kept. */
  function forceAndDelete(root: string, tool: (cwd: string, args: string[], env?: Record<string, string>) => Run): string[] {
    const clock = new Clock();
    const outputs: string[] = [];
    const step = (...args: string[]) => {
      const r = tool(root, args, TAGGER);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      // Deleted tags come in the order of their tagger times; gto stamps the wall clock, so tags
      // written in the same second by one tool may be a second apart by the other: compared as a set.
      outputs.push(r.stdout.startsWith('Deleted') ? r.stdout.split(/(?=Deleted git tag)/).sort().join('') : r.stdout);
    };
    const refused = (...args: string[]) => {
      const r = tool(root, args, TAGGER);
      assert.notEqual(r.status, 0, `${args.join(' ')} is refused`);
      outputs.push(`refused: ${r.stderr.trim().replace(/^(❌|ERROR:) /, '').split('. ')[0]}`);
    };
    commit(root, clock, 'a.txt');
    step('register', 'm');
    step('assign', 'm', '--version', 'v0.0.1', '--stage', 'prod');
    step('assign', 'm', '--version', 'v0.0.1', '--stage', 'prod', '--force');
    step('assign', 'm', '--version', 'v0.0.1', '--stage', 'dev');
    step('deprecate', 'm', 'v0.0.1', 'staging', '--force');
    step('deprecate', 'm', 'v0.0.1', 'dev');
    refused('register', 'm', '--force');
    commit(root, clock, 'b.txt');
    step('register', 'm');
    step('assign', 'm', '--stage', 'prod');
    step('register', 'n');
    step('deprecate', 'm', 'v0.0.1', 'dev', '--delete');
    step('deprecate', 'm', 'v0.0.1', '--force');
    refused('deprecate', 'm', 'v0.0.1', '--force');
    refused('deprecate', 'm', 'v9.9.9', '--force');
    step('deprecate', 'm', 'v0.0.1', '--delete', '--force');
    step('deprecate', 'n');
    step('deprecate', 'n', '--force');
    refused('deprecate', 'n', '--force', '--simple', 'true');
    step('deprecate', 'n', '--delete', '--force');
    step('deprecate', 'm', '--delete');
    refused('deprecate', 'm', '--delete');
    return outputs;
  }

  it('--force and --delete write and delete the very tags gto does, and say so in its words', () => {
    const byGto = tempGitRepo();
    const byCairn = tempGitRepo();
    const gtoSaid = forceAndDelete(byGto, gto);
    const cairnSaid = forceAndDelete(byCairn, cairnModel);
    assert.equal(tagObjects(byCairn), tagObjects(byGto));
    assert.deepEqual(cairnSaid, gtoSaid);
    assert.equal(git(byCairn, 'tag', '-l'), '');
  });

  it('assign --skip-registration writes the tags gto writes, and both read them alike', () => {
    const steps = (root: string, tool: (cwd: string, args: string[], env?: Record<string, string>) => Run) => {
      const clock = new Clock();
      commit(root, clock, 'a.txt');
      for (const args of [['assign', 'k', '--stage', 'prod', '--skip-registration'], ['assign', 'k', '--stage', 'prod', '--skip-registration'], ['assign', 'k', '--stage', 'dev', '--skip-registration', '--simple', 'true']]) {
        const r = tool(root, args, TAGGER);
        assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      const refused = tool(root, ['assign', 'k', 'HEAD', '--version', 'v1.0.0', '--stage', 'qa', '--skip-registration'], TAGGER);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /You either need to supply version name or skip registration/);
      commit(root, clock, 'b.txt');
      assert.equal(tool(root, ['register', 'k'], TAGGER).status, 0);
    };
    const byGto = tempGitRepo();
    const byCairn = tempGitRepo();
    steps(byGto, gto);
    steps(byCairn, cairnModel);
    assert.equal(tagObjects(byCairn), tagObjects(byGto));
    assertSameQueries(byGto, ['k']);
    assertSameQueries(byCairn, ['k']);
  });

  it('--delete --push deletes the tags on origin too', () => {
    const remote = tempDir();
    git(remote, 'init', '-q', '--bare');
    const root = tempGitRepo();
    git(root, 'commit', '-q', '--allow-empty', '-m', 'one');
    git(root, 'remote', 'add', 'origin', remote);
    cairnOk(root, 'model', 'register', 'm', '--push');
    cairnOk(root, 'model', 'assign', 'm', '--version', 'v0.0.1', '--stage', 'prod', '--push');
    assert.equal(git(remote, 'tag', '-l'), 'm#prod#1\nm@v0.0.1\n');
    cairnOk(root, 'model', 'deprecate', 'm', 'v0.0.1', '--delete', '--push');
    assert.equal(git(remote, 'tag', '-l'), '');
    assert.equal(git(root, 'tag', '-l'), '');
  });
});
