import type { DagPayload, FromDag, StageState } from './messages';
import { layoutDag } from './dagLayout';
import { graphCanvas, startGraphPage, svg } from './dagSvg';

/** The pipeline DAG panel's page: stages as boxes coloured by state, dependencies as arrows (SVG). */

declare function acquireVsCodeApi(): { postMessage(m: FromDag): void; getState(): { payload: DagPayload } | undefined; setState(s: { payload: DagPayload }): void };
const vscode = acquireVsCodeApi();

const STATE_CLASS: Record<StageState, string> = { 'up to date': 'ok', changed: 'changed', frozen: 'frozen', 'not run': 'not-run' };

function render(p: DagPayload): void {
  const started = performance.now();
  const root = document.getElementById('root')!;
  root.replaceChildren();
  const heading = document.createElement('div');
  heading.className = 'heading';
  const h2 = document.createElement('h2');
  h2.textContent = p.title;
  heading.append(h2);
  const legend = document.createElement('span');
  legend.className = 'legend';
  for (const [state, cls] of Object.entries(STATE_CLASS)) {
    const item = document.createElement('span');
    item.className = `legend-item ${cls}`;
    item.textContent = state;
    legend.append(item);
  }
  heading.append(legend);
  root.append(heading);
  if (p.nodes.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'No stages: add one to dvc.yaml, or with `cairn stage add`.';
    root.append(empty);
    vscode.postMessage({ type: 'rendered', ms: performance.now() - started, nodes: 0 });
    return;
  }
  const layout = layoutDag(p.nodes, p.edges);
  const canvas = graphCanvas(layout, p.title);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of layout.nodes) {
    const info = byId.get(n.id)!;
    const group = svg('g', { class: `stage ${STATE_CLASS[info.state]}`, tabindex: 0, role: 'button', 'data-id': n.id });
    const title = svg('title', {});
    title.textContent = `${n.id}\n${info.state}${info.detail ? `: ${info.detail}` : ''}\n(click to open in dvc.yaml)`;
    group.append(title, svg('rect', { x: n.x, y: n.y, width: n.width, height: n.height, rx: 4 }));
    const text = svg('text', { x: n.x + n.width / 2, y: n.y + n.height / 2, 'dominant-baseline': 'central', 'text-anchor': 'middle' });
    text.textContent = n.label;
    group.append(text);
    const open = () => vscode.postMessage({ type: 'openStage', id: n.id });
    group.addEventListener('click', open);
    group.addEventListener('keydown', (ev) => (ev.key === 'Enter' || ev.key === ' ') && open());
    canvas.append(group);
  }
  const scroller = document.createElement('div');
  scroller.className = 'dag-scroll';
  scroller.append(canvas);
  root.append(scroller);
  requestAnimationFrame(() => vscode.postMessage({ type: 'rendered', ms: performance.now() - started, nodes: layout.nodes.length }));
}

startGraphPage(vscode, render);
