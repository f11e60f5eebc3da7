import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { CLI, dvc, dvcOk, folderSnapshot, git, md5, tempDir, treeHashes, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureDvcS3, ensureGto } from '../support/peers';
import { createBucket, S3Server, startMinio } from '../support/minio';

/**
 * `cairn artifacts get <repo-url|path> <name>` as a deployment runs it (an init container pulling
 * the production model), against `dvc artifacts get` on the same repositories: from a folder and a
 * `file://` URL (fetched into a temporary clone), a folder remote and S3, file and folder
 * artifacts; and what a hostile URL, repository or remote cannot make it do.
 */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runIn(cwd: string, program: string, args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(program, args, { cwd, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cairnGet = (cwd: string, args: string[], env?: Record<string, string>) => runIn(cwd, process.execPath, [CLI, 'artifacts', 'get', ...args], env);
const cairnModel = (cwd: string, args: string[]) => runIn(cwd, process.execPath, [CLI, 'model', ...args]);
const gto = (cwd: string, args: string[]) => runIn(cwd, ensureGto(), args);

function ok(r: Run, what: string): string {
  assert.equal(r.status, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Whatever is left in `dir` besides what the test put there: no temp files, no partial output. */
const entries = (dir: string) => fs.readdirSync(dir).sort();

/**
 * A repository with a file artifact `model` (two versions, v0.0.1 in prod) and a folder artifact
 * `net` (files in a subfolder), tracked by dvc and pushed to a folder remote; `tagger` registers
 * and assigns (gto or Cairn, the same words).
 */
function registryRepo(tagger: (cwd: string, args: string[]) => Run): { root: string; storage: string } {
  const root = tempGitRepo();
  const storage = tempDir();
  dvcOk(root, 'init', '-q');
  dvcOk(root, 'remote', 'add', '-d', 'store', storage);
  writeFiles(root, {
    'models/model.pkl': 'weights v1',
    'models/net/config.json': '{"layers": 3}',
    'models/net/weights/a.bin': 'aaa',
    'models/net/weights/b.bin': 'bbb',
    'dvc.yaml': 'artifacts:\n  model:\n    path: models/model.pkl\n    type: model\n  net:\n    path: models/net\n    type: model\n',
  });
  dvcOk(root, 'add', '-q', 'models/model.pkl', 'models/net');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'v1');
  ok(tagger(root, ['register', 'model']), 'register model');
  ok(tagger(root, ['register', 'net']), 'register net');
  writeFiles(root, { 'models/model.pkl': 'weights v2', 'models/net/weights/b.bin': 'BBB' });
  dvcOk(root, 'add', '-q', 'models/model.pkl', 'models/net');
  git(root, 'commit', '-q', '-am', 'v2');
  ok(tagger(root, ['register', 'model']), 'register model again');
  ok(tagger(root, ['register', 'net', '--bump-minor']), 'register net again');
  ok(tagger(root, ['assign', 'model', '--version', 'v0.0.1', '--stage', 'prod']), 'assign');
  dvcOk(root, 'push', '-q', '-A');
  return { root, storage };
}

describe('cairn artifacts get from a repository folder or URL, against dvc artifacts get', function () {
  this.timeout(180_000);

  it('gets what dvc gets, from a folder and a file:// URL, of versions gto registered: files and folders, placed as dvc places them', () => {
    const { root } = registryRepo(gto);
    // The source's own cache emptied: everything comes from the folder remote its .dvc/config names.
    fs.rmSync(path.join(root, '.dvc', 'cache'), { recursive: true, force: true });
    const url = pathToFileURL(root).href;
    for (const [label, source] of [['path', root], ['url', url]]) {
      const byDvc = tempDir();
      const byCairn = tempDir();
      for (const args of [['model'], ['model', '--stage', 'prod', '-o', 'prod.pkl'], ['model', '--rev', 'v0.0.2', '-o', 'deep/er/v2.pkl'], ['net'], ['net', '--rev', 'v0.0.1', '-o', 'net-v1']]) {
        dvcOk(byDvc, 'artifacts', 'get', source, ...args);
        ok(cairnGet(byCairn, [source, ...args]), `${label}: ${args.join(' ')}`);
      }
      // An existing folder as the destination: the artifact goes inside it, under its own name.
      fs.mkdirSync(path.join(byDvc, 'into'));
      fs.mkdirSync(path.join(byCairn, 'into'));
      dvcOk(byDvc, 'artifacts', 'get', source, 'net', '-o', 'into');
      ok(cairnGet(byCairn, [source, 'net', '-o', 'into']), `${label}: net -o into`);
      assert.deepEqual(folderSnapshot(byCairn), folderSnapshot(byDvc), label);
      assert.equal(fs.readFileSync(path.join(byCairn, 'prod.pkl'), 'utf8'), 'weights v1');
      assert.equal(fs.readFileSync(path.join(byCairn, 'net-v1', 'weights', 'b.bin'), 'utf8'), 'bbb');
      assert.equal(fs.readFileSync(path.join(byCairn, 'net', 'weights', 'b.bin'), 'utf8'), 'BBB');
      assert.equal(fs.statSync(path.join(byCairn, 'model.pkl')).mode & 0o777, fs.statSync(path.join(byDvc, 'model.pkl')).mode & 0o777);
      // gto's shortcuts, beyond dvc.
      ok(cairnGet(byCairn, [source, 'model#prod', '-o', 'shortcut.pkl']), 'model#prod');
      assert.equal(fs.readFileSync(path.join(byCairn, 'shortcut.pkl'), 'utf8'), 'weights v1');
      // An existing destination is refused by both (into/net for a folder given as the destination), and replaced by Cairn's --force.
      for (const [name, out] of [['model', 'prod.pkl'], ['net', 'into']]) {
        const refused = cairnGet(byCairn, [source, name, '-o', out]);
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /^ERROR: The (file|directory) '.*' already exists locally\. To override it, re-run with '--force'\.\n$/);
        const byDvcToo = dvc(byDvc, 'artifacts', 'get', source, name, '-o', out);
        assert.equal(byDvcToo.status, 1);
        assert.match(byDvcToo.stderr, /already exists locally/);
      }
      ok(cairnGet(byCairn, [source, 'model', '--rev', 'v0.0.2', '-o', 'prod.pkl', '--force']), 'a file replaced with --force');
      assert.equal(fs.readFileSync(path.join(byCairn, 'prod.pkl'), 'utf8'), 'weights v2');
      fs.writeFileSync(path.join(byCairn, 'into', 'net', 'stray.txt'), 'left from before');
      ok(cairnGet(byCairn, [source, 'net', '--rev', 'v0.0.1', '-o', 'into', '--force']), 'a folder replaced with --force');
      assert.deepEqual(treeHashes(path.join(byCairn, 'into', 'net')), { 'config.json': md5('{"layers": 3}'), 'weights/a.bin': md5('aaa'), 'weights/b.bin': md5('bbb') });
      assert.ok(!entries(byCairn).some((e) => e.endsWith('.tmp')), entries(byCairn).join(' '));
    }
  });

  it('dvc artifacts get fetches, from a folder and a file:// URL, the versions and stages Cairn registered', () => {
    const { root } = registryRepo(cairnModel);
    for (const source of [root, pathToFileURL(root).href]) {
      const out = tempDir();
      dvcOk(out, 'artifacts', 'get', source, 'model', '--stage', 'prod', '-o', 'prod.pkl');
      dvcOk(out, 'artifacts', 'get', source, 'net', '--rev', 'v0.1.0', '-o', 'net');
      assert.equal(fs.readFileSync(path.join(out, 'prod.pkl'), 'utf8'), 'weights v1');
      assert.deepEqual(treeHashes(path.join(out, 'net')), { 'config.json': md5('{"layers": 3}'), 'weights/a.bin': md5('aaa'), 'weights/b.bin': md5('BBB') });
    }
  });

  it('from a URL, the remote is the committed .dvc/config\'s: one only in .dvc/config.local is not in the clone, said in one line, as dvc fails too', () => {
    const root = tempGitRepo();
    const storage = tempDir();
    dvcOk(root, 'init', '-q');
    dvcOk(root, 'remote', 'add', '--local', '-d', 'mine', storage);
    writeFiles(root, { 'model.pkl': 'w', 'dvc.yaml': 'artifacts:\n  model:\n    path: model.pkl\n' });
    dvcOk(root, 'add', '-q', 'model.pkl');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'v1');
    ok(cairnModel(root, ['register', 'model']), 'register');
    dvcOk(root, 'push', '-q');
    fs.rmSync(path.join(root, '.dvc', 'cache'), { recursive: true, force: true });
    const out = tempDir();
    // From the folder its config.local counts, for both.
    dvcOk(out, 'artifacts', 'get', root, 'model', '-o', 'dvc.pkl');
    ok(cairnGet(out, [root, 'model', '-o', 'cairn.pkl']), 'from the folder');
    const url = pathToFileURL(root).href;
    assert.notEqual(dvc(out, 'artifacts', 'get', url, 'model', '-o', 'x').status, 0);
    const r = cairnGet(out, [url, 'model', '-o', 'x']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /^ERROR: the repository's \.dvc\/config at [0-9a-f]{7} names no default remote, so 'model\.pkl' cannot be fetched\. Commit one/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.deepEqual(entries(out), ['cairn.pkl', 'dvc.pkl']);
    // dvc's --remote and --remote-config name it for the run (nothing written anywhere).
    dvcOk(out, 'artifacts', 'get', url, 'model', '--remote', 'mine', '--remote-config', `url=${storage}`, '-o', 'dvc-remote.pkl');
    ok(cairnGet(out, [url, 'model', '--remote', 'mine', '--remote-config', `url=${storage}`, '-o', 'cairn-remote.pkl']), '--remote-config');
    assert.equal(fs.readFileSync(path.join(out, 'cairn-remote.pkl'), 'utf8'), 'w');
    const unnamed = cairnGet(out, [url, 'model', '--remote-config', 'url=/x', '-o', 'y']);
    assert.match(unnamed.stderr, /^ERROR: --remote-config needs a remote/);
    assert.equal(fs.readFileSync(path.join(root, '.dvc', 'config.local'), 'utf8'), `[core]\n    remote = mine\n['remote "mine"']\n    url = ${storage}\n`);
  });
});

describe('cairn artifacts get from an S3 remote (MinIO), against dvc artifacts get', function () {
  this.timeout(180_000);
  let server: S3Server | undefined;
  after(async () => {
    await server?.stop();
  });

  it("gets from a file:// URL what dvc-s3 gets, credentials from AWS_* only (a clone has no config.local); without them, one line saying what to set", async () => {
    server = await startMinio();
    await createBucket(server, 'artifacts');
    const credentials = { AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey };
    const dvcS3 = (cwd: string, ...args: string[]) => ok(runIn(cwd, ensureDvcS3(), args, credentials), `dvc ${args.join(' ')}`);
    const root = tempGitRepo();
    dvcS3(root, 'init', '-q');
    dvcS3(root, 'remote', 'add', '-d', 's3', 's3://artifacts/store');
    dvcS3(root, 'remote', 'modify', 's3', 'endpointurl', server.endpoint);
    writeFiles(root, { 'model.pkl': 'weights on s3', 'net/a.bin': 'a', 'net/deep/b.bin': 'b', 'dvc.yaml': 'artifacts:\n  model:\n    path: model.pkl\n  net:\n    path: net\n' });
    dvcS3(root, 'add', '-q', 'model.pkl', 'net');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'v1');
    ok(cairnModel(root, ['register', 'model']), 'register');
    ok(cairnModel(root, ['assign', 'net', '--stage', 'prod']), 'assign');
    dvcS3(root, 'push', '-q');
    fs.rmSync(path.join(root, '.dvc', 'cache'), { recursive: true, force: true });
    const url = pathToFileURL(root).href;
    const byDvc = tempDir();
    const byCairn = tempDir();
    for (const args of [['model', '-o', 'models/prod.pkl'], ['net', '--stage', 'prod']]) {
      dvcS3(byDvc, 'artifacts', 'get', url, ...args);
      ok(cairnGet(byCairn, [url, ...args], credentials), args.join(' '));
    }
    assert.deepEqual(folderSnapshot(byCairn), folderSnapshot(byDvc));
    assert.equal(fs.readFileSync(path.join(byCairn, 'models', 'prod.pkl'), 'utf8'), 'weights on s3');
    const bare = tempDir();
    const noCredentials = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: path.join(bare, 'none'), AWS_CONFIG_FILE: path.join(bare, 'none') };
    const refused = cairnGet(bare, [url, 'model'], noCredentials);
    assert.equal(refused.status, 1, refused.stdout);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /could not be fetched: .*Could not load credentials/);
    assert.match(refused.stderr, /a clone has no \.dvc\/config\.local, so S3 credentials come from AWS_ACCESS_KEY_ID/);
    assert.deepEqual(entries(bare), []);
  });
});

