import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensureDvc } from './peers';

/**
 * dvc's own `apply_overrides` (dvc/utils/hydra.py, what `dvc exp run -S` calls on each params
 * file) run on many files at once in the dvc peer, without making experiments. Each case is a
 * file name (its extension picks the format), its text and the overrides; each result is the
 * file's values afterwards as dvc loads them, in a typed JSON shape (`{i}` int, `{f}` float
 * repr, `{s}` string, `{b}` bool, null, lists, `{d: [[key, value]...]}` dicts in order), or `{error}`.
 */
const SCRIPT = String.raw`
import json, os, sys, tempfile
from dvc.utils.hydra import apply_overrides
from dvc.utils.serialize import LOADERS

def enc(v):
    if v is None: return None
    if isinstance(v, bool): return {'b': v}
    if isinstance(v, int): return {'i': str(v)}
    if isinstance(v, float): return {'f': repr(v)}
    if isinstance(v, str): return {'s': v}
    if isinstance(v, (list, tuple)): return [enc(x) for x in v]
    if isinstance(v, dict): return {'d': [[str(k), enc(x)] for k, x in v.items()]}
    return {'other': type(v).__name__}

out = []
with tempfile.TemporaryDirectory() as d:
    for case in json.load(sys.stdin):
        p = os.path.join(d, case['file'])
        with open(p, 'w', encoding='utf-8') as f:
            f.write(case['text'])
        try:
            apply_overrides(p, case['overrides'])
            ext = os.path.splitext(p)[1].lower()
            out.append({'values': enc(LOADERS[ext](p))})
        except BaseException as e:
            msg = str(e.__cause__) if e.__cause__ is not None else str(e)
            out.append({'error': type(e).__name__ + ': ' + msg.replace('\n', ' ')})
json.dump(out, sys.stdout)
`;

export interface ApplyCase {
  file: string;
  text: string;
  overrides: string[];
}

export function dvcApplyOverrides(cases: ApplyCase[]): ({ values: unknown } | { error: string })[] {
  const python = path.join(path.dirname(ensureDvc()), 'python');
  const out = execFileSync(python, ['-c', SCRIPT], { input: JSON.stringify(cases), maxBuffer: 256 << 20 });
  return JSON.parse(out.toString()) as ({ values: unknown } | { error: string })[];
}
