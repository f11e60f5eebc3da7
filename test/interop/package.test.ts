import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(__dirname, '..', '..', '..');

describe('the .vsix package', () => {
  it('ships only the bundles (the language server too), media, schemas, grammar, manifest, README and LICENSE: no sources, tests, maps or native addons', () => {
    const vsce = path.join(root, 'node_modules', '.bin', 'vsce');
    const r = spawnSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).sort();
    for (const bundle of ['extension', 'cli', 'cairn', 'awsSdk', 'lint', 'hashWorker', 'coreWorker', 'metricsView', 'dagView', 'server']) assert.ok(files.includes(`dist/${bundle}.js`), `dist/${bundle}.js missing from ${files.join(', ')}`);
    for (const f of ['schemas/dvc.yaml.schema.json', 'schemas/dvc.lock.schema.json', 'schemas/dvc-file.schema.json', 'syntaxes/dvc-interpolation.tmLanguage.json']) assert.ok(files.includes(f), `${f} is not in the package`);
    const unexpected = files.filter((f) => !/^(dist\/[\w]+\.js|media\/.+|schemas\/[\w.-]+\.schema\.json|syntaxes\/[\w.-]+\.tmLanguage\.json|package\.json|README\.md|LICENSE)$/.test(f));
    assert.deepEqual(unexpected, []);
    assert.deepEqual(files.filter((f) => f.endsWith('.node') || f.endsWith('.map') || f.endsWith('.ts')), []);
  });
});
