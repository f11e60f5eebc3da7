import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import type { ExperimentColumn, ExperimentState, ExperimentsPayload, FromExperiments, ToExperiments } from './messages';
import { CREATED_COLUMN, EXPERIMENT_COLUMN, SortKey, ShownRow, cellText, columnWidth, createdText, headerDepth, headerRow, nextSort, shownRows } from './experimentsTable';

/**
 * The experiments table's page: rows and columns virtualised (@tanstack/virtual-core), so only
 * the cells in view exist in the DOM; the Experiment and Created columns stay on the left and the
 * nested headers on top while scrolling. The data comes from the extension (`show`); sort keys
 * and collapsed commits are the page's state, kept across hide/show.
 */

interface State {
  sort: SortKey[];
  collapsed: string[];
}
declare function acquireVsCodeApi(): { postMessage(m: FromExperiments): void; getState(): State | undefined; setState(s: State): void };
const vscode = acquireVsCodeApi();
const post = (m: FromExperiments) => vscode.postMessage(m);

const ROW_HEIGHT = 24;
const HEADER_ROW_HEIGHT = 22;
const EXPERIMENT_WIDTH = 260;
const CREATED_WIDTH = 130;
const FIXED_WIDTH = EXPERIMENT_WIDTH + CREATED_WIDTH;
/** Column widths fit the texts of this many rows from the top (not all: 2,000 × 500 texts would cost a frame or two). */
const WIDTH_SAMPLE_ROWS = 200;
const STATE_TITLE: Record<ExperimentState, string> = { queued: 'Queued', running: 'Running', failed: 'Failed', success: 'Succeeded' };

const saved = vscode.getState();
let sort: SortKey[] = saved?.sort ?? [];
const collapsed = new Set<string>(saved?.collapsed ?? []);
let payload: ExperimentsPayload | undefined;
let rows: ShownRow[] = [];
let widths: number[] = [];
/** Where each column starts (after the fixed ones); the last entry is the table's width. */
let offsets: number[] = [];
let depth = 1;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const root = document.getElementById('root')!;
const title = el('div', 'table-title');
const scroller = el('div', 'scroller');
const canvas = el('div', 'canvas');
const header = el('div', 'header');
const body = el('div', 'body');
canvas.append(header, body);
scroller.append(canvas);
root.append(title, scroller);

const common = { getScrollElement: () => scroller, scrollToFn: elementScroll, observeElementRect, observeElementOffset, onChange: () => scheduleDraw() };
const rowVirtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({ ...common, count: 0, estimateSize: () => ROW_HEIGHT, overscan: 6 });
const columnVirtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({ ...common, horizontal: true, count: 0, estimateSize: (i) => widths[i] ?? 80, paddingStart: FIXED_WIDTH, overscan: 2 });
rowVirtualizer._didMount();
columnVirtualizer._didMount();

function saveState(): void {
  vscode.setState({ sort, collapsed: [...collapsed] });
}

/** Recompute what shows (after new data, a sort or a collapse) and draw. */
function reshape(): void {
  if (!payload) return;
  rows = shownRows(payload.rows, payload.columns, sort, collapsed);
  // Fewer rows when there are very many columns: the sample stays within ~100,000 texts.
  const sample = payload.rows.slice(0, Math.max(1, Math.min(WIDTH_SAMPLE_ROWS, Math.floor(100_000 / Math.max(1, payload.columns.length)))));
  widths = payload.columns.map((column, i) => columnWidth(column, sample.map((r) => cellText(r.values[i], column.kind))));
  offsets = [FIXED_WIDTH];
  for (const width of widths) offsets.push(offsets[offsets.length - 1] + width);
  depth = headerDepth(payload.columns);
  const headerHeight = depth * HEADER_ROW_HEIGHT;
  rowVirtualizer.setOptions({ ...rowVirtualizer.options, count: rows.length, paddingStart: headerHeight });
  columnVirtualizer.setOptions({ ...columnVirtualizer.options, count: payload.columns.length });
  rowVirtualizer.measure();
  columnVirtualizer.measure();
  rowVirtualizer._willUpdate();
  columnVirtualizer._willUpdate();
  clearDrawn();
  draw();
}

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

