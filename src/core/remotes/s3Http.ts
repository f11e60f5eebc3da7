import { digest } from '../hashing/digest';
import * as http from 'node:http';
import * as https from 'node:https';
import { abortedError } from '../errors';
import { amzDate, authorization, canonicalQuery, Credentials, EMPTY_SHA256, UNSIGNED_PAYLOAD, uriEncode } from './sigv4';

/**
 * The few S3 operations a remote needs, over node:http(s) with keep-alive, signed with
 * SigV4. It replaces the AWS SDK on the request path, whose middleware costs ~0.7-1 ms of
 * CPU per request: with many small objects the client, not the network, was the limit.
 */

/** Tries per request, as the AWS SDK's `maxAttempts: 5`. */
const MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 100;
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['SlowDown', 'RequestTimeout', 'InternalError']);
const RETRY_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED']);
/** A connection silent this long (no byte either way) is given up, and the request retried: boto's read timeout. */
const IDLE_TIMEOUT_MS = 60_000;

export interface S3HttpOptions {
  bucket: string;
  /** An S3-compatible server (`http(s)://host[:port][/path]`), addressed path-style; AWS's regional endpoints when absent. */
  endpoint?: string;
  region: string;
  maxSockets: number;
  /** Whether an https server's certificate is checked. */
  verifyTls: boolean;
  /** Asked before every request (so temporary credentials can be renewed): return a cached value when there is one. */
  credentials: () => Credentials | Promise<Credentials>;
  /** IDLE_TIMEOUT_MS unless given (tests). */
  idleTimeoutMs?: number;
}

/** An error response from S3 (status, S3's `<Code>` and `<Message>`), or a 200 whose body is an `<Error>`. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    /** The bucket's region when the response names it (`x-amz-bucket-region`, `<Region>`). */
    readonly bucketRegion: string | undefined,
    /** The server's clock (its Date header) in ms since the epoch. */
    readonly serverTime: number | undefined,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

interface S3Response {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface S3Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** The object's key; none for a request on the bucket. */
  key?: string;
  query?: Record<string, string>;
  body?: Buffer;
  /** The body's md5 (hex) when the caller has it already: not computed a second time. */
  bodyMd5?: string;
  signal?: AbortSignal;
}

export class S3Http {
  private readonly secure: boolean;
  private readonly agent: http.Agent;
  private region: string;
  private hostname = '';
  private port = 0;
  /** The Host header (with the port when not the scheme's default). */
  private host = '';
  /** The path of the bucket: `/bucket` path-style (after the endpoint's own path), '' virtual-hosted. */
  private bucketPath = '';
  /** Server clock minus ours, learned from a RequestTimeTooSkewed answer. */
  private clockOffset = 0;

