import { CairnError } from '../errors';
import { isPlainObject, ParamValue, pyRepr, pyStr, sameValue } from '../pipeline/values';
import { Override, OverrideElement, QuotedString } from './overrideGrammar';

/**
 * What overrides do to a params file's values, as dvc applies them (`dvc/utils/hydra.py
 * apply_overrides`: the file loaded into OmegaConf in struct mode, then Hydra's
 * `_apply_overrides_to_config`, then `OmegaConf.to_object`):
 * - `key=v` changes an existing key; a missing one fails ("Could not override 'k'. To append to
 *   your config use +k=v"). A dict value merges into an existing dict, and may not add keys to it.
 * - `+key=v` adds a key (and the dicts on the way); on a key that holds a value it fails, unless
 *   `v` is a list or dict, which merges (as Hydra). `++key=v` adds or changes, whatever is there.
 * - `~key` deletes; `~key=v` only if the value is `v`. A null value counts as missing (Hydra's select).
 * - Dots go into dicts and list items (`layers.0=5`); a list item cannot be added or deleted.
 * - Every `${a.b}` of the file, its own and the overrides', is resolved once all overrides are
 *   applied (OmegaConf's to_object; dvc writes the resolved values); `\${` stays a literal `${`;
 *   resolvers (`${oc.env:X}`) and relative keys are refused.
 * Errors are CairnErrors with Hydra's own words, naming the file.
 */
export function overrideParams(data: Record<string, ParamValue>, overrides: readonly Override[], file: string): Record<string, ParamValue> {
  const root = structuredCopy(data) as Record<string, ParamValue>;
  for (const override of overrides) {
    const fail = (message: string) => new CairnError('USAGE', message, { file, hint: 'Check the key and the value of -S.' });
    try {
      applyOne(root, override, fail);
    } catch (err) {
      if (err instanceof NotAnIndex) throw fail(`Error merging override ${override.input}`);
      throw err;
    }
  }
  // OmegaConf.to_object resolves every `${...}` of the file, the file's own too (dvc then writes the values).
  return resolveInterpolations(root, file);
}

function applyOne(root: Record<string, ParamValue>, override: Override, fail: (message: string) => CairnError): void {
  const path = override.key.split('.');
  const value = override.value === undefined ? undefined : paramValueOf(override, fail);
  switch (override.type) {
    case 'delete':
      if (pendingInterpolationOn(root, path)) throw fail(`Error merging override ${override.input}`);
      deleteKey(root, path, override, value, fail);
      break;
    case 'change':
      update(root, path, value!, { force: false, override, fail });
      break;
    case 'add':
      // Hydra's select (for `+` and `~`) resolves a `${...}` on the way, and fails when it cannot.
      if (pendingInterpolationOn(root, path)) throw fail(`Error merging override ${override.input}`);
      if (selectResolved(root, path) !== undefined && !isContainer(value)) {
        throw fail(
          `Could not append to config. An item is already at '${override.key}'. Either remove + prefix: '${override.input.slice(1)}' ` +
            `Or add a second + to add or override '${override.key}': '+${override.input}'`,
        );
      }
      update(root, path, value!, { force: true, override, fail });
      break;
    case 'forceAdd':
      update(root, path, value!, { force: true, override, fail });
      break;
  }
}

interface UpdateContext {
  /** Hydra's force_add: struct mode off, missing dicts made on the way. */
  force: boolean;
  override: Override;
  fail: (message: string) => CairnError;
}

/** OmegaConf.update(cfg, key, value, merge=True, force_add=force). */
function update(root: Record<string, ParamValue>, path: string[], value: ParamValue, ctx: UpdateContext): void {
  const cannotOverride = () => ctx.fail(`Could not override '${ctx.override.key}'. To append to your config use +${ctx.override.input}`);
  const errorMerging = () => ctx.fail(`Error merging override ${ctx.override.input}`);
  let node: ParamValue = root;
  for (const part of path.slice(0, -1)) {
    if (Array.isArray(node)) {
      const index = listIndex(node, part);
      if (index === undefined) throw errorMerging();
      if (!isContainer(node[index])) {
        // A list item that is not a container becomes an empty dict, which only force_add may fill.
        if (!ctx.force) throw cannotOverride();
        node[index] = {};
      }
      node = node[index];
    } else if (isPlainObject(node)) {
      if (!(part in node) && !ctx.force) throw cannotOverride();
      if (!isContainer(node[part])) {
        if (!ctx.force) throw cannotOverride();
        node[part] = {};
      }
      node = node[part];
    }
  }
  const last = path[path.length - 1];
  if (Array.isArray(node)) {
    const index = listIndex(node, last);
    if (index === undefined) throw errorMerging();
    node[index] = mergedValue(node[index], value, ctx.force, cannotOverride, errorMerging);
    return;
  }
  const target = node as Record<string, ParamValue>;
  if (!(last in target)) {
    if (!ctx.force) throw cannotOverride();
    target[last] = value;
    return;
  }
  target[last] = mergedValue(target[last], value, ctx.force, cannotOverride, errorMerging);
}

