import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML, { Document, isMap, isScalar, isSeq, LineCounter, Pair, Scalar, YAMLMap } from 'yaml';
import { CairnError } from '../errors';
import type { HashName } from '../hashing/hashNames';
import { writeFileAtomic } from '../repo/atomicWrite';
import { readRepoFileSync } from '../repo/readRepoFile';

/** One output of a `.dvc` file. */
export interface OutEntry {
  /** As written in the file: relative to the file's folder, '/'-separated. */
  path: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** `md5` for DVC 3 entries; `md5-dos2unix` for DVC 2 entries (no `hash:` key). */
  hashName: HashName;
  cache: boolean;
  push: boolean;
  remote?: string;
  type?: string;
  desc?: string;
  /** 1-based line of the entry, for messages. */
  line: number;
}

const TOP_KEYS = new Set(['outs', 'deps', 'md5', 'cmd', 'wdir', 'frozen', 'locked', 'meta', 'desc', 'always_changed']);
const OUT_KEYS = new Set([
  'path', 'md5', 'etag', 'checksum', 'size', 'nfiles', 'isexec', 'hash', 'cache', 'metric', 'plot', 'persist',
  'desc', 'type', 'labels', 'meta', 'remote', 'push', 'files', 'version_id', 'cloud',
]);
/** DVC writes an output's keys in this order; other keys follow in the order they had. */
const HASH_KEY_ORDER = ['md5', 'size', 'nfiles', 'isexec', 'hash', 'path'];


/** A `.dvc` file: its outputs plus the parsed document, kept to rewrite it without losing comments. */
export class DvcFile {
  private edits: { start: number; end: number; text: string }[] = [];
  private isNew = false;

  private constructor(
    /** Absolute path of the .dvc file. */
    readonly file: string,
    /** Path relative to the repository root, '/'-separated, for messages and JSON. */
    readonly relFile: string,
    private readonly root: string,
    readonly outs: OutEntry[],
    /** The file's text as read; edits are applied to it on save. */
    private text: string,
    private doc: Document,
  ) {}

  get dir(): string {
    return path.dirname(this.file);
  }

  /** Absolute path of an output in the workspace. */
  outPath(out: OutEntry): string {
    return path.resolve(this.dir, ...out.path.split('/'));
  }

  static load(file: string, relFile: string, root: string): DvcFile {
    let text: string;
    try {
      text = readRepoFileSync(file, relFile).toString('utf8');
    } catch (err) {
      throw new CairnError('BAD_FILE', `cannot read: ${(err as Error).message}`, { file: relFile });
    }
    return DvcFile.parse(text, file, relFile, root);
  }

