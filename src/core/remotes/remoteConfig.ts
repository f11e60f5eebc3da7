import * as path from 'node:path';
import { CairnError } from '../errors';
import { ConfigFile } from '../repo/config';
import { redactUrl } from './redactUrl';
import type { Repo } from '../repo/repo';

/** Where `cairn remote` writes: `.dvc/config` (shared, committed) or `.dvc/config.local` (private). */
export type RemoteLevel = 'repo' | 'local';

export const remoteSection = (name: string) => `remote "${name}"`;

/** Options DVC accepts for every remote, for local folders, and for S3 (its config schema). */
const COMMON_OPTIONS = new Set(['url', 'checksum_jobs', 'jobs', 'worktree', 'no_traverse', 'version_aware']);
const LOCAL_OPTIONS = new Set(['type', 'protected', 'shared', 'slow_link_warning', 'verify']);
const S3_OPTIONS = new Set([
  'region', 'profile', 'credentialpath', 'configpath', 'endpointurl', 'access_key_id', 'secret_access_key', 'session_token',
  'listobjects', 'use_ssl', 'allow_anonymous_login', 'ssl_verify', 'sse', 'sse_kms_key_id', 'sse_customer_algorithm',
  'sse_customer_key', 'acl', 'grant_read', 'grant_read_acp', 'grant_write_acp', 'grant_full_control', 'cache_regions',
  'read_timeout', 'connect_timeout', 'verify',
]);
const INT_OPTIONS = new Set(['jobs', 'checksum_jobs']);

/** `s3` for `s3://…`, '' for a local path or `file://` (DVC's schema key), else the scheme. */
export function urlScheme(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!m) return '';
  const scheme = m[1].toLowerCase();
  return scheme === 'file' ? '' : scheme;
}

/** As DVC stores a local path: a relative one (from the user's cwd) becomes relative to the config file's folder. */
function storedUrl(url: string, configFile: string, cwd: string): string {
  if (urlScheme(url) !== '' || url.startsWith('file://') || path.isAbsolute(url)) return url;
  return path.relative(path.dirname(configFile), path.resolve(cwd, url)).split(path.sep).join('/') || '.';
}

function levelFile(repo: Repo, level: RemoteLevel): ConfigFile {
  return ConfigFile.read(path.join(repo.dvcDir, level === 'local' ? 'config.local' : 'config'));
}

