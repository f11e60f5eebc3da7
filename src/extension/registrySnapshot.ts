import type { Repo } from '../core/repo/repo';
import { CairnError } from '../core/errors';
import { runGit } from '../core/scm/git';
import { parseExperimentRef } from '../core/experiments/refs';
import { readRuns } from '../core/metrics/runs';
import { redactUrl } from '../core/remotes/redactUrl';
import { declaredArtifacts, DeclaredArtifact } from '../core/registry/declaredArtifacts';
import { readRegistry } from '../core/registry/registry';
import type { ArtifactVersion } from '../core/registry/state';
import { isoTime } from '../core/registry/readTags';
import { bumpSemVer, FIRST_VERSION, parseSemVer } from '../core/registry/semver';
import type { Value } from '../../webview/messages';

/** One version of a model as the Model Registry view shows it: plain data from the core worker. */
export interface ModelVersionInfo {
  version: string;
  commit: string;
  /** The stages `gto show` shows this version in (each stage shows its newest assignment). */
  stages: string[];
  /** Every stage assigned to it now (what Unassign offers), newest first. */
  assignedStages: string[];
  /** A registration tag made it (else gto only found it, at an assignment). */
  registered: boolean;
  /** Who registered (or assigned) it, and when (ISO 8601 with the tagger's offset, as gto prints it). */
  author: string;
  created: string;
  commitMessage: string;
  /** The commit's author and time (ISO 8601 with its offset); empty when the commit could not be read. */
  commitAuthor: string;
  commitTime: string;
  /** Experiments whose ref points at the commit, and branches at it. */
  experiments: string[];
  branches: string[];
  /** `file:key` → value: the metrics of the commit. */
  metrics: Record<string, Value>;
  /** Why the commit's metrics could not be read, if they could not. */
  metricsError?: string;
}

export interface ModelInfo {
  /** gto's name: `name`, or `sub/dir:name` for a nested one. */
  name: string;
  /** Its entry in a dvc.yaml `artifacts:` at HEAD, if any. */
  declared?: Pick<DeclaredArtifact, 'file' | 'path' | 'type' | 'desc'>;
  /** Any GTO tag names it. */
  registered: boolean;
  deprecated: boolean;
  /** Greatest version first (gto's SemVer order). */
  versions: ModelVersionInfo[];
  /** What Register Version offers: the greatest registered version with its patch bumped, or gto's first. */
  nextVersion: string;
}

export interface RegistrySnapshot {
  models: ModelInfo[];
  /** Stages in use in the registry (sorted): what Assign Stage offers first. */
  stages: string[];
  /** The repository as `artifacts get` takes it: the `origin` remote's URL without its user-info, else the folder. */
  repositoryUrl: string;
}

/** What gto read of a version's commit (its "commit" event). */
const commitEvent = (v: ArtifactVersion) => v.enrichments.find((e) => e.kind === 'commit');

/**
 * The registry of the repository's git work tree as gto shows it, with the artifacts its HEAD
 * declares (gto's `show` leaves those out) and, for each version, its commit's metrics and the
 * experiments and branches at it. Deprecated artifacts are left out unless HEAD still declares them.
 */
