import { randomUUID } from 'node:crypto';
import { LineCounter } from 'yaml';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { parse as parseToml, TomlError } from 'smol-toml';
import { CairnError } from '../errors';

/**
 * Metrics, params and plots files, parsed as DVC reads them: by suffix `.json`, `.toml`,
 * `.yaml`/`.yml` (and, like DVC, YAML for any other suffix of a metrics or params file);
 * `.csv`/`.tsv` as row lists for plots. Bad input is a CairnError naming the file and line.
 */

/** The kind of parse error DVC reports, by format (its exception names, for `--json` error entries). */
export type DataFileErrorType = 'JSONFileCorruptedError' | 'YAMLFileCorruptedError' | 'TOMLFileCorruptedError' | 'PlotMetricTypeError' | 'CSVFileCorruptedError';

export class DataFileError extends CairnError {
  constructor(
    readonly type: DataFileErrorType,
    message: string,
    file: string,
    line?: number,
    hint?: string,
  ) {
    super('BAD_FILE', message, { file, line, hint });
  }
}

function suffixOf(relPath: string): string {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function parseJsonFile(text: string, relPath: string): unknown {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = parsePythonJson(text);
  } catch (err) {
    const at = jsonErrorOffset(text);
    const what = (err as Error).message.split('\n')[0].replace(/,\s*".*$/s, '').replace(/\s*in JSON at position \d+.*$/, '');
    throw new DataFileError('JSONFileCorruptedError', `JSON file structure is corrupted: ${what}`, relPath, lineAt(text, at), 'Fix the JSON syntax.');
  }
  // DVC reads a falsy document (0, "", [], {}, null) as an empty dict.
  return isEmptyValue(value) ? {} : value;
}

/**
 * JSON as Python's json module reads it: also `NaN`, `Infinity` and `-Infinity` (what Python and
 * DVCLive write for such floats, e.g. sklearn's ROC threshold). JSON.parse alone refuses them.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // Rare: each constant outside strings becomes a marked string, turned back into its number.
    const marker = `cairn-nonfinite-${randomUUID()}:`;
    const marked = markNonFinite(text, marker);
    if (marked === text) throw err;
    return JSON.parse(marked, (_key, v: unknown) => (typeof v === 'string' && v.startsWith(marker) ? Number(v.slice(marker.length)) : v));
  }
}

const NON_FINITE = ['-Infinity', 'Infinity', 'NaN'];

function markNonFinite(text: string, marker: string): string {
  let result = '';
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // Skip the string, escapes included.
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c !== '-' && c !== 'I' && c !== 'N') continue;
    const word = NON_FINITE.find((w) => text.startsWith(w, i));
    if (!word) continue;
    result += `${text.slice(copiedTo, i)}"${marker}${word}"`;
    i += word.length - 1;
    copiedTo = i + 1;
  }
  return copiedTo === 0 ? text : result + text.slice(copiedTo);
}

/** Where JSON text first goes wrong (JSON.parse does not always say): a small recursive-descent check. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (text[i] !== '"') fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || !m[0]) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === 'N') literal('NaN');
    else if (c === 'I' || (c === '-' && text[i + 1] === 'I')) literal(c === '-' ? '-Infinity' : 'Infinity');
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return text.length;
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
}

export function parseYamlFile(text: string, relPath: string): unknown {
  const doc = parseYamlDocument(text, relPath, new LineCounter(), { prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0].line ?? lineAt(text, err.pos[0]);
    throw new DataFileError('YAMLFileCorruptedError', `YAML file structure is corrupted: ${err.message.split('\n')[0]}`, relPath, line, 'Fix the YAML syntax.');
  }
  const value = doc.toJS({ maxAliasCount: 1000 });
  return isEmptyValue(value) ? {} : value;
}

export function parseTomlFile(text: string, relPath: string): unknown {
  try {
    return plainToml(parseToml(text));
  } catch (err) {
    if (err instanceof TomlError) {
      throw new DataFileError('TOMLFileCorruptedError', `TOML file structure is corrupted: ${err.message.split('\n')[0]}`, relPath, err.line, 'Fix the TOML syntax.');
    }
    throw err;
  }
}

/** TOML dates become the text they were written as; everything else is already plain data. */
function plainToml(value: unknown): unknown {
  if (value instanceof Date) return (value as Date & { toISOString(): string }).toISOString();
  if (Array.isArray(value)) return value.map(plainToml);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainToml(v);
    return out;
  }
  return value;
}

