import type { Pipelines } from './stage';

/** A params file with the keys read from it (null: the whole file), repo-relative. */
export interface ParamsFileUse {
  repoPath: string;
  keys: string[] | null;
}

/** Metrics files: top-level `metrics:` then stages' `metrics:` outputs, repo-relative, each once. */
export function metricsFiles(p: Pipelines): string[] {
  const seen = new Set<string>();
  for (const f of p.files) for (const m of f.metrics) seen.add(m.repoPath);
  for (const s of p.stages) for (const o of s.outs) if (o.kind === 'metrics') seen.add(o.repoPath);
  return [...seen];
}

/** Files read by plots: top-level `plots:` (their `y:` files or ids) then stages' `plots:` outputs. */
export function plotsFiles(p: Pipelines): string[] {
  const seen = new Set<string>();
  for (const f of p.files) for (const pl of f.plots) for (const r of pl.repoPaths) seen.add(r);
  for (const s of p.stages) for (const o of s.outs) if (o.kind === 'plots') seen.add(o.repoPath);
  return [...seen];
}

/** Params files: top-level `params:` (whole files) and every stage's params, keys merged per file. */
export function paramsFiles(p: Pipelines): ParamsFileUse[] {
  const byPath = new Map<string, ParamsFileUse>();
  const use = (repoPath: string, keys: string[] | null) => {
    const known = byPath.get(repoPath);
    if (!known) byPath.set(repoPath, { repoPath, keys: keys ? [...keys] : null });
    else if (known.keys && keys) {
      for (const k of keys) if (!known.keys.includes(k)) known.keys.push(k);
    } else known.keys = null;
  };
  for (const f of p.files) for (const t of f.params) use(t.repoPath, null);
  for (const s of p.stages) for (const d of s.params) use(d.repoPath, d.keys);
  return [...byPath.values()];
}
