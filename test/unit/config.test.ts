import { strict as assert } from 'node:assert';
import { ConfigFile } from '../../src/core/repo/config';
import { CairnError } from '../../src/core/errors';

describe('config files', () => {
  it('reads and writes ConfigObj INI as DVC does', () => {
    const text = "[core]\n    remote = storage\n    autostage = true\n['remote \"storage\"']\n    url = s3://bucket/path\n";
    const c = ConfigFile.parse(text, '.dvc/config');
    assert.equal(c.get('core', 'remote'), 'storage');
    assert.equal(c.get('remote "storage"', 'url'), 's3://bucket/path');
    assert.equal(c.serialize(), text);
    c.set('cache', 'type', 'hardlink,symlink');
    c.unset('core', 'autostage');
    // As real dvc 3.67.1 writes it (`dvc config cache.type hardlink,symlink` on this file): plain
    // sections before remotes, and a value with a comma quoted.
    assert.equal(c.serialize(), "[core]\n    remote = storage\n[cache]\n    type = \"hardlink,symlink\"\n['remote \"storage\"']\n    url = s3://bucket/path\n");
  });

  it('names the file and line of a line it cannot parse', () => {
    assert.throws(
      () => ConfigFile.parse('[core]\n    remote = a\nthis is not ini\n', '.dvc/config'),
      (e: unknown) => e instanceof CairnError && e.file === '.dvc/config' && e.line === 3,
    );
  });
});