function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined || v === 0 || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}

/** A metrics or params file: JSON, TOML, or YAML (DVC's default for other suffixes). */
export function parseDataFile(text: string, relPath: string): unknown {
  switch (suffixOf(relPath)) {
    case '.json':
      return parseJsonFile(text, relPath);
    case '.toml':
      return parseTomlFile(text, relPath);
    case '.py':
      throw new DataFileError('PlotMetricTypeError', 'Python params files are not supported by Cairn', relPath, undefined, 'Use params.yaml, JSON or TOML.');
    default:
      return parseYamlFile(text, relPath);
  }
}

/** A row of a CSV/TSV file: column → text; extra cells (more than the header) are dropped. */
export type Row = Record<string, string | null>;

/**
 * CSV/TSV rows as Python's csv.DictReader gives them: quoted fields (with `""` and newlines),
 * blank lines skipped, a missing cell is null. Without a header, columns are named "0", "1", ...
 */
export function parseDelimited(text: string, relPath: string, delimiter: ',' | '\t', header = true): Row[] {
  const records = splitRecords(text, relPath, delimiter);
  if (records.length === 0) return [];
  const fields = header ? records[0] : records[0].map((_, i) => String(i));
  const rows: Row[] = [];
  for (const rec of header ? records.slice(1) : records) {
    const row: Row = {};
    fields.forEach((f, i) => (row[f] = i < rec.length ? rec[i] : null));
    rows.push(row);
  }
  return rows;
}

function splitRecords(text: string, relPath: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteLine = 0;
  let line = 1;
  let fieldStarted = false;
  const endRecord = () => {
    if (fieldStarted || record.length > 0) {
      record.push(field);
      records.push(record);
    }
    record = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      inQuotes = true;
      quoteLine = line;
      fieldStarted = true;
    } else if (c === delimiter) {
      record.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRecord();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (inQuotes) {
    throw new DataFileError('CSVFileCorruptedError', 'unexpected end of file inside a quoted field', relPath, quoteLine, 'Close the quote that starts here.');
  }
  endRecord();
  return records;
}

/** Suffixes a plot data file may have. */
export const PLOT_DATA_SUFFIXES = ['.json', '.yaml', '.yml', '.csv', '.tsv'];
export const PLOT_IMAGE_SUFFIXES = ['.svg', '.png', '.jpg', '.jpeg', '.gif'];

/** A plot data file's suffix; DVC's PlotMetricTypeError for a file of no plot data format. */
export function plotFileType(relPath: string): string {
  const suffix = suffixOf(relPath);
  if (PLOT_DATA_SUFFIXES.includes(suffix) || suffix === '.toml') return suffix;
  throw new DataFileError('PlotMetricTypeError', `'${relPath}' is not a known plot data format`, relPath, undefined, `Use one of ${PLOT_DATA_SUFFIXES.join(', ')} or an image.`);
}

/** A plot's data file: row lists for CSV/TSV, the parsed document for JSON/YAML. */
export function parsePlotFile(text: string, relPath: string, options: { header?: boolean } = {}): unknown {
  const suffix = plotFileType(relPath);
  if (suffix === '.csv' || suffix === '.tsv') return parseDelimited(text, relPath, suffix === '.tsv' ? '\t' : ',', options.header ?? true);
  if (suffix === '.json') return parseJsonFile(text, relPath);
  if (suffix === '.toml') return parseTomlFile(text, relPath);
  return parseYamlFile(text, relPath);
}

export function isPlotImage(relPath: string): boolean {
  return PLOT_IMAGE_SUFFIXES.includes(suffixOf(relPath));
}
