import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { CairnError } from '../../src/core/errors';
import { setFolderTrusted } from '../../src/core/folderTrust';
import { CoreClient } from '../../src/extension/coreClient';
import { cairn, cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/** The extension's folder: CoreClient starts dist/coreWorker.js from there, and the workers dist/cli.js. */
const EXTENSION_PATH = path.resolve(__dirname, '..', '..', '..');
const CLI = [process.execPath, path.join(EXTENSION_PATH, 'dist', 'cli.js')];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The queue controls of the extension (Start Workers, Stop, Stop and Kill, the status bar's
 * summary) through the core worker, as the extension calls them, on a real queue and real
 * detached workers running a stage that sleeps.
 */
describe('queue controls through the core worker (src/extension/coreWorker: enqueue, queueStart, queueStop, queueState)', function () {
  this.timeout(90_000);
  let root = '';
  const core = new CoreClient(EXTENSION_PATH);

  before(() => {
    root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': "stages:\n  slow:\n    cmd: sleep 60 && echo done > out.txt\n    params: [lr]\n    outs: [out.txt]\n" });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'slow stage');
  });
  after(async () => {
    setFolderTrusted(true);
    cairn(root, 'queue', 'stop', '--kill');
    core.dispose();
  });

  it('queues a sweep, starts a worker, sums the queue, and with Stop and Kill ends the running run failed and the worker gone', async () => {
    setFolderTrusted(true);
    assert.deepEqual(await core.call('queueState', root, {}), { queued: 0, running: 0, workers: 0 });
    const { names } = await core.call('enqueue', root, { setParams: ['lr=0.2,0.3'], name: 'slow' });
    assert.deepEqual(names, ['slow-1', 'slow-2']);
    assert.deepEqual(await core.call('queueState', root, {}), { queued: 2, running: 0, workers: 0 });
    assert.deepEqual(await core.call('queueStart', root, { jobs: 1, cli: CLI }), { started: 1 });
    await until('one running, one queued, one worker', async () => {
      const s = await core.call('queueState', root, {});
      return (s.running === 1 && s.queued === 1 && s.workers === 1) || undefined;
    });
    // A second start with -j 1 starts none: one is alive.
    assert.deepEqual(await core.call('queueStart', root, { jobs: 1, cli: CLI }), { started: 0 });
    assert.deepEqual(await core.call('queueStop', root, { kill: true }), { killed: ['slow-1'] });
    let last: unknown;
    await until('the worker gone, slow-2 still queued', async () => {
      const s = (last = await core.call('queueState', root, {}));
      return (s.running === 0 && s.workers === 0 && s.queued === 1) || undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${JSON.stringify(last)}; queue status: ${cairn(root, 'queue', 'status').stdout.trim()}`);
    });
    const status = JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as { name: string; status: string }[];
    assert.deepEqual(status.map((s) => `${s.name} ${s.status}`), ['slow-1 failed', 'slow-2 queued']);
  });

  it('refuses to queue or start workers in a folder not trusted, and reads the form there from disk', async () => {
    setFolderTrusted(false);
    const untrusted = new CoreClient(EXTENSION_PATH);
    try {
      for (const call of [() => untrusted.call('enqueue', root, { setParams: ['lr=0.4'] }), () => untrusted.call('queueStart', root, { jobs: 1, cli: CLI }), () => untrusted.call('queueStop', root, { kill: true })]) {
        await assert.rejects(call(), (err: unknown) => err instanceof CairnError && /in a folder you have not trusted/.test(err.oneLine()));
      }
      const form = await untrusted.call('runForm', root, { row: 'workspace' });
      assert.deepEqual(form.fields.map((f) => `${f.path.join('.')}=${f.value}`), ['lr=0.1']);
    } finally {
      untrusted.dispose();
      setFolderTrusted(true);
    }
  });
});
