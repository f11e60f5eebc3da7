import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { cairn, cairnOk, CLI, cloneOf, corruptCacheObjects, git, md5, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { ensureDvcS3 } from '../support/peers';
import { createBucket, S3Server, startMinio } from '../support/minio';
import { SEED, streamFor } from '../support/faultSeed';

/**
 * Remotes against the real dvc 3.67.1 with dvc-s3 3.3.0: the config both write, data pushed
 * by one and pulled by the other through a local folder and through a real S3 server
 * (MinIO, built from source), `status -c --json` compared, and SIGKILL at random points of
 * `cairn push` / `cairn pull`.
 *
 * Replay kills: CAIRN_FAULT_SEED=<n>; kills per case: CAIRN_REMOTE_KILLS (default 5).
 */

const KILLS = Number(process.env.CAIRN_REMOTE_KILLS ?? 5);


function dvc(cwd: string, ...args: string[]) {
  const r = spawnSync(ensureDvcS3(), args, { cwd, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function dvcOk(cwd: string, ...args: string[]): string {
  const r = dvc(cwd, ...args);
  if (r.status !== 0) throw new Error(`dvc ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const log = (msg: string) => process.stdout.write(`      ${msg}\n`);
const read = (dir: string, rel: string) => (fs.existsSync(path.join(dir, rel)) ? fs.readFileSync(path.join(dir, rel), 'utf8') : '<absent>');

/** A git repo, dvc-initialised, with data tracked by `tool` and committed. */
function dataRepo(files: Record<string, string | Buffer>, tool: 'dvc' | 'cairn', targets: string[]): string {
  const dir = tempGitRepo();
  if (tool === 'dvc') dvcOk(dir, 'init', '-q');
  else cairnOk(dir, 'init', '-q');
  writeFiles(dir, files);
  if (tool === 'dvc') dvcOk(dir, 'add', '-q', ...targets);
  else cairnOk(dir, 'add', ...targets);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'data');
  return dir;
}

function dataFiles(rng: () => number, n: number, bigBytes = 0): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) {
    const size = i % 17 === 0 ? 64 << 10 : Math.floor(rng() * 4096);
    files[`data/${['', 'a/', 'a/b/', 'c/'][i % 4]}f${i}.bin`] = Buffer.concat([Buffer.from(`file ${i}\n`), crypto.randomBytes(size)]);
  }
  files['model.bin'] = Buffer.concat([Buffer.from('model\n'), crypto.randomBytes(1000)]);
  if (bigBytes) files['big.bin'] = crypto.randomBytes(bigBytes);
  return files;
}

const parse = (s: string) => JSON.parse(s) as Record<string, string>;

// ---------------------------------------------------------------------------------------

describe('remote config written by cairn and dvc is byte-identical', function () {
  this.timeout(120_000);

  it('add -d/--local/-f, modify (+ --unset), rename, default (+ --unset), remove, list', () => {
    const a = tempGitRepo();
    const b = tempGitRepo();
    dvcOk(a, 'init', '-q');
    cairnOk(b, 'init', '-q');
    fs.mkdirSync(path.join(a, 'sub'));
    fs.mkdirSync(path.join(b, 'sub'));
    const steps: [string, string[]][] = [
      ['sub', ['remote', 'add', '-d', 'myremote', '../store']],
      ['', ['remote', 'add', 's3', 's3://bucket/prefix']],
      ['', ['remote', 'add', 'with space', '/x']],
      ['', ['remote', 'add', 'f', 'file:///tmp/fs']],
      ['', ['remote', 'modify', 's3', 'endpointurl', 'http://127.0.0.1:9000']],
      ['', ['remote', 'modify', 's3', 'jobs', '4']],
      ['', ['remote', 'modify', '--local', 's3', 'access_key_id', 'AKIA']],
      ['', ['remote', 'modify', '--local', 's3', 'secret_access_key', 'sEcReT']],
      ['', ['remote', 'add', '--local', 'loc', '../rel/path']],
      ['', ['remote', 'rename', 'myremote', 'other']],
      ['', ['remote', 'modify', 's3', 'region', 'eu-west-1']],
      ['', ['remote', 'modify', 's3', 'region', '--unset']],
      ['', ['remote', 'add', '-f', 'f', '/y']],
      ['', ['remote', 'remove', 'with space']],
    ];
    for (const [sub, args] of steps) {
      dvcOk(path.join(a, sub), ...args);
      cairnOk(path.join(b, sub), ...args);
      for (const f of ['.dvc/config', '.dvc/config.local']) assert.equal(read(b, f), read(a, f), `${f} after \`${args.join(' ')}\``);
    }
    const norm = (s: string, root: string) => s.split(root).join('<root>').split(path.dirname(root)).join('<tmp>');
    assert.equal(norm(cairnOk(b, 'remote', 'list'), b), norm(dvcOk(a, 'remote', 'list'), a));
    assert.equal(cairnOk(b, 'remote', 'default'), dvcOk(a, 'remote', 'default'));
    for (const args of [['remote', 'default', 's3'], ['remote', 'remove', 'other'], ['remote', 'default', '--unset']]) {
      dvcOk(a, ...args);
      cairnOk(b, ...args);
      assert.equal(read(b, '.dvc/config'), read(a, '.dvc/config'), `after ${args.join(' ')}`);
    }
    // What dvc refuses, cairn refuses.
    for (const args of [['remote', 'add', 's3', '/z'], ['remote', 'modify', 'nope', 'url', 'x'], ['remote', 'default', 'nope'], ['remote', 'modify', 's3', 'bogus', 'x']]) {
      assert.notEqual(dvc(a, ...args).status, 0, `dvc ${args.join(' ')}`);
      assert.notEqual(cairn(b, ...args).status, 0, `cairn ${args.join(' ')}`);
    }
  });
});

