import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { amzDate, authorization, canonicalQuery, EMPTY_SHA256, uriEncode } from '../../src/core/remotes/sigv4';

/**
 * The S3 signer against the examples AWS publishes for SigV4 header auth ("Examples:
 * Signature Calculations", sig-v4-header-based-auth.html): same credentials, same instant,
 * same requests, the documented signatures.
 */
describe('S3 SigV4 signer', () => {
  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  const date = '20130524T000000Z';
  const host = 'examplebucket.s3.amazonaws.com';
  const sign = (method: string, path: string, query: string, headers: Record<string, string>) =>
    authorization({ method, path, query, headers: { host, 'x-amz-date': date, ...headers } }, credentials, 'us-east-1');

  it('GET Object with a Range header', () => {
    assert.equal(
      sign('GET', '/test.txt', '', { range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256 }),
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object: a signed body and a key with a character to encode', () => {
    const payload = crypto.createHash('sha256').update('Welcome to Amazon S3.').digest('hex');
    const auth = sign('PUT', `/${uriEncode('test$file.text', true)}`, '', {
      date: 'Fri, 24 May 2013 00:00:00 GMT',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': payload,
    });
    assert.match(auth, /SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, /);
    assert.match(auth, /Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd$/);
  });

  it('GET Bucket Lifecycle: a query parameter without a value', () => {
    assert.match(sign('GET', '/', canonicalQuery({ lifecycle: '' }), { 'x-amz-content-sha256': EMPTY_SHA256 }), /Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543$/);
  });

  it('GET Bucket (list objects): query parameters sorted by name', () => {
    const query = canonicalQuery({ prefix: 'J', 'max-keys': '2' });
    assert.equal(query, 'max-keys=2&prefix=J');
    assert.match(sign('GET', '/', query, { 'x-amz-content-sha256': EMPTY_SHA256 }), /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/);
  });

  it('encodes as SigV4 wants: only unreserved characters stay, and / in a path', () => {
    assert.equal(uriEncode("a b+c/d!'()*~._-é", true), 'a%20b%2Bc/d%21%27%28%29%2A~._-%C3%A9');
    assert.equal(uriEncode('files/md5/ab/cdef', false), 'files%2Fmd5%2Fab%2Fcdef');
    // Sorted by name, not by `name=value`: 'list' before 'list-type' although '-' < '='.
    assert.equal(canonicalQuery({ 'list-type': '2', list: 'x y', uploads: '' }), 'list=x%20y&list-type=2&uploads=');
  });

  it('dates requests in the compact form', () => {
    assert.equal(amzDate(Date.UTC(2013, 4, 24, 0, 0, 0, 999)), date);
    assert.equal(amzDate(Date.UTC(2024, 1, 29, 23, 5, 9)), '20240229T230509Z');
  });
});
