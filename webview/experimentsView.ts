import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import type { Direction, ExperimentColumn, ExperimentRow, ExperimentState, ExperimentsPayload, FromExperiments, TableFilter, TableState, ToExperiments } from './messages';
import { CREATED_COLUMN, EXPERIMENT_COLUMN, ShownRow, cellText, columnWidth, createdText, headerDepth, headerRow, nextSort, shownRows } from './experimentsTable';
import { filterRows } from './experimentsFilters';
import { bestValues, changedColumns, metricKey, moveColumn, orderedColumns, stepOf } from './experimentsColumns';
import { DEFAULT_TABLE_STATE, MAX_COLUMN_WIDTH, MIN_COLUMN_WIDTH } from './experimentsState';
import { button, drawBar, el, openColumnMenu, openColumnPicker } from './experimentsControls';
import { metricDirection } from './metricsTable';
import { rowActions } from './experimentRowActions';
import { NO_SELECTION, clickRow, moveSelection, selectRows, selectedInOrder, type Selection } from './experimentsSelection';

/**
 * The experiments table's page: rows and columns virtualised (@tanstack/virtual-core), so only
 * the cells in view exist in the DOM; the Experiment and Created columns stay on the left and the
 * nested headers on top while scrolling. The data comes from the extension (`show`). What the user
 * makes of the table (sort, filters, stars, columns, precision) is a `TableState`: kept by the page
 * across hide/show, and sent to the extension, which keeps it per repository and sends it back with
 * the table when the panel opens again. Filters, column order and visibility are worked out once
 * per change (`reshape`), never per frame.
 */

interface PageState {
  /** The repository the table is of (its state is the page's while the page shows it). */
  root: string;
  table: TableState;
  directions: Record<string, Direction>;
}
declare function acquireVsCodeApi(): { postMessage(m: FromExperiments): void; getState(): PageState | undefined; setState(s: PageState): void };
const vscode = acquireVsCodeApi();
const post = (m: FromExperiments) => vscode.postMessage(m);

const ROW_HEIGHT = 24;
const HEADER_ROW_HEIGHT = 22;
const EXPERIMENT_WIDTH = 280;
const CREATED_WIDTH = 130;
const FIXED_WIDTH = EXPERIMENT_WIDTH + CREATED_WIDTH;
/** Column widths fit the texts of this many rows from the top (not all: 2,000 × 500 texts would cost a frame or two). */
const WIDTH_SAMPLE_ROWS = 200;
const STATE_TITLE: Record<ExperimentState, string> = { queued: 'Queued', running: 'Running', failed: 'Failed', success: 'Succeeded' };
const STARRED_FILTER: TableFilter = { column: '', op: 'starred', value: '' };

let page: PageState | undefined = vscode.getState();
let table: TableState = page?.table ?? { ...DEFAULT_TABLE_STATE };
let directions: Record<string, Direction> = page?.directions ?? {};
let payload: ExperimentsPayload | undefined;
let rows: ShownRow[] = [];
let filteredOut = 0;
/** The payload indexes of the columns shown, in the order shown: position → index. */
let view: number[] = [];
/** Widths fitted to each column's texts (by payload index), for the payload and precision they were fitted to. */
let fitted: { payload?: ExperimentsPayload; precision: number; widths: number[] } = { precision: 0, widths: [] };
let widths: number[] = [];
/** Where each shown column starts (after the fixed ones); the last entry is the table's width. */
let offsets: number[] = [];
/** The best value of each metric column among the rows shown, worked out when the column is first drawn (a screenful of columns, not 250 × 2,000 values per change). */
let best = new Map<number, number | undefined>();
/** The rows shown, as data. */
let shownData: ExperimentRow[] = [];
let depth = 1;
let selection: Selection = NO_SELECTION;

const root = document.getElementById('root')!;
const title = el('div', 'table-title');
const bar = el('div', 'bar');
const notice = el('div', 'notice');
const scroller = el('div', 'scroller');
scroller.tabIndex = 0;
const canvas = el('div', 'canvas');
const header = el('div', 'header');
const body = el('div', 'body');
canvas.append(header, body);
scroller.append(canvas);
root.append(title, bar, notice, scroller);

