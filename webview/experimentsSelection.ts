/**
 * The experiments table's row selection as plain data (no DOM; unit-tested): a click selects one
 * row, ctrl/cmd-click adds or removes one, shift-click takes the range from the anchor (with ctrl,
 * added to what is selected), and up/down move from the last row clicked or moved to (with shift,
 * the range from the anchor).
 */
export interface Selection {
  selected: ReadonlySet<string>;
  /** Where a shift-click range starts. */
  anchor?: string;
  /** The row the arrow keys move from. */
  cursor?: string;
}

export const NO_SELECTION: Selection = { selected: new Set() };

/** `ids`: the rows shown, in table order. */
export function clickRow(selection: Selection, ids: readonly string[], id: string, keys: { toggle: boolean; range: boolean }): Selection {
  const { anchor } = selection;
  if (keys.range && anchor !== undefined && ids.includes(anchor)) {
    const [from, to] = [ids.indexOf(anchor), ids.indexOf(id)].sort((a, b) => a - b);
    const selected = new Set(keys.toggle ? selection.selected : []);
    for (const each of ids.slice(from, to + 1)) selected.add(each);
    return { selected, anchor, cursor: id };
  }
  if (keys.toggle) {
    const selected = new Set(selection.selected);
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    return { selected, anchor: id, cursor: id };
  }
  return { selected: new Set([id]), anchor: id, cursor: id };
}

/** Up (`-1`) or down (`1`) from the cursor (the first row when there is none), within the rows shown. */
export function moveSelection(selection: Selection, ids: readonly string[], step: 1 | -1, extend: boolean): Selection {
  if (ids.length === 0) return selection;
  const from = selection.cursor === undefined ? -1 : ids.indexOf(selection.cursor);
  const to = from < 0 ? 0 : Math.max(0, Math.min(ids.length - 1, from + step));
  return clickRow(selection, ids, ids[to], { toggle: false, range: extend });
}

/** The selected rows still shown, in table order (what the page reports). */
export function selectedInOrder(selection: Selection, ids: readonly string[]): string[] {
  return ids.filter((id) => selection.selected.has(id));
}

/** The rows another view chose (the Runs view's selection): those of `ids` shown, selected, the first as anchor and cursor. */
export function selectRows(ids: readonly string[], shown: readonly string[]): Selection {
  const wanted = new Set(ids);
  const selected = shown.filter((id) => wanted.has(id));
  return { selected: new Set(selected), anchor: selected[0], cursor: selected[0] };
}
