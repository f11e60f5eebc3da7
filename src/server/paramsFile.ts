import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, Node } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import type { Range } from 'vscode-languageserver';
import { checkDocumentSize } from '../core/pipeline/limits';
import { keyString, YamlText } from './yamlText';

/** One key of a params file, flattened to DVC's dotted form (`train.lr`). */
export interface ParamKey {
  key: string;
  value: unknown;
  /** Where the key is written; the file's start for TOML (no positions). */
  range: Range;
}

/** A parameters or vars file (YAML, JSON or TOML) with every key's place. */
export interface ParamsFile {
  file: string;
  value: Record<string, unknown>;
  keys: Map<string, ParamKey>;
  /** The parsed YAML (YAML and JSON files), for edits such as adding a missing key. */
  yaml?: YamlText;
}

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function parseParamsText(file: string, text: string): ParamsFile {
  const keys = new Map<string, ParamKey>();
  if (file.endsWith('.toml')) {
    let value: Record<string, unknown> = {};
    try {
      checkDocumentSize(text, file);
      value = parseToml(text) as Record<string, unknown>;
    } catch {
      /* an unreadable file has no keys */
    }
    const walk = (obj: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(obj)) {
        const key = prefix + k;
        keys.set(key, { key, value: v, range: START });
        if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) walk(v as Record<string, unknown>, key + '.');
      }
    };
    walk(value, '');
    return { file, value, keys };
  }
  const yaml = new YamlText(text, path.basename(file));
  const walk = (node: unknown, prefix: string) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = prefix + keyString(pair.key);
      const keyNode = pair.key as Node;
      const v = pair.value as Node | null;
      keys.set(key, { key, value: v ? (v as unknown as { toJSON(): unknown }).toJSON() : null, range: yaml.nodeRange(keyNode) ?? START });
      walk(v, key + '.');
    }
  };
  walk(yaml.doc.contents, '');
  const value = yaml.value;
  return { file, value: value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}, keys, yaml };
}

/** Reads params and vars files from disk, parsing each again only when its size or mtime changed. */
export class ParamsFiles {
  private readonly cache = new Map<string, { stamp: string; parsed: ParamsFile }>();

  /** The file parsed, or undefined when it does not exist. */
  get(file: string): ParamsFile | undefined {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.cache.delete(file);
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const stamp = `${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit?.stamp === stamp) return hit.parsed;
    const parsed = parseParamsText(file, fs.readFileSync(file, 'utf8'));
    this.cache.set(file, { stamp, parsed });
    return parsed;
  }

  forget(file: string): void {
    this.cache.delete(path.resolve(file));
  }
}