/** A container value merges into a container (OmegaConf's merge_with); anything else replaces. */
function mergedValue(existing: ParamValue, value: ParamValue, force: boolean, cannotOverride: () => CairnError, errorMerging: () => CairnError): ParamValue {
  if (!isContainer(value) || !isContainer(existing)) return value;
  if (Array.isArray(existing) !== Array.isArray(value)) throw errorMerging();
  if (Array.isArray(value)) return value; // lists are replaced, never merged item by item
  const merged = existing as Record<string, ParamValue>;
  for (const [key, v] of Object.entries(value as Record<string, ParamValue>)) {
    if (!(key in merged)) {
      if (!force) throw cannotOverride(); // struct mode: a merge may not add keys
      merged[key] = v;
    } else {
      merged[key] = mergedValue(merged[key], v, force, cannotOverride, errorMerging);
    }
  }
  return merged;
}

function deleteKey(root: Record<string, ParamValue>, path: string[], override: Override, value: ParamValue | undefined, fail: (m: string) => CairnError): void {
  const current = selectResolved(root, path);
  if (current === undefined) throw fail(`Could not delete from config. '${override.key}' does not exist.`);
  // Hydra compares only when a value is given, and `~key=null` gives none (its value is None).
  if (value !== undefined && value !== null && !pythonEqual(value, current)) {
    throw fail(`Could not delete from config. The value of '${override.key}' is ${pythonStr(current)} and not ${pythonStr(value)}.`);
  }
  const parent = select(root, path.slice(0, -1)) ?? root;
  if (Array.isArray(parent)) throw fail(`Could not delete from config. '${override.key}' is a list item; set the whole list instead.`);
  delete (parent as Record<string, ParamValue>)[path[path.length - 1]];
}

/** Whether a `${...}` on the way to `path` (an earlier override's) cannot be resolved, which fails Hydra's select. */
function pendingInterpolationOn(root: Record<string, ParamValue>, path: string[]): boolean {
  return path.some((_, i) => {
    const at = path.slice(0, i + 1);
    const node = select(root, at);
    if (typeof node !== 'string' || !node.includes('${')) return false;
    try {
      resolveString(root, node, at, '', 0);
      return false;
    } catch (err) {
      if (err instanceof CairnError) return true;
      throw err;
    }
  });
}

/** OmegaConf.select as Hydra calls it for `+` and `~`: a `${...}` on the way is resolved and walked into. */
function selectResolved(root: Record<string, ParamValue>, path: string[]): ParamValue | undefined {
  let node: ParamValue = root;
  for (let i = 0; i < path.length; i++) {
    // A list item named by anything but a number fails OmegaConf's select outright.
    if (Array.isArray(node) && !/^\d+$/.test(path[i])) throw new NotAnIndex();
    const next = select(node, [path[i]]);
    if (next === undefined) return undefined;
    node = typeof next === 'string' && next.includes('${') ? resolveString(root, next, path.slice(0, i + 1), '', 0) : next;
  }
  return node === null ? undefined : node;
}

class NotAnIndex extends Error {}

/** Python's ==, where True == 1 == 1.0. */
function pythonEqual(a: ParamValue, b: ParamValue): boolean {
  const asNumber = (v: ParamValue) => (typeof v === 'boolean' ? Number(v) : v);
  if (typeof a === 'boolean' || typeof b === 'boolean') return sameValue(asNumber(a), asNumber(b)) || a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pythonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && pythonEqual(a[k], b[k]));
  }
  return sameValue(a, b);
}

/** OmegaConf.select: the value at a dotted path, undefined when missing or null. */
function select(root: ParamValue, path: string[]): ParamValue | undefined {
  let node: ParamValue = root;
  for (const part of path) {
    if (Array.isArray(node)) {
      const index = listIndex(node, part);
      if (index === undefined) return undefined;
      node = node[index];
    } else if (isPlainObject(node) && part in node) {
      node = node[part];
    } else {
      return undefined;
    }
  }
  return node === null ? undefined : node;
}

function listIndex(list: ParamValue[], part: string): number | undefined {
  if (!/^\d+$/.test(part)) return undefined;
  const index = Number(part);
  return index < list.length ? index : undefined;
}

function isContainer(v: ParamValue | undefined): v is ParamValue[] | Record<string, ParamValue> {
  return Array.isArray(v) || isPlainObject(v);
}

/** The override's value as a loaded param value: quoted strings lose their quotes, dicts become objects. */
function paramValueOf(override: Override, fail: (m: string) => CairnError): ParamValue {
  const value = override.value!;
  if (value.kind !== 'element') {
    throw fail(`-S '${override.input}' is a sweep (${value.kind}); a sweep runs through the queue, one experiment per value`);
  }
  return toParamValue(value.element);
}

