import { strict as assert } from 'node:assert';
import { layoutDag } from '../../webview/dagLayout';

describe('pipeline DAG layout (webview/dagLayout)', () => {
  const node = (id: string) => ({ id, label: id });

  it('puts every stage below the stages it depends on, and edges run downwards', () => {
    const nodes = ['prepare', 'featurize', 'train', 'evaluate', 'report'].map(node);
    const edges = [
      { from: 'prepare', to: 'featurize' },
      { from: 'featurize', to: 'train' },
      { from: 'train', to: 'evaluate' },
      { from: 'featurize', to: 'evaluate' },
      { from: 'evaluate', to: 'report' },
    ];
    const layout = layoutDag(nodes, edges);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    assert.deepEqual(layout.nodes.map((n) => n.layer), [0, 1, 2, 3, 4], 'longest path: evaluate comes after train');
    for (const e of layout.edges) assert.ok(e.path[3][1] > e.path[0][1], `${e.from} → ${e.to} points down`);
    assert.ok(at.get('report')!.y + at.get('report')!.height <= layout.height);
  });

  it('orders siblings to avoid crossings and keeps boxes from overlapping', () => {
    const nodes = ['a', 'b', 'a1', 'b1', 'a2', 'b2'].map(node);
    const edges = [
      { from: 'a', to: 'a1' },
      { from: 'b', to: 'b1' },
      { from: 'a', to: 'a2' },
      { from: 'b', to: 'b2' },
    ];
    const layout = layoutDag(nodes, edges);
    const x = new Map(layout.nodes.map((n) => [n.id, n.x]));
    const secondRow = ['a1', 'b1', 'a2', 'b2'].sort((p, q) => x.get(p)! - x.get(q)!);
    assert.deepEqual(secondRow, ['a1', 'a2', 'b1', 'b2'], "each parent's children side by side under it");
    const row = layout.nodes.filter((n) => n.layer === 1).sort((p, q) => p.x - q.x);
    for (let i = 1; i < row.length; i++) assert.ok(row[i].x >= row[i - 1].x + row[i - 1].width, 'no overlap');
  });

  it('lays out a graph with a cycle (shown, not hung on) and ignores unknown and self edges', () => {
    const layout = layoutDag(['x', 'y'].map(node), [
      { from: 'x', to: 'y' },
      { from: 'y', to: 'x' },
      { from: 'x', to: 'x' },
      { from: 'x', to: 'nowhere' },
    ]);
    assert.equal(layout.nodes.length, 2);
    assert.equal(layout.edges.length, 2);
    assert.notEqual(layout.nodes[0].layer, layout.nodes[1].layer);
  });
});
