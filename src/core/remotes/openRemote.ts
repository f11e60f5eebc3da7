import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { configuredRemotes, urlScheme } from './remoteConfig';
import { LocalRemote } from './localRemote';
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
  const scheme = urlScheme(r.url);
  if (scheme === '') {
    const root = r.url.startsWith('file://') ? fileURLToPath(r.url) : r.url;
    return withJobs(new LocalRemote(remoteName, r.url, root, repo.pool), jobs);
  }
  if (scheme === 's3') return withJobs(new S3Remote(remoteName, r.url, o, Math.max(64, jobs ?? 0)), jobs);
  throw new CairnError('REMOTE', `remote '${remoteName}' uses '${scheme}://', which Cairn does not support yet.`, {
    file: repo.rel(r.file),
    hint: 'Supported: a local or mounted folder (a path or file://) and S3 or S3-compatible storage (s3://).',
  });
}

function withJobs<T extends Remote>(remote: T, jobs: number | undefined): T {
  if (jobs) Object.defineProperty(remote, 'defaultJobs', { value: jobs });
  return remote;
}
