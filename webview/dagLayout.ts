/** A layered layout for a pipeline's stage graph (no DOM: unit-tested). Top to bottom, dependencies first. */

export interface DagNode {
  id: string;
  label: string;
}
export interface DagEdge {
  from: string;
  to: string;
}

export interface PlacedNode extends DagNode {
  x: number;
  y: number;
  width: number;
  height: number;
  layer: number;
}

export interface Layout {
  nodes: PlacedNode[];
  /** Each edge as the points of a cubic Bézier: start, two controls, end. */
  edges: { from: string; to: string; path: [number, number][] }[];
  width: number;
  height: number;
}

const NODE_HEIGHT = 36;
const LAYER_GAP = 56;
const NODE_GAP = 24;
const CHAR_WIDTH = 7.2;
const PADDING = 16;

/**
 * Layers by longest path from the sources; within a layer, nodes ordered by the mean position of
 * their neighbours in the layer above, then below (a few sweeps), which keeps crossings few.
 * A graph with a cycle still lays out: edges closing a cycle are ignored for layering.
 */
export function layoutDag(nodes: DagNode[], edges: DagEdge[]): Layout {
  const ids = new Set(nodes.map((n) => n.id));
  const valid = edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to);
  const preds = new Map(nodes.map((n) => [n.id, [] as string[]]));
  const succs = new Map(nodes.map((n) => [n.id, [] as string[]]));
  for (const e of valid) {
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }

  // Longest-path layering over a DFS that stops at nodes on the current path (cycles).
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    if (layer.has(id)) return layer.get(id)!;
    visiting.add(id);
    let d = 0;
    for (const p of preds.get(id)!) if (!visiting.has(p)) d = Math.max(d, depth(p) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  nodes.forEach((n) => depth(n.id));

  const layers: string[][] = [];
  for (const n of nodes) (layers[layer.get(n.id)!] ??= []).push(n.id);
  const order = new Map<string, number>();
  const renumber = (row: string[]) => row.forEach((id, i) => order.set(id, i));
  layers.forEach(renumber);
  const barycenter = (id: string, neighbours: Map<string, string[]>, fallback: number) => {
    const ns = neighbours.get(id)!;
    return ns.length ? ns.reduce((a, n) => a + order.get(n)!, 0) / ns.length : fallback;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const row of seq) {
      const key = new Map(row.map((id) => [id, barycenter(id, down ? preds : succs, order.get(id)!)]));
      row.sort((a, b) => key.get(a)! - key.get(b)! || order.get(a)! - order.get(b)!);
      renumber(row);
    }
  }

  const byId = new Map(nodes.map((n) => [n.id, n]));
  const widthOf = (id: string) => Math.max(80, Math.ceil(byId.get(id)!.label.length * CHAR_WIDTH) + 24);
  const rowWidth = (row: string[]) => row.reduce((a, id) => a + widthOf(id), 0) + NODE_GAP * (row.length - 1);
  const width = Math.max(0, ...layers.map(rowWidth)) + 2 * PADDING;
  const placed = new Map<string, PlacedNode>();
  layers.forEach((row, l) => {
    let x = (width - rowWidth(row)) / 2;
    for (const id of row) {
      const w = widthOf(id);
      placed.set(id, { ...byId.get(id)!, x, y: PADDING + l * (NODE_HEIGHT + LAYER_GAP), width: w, height: NODE_HEIGHT, layer: l });
      x += w + NODE_GAP;
    }
  });
  const height = layers.length ? PADDING * 2 + layers.length * NODE_HEIGHT + (layers.length - 1) * LAYER_GAP : 0;

  const layoutEdges = valid.map((e) => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    const start: [number, number] = [a.x + a.width / 2, a.y + a.height];
    const end: [number, number] = [b.x + b.width / 2, b.y];
    // An edge going up (it closes a cycle) leaves from the top and bends out sideways.
    const bend = end[1] > start[1] ? (end[1] - start[1]) / 2 : -LAYER_GAP;
    return { from: e.from, to: e.to, path: [start, [start[0], start[1] + bend], [end[0], end[1] - bend], end] as [number, number][] };
  });
  return { nodes: nodes.map((n) => placed.get(n.id)!), edges: layoutEdges, width, height };
}
