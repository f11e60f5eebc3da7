import * as path from 'node:path';
import { CairnError } from '../errors';
import { isObjectId } from '../hashing/objectId';
import { nearestName } from '../nearestName';
import { readKindAt, withReader } from '../metrics/show';
import { isDict } from '../metrics/flatten';
import type { FileResult } from '../metrics/results';
import { lockedStage, revisionPipelines, sourceDvcFiles } from '../metrics/pipelineDeclarations';
import type { RevisionReader } from '../metrics/revisions';
import { normalizeRel, RevisionSource } from '../metrics/revisionSource';
import type { Stage } from '../pipeline/stage';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import type { ImportSource } from '../outputs/dvcFile';
import { redactUrl } from '../remotes/redactUrl';
import type { Repo } from '../repo/repo';
import { runGit } from '../scm/git';
import { parseExperimentRef } from '../experiments/refs';
import { readEnvironmentNotes } from '../experiments/environmentNotes';
import type { EnvironmentRecord } from '../experiments/environment';
import { declaredArtifacts } from './declaredArtifacts';
import { readLegacyIndex } from './legacyIndex';
import { readCommitInfo } from './readTags';
import { readRegistry } from './registry';
import { parseShortcut } from './show';
import { artifactName } from './getArtifact';

/** What made a piece of data at the commit. */
export type MadeBy =
  | { kind: 'stage'; stage: string }
  /** `import`: where `dvc import`/`import-url` took it from (the URL without user-info). */
  | { kind: 'dvc'; file: string; import?: ImportSource }
  | { kind: 'git'; blob: string; type: 'blob' | 'tree' }
  | { kind: 'unknown' };

export interface LineageData {
  /** Repository-relative (the DVC root's). */
  path: string;
  /** As recorded (dvc.lock or `.dvc` file); null where nothing records it. */
  md5: string | null;
  madeBy: MadeBy;
}

export interface LineageStage {
  /** dvc's address: `name`, or `sub/dvc.yaml:name`. */
  name: string;
  file: string;
  /** As dvc.lock records it (what ran), else as dvc.yaml has it. */
  cmd: string | string[];
  /** Whether dvc.lock has an entry for it at the commit (else deps and outs come from dvc.yaml, without hashes). */
  locked: boolean;
  deps: LineageData[];
  /** params file → key → value, as dvc.lock records them. */
  params: Record<string, Record<string, unknown>>;
  outs: { path: string; md5: string | null }[];
}

export interface LineageCommit {
  sha: string;
  /** Committer time, ISO 8601 UTC. */
  date: string;
  message: string;
  branches: string[];
  tags: string[];
  /** Experiment names whose `refs/exps` ref points at this commit. */
  experiments: string[];
}

/** "What made this model": one plain structure, for the CLI and the lineage panel. */
export interface Lineage {
  /** What was asked for, and what it resolved to. */
  target: { asked: string; artifact?: string; version?: string; stage?: string; path: string };
  commit: LineageCommit;
  /** The target itself. */
  data: LineageData;
  /** Every stage upstream of the target, the producer first, each once. */
  stages: LineageStage[];
  /** Raw data: upstream paths no stage makes (`.dvc` files, git files), each once. */
  sources: LineageData[];
  params: Record<string, FileResult>;
  metrics: Record<string, FileResult>;
  environment: EnvironmentRecord | null;
  /** Why the target is not a pipeline's product at the commit, when it is not. */
  note?: string;
  /** One line per problem met on the way (a cycle, a path leading outside); nothing was read for them. */
  problems: string[];
}

export interface LineageOptions {
  /** For a path: the revision (default HEAD). */
  rev?: string;
  onWarning?: (line: string) => void;
}

/**
 * `cairn lineage <name>[@version|#stage]` or `cairn lineage <path>`: the commit the registry names
 * (a path: `rev`), the stage that outputs the target and every stage upstream of it from that
 * commit's dvc.lock, the raw data at the end of each chain, and the commit's params, metrics and
 * recorded environment. Reads git objects only; nothing outside the repository is read.
 */