export async function registrySnapshot(repo: Repo, signal?: AbortSignal): Promise<RegistrySnapshot> {
  const gitRoot = repo.scm?.root;
  if (!gitRoot) throw new CairnError('USAGE', 'the model registry needs git: this repository has no git work tree.', { hint: 'Run `git init` and commit first.' });
  const [state, declared, refs, origin] = await Promise.all([
    readRegistry(gitRoot),
    declaredArtifacts(gitRoot, 'HEAD'),
    runGit(gitRoot, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/exps']),
    runGit(gitRoot, ['config', '--get', 'remote.origin.url'], { allowedExitCodes: [1] }),
  ]);
  const experimentsAt = new Map<string, string[]>();
  const branchesAt = new Map<string, string[]>();
  for (const line of refs.split('\n').filter(Boolean)) {
    const [sha, ref] = line.split(' ');
    const experiment = parseExperimentRef(ref, sha);
    if (experiment) experimentsAt.set(sha, [...(experimentsAt.get(sha) ?? []), experiment.name]);
    else if (ref.startsWith('refs/heads/')) branchesAt.set(sha, [...(branchesAt.get(sha) ?? []), ref.slice('refs/heads/'.length)]);
  }

  const names = [...new Set([...declared.map((d) => d.name), ...state.artifacts.keys()])];
  const models: ModelInfo[] = [];
  for (const name of names) {
    const artifact = state.artifacts.get(name);
    const declaration = declared.find((d) => d.name === name);
    if (artifact && !artifact.isActive && !declaration) continue;
    // The stages as `gto show` shows them: each stage its newest assignment.
    const shown = new Map<string, string[]>();
    for (const [stage, inStage] of artifact?.stageVersions({ versionsPerStage: 1, sort: 'timestamp' }) ?? []) {
      for (const s of inStage) shown.set(s.version, [...(shown.get(s.version) ?? []), stage]);
    }
    const versions = (artifact?.isActive ? artifact.activeVersions({ includeNonExplicit: true, includeDiscovered: true }) : []).map(
      (v): ModelVersionInfo => ({
        version: v.version,
        commit: v.commitHexsha,
        stages: shown.get(v.version) ?? [],
        assignedStages: v.activeStages().map((s) => s.stage),
        registered: v.isRegistered,
        author: v.authoring.author,
        created: isoTime(v.authoring.createdAt),
        commitMessage: commitEvent(v)?.message.trim() ?? '',
        commitAuthor: commitEvent(v)?.author ?? '',
        commitTime: commitEvent(v) ? isoTime(commitEvent(v)!.createdAt) : '',
        experiments: experimentsAt.get(v.commitHexsha) ?? [],
        branches: branchesAt.get(v.commitHexsha) ?? [],
        metrics: {},
      }),
    );
    const latest = artifact?.latestVersion(true);
    const latestSemVer = latest && parseSemVer(latest.version);
    models.push({
      name,
      ...(declaration ? { declared: { file: declaration.file, path: declaration.path, ...(declaration.type ? { type: declaration.type } : {}), ...(declaration.desc ? { desc: declaration.desc } : {}) } } : {}),
      registered: !!artifact?.isRegistered,
      deprecated: !!artifact && !artifact.isActive,
      versions,
      nextVersion: latestSemVer ? bumpSemVer(latestSemVer, 'patch') : FIRST_VERSION,
    });
  }

  const commits = [...new Set(models.flatMap((m) => m.versions.map((v) => v.commit)))];
  const runs = commits.length ? await readRuns(repo, commits, { signal }) : [];
  const metricsOf = new Map(runs.map((r) => [r.rev, r]));
  for (const version of models.flatMap((m) => m.versions)) {
    const run = metricsOf.get(version.commit);
    if (!run) continue;
    for (const [file, flat] of Object.entries(run.metrics)) {
      if (flat.error) version.metricsError = `${file}: ${flat.error.msg || flat.error.type}`;
      else for (const [key, value] of Object.entries(flat.values)) version.metrics[key ? `${file}:${key}` : file] = value as Value;
    }
    if (run.error && !version.metricsError) version.metricsError = run.error.msg || run.error.type;
  }
  const url = origin.trim();
  // User-info dropped, not masked: the command is copied to be run (by whoever has access), and never carries a secret.
  return { models, stages: state.usedStages(), repositoryUrl: url ? redactUrl(url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1')) : gitRoot };
}

/** Why `version` cannot be registered for `model` (the input box's message), or undefined. */
export function versionProblem(model: ModelInfo, version: string): string | undefined {
  if (!parseSemVer(version)) return `'${version}' is not a version: SemVer with a leading v, e.g. v1.0.0`;
  if (model.versions.some((v) => v.version === version)) return `${model.name} ${version} exists already`;
  return undefined;
}

/** `dvc artifacts get` (and `cairn artifacts get`, which takes the same) for a model, a version or a stage. */
export function artifactsGetCommand(repositoryUrl: string, name: string, version?: string): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['dvc', 'artifacts', 'get', quote(repositoryUrl), quote(name), ...(version ? ['--rev', quote(version)] : [])].join(' ');
}
