import { nearestName } from '../nearestName';
import { isPlainObject, ParamValue } from './values';

/** An expression as messages quote it: a long one shortened (a hostile one can be megabytes). */
export function shownExpression(inner: string): string {
  return inner.length > 80 ? `${inner.slice(0, 80)}…` : inner;
}

/** Why a lookup or a merge into the context failed; the loader adds the file and line. */
export class ContextError extends Error {
  /** For a name not found: the expression as written and the near name meant ("did you mean"). */
  constructor(message: string, readonly suggestion?: { from: string; to: string }) {
    super(message);
  }
}

/**
 * The values `${}` expressions read: params.yaml of the dvc.yaml's folder (when present),
 * then `vars` in order, then a stage's own `vars`; `item`/`key` while a foreach/matrix
 * stage is generated. Redefining a value is an error, as in DVC.
 */
export class InterpolationContext {
  private data: Record<string, ParamValue> = {};
  /** Where each top-level name was defined (a file path, or `vars[0]`), for messages and go-to-definition. */
  private sources = new Map<string, string>();
  /** Files merged in, with the keys taken (null: the whole file). */
  private imports = new Map<string, string[] | null>();
  private reserved = new Set<string>();

  clone(): InterpolationContext {
    const c = new InterpolationContext();
    c.data = structuredCloneValue(this.data) as Record<string, ParamValue>;
    c.sources = new Map(this.sources);
    c.imports = new Map([...this.imports].map(([k, v]) => [k, v ? [...v] : null]));
    c.reserved = new Set(this.reserved);
    return c;
  }

  has(name: string): boolean {
    return name in this.data;
  }

  /** Where a top-level name comes from. */
  sourceOf(name: string): string | undefined {
    return this.sources.get(name);
  }

  /** Names of everything defined (top level). */
  names(): string[] {
    return Object.keys(this.data);
  }

  /**
   * Merge values from `source` (a file path or `vars[i]`). Mappings merge key by key;
   * any other value that already exists is an error naming both sources.
   */
  merge(values: Record<string, ParamValue>, source: string): void {
    const clash = Object.keys(values).filter((k) => this.reserved.has(k));
    if (clash.length) throw new ContextError(`attempted to modify reserved key${clash.length > 1 ? 's' : ''} ${clash.map((k) => `'${k}'`).join(', ')} in '${source}'`);
    const walk = (into: Record<string, ParamValue>, update: Record<string, ParamValue>, prefix: string, top: boolean) => {
      for (const [k, v] of Object.entries(update)) {
        const pathKey = prefix ? `${prefix}.${k}` : k;
        if (isPlainObject(into[k]) && isPlainObject(v)) {
          walk(into[k] as Record<string, ParamValue>, v, pathKey, false);
        } else {
          if (k in into) {
            const root = pathKey.split('.')[0];
            throw new ContextError(`cannot redefine '${pathKey}' from '${source}' as it already exists in '${this.sources.get(root) ?? 'the context'}'`);
          }
          into[k] = structuredCloneValue(v);
          if (top) this.sources.set(k, source);
        }
      }
    };
    walk(this.data, values, '', true);
    for (const k of Object.keys(values)) if (!this.sources.has(k)) this.sources.set(k, source);
  }

  /**
   * Merge a vars file (`path` already resolved against the wdir, `keys` from `file:a,b`),
   * with DVC's rules for loading one file twice.
   */
  mergeFile(filePath: string, item: string, keys: string[] | null, load: () => Record<string, ParamValue>): void {
    if (this.imports.has(filePath)) {
      const imported = this.imports.get(filePath)!;
      if (!keys && imported === null) return; // the whole file again: allowed
      if (!keys && imported) throw new ContextError(`cannot load '${item}' as it's partially loaded already`);
      if (keys && imported === null) throw new ContextError(`cannot partially load '${item}' as it's already loaded.`);
      if (keys && imported && keys.some((k) => imported.includes(k))) throw new ContextError(`cannot load '${item}' as it's partially loaded already`);
    }
    let data = load();
    if (keys) {
      const picked: Record<string, ParamValue> = {};
      for (const k of keys) {
        if (!(k in data)) throw new ContextError(`could not find '${k}' in '${filePath}'`);
        picked[k] = data[k];
      }
      data = picked;
    }
    this.merge(data, filePath);
    const before = this.imports.get(filePath);
    if (before === undefined) this.imports.set(filePath, keys ? [...keys] : null);
    else if (before && keys) before.push(...keys);
  }

  /** Set names (foreach/matrix `item` and `key`), reserved against `vars`, until the returned function restores them. */
  pushTemporary(values: Record<string, ParamValue>): () => void {
    const prev = new Map<string, { value: ParamValue; source?: string } | undefined>();
    for (const [k, v] of Object.entries(values)) {
      prev.set(k, k in this.data ? { value: this.data[k], source: this.sources.get(k) } : undefined);
      this.data[k] = v;
      this.sources.set(k, k);
    }
    const newlyReserved = Object.keys(values).filter((k) => !this.reserved.has(k));
    for (const k of newlyReserved) this.reserved.add(k);
    return () => {
      for (const k of newlyReserved) this.reserved.delete(k);
      for (const [k, p] of prev) {
        if (p) {
          this.data[k] = p.value;
          if (p.source) this.sources.set(k, p.source);
        } else {
          delete this.data[k];
          this.sources.delete(k);
        }
      }
    };
  }

  /** The value at a normalized key (`a.b.0`), or a ContextError `Could not find '<expr>'`. */
  select(normalizedKey: string, expression: string): ParamValue {
    let cur: ParamValue = this.data;
    const parts = normalizedKey.split('.');
    for (const [index, raw] of parts.entries()) {
      const part = raw.trim();
      if (Array.isArray(cur)) {
        if (!/^-?\d+$/.test(part)) throw new ContextError(`Could not find '${shownExpression(expression)}'`);
        const i = Number(part);
        const item: ParamValue | undefined = cur[i < 0 ? cur.length + i : i];
        if (item === undefined) throw new ContextError(`Could not find '${shownExpression(expression)}'`);
        cur = item;
      } else if (isPlainObject(cur)) {
        if (!(part in cur)) {
          const near = nearestName(part, Object.keys(cur));
          // Offered only when the expression is the plain dotted name, so the swap is exact.
          const meant = near && expression.trim() === normalizedKey ? [...parts.slice(0, index), near, ...parts.slice(index + 1)].join('.') : undefined;
          throw new ContextError(`Could not find '${shownExpression(expression)}'`, meant ? { from: normalizedKey, to: meant } : undefined);
        }
        cur = cur[part];
      } else {
        throw new ContextError(`Could not find '${shownExpression(expression)}'`);
      }
    }
    return cur;
  }
}

function structuredCloneValue(v: ParamValue): ParamValue {
  if (Array.isArray(v)) return v.map(structuredCloneValue);
  if (isPlainObject(v)) {
    const out: Record<string, ParamValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = structuredCloneValue(x);
    return out;
  }
  return v;
}