/** A drawn row: its element and its data cells by column index. */
interface DrawnRow {
  line: HTMLElement;
  cells: Map<number, HTMLElement>;
}
let drawn = new Map<number, DrawnRow>();
let drawnColumns = '';
/** The longest a draw took since the last report (what scrolling costs this page, apart from the browser's painting). */
let worstDrawMs = 0;

/** Forget every drawn row (new data, another sort or a collapse changes what each position holds). */
function clearDrawn(): void {
  drawn = new Map();
  drawnColumns = '';
  body.replaceChildren();
}

/**
 * Draw what is in view: rows that came into view are made, rows gone are removed, and in the
 * rows kept only the columns that came into view are made (scrolling touches a few cells a frame).
 */
function draw(): void {
  if (!payload) return;
  const started = performance.now();
  const p = payload;
  const headerHeight = depth * HEADER_ROW_HEIGHT;
  canvas.style.width = `${columnVirtualizer.getTotalSize()}px`;
  canvas.style.height = `${rowVirtualizer.getTotalSize()}px`;
  header.style.height = `${headerHeight}px`;
  const columnItems = columnVirtualizer.getVirtualItems();
  const first = columnItems.length ? columnItems[0].index : 0;
  const last = columnItems.length ? columnItems[columnItems.length - 1].index : -1;
  const leadingGap = columnItems.length ? columnItems[0].start - FIXED_WIDTH : 0;
  const columnsKey = `${first}:${last}`;
  if (columnsKey !== drawnColumns) drawHeader(p, columnItems.map((c) => c.index), leadingGap);

  const inView = new Set<number>();
  for (const item of rowVirtualizer.getVirtualItems()) {
    const shown = rows[item.index];
    if (!shown) continue;
    inView.add(item.index);
    let row = drawn.get(item.index);
    if (!row) {
      row = makeRow(shown, item.index, item.start);
      drawn.set(item.index, row);
      body.append(row.line);
    }
    if (columnsKey !== drawnColumns || row.cells.size === 0) updateCells(row, shown, first, last);
  }
  for (const [index, row] of drawn) {
    if (inView.has(index)) continue;
    row.line.remove();
    drawn.delete(index);
  }
  drawnColumns = columnsKey;
  worstDrawMs = Math.max(worstDrawMs, performance.now() - started);
}

function drawHeader(p: ExperimentsPayload, visible: number[], leadingGap: number): void {
  const headerRows: HTMLElement[] = [];
  for (let level = 0; level < depth; level++) {
    const line = el('div', 'line');
    line.style.height = `${HEADER_ROW_HEIGHT}px`;
    const fixed = el('div', 'fixed');
    if (level === depth - 1) fixed.append(sortableHeader('Experiment', EXPERIMENT_COLUMN, EXPERIMENT_WIDTH), sortableHeader('Created', CREATED_COLUMN, CREATED_WIDTH));
    else fixed.append(spacer(FIXED_WIDTH));
    line.append(fixed, spacer(leadingGap));
    for (const cell of headerRow(p.columns, visible, level, depth)) {
      let width = 0;
      for (let i = cell.first; i <= cell.last; i++) width += widths[i];
      if (cell.column) line.append(sortableHeader(cell.label, cell.column, width, p.columns[cell.first]));
      else {
        const group = el('div', cell.label ? 'th group' : 'th blank');
        group.style.width = `${width}px`;
        group.title = cell.label;
        // Sticky: a group's name stays in view while its first columns are under the fixed ones.
        if (cell.label) {
          const label = el('span', 'group-label', cell.label);
          label.style.left = `${FIXED_WIDTH + 6}px`;
          group.append(label);
        }
        line.append(group);
      }
    }
    headerRows.push(line);
  }
  header.replaceChildren(...headerRows);
}

