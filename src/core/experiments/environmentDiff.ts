import type { EnvironmentRecord, Gpu, StageRun } from './environment';

/** One difference between two experiments' environments (for `exp diff`). */
export interface EnvironmentChange {
  kind: 'interpreter' | 'lockfile' | 'virtualenv' | 'package' | 'os' | 'cpu' | 'gpu' | 'stage';
  /** What changed: `python`, `requirements.txt`, `numpy`, `release`, `train` (`train cmd`, `train exit_code`). */
  name: string;
  change: 'added' | 'removed' | 'changed' | 'upgraded' | 'downgraded';
  old: string | null;
  new: string | null;
}

/**
 * What differs from `a` to `b`: interpreter versions and paths, lockfile hashes, the
 * virtualenv and its packages (added, removed, upgraded, downgraded), OS, CPU, GPUs, and
 * each stage's command and exit code (durations always differ; they are not changes).
 * In that order, each kind sorted by name.
 */
export function diffEnvironments(a: EnvironmentRecord, b: EnvironmentRecord): EnvironmentChange[] {
  const changes: EnvironmentChange[] = [];
  const interpreter = (r: EnvironmentRecord) => new Map(r.interpreters.map((i) => [i.name, `${i.version ?? '?'} (${i.path})`]));
  changes.push(...compareMaps('interpreter', interpreter(a), interpreter(b)));
  changes.push(...compareMaps('lockfile', new Map(Object.entries(a.lockfiles)), new Map(Object.entries(b.lockfiles))));
  const venvA = a.virtualenv?.path ?? null;
  const venvB = b.virtualenv?.path ?? null;
  if (venvA !== venvB) changes.push({ kind: 'virtualenv', name: 'path', change: venvA === null ? 'added' : venvB === null ? 'removed' : 'changed', old: venvA, new: venvB });
  for (const change of compareMaps('package', new Map(Object.entries(a.virtualenv?.packages ?? {})), new Map(Object.entries(b.virtualenv?.packages ?? {})))) {
    if (change.change === 'changed') {
      const order = compareVersions(change.old!, change.new!);
      if (order !== 0) change.change = order < 0 ? 'upgraded' : 'downgraded';
    }
    changes.push(change);
  }
  changes.push(...compareMaps('os', new Map(Object.entries(a.os)), new Map(Object.entries(b.os))));
  const cpu = (r: EnvironmentRecord) => new Map([['model', r.cpu.model], ['count', String(r.cpu.count)]]);
  changes.push(...compareMaps('cpu', cpu(a), cpu(b)));
  const gpus = (r: EnvironmentRecord) => new Map(r.gpus.map((g, i): [string, string] => [String(i), gpuText(g)]));
  changes.push(...compareMaps('gpu', gpus(a), gpus(b)));
  changes.push(...compareMaps('stage', stageFields(a.stages), stageFields(b.stages)));
  return changes;
}

/** The changes as lines: `package numpy: upgraded 1.26.4 -> 2.0.1`; `No environment changes.` when there are none. */
export function renderEnvironmentDiff(changes: EnvironmentChange[]): string {
  if (!changes.length) return 'No environment changes.\n';
  const lines = changes.map((c) => {
    const value = (v: string | null) => (c.kind === 'lockfile' && v ? `sha256 ${v.slice(0, 12)}` : (v ?? ''));
    const what = `${c.kind} ${c.name}`;
    if (c.change === 'added') return `${what}: added ${value(c.new)}`;
    if (c.change === 'removed') return `${what}: removed (was ${value(c.old)})`;
    return `${what}: ${c.change} ${value(c.old)} -> ${value(c.new)}`;
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Order of two version texts by their leading release numbers (`1.26.4` < `2.0.1`, `1.9` <
 * `1.10`); 0 when those are equal (`1.0rc1` and `1.0` then count as changed, not ordered).
 */
export function compareVersions(a: string, b: string): number {
  const release = (v: string) => (/^v?(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? '').split('.').filter(Boolean).map(Number);
  const [ra, rb] = [release(a), release(b)];
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const d = (ra[i] ?? 0) - (rb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function gpuText(g: Gpu): string {
  return `${g.name}, driver ${g.driver_version}, ${g.memory_total}`;
}

/** `<stage> cmd` and `<stage> exit_code` of each stage (the last run of a stage that ran twice). */
function stageFields(stages: StageRun[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (const s of stages) {
    fields.set(`${s.name} cmd`, s.cmd.join(' && '));
    fields.set(`${s.name} exit_code`, s.exit_code === null ? 'killed' : String(s.exit_code));
  }
  return fields;
}

function compareMaps(kind: EnvironmentChange['kind'], a: Map<string, string>, b: Map<string, string>): EnvironmentChange[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const changes: EnvironmentChange[] = [];
  for (const name of names) {
    const [old, now] = [a.get(name) ?? null, b.get(name) ?? null];
    if (old === now) continue;
    changes.push({ kind, name, change: old === null ? 'added' : now === null ? 'removed' : 'changed', old, new: now });
  }
  return changes;
}