const common = { getScrollElement: () => scroller, scrollToFn: elementScroll, observeElementRect, observeElementOffset, onChange: () => scheduleDraw() };
const rowVirtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({ ...common, count: 0, estimateSize: () => ROW_HEIGHT, overscan: 6 });
const columnVirtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({ ...common, horizontal: true, count: 0, estimateSize: (i) => widths[i] ?? 80, paddingStart: FIXED_WIDTH, overscan: 2 });
rowVirtualizer._didMount();
columnVirtualizer._didMount();

let postTimer: ReturnType<typeof setTimeout> | undefined;
/** Keep the table's state in the page (across hide/show) and, a moment later, with the extension (across sessions). */
function saveState(): void {
  if (!payload?.root) return;
  page = { root: payload.root, table, directions };
  vscode.setState(page);
  clearTimeout(postTimer);
  const rootNow = payload.root;
  postTimer = setTimeout(() => post({ type: 'saveState', root: rootNow, state: JSON.stringify(table) }), 150);
}

/** Change the table's state, keep it, and draw the table it makes. */
function update(change: Partial<TableState>): void {
  table = { ...table, ...change };
  saveState();
  reshape();
}

/** Recompute what shows (after new data or any change of the state) and draw. */
function reshape(): void {
  if (!payload) return;
  shape();
  drawControls();
  clearDrawn();
  draw();
}

/** Work out which rows and columns show, where, and how wide (nothing drawn). */
function shape(): void {
  const p = payload!;
  const starred = new Set(table.starred);
  const filtered = filterRows(p.rows, p.columns, table.filters, starred);
  filteredOut = filtered.filteredOut;
  rows = shownRows(filtered.rows, p.columns, table.sort, new Set(table.collapsed));
  const hidden = new Set(table.hidden);
  shownData = rows.map((r) => r.row);
  view = orderedColumns(p.columns, table.order).filter((i) => !hidden.has(p.columns[i].id));
  if (table.onlyChanged) view = changedColumns(view, shownData);
  best = new Map();
  if (fitted.payload !== p || fitted.precision !== table.precision) fitted = { payload: p, precision: table.precision, widths: fitWidths(p) };
  widths = view.map((i) => table.widths[p.columns[i].id] ?? fitted.widths[i]);
  offsets = [FIXED_WIDTH];
  for (const width of widths) offsets.push(offsets[offsets.length - 1] + width);
  depth = headerDepth(view.map((i) => p.columns[i]));
  rowVirtualizer.setOptions({ ...rowVirtualizer.options, count: rows.length, paddingStart: depth * HEADER_ROW_HEIGHT });
  columnVirtualizer.setOptions({ ...columnVirtualizer.options, count: view.length });
  rowVirtualizer.measure();
  columnVirtualizer.measure();
  rowVirtualizer._willUpdate();
  columnVirtualizer._willUpdate();
}

function fitWidths(p: ExperimentsPayload): number[] {
  // Fewer rows when there are very many columns: the sample stays within ~100,000 texts.
  const sample = p.rows.slice(0, Math.max(1, Math.min(WIDTH_SAMPLE_ROWS, Math.floor(100_000 / Math.max(1, p.columns.length)))));
  return p.columns.map((column, i) => columnWidth(column, sample.map((r) => cellText(r.values[i], column.kind, table.precision))));
}

function labelOf(column: string): string {
  if (column === EXPERIMENT_COLUMN) return 'Experiment';
  if (column === CREATED_COLUMN) return 'Created';
  const found = payload?.columns.find((c) => c.id === column);
  return found ? (found.kind === 'meta' ? found.file : found.path.join('.') || found.file) : column;
}

