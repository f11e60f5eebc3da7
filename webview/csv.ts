/**
 * CSV for a spreadsheet (RFC 4180 quoting). Experiment names, params and file names come from a
 * repository someone else may have written: a text cell a spreadsheet would take as a formula
 * (`=`, or `+`, `-`, `@`, a tab or carriage return before more) is written with a leading `'`, so
 * it shows as the text it is; numbers such as `-0.5`, and `-` for no value, stay as they are.
 */
export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',');
}

function csvField(text: string): string {
  const safe = /^(=|[+\-@\t\r].)/s.test(text) && !Number.isFinite(Number(text)) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