function toParamValue(element: OverrideElement): ParamValue {
  if (element instanceof QuotedString) return element.text;
  if (Array.isArray(element)) return element.map(toParamValue);
  if (element instanceof Map) {
    const out: Record<string, ParamValue> = {};
    for (const [k, v] of element) out[k] = toParamValue(v);
    return out;
  }
  return element;
}

/** Python's str() of a value, as Hydra's messages print it. */
function pythonStr(v: ParamValue): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v) || isPlainObject(v)) return pyRepr(v);
  return pyStr(v);
}

function structuredCopy(v: ParamValue): ParamValue {
  if (Array.isArray(v)) return v.map(structuredCopy);
  if (isPlainObject(v)) {
    const out: Record<string, ParamValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = structuredCopy(x);
    return out;
  }
  return v;
}

// ---- Interpolation (OmegaConf resolves `${...}` when dvc converts the config back to plain data) ----

const INTERPOLATION = /\\\$\{|\$\{([^}]*)\}/g;

/** Where the strings holding `${` are. */
function interpolationPaths(v: ParamValue, at: string[]): string[][] {
  if (typeof v === 'string') return v.includes('${') ? [at] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => interpolationPaths(x, [...at, String(i)]));
  if (isPlainObject(v)) return Object.entries(v).flatMap(([k, x]) => interpolationPaths(x, [...at, k]));
  return [];
}

/** Every `${...}` resolved against the config as it is before any is (OmegaConf resolves lazily, from the unresolved nodes). */
function resolveInterpolations(root: Record<string, ParamValue>, file: string): Record<string, ParamValue> {
  const resolved = interpolationPaths(root, []).map((path) => ({ path, value: resolveString(root, select(root, path) as string, path, file, 0) }));
  for (const { path, value } of resolved) {
    const parent = path.length === 1 ? root : (select(root, path.slice(0, -1)) as ParamValue[] | Record<string, ParamValue>);
    if (Array.isArray(parent)) parent[Number(path[path.length - 1])] = value;
    else parent[path[path.length - 1]] = value;
  }
  return root;
}

/** A copy of a referenced value with the `${...}` inside it resolved too; `at` is where it comes from. */
function resolveDeep(root: Record<string, ParamValue>, v: ParamValue, at: string[], file: string, depth: number): ParamValue {
  if (typeof v === 'string') return resolveString(root, v, at, file, depth);
  if (Array.isArray(v)) return v.map((x, i) => resolveDeep(root, x, [...at, String(i)], file, depth));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveDeep(root, x, [...at, k], file, depth)]));
  return v;
}

/** A string's `${...}` resolved; `at` is where the string is (a reference to a dict holding it is OmegaConf's "parent" error). */
function resolveString(root: Record<string, ParamValue>, text: string, at: string[], file: string, depth: number): ParamValue {
  if (!text.includes('${')) return text;
  if (depth > 32) throw interpolationError(`interpolations in '${text}' refer to each other in a loop`, file);
  const lookup = (expression: string): ParamValue => {
    if (!/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(expression)) {
      throw interpolationError(`'\${${expression}}' is not a plain key; Cairn resolves \${a.b} references only (no resolvers, no relative keys)`, file);
    }
    const target = expression.split('.');
    if (target.length < at.length && target.every((part, i) => part === at[i])) {
      throw interpolationError(`Interpolation to parent node detected (${at.join('.')} refers to ${expression})`, file);
    }
    const found = select(root, target);
    if (found === undefined && !isExplicitNull(root, expression.split('.'))) throw interpolationError(`Interpolation key '${expression}' not found`, file);
    return found ?? null;
  };
  const resolved = (expression: string) => resolveDeep(root, lookup(expression), expression.split('.'), file, depth + 1);
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole) return resolved(whole[1]);
  return text.replace(INTERPOLATION, (_match: string, expression: string | undefined) => {
    if (expression === undefined) return '${'; // `\${` is OmegaConf's escape for a literal `${`
    // A dict or list inside a text is printed as Python prints it, its own `${...}` unresolved (OmegaConf's str()).
    const value = lookup(expression);
    if (Array.isArray(value) || isPlainObject(value)) return pythonStr(value);
    const scalar = resolved(expression);
    return typeof scalar === 'string' ? scalar : pythonStr(scalar);
  });
}

function isExplicitNull(root: Record<string, ParamValue>, path: string[]): boolean {
  const parent = path.length === 1 ? root : select(root, path.slice(0, -1));
  return isPlainObject(parent) && parent[path[path.length - 1]] === null;
}

function interpolationError(message: string, file: string): CairnError {
  return new CairnError('USAGE', message, { file, hint: 'Give the value itself, or a ${key.path} of this file.' });
}