function drawControls(): void {
  const p = payload!;
  drawBar(
    bar,
    {
      filters: table.filters,
      filteredOut,
      hiddenColumns: p.columns.length - view.length,
      onlyChanged: table.onlyChanged,
      precision: table.precision,
      starredOnly: table.filters.some((f) => f.op === 'starred'),
    },
    {
      labelOf,
      removeFilter: (i) => update({ filters: table.filters.filter((_, at) => at !== i) }),
      toggleStarredOnly: () => update({ filters: table.filters.some((f) => f.op === 'starred') ? table.filters.filter((f) => f.op !== 'starred') : [...table.filters, STARRED_FILTER] }),
      setOnlyChanged: (on) => update({ onlyChanged: on }),
      setPrecision: (precision) => update({ precision }),
      openColumnPicker: (anchorElement) =>
        openColumnPicker(anchorElement, p.columns, new Set(table.hidden), {
          setHidden: (ids, hide) => {
            const hidden = new Set(table.hidden);
            for (const id of ids) hide ? hidden.add(id) : hidden.delete(id);
            update({ hidden: [...hidden] });
          },
        }),
    },
  );
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

/** A drawn row: its element and its data cells by column position. */
interface DrawnRow {
  line: HTMLElement;
  cells: Map<number, HTMLElement>;
}
let drawn = new Map<number, DrawnRow>();
let drawnColumns = '';
/** The longest a draw took since the last report (what scrolling costs this page, apart from the browser's painting). */
let worstDrawMs = 0;

/** Forget every drawn row (new data or a change of the state changes what each position holds). */
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
  const headerHeight = depth * HEADER_ROW_HEIGHT;
  canvas.style.width = `${columnVirtualizer.getTotalSize()}px`;
  canvas.style.height = `${rowVirtualizer.getTotalSize()}px`;
  header.style.height = `${headerHeight}px`;
  const columnItems = columnVirtualizer.getVirtualItems();
  const first = columnItems.length ? columnItems[0].index : 0;
  const last = columnItems.length ? columnItems[columnItems.length - 1].index : -1;
  const leadingGap = columnItems.length ? columnItems[0].start - FIXED_WIDTH : 0;
  const columnsKey = `${first}:${last}`;
  if (columnsKey !== drawnColumns) drawHeader(columnItems.map((c) => c.index), leadingGap);

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

function drawHeader(positions: number[], leadingGap: number): void {
  const p = payload!;
  const shownColumns = view.map((i) => p.columns[i]);
  const headerRows: HTMLElement[] = [];
  for (let level = 0; level < depth; level++) {
    const line = el('div', 'line');
    line.style.height = `${HEADER_ROW_HEIGHT}px`;
    const fixed = el('div', 'fixed');
    if (level === depth - 1) fixed.append(leafHeader('Experiment', EXPERIMENT_COLUMN, EXPERIMENT_WIDTH), leafHeader('Created', CREATED_COLUMN, CREATED_WIDTH));
    else fixed.append(spacer(FIXED_WIDTH));
    line.append(fixed, spacer(leadingGap));
    for (const cell of headerRow(shownColumns, positions, level, depth)) {
      let width = 0;
      for (let i = cell.first; i <= cell.last; i++) width += widths[i];
      if (cell.column) line.append(leafHeader(cell.label, cell.column, width, shownColumns[cell.first]));
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
  const { row } = shown;
  const isSelected = selection.selected.has(row.id);
  const line = el('div', `line row ${row.kind}${index % 2 ? ' odd' : ''}${isSelected ? ' selected' : ''}${row.remoteOnly ? ' remote-only' : ''}`);
  line.style.transform = `translateY(${top}px)`;
  line.style.height = `${ROW_HEIGHT}px`;
  line.style.width = `${offsets[offsets.length - 1]}px`;
  line.dataset.id = row.id;
  line.setAttribute('aria-selected', String(isSelected));
  // VS Code's webview/context menus (row actions) read this: the menu offers the actions in `rowActions`.
  line.dataset.vscodeContext = JSON.stringify({ webviewSection: 'experimentRow', rowId: row.id, rowActions: rowActions(row), preventDefaultContextMenuItems: true });
  line.addEventListener('mousedown', (event) => {
    if (event.button === 2 && selection.selected.has(row.id)) return; // a right-click on the selection keeps it, for actions on all of it
    select(clickRow(selection, shownIds(), row.id, { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey }));
  });
  const fixed = el('div', 'fixed');
  fixed.append(experimentCell(shown), createdCell(shown));
  line.append(fixed);
  return { line, cells: new Map() };
}

/**
 * Make the row's cells of the columns at positions `first..last` that it lacks, and drop the
 * others. Cells are placed at their column's offset, so adding one moves no other.
 */
function updateCells(row: DrawnRow, shown: ShownRow, first: number, last: number): void {
  for (const [position, cell] of row.cells) {
    if (position < first || position > last) {
      cell.remove();
      row.cells.delete(position);
    }
  }
  const columns = payload!.columns;
  for (let position = first; position <= last; position++) {
    if (row.cells.has(position)) continue;
    const index = view[position];
    const column = columns[index];
    const value = shown.row.values[index];
    const kind = typeof value === 'number' ? ' number' : value === null || value === undefined ? ' missing' : '';
    const isBest = typeof value === 'number' && bestOf(index) === value;
    const cell = el('div', `td cell ${column.kind}${kind}${isBest ? ' best' : ''}`, cellText(value, column.kind, table.precision));
    if (isBest) cell.title = `The best ${labelOf(column.id)} shown (${metricDirection(metricKey(column), directions)} is better)`;
    cell.style.left = `${offsets[position]}px`;
    cell.style.width = `${widths[position]}px`;
    row.cells.set(position, cell);
    row.line.append(cell);
  }
}

function bestOf(index: number): number | undefined {
  if (!best.has(index)) best.set(index, bestValues(payload!.columns, [index], shownData, directions).get(index));
  return best.get(index);
}

function spacer(width: number): HTMLElement {
  const gap = el('div', 'gap');
  gap.style.width = `${Math.max(0, width)}px`;
  return gap;
}

/** A leaf header: click to sort (shift: add a key), ▾ or right-click for its menu; a data column's also drags to reorder and resizes at its edge. */
function leafHeader(label: string, column: string, width: number, info?: ExperimentColumn): HTMLElement {
  const cell = el('div', `th leaf${info ? ` ${info.kind}` : ''}`);
  cell.style.width = `${width}px`;
  cell.dataset.column = column;
  cell.title = `${info ? `${info.file}${info.path.length ? `: ${info.path.join('.')}` : ''}` : label} — click to sort, shift-click to add a sort key${info ? ', drag to move' : ''}`;
  const at = table.sort.findIndex((k) => k.column === column);
  const filtered = table.filters.some((f) => f.column === column);
  cell.append(el('span', `label${filtered ? ' filtered' : ''}`, label));
  if (filtered) cell.title += ' (filtered)';
  if (at >= 0) cell.append(el('span', 'sort', `${table.sort[at].descending ? '↓' : '↑'}${table.sort.length > 1 ? at + 1 : ''}`));
  const openMenu = (x: number, y: number) =>
    openColumnMenu({ x, y }, column, label, {
      sort: (descending) => update({ sort: [{ column, descending }] }),
      filter: (filter) => update({ filters: [...table.filters, filter] }),
      hide: info ? () => update({ hidden: [...table.hidden, column] }) : undefined,
      direction: info?.kind === 'metrics' && metricDirection(metricKey(info), directions) ? { current: metricDirection(metricKey(info), directions)!, set: (d) => setDirection(metricKey(info), d) } : undefined,
    });
  // Its glyph is drawn by CSS, so the header's text stays the column's name.
  const menu = button('', 'menu-button', `${label}: sort, filter${info ? ', hide' : ''}`, (event) => {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    openMenu(rect.left, rect.bottom + 2);
  });
  cell.append(menu);
  cell.addEventListener('contextmenu', (event) => {
    event.preventDefault();
    openMenu(event.clientX, event.clientY);
  });
  cell.addEventListener('click', (event) => update({ sort: nextSort(table.sort, column, event.shiftKey) }));
  if (info) {
    cell.draggable = true;
    cell.addEventListener('dragstart', (event) => event.dataTransfer?.setData('text/x-cairn-column', column));
    cell.addEventListener('dragover', (event) => event.preventDefault());
    cell.addEventListener('drop', (event) => {
      event.preventDefault();
      const moved = event.dataTransfer?.getData('text/x-cairn-column');
      if (!moved || moved === column) return;
      const order = orderedColumns(payload!.columns, table.order).map((i) => payload!.columns[i].id);
      update({ order: moveColumn(order, moved, column) });
    });
    cell.append(resizeHandle(column, width));
  }
  return cell;
}

/** The edge of a leaf header: dragging it sets the column's width (drawn as it moves, kept when let go). */
function resizeHandle(column: string, width: number): HTMLElement {
  const handle = el('span', 'resize');
  handle.title = 'Drag to resize';
  handle.addEventListener('click', (event) => event.stopPropagation());
  handle.addEventListener('mousedown', (event) => {
    event.preventDefault(); // no drag of the header, no text selection
    event.stopPropagation();
    const startX = event.clientX;
    let pending = false;
    const move = (e: MouseEvent) => {
      const next = Math.round(Math.min(MAX_COLUMN_WIDTH, Math.max(MIN_COLUMN_WIDTH, width + e.clientX - startX)));
      table = { ...table, widths: { ...table.widths, [column]: next } };
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        reshape();
      });
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      saveState();
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  });
  return handle;
}

function setDirection(key: string, direction: Direction): void {
  directions = { ...directions, [key]: direction };
  post({ type: 'setDirection', key, direction });
  saveState();
  reshape();
}

function shownIds(): string[] {
  return rows.map((r) => r.row.id);
}

/** Draw a new selection on the rows in view and tell the extension (ids in table order). */
function select(next: Selection): void {
  selection = next;
  for (const { line } of drawn.values()) {
    const on = selection.selected.has(line.dataset.id!);
    line.classList.toggle('selected', on);
    line.setAttribute('aria-selected', String(on));
  }
  post({ type: 'selection', ids: selectedInOrder(selection, shownIds()) });
}

/** Up and down move the selection (with shift, extend it from the anchor), scrolling the row into view. */
scroller.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  event.preventDefault();
  const ids = shownIds();
  select(moveSelection(selection, ids, event.key === 'ArrowDown' ? 1 : -1, event.shiftKey));
  if (selection.cursor !== undefined) rowVirtualizer.scrollToIndex(ids.indexOf(selection.cursor), { align: 'auto' });
});

