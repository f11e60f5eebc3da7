import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Override, OverrideElement, OverrideValue, parseOverride, QuotedString } from '../../src/core/experiments/overrideGrammar';
import { PyFloat, pyFloatRepr } from '../../src/core/pipeline/values';
import { hydraParse } from '../support/hydraParser';

/**
 * Cairn's parser of DVC's `-S` overrides against the real Hydra parser (hydra-core from the dvc
 * peer, the code `dvc exp run -S` calls): the same overrides must give the same type, key, value
 * types and values, or both fail.
 */

/** Random overrides per property (FUZZ_RUNS raises it for a longer search). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** Cairn's parse in the shape `hydraParse` prints. */
function encode(text: string): unknown {
  let o: Override;
  try {
    o = parseOverride(text);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const r: Record<string, unknown> = { type: { change: 'change', add: 'add', forceAdd: 'force_add', delete: 'del' }[o.type], key: o.key };
  if (o.package !== undefined) r.package = o.package;
  if (o.value !== undefined) r.value = encodeValue(o.value);
  return r;
}

function encodeValue(v: OverrideValue): unknown {
  switch (v.kind) {
    case 'element':
      return encodeElement(v.element);
    case 'choice':
      return { choice: v.choices.map(encodeElement), simple: v.simpleForm };
    case 'range':
      return { range: [v.start, v.stop, v.step].map((n) => encodeElement(n)) };
    case 'interval':
      return { interval: [pyFloatRepr(v.start), pyFloatRepr(v.end)] };
    case 'glob':
      return { glob: [v.include.map(encodeElement), v.exclude.map(encodeElement)] };
  }
}

function encodeElement(e: OverrideElement): unknown {
  if (e === null) return null;
  if (typeof e === 'boolean') return { b: e };
  if (e instanceof PyFloat) return { f: pyFloatRepr(e.value) };
  if (typeof e === 'number') return Number.isInteger(e) ? { i: String(e) } : { f: pyFloatRepr(e) };
  if (typeof e === 'string') return { s: e };
  if (e instanceof QuotedString) return { q: e.text, c: e.quote };
  if (Array.isArray(e)) return e.map(encodeElement);
  return { d: [...e].map(([k, v]) => [k, encodeElement(v)]) };
}

/** Results equal, errors compared only as "an error". */
function sameResult(ours: unknown, theirs: unknown): boolean {
  const isError = (x: unknown) => typeof x === 'object' && x !== null && 'error' in x;
  if (isError(ours) || isError(theirs)) return isError(ours) && isError(theirs);
  return JSON.stringify(ours) === JSON.stringify(theirs);
}

function compare(inputs: string[]): void {
  const theirs = hydraParse(inputs);
  const differences = inputs
    .map((input, i) => ({ input, ours: encode(input), theirs: theirs[i] }))
    .filter((d) => !sameResult(d.ours, d.theirs));
  if (process.env.SHOW_DIFFS) for (const d of differences) console.log(JSON.stringify(d.input), JSON.stringify(d.ours), JSON.stringify(d.theirs));
  assert.deepEqual(differences, []);
}

const CASES = [
  // keys and override types
  'a=1', 'train.lr=0.1', '+a=1', '++a=1', '~a', '~a=1', '~a=', 'a=', 'a= 1', 'a=  x  ', 'layers.0=5', 'a.0.b=1', '$a=1', 'a.$b-c=1',
  'a-b_c=1', 'a/b=1', 'a/b/c=1', 'a@b=1', 'a@b.c=1', '=1', '~', '+=1', 'a b=1', 'a.=1', '.a=1', '0=1', '01.a=1', 'a.01=1', 'a..b=1', 'a:b=1',
  'a=1=2', '+++a=1', '~~a', 'a', '+a', '~a==1', 'a.1_0=1',
  // numbers
  'a=0', 'a=-5', 'a=+5', 'a=1_000', 'a=01', 'a=1__0', 'a=1.5', 'a=1.', 'a=.5', 'a=-.5', 'a=1e3', 'a=1E-3', 'a=1.5e+2', 'a=1_0.5_5', 'a=1e3_0',
  'a=inf', 'a=-INF', 'a=nan', 'a=NaN', 'a=+nan', 'a=infinity', 'a=1.2.3', 'a=1e', 'a=e1', 'a=0x10', 'a=1.0', 'a=-0', 'a=-0.0', 'a=1e400',
  // other primitives
  'a=true', 'a=TRUE', 'a=False', 'a=trueish', 'a=null', 'a=NULL', 'a=nullx', 'a=abc', 'a=abc def', 'a=a b  c', 'a=-', 'a=/x/y', 'a=a.b',
  'a=$x', 'a=${x}', 'a=${x.y}', 'a=pre${x}post', 'a=${oc.env:HOME}', 'a=${}', 'a=$', 'a=%?*@|', 'a=:', 'a=a:b', 'a=a : b', 'a=http://x.com/y',
  'a=\\,', 'a=a\\,b', 'a=\\\\', 'a=\\(\\)\\[\\]\\{\\}', 'a=\\=', 'a=\\ ', 'a=x\\', 'a=\\x', 'a=é', 'a=a\tb', 'a=#x',
  // quoted
  "a='x'", 'a="x"', "a=''", 'a=""', "a='a b'", "a='a\\'b'", "a='a\\\\'", "a='\\\\'", "a='a\\\\\\'b'", "a='''", "a=''''", "a='a'b'", "a='x' ",
  "a= 'x'", "a='x'y", "a='a,b'", 'a="a\'b"', "a='\\n'", "a='", 'a="', "a='${x}'", "a='\\\\\\\\'",
  // containers
  'a=[]', 'a=[1,2]', 'a=[ 1 , 2 ]', 'a=[a,[b,c]]', 'a=[1,]', 'a=[,1]', 'a=[', 'a=]', 'a={}', 'a={a:1}', 'a={a: 1, b: [2, 3]}', 'a={a b: 1}',
  "a={'a': 1}", 'a={1: a}', 'a={1.5: a}', 'a={true: a}', 'a={null: a}', 'a={a:1,a:2}', 'a={a:{b:{c:1}}}', 'a={a}', 'a={:1}', 'a={a::1}',
  'a={${x}: 1}', 'a=[x]y', 'a=x[y]', 'a={a:1}}',
  // sweeps and functions
  'a=1,2,3', 'a=1, 2 ,3', 'a=x,', 'a=,x', 'a=[1,2],[3]', 'a=choice(1,2)', 'a=choice(1)', 'a=choice()', 'a=choice(choice(1,2))',
  'a=range(3)', 'a=range(1,5)', 'a=range(1,5,2)', 'a=range(0,1,0.25)', 'a=range(start=1,stop=3)', 'a=range(1,stop=3)', 'a=range(stop=3,1)',
  'a=range(a)', 'a=interval(0,1)', 'a=glob(*)', 'a=glob([a*,b*],exclude=c*)', 'a=int(3.7)', 'a=int(-3.7)', 'a=int("5")', "a=int('x')",
  'a=float(1)', 'a=float("1e3")', 'a=str(5)', 'a=str(1.0)', 'a=str(true)', 'a=bool(true)', 'a=bool("yes")', 'a=bool(0)', 'a=bool(2)',
  'a=int([1.5,2.5])', 'a=str({a:1})', 'a=int(1,2)', 'a=int(value=2)', 'a=float(range(1,3))', 'a=str(range(1,3))', 'a=int(choice(1.5,2.5))',
  'a=foo(1)', 'a=int (1)', 'a=int( 1 )', 'a=choice(1,2),3', 'a=[choice(1,2)]', 'a=int()', 'a=range(1,2,3,4)', 'a=choice(a=1)',
];

describe('-S override grammar, compared with the real Hydra parser', () => {
  it('parses a table of overrides exactly as Hydra does (or fails where it fails)', () => {
    compare(CASES);
  });

  it('parses random overrides built from the grammar\'s pieces exactly as Hydra does', () => {
    const piece = fc.constantFrom(
      'a', 'b.c', '0', '1', '-2', '1.5', '.5', '1e3', 'inf', 'nan', 'true', 'null', 'x_y', '$', '${a}', ' ', '  ', ',', ', ', '[', ']', '{', '}',
      ':', ': ', '(', ')', '=', '"', "'", '\\', '\\,', '\\\\', '/', '-', '+', '~', '@', '.', '_', 'é', 'choice', 'range', 'int', 'str', '\t', '#',
    );
    const text = fc.array(piece, { minLength: 0, maxLength: 12 }).map((parts) => parts.join(''));
    const override = fc.tuple(fc.constantFrom('', '+', '++', '~'), fc.constantFrom('a', 'a.b', 'a.0', 'x-y'), fc.constantFrom('=', '= ', ''), text).map((t) => t.join(''));
    const inputs = [...fc.sample(override, { numRuns: RUNS, seed: 15 }), ...fc.sample(fc.string({ maxLength: 16 }), { numRuns: 1000, seed: 16 })];
    compare(inputs);
  });

  it('parses random well-formed values (nested lists, dicts, quotes, escapes, function calls) exactly as Hydra does', () => {
    const space = fc.constantFrom('', '', '', ' ', '  ', '\t');
    const word = fc.constantFrom('a', 'x_y', 'b-c', '0', '7', '-3', '+4', '1_000', '01', '2.5', '.5', '1.', '1e-3', '-inf', 'NaN', 'True', 'null',
      '${a.b}', 'a b', '/p/q', '%', '?', '*', '@', '|', '\\,', '\\ ', '\\\\', "'q'", '"q q"', "'a\\'b'", "''", 'é');
    const tree = fc.letrec((tie) => ({
      element: fc.oneof({ depthSize: 'small', withCrossShrink: true }, word, tie('list'), tie('dict'), tie('call')),
      list: fc.tuple(space, fc.array(tie('element'), { maxLength: 3 }), space).map(([s1, items, s2]) => `[${s1}${(items as string[]).join(`${s1},${s2}`)}${s2}]`),
      dict: fc.array(fc.tuple(fc.constantFrom('a', 'b c', '1', 'true', 'null', '2.5', 'k-1'), space, tie('element')), { maxLength: 3 })
        .map((pairs) => `{${(pairs as [string, string, string][]).map(([k, s, v]) => `${k}${s}:${s}${v}`).join(', ')}}`),
      call: fc.tuple(fc.constantFrom('int', 'float', 'str', 'bool', 'choice', 'range', 'interval', 'glob', 'nope'), fc.array(tie('element'), { maxLength: 3 }), space)
        .map(([name, args, s]) => `${name}(${s}${(args as string[]).join(`,${s}`)}${s})`),
    }));
    const value = fc.oneof(tree.element, fc.array(tree.element, { minLength: 2, maxLength: 3 }).map((xs) => xs.join(',')));
    const override = fc.tuple(fc.constantFrom('a=', '+a.b=', '++a.0=', '~a=', 'x-y= '), value).map(([k, v]) => k + v);
    const inputs = fc.sample(override, { numRuns: RUNS, seed: 17 });
    assert.ok(inputs.filter((i) => !('error' in (encode(i) as object))).length > RUNS / 3, "a third of the generated overrides parse");
    compare(inputs);
  });
});
