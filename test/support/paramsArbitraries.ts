import fc from 'fast-check';
import { stringify as yamlStringify } from 'yaml';
import { stringify as tomlStringify } from 'smol-toml';

/**
 * Random params files and `-S` overrides on them, for the property tests of `-S` (Cairn alone,
 * and against dvc's own apply_overrides). Keys are few, so overrides often hit existing ones.
 * Texts embed `${...}` of scalars only: a dict printed into a text lists integer-like keys first
 * in Cairn (its values are JS objects) and in insertion order in dvc.
 */
const key = fc.constantFrom('a', 'b', 'c', 'lr', 'x-y');
const scalar = fc.oneof(fc.integer({ min: -99, max: 99 }), fc.constantFrom(0.5, -2.25, 1e-7), fc.boolean(), fc.constantFrom('s', 'two words', 'a: b', '#x', '1.5', '', '${lr}', 'x${lr.0}y', '\\${a}'));
const tree = fc.letrec<{ value: unknown; dict: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(scalar, { maxLength: 3 }), tie('dict')),
  dict: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
}));

/** `[file name, text]`: the same values written as YAML (block, flow, 4-space with comments), JSON (indented or not) or TOML. */
export const paramsFiles: fc.Arbitrary<[string, string]> = tree.dict.chain((data) =>
  fc.constantFrom<[string, string]>(
    ['params.yaml', yamlStringify(data)],
    ['params.yaml', yamlStringify(data, { collectionStyle: 'flow' })],
    ['params.yaml', `# head\n${yamlStringify(data, { indent: 4, indentSeq: false }).replace(/\n/g, ' # c\n').replace(/: # c/g, ':')}`],
    ['params.json', JSON.stringify(data, null, 4)],
    ['params.json', JSON.stringify(data)],
    ['params.toml', `# head\n${tomlStringify(data)}`],
  ),
);

const keyPath = fc.array(fc.oneof(key, fc.constantFrom('0', '1')), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const value = fc.constantFrom(
  '7', '1.0', 'x', '"q w"', '[1,2]', '{k: 1}', '{}', 'true', '2.5e-3', '${a}', 'null', '-0.0', '1_000', "'it''s'", '"a\\"b"',
  'pre${lr.1}post', '${lr.0}', '[a,{k: [1, null]}]', '{a: {b: 2}}', 'int(2.7)', 'str(3)', 'float(1)', 'two words', 'a\\,b', '01', '',
);

/** One override: `k=v`, `+k=v`, `++k=v`, `~k` or `~k=v`. */
export const override: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('', '+', '++', '~', '~'), keyPath, value, fc.boolean())
  .map(([prefix, p, v, bare]) => (prefix === '~' && bare ? `~${p}` : `${prefix}${p}=${v}`));
