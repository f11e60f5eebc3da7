import type { Layout } from './dagLayout';

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with these attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The drawing of a laid-out graph (the DAG and lineage pages): its edges as arrowed curves; the caller adds the nodes. */
export function graphCanvas(layout: Layout, label: string): SVGSVGElement {
  const canvas = svg('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'img', 'aria-label': label });
  const defs = svg('defs', {});
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }));
  defs.append(marker);
  canvas.append(defs);
  for (const e of layout.edges) {
    const [a, c1, c2, b] = e.path;
    canvas.append(svg('path', { d: `M ${a[0]} ${a[1]} C ${c1[0]} ${c1[1]}, ${c2[0]} ${c2[1]}, ${b[0]} ${b[1]}`, class: 'edge', 'marker-end': 'url(#arrow)' }));
  }
  return canvas;
}

/** What a graph page keeps of the VS Code API: its messages and its state (the payload last drawn). */
interface GraphPageApi<P> {
  postMessage(m: { type: 'ready' }): void;
  getState(): { payload: P } | undefined;
  setState(s: { payload: P }): void;
}

/**
 * A graph page's start (the DAG and lineage pages): each `show` payload drawn and kept in the
 * page's state, so a page reloaded while hidden draws at once, before the host sends it again.
 */
export function startGraphPage<P>(vscode: GraphPageApi<P>, render: (payload: P) => void): void {
  window.addEventListener('message', (event: MessageEvent<{ type: string; payload?: P }>) => {
    if (event.data.type === 'show' && event.data.payload) {
      vscode.setState({ payload: event.data.payload });
      render(event.data.payload);
    }
  });
  const saved = vscode.getState();
  if (saved) render(saved.payload);
  vscode.postMessage({ type: 'ready' });
}
