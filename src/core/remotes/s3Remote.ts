import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { abortedError, CairnError } from '../errors';
import type { BatchOptions, GetItem, PutItem, Remote, TransferOptions } from './remote';
import { getEach, putEach } from './perObject';

/** Files at least this big go up in parts, several at once (and a part can be retried alone). */
export const MULTIPART_THRESHOLD = 64 << 20;
const MIN_PART = 16 << 20;
const MAX_PARTS = 10_000;
const PARTS_IN_FLIGHT = 4;

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

/** `s3://bucket/some/prefix` → bucket and key prefix (no slashes at either end). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new CairnError('USAGE', `'${url}' is not an S3 url.`, { hint: 'Use s3://bucket/prefix.' });
  return { bucket: m[1], prefix: m[2].replace(/^\/+|\/+$/g, '') };
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Sdk | undefined;
/** The SDK is loaded on first use only: commands that never talk to S3 do not pay for it. */
async function loadSdk(): Promise<Sdk> {
  // The SDK warns on stderr under Node < 22 once per process; that is not the user's concern.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sdk ??= require('@aws-sdk/client-s3') as Sdk);
}

/**
 * An S3 or S3-compatible (MinIO, Ceph, R2…) remote. Credentials: `access_key_id` /
 * `secret_access_key` from the config (keep them in config.local), else `profile`, else the
 * SDK's default chain (environment, shared files, SSO, instance roles). A PUT is atomic:
 * an object is visible only once complete; big files use a multipart upload that is
 * aborted if it fails, so nothing partial is ever left under a key.
 */
export class S3Remote implements Remote {
  readonly kind = 's3' as const;
  readonly defaultJobs = 4 * (os.availableParallelism?.() ?? os.cpus().length);
  readonly bucket: string;
  readonly prefix: string;
  private client: S3Client | undefined;
  private readonly secrets: string[];

