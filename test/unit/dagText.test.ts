import { strict as assert } from 'node:assert';
import { drawBoxes } from '../../src/core/pipeline/dagText';

/** Where each box's label is drawn: [row, first column of the box]. */
function boxes(text: string): Map<string, [number, number]> {
  const found = new Map<string, [number, number]>();
  text.split('\n').forEach((line, row) => {
    for (const m of line.matchAll(/\| (\S+) \|/g)) found.set(m[1], [row, m.index!]);
  });
  return found;
}

describe('dag as text (core/pipeline/dagText)', () => {
  it('draws each node once in a box, below every node it depends on', () => {
    const nodes = ['data.dvc', 'prepare', 'featurize', 'train', 'evaluate'];
    const edges: [string, string][] = [['data.dvc', 'prepare'], ['prepare', 'featurize'], ['featurize', 'train'], ['featurize', 'evaluate'], ['train', 'evaluate']];
    const text = drawBoxes(nodes, edges);
    const at = boxes(text);
    assert.deepEqual([...at.keys()].sort(), [...nodes].sort(), text);
    for (const [a, b] of edges) assert.ok(at.get(a)![0] < at.get(b)![0], `${a} above ${b}\n${text}`);
    assert.equal(at.get('train')![0] < at.get('evaluate')![0], true, 'the longer path sets the layer');
  });

  it('keeps lines out of boxes and boxes apart, and an edge across layers passes beside the boxes between', () => {
    const nodes = ['a', 'b', 'c', 'd'];
    const edges: [string, string][] = [['a', 'b'], ['b', 'c'], ['a', 'd'], ['c', 'd']];
    const text = drawBoxes(nodes, edges);
    const lines = text.split('\n');
    for (const [label, [row, col]] of boxes(text)) {
      const width = label.length + 4;
      for (const r of [row - 1, row, row + 1]) {
        const inside = lines[r].slice(col, col + width);
        assert.match(inside, r === row ? /^\| \S+ \|$/ : /^\+-+\+$/, `box of ${label} intact:\n${text}`);
        assert.ok(!/\S/.test(lines[r].slice(col + width, col + width + 1)), `a space right of ${label}:\n${text}`);
      }
    }
    assert.match(text, /\| b \| +\|$/m, 'the a -> d line runs beside b');
  });

  it('draws a chain of 3,000 stages without running out of stack', () => {
    const nodes = Array.from({ length: 3000 }, (_, i) => `s${i}`);
    const edges = nodes.slice(1).map((n, i): [string, string] => [nodes[i], n]);
    const text = drawBoxes(nodes, edges);
    assert.equal(boxes(text).size, 3000);
  });
});
