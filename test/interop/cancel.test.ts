import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, cairnOk, corruptCacheObjects, tempGitRepo, treeHashes } from '../support/fixtures';

describe('Ctrl-C (SIGINT) on the CLI', () => {
  it('stops an add cleanly: exit 130, no .dvc file, intact cache, lock released, and a rerun works', async function () {
    const dir = tempGitRepo();
    cairnOk(dir, 'init');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    // Enough bytes that the add is still running when the signal arrives.
    for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(data, `part-${i}.bin`), Buffer.alloc(8 << 20, i));
    const before = treeHashes(data);

    const child = spawn(process.execPath, [CLI, 'add', 'data'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until it has started writing into the cache, then interrupt.
    const staging = path.join(dir, '.dvc/cache/.cairn-staging');
    const objects = path.join(dir, '.dvc/cache/files/md5');
    while (!fs.existsSync(staging) && !fs.existsSync(objects)) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));

    assert.equal(code, 130, stderr);
    assert.match(stderr, /Operation cancelled/);
    assert.equal(fs.existsSync(path.join(dir, 'data.dvc')), false);
    assert.equal(fs.existsSync(path.join(dir, '.dvc/tmp/cairn/lock')), false, 'lock released');
    assert.deepEqual(corruptCacheObjects(path.join(dir, '.dvc/cache')), []);
    assert.deepEqual(treeHashes(data), before);

    cairnOk(dir, 'add', 'data');
    assert.equal(cairnOk(dir, 'status').trim(), 'Data and pipelines are up to date.');
  });
});
