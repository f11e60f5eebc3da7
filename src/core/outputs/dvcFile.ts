import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML, { Document, isMap, isScalar, isSeq, LineCounter, Pair, Scalar, YAMLMap } from 'yaml';
import { CairnError } from '../errors';
import type { HashName } from '../hashing/hashNames';
import { writeFileAtomic } from '../repo/atomicWrite';

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

const YAML_OUTPUT = { indentSeq: false, lineWidth: 0, singleQuote: true } as const;

/** A `.dvc` file: its outputs plus the parsed document, kept to rewrite it without losing comments. */
export class DvcFile {
  private constructor(
    /** Absolute path of the .dvc file. */
    readonly file: string,
    /** Path relative to the repository root, '/'-separated, for messages and JSON. */
    readonly relFile: string,
    readonly outs: OutEntry[],
    private readonly doc: Document,
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
      text = fs.readFileSync(file, 'utf8');
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
    return new DvcFile(file, relFile, outs, doc);
  }

  /** A new single-output file as `dvc add` writes it. */
  static create(file: string, relFile: string, outPath: string): DvcFile {
    const doc = new Document({ outs: [{ path: outPath }] });
    return new DvcFile(file, relFile, [{ path: outPath, hashName: 'md5', cache: true, push: true, line: 2 }], doc);
  }

  /** Record new hashes for output `index` as a DVC 3 entry, keeping its other keys and the file's comments. */
  setHashes(index: number, h: { md5: string; size: number; nfiles?: number; isexec?: boolean }): void {
    const out = this.outs[index];
    Object.assign(out, { md5: h.md5, size: h.size, nfiles: h.nfiles, isexec: h.isexec || undefined, hashName: 'md5' as HashName });
    const seq = this.doc.get('outs', true) as YAML.YAMLSeq;
    const old = seq.items[index] as YAMLMap;
    const fresh = new YAMLMap();
    fresh.commentBefore = old.commentBefore;
    fresh.comment = old.comment;
    const values: Record<string, unknown> = { md5: h.md5, size: h.size, nfiles: h.nfiles, isexec: h.isexec || undefined, hash: 'md5', path: out.path };
    for (const key of HASH_KEY_ORDER) {
      if (values[key] === undefined) continue;
      const existing = old.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (existing && key === 'path') fresh.items.push(existing);
      else fresh.items.push(new Pair(new Scalar(key), new Scalar(values[key])));
    }
    for (const pair of old.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!HASH_KEY_ORDER.includes(key)) fresh.items.push(pair);
    }
    seq.items[index] = fresh;
  }

  serialize(): string {
    return this.doc.toString(YAML_OUTPUT);
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.file, this.serialize());
  }
}
