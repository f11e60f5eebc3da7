import type { FromLineage, LineageNode, LineagePayload } from './messages';
import { layoutDag } from './dagLayout';
import { graphCanvas, startGraphPage, svg } from './dagSvg';

/** The lineage panel's page: data and stages from raw data down to the model (SVG), the commit's params and metrics beside. */

declare function acquireVsCodeApi(): { postMessage(m: FromLineage): void; getState(): { payload: LineagePayload } | undefined; setState(s: { payload: LineagePayload }): void };
const vscode = acquireVsCodeApi();

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A node's second line: its short hash and size (a stage: none). */
const facts = (n: LineageNode) => [n.hash ? `md5 ${n.hash}` : n.kind === 'stage' ? '' : 'no hash', n.size ?? ''].filter(Boolean).join(' · ');

/** Makes `node` act as a button that asks the extension to open `id`. */
function clickable(node: Element, id: string): void {
  const open = () => vscode.postMessage({ type: 'open', id });
  node.addEventListener('click', open);
  node.addEventListener('keydown', (ev) => {
    const key = (ev as KeyboardEvent).key;
    if (key === 'Enter' || key === ' ') open();
  });
}

function valuesTable(title: string, rows: { key: string; value: string }[]): HTMLElement {
  const section = element('section', 'values');
  section.append(element('h3', '', title));
  if (!rows.length) {
    section.append(element('p', 'empty', 'none at this commit'));
    return section;
  }
  const table = element('table', '');
  for (const r of rows) {
    const tr = element('tr', '');
    tr.append(element('td', 'key', r.key), element('td', 'value', r.value));
    table.append(tr);
  }
  section.append(table);
  return section;
}

function graph(p: LineagePayload): HTMLElement {
  // Laid out by the longer of a node's two lines, so both fit in its box.
  const layout = layoutDag(
    p.nodes.map((n) => ({ id: n.id, label: [n.label, facts(n)].reduce((a, b) => (b.length > a.length ? b : a)) })),
    p.edges,
  );
  const canvas = graphCanvas(layout, p.title);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const placed of layout.nodes) {
    const n = byId.get(placed.id)!;
    const group = svg('g', { class: `node ${n.kind}`, tabindex: 0, role: 'button', 'data-id': n.id });
    const title = svg('title', {});
    title.textContent = `${n.label}\n${n.detail}${n.hash ? `\nmd5 ${n.hash}` : ''}${n.size ? `\n${n.size}` : ''}\n(click to open ${n.kind === 'stage' ? 'its definition' : 'it'})`;
    group.append(title, svg('rect', { x: placed.x, y: placed.y, width: placed.width, height: placed.height, rx: n.kind === 'stage' ? 4 : 12 }));
    const second = facts(n);
    const label = svg('text', { x: placed.x + placed.width / 2, y: placed.y + (second ? 13 : placed.height / 2), 'dominant-baseline': 'central', 'text-anchor': 'middle', class: 'label' });
    label.textContent = n.label;
    group.append(label);
    if (second) {
      const line = svg('text', { x: placed.x + placed.width / 2, y: placed.y + 26, 'dominant-baseline': 'central', 'text-anchor': 'middle', class: 'facts' });
      line.textContent = second;
      group.append(line);
    }
    clickable(group, n.id);
    canvas.append(group);
  }
  const scroller = element('div', 'graph');
  scroller.append(canvas);
  return scroller;
}

function render(p: LineagePayload): void {
  const started = performance.now();
  const root = document.getElementById('root')!;
  root.replaceChildren();
  const heading = element('div', 'heading');
  heading.append(element('h2', '', p.title));
  const commit = element('a', 'commit', `${p.commit.short}`);
  commit.setAttribute('role', 'button');
  commit.setAttribute('tabindex', '0');
  commit.title = 'Show the commit';
  clickable(commit, 'commit');
  const about = element('span', 'about', ` ${p.commit.message}${p.commit.refs.length ? ` (${p.commit.refs.join(', ')})` : ''} · ${p.commit.date}`);
  const line = element('div', 'commit-line');
  line.append('commit ', commit, about);
  heading.append(line);
  root.append(heading);
  for (const note of p.notes) root.append(element('p', 'note', note));
  const body = element('div', 'body');
  const side = element('div', 'side');
  side.append(valuesTable('Params', p.params), valuesTable('Metrics', p.metrics));
  body.append(graph(p), side);
  root.append(body);
  requestAnimationFrame(() => vscode.postMessage({ type: 'rendered', ms: performance.now() - started, nodes: p.nodes.length }));
}

startGraphPage(vscode, render);
