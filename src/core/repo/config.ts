import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { readRepoFileSync } from './readRepoFile';

/** One section of a DVC config file: `[core]` or `['remote "name"']`, keys in file order. */
export type ConfigSection = Map<string, string>;
export type ConfigLevel = 'system' | 'global' | 'repo' | 'local';

/** A parsed ConfigObj INI file, as DVC reads and writes `.dvc/config`. */
export class ConfigFile {
  constructor(
    readonly file: string,
    readonly sections: Map<string, ConfigSection> = new Map(),
  ) {}

  static read(file: string): ConfigFile {
    let text: string;
    try {
      text = readRepoFileSync(file).toString('utf8');
    } catch (err) {
      if (err instanceof CairnError) throw err;
      return new ConfigFile(file);
    }
    return ConfigFile.parse(text, file);
  }

  static parse(text: string, file: string): ConfigFile {
    const config = new ConfigFile(file);
    let section: ConfigSection | undefined;
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
      const header = /^\[\s*(.+?)\s*\]$/.exec(line);
      if (header) {
        const name = unquote(header[1]);
        section = config.sections.get(name) ?? new Map();
        config.sections.set(name, section);
        return;
      }
      const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
      if (!kv || !section) {
        throw new CairnError('BAD_FILE', `cannot parse config line '${line}'.`, {
          file,
          line: i + 1,
          hint: 'Expected `[section]` or `key = value`; fix or remove the line.',
        });
      }
      section.set(kv[1].trim(), unquote(stripInlineComment(kv[2])));
    });
    return config;
  }

  get(section: string, key: string): string | undefined {
    return this.sections.get(section)?.get(key);
  }

  set(section: string, key: string, value: string): void {
    let s = this.sections.get(section);
    if (!s) this.sections.set(section, (s = new Map()));
    s.set(key, value);
  }

  unset(section: string, key: string): void {
    const s = this.sections.get(section);
    if (!s) return;
    s.delete(key);
    if (s.size === 0) this.sections.delete(section);
  }

  /** ConfigObj's output: a quoted header when the name has a space or quote, 4-space indented keys. */
  serialize(): string {
    let out = '';
    // As DVC saves: plain sections (`[core]`, `[cache]`…) in their order, then named ones (`['remote "x"']`).
    const named = (name: string) => / "/.test(name);
    const ordered = [...this.sections].sort(([a], [b]) => Number(named(a)) - Number(named(b)));
    for (const [name, entries] of ordered) {
      out += /[\s"']/.test(name) ? `['${name}']\n` : `[${name}]\n`;
      for (const [k, v] of entries) out += `    ${k} = ${quoteValue(v)}\n`;
    }
    return out;
  }

  async write(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, this.serialize());
  }
}

/** ConfigObj quotes a value that would otherwise read as a list or a comment, or lose its edge spaces. */
function quoteValue(v: string): string {
  if (!/[,#]|^\s|\s$/.test(v) && v !== '') return v;
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

function stripInlineComment(s: string): string {
  if (/^\s*["']/.test(s)) return s;
  const hash = s.indexOf(' #');
  return hash >= 0 ? s.slice(0, hash) : s;
}

/** All four levels merged, later levels winning, as DVC reads them. */
export class RepoConfig {
  constructor(readonly levels: Map<ConfigLevel, ConfigFile>) {}

  static load(dvcDir: string): RepoConfig {
    const levels = new Map<ConfigLevel, ConfigFile>();
    const xdgConfig = process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config');
    levels.set('system', ConfigFile.read(process.env.DVC_SYSTEM_CONFIG_DIR ? path.join(process.env.DVC_SYSTEM_CONFIG_DIR, 'config') : '/etc/xdg/dvc/config'));
    levels.set('global', ConfigFile.read(path.join(process.env.DVC_GLOBAL_CONFIG_DIR ?? path.join(xdgConfig, 'dvc'), 'config')));
    levels.set('repo', ConfigFile.read(path.join(dvcDir, 'config')));
    levels.set('local', ConfigFile.read(path.join(dvcDir, 'config.local')));
    return new RepoConfig(levels);
  }

  get(section: string, key: string): string | undefined {
    let value: string | undefined;
    for (const level of ['system', 'global', 'repo', 'local'] as const) {
      value = this.levels.get(level)?.get(section, key) ?? value;
    }
    return value;
  }

  /** The file that set a value, for resolving relative paths against it. */
  fileOf(section: string, key: string): string | undefined {
    let file: string | undefined;
    for (const level of ['system', 'global', 'repo', 'local'] as const) {
      const f = this.levels.get(level);
      if (f?.get(section, key) !== undefined) file = f.file;
    }
    return file;
  }

  getBool(section: string, key: string): boolean {
    return /^(true|yes|on|1)$/i.test(this.get(section, key) ?? '');
  }
}
