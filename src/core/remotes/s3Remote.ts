import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { digest } from '../hashing/digest';
import type { S3Client } from '@aws-sdk/client-s3';
import { abortedError, CairnError } from '../errors';
import { redactUrl, redactUrlsIn, withoutUserInfo } from './redactUrl';
import { BatchOptions, GetItem, isObjectKey, PutItem, Remote, TransferOptions } from './remote';
import { getEach, putEach } from './perObject';
import { readBody, S3Error, S3Http } from './s3Http';
import { MemoryBudget } from './parallel';
import { isRunEntryKey, splitRunEntryKey } from '../pipeline/runCache';
import { hashWhileWriting } from '../hashing/followingHash';
import type { Credentials } from './sigv4';

/** Files at least this big go up in parts, several at once (and a part can be retried alone). */
export const MULTIPART_THRESHOLD = 64 << 20;
const MIN_PART = 16 << 20;
const MAX_PARTS = 10_000;
const PARTS_IN_FLIGHT = 4;
/** Downloads smaller than this are held in memory and written with one call. */
const SMALL_DOWNLOAD = 8 << 20;
/** A big download is written in pieces of about this size. */
const WRITE_AT = 1 << 20;
/**
 * Requests at once unless `-j` or the remote's `jobs` say otherwise. Sized for the link, not the
 * cores: an object's request mostly waits for the round trip. Through a 20 ms round trip (a
 * delaying proxy before MinIO), 2,000 small files went up in 5.9 s with 8 at once (DVC's 4 ×
 * cores here) and in 1.8 s with 64, and came down in 6.5 s against 1.3 s; on 127.0.0.1, no slower.
 */
const DEFAULT_JOBS = 64;
/** Bytes of file bodies held in memory at once (small objects, parts): 64 transfers of 64 MiB would be 4 GiB. */
const MEMORY_BUDGET = 256 << 20;
/** Temporary credentials are renewed this long before they expire. */
const CREDENTIALS_MARGIN_MS = 5 * 60_000;

export interface S3Options {
  endpointurl?: string;
  region?: string;
  profile?: string;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  use_ssl?: string;
  ssl_verify?: string;
}

/**
 * `s3://bucket/some/prefix` → bucket and key prefix (no slashes at either end). User-info
 * (`s3://key:secret@bucket`) is dropped: credentials come from the config or the AWS chain.
 * A bucket is letters, digits, `.`, `-` and `_` (old buckets' capitals and underscores
 * included): anything else would end up in a host name.
 */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([A-Za-z0-9._-]+)(?:\/(.*))?$/s.exec(withoutUserInfo(url));
  if (!m) throw new CairnError('USAGE', `'${redactUrl(url)}' is not an S3 url.`, { hint: 'Use s3://bucket/prefix (a bucket is letters, digits, `.`, `-` and `_`).' });
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

type Sdk = typeof import('./awsSdk');
let sdk: Sdk | undefined;
/** The SDK is loaded only to find credentials the config does not give (environment, profile, SSO, instance role). */
function loadSdk(): Sdk {
  // The SDK warns on stderr under Node < 22 once per process; that is not the user's concern.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Beside this file: dist/awsSdk.js for the bundles, out/src/core/remotes/awsSdk.js compiled.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sdk ??= require(path.join(__dirname, 'awsSdk.js')) as Sdk);
}

/**
 * An S3 or S3-compatible (MinIO, Ceph, R2…) remote: `endpointurl` (else AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL, as the AWS SDKs read them) names a server, else AWS. Credentials: `access_key_id` /
 * `secret_access_key` from the config (keep them in config.local), else `profile`, else the
 * SDK's default chain (environment, shared files, SSO, instance roles). A PUT is atomic:
 * an object is visible only once complete; big files use a multipart upload, which
 * an interrupted push leaves unfinished (never an object under the key) for the next push to resume. Requests go through
 * our own small client (s3Http.ts); the SDK only ever resolves credentials.
 */
export class S3Remote implements Remote {
  readonly kind = 's3' as const;
  readonly defaultJobs = DEFAULT_JOBS;
  private readonly memory: MemoryBudget;
  readonly bucket: string;
  readonly prefix: string;
  private http: S3Http | undefined;
  private sdkClient: S3Client | undefined;
  private credentials: Credentials | undefined;

  constructor(readonly name: string, readonly url: string, private readonly options: S3Options, private readonly maxSockets = DEFAULT_JOBS, memoryBudget = MEMORY_BUDGET) {
    this.memory = new MemoryBudget(memoryBudget);
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    const o = options;
    if (o.access_key_id && o.secret_access_key) this.credentials = { accessKeyId: o.access_key_id, secretAccessKey: o.secret_access_key, sessionToken: o.session_token };
  }

