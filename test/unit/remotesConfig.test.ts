import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { CairnError } from '../../src/core/errors';
import { addRemote, defaultRemote, listRemotes, modifyRemote, removeRemote, renameRemote } from '../../src/core/remotes/remoteConfig';
import { openRemote } from '../../src/core/remotes/openRemote';
import { tempGitRepo } from '../support/fixtures';

const isCode = (code: string, words?: RegExp) => (e: unknown) => e instanceof CairnError && e.code === code && (!words || words.test(e.oneLine()));

/** Each step opens the repository afresh, as each CLI run does. */
async function step<T>(dir: string, fn: (repo: Repo) => Promise<T> | T): Promise<T> {
  const repo = Repo.open(dir);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

const read = (dir: string, name = 'config') => fs.readFileSync(path.join(dir, '.dvc', name), 'utf8');

describe('remote config (core API; expected bytes are what dvc 3.67.1 wrote for the same commands)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempGitRepo();
    await init(dir, {});
  });

  it('add -d, add, modify, --local credentials, relative urls against the config folder', async () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    await step(dir, (r) => addRemote(r, 'myremote', '../store', { default: true, cwd: path.join(dir, 'sub') }));
    await step(dir, (r) => addRemote(r, 's3', 's3://b/p', { cwd: dir }));
    await step(dir, (r) => addRemote(r, 'f', 'file:///tmp/fs', { cwd: dir }));
    await step(dir, (r) => modifyRemote(r, 's3', 'endpointurl', 'http://127.0.0.1:9000', { cwd: dir }));
    await step(dir, (r) => modifyRemote(r, 's3', 'access_key_id', 'AKIA', { level: 'local', cwd: dir }));
    await step(dir, (r) => addRemote(r, 'loc', '../rel/path', { level: 'local', cwd: dir }));
    assert.equal(
      read(dir),
      "[core]\n    remote = myremote\n['remote \"myremote\"']\n    url = ../store\n['remote \"s3\"']\n    url = s3://b/p\n    endpointurl = http://127.0.0.1:9000\n['remote \"f\"']\n    url = file:///tmp/fs\n",
    );
    assert.equal(read(dir, 'config.local'), "['remote \"s3\"']\n    access_key_id = AKIA\n['remote \"loc\"']\n    url = ../../rel/path\n");
    const listed = await step(dir, (r) => listRemotes(r));
    assert.deepEqual(listed, [
      { name: 'myremote', url: path.join(dir, 'store'), default: true },
      { name: 's3', url: 's3://b/p', default: false },
      { name: 'f', url: 'file:///tmp/fs', default: false },
      { name: 'loc', url: path.resolve(dir, '..', 'rel', 'path'), default: false },
    ]);
    const local = await step(dir, (r) => openRemote(r, undefined));
    assert.equal(local.kind, 'local');
    assert.equal((local as unknown as { root: string }).root, path.join(dir, 'store'));
  });

  it('rename moves the section to the end and follows the default; remove drops the default; --unset', async () => {
    await step(dir, (r) => addRemote(r, 'myremote', '/tmp/store', { default: true, cwd: dir }));
    await step(dir, (r) => addRemote(r, 's3', 's3://b/p', { cwd: dir }));
    await step(dir, (r) => renameRemote(r, 'myremote', 'other'));
    assert.equal(read(dir), "[core]\n    remote = other\n['remote \"s3\"']\n    url = s3://b/p\n['remote \"other\"']\n    url = /tmp/store\n");
    await step(dir, (r) => modifyRemote(r, 's3', 'region', 'us-east-1', { cwd: dir }));
    await step(dir, (r) => modifyRemote(r, 's3', 'region', undefined, { unset: true, cwd: dir }));
    await step(dir, (r) => modifyRemote(r, 'other', 'region', undefined, { unset: true, cwd: dir })); // absent: not an error, as dvc
    await step(dir, (r) => removeRemote(r, 'other'));
    assert.equal(read(dir), "['remote \"s3\"']\n    url = s3://b/p\n");
    await step(dir, (r) => defaultRemote(r, 's3'));
    assert.equal(await step(dir, (r) => defaultRemote(r, undefined)), 's3');
    await step(dir, (r) => defaultRemote(r, undefined, { unset: true }));
    assert.equal(read(dir), "['remote \"s3\"']\n    url = s3://b/p\n");
  });

  it('refuses what dvc refuses, with a hint', async () => {
    await step(dir, (r) => addRemote(r, 's3', 's3://b/p', { cwd: dir }));
    await assert.rejects(step(dir, (r) => addRemote(r, 's3', '/y', { cwd: dir })), isCode('USAGE', /already exists.*--force/));
    await step(dir, (r) => addRemote(r, 's3', '/y', { cwd: dir, force: true }));
    assert.equal(read(dir), "['remote \"s3\"']\n    url = /y\n");
    await assert.rejects(step(dir, (r) => modifyRemote(r, 'nope', 'url', 'x', { cwd: dir })), isCode('USAGE', /doesn't exist/));
    await assert.rejects(step(dir, (r) => modifyRemote(r, 's3', 'bogus', 'x', { cwd: dir })), isCode('USAGE', /not known/));
    await assert.rejects(step(dir, (r) => modifyRemote(r, 's3', 'jobs', 'abc', { cwd: dir })), isCode('USAGE', /whole number/));
    await assert.rejects(step(dir, (r) => defaultRemote(r, 'nope')), isCode('USAGE', /must be present/));
    await assert.rejects(step(dir, (r) => removeRemote(r, 'nope')), isCode('USAGE', /doesn't exist/));
    await assert.rejects(step(dir, (r) => openRemote(r, undefined)), isCode('REMOTE', /no remote specified.*remote default/));
    await step(dir, (r) => addRemote(r, 'h', 'hdfs://x/y', { cwd: dir }));
    await assert.rejects(step(dir, (r) => openRemote(r, 'h')), isCode('REMOTE', /does not support/));
  });
});
