import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cairn,
  cairnOk,
  corruptCacheObjects,
  folderSnapshot,
  dvc,
  dvcOk,
  git,
  md5,
  tempDir,
  tempGitRepo,
  treeHashes,
  writeFiles,
} from '../support/fixtures';

/**
 * Cairn against the real dvc (3.67.1): real git repositories, real files, the real CLI of both.
 * Every comparison is Cairn's result against what dvc itself does or accepts.
 */

// A small data set: nested folders, non-ASCII names (é is U+00E9; ｆ is U+FF46, which sorts
// after 😀 in UTF-16 order but before it in code-point order, as Python sorts .dir entries).
const DATA: Record<string, string | Buffer> = {
  'data/a.txt': 'hello\n',
  'data/é.txt': 'accent\n',
  'data/😀.txt': 'emoji\n',
  'data/ｆ.txt': 'fullwidth\n',
  'data/sub/b.txt': 'bee\n',
  'data/sub/deeper/c.csv': 'x,y\n1,2\n',
  'model.pkl': Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from('model-bytes'), Buffer.from([0x00, 0x01, 0x02, 0x2e])]),
};

const UP_TO_DATE = 'Data and pipelines are up to date.\n';

function read(root: string, rel: string): Buffer {
  return fs.readFileSync(path.join(root, rel));
}

function exists(root: string, rel: string): boolean {
  return fs.existsSync(path.join(root, rel));
}

function rm(root: string, rel: string): void {
  fs.rmSync(path.join(root, rel), { recursive: true, force: true });
}

function parseJson(stdout: string, what: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`${what} did not print JSON: ${JSON.stringify(stdout)}`);
  }
}

function cairnJson(cwd: string, ...args: string[]): unknown {
  return parseJson(cairnOk(cwd, ...args, '--json'), `cairn ${args.join(' ')} --json`);
}

function dvcJson(cwd: string, ...args: string[]): unknown {
  return parseJson(dvcOk(cwd, ...args, '--json'), `dvc ${args.join(' ')} --json`);
}

/** Every file of the work tree except .git and .dvc/tmp: kind, mode, content hash, link target. */
const snapshot = (root: string) => folderSnapshot(root, (rel) => rel === '.git' || rel === '.dvc/tmp');

/** Files of the cache (objects and .dir manifests), relative to `.dvc/cache`, sorted. */
function cacheFiles(root: string): string[] {
  const cache = path.join(root, '.dvc', 'cache');
  const out: string[] = [];
  const visit = (dir: string, rel: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path.join(dir, e.name), childRel);
      else out.push(childRel);
    }
  };
  visit(cache, '');
  return out.sort();
}

function objectPath(root: string, hash: string): string {
  return path.join(root, '.dvc', 'cache', 'files', 'md5', hash.slice(0, 2), hash.slice(2));
}

/** `git status --porcelain` as sorted lines, paths unquoted. */
function porcelain(root: string): string[] {
  return git(root, '-c', 'core.quotepath=false', 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter(Boolean)
    .sort();
}

function commitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
}

/**
 * Each test gets its own repository, copied from a template made once (dvc takes about a second
 * per call). The copy leaves out `.dvc/tmp`, which git ignores: it is what a fresh clone has.
 */
const templates = new Map<string, string>();
function fromTemplate(name: string, make: (root: string) => void): string {
  let template = templates.get(name);
  if (!template) {
    template = tempGitRepo();
    make(template);
    templates.set(name, template);
  }
  const root = tempDir();
  fs.cpSync(template, root, { recursive: true, filter: (src) => path.relative(template!, src) !== path.join('.dvc', 'tmp') });
  return root;
}

/** A git repo holding DATA, made a DVC repo and tracked by the real dvc, committed. */
function dvcRepoWithData(): string {
  return fromTemplate('dvc', (root) => {
    writeFiles(root, DATA);
    dvcOk(root, 'init', '-q');
    dvcOk(root, 'add', '-q', 'data', 'model.pkl');
    commitAll(root, 'track data with dvc');
  });
}