  private client(): S3Http {
    if (!this.http) {
      const o = this.options;
      let endpoint = o.endpointurl ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
      if (endpoint && !/^https?:\/\//.test(endpoint)) endpoint = `${o.use_ssl === 'false' ? 'http' : 'https'}://${endpoint}`;
      this.http = new S3Http({
        bucket: this.bucket,
        endpoint,
        region: this.region(),
        maxSockets: this.maxSockets,
        verifyTls: o.ssl_verify !== 'false',
        credentials: this.currentCredentials,
      });
    }
    return this.http;
  }

  /** The config's keys, else the SDK's chain (which memoizes and renews them), kept until near their expiry. */
  private readonly currentCredentials = (): Credentials | Promise<Credentials> => {
    const c = this.credentials;
    if (c && (!c.expiration || c.expiration.getTime() - Date.now() > CREDENTIALS_MARGIN_MS)) return c;
    this.sdkClient ??= new (loadSdk().S3Client)({ region: this.region(), profile: this.options.profile });
    return this.sdkClient.config.credentials().then((found) => (this.credentials = found));
  };

  private region(): string {
    return this.options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** A failure as a one-line error naming what failed where, with every secret blanked out. */
  private fail(err: unknown, what: string): never {
    if (err instanceof CairnError) throw err; // cancelled
    let message: string;
    let status: number | undefined;
    if (err instanceof S3Error) {
      status = err.status;
      // A HEAD has no body, so no S3 code to tell why it was refused.
      message = err.code ? `${err.code}: ${err.message}` : status === 401 || status === 403 ? 'access denied (bad or missing credentials)' : err.message;
    } else {
      const e = err as Error;
      message = `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`;
    }
    const c = this.credentials;
    for (const secret of [this.options.secret_access_key, this.options.session_token, c?.secretAccessKey, c?.sessionToken]) {
      if (secret) message = message.split(secret).join('***');
    }
    message = redactUrlsIn(message);
    throw new CairnError('REMOTE', `${what} on remote '${this.name}' (${redactUrl(this.url)}) failed: ${message}${status ? ` (HTTP ${status})` : ''}`, {
      hint: status === 403 || status === 401 || /credential|AccessDenied|Signature|InvalidAccessKeyId|Forbidden/i.test(message)
        ? `Check the remote's credentials: \`cairn remote modify --local ${this.name} access_key_id|secret_access_key ...\`, a profile, or the AWS_* environment.`
        : undefined,
    });
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      return await this.client().headObject(this.key(key), signal);
    } catch (err) {
      this.fail(err, `checking ${key}`);
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      // Only keys of the object shape: whatever else the bucket holds is never taken for an object (nor removed by gc).
      return (await this.client().listObjects(this.key(prefix), signal)).map((k) => k.slice(strip)).filter(isObjectKey);
    } catch (err) {
      this.fail(err, `listing ${prefix}`);
    }
  }

  putAll(items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]> {
    return putEach(this, items, options);
  }

  getAll(items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]> {
    return getEach(this, items, stagingDir, options);
  }

  async upload(localFile: string, key: string, size: number, options: TransferOptions): Promise<void> {
    if (options.signal?.aborted) throw abortedError();
    const Key = this.key(key);
    if (size < MULTIPART_THRESHOLD) {
      await this.memory.hold(size, async () => {
        if (options.signal?.aborted) throw abortedError();
        const body = fs.readFileSync(localFile);
        await this.client().putObject(Key, body, options.signal).catch((err) => this.fail(err, `uploading ${key}`));
        options.onBytes?.(body.length);
      });
      return;
    }
    const partSize = Math.max(MIN_PART, Math.ceil(size / MAX_PARTS));
    const s3 = this.client();
    try {
      // An upload of this key that an interrupted push left is taken up again: parts already
      // there with this file's bytes (ETag = md5 of the part) are not sent a second time.
      const left = (await s3.listMultipartUploads(Key, options.signal)).filter((u) => u.key === Key).sort((a, b) => b.initiated.getTime() - a.initiated.getTime())[0];
      const uploadId = left?.uploadId ?? (await s3.createMultipartUpload(Key, options.signal));
      const have = new Map((left ? await s3.listParts(Key, left.uploadId, options.signal) : []).map((p) => [p.partNumber, p]));
      const count = Math.ceil(size / partSize);
      const etags: string[] = new Array(count);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const start = i * partSize;
          const length = Math.min(partSize, size - start);
          etags[i] = await this.memory.hold(length, async () => {
            if (options.signal?.aborted) throw abortedError();
            const body = await readRange(localFile, start, length);
            const there = have.get(i + 1);
            const md5 = digest('md5', body);
            return there && there.size === length && there.etag.replace(/"/g, '') === md5 ? there.etag : s3.uploadPart(Key, uploadId, i + 1, body, md5, options.signal);
          });
          options.onBytes?.(length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
      await s3.completeMultipartUpload(Key, uploadId, etags, options.signal);
    } catch (err) {
      // The unfinished upload is kept (no object is visible under the key): the next push
      // resumes it, and `gc -c` clears it once nothing has touched it for an hour.
      this.fail(err, `uploading ${key}`);
    }
  }

  async download(key: string, localFile: string, options: TransferOptions): Promise<{ md5: string; size: number }> {
    if (options.signal?.aborted) throw abortedError();
    let res: http.IncomingMessage;
    try {
      res = await this.client().getObject(this.key(key), options.signal);
    } catch (err) {
      if (err instanceof S3Error && err.status === 404) throw Object.assign(new Error(`not on remote '${this.name}'`), { code: 'ENOENT' });
      this.fail(err, `downloading ${key}`);
    }
    try {
      const length = Number(res.headers['content-length']);
      if (length < SMALL_DOWNLOAD) {
        return await this.memory.hold(length, async () => {
          const body = await readBody(res);
          fs.writeFileSync(localFile, body, { mode: 0o444 });
          options.onBytes?.(body.length);
          return { md5: digest('md5', body), size: body.length };
        });
      }
      // Hashed by another thread as the bytes land (when one is free): this one keeps reading the network.
      const out = await fs.promises.open(localFile, 'w', 0o444);
      const hash = hashWhileWriting(localFile, options.signal);
      let size = 0;
      // The socket's ~64 KiB chunks go to the file (and to the hash's notice) a MiB at a time.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        await out.writev(pending);
        size += pendingBytes;
        hash.wrote(pending, size);
        options.onBytes?.(pendingBytes);
        [pending, pendingBytes] = [[], 0];
      };
      try {
        try {
          for await (const chunk of res) {
            pending.push(chunk as Buffer);
            pendingBytes += (chunk as Buffer).length;
            if (pendingBytes >= WRITE_AT) await flush();
          }
          await flush();
        } finally {
          await out.close();
        }
        return { md5: await hash.md5(), size };
      } catch (err) {
        hash.abandon(); // whatever failed, its thread stops waiting for bytes
        throw err;
      }
    } catch (err) {
      if (options.signal?.aborted) throw abortedError();
      this.fail(err, `downloading ${key}`);
    }
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client().deleteObject(this.key(key), signal);
    } catch (err) {
      this.fail(err, `removing ${key}`);
    }
  }

  async listRunEntries(signal?: AbortSignal): Promise<string[]> {
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      return (await this.client().listObjects(this.key('runs/'), signal)).map((k) => k.slice(strip)).filter(isRunEntryKey);
    } catch (err) {
      this.fail(err, 'listing runs/');
    }
  }

