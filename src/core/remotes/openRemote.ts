import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { configuredRemotes, urlScheme } from './remoteConfig';
import { LocalRemote } from './localRemote';
import { redactUrl } from './redactUrl';
import { S3Remote } from './s3Remote';
import type { Remote } from './remote';

/** The remote's name to use: the one asked for, else `core.remote`; an error naming what to do when there is none. */
export function remoteNameFor(repo: Repo, name: string | undefined, command = 'push'): string {
  if (name) return name;
  const def = repo.config.get('core', 'remote');
  if (def) return def;
  const any = configuredRemotes(repo).size > 0;
  throw new CairnError('REMOTE', `no remote specified in ${repo.root}.`, {
    hint: any ? `Set a default with \`cairn remote default <name>\`, or use \`cairn ${command} -r <name>\`.` : 'Add one with `cairn remote add -d <name> <url>`.',
  });
}

/** A connection to the named remote (or the default), from the merged config levels. */
export function openRemote(repo: Repo, name: string | undefined, command = 'push'): Remote {
  const remoteName = remoteNameFor(repo, name, command);
  const r = configuredRemotes(repo).get(remoteName);
  if (!r) {
    throw new CairnError('REMOTE', `remote '${remoteName}' doesn't exist.`, { file: repo.rel(path.join(repo.dvcDir, 'config')), hint: 'See `cairn remote list`.' });
  }
  if (!r.url) throw new CairnError('REMOTE', `remote '${remoteName}' has no url.`, { file: repo.rel(r.file), hint: `Set it: \`cairn remote modify ${remoteName} url <url>\`.` });
  const o = Object.fromEntries(r.options);
  const jobs = o.jobs ? Number(o.jobs) : undefined;
  if (jobs !== undefined && !(Number.isSafeInteger(jobs) && jobs >= 1)) {
    throw new CairnError('REMOTE', `remote '${remoteName}' has jobs = '${o.jobs}', not a whole number of at least 1.`, { file: repo.rel(r.file), hint: `Fix it: \`cairn remote modify ${remoteName} jobs 4\`.` });
  }
  const scheme = urlScheme(r.url);
  if (scheme === '') {
    const root = r.url.startsWith('file://') ? folderOfFileUrl(r.url, remoteName, repo.rel(r.file)) : r.url;
    return withJobs(new LocalRemote(remoteName, redactUrl(r.url), root, repo.pool), jobs);
  }
  if (scheme === 's3') {
    try {
      return withJobs(new S3Remote(remoteName, r.url, o, Math.max(64, jobs ?? 0)), jobs);
    } catch (err) {
      if (err instanceof CairnError) throw new CairnError('REMOTE', `remote '${remoteName}': ${err.message}`, { ...err.options, file: repo.rel(r.file) });
      throw err;
    }
  }
  throw new CairnError('REMOTE', `remote '${remoteName}' uses '${scheme}://', which Cairn does not support yet.`, {
    file: repo.rel(r.file),
    hint: 'Supported: a local or mounted folder (a path or file://) and S3 or S3-compatible storage (s3://).',
  });
}

/** The folder a `file://` URL names, or one clear line saying why it names none (`file://user:pw@/x`, a host, `%2F`...). */
function folderOfFileUrl(url: string, remoteName: string, configFile: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    throw new CairnError('REMOTE', `remote '${remoteName}' has url '${redactUrl(url)}', which names no local folder.`, {
      file: configFile,
      hint: 'A folder remote is a path, or file:///absolute/path (no user, password or host).',
    });
  }
}

function withJobs<T extends Remote>(remote: T, jobs: number | undefined): T {
  if (jobs) Object.defineProperty(remote, 'defaultJobs', { value: jobs });
  return remote;
}
