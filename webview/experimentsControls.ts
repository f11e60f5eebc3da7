import { FILTER_OPS, describeFilter, parseFilter } from './experimentsFilters';
import { searchColumns } from './experimentsColumns';
import { MAX_PRECISION, MIN_PRECISION } from './experimentsState';
import { CREATED_COLUMN, headerPath } from './experimentsTable';
import type { Direction, ExperimentColumn, FilterOp, TableFilter } from './messages';

/**
 * The experiments table's controls (DOM): the filter bar with its chips, the column picker with
 * a search, a column's menu and its filter form. They change nothing themselves: each reports
 * what the user asked for through the callbacks the page gives.
 */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label: string, className: string, title: string, onClick: (event: MouseEvent) => void): HTMLButtonElement {
  const b = el('button', className, label);
  b.type = 'button';
  b.title = title;
  b.addEventListener('click', (event) => {
    event.stopPropagation();
    onClick(event);
  });
  return b;
}

/** The one open popup (menu, form or picker): closed by Escape, a click elsewhere, or the next one opening. */
let openPopup: HTMLElement | undefined;
export function closePopup(): void {
  openPopup?.remove();
  openPopup = undefined;
}
document.addEventListener('mousedown', (event) => {
  if (openPopup && !openPopup.contains(event.target as Node)) closePopup();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closePopup();
});

function popup(className: string, at: { x: number; y: number }): HTMLElement {
  closePopup();
  const box = el('div', `popup ${className}`);
  box.style.left = `${Math.max(4, Math.min(at.x, window.innerWidth - 320))}px`;
  box.style.top = `${at.y}px`;
  document.body.append(box);
  openPopup = box;
  return box;
}

export interface BarState {
  filters: TableFilter[];
  filteredOut: number;
  hiddenColumns: number;
  onlyChanged: boolean;
  precision: number;
  starredOnly: boolean;
}
export interface BarActions {
  removeFilter(index: number): void;
  toggleStarredOnly(): void;
  setOnlyChanged(on: boolean): void;
  setPrecision(digits: number): void;
  openColumnPicker(anchor: HTMLElement): void;
  labelOf(column: string): string;
}

/** The bar over the table: filter chips and the count they leave out; starred only, only changed, precision, columns. */
export function drawBar(bar: HTMLElement, state: BarState, actions: BarActions): void {
  const chips = el('div', 'chips');
  state.filters.forEach((filter, i) => {
    const chip = el('span', 'chip');
    chip.dataset.filter = String(i);
    chip.append(el('span', 'chip-text', describeFilter(filter, actions.labelOf(filter.column))), button('×', 'chip-remove', 'Remove this filter', () => actions.removeFilter(i)));
    chips.append(chip);
  });
  if (state.filters.length) chips.append(el('span', 'filtered-out', `${state.filteredOut} experiment${state.filteredOut === 1 ? '' : 's'} filtered out`));
  else chips.append(el('span', 'hint', 'Filter from a column’s menu (▾ in its header)'));

  const starred = button(state.starredOnly ? '★ Starred only' : '☆ Starred only', `toggle-button starred-only${state.starredOnly ? ' on' : ''}`, 'Show only starred experiments', () => actions.toggleStarredOnly());
  const changed = el('label', 'only-changed');
  const box = el('input');
  box.type = 'checkbox';
  box.checked = state.onlyChanged;
  box.addEventListener('change', () => actions.setOnlyChanged(box.checked));
  changed.append(box, document.createTextNode(' Only changed columns'));
  changed.title = 'Hide the columns whose value is the same in every row shown';

  const precision = el('label', 'precision');
  const digits = el('input');
  digits.type = 'number';
  digits.min = String(MIN_PRECISION);
  digits.max = String(MAX_PRECISION);
  digits.value = String(state.precision);
  digits.addEventListener('change', () => {
    const n = Number(digits.value);
    if (Number.isInteger(n) && n >= MIN_PRECISION && n <= MAX_PRECISION) actions.setPrecision(n);
    else digits.value = String(state.precision);
  });
  precision.append(document.createTextNode('Digits '), digits);
  precision.title = `Numbers show as many significant digits as they need, at most this many (${MIN_PRECISION}–${MAX_PRECISION})`;

  const columns = button(state.hiddenColumns ? `Columns (${state.hiddenColumns} hidden)` : 'Columns', 'toggle-button columns-button', 'Show or hide columns', (event) => actions.openColumnPicker(event.currentTarget as HTMLElement));
  const right = el('div', 'bar-right');
  right.append(starred, changed, precision, columns);
  bar.replaceChildren(chips, right);
}

