import type { StageGraph } from './graph';

/** The stage graph as text: `--dot` (Graphviz), `--mermaid`, or one `stage -> dependency` line per edge. */
export function renderDag(graph: StageGraph, format: 'dot' | 'mermaid' | 'text'): string {
  const stages = graph.order();
  const id = new Map(stages.map((s, i) => [s, `stage${i}`]));
  const edges = stages.flatMap((s) => graph.upstream(s).map((u) => [u, s] as const));
  if (format === 'dot') {
    return ['strict digraph {', ...stages.map((s) => `"${s.addr}";`), ...edges.map(([a, b]) => `"${a.addr}" -> "${b.addr}";`), '}'].join('\n');
  }
  if (format === 'mermaid') {
    const label = (s: string) => s.replace(/"/g, '#quot;');
    return ['flowchart TD', ...stages.map((s) => `\t${id.get(s)}["${label(s.addr)}"]`), ...edges.map(([a, b]) => `\t${id.get(a)}-->${id.get(b)}`)].join('\n');
  }
  return stages.map((s) => {
    const ups = graph.upstream(s);
    return ups.length ? `${s.addr} <- ${ups.map((u) => u.addr).join(', ')}` : s.addr;
  }).join('\n');
}