function makeRow(shown: ShownRow, index: number, top: number): DrawnRow {
  const line = el('div', `line row ${shown.row.kind}${index % 2 ? ' odd' : ''}${shown.row.remoteOnly ? ' remote-only' : ''}`);
  line.style.transform = `translateY(${top}px)`;
  line.style.height = `${ROW_HEIGHT}px`;
  line.style.width = `${offsets[offsets.length - 1]}px`;
  line.dataset.id = shown.row.id;
  // The row's `webview/context` menu (the row contract in messages.ts).
  line.dataset.vscodeContext = JSON.stringify({ webviewSection: 'experimentRow', rowId: shown.row.id, preventDefaultContextMenuItems: true });
  const fixed = el('div', 'fixed');
  fixed.append(experimentCell(shown), createdCell(shown));
  line.append(fixed);
  return { line, cells: new Map() };
}

/**
 * Make the row's cells of columns `first..last` that it lacks, and drop the others. Cells are
 * placed at their column's offset, so adding one moves no other (no relayout of the row).
 */
function updateCells(row: DrawnRow, shown: ShownRow, first: number, last: number): void {
  for (const [index, cell] of row.cells) {
    if (index < first || index > last) {
      cell.remove();
      row.cells.delete(index);
    }
  }
  const columns = payload!.columns;
  for (let index = first; index <= last; index++) {
    if (row.cells.has(index)) continue;
    const column = columns[index];
    const value = shown.row.values[index];
    const kind = typeof value === 'number' ? ' number' : value === null || value === undefined ? ' missing' : '';
    const cell = el('div', `td cell ${column.kind}${kind}`, cellText(value, column.kind));
    cell.style.left = `${offsets[index]}px`;
    cell.style.width = `${widths[index]}px`;
    row.cells.set(index, cell);
    row.line.append(cell);
  }
}

function spacer(width: number): HTMLElement {
  const gap = el('div', 'gap');
  gap.style.width = `${Math.max(0, width)}px`;
  return gap;
}

function sortableHeader(label: string, column: string, width: number, info?: ExperimentColumn): HTMLElement {
  const cell = el('div', `th leaf${info ? ` ${info.kind}` : ''}`);
  cell.style.width = `${width}px`;
  cell.dataset.column = column;
  cell.title = info ? `${info.file}${info.path.length ? `: ${info.path.join('.')}` : ''} — click to sort, shift-click to add a sort key` : `${label} — click to sort, shift-click to add a sort key`;
  const at = sort.findIndex((k) => k.column === column);
  cell.append(el('span', 'label', label));
  if (at >= 0) cell.append(el('span', 'sort', `${sort[at].descending ? '↓' : '↑'}${sort.length > 1 ? at + 1 : ''}`));
  cell.addEventListener('click', (event) => {
    sort = nextSort(sort, column, event.shiftKey);
    saveState();
    reshape();
  });
  return cell;
}

function experimentCell(shown: ShownRow): HTMLElement {
  const { row } = shown;
  const cell = el('div', 'td experiment');
  cell.style.width = `${EXPERIMENT_WIDTH}px`;
  cell.style.paddingLeft = `${6 + shown.depth * 18}px`;
  if (shown.children > 0) {
    const toggle = el('button', 'toggle', shown.collapsed ? '▸' : '▾');
    toggle.title = shown.collapsed ? `Show its ${shown.children} experiments` : 'Hide its experiments';
    toggle.addEventListener('click', () => {
      if (collapsed.has(row.id)) collapsed.delete(row.id);
      else collapsed.add(row.id);
      saveState();
      reshape();
    });
    cell.append(toggle);
  } else cell.append(el('span', 'toggle-space'));
  if (row.state) cell.append(stateIcon(row.state));
  cell.append(el('span', 'name', row.label));
  if (row.rev && row.rev !== row.label) cell.append(el('span', 'rev', row.rev));
  if (row.error) {
    cell.append(el('span', 'error-mark', '!'));
    cell.title = row.error;
  } else cell.title = row.state ? `${row.label} — ${STATE_TITLE[row.state]}` : row.label;
  return cell;
}