function toggleStar(id: string): void {
  const starred = new Set(table.starred);
  if (starred.has(id)) starred.delete(id);
  else starred.add(id);
  update({ starred: [...starred] });
}

function experimentCell(shown: ShownRow): HTMLElement {
  const { row } = shown;
  const cell = el('div', 'td experiment');
  cell.style.width = `${EXPERIMENT_WIDTH}px`;
  cell.style.paddingLeft = `${4 + shown.depth * 18}px`;
  const isStarred = table.starred.includes(row.id);
  const star = button(isStarred ? '★' : '☆', `star${isStarred ? ' on' : ''}`, isStarred ? 'Unstar' : 'Star', () => toggleStar(row.id));
  star.addEventListener('mousedown', (event) => event.stopPropagation());
  cell.append(star);
  if (shown.children > 0) {
    const toggle = button(shown.collapsed ? '▸' : '▾', 'toggle', shown.collapsed ? `Show its ${shown.children} experiments` : 'Hide its experiments', () => {
      const collapsed = new Set(table.collapsed);
      if (collapsed.has(row.id)) collapsed.delete(row.id);
      else collapsed.add(row.id);
      update({ collapsed: [...collapsed] });
    });
    toggle.addEventListener('mousedown', (event) => event.stopPropagation());
    cell.append(toggle);
  } else cell.append(el('span', 'toggle-space'));
  if (row.state) cell.append(stateIcon(row.state));
  cell.append(el('span', 'name', row.label));
  if (row.rev && row.rev !== row.label) cell.append(el('span', 'rev', row.rev));
  const step = row.state === 'running' ? stepOf(payload!.columns, row) : undefined;
  if (step !== undefined) cell.append(el('span', 'step', `step ${step}`));
  if (row.error) {
    cell.append(el('span', 'error-mark', '!'));
    cell.title = row.error;
  } else cell.title = row.state ? `${row.label} — ${STATE_TITLE[row.state]}${step !== undefined ? `, step ${step}` : ''}` : row.label;
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
  // A table of another repository (or a page without state) takes the state the extension kept for it;
  // the same repository's state is the page's own (newer than any the extension sends back).
  if (next.root !== undefined && page?.root !== next.root) {
    table = { ...DEFAULT_TABLE_STATE, ...next.state };
    directions = next.directions ?? {};
    page = { root: next.root, table, directions };
    vscode.setState(page);
    selection = NO_SELECTION;
  }
  payload = next;
  drawTable(started);
}