/** A git repo holding DATA, made a DVC repo and tracked by Cairn, committed. */
function cairnRepoWithData(): string {
  return fromTemplate('cairn', (root) => {
    writeFiles(root, DATA);
    cairnOk(root, 'init', '-q');
    cairnOk(root, 'add', '-q', 'data', 'model.pkl');
    commitAll(root, 'track data with cairn');
  });
}

/** The edits of dvc's own status/checkout examples: a deletion, an edit, a new file, a changed model. */
function editWorkspace(root: string): void {
  rm(root, 'data/a.txt');
  writeFiles(root, { 'data/sub/b.txt': 'BEE\n', 'data/new.txt': 'new\n', 'data/é.txt': 'accent, edited\n' });
  fs.appendFileSync(path.join(root, 'model.pkl'), 'more\n');
}

function assertOriginalData(root: string): void {
  for (const [rel, content] of Object.entries(DATA)) {
    assert.ok(exists(root, rel), `${rel} should exist`);
    assert.deepEqual(read(root, rel), Buffer.from(content), `${rel} should hold its original content`);
  }
  const expected = Object.keys(DATA)
    .filter((p) => p.startsWith('data/'))
    .map((p) => p.slice('data/'.length))
    .sort();
  assert.deepEqual(Object.keys(treeHashes(path.join(root, 'data'))).sort(), expected, 'data/ should hold exactly the tracked files');
}

function assertDvcClean(root: string): void {
  assert.deepEqual(dvcJson(root, 'status'), {}, 'dvc status --json should be {}');
}

function assertCairnClean(root: string, alsoText = false): void {
  if (alsoText) assert.equal(cairnOk(root, 'status'), UP_TO_DATE);
  assert.deepEqual(cairnJson(root, 'status'), {}, 'cairn status --json should be {}');
}

function writeConfig(root: string, text: string): void {
  fs.writeFileSync(path.join(root, '.dvc', 'config'), text);
}