export async function lineage(repo: Repo, asked: string, options: LineageOptions = {}): Promise<Lineage> {
  const gitRoot = repo.scm?.root;
  if (!gitRoot) throw new CairnError('USAGE', 'lineage needs git: this repository has no git work tree.');
  const prefix = path.relative(gitRoot, repo.root).split(path.sep).join('/');
  return withReader(repo, {}, async (reader) => {
    const resolved = await resolveTarget(repo, reader, gitRoot, prefix, asked, options);
    const source = reader.source({ name: resolved.commit, commit: resolved.commit });
    const walk = await walkUpstream(source, gitRoot, prefix, resolved.commit, resolved.path);
    if (!resolved.artifact && walk.data.madeBy.kind === 'unknown') {
      // A nested artifact asked for by its last part (`model` for `sub/dir:model`) is meant, most likely.
      const near = resolved.artifactNames.find((n) => n.endsWith(`:${asked}`)) ?? nearestName(resolved.path, [...walk.trackedPaths, ...resolved.artifactNames]);
      throw new CairnError('USAGE', `'${resolved.path}' is not tracked by DVC at ${resolved.commit.slice(0, 7)}.`, near ? { hint: `Did you mean '${near}'?`, suggestion: { from: resolved.path, to: near } } : { hint: 'Give a path a .dvc file or a dvc.lock output records.' });
    }
    const [params, metrics, notes, commit] = await Promise.all([
      readKindAt('params', source, undefined, reader.cache),
      readKindAt('metrics', source, undefined, reader.cache),
      readEnvironmentNotes(reader, [resolved.commit], options.onWarning),
      commitOf(reader, resolved.commit),
    ]);
    for (const [kind, result] of [['params', params], ['metrics', metrics]] as const) {
      if (result.error) walk.problems.push(`${kind} at ${resolved.commit.slice(0, 7)}: ${result.error.msg || result.error.type}`);
    }
    return {
      target: { asked, ...(resolved.artifact ? { artifact: resolved.artifact } : {}), ...(resolved.version ? { version: resolved.version } : {}), ...(resolved.stage ? { stage: resolved.stage } : {}), path: resolved.path },
      commit,
      data: walk.data,
      stages: walk.stages,
      sources: walk.sources,
      params: params.data ?? {},
      metrics: metrics.data ?? {},
      environment: notes.get(resolved.commit) ?? null,
      ...(walk.note ? { note: walk.note } : {}),
      problems: walk.problems,
    };
  });
}

interface ResolvedTarget {
  commit: string;
  /** The registry's and HEAD's declared artifacts, for did-you-mean. */
  artifactNames: string[];
  path: string;
  artifact?: string;
  version?: string;
  stage?: string;
}

const didYouMean = (name: string, candidates: Iterable<string>) => {
  const near = nearestName(name, candidates);
  return near ? { hint: `Did you mean '${near}'?`, suggestion: { from: name, to: near } } : {};
};