/**
 * Rows whose values changed (a run training): the same table, those rows replaced. When every
 * row and column stays where it was, only what changed is drawn again: the lines of those rows,
 * and in the other lines the cells of a column whose best value moved. Otherwise (a sort or a
 * filter on a value that changed, a column that now differs) the table is drawn anew.
 */
function updateRows(changed: ExperimentsPayload['rows']): void {
  if (!payload) return;
  const started = performance.now();
  const byId = new Map(changed.map((row) => [row.id, row]));
  const before = payload;
  payload = { ...payload, rows: payload.rows.map((row) => byId.get(row.id) ?? row) };
  // The columns keep their widths: fitting them again reads every cell of the table.
  if (fitted.payload === before) fitted = { ...fitted, payload };
  const [idsBefore, viewBefore, bestBefore] = [shownIds(), view, best];
  shape();
  const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(shownIds(), idsBefore) || !same(view, viewBefore)) {
    drawControls();
    clearDrawn();
    draw();
  } else {
    for (const [index, row] of drawn) {
      if (!byId.has(rows[index].row.id)) continue;
      row.line.remove();
      drawn.delete(index);
    }
    const moved = new Set([...bestBefore.keys()].filter((index) => bestOf(index) !== bestBefore.get(index)));
    const [first, last] = drawnColumns.split(':').map(Number);
    for (const [index, row] of moved.size ? drawn : []) {
      for (const [position, cell] of row.cells) {
        if (!moved.has(view[position])) continue;
        cell.remove();
        row.cells.delete(position);
      }
      updateCells(row, rows[index], first, last);
    }
    draw();
  }
  requestAnimationFrame(() => post({ type: 'rendered', ms: performance.now() - started, rows: rows.length, columns: payload!.columns.length }));
}

