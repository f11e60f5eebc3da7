import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensureDvc } from './peers';

/**
 * The real Hydra override parser (hydra-core, installed with the dvc peer; the one `dvc exp run -S`
 * uses), run over many overrides at once. Each result is the parsed override in a plain JSON shape
 * (`encodeOverride` in the tests gives Cairn's parse the same shape), or `{error}`.
 */
const SCRIPT = String.raw`
import json, sys
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import QuotedString, ChoiceSweep, RangeSweep, IntervalSweep, Glob

def key_text(k):
    if k is None: return 'null'
    if isinstance(k, bool): return 'true' if k else 'false'
    if isinstance(k, float): return repr(k)
    return str(k)

def element(v):
    if v is None: return None
    if isinstance(v, bool): return {'b': v}
    if isinstance(v, int): return {'i': str(v)}
    if isinstance(v, float): return {'f': repr(v)}
    if isinstance(v, str): return {'s': v}
    if isinstance(v, QuotedString): return {'q': v.text, 'c': "'" if v.quote.name == 'single' else '"'}
    if isinstance(v, list): return [element(x) for x in v]
    if isinstance(v, dict): return {'d': [[key_text(k), element(x)] for k, x in v.items()]}
    # A sweep inside a list or dict: Hydra parses it, OmegaConf then refuses it; Cairn refuses it at once.
    raise TypeError('a sweep inside a value: ' + type(v).__name__)

def number(v):
    if isinstance(v, bool): v = int(v)
    return {'f': repr(v)} if isinstance(v, float) else {'i': str(v)}

def value(v):
    if isinstance(v, ChoiceSweep): return {'choice': [element(x) for x in v.list], 'simple': v.simple_form}
    if isinstance(v, RangeSweep): return {'range': [number(v.start), number(v.stop), number(v.step)]}
    if isinstance(v, IntervalSweep): return {'interval': [repr(v.start), repr(v.end)]}
    if isinstance(v, Glob): return {'glob': [[element(x) for x in v.include], [element(x) for x in v.exclude]]}
    return element(v)

parser = OverridesParser.create()
out = []
for line in json.load(sys.stdin):
    try:
        o = parser.parse_override(line)
        r = {'type': o.type.name.lower(), 'key': o.key_or_group}
        if o.package is not None: r['package'] = o.package
        if o.value_type is not None: r['value'] = value(o._value)
        out.append(r)
    except TypeError as e:
        out.append({'error': 'TypeError: ' + str(e)})
    except Exception as e:
        out.append({'error': type(e).__name__ + ': ' + str(e).splitlines()[0]})
json.dump(out, sys.stdout)
`;

export function hydraParse(overrides: string[]): unknown[] {
  const python = path.join(path.dirname(ensureDvc()), 'python');
  const out = execFileSync(python, ['-c', SCRIPT], { input: JSON.stringify(overrides), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString()) as unknown[];
}