  constructor(readonly name: string, readonly url: string, private readonly options: S3Options, private readonly maxSockets = 64) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    this.secrets = [options.secret_access_key, options.session_token].filter((s): s is string => !!s);
  }

  private async s3(): Promise<{ client: S3Client; sdk: Sdk }> {
    const lib = await loadSdk();
    if (!this.client) {
      const o = this.options;
      let endpoint = o.endpointurl;
      if (endpoint && !/^https?:\/\//.test(endpoint)) endpoint = `${o.use_ssl === 'false' ? 'http' : 'https'}://${endpoint}`;
      const agentOptions = { keepAlive: true, maxSockets: this.maxSockets };
      this.client = new lib.S3Client({
        region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        endpoint,
        forcePathStyle: !!endpoint,
        profile: o.profile,
        credentials: o.access_key_id && o.secret_access_key ? { accessKeyId: o.access_key_id, secretAccessKey: o.secret_access_key, sessionToken: o.session_token } : undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 5,
        requestHandler: {
          httpAgent: new http.Agent(agentOptions),
          httpsAgent: new https.Agent({ ...agentOptions, rejectUnauthorized: o.ssl_verify !== 'false' }),
        },
      });
    }
    return { client: this.client, sdk: lib };
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** An SDK failure as a one-line error, with every configured secret blanked out. */
  private fail(err: unknown, what: string): never {
    if ((err as Error)?.name === 'AbortError') throw abortedError();
    const e = err as { name?: string; message?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    // A HEAD has no body: a refused one comes back as an unnamed error.
    const unnamed = !e.name || e.name === 'Unknown' || e.name === 'Error' || /UnknownError/.test(e.message ?? '');
    let message = unnamed && (status === 403 || status === 401) ? 'access denied (bad or missing credentials)' : `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}`;
    for (const s of this.secrets) message = message.split(s).join('***');
    throw new CairnError('REMOTE', `${what} on remote '${this.name}' (${this.url}) failed: ${message}${status ? ` (HTTP ${status})` : ''}`, {
      hint: status === 403 || status === 401 || /credential|AccessDenied|Signature|InvalidAccessKeyId|Forbidden/i.test(message + (e.name ?? ''))
        ? `Check the remote's credentials: \`cairn remote modify --local ${this.name} access_key_id|secret_access_key ...\`, a profile, or the AWS_* environment.`
        : undefined,
    });
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    const { client, sdk } = await this.s3();
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: signal });
      return true;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return false;
      this.fail(err, `checking ${key}`);
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const { client, sdk } = await this.s3();
    const full = this.key(prefix);
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token }), { abortSignal: signal });
      } catch (err) {
        this.fail(err, `listing ${prefix}`);
      }
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(strip));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  putAll(items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]> {
    return putEach(this, items, options);
  }

  getAll(items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]> {
    return getEach(this, items, stagingDir, options);
  }

  async upload(localFile: string, key: string, size: number, options: TransferOptions): Promise<void> {
    if (options.signal?.aborted) throw abortedError();
    const { client, sdk } = await this.s3();
    const Key = this.key(key);
    if (size < MULTIPART_THRESHOLD) {
      const body = await fs.promises.readFile(localFile);
      try {
        await client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: body.length }), { abortSignal: options.signal });
      } catch (err) {
        this.fail(err, `uploading ${key}`);
      }
      options.onBytes?.(body.length);
      return;
    }
    const partSize = Math.max(MIN_PART, Math.ceil(size / MAX_PARTS));
    let uploadId: string | undefined;
    try {
      uploadId = (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key }), { abortSignal: options.signal })).UploadId!;
      const count = Math.ceil(size / partSize);
      const etags: string[] = new Array(count);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const start = i * partSize;
          const length = Math.min(partSize, size - start);
          const body = Buffer.allocUnsafe(length);
          const fh = await fs.promises.open(localFile, 'r');
          try {
            let filled = 0;
            while (filled < length) {
              const { bytesRead } = await fh.read(body, filled, length - filled, start + filled);
              if (bytesRead === 0) throw new Error(`${localFile} is shorter than ${size} bytes`);
              filled += bytesRead;
            }
          } finally {
            await fh.close();
          }
          const r = await client.send(
            new sdk.UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber: i + 1, Body: body, ContentLength: length }),
            { abortSignal: options.signal },
          );
          etags[i] = r.ETag!;
          options.onBytes?.(length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
      await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        { abortSignal: options.signal },
      );
    } catch (err) {
      if (uploadId) await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).catch(() => undefined);
      if (err instanceof CairnError) throw err;
      this.fail(err, `uploading ${key}`);
    }
  }

  async download(key: string, localFile: string, options: TransferOptions): Promise<{ md5: string; size: number }> {
    if (options.signal?.aborted) throw abortedError();
    const { client, sdk } = await this.s3();
    let body: Readable;
    try {
      const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: options.signal });
      body = r.Body as Readable;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NoSuchKey') throw Object.assign(new Error(`not on remote '${this.name}'`), { code: 'ENOENT' });
      this.fail(err, `downloading ${key}`);
    }
    const hash = crypto.createHash('md5');
    const out = await fs.promises.open(localFile, 'w', 0o444);
    let size = 0;
    try {
      for await (const chunk of body) {
        hash.update(chunk as Buffer);
        await out.write(chunk as Buffer);
        size += (chunk as Buffer).length;
        options.onBytes?.((chunk as Buffer).length);
      }
    } catch (err) {
      if (options.signal?.aborted) throw abortedError();
      this.fail(err, `downloading ${key}`);
    } finally {
      await out.close();
    }
    return { md5: hash.digest('hex'), size };
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    const { client, sdk } = await this.s3();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: signal });
    } catch (err) {
      this.fail(err, `removing ${key}`);
    }
  }

  close(): void {
    this.client?.destroy();
    this.client = undefined;
  }
}
