import { strict as assert } from 'node:assert';
import { bucketAddress, decodeXml } from '../../src/core/remotes/s3Http';

/** Where the S3 client sends a bucket's requests (AWS itself cannot be reached from the tests), and its XML decoding. */
describe('S3 client addressing', () => {
  const address = (bucket: string, region: string, endpoint?: string) => {
    const { server, bucketPath } = bucketAddress(bucket, region, endpoint);
    return `${server.protocol}//${server.host} ${bucketPath}`;
  };

  it('AWS: the bucket in the host name of the regional endpoint', () => {
    assert.equal(address('my-bucket', 'eu-west-1'), 'https://my-bucket.s3.eu-west-1.amazonaws.com ');
    assert.equal(address('my-bucket', 'us-east-1'), 'https://my-bucket.s3.us-east-1.amazonaws.com ');
    assert.equal(address('data', 'cn-north-1'), 'https://data.s3.cn-north-1.amazonaws.com.cn ');
  });

  it('AWS: path-style for names that cannot be a host label (dots, capitals, underscores)', () => {
    assert.equal(address('my.bucket', 'eu-west-1'), 'https://s3.eu-west-1.amazonaws.com /my.bucket');
    assert.equal(address('Old_Bucket', 'us-east-1'), 'https://s3.us-east-1.amazonaws.com /Old_Bucket');
  });

  it('an endpoint: path-style, after its own path, its port kept', () => {
    assert.equal(address('b', 'us-east-1', 'http://127.0.0.1:9000'), 'http://127.0.0.1:9000 /b');
    assert.equal(address('b.c', 'us-east-1', 'https://minio.example.com/s3/'), 'https://minio.example.com /s3/b.c');
    assert.equal(address('b', 'us-east-1', 'https://[::1]:9443'), 'https://[::1]:9443 /b');
  });

  it('XML text decoded: named and numeric entities', () => {
    assert.equal(decodeXml('a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&#39; &#x263A;'), 'a&b <c> "d" \'e\' \u263A');
    assert.equal(decodeXml('files/md5/ab/cdef'), 'files/md5/ab/cdef');
  });
});
