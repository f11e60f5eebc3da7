import * as path from 'node:path';
import type { Range } from 'vscode-languageserver';
import { lookupPath, splitName } from './interpolation';
import type { ParamsFiles } from './paramsFile';
import type { YamlPath, YamlText } from './yamlText';

/** A place in a file: where a variable is defined. */
export interface FileLocation {
  file: string;
  range: Range;
}

/** One layer of variables: params.yaml, a vars file, or an inline `vars` map. */
interface VarSource {
  value: Record<string, unknown>;
  locate(segments: string[]): FileLocation | undefined;
}

export interface Resolution {
  found: boolean;
  value?: unknown;
  where?: FileLocation;
  /** `item`/`key` of foreach, `item.<name>` of matrix: known to exist, value only known per generated stage. */
  generated?: boolean;
}

/** The default params file DVC reads variables (and params) from, beside dvc.yaml or the stage's wdir. */
export const DEFAULT_PARAMS_FILE = 'params.yaml';

/**
 * The variables `${...}` may name in a stage of a dvc.yaml: params.yaml beside the file, the
 * top-level `vars`, the stage's own `vars`, and `item`/`key` of foreach or matrix.
 */
export class Scope {
  constructor(
    private readonly sources: VarSource[],
    private readonly generated: { names: Set<string>; matrixKeys: Set<string> },
  ) {}

  resolve(expr: string): Resolution {
    const segments = splitName(expr);
    if (!segments) return { found: true }; // not a plain name: DVC will say; we do not guess
    if (this.generated.names.has(segments[0])) {
      if (segments[0] === 'item' && this.generated.matrixKeys.size && segments.length > 1 && !this.generated.matrixKeys.has(segments[1])) return { found: false };
      return { found: true, generated: true };
    }
    for (const source of [...this.sources].reverse()) {
      if (!(segments[0] in source.value)) continue;
      const r = lookupPath(source.value, segments);
      return r.found ? { found: true, value: r.value, where: source.locate(segments) } : { found: false };
    }
    return { found: false };
  }

  /** Every name, flattened (`train`, `train.lr`), for completion; generated names first. */
  names(): string[] {
    const out = new Set<string>();
    for (const n of this.generated.names) out.add(n);
    for (const k of this.generated.matrixKeys) out.add(`item.${k}`);
    const walk = (v: unknown, prefix: string) => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return;
      for (const [k, child] of Object.entries(v)) {
        out.add(prefix + k);
        walk(child, `${prefix}${k}.`);
      }
    };
    for (const s of this.sources) walk(s.value, '');
    return [...out];
  }
}

export class PipelineVariables {
  private readonly dir: string;

  constructor(
    private readonly yaml: YamlText,
    private readonly file: string,
    private readonly params: ParamsFiles,
  ) {
    this.dir = path.dirname(file);
  }

  /** The scope of a stage (or of the top level when no stage is named). */
  scope(stage?: string): Scope {
    const sources: VarSource[] = [];
    const defaultParams = this.fileSource(path.join(this.dir, DEFAULT_PARAMS_FILE));
    if (defaultParams) sources.push(defaultParams);
    sources.push(...this.varsSources(['vars'], this.dir));
    const generated = { names: new Set<string>(), matrixKeys: new Set<string>() };
    if (stage !== undefined) {
      const def = (this.yaml.value as { stages?: Record<string, Record<string, unknown>> } | undefined)?.stages?.[stage];
      if (def && typeof def === 'object') {
        const body = (def.do && typeof def.do === 'object' ? def.do : def) as Record<string, unknown>;
        const bodyPath: YamlPath = def.do && typeof def.do === 'object' ? ['stages', stage, 'do'] : ['stages', stage];
        const wdir = typeof body.wdir === 'string' ? path.resolve(this.dir, body.wdir) : this.dir;
        sources.push(...this.varsSources([...bodyPath, 'vars'], wdir));
        if ('foreach' in def) {
          generated.names.add('item');
          if (def.foreach && typeof def.foreach === 'object' && !Array.isArray(def.foreach)) generated.names.add('key');
          if (typeof def.foreach === 'string') generated.names.add('key'); // a `${map}` foreach has keys too
        }
        if (def.matrix && typeof def.matrix === 'object') {
          generated.names.add('item');
          for (const k of Object.keys(def.matrix)) generated.matrixKeys.add(k);
        }
      }
    }
    return new Scope(sources, generated);
  }

  /** The sources of a `vars` list at `at`: files (`file.yaml`, `file.yaml:key1,key2`) and inline maps. */
  private varsSources(at: YamlPath, base: string): VarSource[] {
    const list = this.yaml.locate(at).found ? lookupPath(this.yaml.value, at.map(String)).value : undefined;
    if (!Array.isArray(list)) return [];
    const out: VarSource[] = [];
    list.forEach((entry, i) => {
      if (typeof entry === 'string') {
        const [name, keys] = entry.split(':');
        const src = this.fileSource(path.resolve(base, name));
        if (!src) return;
        if (keys) {
          const picked: Record<string, unknown> = {};
          for (const k of keys.split(',').map((s) => s.trim())) if (k in src.value) picked[k] = src.value[k];
          out.push({ ...src, value: picked });
        } else out.push(src);
      } else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
        out.push({
          value: entry as Record<string, unknown>,
          locate: (segments) => {
            const r = this.yaml.keyOrNodeRange([...at, i, ...segments]);
            return { file: this.file, range: r };
          },
        });
      }
    });
    return out;
  }

  private fileSource(file: string): VarSource | undefined {
    const parsed = this.params.get(file);
    if (!parsed) return undefined;
    return {
      value: parsed.value,
      locate: (segments) => {
        const key = parsed.keys.get(segments.join('.'));
        return key ? { file, range: key.range } : { file, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
      },
    };
  }
}