// ---------------------------------------------------------------------------------------

interface RemoteSetup {
  kind: 'local' | 's3';
  /** Configure the remote in a repo (with `tool`), as the default. */
  configure(dir: string, tool: 'dvc' | 'cairn'): void;
  /** Every object on the remote: key → content md5. */
  objects(): Promise<Map<string, string>>;
  corrupt(key: string, content: string | Buffer): Promise<void>;
  remove(key: string): Promise<void>;
  clear(): Promise<void>;
}

function localSetup(): RemoteSetup {
  const store = path.join(tempDir(), 'store');
  const walk = (dir: string, rel: string, out: Map<string, string>) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r, out);
      else out.set(r, md5(fs.readFileSync(path.join(dir, e.name))));
    }
  };
  return {
    kind: 'local',
    configure(dir, tool) {
      (tool === 'dvc' ? dvcOk : cairnOk)(dir, 'remote', 'add', '-d', '-f', 'store', store);
    },
    async objects() {
      const out = new Map<string, string>();
      walk(store, '', out);
      return out;
    },
    async corrupt(key, content) {
      const f = path.join(store, key);
      fs.chmodSync(f, 0o644);
      fs.writeFileSync(f, content);
    },
    async remove(key) {
      fs.rmSync(path.join(store, key), { force: true });
    },
    async clear() {
      spawnSync('chmod', ['-R', 'u+w', store]);
      fs.rmSync(store, { recursive: true, force: true });
    },
  };
}

async function s3Setup(server: S3Server, bucket: string): Promise<RemoteSetup> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey } });
  await createBucket(server, bucket);
  const prefix = 'project/cache';
  const list = async () => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + '/', ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  };
  return {
    kind: 's3',
    configure(dir, tool) {
      const run = tool === 'dvc' ? dvcOk : cairnOk;
      run(dir, 'remote', 'add', '-d', '-f', 's3', `s3://${bucket}/${prefix}`);
      run(dir, 'remote', 'modify', 's3', 'endpointurl', server.endpoint);
      run(dir, 'remote', 'modify', '--local', 's3', 'access_key_id', server.accessKey);
      run(dir, 'remote', 'modify', '--local', 's3', 'secret_access_key', server.secretKey);
    },
    async objects() {
      const out = new Map<string, string>();
      for (const key of await list()) {
        let r;
        try {
          r = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        } catch (err) {
          // Listed but gone when read: seen once in eight runs, right after a kill, and not again in
          // six more (a listing trailing clear()'s deletes, likely). Not an object; logged when seen.
          if ((err as Error).name === 'NoSuchKey') {
            log(`listed but not there when read: ${key}`);
            continue;
          }
          throw err;
        }
        out.set(key.slice(prefix.length + 1), md5(Buffer.from(await r.Body!.transformToByteArray())));
      }
      return out;
    },
    async corrupt(key, content) {
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: content }));
    },
    async remove(key) {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
    },
    async clear() {
      for (const key of await list()) await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

/** Every object's content hashes to its name; returns the bad ones (temp names excluded and returned apart). */
function checkObjects(objects: Map<string, string>): { bad: string[]; temp: string[] } {
  const bad: string[] = [];
  const temp: string[] = [];
  for (const [key, hash] of objects) {
    const m = /^(?:files\/md5\/)?([0-9a-f]{2})\/([0-9a-f]{30})(\.dir)?$/.exec(key);
    if (!m) {
      if (/\/\.[0-9a-f]{30}(\.dir)?\.\d+\.[0-9a-f]+\.\d+\.tmp$/.test(key)) temp.push(key);
      else bad.push(`${key} (not an object name)`);
    } else if (m[1] + m[2] !== hash) bad.push(key);
  }
  return { bad, temp };
}

function runCli(cwd: string, args: string[], killAfterMs?: number): Promise<{ code: number | null; killed: boolean; ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, killed: signal === 'SIGKILL', ms: Date.now() - started, stderr });
    });
  });
}