  constructor(private readonly options: S3HttpOptions) {
    this.secure = options.endpoint ? new URL(options.endpoint).protocol === 'https:' : true;
    // The agent sets the idle timeout once per connection; exchange() acts on it.
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, timeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS };
    this.agent = this.secure ? new https.Agent({ ...agentOptions, rejectUnauthorized: options.verifyTls }) : new http.Agent(agentOptions);
    this.region = options.region;
    this.route();
  }

  /** Where requests go, for the current region. */
  private route(): void {
    const { server, bucketPath } = bucketAddress(this.options.bucket, this.region, this.options.endpoint);
    this.hostname = server.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
    this.port = Number(server.port) || (this.secure ? 443 : 80);
    this.host = server.host;
    this.bucketPath = bucketPath;
  }

  /** Whether the object exists (HEAD). */
  async headObject(key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.request({ method: 'HEAD', key, signal });
      return true;
    } catch (err) {
      if (err instanceof S3Error && err.status === 404) return false;
      throw err;
    }
  }

  /** Every key starting with `prefix` (ListObjectsV2, page after page). */
  async listObjects(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const xml = (await this.request({ method: 'GET', query, signal })).body.toString('utf8');
      for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(decodeXml(m[1]));
      token = xml.includes('<IsTruncated>true</IsTruncated>') ? xmlText(xml, 'NextContinuationToken') : undefined;
    } while (token);
    return keys;
  }

  async putObject(key: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    await this.request({ method: 'PUT', key, body, signal });
  }

  /** The object's response, its body not yet read; a 404 is an S3Error. Retried only until the response starts. */
  getObject(key: string, signal?: AbortSignal): Promise<http.IncomingMessage> {
    return this.send({ method: 'GET', key, signal }, true) as Promise<http.IncomingMessage>;
  }

  async deleteObject(key: string, signal?: AbortSignal): Promise<void> {
    await this.request({ method: 'DELETE', key, signal });
  }

  /** Starts a multipart upload; returns its id. */
  async createMultipartUpload(key: string, signal?: AbortSignal): Promise<string> {
    const xml = (await this.request({ method: 'POST', key, query: { uploads: '' }, signal })).body.toString('utf8');
    const id = xmlText(xml, 'UploadId');
    if (!id) throw new S3Error(200, undefined, 'no UploadId in the answer to CreateMultipartUpload', undefined, undefined);
    return id;
  }

  /** Uploads part `partNumber` (from 1); returns its ETag. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, bodyMd5: string, signal?: AbortSignal): Promise<string> {
    const { headers } = await this.request({ method: 'PUT', key, query: { partNumber: String(partNumber), uploadId }, body, bodyMd5, signal });
    if (!headers.etag) throw new S3Error(200, undefined, `no ETag in the answer to UploadPart ${partNumber}`, undefined, undefined);
    return headers.etag;
  }

  async completeMultipartUpload(key: string, uploadId: string, etags: string[], signal?: AbortSignal): Promise<void> {
    const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('');
    const body = Buffer.from(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts}</CompleteMultipartUpload>`);
    await this.request({ method: 'POST', key, query: { uploadId }, body, signal });
  }

  /** Multipart uploads neither completed nor aborted: the bucket's, or one key's (MinIO lists no other prefixes). ListMultipartUploads, page after page. */
  async listMultipartUploads(key: string | undefined, signal?: AbortSignal): Promise<{ key: string; uploadId: string; initiated: Date }[]> {
    const uploads: { key: string; uploadId: string; initiated: Date }[] = [];
    let marker: { 'key-marker': string; 'upload-id-marker': string } | undefined;
    do {
      const query: Record<string, string> = { uploads: '', ...(key === undefined ? {} : { prefix: key }), ...marker };
      const xml = (await this.request({ method: 'GET', query, signal })).body.toString('utf8');
      for (const m of xml.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)) {
        const [key, uploadId, initiated] = ['Key', 'UploadId', 'Initiated'].map((t) => xmlText(m[1], t));
        if (key && uploadId && initiated) uploads.push({ key, uploadId, initiated: new Date(initiated) });
      }
      const next = [xmlText(xml, 'NextKeyMarker'), xmlText(xml, 'NextUploadIdMarker')];
      marker = xml.includes('<IsTruncated>true</IsTruncated>') && next[0] ? { 'key-marker': next[0], 'upload-id-marker': next[1] ?? '' } : undefined;
    } while (marker);
    return uploads;
  }

  /** The parts an unfinished multipart upload holds (ListParts, page after page). */
  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<{ partNumber: number; etag: string; size: number }[]> {
    const parts: { partNumber: number; etag: string; size: number }[] = [];
    let marker: string | undefined;
    do {
      const query: Record<string, string> = { uploadId, ...(marker ? { 'part-number-marker': marker } : {}) };
      const xml = (await this.request({ method: 'GET', key, query, signal })).body.toString('utf8');
      for (const m of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
        const [n, etag, size] = ['PartNumber', 'ETag', 'Size'].map((t) => xmlText(m[1], t));
        if (n && etag && size) parts.push({ partNumber: Number(n), etag, size: Number(size) });
      }
      marker = xml.includes('<IsTruncated>true</IsTruncated>') ? xmlText(xml, 'NextPartNumberMarker') : undefined;
    } while (marker);
    return parts;
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    await this.request({ method: 'DELETE', key, query: { uploadId } });
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.agent.destroy();
  }

  /** A request whose whole response is wanted. */
  private request(req: S3Request): Promise<S3Response> {
    return this.send(req, false) as Promise<S3Response>;
  }

  /**
   * Sends `req`, retrying network failures and 5xx/throttling answers with exponential
   * backoff and full jitter (at most MAX_ATTEMPTS tries), and once more after learning
   * the bucket's real region or the server's clock. `stream`: resolve with a 2xx response
   * as soon as it starts (its body is the caller's, so it is not retried past that point);
   * else with its headers and whole body. Error answers are S3Errors.
   */
  private async send(req: S3Request, stream: boolean): Promise<S3Response | http.IncomingMessage> {
    const { method, body, bodyMd5, signal } = req;
    const path = req.key === undefined ? this.bucketPath || '/' : `${this.bucketPath}/${uriEncode(req.key, true)}`;
    const query = req.query ? canonicalQuery(req.query) : '';
    // Content-MD5 has the server verify the body. Over TLS the body itself is not signed
    // (as the AWS SDKs do); over plain http its sha256 is, as AWS wants it there.
    const md5 = body && (bodyMd5 ? Buffer.from(bodyMd5, 'hex').toString('base64') : digest('md5', body, 'base64'));
    const payloadHash = !body ? EMPTY_SHA256 : this.secure ? UNSIGNED_PAYLOAD : digest('sha256', body);
    let corrected = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError();
      const region = this.region;
      let error: Error;
      try {
        const headers: Record<string, string> = {
          host: this.host,
          'x-amz-content-sha256': payloadHash,
          'x-amz-date': amzDate(Date.now() + this.clockOffset),
        };
        if (md5) headers['content-md5'] = md5;
        if (body || method === 'PUT' || method === 'POST') headers['content-length'] = String(body?.length ?? 0);
        const credentials = await this.options.credentials();
        if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
        headers.authorization = authorization({ method, path, query, headers }, credentials, region);
        const res = await this.exchange(method, query ? `${path}?${query}` : path, headers, body, signal);
        const status = res.statusCode ?? 0;
        if (status < 300 && stream) return res;
        const data = await readBody(res);
        // A POST (CompleteMultipartUpload) can fail after its 200 has been sent: the body says so.
        if (status < 300 && !(method === 'POST' && data.includes('<Error>'))) return { headers: res.headers, body: data };
        error = s3Error(res, data);
      } catch (err) {
        if (signal?.aborted) throw abortedError();
        if (!RETRY_NETWORK.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        error = err as Error;
      }
      if (error instanceof S3Error) {
        if (!corrected && this.corrects(error, region)) {
          corrected = true;
          attempt--;
          continue;
        }
        if (!RETRY_STATUS.has(error.status) && !RETRY_CODES.has(error.code ?? '')) throw error;
      }
      if (attempt >= MAX_ATTEMPTS) throw error;
      await sleep(Math.random() * BACKOFF_BASE_MS * 2 ** attempt, signal);
    }
  }

  /** Whether `error` taught us the bucket's region or the server's clock (so the request is worth sending again). */
  private corrects(error: S3Error, regionUsed: string): boolean {
    if ((error.status === 301 || error.status === 400) && error.bucketRegion && error.bucketRegion !== regionUsed) {
      if (error.bucketRegion !== this.region) {
        this.region = error.bucketRegion;
        this.route();
      }
      return true;
    }
    if (error.code === 'RequestTimeTooSkewed' && error.serverTime !== undefined) {
      this.clockOffset = error.serverTime - Date.now();
      return true;
    }
    return false;
  }

  /** One HTTP exchange; resolves once the response's headers are in. */
  private exchange(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError());
      const options = { hostname: this.hostname, port: this.port, path, method, headers, agent: this.agent };
      const request = this.secure ? https.request(options) : http.request(options);
      if (signal) cancelOnAbort(signal, request);
      request.once('timeout', () => request.destroy(Object.assign(new Error('the server stopped answering'), { code: 'ETIMEDOUT' })));
      request.once('response', resolve);
      request.on('error', reject); // `on`: an error after the response must not go unhandled
      request.end(body);
    });
  }
}