/** An artifact name (with a version or stage) through the registry, else a path at `rev`. */
async function resolveTarget(repo: Repo, reader: RevisionReader, gitRoot: string, prefix: string, asked: string, options: LineageOptions): Promise<ResolvedTarget> {
  const shortcut = parseShortcut(asked);
  const name = artifactName(shortcut.name);
  const byRegistry = shortcut.version || shortcut.stage || shortcut.latest;
  const state = await readRegistry(gitRoot);
  const head = await reader.resolve('HEAD');
  const declaredAtHead = head ? await declaredArtifacts(gitRoot, head) : [];
  const artifactNames = [...new Set([...state.artifacts.keys(), ...declaredAtHead.map((a) => a.name)])];
  const isArtifact = byRegistry || state.artifacts.has(name) || declaredAtHead.some((a) => a.name === name);
  if (!isArtifact) {
    if (options.rev !== undefined && options.rev.startsWith('-')) throw new CairnError('USAGE', `--rev '${options.rev}' is not a revision.`);
    const commit = await reader.resolveOrThrow(options.rev ?? 'HEAD');
    const rel = normalizeRel(path.relative(repo.root, path.resolve(process.cwd(), asked)).split(path.sep).join('/'));
    if (!rel) throw new CairnError('USAGE', `'${asked}' is outside the repository.`);
    return { commit, path: rel, artifactNames };
  }
  if (options.rev !== undefined) throw new CairnError('USAGE', '--rev is for a path; an artifact takes @version or #stage.');
  let commit: string | undefined;
  if (byRegistry) {
    const artifact = state.artifacts.get(name);
    if (!artifact && artifactNames.includes(name)) throw new CairnError('USAGE', `artifact '${name}' has no registered version.`, { hint: `Register one with \`cairn model register ${name}\`, or ask for '${name}' alone (HEAD).` });
    if (!artifact) throw new CairnError('USAGE', `Cannot find artifact '${name}' in the registry.`, didYouMean(name, artifactNames));
    if (shortcut.version) {
      const version = artifact.findVersion({ version: shortcut.version });
      if (!version) throw new CairnError('USAGE', `artifact '${name}' has no version '${shortcut.version}'.`, didYouMean(shortcut.version, artifact.versions.map((v) => v.version)));
      commit = version.commitHexsha;
    } else if (shortcut.stage) {
      const stages = artifact.stageVersions();
      const inStage = stages.get(shortcut.stage);
      if (!inStage?.length) throw new CairnError('USAGE', `artifact '${name}' has no version in stage '${shortcut.stage}'.`, didYouMean(shortcut.stage, stages.keys()));
      commit = artifact.findVersion({ version: inStage[0].version, includeDiscovered: true })?.commitHexsha;
    } else {
      commit = artifact.latestVersion(true)?.commitHexsha;
    }
  } else {
    commit = state.artifacts.get(name)?.latestVersion(true)?.commitHexsha ?? head;
  }
  if (!commit) throw new CairnError('USAGE', `no commit for artifact '${asked}'.`, { hint: 'Commit first.' });
  const declared = (await declaredArtifacts(gitRoot, commit)).find((a) => a.name === name) ?? (await legacyDeclaration(reader, commit, name));
  if (!declared) throw new CairnError('USAGE', `artifact '${name}' is not declared in a dvc.yaml 'artifacts:' (nor in artifacts.yaml) at ${commit.slice(0, 7)}.`, { hint: 'Declare it with `cairn artifacts add`.' });
  const dir = path.posix.dirname(declared.file);
  const gitRel = normalizeRel(path.posix.join(dir === '.' ? '' : dir, declared.path));
  const rel = gitRel === undefined ? undefined : prefix ? (gitRel.startsWith(`${prefix}/`) ? gitRel.slice(prefix.length + 1) : undefined) : gitRel;
  if (!rel) throw new CairnError('UNSAFE_PATH', `artifact '${name}' path '${declared.path}' leads outside the repository.`, { file: declared.file });
  return { commit, path: rel, artifactNames, artifact: name, ...(shortcut.version ? { version: shortcut.version } : {}), ...(shortcut.stage ? { stage: shortcut.stage } : {}) };
}

/** gto's legacy `artifacts.yaml` at the commit: the artifact's path there, as a declaration at the root. */
async function legacyDeclaration(reader: RevisionReader, commit: string, name: string): Promise<{ file: string; path: string } | undefined> {
  const entry = reader.objects ? (await readLegacyIndex(reader.objects, commit))?.get(name) : undefined;
  return entry?.path ? { file: 'artifacts.yaml', path: entry.path } : undefined;
}

async function commitOf(reader: RevisionReader, sha: string): Promise<LineageCommit> {
  const info = reader.objects ? await readCommitInfo(reader.objects, sha) : undefined;
  const refs = await reader.refs();
  const named = (prefix: string) => refs.filter((r) => r.commit === sha && r.ref.startsWith(prefix)).map((r) => r.ref.slice(prefix.length));
  const experiments = (await reader.experimentRefs()).filter((r) => r.sha === sha).flatMap((r) => parseExperimentRef(r.ref, r.sha)?.name ?? []);
  return {
    sha,
    date: info ? new Date(info.time.seconds * 1000).toISOString().replace('.000Z', 'Z') : '',
    message: (info?.message ?? '').trim(),
    branches: named('refs/heads/'),
    tags: named('refs/tags/'),
    experiments,
  };
}

interface Walk {
  data: LineageData;
  stages: LineageStage[];
  sources: LineageData[];
  note?: string;
  problems: string[];
  /** Every path a stage or `.dvc` file outputs, for did-you-mean. */
  trackedPaths: string[];
}

