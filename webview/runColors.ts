/**
 * The colour of each run, shared by the pages that draw runs (the metrics/plots panel, and the
 * experiments table when it marks its selected rows): the n-th selected run has the same colour in
 * both. The first six are VS Code's chart colours (theme variables); after them hues go round the
 * circle by the golden angle, so any number of runs stay told apart (no cap).
 */
export const THEME_SERIES = [
  ['--vscode-charts-blue', '#1a85ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#388a34'],
  ['--vscode-charts-purple', '#652d90'],
  ['--vscode-charts-red', '#e51400'],
  ['--vscode-charts-yellow', '#bf8803'],
] as const;

/** `palette`: the theme's chart colours as the page resolved them (THEME_SERIES order). */
export function runColor(index: number, palette: readonly string[]): string {
  if (index < palette.length) return palette[index];
  const hue = Math.round(((index - palette.length) * 137.508 + 200) % 360);
  return `hsl(${hue}, 65%, 55%)`;
}

/** Colours for `ids` in their order (the selection's order), each id once. */
export function runColors(ids: readonly string[], palette: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  for (const id of ids) if (!colors.has(id)) colors.set(id, runColor(colors.size, palette));
  return colors;
}