  async readRunEntry(key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
    splitRunEntryKey(key);
    let res: http.IncomingMessage;
    try {
      res = await this.client().getObject(this.key(key), signal);
    } catch (err) {
      this.fail(err, `downloading ${key}`);
    }
    const length = Number(res.headers['content-length']);
    if (!(length <= maxBytes)) {
      res.destroy();
      throw new CairnError('LIMIT_EXCEEDED', `the file is ${(length / 2 ** 20).toFixed(1)} MiB, past the limit of ${(maxBytes / 2 ** 20).toFixed(0)} MiB for it; not read`, { hint: 'Remove it from the remote: no stage records that much.' });
    }
    try {
      return await readBody(res);
    } catch (err) {
      this.fail(err, `downloading ${key}`);
    }
  }

  async writeRunEntry(key: string, bytes: Buffer, signal?: AbortSignal): Promise<void> {
    splitRunEntryKey(key);
    await this.client().putObject(this.key(key), bytes, signal).catch((err) => this.fail(err, `uploading ${key}`));
  }

  /** Multipart uploads under the remote's prefix started more than `idleMs` ago and never completed; ids are `<uploadId> <key>`. */
  async abandonedUploads(idleMs: number, signal?: AbortSignal): Promise<string[]> {
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      // The whole bucket's, filtered here: MinIO lists uploads only for an exact key or for the whole bucket.
      const uploads = await this.client().listMultipartUploads(undefined, signal);
      const before = Date.now() - idleMs;
      // Only uploads of object keys: another tool's upload under the same prefix is not ours to abort.
      return uploads
        .filter((u) => u.key.startsWith(this.key('')) && isObjectKey(u.key.slice(strip)) && u.initiated.getTime() <= before)
        .map((u) => `${u.uploadId} ${u.key.slice(strip)}`);
    } catch (err) {
      this.fail(err, 'listing unfinished uploads');
    }
  }

  async removeAbandoned(id: string): Promise<void> {
    const [uploadId, key] = [id.slice(0, id.indexOf(' ')), id.slice(id.indexOf(' ') + 1)];
    try {
      await this.client().abortMultipartUpload(this.key(key), uploadId);
    } catch (err) {
      this.fail(err, `aborting the unfinished upload of ${key}`);
    }
  }

  close(): void {
    this.http?.destroy();
    this.http = undefined;
    this.sdkClient?.destroy();
    this.sdkClient = undefined;
  }
}

/** `length` bytes of `file` from `start` (a multipart upload's part). */
async function readRange(file: string, start: number, length: number): Promise<Buffer> {
  const body = Buffer.allocUnsafe(length);
  const fh = await fs.promises.open(file, 'r');
  try {
    for (let filled = 0; filled < length; ) {
      const { bytesRead } = await fh.read(body, filled, length - filled, start + filled);
      if (bytesRead === 0) throw new Error(`${file} is shorter than ${start + length} bytes`);
      filled += bytesRead;
    }
    return body;
  } finally {
    await fh.close();
  }
}