function checkName(name: string): void {
  if (!name || /["\]\[\n]/.test(name)) throw new CairnError('USAGE', `'${name}' is not a valid remote name.`, { hint: 'Use letters, digits, `-`, `_` or spaces.' });
}

/** Every remote configured at any level (later levels win), with its url resolved as DVC resolves it. */
export function configuredRemotes(repo: Repo): Map<string, { url: string; file: string; options: Map<string, string> }> {
  const remotes = new Map<string, { url: string; file: string; options: Map<string, string> }>();
  for (const level of ['system', 'global', 'repo', 'local'] as const) {
    const file = repo.config.levels.get(level);
    if (!file) continue;
    for (const [section, entries] of file.sections) {
      const m = /^remote "(.+)"$/.exec(section);
      if (!m) continue;
      const known = remotes.get(m[1]);
      const options = new Map([...(known?.options ?? []), ...entries]);
      const url = entries.get('url');
      remotes.set(m[1], { url: url !== undefined ? resolveStoredUrl(url, file.file) : known?.url ?? '', file: url !== undefined ? file.file : known?.file ?? file.file, options });
    }
  }
  return remotes;
}

/** A stored url as a usable one: relative local paths resolve against the folder of the config file that holds them. */
export function resolveStoredUrl(url: string, configFile: string): string {
  if (urlScheme(url) !== '' || url.startsWith('file://') || path.isAbsolute(url)) return url;
  return path.resolve(path.dirname(configFile), url);
}

export interface RemoteListing {
  name: string;
  url: string;
  default: boolean;
}

/** `dvc remote list`: names and urls (local paths absolute, user-info redacted: this is what is shown), the default marked. */
export function listRemotes(repo: Repo): RemoteListing[] {
  const def = repo.config.get('core', 'remote');
  return [...configuredRemotes(repo)].map(([name, r]) => ({ name, url: redactUrl(r.url), default: name === def }));
}

/** `dvc remote add`. */
export async function addRemote(repo: Repo, name: string, url: string, options: { level?: RemoteLevel; default?: boolean; force?: boolean; cwd: string }): Promise<void> {
  checkName(name);
  const file = levelFile(repo, options.level ?? 'repo');
  const section = remoteSection(name);
  if (file.sections.has(section) && !options.force) {
    throw new CairnError('USAGE', `remote '${name}' already exists.`, { file: repo.rel(file.file), hint: 'Use `-f|--force` to overwrite it.' });
  }
  // Overwriting (-f) replaces the section's options where it stands, as dvc does.
  file.sections.set(section, new Map([['url', storedUrl(url, file.file, options.cwd)]]));
  if (options.default) file.set('core', 'remote', name);
  await file.write();
}

function requireRemote(repo: Repo, file: ConfigFile, name: string): void {
  if (!file.sections.has(remoteSection(name))) {
    throw new CairnError('USAGE', `remote '${name}' doesn't exist.`, { file: repo.rel(file.file), hint: 'See `cairn remote list`.' });
  }
}

/** `dvc remote modify`: set or unset one option, checked against the options the remote's kind accepts. */
export async function modifyRemote(
  repo: Repo,
  name: string,
  option: string,
  value: string | undefined,
  options: { level?: RemoteLevel; unset?: boolean; cwd: string },
): Promise<void> {
  const file = levelFile(repo, options.level ?? 'repo');
  // A remote defined in one file may get options in another (credentials in config.local).
  if (!configuredRemotes(repo).has(name)) requireRemote(repo, file, name);
  const section = remoteSection(name);
  const url = configuredRemotes(repo).get(name)?.url ?? file.get(section, 'url') ?? '';
  const scheme = urlScheme(option === 'url' && value ? value : url);
  const allowed = scheme === 's3' ? S3_OPTIONS : scheme === '' ? LOCAL_OPTIONS : undefined;
  if (!options.unset && !COMMON_OPTIONS.has(option) && allowed && !allowed.has(option)) {
    throw new CairnError('USAGE', `option '${option}' is not known for ${scheme === 's3' ? 'an S3' : 'a local'} remote.`, {
      hint: `Options: ${[...COMMON_OPTIONS, ...allowed].sort().join(', ')}.`,
    });
  }
  if (options.unset) {
    file.sections.get(section)?.delete(option); // DVC keeps the (possibly empty) section; unsetting an absent option is not an error
    await file.write();
    return;
  }
  if (value === undefined) throw new CairnError('USAGE', `give a value for '${option}', or --unset it.`);
  if (INT_OPTIONS.has(option) && !(/^\d+$/.test(value) && Number(value) >= 1)) {
    throw new CairnError('USAGE', `'${option}' must be a whole number of at least 1, got '${value}'.`);
  }
  file.set(section, option, option === 'url' ? storedUrl(value, file.file, options.cwd) : value);
  await file.write();
}

/** `dvc remote remove`: the section goes, and `core.remote` at that level if it named it. */
export async function removeRemote(repo: Repo, name: string, options: { level?: RemoteLevel } = {}): Promise<void> {
  const file = levelFile(repo, options.level ?? 'repo');
  requireRemote(repo, file, name);
  file.sections.delete(remoteSection(name));
  if (file.get('core', 'remote') === name) file.unset('core', 'remote');
  await file.write();
}

/** `dvc remote rename`: the section moves to the end under its new name; a default naming it follows. */
export async function renameRemote(repo: Repo, name: string, newName: string, options: { level?: RemoteLevel } = {}): Promise<void> {
  checkName(newName);
  const file = levelFile(repo, options.level ?? 'repo');
  requireRemote(repo, file, name);
  if (configuredRemotes(repo).has(newName)) throw new CairnError('USAGE', `remote '${newName}' already exists.`, { file: repo.rel(file.file) });
  const entries = file.sections.get(remoteSection(name))!;
  file.sections.delete(remoteSection(name));
  file.sections.set(remoteSection(newName), entries);
  if (file.get('core', 'remote') === name) file.set('core', 'remote', newName);
  await file.write();
}

/** `dvc remote default`: read it (name undefined), set it, or unset it. */
export async function defaultRemote(repo: Repo, name: string | undefined, options: { level?: RemoteLevel; unset?: boolean } = {}): Promise<string | undefined> {
  if (name === undefined && !options.unset) return repo.config.get('core', 'remote');
  const file = levelFile(repo, options.level ?? 'repo');
  if (options.unset) file.unset('core', 'remote');
  else {
    if (!configuredRemotes(repo).has(name!)) {
      throw new CairnError('USAGE', 'default remote must be present in remote list.', { hint: `Add it first: \`cairn remote add ${name} <url>\`.` });
    }
    file.set('core', 'remote', name!);
  }
  await file.write();
  return undefined;
}