  static parse(text: string, file: string, relFile: string, root: string): DvcFile {
    const lineCounter = new LineCounter();
    const doc = YAML.parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: true });
    const lineOf = (node: unknown): number | undefined => {
      const range = (node as { range?: [number, number, number] })?.range;
      return range ? lineCounter.linePos(range[0]).line : undefined;
    };
    const fail = (message: string, node?: unknown, hint = 'Fix the file, or restore it with `git checkout -- ' + relFile + '`.'): never => {
      throw new CairnError('BAD_FILE', message, { file: relFile, line: lineOf(node), hint });
    };
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new CairnError('BAD_FILE', `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {
        file: relFile,
        line: e.linePos?.[0].line,
        hint: 'Fix the YAML syntax.',
      });
    }
    const top = doc.contents;
    if (!isMap(top)) fail('expected a mapping with an `outs:` list', top);
    const topMap = top as YAMLMap;
    for (const pair of topMap.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!TOP_KEYS.has(key)) fail(`unknown key '${key}'`, pair.key, `Allowed keys: ${[...TOP_KEYS].join(', ')}.`);
    }
    const outsNode = topMap.get('outs', true);
    if (!isSeq(outsNode)) fail('`outs:` must be a list of outputs', outsNode ?? topMap);
    const outs: OutEntry[] = [];
    for (const item of (outsNode as unknown as YAML.YAMLSeq).items) {
      if (!isMap(item)) fail('each output must be a mapping with a `path:`', item);
      const map = item as YAMLMap;
      const get = (k: string) => map.get(k);
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!OUT_KEYS.has(key)) fail(`unknown key '${key}' in output`, pair.key, `Allowed keys: ${[...OUT_KEYS].join(', ')}.`);
      }
      const outPath = get('path');
      if (typeof outPath !== 'string' || outPath === '') fail('output has no `path:`', map);
      const abs = path.resolve(path.dirname(file), outPath as string);
      const relToRoot = path.relative(root, abs);
      if (relToRoot === '' || relToRoot.startsWith('..') || path.isAbsolute(relToRoot)) {
        throw new CairnError('PATH_OUTSIDE_REPO', `output path '${outPath}' is outside the repository`, {
          file: relFile,
          line: lineOf(map.get('path', true)),
          hint: 'Outputs must live inside the repository.',
        });
      }
      const md5 = get('md5');
      if (md5 !== undefined && (typeof md5 !== 'string' || !/^[0-9a-f]{32}(\.dir)?$/.test(md5))) {
        fail(`'md5' must be a 32-digit hex hash`, map.get('md5', true));
      }
      const hash = get('hash');
      if (hash !== undefined && hash !== 'md5') fail(`unsupported hash '${hash}' (only md5)`, map.get('hash', true));
      for (const k of ['size', 'nfiles']) {
        const v = get(k);
        if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) fail(`'${k}' must be a whole number`, map.get(k, true));
      }
      outs.push({
        path: outPath as string,
        md5: md5 as string | undefined,
        size: (get('size') as number | undefined) ?? undefined,
        nfiles: (get('nfiles') as number | undefined) ?? undefined,
        isexec: get('isexec') === true ? true : undefined,
        hashName: hash === 'md5' ? 'md5' : md5 === undefined ? 'md5' : 'md5-dos2unix',
        cache: get('cache') !== false,
        push: get('push') !== false,
        remote: typeof get('remote') === 'string' ? (get('remote') as string) : undefined,
        type: typeof get('type') === 'string' ? (get('type') as string) : undefined,
        desc: typeof get('desc') === 'string' ? (get('desc') as string) : undefined,
        line: lineOf(map) ?? 1,
      });
    }
    return new DvcFile(file, relFile, root, outs, text, doc);
  }

  /** A new single-output file as `dvc add` writes it (its hashes come with `setHashes`). */
  static create(file: string, relFile: string, outPath: string, root: string): DvcFile {
    const created = DvcFile.parse(`outs:\n- path: ${renderScalar(outPath)}\n`, file, relFile, root);
    created.isNew = true;
    return created;
  }

  /**
   * Record new hashes for output `index` as a DVC 3 entry. The file's text is edited only
   * where values change (as DVC's rewrite does): comments, spacing and other keys stay as
   * they were; a key the entry lacked (e.g. `hash:` of a DVC 2 entry) is added at its end.
   */
  setHashes(index: number, h: { md5: string; size: number; nfiles?: number; isexec?: boolean }): void {
    const out = this.outs[index];
    Object.assign(out, { md5: h.md5, size: h.size, nfiles: h.nfiles, isexec: h.isexec || undefined, hashName: 'md5' as HashName });
    const values: Record<string, string | number | boolean | undefined> = {
      md5: h.md5,
      size: h.size,
      nfiles: h.nfiles,
      isexec: h.isexec || undefined,
      hash: 'md5',
    };
    if (this.isNew) {
      // DVC's own order for a new entry.
      const lines = HASH_KEY_ORDER.filter((k) => k === 'path' || values[k] !== undefined).map(
        (k) => `${k}: ${k === 'path' ? renderScalar(out.path) : renderScalar(values[k]!)}`,
      );
      this.text = `outs:\n- ${lines.join('\n  ')}\n`;
      return;
    }
    const map = (this.doc.get('outs', true) as unknown as YAML.YAMLSeq).items[index] as YAMLMap;
    const text = this.text;
    const lineStart = (pos: number) => text.lastIndexOf('\n', pos - 1) + 1;
    const lineEnd = (pos: number) => {
      const nl = text.indexOf('\n', pos);
      return nl < 0 ? text.length : nl + 1;
    };
    const pairs = map.items as Pair<Scalar, Scalar>[];
    const keyStart = (p: Pair<Scalar, Scalar>) => p.key.range![0];
    const valueEnd = (p: Pair<Scalar, Scalar>) => (p.value?.range ?? p.key.range!)[1];
    const indent = ' '.repeat(keyStart(pairs[0]) - lineStart(keyStart(pairs[0])));
    const last = pairs[pairs.length - 1];
    let insertAt = lineEnd(valueEnd(last));
    let inserted = '';
    for (const key of ['md5', 'size', 'nfiles', 'isexec', 'hash']) {
      const pairIndex = pairs.findIndex((p) => p.key.value === key);
      const pair = pairs[pairIndex];
      const value = values[key];
      if (pair && value !== undefined) {
        if (pair.value?.range && pair.value.value !== value) {
          this.edits.push({ start: pair.value.range[0], end: pair.value.range[1], text: renderScalar(value) });
        }
      } else if (pair) {
        // Drop the key's line; the first key of a list item keeps the item's `- `.
        const isFirst = pairIndex === 0;
        const start = isFirst ? keyStart(pair) : lineStart(keyStart(pair));
        const end = isFirst ? keyStart(pairs[1]) : lineEnd(valueEnd(pair));
        this.edits.push({ start, end, text: '' });
        if (pair === last) insertAt = start;
      } else if (value !== undefined) {
        inserted += `${indent}${key}: ${renderScalar(value)}\n`;
      }
    }
    if (inserted) {
      const needsNewline = insertAt === text.length && !text.endsWith('\n');
      this.edits.push({ start: insertAt, end: insertAt, text: (needsNewline ? '\n' : '') + inserted });
    }
  }

  serialize(): string {
    let text = this.text;
    const edits = [...this.edits].sort((a, b) => b.start - a.start || b.end - a.end);
    for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    return text;
  }

  async save(): Promise<void> {
    const text = this.serialize();
    await writeFileAtomic(this.file, text);
    // Later edits apply to what is on disk now.
    const saved = DvcFile.parse(text, this.file, this.relFile, this.root);
    this.text = text;
    this.doc = saved.doc;
    this.edits = [];
    this.isNew = false;
  }
}

/** A YAML scalar as DVC (ruamel) writes it: plain when it can be, else single-quoted. */
function renderScalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  return YAML.stringify(value, { singleQuote: true, lineWidth: 0 }).trimEnd();
}
