import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import type { S3Client } from '@aws-sdk/client-s3';
import { cairnOk, CLI, cloneOf, corruptCacheObjects, git, md5, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { ensureDvcS3 } from '../support/peers';
import { createBucket, S3Server, startMinio } from '../support/minio';
import { delayingProxy } from '../support/delayingProxy';
import { MULTIPART_THRESHOLD, S3Options, S3Remote } from '../../src/core/remotes/s3Remote';
import { forEachParallel } from '../../src/core/remotes/parallel';
import { CairnError } from '../../src/core/errors';
import { amzDate, authorization, UNSIGNED_PAYLOAD } from '../../src/core/remotes/sigv4';
import { S3Http } from '../../src/core/remotes/s3Http';
import { Repo } from '../../src/core/repo/repo';
import { gc } from '../../src/core/remotes/gc';
import { fetch } from '../../src/core/remotes/sync';

/**
 * Cairn's own S3 client (s3Http.ts) against a real MinIO: keys under a prefix that needs
 * encoding, listings past one page, multipart uploads (and their abort), https, a bucket in
 * another region than configured, dropped and cut connections (through a TCP proxy that
 * really drops them), and credentials found through the AWS SDK's chain. The server's side is read with
 * the AWS SDK, not with the client under test.
 */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');

function sdkClient(server: S3Server, region = server.region): S3Client {
  return new sdk.S3Client({ region, endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey } });
}