describe('interop with the real dvc 3', function () {
  this.timeout(120_000);

  describe('(a) status and checkout on a repository made by dvc', () => {
    it('cairn status is clean right after `dvc init && dvc add data model.pkl` (text and --json)', () => {
      const root = dvcRepoWithData();
      assertDvcClean(root);
      assertCairnClean(root, true);
    });

    it('cairn status --json equals dvc status --json after a delete, an edit, a new file in data/ and a changed model.pkl, and after deleting model.pkl', () => {
      const root = dvcRepoWithData();
      editWorkspace(root);
      const expected = dvcJson(root, 'status');
      assert.deepEqual(cairnJson(root, 'status'), expected);
      assert.deepEqual(expected, {
        'model.pkl.dvc': [{ 'changed outs': { 'model.pkl': 'modified' } }],
        'data.dvc': [{ 'changed outs': { data: 'modified' } }],
      });

      rm(root, 'model.pkl');
      const afterDelete = dvcJson(root, 'status');
      assert.deepEqual(afterDelete, {
        'model.pkl.dvc': [{ 'changed outs': { 'model.pkl': 'deleted' } }],
        'data.dvc': [{ 'changed outs': { data: 'modified' } }],
      });
      assert.deepEqual(cairnJson(root, 'status'), afterDelete);
    });

    it('cairn checkout refuses to overwrite unsaved files (non-zero exit, names them, like dvc) and changes nothing', () => {
      const root = dvcRepoWithData();
      editWorkspace(root);
      rm(root, 'model.pkl');
      const before = snapshot(root);

      const r = cairn(root, 'checkout');
      assert.notEqual(r.status, 0, `cairn checkout should fail; stdout: ${r.stdout}`);
      for (const unsaved of ['data/new.txt', 'data/sub/b.txt', 'data/é.txt']) {
        assert.ok(r.stderr.includes(unsaved), `cairn checkout should name ${unsaved}; stderr: ${r.stderr}`);
      }
      assert.deepEqual(snapshot(root), before, 'a refused cairn checkout must not touch the workspace or cache');

      // dvc refuses the same checkout; every file it names (absolute paths) must be named by Cairn too.
      const d = dvc(root, 'checkout');
      assert.notEqual(d.status, 0, 'dvc checkout refuses too (fixture check)');
      const named = d.stderr
        .split('\n')
        .filter((l) => l.startsWith('/'))
        .map((l) => (l.startsWith(root + '/') ? l.slice(root.length + 1) : path.relative(fs.realpathSync(root), l)));
      assert.deepEqual([...named].sort(), ['data/new.txt', 'data/sub/b.txt', 'data/é.txt'].sort(), `dvc named: ${d.stderr}`);
      for (const p of named) assert.ok(r.stderr.includes(p), `dvc names ${p}, cairn did not: ${r.stderr}`);
      assert.deepEqual(snapshot(root), before);
    });

    it('cairn checkout --force restores every file, removes the extra file, and dvc status is clean after', () => {
      const root = dvcRepoWithData();
      editWorkspace(root);
      rm(root, 'model.pkl');
      const r = cairn(root, 'checkout', '--force');
      assert.equal(r.status, 0, `cairn checkout --force failed: ${r.stderr}`);
      assertOriginalData(root);
      assert.ok(!exists(root, 'data/new.txt'), 'the untracked file inside data/ must be removed');
      assertDvcClean(root);
      assertCairnClean(root);
      // dvc prints modified then added outputs, directories with a trailing '/'.
      assert.equal(r.stdout, 'M       data/\nA       model.pkl\n');
    });

    it('cairn checkout restores deleted files without --force (nothing unsaved would be lost)', () => {
      const root = dvcRepoWithData();
      rm(root, 'data/a.txt');
      rm(root, 'data/😀.txt');
      rm(root, 'data/sub/deeper');
      rm(root, 'model.pkl');
      const r = cairn(root, 'checkout');
      assert.equal(r.status, 0, `cairn checkout failed: ${r.stderr}`);
      assertOriginalData(root);
      assertDvcClean(root);
      assertCairnClean(root);
    });
  });

  it('checkout --force with an object missing from the cache removes the stale file and folder as dvc does (both fail); without --force both keep them', () => {
    const scene = () => {
      const root = tempGitRepo();
      writeFiles(root, { 'a.txt': 'v1\n', 'dir/x.txt': 'x1\n' });
      dvcOk(root, 'init', '-q');
      dvcOk(root, 'add', '-q', 'a.txt', 'dir');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'v1');
      fs.rmSync(path.join(root, '.dvc', 'cache'), { recursive: true });
      writeFiles(root, { 'a.txt': 'v2\n', 'dir/x.txt': 'x2\n' });
      return root;
    };
    const [ours, theirs] = [scene(), scene()];
    assert.notEqual(cairn(ours, 'checkout', '--force').status, 0);
    assert.notEqual(dvc(theirs, 'checkout', '--force').status, 0);
    for (const root of [ours, theirs]) {
      assert.ok(!fs.existsSync(path.join(root, 'a.txt')), root);
      assert.ok(!fs.existsSync(path.join(root, 'dir')), root);
    }
    const [keptOurs, keptTheirs] = [scene(), scene()];
    assert.notEqual(cairn(keptOurs, 'checkout').status, 0);
    assert.notEqual(dvc(keptTheirs, 'checkout').status, 0);
    for (const root of [keptOurs, keptTheirs]) assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'v2\n', root);
  });

  describe('(b) a repository made by cairn is what dvc makes', () => {
    it('cairn init && cairn add write byte-identical .dvc/config, .dvc/.gitignore, .dvcignore, .dvc files, .gitignore and .dir objects', () => {
      const mine = tempGitRepo();
      const theirs = tempGitRepo();
      writeFiles(mine, DATA);
      writeFiles(theirs, DATA);
      // Executable files: `isexec: true` in a file's .dvc entry, nothing in a .dir manifest.
      for (const root of [mine, theirs]) {
        writeFiles(root, { 'data/run.sh': '#!/bin/sh\n', 'tool.sh': 'echo hi\n' });
        fs.chmodSync(path.join(root, 'data/run.sh'), 0o755);
        fs.chmodSync(path.join(root, 'tool.sh'), 0o755);
      }

      cairnOk(mine, 'init', '-q');
      dvcOk(theirs, 'init', '-q');
      assert.deepEqual(porcelain(mine), porcelain(theirs), 'init stages the same files');

      cairnOk(mine, 'add', '-q', 'data', 'model.pkl', 'tool.sh');
      dvcOk(theirs, 'add', '-q', 'data', 'model.pkl', 'tool.sh');
      assert.match(read(theirs, 'tool.sh.dvc').toString(), /isexec: true/, 'fixture check');

      for (const f of ['.dvc/config', '.dvc/.gitignore', '.dvcignore', 'data.dvc', 'model.pkl.dvc', 'tool.sh.dvc', '.gitignore']) {
        assert.ok(exists(theirs, f), `dvc wrote ${f} (fixture check)`);
        assert.ok(exists(mine, f), `cairn should write ${f}`);
        assert.equal(read(mine, f).toString('utf8'), read(theirs, f).toString('utf8'), `${f} differs from dvc's`);
        assert.deepEqual(read(mine, f), read(theirs, f), `${f} bytes differ from dvc's`);
      }

      const dirObjects = (root: string) => cacheFiles(root).filter((f) => f.endsWith('.dir'));
      assert.equal(dirObjects(theirs).length, 1, 'dvc wrote one .dir object (fixture check)');
      assert.deepEqual(dirObjects(mine), dirObjects(theirs), 'the same .dir objects');
      for (const f of dirObjects(theirs)) {
        const p = `.dvc/cache/${f}`;
        assert.equal(read(mine, p).toString('latin1'), read(theirs, p).toString('latin1'), `${p} differs from dvc's`);
      }
      assert.deepEqual(cacheFiles(mine), cacheFiles(theirs), 'the same cache objects');
      assert.deepEqual(corruptCacheObjects(path.join(mine, '.dvc', 'cache')), []);
      assert.deepEqual(porcelain(mine), porcelain(theirs), 'the same git status after add');
    });

    it('dvc status is clean on a cairn-made repository, and dvc checkout restores files deleted from it', () => {
      const root = cairnRepoWithData();
      assertDvcClean(root);
      rm(root, 'data/a.txt');
      rm(root, 'data/é.txt');
      rm(root, 'data/sub');
      rm(root, 'model.pkl');
      dvcOk(root, 'checkout');
      assertOriginalData(root);
      assertDvcClean(root);
      assertCairnClean(root);
    });

    it('cairn diff --json equals dvc diff --json for uncommitted workspace changes, incl. renames inside data/', () => {
      const root = cairnRepoWithData();
      assert.deepEqual(cairnJson(root, 'diff'), dvcJson(root, 'diff'), 'clean repo');

      editWorkspace(root);
      fs.renameSync(path.join(root, 'data/sub/deeper/c.csv'), path.join(root, 'data/sub/deeper/renamed.csv'));
      fs.renameSync(path.join(root, 'data/😀.txt'), path.join(root, 'data/sub/😀 moved.txt'));

      const expected = dvcJson(root, 'diff');
      assert.equal((expected as any).renamed?.length, 2, `dvc sees two renames (fixture check): ${JSON.stringify(expected)}`);
      assert.deepEqual(cairnJson(root, 'diff'), expected);
      assert.deepEqual(cairnJson(root, 'diff', '--show-hash'), dvcJson(root, 'diff', '--show-hash'));
    });

    it('cairn diff --json equals dvc diff --json between two git commits (HEAD~1 HEAD, and back)', () => {
      const root = cairnRepoWithData();
      editWorkspace(root);
      fs.renameSync(path.join(root, 'data/sub/deeper/c.csv'), path.join(root, 'data/sub/deeper/renamed.csv'));
      fs.renameSync(path.join(root, 'data/😀.txt'), path.join(root, 'data/sub/😀 moved.txt'));
      cairnOk(root, 'commit', '-f', '-q');
      commitAll(root, 'change data');

      for (const revs of [['HEAD~1', 'HEAD'], ['HEAD', 'HEAD~1']]) {
        const expected = dvcJson(root, 'diff', ...revs);
        assert.ok(Object.keys(expected as object).length > 0, 'dvc sees changes (fixture check)');
        assert.deepEqual(cairnJson(root, 'diff', ...revs), expected, `diff ${revs.join(' ')}`);
        assert.deepEqual(cairnJson(root, 'diff', ...revs, '--show-hash'), dvcJson(root, 'diff', ...revs, '--show-hash'), `diff ${revs.join(' ')} --show-hash`);
      }
      assert.deepEqual(cairnJson(root, 'diff'), dvcJson(root, 'diff'), 'HEAD vs the committed workspace');
    });
  });

  describe('(c) cairn commit', () => {
    it('cairn commit -f writes the .dvc files and .dir object dvc commit -f writes for the same change; dvc status is clean after', () => {
      const mine = dvcRepoWithData();
      const theirs = dvcRepoWithData();
      editWorkspace(mine);
      editWorkspace(theirs);
      const inodes = (root: string) => Object.keys(DATA).filter((p) => exists(root, p)).map((p) => fs.statSync(path.join(root, p)).ino);
      const inodesBefore = inodes(mine);

      cairnOk(mine, 'commit', '-f', '-q');
      dvcOk(theirs, 'commit', '-f', '-q');

      for (const f of ['data.dvc', 'model.pkl.dvc']) {
        assert.equal(read(mine, f).toString('utf8'), read(theirs, f).toString('utf8'), `${f} differs from what dvc commit -f writes`);
      }
      assert.deepEqual(cacheFiles(mine), cacheFiles(theirs), 'the same cache objects (old ones kept)');
      for (const f of cacheFiles(theirs).filter((x) => x.endsWith('.dir'))) {
        assert.deepEqual(read(mine, `.dvc/cache/${f}`), read(theirs, `.dvc/cache/${f}`), `${f} differs`);
      }
      assert.deepEqual(inodes(mine), inodesBefore, 'with the copy cache type, commit leaves workspace files in place (as dvc)');
      assertDvcClean(mine);
      assertCairnClean(mine);
      assert.deepEqual(porcelain(mine), porcelain(theirs));
    });

    it('cairn commit -f keeps comments and extra keys of a .dvc file as dvc commit -f does', () => {
      const mine = dvcRepoWithData();
      const theirs = dvcRepoWithData();
      for (const root of [mine, theirs]) {
        // A comment before everything, one on a hash line commit rewrites, one on a key it keeps.
        const text = read(root, 'model.pkl.dvc').toString('utf8').replace(/^( {2}size: \d+)$/m, '$1  # bytes');
        fs.writeFileSync(path.join(root, 'model.pkl.dvc'), `# trained weights\n${text}  desc: the model  # keep me\n`);
        fs.appendFileSync(path.join(root, 'model.pkl'), 'more\n');
      }
      cairnOk(mine, 'commit', '-f', '-q');
      dvcOk(theirs, 'commit', '-f', '-q');
      assertDvcClean(mine);
      assert.equal(read(mine, 'model.pkl.dvc').toString('utf8'), read(theirs, 'model.pkl.dvc').toString('utf8'));
    });
  });

  describe('(d) cairn remove', () => {
    it('cairn remove model.pkl.dvc leaves the .gitignore dvc remove leaves; removing the last entry deletes the .gitignore', () => {
      const mine = dvcRepoWithData();
      const theirs = dvcRepoWithData();

      cairnOk(mine, 'remove', '-q', 'model.pkl.dvc');
      dvcOk(theirs, 'remove', '-q', 'model.pkl.dvc');
      assert.ok(!exists(mine, 'model.pkl.dvc'), 'the .dvc file goes');
      assert.deepEqual(read(mine, 'model.pkl'), Buffer.from(DATA['model.pkl']), 'the data stays');
      assert.equal(read(mine, '.gitignore').toString('utf8'), read(theirs, '.gitignore').toString('utf8'));
      assert.deepEqual(porcelain(mine), porcelain(theirs));

      cairnOk(mine, 'remove', '-q', 'data.dvc');
      dvcOk(theirs, 'remove', '-q', 'data.dvc');
      assert.ok(!exists(theirs, '.gitignore'), 'dvc deletes the emptied .gitignore (fixture check)');
      assert.ok(!exists(mine, '.gitignore'), 'cairn should delete the emptied .gitignore');
      assert.deepEqual(snapshot(mine), snapshot(theirs), 'the same work tree and cache');
      assert.deepEqual(porcelain(mine), porcelain(theirs));
    });

    it('cairn remove keeps the user lines of .gitignore (incl. a last line without newline) like dvc remove', () => {
      const mine = dvcRepoWithData();
      const theirs = dvcRepoWithData();
      for (const root of [mine, theirs]) {
        fs.writeFileSync(path.join(root, '.gitignore'), '# user comment\n*.log\n/data\n/model.pkl\nfoo');
      }
      for (const target of ['data.dvc', 'model.pkl.dvc']) {
        cairnOk(mine, 'remove', '-q', target);
        dvcOk(theirs, 'remove', '-q', target);
        assert.equal(read(mine, '.gitignore').toString('utf8'), read(theirs, '.gitignore').toString('utf8'), `after removing ${target}`);
      }
    });
  });

  describe('(e) DVC 2 entries (no hash: key, md5-dos2unix)', () => {
    const CRLF = 'line one\r\nline two\r\n';
    const LEGACY_MD5 = md5(CRLF.replace(/\r\n/g, '\n')); // md5-dos2unix: text files hash with CRLF -> LF
    const legacyDvcFile = `outs:\n- md5: ${LEGACY_MD5}\n  size: ${Buffer.byteLength(CRLF)}\n  path: legacy.txt\n`;

    /**
     * A DVC repo holding legacy.txt as DVC 2 left it: a .dvc file without `hash:`, and the
     * object, the file's own bytes, at the legacy location `.dvc/cache/<2>/<30>`.
     */
    function legacyRepo(): string {
      return fromTemplate('legacy', (root) => {
        dvcOk(root, 'init', '-q');
        writeFiles(root, {
          'legacy.txt': CRLF,
          'legacy.txt.dvc': legacyDvcFile,
          '.gitignore': '/legacy.txt\n',
          [`.dvc/cache/${LEGACY_MD5.slice(0, 2)}/${LEGACY_MD5.slice(2)}`]: CRLF,
        });
        // Left writable (not 0444): dvc then re-hashes the object (as md5-dos2unix) and deletes it
        // when it does not match its name, so a clean dvc status proves the fixture right.
        commitAll(root, 'dvc 2 era data');
      });
    }
    const legacyObject = (root: string) => path.join(root, '.dvc', 'cache', LEGACY_MD5.slice(0, 2), LEGACY_MD5.slice(2));

    it('the hand-made DVC 2 fixture is clean for dvc, and cairn status is clean too', () => {
      const root = legacyRepo();
      assertDvcClean(root);
      assert.ok(fs.existsSync(legacyObject(root)), 'dvc kept the legacy object (it matched its name)');
      assertCairnClean(root, true);
    });

    it('cairn checkout restores a deleted DVC 2 file from the legacy cache location, byte for byte (CRLF kept)', () => {
      const root = legacyRepo();
      assertDvcClean(root);
      rm(root, 'legacy.txt');
      assert.deepEqual(cairnJson(root, 'status'), dvcJson(root, 'status'));
      const r = cairn(root, 'checkout');
      assert.equal(r.status, 0, `cairn checkout failed: ${r.stderr}`);
      assert.deepEqual(read(root, 'legacy.txt'), Buffer.from(CRLF));
      assert.equal(read(root, 'legacy.txt.dvc').toString('utf8'), legacyDvcFile, 'checkout does not rewrite the .dvc file');
      assertDvcClean(root);
      assertCairnClean(root);
    });

    it('cairn add of an unchanged DVC 2 output leaves its .dvc file and the cache as dvc add does', () => {
      const mine = legacyRepo();
      const theirs = legacyRepo();
      cairnOk(mine, 'add', '-q', 'legacy.txt');
      dvcOk(theirs, 'add', '-q', 'legacy.txt');
      assert.equal(read(theirs, 'legacy.txt.dvc').toString('utf8'), legacyDvcFile, 'dvc keeps an unchanged DVC 2 entry (fixture check)');
      assert.equal(read(mine, 'legacy.txt.dvc').toString('utf8'), legacyDvcFile);
      assert.deepEqual(cacheFiles(mine), cacheFiles(theirs));
      assertCairnClean(mine);
    });

    it('cairn commit -f leaves an unchanged DVC 2 entry alone, and rewrites a changed one as DVC 3 (hash: md5) exactly as dvc commit -f does', () => {
      const mine = legacyRepo();
      const theirs = legacyRepo();
      assertDvcClean(theirs);

      cairnOk(mine, 'commit', '-f', '-q');
      dvcOk(theirs, 'commit', '-f', '-q');
      assert.equal(read(theirs, 'legacy.txt.dvc').toString('utf8'), legacyDvcFile, 'dvc keeps an unchanged DVC 2 entry (fixture check)');
      assert.equal(read(mine, 'legacy.txt.dvc').toString('utf8'), legacyDvcFile, 'cairn should keep an unchanged DVC 2 entry');

      const edited = CRLF + 'line three\r\n';
      for (const root of [mine, theirs]) fs.writeFileSync(path.join(root, 'legacy.txt'), edited);
      cairnOk(mine, 'commit', '-f', '-q');
      dvcOk(theirs, 'commit', '-f', '-q');
      const theirsText = read(theirs, 'legacy.txt.dvc').toString('utf8');
      assert.ok(theirsText.includes('hash: md5') && theirsText.includes(md5(edited)), `dvc wrote a DVC 3 entry (fixture check): ${theirsText}`);
      assert.ok(fs.existsSync(objectPath(mine, md5(edited))), 'the new object lands under files/md5');
      assert.deepEqual(fs.readFileSync(objectPath(mine, md5(edited))), Buffer.from(edited), 'the object holds the raw bytes');
      assert.deepEqual(cacheFiles(mine), cacheFiles(theirs));
      assertDvcClean(mine);
      assertCairnClean(mine);
      assert.equal(read(mine, 'legacy.txt.dvc').toString('utf8'), theirsText, 'the DVC 3 entry differs from what dvc commit -f writes');
    });
  });

  describe('(f) core.autostage', () => {
    it('with core.autostage true, cairn add stages the .dvc files and .gitignores like dvc add (git status --porcelain)', () => {
      const mine = tempGitRepo();
      const theirs = tempGitRepo();
      cairnOk(mine, 'init', '-q');
      dvcOk(theirs, 'init', '-q');
      for (const root of [mine, theirs]) {
        git(root, 'commit', '-q', '-m', 'init');
        writeConfig(root, '[core]\n    autostage = true\n');
        writeFiles(root, DATA);
      }

      cairnOk(mine, 'add', '-q', 'data', 'model.pkl');
      dvcOk(theirs, 'add', '-q', 'data', 'model.pkl');
      assert.ok(porcelain(theirs).includes('A  data.dvc'), `dvc staged data.dvc (fixture check): ${porcelain(theirs)}`);
      assert.deepEqual(porcelain(mine), porcelain(theirs), 'first add: a new .gitignore');

      for (const root of [mine, theirs]) {
        commitAll(root, 'track data');
        writeFiles(root, { 'extra.bin': 'extra\n', 'deep/er/z.bin': 'zzz\n' });
      }
      cairnOk(mine, 'add', '-q', 'extra.bin', 'deep/er/z.bin');
      dvcOk(theirs, 'add', '-q', 'extra.bin', 'deep/er/z.bin');
      assert.deepEqual(porcelain(mine), porcelain(theirs), 'second add: an existing .gitignore and a new one in a subfolder');
      for (const f of ['.gitignore', 'deep/er/.gitignore', 'extra.bin.dvc', 'deep/er/z.bin.dvc']) {
        assert.deepEqual(read(mine, f), read(theirs, f), f);
      }
    });
  });

  describe('(g) cache.type hardlink and symlink', () => {
    const FILES = Object.keys(DATA);

    function assertLinkedToCache(root: string, type: 'hardlink' | 'symlink'): void {
      for (const rel of FILES) {
        const abs = path.join(root, rel);
        const object = objectPath(root, md5(DATA[rel]));
        assert.ok(fs.existsSync(object), `${rel}: object in the cache`);
        const lst = fs.lstatSync(abs);
        if (type === 'hardlink') {
          assert.ok(!lst.isSymbolicLink(), `${rel} should be a hardlink, not a symlink`);
          assert.equal(lst.ino, fs.statSync(object).ino, `${rel} should be a hardlink to ${object}`);
        } else {
          assert.ok(lst.isSymbolicLink(), `${rel} should be a symlink`);
          const target = fs.readlinkSync(abs);
          // dvc writes absolute links to the object.
          assert.ok(path.isAbsolute(target), `${rel} -> ${target} should be absolute, as dvc writes it`);
          assert.equal(fs.realpathSync(abs), fs.realpathSync(object), `${rel} should point at ${object}`);
        }
        assert.deepEqual(fs.readFileSync(abs), Buffer.from(DATA[rel]), `${rel} content`);
      }
    }

    for (const type of ['hardlink', 'symlink'] as const) {
      it(`cache.type ${type}: cairn add makes workspace files ${type}s to the cache objects (like dvc add), and dvc status is clean`, () => {
        const mine = tempGitRepo();
        const theirs = tempGitRepo();
        cairnOk(mine, 'init', '-q');
        dvcOk(theirs, 'init', '-q');
        for (const root of [mine, theirs]) {
          writeConfig(root, `[cache]\n    type = ${type}\n`);
          writeFiles(root, DATA);
        }
        dvcOk(theirs, 'add', '-q', 'data', 'model.pkl');
        assertLinkedToCache(theirs, type); // fixture check: this is what dvc does
        cairnOk(mine, 'add', '-q', 'data', 'model.pkl');
        assertLinkedToCache(mine, type);
        assertDvcClean(mine);
        assertCairnClean(mine);
      });

      it(`cache.type ${type}: cairn checkout --relink turns copies into ${type}s, cairn checkout restores deleted files as ${type}s, dvc status clean`, () => {
        const root = cairnRepoWithData(); // added with the default cache type: workspace files are copies
        writeConfig(root, `[cache]\n    type = ${type}\n`);
        const r = cairn(root, 'checkout', '--relink');
        assert.equal(r.status, 0, `cairn checkout --relink failed: ${r.stderr}`);
        assertLinkedToCache(root, type);
        assertDvcClean(root);
        assertCairnClean(root);

        rm(root, 'data/a.txt');
        rm(root, 'data/ｆ.txt');
        rm(root, 'model.pkl');
        const c = cairn(root, 'checkout');
        assert.equal(c.status, 0, `cairn checkout failed: ${c.stderr}`);
        assertLinkedToCache(root, type);
        assertDvcClean(root);
        assertCairnClean(root);
      });
    }
  });
});
