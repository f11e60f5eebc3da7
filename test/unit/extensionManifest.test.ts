import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, CATEGORY } from '../../src/extension/commandIds';
import { ManifestTree } from '../../src/extension/manifestTree';
import { isModel } from '../../src/extension/modelPatterns';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('extension manifest (package.json)', () => {
  it('contributes exactly the commands of the command table, with its titles', () => {
    const contributed = pkg.contributes.commands.map((c: any) => [c.command, c.title, c.category]);
    const table = Object.values(COMMANDS).map((c) => [c.id, c.title, CATEGORY]);
    assert.deepEqual(contributed, table);
  });

  it('names only known commands in menus and welcome views', () => {
    const ids = new Set(Object.values(COMMANDS).map((c) => c.id));
    for (const [menu, entries] of Object.entries<any[]>(pkg.contributes.menus)) {
      for (const e of entries) assert.ok(ids.has(e.command), `${menu} names unknown command ${e.command}`);
    }
    for (const w of pkg.contributes.viewsWelcome) {
      for (const [, id] of w.contents.matchAll(/\(command:(cairn\.[\w.]+)/g)) assert.ok(ids.has(id), `welcome names unknown ${id}`);
    }
  });

  it('activates lazily on DVC files, and ships the files it refers to', () => {
    assert.deepEqual(pkg.activationEvents, ['workspaceContains:.dvc', 'workspaceContains:**/*.dvc', 'workspaceContains:dvc.yaml', 'workspaceContains:**/dvc.yaml']);
    assert.equal(pkg.main, './dist/extension.js');
    const referenced = [
      ...pkg.contributes.viewsContainers.activitybar.map((c: any) => c.icon),
      ...pkg.contributes.walkthroughs.flatMap((w: any) => w.steps.map((s: any) => s.media.markdown)),
      ...pkg.contributes.grammars.map((g: any) => g.path),
      ...pkg.contributes.yamlValidation.map((v: any) => v.url),
    ];
    for (const f of referenced) assert.ok(fs.existsSync(path.join(root, f)), `${f} is missing`);
  });
});

describe('manifest tree (lazy directory expansion)', () => {
  it('groups a flat manifest into folders, sorted as DVC sorts, in one pass', () => {
    const tree = new ManifestTree([
      { md5: 'a', relpath: 'b.txt' },
      { md5: 'b', relpath: 'sub/deep/x.csv' },
      { md5: 'c', relpath: 'sub/a.txt' },
      { md5: 'd', relpath: 'a.txt' },
      { md5: 'e', relpath: 'sub/deep/y.csv' },
    ]);
    assert.deepEqual(tree.get(''), { folders: ['sub'], files: [{ name: 'a.txt', md5: 'd' }, { name: 'b.txt', md5: 'a' }], fileCount: 5 });
    assert.deepEqual(tree.get('sub'), { folders: ['deep'], files: [{ name: 'a.txt', md5: 'c' }], fileCount: 3 });
    assert.equal(tree.get('sub/deep')!.fileCount, 2, 'files at any depth, for the folder row\'s description');
    assert.deepEqual(tree.get('sub/deep')!.files.map((f) => f.name), ['x.csv', 'y.csv']);
    assert.equal(tree.get('nope'), undefined);
  });

  it('holds a 100k-file directory folder by folder', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ md5: String(i), relpath: `shard-${i % 100}/item-${i}.bin` }));
    const tree = new ManifestTree(entries);
    assert.equal(tree.get('')!.folders.length, 100);
    assert.equal(tree.get('shard-7')!.files.length, 1000);
    assert.equal(tree.get('shard-7')!.files[0].name, 'item-10007.bin', 'string order, not numeric');
  });
});

describe('Data & Models: which outputs are models (cairn.modelPatterns, its default list)', () => {
  const defaults = pkg.contributes.configuration.properties['cairn.modelPatterns'].default as string[];
  it('puts model files and model* outputs, stage outputs among them, under Models, and data under Datasets', () => {
    const models = ['model.pkl', 'models/classifier.pkl', 'out/net.pt', 'weights.pth', 'export/model.onnx', 'clf.joblib', 'keras/x.h5', 'hf/y.safetensors', 'model', 'model.bin', 'artifacts/model_v2', 'dvclive/artifacts/model'];
    const datasets = ['data', 'prepared', 'data/features', 'eval/metrics.json', 'dvclive/plots', 'remodel.csv'];
    assert.deepEqual(models.filter((p) => !isModel({ path: p }, defaults)), []);
    assert.deepEqual(datasets.filter((p) => isModel({ path: p }, defaults)), []);
  });

  it("follows an output's type: model whatever its path, any other type a dataset", () => {
    assert.equal(isModel({ path: 'data/x', type: 'model' }, defaults), true);
    assert.equal(isModel({ path: 'model.pkl', type: 'dataset' }, defaults), false);
  });
});
