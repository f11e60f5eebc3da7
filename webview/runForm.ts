import { isSweep, OverrideElement, OverrideSyntaxError, parseOverride, printElement, QuotedString, sweepElements } from '../src/core/experiments/overrideGrammar';
import { PyFloat } from '../src/core/pipeline/values';

/**
 * The "Modify Params and Run" form as plain data (no DOM), shared by the page, which refuses bad
 * input next to its field before sending anything, and the extension, which checks the same way
 * again (a page is untrusted). A field's text is a value in `-S`'s grammar (Hydra's,
 * `overrideGrammar.ts`): one value, or a sweep (`0.1,0.2`, `range(1,5)`, `choice(a,b)`) that turns
 * the run into one run per combination, as dvc's queue makes them.
 */

/** How a field is edited: a number box, a checkbox, a text box, a list in brackets; `other` (null, dicts in lists) as text. */
export type ParamKind = 'number' | 'boolean' | 'string' | 'list' | 'other';

export interface ParamField {
  /** The params file, relative to the repository root. */
  file: string;
  /** Keys from the file's top down (`['train', 'lr']`). */
  path: string[];
  kind: ParamKind;
  /** The chosen row's value as `-S` text (what the field starts with). */
  value: string;
  /** The workspace's value as `-S` text, null when the workspace has no such key: a field equal to it sets nothing. */
  workspace: string | null;
}

/** What a form's texts make: a problem per field (undefined: fine), the runs it stands for, and its `-S` arguments. */
export interface FormCheck {
  problems: (string | undefined)[];
  /** 0 when a field has a problem. */
  runs: number;
  /** Whether a field holds a sweep (`choice(1)` too, one run though it makes): only the queue runs sweeps, as in dvc. */
  sweep: boolean;
  /** `<file>:<key>=<text>` for each field whose text differs from the workspace's value. */
  setParams: string[];
}

/** A value loaded from a params file (JSON data: numbers, strings, booleans, null, lists, objects) as a field's text. */
export function valueText(value: unknown): string {
  // A checkbox's text: what the page sends for a boolean field.
  if (typeof value === 'boolean') return String(value);
  return printElement(element(value));
}

/** The kind of field a loaded value is edited in. */
export function kindOf(value: unknown): ParamKind {
  if (typeof value === 'number' || value instanceof PyFloat) return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'list';
  return 'other';
}

/** The dotted key `-S` names a field by. */
export function fieldKey(field: Pick<ParamField, 'path'>): string {
  return field.path.join('.');
}

/** Why `text` cannot go in `field`, or undefined; and how many values it holds (a sweep several, else 1). */
export function checkField(field: Pick<ParamField, 'path' | 'kind'>, text: string): { problem?: string; values: number; sweep?: boolean } {
  if (field.kind === 'number' && text.trim() === '') return { problem: 'Enter a number, or a sweep: 0.1,0.2 or range(1,5).', values: 0 };
  let elements: OverrideElement[];
  let sweep: boolean;
  try {
    const override = parseOverride(`${fieldKey(field)}=${text}`);
    if (!override.value) return { problem: 'Enter a value.', values: 0 };
    if (override.value.kind === 'glob') return { problem: 'glob() cannot be swept: list the values, or use choice() or range().', values: 0 };
    elements = sweepElements(override.value);
    sweep = isSweep(override.value);
    if (sweep && elements.length === 0) return { problem: 'This sweep makes no runs: range(start, stop, step) needs start before stop.', values: 0 };
  } catch (err) {
    if (!(err instanceof OverrideSyntaxError)) throw err;
    return { problem: `Not a value -S can set: ${err.message}`, values: 0 };
  }
  const wrong = elements.find((e) => !fits(field.kind, e));
  if (wrong !== undefined) return { problem: `${printElement(wrong)} is not ${ARTICLE[field.kind]}${elements.length > 1 ? ' (each value of a sweep must be)' : ''}.`, values: 0 };
  return { values: elements.length, sweep };
}

/** Every field checked, the runs the form makes (the product of its sweeps' sizes), and its `-S` arguments. */
export function checkForm(fields: readonly ParamField[], texts: readonly string[]): FormCheck {
  if (texts.length !== fields.length) throw new Error(`the form has ${fields.length} fields, not ${texts.length}`);
  const problems: (string | undefined)[] = [];
  const setParams: string[] = [];
  let runs = 1;
  let sweep = false;
  fields.forEach((field, i) => {
    const text = texts[i].trim();
    const checked = checkField(field, text);
    const problem = checked.problem;
    problems.push(problem);
    runs *= checked.values;
    sweep ||= !!checked.sweep;
    if (!problem && text !== field.workspace) setParams.push(`${field.file}:${fieldKey(field)}=${text}`);
  });
  return { problems, runs: problems.some((p) => p) ? 0 : runs, sweep, setParams };
}

const ARTICLE: Record<ParamKind, string> = { number: 'a number', boolean: 'true or false', string: 'text', list: 'a list, [a, b]', other: 'a value' };

function fits(kind: ParamKind, e: OverrideElement): boolean {
  switch (kind) {
    case 'number':
      return typeof e === 'number' || e instanceof PyFloat;
    case 'boolean':
      return typeof e === 'boolean';
    case 'list':
      return Array.isArray(e);
    default:
      return true;
  }
}

/** A loaded value as an override element that prints back to it; a string that would read as another type (`'5'`, `'true'`, `'a,b'`) is quoted. */
function element(value: unknown): OverrideElement {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat) return value;
  if (typeof value === 'string') return readsBackAs(value) ? value : new QuotedString(value, "'");
  if (Array.isArray(value)) return value.map(element);
  return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, element(v)]));
}

function readsBackAs(text: string): boolean {
  try {
    const override = parseOverride(`k=${printElement(text)}`);
    return override.value?.kind === 'element' && override.value.element === text;
  } catch {
    return false;
  }
}
