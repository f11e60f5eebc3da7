import { strict as assert } from 'node:assert';
import { bumpSemVer, compareSemVer, parseSemVer } from '../../src/core/registry/semver';
import { assertArtifactName, parseTagName } from '../../src/core/registry/tagNames';
import { isoTime } from '../../src/core/registry/readTags';

const v = (text: string) => parseSemVer(text)!;

describe('registry: SemVer and tag names as GTO', () => {
  it('accepts SemVer 2.0 with a leading v only', () => {
    for (const good of ['v0.0.1', 'v1.2.3-rc.1', 'v1.0.0-alpha.beta+exp.sha.5114f85', 'v10.20.30', 'v1.0.0-0A.is.legal']) assert.ok(parseSemVer(good), good);
    for (const bad of ['1.0.0', 'V1.0.0', 'v1.0', 'v01.0.0', 'v1.0.0-01', 'v1.0.0+', 'v1.0.0-', 'v1.0.0 ', ' v1.0.0']) assert.equal(parseSemVer(bad), undefined, bad);
  });

  it("orders versions by SemVer precedence (semver.org's example chain; build ignored; big numbers exact)", () => {
    const chain = ['v1.0.0-alpha', 'v1.0.0-alpha.1', 'v1.0.0-alpha.beta', 'v1.0.0-beta', 'v1.0.0-beta.2', 'v1.0.0-beta.11', 'v1.0.0-rc.1', 'v1.0.0', 'v2.0.0', 'v99999999999999999999.0.0'];
    for (let i = 1; i < chain.length; i++) assert.ok(compareSemVer(v(chain[i - 1]), v(chain[i])) < 0, `${chain[i - 1]} < ${chain[i]}`);
    assert.equal(compareSemVer(v('v1.0.0+a'), v('v1.0.0+b')), 0);
    assert.equal(compareSemVer(v('v99999999999999999998.0.0'), v('v99999999999999999999.0.0')), -1);
  });

  it('bumps as gto: prerelease and build dropped, lower parts reset', () => {
    assert.equal(bumpSemVer(v('v1.2.3-rc.1+b'), 'patch'), 'v1.2.4');
    assert.equal(bumpSemVer(v('v1.2.3'), 'minor'), 'v1.3.0');
    assert.equal(bumpSemVer(v('v1.2.3'), 'major'), 'v2.0.0');
  });

  it("parses GTO's tag names and ignores the rest", () => {
    assert.deepEqual(parseTagName('model@v1.2.3'), { name: 'model', action: 'register', version: 'v1.2.3' });
    assert.deepEqual(parseTagName('model@v1.2.3!'), { name: 'model', action: 'deregister', version: 'v1.2.3' });
    assert.deepEqual(parseTagName('model#prod#12'), { name: 'model', action: 'assign', stage: 'prod', counter: 12 });
    assert.deepEqual(parseTagName('model#prod!#3'), { name: 'model', action: 'unassign', stage: 'prod', counter: 3 });
    assert.deepEqual(parseTagName('model#prod'), { name: 'model', action: 'assign', stage: 'prod' });
    assert.deepEqual(parseTagName('sub/dir=nested@deprecated'), { name: 'sub/dir:nested', action: 'deprecate' });
    for (const other of ['v1.0.0', 'model@1.0.0', 'model@v1.0', '-x@v1.0.0', 'model#', 'a..b@v1.0.0x', 'model@deprecated!', 'x#--upload-pack=y#1']) {
      assert.equal(parseTagName(other), undefined, other);
    }
  });

  it("refuses an artifact name gto refuses, with gto's words", () => {
    for (const good of ['m', 'my-model_2', 'a/b', 'sub/dir:name', 'sub.d/x_y:n']) assertArtifactName(good);
    for (const bad of ['-m', 'm-', 'a:b:c', 'a b', 'm@v1', 'sub/dir=name', '']) assert.throws(() => assertArtifactName(bad), /Invalid value .* Only letters, numbers/, bad);
  });

  it("writes times as Python's isoformat, in the writer's offset", () => {
    assert.equal(isoTime({ seconds: 1_700_000_000, offsetMinutes: 0 }), '2023-11-14T22:13:20+00:00');
    assert.equal(isoTime({ seconds: 1_700_000_000, offsetMinutes: -330 }), '2023-11-14T16:43:20-05:30');
  });
});