function remoteSuite(name: string, setup: () => Promise<RemoteSetup>, bigBytes: number): void {
  describe(`push/pull with dvc through ${name}`, function () {
    this.timeout(300_000);
    let remote: RemoteSetup;
    before(async function () {
      remote = await setup(); // MinIO was built before the tests (test/provisionPeers.ts)
    });
    beforeEach(async () => remote.clear());

    it('dvc push → cairn pull (and status -c --json equal at each step)', async () => {
      const files = dataFiles(streamFor(`${name} dvc→cairn`), 40, bigBytes);
      const src = dataRepo(files, 'dvc', ['data', 'model.bin', ...(bigBytes ? ['big.bin'] : [])]);
      remote.configure(src, 'dvc');
      git(src, 'commit', '-qam', 'remote');
      assert.deepEqual(parse(cairnOk(src, 'status', '-c', '--json')), parse(dvcOk(src, 'status', '-c', '--json')), 'nothing pushed');
      // (Not a part of a directory: dvc then sends the .dir first and later takes the
      // directory for complete on that remote, a dvc quirk cairn's push avoids.)
      dvcOk(src, 'push', '-q', 'model.bin');
      assert.deepEqual(parse(cairnOk(src, 'status', '-c', '--json')), parse(dvcOk(src, 'status', '-c', '--json')), 'part pushed');
      dvcOk(src, 'push', '-q');
      const clone = cloneOf(src);
      const before = parse(dvcOk(clone, 'status', '-c', '--json'));
      fs.rmSync(path.join(clone, '.dvc', 'cache'), { recursive: true, force: true });
      assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), before, 'empty cache');
      const out = JSON.parse(cairnOk(clone, 'pull', '--json'));
      assert.equal(out.failed, 0);
      assert.deepEqual(treeHashes(path.join(clone, 'data')), treeHashes(path.join(src, 'data')));
      if (bigBytes) assert.equal(md5(fs.readFileSync(path.join(clone, 'big.bin'))), md5(files['big.bin']));
      assert.deepEqual(corruptCacheObjects(path.join(clone, '.dvc', 'cache')), []);
      assert.deepEqual(parse(dvcOk(clone, 'status', '--json')), {});
      assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), {});
      assert.deepEqual(parse(dvcOk(clone, 'status', '-c', '--json')), {});
      // A file gone from both sides: 'missing' for both tools.
      const victim = [...(await remote.objects()).keys()].find((k) => !k.endsWith('.dir'))!;
      const objFile = path.join(clone, '.dvc', 'cache', ...victim.split('/'));
      fs.rmSync(objFile, { force: true });
      await remote.remove(victim);
      assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), parse(dvcOk(clone, 'status', '-c', '--json')), 'one object missing');
    });

    it('cairn push → dvc pull; remote layout as dvc\'s; a rerun pushes nothing', async () => {
      const files = dataFiles(streamFor(`${name} cairn→dvc`), 40, bigBytes);
      const src = dataRepo(files, 'cairn', ['data', 'model.bin', ...(bigBytes ? ['big.bin'] : [])]);
      remote.configure(src, 'cairn');
      git(src, 'add', '-A');
      git(src, 'commit', '-qm', 'remote');
      const pushed = JSON.parse(cairnOk(src, 'push', '--json'));
      assert.equal(pushed.failed, 0);
      assert.equal(pushed.transferred, 40 + 1 + 1 + (bigBytes ? 1 : 0));
      assert.ok(pushed.seconds > 0 && pushed.seconds < 60, `the transfer's own time in seconds, got ${pushed.seconds}`);
      const objects = await remote.objects();
      assert.deepEqual(checkObjects(objects), { bad: [], temp: [] });
      assert.ok([...objects.keys()].every((k) => k.startsWith('files/md5/')), 'DVC 3 layout');
      assert.deepEqual(parse(dvcOk(src, 'status', '-c', '--json')), {});
      assert.match(dvcOk(src, 'push'), /Everything is up to date/);
      assert.equal(JSON.parse(cairnOk(src, 'push', '--json')).transferred, 0);
      const clone = cloneOf(src);
      dvcOk(clone, 'pull', '-q');
      assert.deepEqual(treeHashes(path.join(clone, 'data')), treeHashes(path.join(src, 'data')));
      if (bigBytes) assert.equal(md5(fs.readFileSync(path.join(clone, 'big.bin'))), md5(files['big.bin']));
    });

    it('a corrupted object on the remote is named on pull and never enters the cache', async () => {
      const files = dataFiles(streamFor(`${name} corrupt`), 12);
      const src = dataRepo(files, 'cairn', ['data', 'model.bin']);
      remote.configure(src, 'cairn');
      cairnOk(src, 'push');
      // One small, one big: a big download is hashed another way (S3: by a thread following the
      // download; a folder: a hash task beside the copy task).
      const [key, bigKey] = [...(await remote.objects()).keys()].filter((k) => !k.endsWith('.dir'));
      await remote.corrupt(key, 'not what was pushed');
      await remote.corrupt(bigKey, crypto.randomBytes(40 << 20));
      const clone = cloneOf(src);
      remote.configure(clone, 'cairn');
      const r = cairn(clone, 'pull');
      assert.equal(r.status, 1, r.stderr);
      for (const k of [key, bigKey]) {
        assert.match(r.stderr, new RegExp(`${k.replace(/\./g, '\\.')}.*corrupted`));
        assert.equal(fs.existsSync(path.join(clone, '.dvc', 'cache', ...k.split('/'))), false);
      }
      assert.deepEqual(corruptCacheObjects(path.join(clone, '.dvc', 'cache')), []);
    });

    it('SIGKILL at random points of push and pull leaves only complete, correct objects; a rerun completes', async () => {
      const rng = streamFor(`${name} kills`);
      const files = dataFiles(rng, 300, 12 << 20);
      for (let i = 0; i < 3; i++) files[`data/mid${i}.bin`] = crypto.randomBytes((2 + i) << 20);
      const src = dataRepo(files, 'cairn', ['data', 'model.bin', 'big.bin']);
      remote.configure(src, 'cairn');
      const full = await runCli(src, ['push']);
      assert.equal(full.code, 0, full.stderr);
      const expected = await remote.objects();
      log(`${name}: ${expected.size} objects; a full push takes ${full.ms} ms (seed ${SEED})`);
      for (let i = 0; i < KILLS; i++) {
        await remote.clear();
        const delay = Math.round(((i + rng()) / KILLS) * full.ms);
        const run = await runCli(src, ['push'], delay);
        const after = await remote.objects();
        const check = checkObjects(after);
        log(`push kill #${i + 1} at ${delay} ms: ${run.killed ? 'killed' : 'had finished'}, ${after.size - check.temp.length}/${expected.size} objects, ${check.temp.length} temp`);
        assert.deepEqual(check.bad, [], `push kill #${i + 1} (seed ${SEED})`);
        for (const [k, h] of after) if (!check.temp.includes(k)) assert.equal(expected.get(k), h);
        const rerun = await runCli(src, ['push']);
        assert.equal(rerun.code, 0, rerun.stderr);
        const final = await remote.objects();
        assert.deepEqual(new Set([...final.keys()].filter((k) => !check.temp.includes(k))), new Set(expected.keys()));
      }
      const clone = cloneOf(src);
      remote.configure(clone, 'cairn');
      const fullPull = await runCli(clone, ['pull']);
      assert.equal(fullPull.code, 0, fullPull.stderr);
      const wanted = treeHashes(path.join(src, 'data'));
      for (let i = 0; i < KILLS; i++) {
        spawnSync('chmod', ['-R', 'u+w', path.join(clone, '.dvc', 'cache')]);
        fs.rmSync(path.join(clone, '.dvc', 'cache'), { recursive: true, force: true });
        fs.rmSync(path.join(clone, 'data'), { recursive: true, force: true });
        const delay = Math.round(((i + rng()) / KILLS) * fullPull.ms);
        const run = await runCli(clone, ['pull'], delay);
        log(`pull kill #${i + 1} at ${delay} ms: ${run.killed ? 'killed' : 'had finished'}`);
        assert.deepEqual(corruptCacheObjects(path.join(clone, '.dvc', 'cache')), [], `pull kill #${i + 1} (seed ${SEED})`);
        const rerun = await runCli(clone, ['pull']);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.deepEqual(treeHashes(path.join(clone, 'data')), wanted);
        assert.deepEqual(corruptCacheObjects(path.join(clone, '.dvc', 'cache')), []);
        const staging = path.join(clone, '.dvc', 'cache', '.cairn-staging');
        assert.deepEqual(fs.existsSync(staging) ? fs.readdirSync(staging) : [], [], 'staging emptied by the rerun');
      }
    });
  });
}