async function keysUnder(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function objectMd5(client: S3Client, bucket: string, key: string): Promise<string> {
  const r = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
  return md5(Buffer.from(await r.Body!.transformToByteArray()));
}

function remoteOn(server: { endpoint: string; accessKey: string; secretKey: string }, url: string, extra: S3Options = {}): S3Remote {
  return new S3Remote('t', url, { endpointurl: server.endpoint, access_key_id: server.accessKey, secret_access_key: server.secretKey, ...extra });
}

const objectKey = (content: Buffer) => {
  const h = md5(content);
  return `files/md5/${h.slice(0, 2)}/${h.slice(2)}`;
};

/** Files in a folder, one per content; returns their paths. */
function localFiles(contents: Buffer[]): string[] {
  const dir = tempDir();
  return contents.map((c, i) => {
    const f = path.join(dir, String(i));
    fs.writeFileSync(f, c);
    return f;
  });
}

/** The CLI as a child process (the test's event loop keeps running: the proxy lives in it). */
function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Proxy {
  endpoint: string;
  /** Connections cut so far. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy to the server that cuts connections: `request(n, line)` true → the n-th request
 * (its request line `line`) is never forwarded and its connection is reset; `hold(n)` true → the n-th request is never
 * forwarded and its connection stays open, silent; `response(n)` true → the n-th 200 answer
 * stops halfway through its body and the connection closes.
 */
async function cuttingProxy(
  target: S3Server,
  cut: { request?: (n: number, line: string) => boolean; hold?: (n: number) => boolean; response?: (n: number) => boolean },
): Promise<Proxy> {
  const { hostname, port } = new URL(target.endpoint);
  const sockets = new Set<net.Socket>();
  let requests = 0;
  let responses = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      if (/^(GET|PUT|HEAD|POST|DELETE) /.test(chunk.toString('latin1', 0, 7))) {
        const n = ++requests;
        if (cut.request?.(n, chunk.toString('latin1', 0, Math.max(0, chunk.indexOf('\r\n'))))) {
          proxy.cuts++;
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        if (cut.hold?.(n)) {
          proxy.cuts++;
          client.pause();
          return;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1', 0, 12) === 'HTTP/1.1 200' && cut.response?.(++responses)) {
        const bodyStart = chunk.indexOf('\r\n\r\n') + 4;
        proxy.cuts++;
        client.end(chunk.subarray(0, bodyStart + Math.floor((chunk.length - bodyStart) / 2)));
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: Proxy = {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cuts: 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** A git repo with cairn data under data/ (committed), its S3 remote configured as the default. */
function dataRepo(files: number, url: string, endpoint: string, server: S3Server): string {
  const dir = tempGitRepo();
  cairnOk(dir, 'init', '-q');
  const data: Record<string, Buffer> = {};
  for (let i = 0; i < files; i++) data[`data/${i % 3}/f${i}.bin`] = Buffer.concat([Buffer.from(`file ${i}\n`), crypto.randomBytes(500 + i * 37)]);
  writeFiles(dir, data);
  cairnOk(dir, 'add', 'data');
  cairnOk(dir, 'remote', 'add', '-d', 's3', url);
  cairnOk(dir, 'remote', 'modify', 's3', 'endpointurl', endpoint);
  cairnOk(dir, 'remote', 'modify', '--local', 's3', 'access_key_id', server.accessKey);
  cairnOk(dir, 'remote', 'modify', '--local', 's3', 'secret_access_key', server.secretKey);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'data');
  return dir;
}

describe('S3 client against a real MinIO', function () {
  this.timeout(300_000);
  let server: S3Server;
  let client: S3Client;
  before(async () => {
    server = await startMinio();
    await createBucket(server, 'client');
    client = sdkClient(server);
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('objects go up and come back under a prefix with a space, a + and an &; listings page past 1000 keys', async () => {
    const prefix = 'my data/a+b&c';
    const remote = remoteOn(server, `s3://client/${prefix}`);
    try {
      const contents = Array.from({ length: 1100 }, (_, i) => Buffer.from(`object ${i}\n`));
      const files = localFiles(contents);
      await forEachParallel(contents, 16, async (c, i) => remote.upload(files[i], objectKey(c), c.length, {}));
      // Stored under the prefix exactly as written: encoded once on the wire, decoded once by the server.
      assert.deepEqual(await keysUnder(client, 'client', `${prefix}/`), contents.map((c) => `${prefix}/${objectKey(c)}`).sort());
      assert.equal(await objectMd5(client, 'client', `${prefix}/${objectKey(contents[5])}`), md5(contents[5]));
      assert.deepEqual((await remote.list('files/md5/')).sort(), contents.map(objectKey).sort());

      const one = contents[7];
      assert.equal(await remote.exists(objectKey(one)), true);
      const out = path.join(tempDir(), 'downloaded');
      assert.deepEqual(await remote.download(objectKey(one), out, {}), { md5: md5(one), size: one.length });
      assert.deepEqual(fs.readFileSync(out), one);
      assert.equal(fs.statSync(out).mode & 0o777, 0o444);

      await remote.remove(objectKey(one));
      assert.equal(await remote.exists(objectKey(one)), false);
      await assert.rejects(remote.download(objectKey(one), path.join(tempDir(), 'gone'), {}), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
      assert.deepEqual(await remote.list('files/md5/zz/'), []);
    } finally {
      remote.close();
    }
  });

  it('cairn push under such a prefix, dvc pull from it (the same keys as dvc\'s)', async () => {
    const src = dataRepo(30, 's3://client/team data/v1+x', server.endpoint, server);
    assert.equal(JSON.parse(cairnOk(src, 'push', '--json')).transferred, 31);
    const clone = cloneOf(src);
    const r = spawnSync(ensureDvcS3(), ['pull', '-q'], { cwd: clone, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(treeHashes(path.join(clone, 'data')), treeHashes(path.join(src, 'data')));
  });

  it('a file of MULTIPART_THRESHOLD bytes or more goes up in parts and comes back whole; a cancelled one leaves no object and the next push resumes it', async () => {
    const remote = remoteOn(server, 's3://client/big');
    try {
      const size = MULTIPART_THRESHOLD + (1 << 20);
      const content = crypto.randomBytes(size);
      const [file] = localFiles([content]);
      const key = objectKey(content);
      await remote.upload(file, key, size, {});
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: 'client', Key: `big/${key}` }));
      assert.match(head.ETag!, /-5"$/, 'five parts of 16 MiB');
      const out = path.join(tempDir(), 'big');
      assert.deepEqual(await remote.download(key, out, {}), { md5: md5(content), size });

      const controller = new AbortController();
      const cancelled = 'files/md5/00/cancelled';
      await assert.rejects(
        remote.upload(file, cancelled, size, { signal: controller.signal, onBytes: () => controller.abort() }),
        (err) => err instanceof CairnError && err.code === 'ABORTED',
      );
      const uploadsOf = async (k: string) => ((await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: 'client', Prefix: k }))).Uploads ?? []).map((u) => u.UploadId!);
      assert.deepEqual(await keysUnder(client, 'client', `big/${cancelled}`), [], 'no object under the key');
      const [left] = await uploadsOf(`big/${cancelled}`);
      assert.ok(left, 'the unfinished upload is kept for the next push');
      // One part already there holds wrong bytes (same size): it must be sent again, the others not.
      await client.send(new sdk.UploadPartCommand({ Bucket: 'client', Key: `big/${cancelled}`, UploadId: left, PartNumber: 1, Body: crypto.randomBytes(16 << 20) }));
      await remote.upload(file, cancelled, size, {});
      assert.deepEqual(await uploadsOf(`big/${cancelled}`), [], 'the upload left behind was the one completed');
      assert.equal(await objectMd5(client, 'client', `big/${cancelled}`), md5(content));
    } finally {
      remote.close();
    }
  });

  it('gc -c aborts the multipart uploads a killed push left under the remote\'s prefix once idle, and nothing else', async () => {
    const src = dataRepo(5, 's3://client/gc-left', server.endpoint, server);
    cairnOk(src, 'push');
    const start = async (key: string) => (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: 'client', Key: key }))).UploadId!;
    const ours = 'gc-left/files/md5/ab/cdef0123456789abcdef0123456789';
    const oursId = await start(ours);
    await client.send(new sdk.UploadPartCommand({ Bucket: 'client', Key: ours, UploadId: oursId, PartNumber: 1, Body: crypto.randomBytes(1024) }));
    const elsewhere = 'gc-other/files/md5/ab/cdef0123456789abcdef0123456789';
    const elsewhereId = await start(elsewhere);
    // Under the prefix but not an object's key: another tool's upload, never aborted.
    const theirs = 'gc-left/exports/big.bin';
    const theirsId = await start(theirs);
    // MinIO lists uploads for an exact key (or the whole bucket), not for a shorter prefix.
    const uploads = async (key: string) => ((await client.send(new sdk.ListMultipartUploadsCommand({ Bucket: 'client', Prefix: key }))).Uploads ?? []).map((u) => u.UploadId);
    assert.deepEqual(await uploads(ours), [oursId]);
    const objects = await keysUnder(client, 'client', 'gc-left/');

    // Just started: it may be a push in flight, so it stays.
    const fresh = await Repo.using(src, {}, (repo) => gc(repo, { cwd: src, workspace: true, cloud: true, dry: true }));
    assert.deepEqual(fresh.abandoned, []);
    const idle = await Repo.using(src, {}, (repo) => gc(repo, { cwd: src, workspace: true, cloud: true, abandonedAfterMs: 0 }));
    assert.deepEqual(idle.abandoned, [`${oursId} files/md5/ab/cdef0123456789abcdef0123456789`]);
    assert.deepEqual(await uploads(ours), []);
    assert.deepEqual(await uploads(elsewhere), [elsewhereId]);
    assert.deepEqual(await uploads(theirs), [theirsId]);
    assert.deepEqual(await keysUnder(client, 'client', 'gc-left/'), objects, 'no object was touched');
  });

  it('a listing holds only keys of the object shape: the bucket\'s other keys under the prefix are never objects, and gc -c leaves them', async () => {
    const src = dataRepo(4, 's3://client/shared', server.endpoint, server);
    cairnOk(src, 'push');
    const theirs = ['shared/notes.txt', 'shared/ab/readme.md', `shared/files/md5/ab/${'e'.repeat(30)}.bak`, `shared/files/md5/zz/${'e'.repeat(30)}`, `shared/files/md5/ab/${'E'.repeat(30)}`];
    for (const key of theirs) await client.send(new sdk.PutObjectCommand({ Bucket: 'client', Key: key, Body: `theirs: ${key}\n` }));
    const remote = remoteOn(server, 's3://client/shared');
    try {
      const listed = [...(await remote.list('files/md5/')), ...(await remote.list(''))];
      assert.ok(listed.length > 0);
      for (const key of listed) assert.match(key, /^(files\/md5\/)?[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/);
    } finally {
      remote.close();
    }
    fs.rmSync(path.join(src, 'data'), { recursive: true });
    fs.rmSync(path.join(src, 'data.dvc'));
    const done = await Repo.using(src, {}, (repo) => gc(repo, { cwd: src, workspace: true, cloud: true }));
    assert.equal(done.remote.length, 5, 'the four files and the .dir');
    assert.deepEqual(await keysUnder(client, 'client', 'shared/'), [...theirs].sort());
    for (const key of theirs) {
      const r = await client.send(new sdk.GetObjectCommand({ Bucket: 'client', Key: key }));
      assert.equal(await r.Body!.transformToString(), `theirs: ${key}\n`);
    }
  });

  it('a fetch knows its bytes in advance from the .dvc files (a directory\'s files estimated from its size), so its progress goes by bytes', async () => {
    const src = dataRepo(7, 's3://client/progress', server.endpoint, server);
    const sizes = [3 << 20, 200_000];
    writeFiles(src, { 'model.bin': crypto.randomBytes(sizes[0]), 'vocab.txt': crypto.randomBytes(sizes[1]) });
    cairnOk(src, 'add', 'model.bin', 'vocab.txt');
    cairnOk(src, 'push');
    fs.rmSync(path.join(src, '.dvc', 'cache'), { recursive: true, force: true });
    const seen: { bytes?: number; totalBytes?: number }[] = [];
    const result = await Repo.using(src, {}, (repo) => fetch(repo, { cwd: src, targets: ['model.bin', 'vocab.txt'], onProgress: (p) => seen.push(p) }));
    assert.equal(result.transferred, 2);
    const total = sizes[0] + sizes[1];
    assert.ok(seen.length > 0 && seen.every((p) => p.totalBytes === total), `every report has the total ${total}: ${JSON.stringify(seen.slice(0, 3))}`);
    assert.equal(seen[seen.length - 1].bytes, total);

    // A whole directory: its files' sizes add up to its recorded size.
    const dirSize = Number(/size: (\d+)/.exec(fs.readFileSync(path.join(src, 'data.dvc'), 'utf8'))![1]);
    fs.rmSync(path.join(src, '.dvc', 'cache'), { recursive: true, force: true });
    const dirSeen: { bytes?: number; totalBytes?: number }[] = [];
    await Repo.using(src, {}, (repo) => fetch(repo, { cwd: src, targets: ['data'], onProgress: (p) => dirSeen.push(p) }));
    assert.ok(dirSeen.length > 0 && dirSeen.every((p) => Math.round(p.totalBytes ?? NaN) === dirSize), `every report has the total ${dirSize}: ${JSON.stringify(dirSeen.slice(0, 3))}`);
    assert.equal(dirSeen[dirSeen.length - 1].bytes, dirSize);
  });

  it('https (a self-signed server): the certificate checked unless ssl_verify is false; bodies unsigned but guarded by Content-MD5', async () => {
    const tls = await startMinio({ tls: true });
    try {
      await createBucket(tls, 'secure');
      const content = Buffer.from('over tls\n');
      const [file] = localFiles([content]);
      const strict = remoteOn(tls, 's3://secure/p');
      try {
        await assert.rejects(strict.upload(file, objectKey(content), content.length, {}), /self[- ]signed certificate/);
      } finally {
        strict.close();
      }
      // An endpoint without a scheme is https unless use_ssl is false.
      const port = new URL(tls.endpoint).port;
      const remote = remoteOn({ ...tls, endpoint: `127.0.0.1:${port}` }, 's3://secure/p', { ssl_verify: 'false' });
      try {
        await remote.upload(file, objectKey(content), content.length, {});
        assert.deepEqual(await remote.list('files/'), [objectKey(content)]);
        assert.deepEqual(await remote.download(objectKey(content), path.join(tempDir(), 'tls'), {}), { md5: md5(content), size: content.length });
      } finally {
        remote.close();
      }
      const plain = remoteOn({ ...server, endpoint: `127.0.0.1:${new URL(server.endpoint).port}` }, 's3://client/plain', { use_ssl: 'false' });
      try {
        await plain.upload(file, objectKey(content), content.length, {});
        assert.equal(await plain.exists(objectKey(content)), true);
      } finally {
        plain.close();
      }

      // What makes an unsigned body safe: the server checks it against Content-MD5.
      const body = Buffer.from('what is sent');
      const urlPath = '/secure/p/mismatch';
      const headers: Record<string, string> = {
        host: new URL(tls.endpoint).host,
        'x-amz-date': amzDate(Date.now()),
        'x-amz-content-sha256': UNSIGNED_PAYLOAD,
        'content-md5': crypto.createHash('md5').update('what was meant').digest('base64'),
        'content-length': String(body.length),
      };
      headers.authorization = authorization({ method: 'PUT', path: urlPath, query: '', headers }, { accessKeyId: tls.accessKey, secretAccessKey: tls.secretKey }, tls.region);
      const answer = await new Promise<{ status?: number; text: string }>((resolve, reject) => {
        const request = https.request(`${tls.endpoint}${urlPath}`, { method: 'PUT', headers, rejectUnauthorized: false }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        request.on('error', reject);
        request.end(body);
      });
      assert.equal(answer.status, 400);
      assert.match(answer.text, /<Code>BadDigest<\/Code>/);
    } finally {
      await tls.stop();
    }
  });

  it('a bucket in another region than configured: the remote learns the region from the server\'s answer', async () => {
    const eu = await startMinio({ region: 'eu-west-1' });
    const euClient = sdkClient(eu, 'us-east-1');
    try {
      await createBucket(eu, 'faraway');
      // What the remote is up against: requests signed for us-east-1 are refused, naming the region.
      await assert.rejects(euClient.send(new sdk.ListObjectsV2Command({ Bucket: 'faraway' })), /expecting 'eu-west-1'/);
      const remote = remoteOn(eu, 's3://faraway/p', { region: 'us-east-1' });
      try {
        const content = Buffer.from('far away\n');
        const [file] = localFiles([content]);
        assert.equal(await remote.exists(objectKey(content)), false);
        await remote.upload(file, objectKey(content), content.length, {});
        assert.deepEqual(await remote.list('files/'), [objectKey(content)]);
        assert.deepEqual(await remote.download(objectKey(content), path.join(tempDir(), 'far'), {}), { md5: md5(content), size: content.length });
      } finally {
        remote.close();
      }
    } finally {
      euClient.destroy();
      await eu.stop();
    }
  });

  it('connections dropped before the answer are retried: push and pull complete, every object right', async () => {
    // Every 4th request, but none more than twice: each goes through by its third try of five, so
    // the run never rests on where a retry falls (cut at random, one in ~1,000 requests would fail all five).
    const cutTimes = new Map<string, number>();
    const proxy = await cuttingProxy(server, {
      request: (n, line) => {
        const times = cutTimes.get(line) ?? 0;
        if (n % 4 !== 0 || times >= 2) return false;
        cutTimes.set(line, times + 1);
        return true;
      },
    });
    try {
      const src = dataRepo(60, 's3://client/dropped', proxy.endpoint, server);
      const push = await runCli(src, ['push', '--json']);
      assert.equal(push.code, 0, push.stderr);
      assert.equal(JSON.parse(push.stdout).transferred, 61);
      const pushCuts = proxy.cuts;
      assert.ok(pushCuts >= 10, `${pushCuts} connections cut`);
      const keys = await keysUnder(client, 'client', 'dropped/');
      assert.equal(keys.length, 61);
      for (const key of keys) assert.equal(await objectMd5(client, 'client', key), key.slice('dropped/files/md5/'.length).replace('/', '').replace(/\.dir$/, ''));

      const clone = cloneOf(src);
      const pull = await runCli(clone, ['pull', '--json']);
      assert.equal(pull.code, 0, pull.stderr);
      assert.ok(proxy.cuts >= pushCuts + 10, `${proxy.cuts - pushCuts} connections cut`);
      assert.deepEqual(treeHashes(path.join(clone, 'data')), treeHashes(path.join(src, 'data')));
      assert.deepEqual(corruptCacheObjects(path.join(clone, '.dvc', 'cache')), []);
    } finally {
      await proxy.close();
    }
  });

  it('by default 64 requests go at once (sized for a slow link, not the cores), and no more file bytes than the memory budget are held at once', async () => {
    const dir = tempDir();
    const items = Array.from({ length: 150 }, (_, i) => {
      const file = path.join(dir, `f${i}`);
      fs.writeFileSync(file, crypto.randomBytes(4096));
      return { file, key: `jobs/f${i}`, size: 4096 };
    });
    for (const [budget, expected] of [[undefined, [48, 64]], [3 * 4096, [1, 3]]] as const) {
      const proxy = await delayingProxy(server.endpoint, 30);
      const remote = new S3Remote('t', `s3://client/${budget ?? 'default'}`, { endpointurl: proxy.endpoint, access_key_id: server.accessKey, secret_access_key: server.secretKey }, undefined, budget);
      try {
        const errors = await remote.putAll(items, { jobs: remote.defaultJobs });
        assert.deepEqual(errors.filter(Boolean), []);
        const max = proxy.maxInFlight();
        assert.ok(max >= expected[0] && max <= expected[1], `budget ${budget ?? 'default'}: ${max} requests at once, expected ${expected.join('–')}`);
      } finally {
        remote.close();
        await proxy.close();
      }
    }
    for (const prefix of ['default', '12288']) assert.equal((await keysUnder(client, 'client', `${prefix}/jobs/`)).length, items.length);
  });

  it('a request the server never answers is given up after the idle timeout and sent again', async () => {
    const proxy = await cuttingProxy(server, { hold: (n) => n === 2 });
    const s3 = new S3Http({
      bucket: 'client',
      endpoint: proxy.endpoint,
      region: server.region,
      maxSockets: 4,
      verifyTls: true,
      credentials: () => ({ accessKeyId: server.accessKey, secretAccessKey: server.secretKey }),
      idleTimeoutMs: 500,
    });
    try {
      await s3.putObject('held/a', Buffer.from('a'));
      const started = Date.now();
      await s3.putObject('held/b', Buffer.from('b'));
      assert.equal(proxy.cuts, 1);
      assert.ok(Date.now() - started >= 500, 'waited for the idle timeout');
      assert.equal(await objectMd5(client, 'client', 'held/b'), md5('b'));
    } finally {
      s3.destroy();
      await proxy.close();
    }
  });

  it('a download cut halfway through its body fails that object (no retry once the body has begun); nothing partial enters the cache; a rerun completes', async () => {
    const src = dataRepo(20, 's3://client/cut', server.endpoint, server);
    cairnOk(src, 'push');
    const proxy = await cuttingProxy(server, { response: (n) => n === 3 });
    try {
      const clone = cloneOf(src);
      cairnOk(clone, 'remote', 'modify', 's3', 'endpointurl', proxy.endpoint);
      const pull = await runCli(clone, ['pull']);
      assert.equal(proxy.cuts, 1);
      assert.equal(pull.code, 1, pull.stdout);
      assert.match(pull.stderr, /1 file failed to download/);
      assert.deepEqual(corruptCacheObjects(path.join(clone, '.dvc', 'cache')), []);
      const rerun = await runCli(clone, ['pull']);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(treeHashes(path.join(clone, 'data')), treeHashes(path.join(src, 'data')));
    } finally {
      await proxy.close();
    }
  });

  it('credentials the config does not give come from the environment or a profile (the AWS SDK\'s chain)', async () => {
    const src = dataRepo(5, 's3://client/chain', server.endpoint, server);
    cairnOk(src, 'remote', 'modify', '--local', 's3', 'access_key_id', '--unset');
    cairnOk(src, 'remote', 'modify', '--local', 's3', 'secret_access_key', '--unset');
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const home = tempDir();
    env.HOME = home; // no shared files of the machine's user
    const none = await runCli(src, ['push'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /credentials/i);

    const fromEnv = await runCli(src, ['push', '--json'], { ...env, AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.equal(JSON.parse(fromEnv.stdout).transferred, 6);

    fs.mkdirSync(path.join(home, '.aws'));
    fs.writeFileSync(path.join(home, '.aws', 'credentials'), `[minio]\naws_access_key_id = ${server.accessKey}\naws_secret_access_key = ${server.secretKey}\n`);
    cairnOk(src, 'remote', 'modify', 's3', 'profile', 'minio');
    writeFiles(src, { 'data/new.txt': 'new\n' });
    cairnOk(src, 'add', 'data');
    const fromProfile = await runCli(src, ['push', '--json'], env);
    assert.equal(fromProfile.code, 0, fromProfile.stderr);
    assert.equal(JSON.parse(fromProfile.stdout).transferred, 2);
  });
});
