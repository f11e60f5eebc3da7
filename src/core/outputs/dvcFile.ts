import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML, { Document, LineCounter, Pair, Scalar, YAMLMap } from 'yaml';
import { CairnError } from '../errors';
import type { HashName } from '../hashing/hashNames';
import { writeFileAtomic } from '../repo/atomicWrite';
import { readRepoFileSync } from '../repo/readRepoFile';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { checkDvcDocument } from './dvcFileCheck';

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

/** DVC writes an output's keys in this order; other keys follow in the order they had. */
const HASH_KEY_ORDER = ['md5', 'size', 'nfiles', 'isexec', 'hash', 'path'];


/** A `.dvc` file: its outputs plus the parsed document, kept to rewrite it without losing comments. */
/** Where `dvc import` (a repository's path at a commit) or `dvc import-url` (a URL) took an output from. */
export interface ImportSource {
  url: string;
  path?: string;
  rev?: string;
  revLock?: string;
}

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

  /** The `wdir:` output paths are relative to (from the file's folder), as DVC reads it. */
  private get wdir(): string {
    const wdir = this.doc.get('wdir');
    return typeof wdir === 'string' ? wdir : '';
  }

  /** The file's own `desc:` (what `stage list` shows for it), if it has one. */
  get desc(): string | undefined {
    const desc = this.doc.get('desc');
    return typeof desc === 'string' ? desc : undefined;
  }

  get dir(): string {
    return path.dirname(this.file);
  }

  /**
   * Where an imported output came from (`dvc import`: the repository URL, path and the commit
   * locked; `dvc import-url`: the URL), or undefined for a `dvc add`ed one. Plain strings only.
   */
  get importSource(): ImportSource | undefined {
    const dep = this.doc.toJS({ maxAliasCount: 100 })?.deps?.[0] as Record<string, unknown> | undefined;
    if (!dep || typeof dep !== 'object' || typeof dep.path !== 'string') return undefined;
    const repo = dep.repo as Record<string, unknown> | undefined;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    if (repo && typeof repo === 'object' && typeof repo.url === 'string') {
      return { url: repo.url, path: dep.path, ...(str(repo.rev) ? { rev: str(repo.rev) } : {}), ...(str(repo.rev_lock) ? { revLock: str(repo.rev_lock) } : {}) };
    }
    return { url: dep.path };
  }

  /** Absolute path of an output in the workspace. */
  outPath(out: OutEntry): string {
    return path.resolve(this.dir, this.wdir, ...out.path.split('/'));
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
    const doc = parseYamlDocument(text, relFile, lineCounter);
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new CairnError('BAD_FILE', `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {
        file: relFile,
        line: e.linePos?.[0].line,
        hint: 'Fix the YAML syntax.',
      });
    }
    const checked = checkDvcDocument(doc, path.dirname(file), root);
    const error = checked.problems.find((p) => p.severity === 'error');
    if (error) throw new CairnError(error.code, error.message, { file: relFile, line: lineCounter.linePos(error.range[0]).line, hint: error.hint });
    const outs: OutEntry[] = checked.outs.map(({ path: outPath, values: v, offset }) => ({
      path: outPath,
      md5: (v.md5 ?? undefined) as string | undefined,
      size: (v.size ?? undefined) as number | undefined,
      nfiles: (v.nfiles ?? undefined) as number | undefined,
      isexec: v.isexec === true ? true : undefined,
      hashName: v.hash === 'md5' || v.md5 === undefined || v.md5 === null ? 'md5' : 'md5-dos2unix',
      cache: v.cache !== false,
      push: v.push !== false,
      remote: v.remote as string | undefined,
      type: v.type as string | undefined,
      desc: v.desc as string | undefined,
      line: lineCounter.linePos(offset).line,
    }));
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
   * they were; a key the entry lacked (e.g. `hash:` of a DVC 2 entry) is added at its end, and
   * one without a value here (a `size` not known) is dropped.
   */
  setHashes(index: number, h: { md5: string; size?: number; nfiles?: number; isexec?: boolean }): void {
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