const inside = (p: string, folder: string) => p === folder || p.startsWith(`${folder}/`);

/** A hash as a record holds it, or null when it is not one (a hostile lock's value never goes further). */
const hashOf = (entry: unknown): string | null => (isDict(entry) && typeof entry.md5 === 'string' && isObjectId(entry.md5) ? entry.md5 : null);

/**
 * From `target` upstream through the commit's stages: each stage once (a cycle is named, not
 * followed twice), each dependency's path normalised inside the repository (one leading outside is
 * named and not followed).
 */
async function walkUpstream(source: RevisionSource, gitRoot: string, prefix: string, commit: string, target: string): Promise<Walk> {
  const problems: string[] = [];
  const pipelines = await revisionPipelines(source);
  const dvcFiles = await sourceDvcFiles(source);
  const stageOuts: { rel: string; stage: Stage; written: string }[] = [];
  for (const stage of pipelines.stages) for (const out of stage.outs) stageOuts.push({ rel: out.repoPath, stage, written: out.path });
  const dvcOuts: { rel: string; file: string; md5: string | null; import?: ImportSource }[] = [];
  for (const file of dvcFiles) {
    for (const out of file.outs) {
      const rel = normalizeRel(path.relative(source.root, file.outPath(out)).split(path.sep).join('/'));
      const imported = file.importSource;
      if (rel) dvcOuts.push({ rel, file: file.relFile, md5: out.md5 && isObjectId(out.md5) ? out.md5 : null, ...(imported ? { import: { ...imported, url: redactUrl(imported.url) } } : {}) });
    }
  }
  const locks = new Map<Stage, Record<string, unknown> | undefined>();
  const checkedLocks = new Set<string>();
  const lockOf = async (stage: Stage) => {
    if (!locks.has(stage)) {
      locks.set(stage, await lockedStage(source, stage));
      await checkLock(stage.file.replace(/dvc\.yaml$/, 'dvc.lock'));
    }
    return locks.get(stage);
  };
  /** A dvc.lock that is there but cannot be read records nothing (as for dvc): said once. */
  const checkLock = async (lockPath: string) => {
    if (checkedLocks.has(lockPath)) return;
    checkedLocks.add(lockPath);
    const text = await source.read(lockPath);
    if (text === undefined) return;
    let why: string | undefined;
    try {
      const doc = parseYamlDocument(text, lockPath);
      if (doc.errors.length) why = doc.errors[0].message.split('\n')[0];
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      why = err.message;
    }
    if (why) problems.push(`${lockPath}: cannot be read (${why}); its stages count as never run.`);
  };

  /** The hash a stage's dvc.lock records for one of its outputs. */
  const lockedOutHash = async (stage: Stage, written: string) => {
    const entry = await lockOf(stage);
    const outs = entry && Array.isArray(entry.outs) ? entry.outs : [];
    return hashOf(outs.find((o) => isDict(o) && o.path === written));
  };

  const dataAt = async (rel: string): Promise<LineageData> => {
    const byStage = stageOuts.find((o) => inside(rel, o.rel));
    if (byStage) return { path: rel, md5: byStage.rel === rel ? await lockedOutHash(byStage.stage, byStage.written) : null, madeBy: { kind: 'stage', stage: byStage.stage.addr } };
    const byFile = dvcOuts.find((o) => inside(rel, o.rel));
    if (byFile) return { path: rel, md5: byFile.rel === rel ? byFile.md5 : null, madeBy: { kind: 'dvc', file: byFile.file, ...(byFile.import ? { import: byFile.import } : {}) } };
    const gitRel = prefix ? `${prefix}/${rel}` : rel;
    // `--` before the path: a path from a repository is data, never an option.
    const line = (await runGit(gitRoot, ['ls-tree', '--full-tree', '-z', commit, '--', gitRel])).split('\0')[0];
    const m = /^\d+ (blob|tree) ([0-9a-f]{40,64})\t/.exec(line);
    return { path: rel, md5: null, madeBy: m ? { kind: 'git', blob: m[2], type: m[1] as 'blob' | 'tree' } : { kind: 'unknown' } };
  };

  const stages: LineageStage[] = [];
  const sources = new Map<string, LineageData>();
  const done = new Set<Stage>();
  const onPath = new Set<Stage>();
  const visit = async (stage: Stage, from: string[]): Promise<void> => {
    if (onPath.has(stage)) {
      problems.push(`dvc.lock: stages ${[...from.slice(from.indexOf(stage.addr)), stage.addr].join(' → ')} form a cycle; followed once.`);
      return;
    }
    if (done.has(stage)) return;
    done.add(stage);
    onPath.add(stage);
    const entry = await lockOf(stage);
    const lockFile = stage.file.replace(/dvc\.yaml$/, 'dvc.lock');
    // What ran is dvc.lock's command; dvc.yaml's may have been edited since.
    const lockedCmd = entry && (typeof entry.cmd === 'string' || (Array.isArray(entry.cmd) && entry.cmd.every((c) => typeof c === 'string'))) ? (entry.cmd as string | string[]) : undefined;
    const lineageStage: LineageStage = { name: stage.addr, file: stage.file, cmd: lockedCmd ?? stage.cmd, locked: !!entry, deps: [], params: {}, outs: [] };
    stages.push(lineageStage);
    const depList: { written: string; md5: string | null }[] = entry
      ? (Array.isArray(entry.deps) ? entry.deps : []).filter((d) => isDict(d) && typeof d.path === 'string').map((d) => ({ written: (d as { path: string }).path, md5: hashOf(d) }))
      : stage.deps.map((d) => ({ written: d.path, md5: null }));
    for (const dep of depList) {
      const rel = normalizeRel([stage.wdir, dep.written].filter(Boolean).join('/'));
      if (!rel) {
        problems.push(`${lockFile}: stage '${stage.addr}' dependency '${dep.written}' leads outside the repository; not followed.`);
        continue;
      }
      const made = await dataAt(rel);
      const data: LineageData = { ...made, md5: dep.md5 ?? made.md5 };
      lineageStage.deps.push(data);
      if (made.madeBy.kind === 'stage') {
        const producer = stageOuts.find((o) => inside(rel, o.rel))!.stage;
        await visit(producer, [...from, stage.addr]);
      } else {
        if (!sources.has(rel)) sources.set(rel, data);
        // A folder dependency holding outputs depends on what makes them, as in dvc's graph.
        for (const o of stageOuts) if (inside(o.rel, rel) && o.rel !== rel) await visit(o.stage, [...from, stage.addr]);
        for (const o of dvcOuts) {
          if (inside(o.rel, rel) && o.rel !== rel && !sources.has(o.rel)) sources.set(o.rel, { path: o.rel, md5: o.md5, madeBy: { kind: 'dvc', file: o.file, ...(o.import ? { import: o.import } : {}) } });
        }
      }
    }
    if (entry && isDict(entry.params)) {
      for (const [file, values] of Object.entries(entry.params)) if (isDict(values)) lineageStage.params[file] = { ...values };
    }
    for (const out of stage.outs) lineageStage.outs.push({ path: out.repoPath, md5: await lockedOutHash(stage, out.path) });
    onPath.delete(stage);
  };

  const data = await dataAt(target);
  let note: string | undefined;
  if (data.madeBy.kind === 'stage') {
    const producer = stageOuts.find((o) => inside(target, o.rel))!.stage;
    if (!(await lockOf(producer))) note = `'${target}' is not produced by a pipeline at ${commit.slice(0, 7)}: stage '${producer.addr}' has no dvc.lock entry (never run and committed).`;
    await visit(producer, []);
  } else if (data.madeBy.kind === 'dvc') {
    note = `'${target}' is not produced by a pipeline at ${commit.slice(0, 7)}: it is tracked by ${data.madeBy.file}.`;
  } else if (data.madeBy.kind === 'git') {
    note = `'${target}' is not produced by a pipeline at ${commit.slice(0, 7)}: it is a plain git file.`;
  } else {
    note = `'${target}' is neither produced by a pipeline nor tracked at ${commit.slice(0, 7)}.`;
  }
  return { data, stages, sources: [...sources.values()], note, problems, trackedPaths: [...stageOuts.map((o) => o.rel), ...dvcOuts.map((o) => o.rel)] };
}