/** The column picker: a search over the columns' header paths, a checkbox each (the first 300 matches drawn). */
export function openColumnPicker(anchor: HTMLElement, columns: ExperimentColumn[], hidden: ReadonlySet<string>, actions: { setHidden(ids: string[], hide: boolean): void }): void {
  const rect = anchor.getBoundingClientRect();
  const box = popup('column-picker', { x: rect.right - 320, y: rect.bottom + 2 });
  const search = el('input', 'column-search');
  search.placeholder = 'Search columns';
  const list = el('div', 'column-list');
  const note = el('div', 'picker-note');
  const limit = 300;
  let matching: number[] = [];
  const fill = () => {
    matching = searchColumns(columns, search.value, headerPath);
    list.replaceChildren(
      ...matching.slice(0, limit).map((i) => {
        const column = columns[i];
        const line = el('label', 'column-choice');
        line.dataset.column = column.id;
        const check = el('input');
        check.type = 'checkbox';
        check.checked = !hidden.has(column.id);
        check.addEventListener('change', () => actions.setHidden([column.id], !check.checked));
        line.append(check, document.createTextNode(` ${headerPath(column).filter(Boolean).join(' › ')}`));
        return line;
      }),
    );
    note.textContent = matching.length > limit ? `${matching.length - limit} more: refine the search` : `${matching.length} column${matching.length === 1 ? '' : 's'}`;
  };
  search.addEventListener('input', fill);
  const all = button('Show all', 'link-button', 'Show every column the search finds', () => {
    actions.setHidden(matching.map((i) => columns[i].id), false);
    fill();
  });
  const none = button('Hide all', 'link-button', 'Hide every column the search finds', () => {
    actions.setHidden(matching.map((i) => columns[i].id), true);
    fill();
  });
  const tools = el('div', 'picker-tools');
  tools.append(note, all, none);
  box.append(search, tools, list);
  fill();
  search.focus();
}

export interface ColumnMenuActions {
  sort(descending: boolean): void;
  filter(filter: TableFilter): void;
  hide?: () => void;
  direction?: { current: Direction; set(direction: Direction): void };
}

/** A column's menu (its header's ▾ or a right-click): sort, filter, hide, and for a metric its direction. */
export function openColumnMenu(at: { x: number; y: number }, column: string, label: string, actions: ColumnMenuActions): void {
  const box = popup('column-menu', at);
  const item = (text: string, run: () => void) => {
    const b = button(text, 'menu-item', text, () => {
      closePopup();
      run();
    });
    box.append(b);
  };
  item('Sort ascending', () => actions.sort(false));
  item('Sort descending', () => actions.sort(true));
  const filterItem = button('Filter…', 'menu-item filter-item', `Filter by ${label}`, () => openFilterForm(at, column, label, actions.filter));
  box.append(filterItem);
  if (actions.hide) item('Hide column', actions.hide);
  if (actions.direction) {
    const { current, set } = actions.direction;
    item(`${current === 'higher' ? '✓ ' : ''}Higher is better`, () => set('higher'));
    item(`${current === 'lower' ? '✓ ' : ''}Lower is better`, () => set('lower'));
  }
}

/** The form adding a filter on one column: an operator, a value, and a line saying what is wrong with it. */
export function openFilterForm(at: { x: number; y: number }, column: string, label: string, add: (filter: TableFilter) => void): void {
  const box = popup('filter-form', at);
  const ops = FILTER_OPS.filter((op) => op !== 'starred');
  const select = el('select', 'filter-op');
  for (const op of ops) select.append(new Option(op, op));
  const value = el('input', 'filter-value');
  value.placeholder = column === CREATED_COLUMN ? 'YYYY-MM-DD [HH:MM]' : 'value';
  const problem = el('div', 'filter-problem');
  const submit = () => {
    const parsed = parseFilter(column, select.value as FilterOp, value.value);
    if (typeof parsed === 'string') {
      problem.textContent = parsed;
      return;
    }
    closePopup();
    add(parsed);
  };
  select.addEventListener('change', () => (value.disabled = select.value === 'missing'));
  value.addEventListener('keydown', (event) => event.key === 'Enter' && submit());
  const line = el('div', 'filter-line');
  line.append(el('span', 'filter-column', label), select, value, button('Add', 'primary-button filter-add', 'Add this filter', submit));
  box.append(line, problem);
  value.focus();
}