function createdCell(shown: ShownRow): HTMLElement {
  const cell = el('div', 'td created', createdText(shown.row.created));
  cell.style.width = `${CREATED_WIDTH}px`;
  return cell;
}

const SVG = 'http://www.w3.org/2000/svg';
/** Inline SVG (the CSP allows no font or image from elsewhere), coloured by the theme in CSS. */
const ICON_PATHS: Record<ExperimentState, string> = {
  success: 'M3 8.5 6.5 12 13 4.5',
  failed: 'M4 4 12 12 M12 4 4 12',
  queued: 'M8 4 V8 L11 10',
  running: 'M8 2 A6 6 0 1 1 2 8',
};
function stateIcon(state: ExperimentState): SVGElement {
  const icon = document.createElementNS(SVG, 'svg');
  icon.setAttribute('viewBox', '0 0 16 16');
  icon.setAttribute('class', `state ${state}`);
  icon.setAttribute('data-state', state);
  icon.setAttribute('aria-label', STATE_TITLE[state]);
  if (state === 'queued') {
    const circle = document.createElementNS(SVG, 'circle');
    circle.setAttribute('cx', '8');
    circle.setAttribute('cy', '8');
    circle.setAttribute('r', '6');
    icon.append(circle);
  }
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICON_PATHS[state]);
  icon.append(path);
  return icon;
}

function show(next: ExperimentsPayload): void {
  const started = performance.now();
  payload = next;
  drawTable(started);
}

function drawTable(started: number): void {
  const next = payload!;
  const experiments = next.rows.filter((r) => r.kind === 'experiment').length;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const pending = next.pending ? ` (${count(next.pending, 'more experiment')} coming)` : '';
  title.textContent = `${next.repository}: ${count(next.rows.length - experiments, 'revision')}, ${count(experiments, 'experiment')}, ${count(next.columns.length, 'column')}${pending}`;
  reshape();
  requestAnimationFrame(() => post({ type: 'rendered', ms: performance.now() - started, rows: rows.length, columns: next.columns.length }));
}

/**
 * Frame times while scrolling: each gap between animation frames from a scroll's start to the
 * frame that drew its last step. A burst ends once 15 frames and 400 ms passed without a scroll
 * (a long stall is one slow frame, not the end); the still frames after it are not counted.
 */
let frames: { at: number; gap: number }[] | undefined;
let lastScroll = 0;
let framesSinceScroll = 0;
scroller.addEventListener('scroll', () => {
  lastScroll = performance.now();
  framesSinceScroll = 0;
  if (frames) return;
  frames = [];
  worstDrawMs = 0;
  let last = performance.now();
  const tick = (now: number) => {
    frames!.push({ at: now, gap: now - last });
    last = now;
    framesSinceScroll++;
    if (framesSinceScroll < 15 || now - lastScroll < 400) return void requestAnimationFrame(tick);
    // The frames up to the first one after the last scroll: that one drew it.
    const drawnBy = frames!.findIndex((f) => f.at >= lastScroll);
    const gaps = frames!.slice(0, drawnBy + 1).map((f) => f.gap).sort((a, b) => a - b);
    post({ type: 'scrolled', frames: gaps.length, worstFrameMs: gaps[gaps.length - 1] ?? 0, medianFrameMs: gaps[Math.floor(gaps.length / 2)] ?? 0, worstDrawMs });
    frames = undefined;
  };
  requestAnimationFrame(tick);
});

window.addEventListener('message', (event: MessageEvent<ToExperiments>) => {
  if (event.data?.type === 'show') show(event.data.payload);
});
post({ type: 'ready' });
