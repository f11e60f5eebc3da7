import type { Repo } from '../repo/repo';
import type { StageGraph, TrackedPath } from './graph';
import { selectStages } from './selectStages';
import type { Stage } from './stage';
import { drawBoxes } from './dagText';
import { walkOrder } from './walkOrder';

/**
 * The graph `dag` shows, as dvc builds it: a node per stage and per `.dvc` file, an edge from
 * each to what depends on its outputs. Nodes come in dvc's order (its walk of the repository:
 * a folder's files before its subfolders, stages in file order); edges as [dependency, dependent].
 */
export interface Dag {
  nodes: string[];
  edges: [string, string][];
}

/** How nodes are named: stage addresses and `.dvc` paths as the user's current folder sees them. */
export interface DagNames {
  stage(stage: Stage): string;
  dvcFile(repoPath: string): string;
}

export function buildDag(graph: StageGraph, dvcFiles: string[], names: DagNames): Dag {
  const byFile = new Map<string, Stage[]>();
  for (const s of graph.stages) {
    if (!byFile.has(s.file)) byFile.set(s.file, []);
    byFile.get(s.file)!.push(s);
  }
  for (const f of dvcFiles) if (!byFile.has(f)) byFile.set(f, []);
  const nodes: string[] = [];
  const stageNames = new Map<Stage, string>();
  for (const file of [...byFile.keys()].sort(walkOrder)) {
    const stages = byFile.get(file)!;
    if (stages.length === 0) nodes.push(names.dvcFile(file));
    for (const s of stages) {
      stageNames.set(s, names.stage(s));
      nodes.push(stageNames.get(s)!);
    }
  }
  const dependencies = new Map<string, string[]>();
  for (const s of graph.stages) {
    dependencies.set(stageNames.get(s)!, [...graph.trackedUpstream(s).map(names.dvcFile), ...graph.upstream(s).map((u) => stageNames.get(u)!)]);
  }
  // dvc lists edges by dependency, each with its dependents in node order.
  const position = new Map(nodes.map((n, i) => [n, i]));
  const edges: [string, string][] = [];
  for (const [dependent, deps] of dependencies) for (const d of deps) edges.push([d, dependent]);
  edges.sort((a, b) => position.get(a[0])! - position.get(b[0])! || position.get(a[1])! - position.get(b[1])!);
  return { nodes, edges };
}

/**
 * `dag --json`: every node after what it depends on (`.dvc` files first, then stages in the order
 * repro would run them), each with its dependencies in the order its deps list them.
 */
export function dagJson(graph: StageGraph, dvcFiles: string[], names: DagNames): { stages: { stage: string; deps: string[] }[] } {
  return {
    stages: [
      ...[...dvcFiles].sort(walkOrder).map((f) => ({ stage: names.dvcFile(f), deps: [] })),
      ...graph.order().map((s) => ({ stage: names.stage(s), deps: [...graph.trackedUpstream(s).map(names.dvcFile), ...graph.upstream(s).map(names.stage)] })),
    ],
  };
}

/** dvc's `dag <target>`: the target and everything it depends on; with `full`, its whole pipeline. */
export function dagAround(dag: Dag, target: string, full: boolean): Dag {
  const kept = new Set([target]);
  const queue = [target];
  for (let i = 0; i < queue.length; i++) {
    for (const [a, b] of dag.edges) {
      const next = b === queue[i] ? a : full && a === queue[i] ? b : undefined;
      if (next !== undefined && !kept.has(next)) {
        kept.add(next);
        queue.push(next);
      }
    }
  }
  return { nodes: dag.nodes.filter((n) => kept.has(n)), edges: dag.edges.filter(([a, b]) => kept.has(a) && kept.has(b)) };
}

/**
 * The node a `dag` target names, as dvc reads it: a stage (`name`, `path/dvc.yaml:name`), a
 * `.dvc` file, or an output of either (then its stage or `.dvc` file).
 */
export function dagTarget(repo: Repo, graph: StageGraph, tracked: TrackedPath[], target: string, names: DagNames & { cwd: string }): string {
  const rel = repo.rel(repo.resolveInside(target, names.cwd));
  if (target.endsWith('.dvc') && tracked.some((t) => t.file === rel)) return names.dvcFile(rel);
  const producer = graph.producerOf(rel);
  if (producer && (producer.outs.some((o) => o.repoPath === rel || rel.startsWith(`${o.repoPath}/`)))) return names.stage(producer);
  const trackedBy = tracked.find((t) => t.repoPath === rel || rel.startsWith(`${t.repoPath}/`));
  if (trackedBy) return names.dvcFile(trackedBy.file);
  const [stage] = selectStages(repo, graph.stages, [target], names.cwd);
  return names.stage(stage);
}

/** The parts of the graph not linked to each other (dvc's "pipelines"), each in node order. */
export function pipelinesOf(dag: Dag): Dag[] {
  const group = new Map(dag.nodes.map((n) => [n, n]));
  const find = (n: string): string => {
    while (group.get(n) !== n) n = group.get(n)!;
    return n;
  };
  for (const [a, b] of dag.edges) group.set(find(a), find(b));
  const parts = new Map<string, Dag>();
  for (const n of dag.nodes) {
    const root = find(n);
    if (!parts.has(root)) parts.set(root, { nodes: [], edges: [] });
    parts.get(root)!.nodes.push(n);
  }
  for (const e of dag.edges) parts.get(find(e[0]))!.edges.push(e);
  return [...parts.values()];
}

/**
 * The graph as text: Graphviz `dot` and Mermaid as dvc prints them, or boxes drawn one
 * pipeline after another, each stage below what it depends on.
 */
export function renderDag(dag: Dag, format: 'dot' | 'mermaid' | 'text'): string {
  if (format === 'dot') {
    const quoted = (n: string) => `"${n.replace(/"/g, '\\"')}"`;
    return ['strict digraph {', ...dag.nodes.map((n) => `${quoted(n)};`), ...dag.edges.map(([a, b]) => `${quoted(a)} -> ${quoted(b)};`), '}', ''].join('\n');
  }
  if (format === 'mermaid') {
    const lines = ['flowchart TD'];
    let count = 0;
    const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    for (const part of pipelinesOf(dag)) {
      const ids = new Map<string, string>();
      for (const n of [...part.nodes].sort(byCodePoint)) {
        ids.set(n, `node${++count}`);
        lines.push(`\t${ids.get(n)}["${n}"]`);
      }
      const edges = [...part.edges].sort((x, y) => byCodePoint(x[0], y[0]) || byCodePoint(x[1], y[1]));
      for (const [a, b] of edges) lines.push(`\t${ids.get(a)}-->${ids.get(b)}`);
    }
    return lines.join('\n');
  }
  return pipelinesOf(dag)
    .map((part) => drawBoxes(part.nodes, part.edges))
    .join('\n\n');
}