/** Requests in flight by the signal that cancels them. */
const inFlight = new WeakMap<AbortSignal, Set<http.ClientRequest>>();

/**
 * Destroy `request` (and its response) if `signal` aborts. One abort listener per signal
 * serves all its requests: a listener each (http.request's `signal` option) costs more per
 * request and, past 10, has Node warn of a leak.
 */
function cancelOnAbort(signal: AbortSignal, request: http.ClientRequest): void {
  let requests = inFlight.get(signal);
  if (!requests) {
    const all = (requests = new Set());
    inFlight.set(signal, all);
    signal.addEventListener('abort', () => all.forEach((r) => r.destroy(abortedError())), { once: true });
  }
  requests.add(request);
  request.once('close', () => requests.delete(request));
}

/**
 * The server a bucket's requests go to, and the bucket's path on it: with an endpoint,
 * path-style (`endpoint[/path]/bucket/key`); on AWS, the bucket in the host name
 * (`bucket.s3.region.amazonaws.com/key`) unless it cannot be one label of it (dots, which
 * AWS's wildcard certificate does not cover; capitals or underscores of old buckets).
 */
export function bucketAddress(bucket: string, region: string, endpoint?: string): { server: URL; bucketPath: string } {
  if (endpoint) {
    const server = new URL(endpoint);
    return { server, bucketPath: `${server.pathname.replace(/\/+$/, '')}/${uriEncode(bucket, false)}` };
  }
  const virtualHost = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket);
  const domain = `s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  return {
    server: new URL(`https://${virtualHost ? `${bucket}.` : ''}${domain}`),
    bucketPath: virtualHost ? '' : `/${uriEncode(bucket, false)}`,
  };
}

/** The whole body of a response. */
export function readBody(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    res.once('error', reject);
  });
}

/** An error answer as an S3Error. A HEAD's has no body: MinIO then gives its code and message in headers. */
function s3Error(res: http.IncomingMessage, data: Buffer): S3Error {
  const xml = data.toString('utf8');
  const status = res.statusCode ?? 0;
  const header = (name: string) => {
    const value = res.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const date = res.headers.date ? Date.parse(res.headers.date) : NaN;
  return new S3Error(
    status,
    xmlText(xml, 'Code') ?? header('x-minio-error-code'),
    xmlText(xml, 'Message') ?? header('x-minio-error-desc')?.replace(/^"|"$/g, '') ?? http.STATUS_CODES[status] ?? `HTTP ${status}`,
    header('x-amz-bucket-region') ?? xmlText(xml, 'Region'),
    Number.isNaN(date) ? undefined : date,
  );
}

/** The text of the first `<tag>` element (S3's XML has no attributes on the ones read here). */
function xmlText(xml: string, tag: string): string | undefined {
  const start = xml.indexOf(`<${tag}>`);
  if (start < 0) return undefined;
  const end = xml.indexOf(`</${tag}>`, start);
  return end < 0 ? undefined : decodeXml(xml.slice(start + tag.length + 2, end));
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : XML_ENTITIES[e],
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
