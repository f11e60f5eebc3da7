/**
 * A pipeline drawn in text: a box per node, each below the nodes it depends on, lines between.
 * Layers by longest path from the sources; an edge crossing layers passes through a point
 * in each (drawn `|`), so no line runs through a box; within a layer, nodes ordered by the
 * mean place of their neighbours (a few sweeps down and up), which keeps crossings few; then
 * each node is moved under (or over) its neighbours as far as the boxes beside it allow.
 */

const GAP = 3; // columns between boxes of a layer
const MAX_ROWS_BETWEEN = 6;

interface Item {
  label?: string; // undefined: a point an edge passes through
  layer: number;
  width: number;
  left: number;
  up: Item[];
  down: Item[];
}

const centre = (i: Item) => i.left + Math.floor((i.width - 1) / 2);

/** Where line `index` of `count` leaves or meets an item: spread evenly along a box's edge, else its centre. */
const port = (i: Item, index: number, count: number) => (count === 1 ? centre(i) : i.left + Math.round(((index + 1) * (i.width - 1)) / (count + 1)));

/** One pipeline (a connected graph without cycles) as lines of text; `edges` are [dependency, dependent]. */
export function drawBoxes(nodes: string[], edges: [string, string][]): string {
  const items = new Map<string, Item>(nodes.map((n) => [n, { label: n, layer: 0, width: n.length + 4, left: 0, up: [], down: [] }]));
  // Longest path from the sources, in an order where every node follows its dependencies (no recursion: a chain can be long).
  const waiting = new Map<string, number>(nodes.map((n) => [n, 0]));
  const dependents = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const [a, b] of edges) {
    waiting.set(b, waiting.get(b)! + 1);
    dependents.get(a)!.push(b);
  }
  const ready = nodes.filter((n) => waiting.get(n) === 0);
  for (let i = 0; i < ready.length; i++) {
    const item = items.get(ready[i])!;
    for (const d of dependents.get(ready[i])!) {
      const dependent = items.get(d)!;
      dependent.layer = Math.max(dependent.layer, item.layer + 1);
      waiting.set(d, waiting.get(d)! - 1);
      if (waiting.get(d) === 0) ready.push(d);
    }
  }

  const layers: Item[][] = [];
  for (const n of nodes) (layers[items.get(n)!.layer] ??= []).push(items.get(n)!);
  for (const [a, b] of edges) {
    let from = items.get(a)!;
    const to = items.get(b)!;
    for (let l = from.layer + 1; l < to.layer; l++) {
      const point: Item = { layer: l, width: 1, left: 0, up: [from], down: [] };
      from.down.push(point);
      layers[l].push(point);
      from = point;
    }
    from.down.push(to);
    to.up.push(from);
  }
  orderLayers(layers);
  placeLayers(layers);
  return paint(layers);
}

function orderLayers(layers: Item[][]): void {
  const index = new Map<Item, number>();
  const renumber = (row: Item[]) => row.forEach((item, i) => index.set(item, i));
  layers.forEach(renumber);
  const mean = (items: Item[], fallback: number) => (items.length ? items.reduce((sum, i) => sum + index.get(i)!, 0) / items.length : fallback);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    for (const row of down ? layers.slice(1) : layers.slice(0, -1).reverse()) {
      const key = new Map(row.map((item) => [item, mean(down ? item.up : item.down, index.get(item)!)]));
      row.sort((a, b) => key.get(a)! - key.get(b)! || index.get(a)! - index.get(b)!);
      renumber(row);
    }
  }
}

function placeLayers(layers: Item[][]): void {
  const pack = (row: Item[], wanted: (i: Item) => number) => {
    let next = -Infinity;
    for (const item of row) {
      item.left = Math.max(wanted(item), next);
      next = item.left + item.width + GAP;
    }
  };
  pack(layers[0], () => 0);
  const under = (neighbours: Item[]) => (item: Item) =>
    neighbours.length ? Math.round(neighbours.reduce((sum, n) => sum + centre(n), 0) / neighbours.length - (item.width - 1) / 2) : item.left;
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    for (const row of down ? layers.slice(1) : layers.slice(0, -1).reverse()) pack(row, (item) => under(down ? item.up : item.down)(item));
  }
  // Last, down again: each node under its dependencies as far as its neighbours allow.
  for (const row of layers.slice(1)) pack(row, (item) => under(item.up)(item));
  const shift = Math.min(...layers.flat().map((i) => i.left));
  for (const item of layers.flat()) item.left -= shift;
}

function paint(layers: Item[][]): string {
  const rows: string[][] = [];
  const put = (y: number, x: number, ch: string) => {
    while (rows.length <= y) rows.push([]);
    const row = rows[y];
    while (row.length <= x) row.push(' ');
    row[x] = row[x] === ' ' || row[x] === ch ? ch : '+';
  };
  let top = 0;
  layers.forEach((row, l) => {
    for (const item of row) {
      if (item.label === undefined) {
        for (let y = 0; y < 3; y++) put(top + y, item.left, '|');
        continue;
      }
      const border = `+${'-'.repeat(item.width - 2)}+`;
      [...border].forEach((c, i) => put(top, item.left + i, c));
      [...`| ${item.label} |`].forEach((c, i) => put(top + 1, item.left + i, c));
      [...border].forEach((c, i) => put(top + 2, item.left + i, c));
    }
    const next = layers[l + 1];
    if (!next) return;
    // A box with several lines leaving (or arriving) spreads them along its edge, in the order of their other ends.
    const byCentre = (a: Item, b: Item) => centre(a) - centre(b);
    const lines = row.flatMap((from) => {
      const down = [...from.down].sort(byCentre);
      return down.map((to, i) => {
        const up = [...to.up].sort(byCentre);
        return [port(from, i, down.length), port(to, up.indexOf(from), up.length)] as const;
      });
    });
    const widest = Math.max(0, ...lines.map(([a, b]) => Math.abs(a - b)));
    const height = Math.min(MAX_ROWS_BETWEEN, Math.max(2, Math.ceil(widest / 2)));
    for (const [from, to] of lines) drawLine(put, top + 3, height, from, to);
    top += 3 + height;
  });
  return rows.map((r) => r.join('').trimEnd()).join('\n');
}

/** A line over `height` rows from column `from` to column `to`: `|`, or `\` and `/` joined by `_` where it runs flat. */
function drawLine(put: (y: number, x: number, ch: string) => void, top: number, height: number, from: number, to: number): void {
  const at = (r: number) => Math.round(from + ((to - from) * r) / (height - 1));
  for (let r = 0; r < height; r++) {
    const x = at(r);
    // The step to the next row (the last row: from the one before) picks the character.
    const step = r === height - 1 ? x - at(r - 1) : at(r + 1) - x;
    put(top + r, x, step === 0 ? '|' : step > 0 ? '\\' : '/');
    if (r === height - 1) continue;
    const next = at(r + 1);
    for (let c = Math.min(x, next) + 1; c < Math.max(x, next); c++) put(top + r, c, '_');
  }
}