describe('cairn artifacts get refuses what a hostile URL, repository or remote asks', function () {
  this.timeout(120_000);

  it('a URL git could read as an option or a transport helper (ext::) is refused in one line before git runs: nothing ran, nothing written', () => {
    const out = tempDir();
    const marker = path.join(tempDir(), 'ran');
    for (const url of [`--upload-pack=touch ${marker}`, `-u touch ${marker}`, `ext::sh -c touch% ${marker}`, `ext::sh -c "touch ${marker}"`, 'fd::0', `--config=core.sshCommand=touch ${marker}`]) {
      const r = cairnGet(out, ['-o', 'x', '--', url, 'model']);
      assert.equal(r.status, 1, `${url}: ${r.stdout}`);
      assert.match(r.stderr, /^ERROR: '.*' is neither a repository folder nor a git URL\. /, url);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!fs.existsSync(marker), `${url} ran a command`);
    }
    // ssh's own guard: a host git would pass to ssh as an option.
    const r = cairnGet(out, ['-o', 'x', `ssh://-oProxyCommand=touch%20${encodeURIComponent(marker)}/repo`, 'model']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!fs.existsSync(marker));
    assert.deepEqual(entries(out), []);
  });

  it("a tag whose commit's dvc.yaml puts the artifact outside the repository or inside .git is refused, from a folder and a URL, writing nothing", () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': 'artifacts:\n  out:\n    path: ../../../etc/passwd\n  git:\n    path: .git/config\n  sneaky:\n    path: models/../.git/hooks/pre-commit\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'hostile');
    for (const name of ['out', 'git', 'sneaky']) ok(cairnModel(root, ['register', name]), name);
    const out = tempDir();
    for (const source of [root, pathToFileURL(root).href]) {
      for (const [name, words] of [['out', /is outside the repository/], ['git', /is inside \.git\//], ['sneaky', /is inside \.git\//]] as [string, RegExp][]) {
        const r = cairnGet(out, [source, name]);
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, words);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
    }
    assert.deepEqual(entries(out), []);
  });

  it('an object whose bytes do not match its md5, on the remote or in the cache, is refused and nothing is written (not even the good files of a folder)', () => {
    const { root, storage } = registryRepo(cairnModel);
    // The remote's copy of one file of the folder artifact (v0.1.0's weights/b.bin, 'BBB') is overwritten.
    const bad = path.join(storage, 'files', 'md5', md5('BBB').slice(0, 2), md5('BBB').slice(2));
    fs.chmodSync(bad, 0o644);
    fs.writeFileSync(bad, 'XXX');
    fs.rmSync(path.join(root, '.dvc', 'cache'), { recursive: true, force: true });
    const out = tempDir();
    // The temporary clone goes too: nothing is left in the temp folder.
    const privateTemp = tempDir();
    for (const source of [pathToFileURL(root).href, root]) {
      const r = cairnGet(out, [source, 'net'], { TMPDIR: privateTemp });
      assert.equal(r.status, 1, r.stdout);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(md5('BBB')));
      assert.deepEqual(entries(out), []);
      assert.deepEqual(entries(privateTemp), []);
    }
    // The object corrupt in the source's own cache (fetched good from another remote, then changed): hashed as written, refused.
    ok(cairnGet(out, [root, 'model']), 'the file artifact is whole');
    fs.rmSync(path.join(out, 'model.pkl'));
    const cached = path.join(root, '.dvc', 'cache', 'files', 'md5', md5('weights v2').slice(0, 2), md5('weights v2').slice(2));
    fs.chmodSync(cached, 0o644);
    fs.writeFileSync(cached, 'weights v3');
    const r = cairnGet(out, [root, 'model']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /hashes to/);
    assert.deepEqual(entries(out), []);
  });
});
