import * as crypto from 'node:crypto';
import { digest } from '../hashing/digest';

/**
 * AWS Signature Version 4 for S3 requests (Authorization header), with Node's crypto only.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working; none for long-term keys. */
  expiration?: Date;
}

/** The sha256 of no bytes: the payload hash of a request without a body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** The payload hash of a request whose body is not signed (over TLS; Content-MD5 still guards it). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** SigV4's percent-encoding: everything but A-Z a-z 0-9 - _ . ~ (and '/' in a path, when kept). */
export function uriEncode(s: string, keepSlash: boolean): string {
  // encodeURIComponent leaves !'()* alone; SigV4 wants them encoded.
  const encoded = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

/** The canonical query string (names and values encoded, sorted by name); sent as is. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .map((name) => [uriEncode(name, false), uriEncode(params[name], false)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) // by encoded name: byte order, as all are ASCII
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export interface SignableRequest {
  method: string;
  /** The path as sent: each segment encoded once (S3 does not encode it twice). */
  path: string;
  /** From canonicalQuery(), '' for none. */
  query: string;
  /** Every header to sign, by lower-case name; `host`, `x-amz-date` and `x-amz-content-sha256` among them. */
  headers: Record<string, string>;
}

/** The Authorization header's value for `request`, signed for S3 in `region` at the request's `x-amz-date`. */
export function authorization(request: SignableRequest, credentials: Credentials, region: string): string {
  const { headers } = request;
  const amzDate = headers['x-amz-date'];
  const date = amzDate.slice(0, 8);
  const names = Object.keys(headers).sort();
  let canonicalHeaders = '';
  for (const name of names) canonicalHeaders += `${name}:${headers[name].trim().replace(/\s+/g, ' ')}\n`;
  const signedHeaders = names.join(';');
  const canonicalRequest = `${request.method}\n${request.path}\n${request.query}\n${canonicalHeaders}\n${signedHeaders}\n${headers['x-amz-content-sha256']}`;
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${digest('sha256', canonicalRequest)}`;
  const signature = crypto.createHmac('sha256', signingKey(credentials.secretAccessKey, date, region)).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/** `YYYYMMDDTHHMMSSZ`, the form of `x-amz-date`. */
export function amzDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastDate.second) {
    const iso = new Date(second * 1000).toISOString(); // 2013-05-24T00:00:00.000Z
    lastDate = { second, text: `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z` };
  }
  return lastDate.text;
}
/** The last amzDate: thousands of requests a second share one. */
let lastDate = { second: NaN, text: '' };

// The signing key depends only on the secret, the day and the region: four HMACs saved per request.
const signingKeys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string): Buffer {
  const id = `${date}/${region}/${secret}`;
  let key = signingKeys.get(id);
  if (!key) {
    const hmac = (k: string | Buffer, data: string) => crypto.createHmac('sha256', k).update(data).digest();
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
    if (signingKeys.size >= 16) signingKeys.clear(); // days and rotated secrets go by
    signingKeys.set(id, key);
  }
  return key;
}