let server: S3Server | undefined;
// Root-level: the server stops after this file's tests whichever of them ran.
after(async () => {
  await server?.stop();
  server = undefined;
});
remoteSuite('a local folder', async () => localSetup(), 0);
remoteSuite('S3 (MinIO)', async () => {
  server ??= await startMinio();
  return s3Setup(server, 'cairn-interop');
}, 70 << 20);

describe('S3 credentials never show', function () {
  this.timeout(120_000);

  it('a wrong secret fails with a one-line error that does not contain it (nor with -v)', async () => {
    server ??= await startMinio();
    await createBucket(server, 'cairn-secret');
    const dir = dataRepo({ 'data/x.txt': 'x\n' }, 'cairn', ['data']);
    const secret = 'wRoNg-SeCrEt-' + crypto.randomBytes(6).toString('hex');
    cairnOk(dir, 'remote', 'add', '-d', 's3', 's3://cairn-secret/p');
    cairnOk(dir, 'remote', 'modify', 's3', 'endpointurl', server.endpoint);
    cairnOk(dir, 'remote', 'modify', '--local', 's3', 'access_key_id', server.accessKey);
    cairnOk(dir, 'remote', 'modify', '--local', 's3', 'secret_access_key', secret);
    for (const args of [['push'], ['push', '-v'], ['status', '-c'], ['fetch', '--json']]) {
      if (args[0] === 'fetch') fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
      const r = cairn(dir, ...args);
      assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
      assert.ok(!(r.stdout + r.stderr).includes(secret), `the secret leaked in \`cairn ${args.join(' ')}\`:\n${r.stderr}${r.stdout}`);
      assert.match(r.stderr + r.stdout, /SignatureDoesNotMatch|credentials/);
    }
  });
});