function drawTable(started: number): void {
  const next = payload!;
  const experiments = next.rows.filter((r) => r.kind === 'experiment').length;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const pending = next.pending ? ` (${count(next.pending, 'more experiment')} coming)` : '';
  title.textContent = `${next.repository}: ${count(next.rows.length - experiments, 'revision')}, ${count(experiments, 'experiment')}, ${count(next.columns.length, 'column')}${pending}`;
  // Restricted Mode: no table to show, only why, and the way to trust the folder.
  bar.hidden = scroller.hidden = next.needsTrust === true;
  if (next.needsTrust) {
    title.textContent = next.repository;
    notice.replaceChildren(
      el('span', 'notice-text', 'Restricted Mode: experiments are git commits, and Cairn runs no git in a folder you have not trusted (its git config can run programs).'),
      button('Trust', 'primary-button trust-button', 'Manage Workspace Trust', () => post({ type: 'trust' })),
    );
    notice.hidden = false;
  } else {
    notice.replaceChildren();
    notice.hidden = true;
  }
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
  else if (event.data?.type === 'updateRows') updateRows(event.data.rows);
  else if (event.data?.type === 'reveal') {
    const ids = shownIds();
    select(selectRows(event.data.ids, ids));
    if (selection.cursor !== undefined) rowVirtualizer.scrollToIndex(ids.indexOf(selection.cursor), { align: 'auto' });
  }
});
post({ type: 'ready' });
