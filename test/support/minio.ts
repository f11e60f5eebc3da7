import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';

/**
 * A real S3-compatible server for the tests: MinIO built from source with the machine's Go
 * toolchain (pinned module version), cached under ~/.cache/cairn/peers/minio-<version>/,
 * built once; a marker written last makes a killed half-build start again.
 */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

const peersDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cairn', 'peers');

export function ensureMinio(): string {
  const dir = path.join(peersDir, `minio-${MINIO_VERSION}`);
  const bin = path.join(dir, 'minio');
  const complete = path.join(dir, '.cairn-complete');
  if (fs.existsSync(complete) && fs.existsSync(bin)) return bin;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  process.stderr.write(`Building MinIO ${MINIO_VERSION} with ${execFileSync('go', ['version'], { encoding: 'utf8' }).trim()} into ${dir} (once, a few minutes)...\n`);
  try {
    execFileSync('go', ['install', `github.com/minio/minio@${MINIO_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: dir, GOFLAGS: '-buildvcs=false' },
      timeout: 20 * 60_000,
    });
  } catch (err) {
    const proxy = (() => {
      try {
        return execFileSync('go', ['env', 'GOPROXY'], { encoding: 'utf8' }).trim();
      } catch {
        return '?';
      }
    })();
    throw new Error(`building MinIO ${MINIO_VERSION} failed (is the Go module proxy reachable? GOPROXY=${proxy}): ${(err as Error).message}`);
  }
  fs.writeFileSync(complete, MINIO_VERSION + '\n');
  return bin;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface S3Server {
  endpoint: string;
  /** The server's process id (the bench reads its CPU time). */
  pid: number;
  /** The region the server says it is in (MINIO_SITE_REGION; us-east-1 by default). */
  region: string;
  accessKey: string;
  secretKey: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Whether the server answers its liveness probe (a self-signed certificate is fine here). */
function live(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const url = `${endpoint}/minio/health/live`;
    const request = url.startsWith('https:') ? https.get(url, { rejectUnauthorized: false }) : http.get(url);
    request.on('response', (r) => {
      r.resume();
      resolve(r.statusCode === 200);
    });
    request.on('error', () => resolve(false));
  });
}

/**
 * Start MinIO on 127.0.0.1 at a free port over a fresh temp data dir; resolves once it answers.
 * `region`: the region it says it is in; `tls`: serve https with a self-signed certificate
 * for 127.0.0.1 (made with openssl).
 */
export async function startMinio(options: { region?: string; tls?: boolean; /** Where its data folder goes (default: the temp dir). */ dataRoot?: string } = {}): Promise<S3Server> {
  const region = options.region ?? 'us-east-1';
  const bin = ensureMinio();
  const dataDir = fs.mkdtempSync(path.join(options.dataRoot ?? os.tmpdir(), 'cairn-minio-'));
  const certsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-minio-certs-'));
  if (options.tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(certsDir, 'private.key'), '-out', path.join(certsDir, 'public.crt')], { stdio: 'ignore' });
  }
  const accessKey = 'cairntest';
  const secretKey = 'cairn-test-secret-' + Math.random().toString(36).slice(2);
  // A free port is free only until someone binds it (a test in another mocha worker, say): a
  // server that finds its port taken is started again on new ones.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const consolePort = await freePort();
    const child: ChildProcess = spawn(bin, ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--certs-dir', certsDir, dataDir], {
      env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off', MINIO_SITE_REGION: region },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const exited = await untilLive(child, endpoint);
    if (exited === undefined) return s3Server(child, { endpoint, region, accessKey, secretKey, dataDir, certsDir });
    if (!/already in use/i.test(exited) || attempt === 3) throw new Error(`minio exited ${child.exitCode}: ${exited}`);
  }
}

/** Waits until the server answers (undefined), or ends (its stderr); throws after 30 s. */
async function untilLive(child: ChildProcess, endpoint: string): Promise<string | undefined> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let ended = false; // exited, and its stderr read to the end
  child.once('close', () => (ended = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (ended) return stderr;
    if (await live(endpoint)) return undefined;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`minio did not start within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function s3Server(child: ChildProcess, s: { endpoint: string; region: string; accessKey: string; secretKey: string; dataDir: string; certsDir: string }): S3Server {
  const { endpoint, region, accessKey, secretKey, dataDir, certsDir } = s;
  return {
    endpoint,
    pid: child.pid!,
    region,
    accessKey,
    secretKey,
    dataDir,
    stop: () =>
      new Promise<void>((resolve) => {
        const cleanUp = () => {
          for (const dir of [dataDir, certsDir]) fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return cleanUp();
        child.once('exit', cleanUp);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Make a bucket on the test server (through the AWS SDK, not the client under test). */
export async function createBucket(server: S3Server, bucket: string): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    requestHandler: { httpsAgent: new https.Agent({ rejectUnauthorized: false }) }, // a self-signed test server
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}