// ---------------------------------------------------------------------------------------
describe('failed transfers through the CLI', function () {
  this.timeout(60_000);

  it('a push or pull that moved nothing because every object failed says so on stderr, exits 1, and never says "up to date"', () => {
    const dir = dataRepo({ 'model.pkl': 'weights\n', 'data/a.txt': 'a\n' }, 'cairn', ['model.pkl', 'data']);
    // The remote's folder cannot be made: a file is where its parent should be.
    const blocker = path.join(tempDir(), 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    cairnOk(dir, 'remote', 'add', '-d', 'r', path.join(blocker, 'store'));
    const push = cairn(dir, 'push');
    assert.equal(push.status, 1, push.stderr);
    assert.doesNotMatch(push.stdout, /up to date/);
    assert.match(push.stderr, /^ERROR: 3 files failed to upload: /m);

    // A clone pulling from an empty remote: nothing arrives, and nothing claims all is well.
    const store = path.join(tempDir(), 'empty-store');
    fs.mkdirSync(store);
    const clone = cloneOf(dir);
    cairnOk(clone, 'remote', 'add', '-d', '-f', 'r', store);
    const pull = cairn(clone, 'pull');
    assert.equal(pull.status, 1, pull.stderr);
    assert.doesNotMatch(pull.stdout, /up to date/);
    assert.match(pull.stderr, /failed to download/);
  });
});
