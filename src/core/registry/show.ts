import type { GtoConfig } from './gtoConfig';
import { isoTime } from './readTags';
import { parseTagName } from './tagNames';
import { Artifact, ArtifactVersion, isAddition, priorityOf, refOf, RegistryEvent, RegistryState, VersionSort, VersionStage } from './state';

/** The JSON shapes of `gto show --json`, `gto show <name> --json` and `gto history --json` (gto: api.py), key for key. */
export type EventJson = Record<string, unknown>;

export interface ArtifactSummary {
  /** The greatest registered version, or null. */
  version: string | null;
  /** Every stage in use in the registry, with the versions in it (`"v1, v2"`), null where none. */
  stage: Record<string, string | null>;
  registered: boolean;
  active: boolean;
}

export interface ShowOptions {
  /** Deprecated artifacts (and deregistered versions) too. */
  deprecated?: boolean;
  registeredOnly?: boolean;
  assignmentsPerVersion?: number;
  versionsPerStage?: number;
  sort?: VersionSort;
  /** The stages each artifact lists (gto's `get_stages`: `.gto`'s `stages:` when set, see `registryStages`); default: those in use. */
  stages?: string[];
}

/** gto's `get_stages`: `allowed`, `.gto`'s `stages:` (undefined when unset); `used`, the stages of every tag; neither, the first when set, else the second. */
export function registryStages(state: RegistryState, config: GtoConfig, which?: 'allowed' | 'used'): string[] | undefined {
  if (which === 'allowed') return config.stages;
  if (which === 'used') return state.usedStages();
  return config.stages ?? state.usedStages();
}

const stageQuery = (o: ShowOptions) => ({
  registeredOnly: o.registeredOnly ?? false,
  assignmentsPerVersion: o.assignmentsPerVersion ?? -1,
  versionsPerStage: o.versionsPerStage ?? 1,
  sort: o.sort ?? 'timestamp',
});

/** `gto show --json`: each active artifact's greatest version and what each stage shows. */
export function showRegistry(state: RegistryState, options: ShowOptions = {}): Record<string, ArtifactSummary> {
  const stages = options.stages ?? state.usedStages();
  const result: Record<string, ArtifactSummary> = {};
  for (const artifact of state.artifacts.values()) {
    if (!artifact.isActive && !options.deprecated) continue;
    const inStages = artifact.stageVersions(stageQuery(options));
    result[artifact.name] = {
      version: artifact.latestVersion(true)?.version ?? null,
      stage: Object.fromEntries(stages.map((s) => [s, (inStages.get(s) ?? []).map((v) => v.version).join(', ') || null])),
      registered: artifact.isRegistered,
      active: artifact.isActive,
    };
  }
  return result;
}

/** An event as gto's pydantic `model_dump` writes it (`withKind`: and its `event`, as `dict_state`). */
export function eventJson(e: RegistryEvent, withKind = false): EventJson {
  const json: EventJson = {
    priority: priorityOf(e),
    addition: isAddition(e),
    artifact: e.artifact,
    created_at: isoTime(e.createdAt),
    author: e.author,
    author_email: e.authorEmail,
    message: e.message,
    commit_hexsha: e.commitHexsha,
  };
  if (e.kind === 'commit') {
    Object.assign(json, { version: e.version, enrichments: e.enrichments ?? [], committer: e.committer, committer_email: e.committerEmail });
  } else {
    json.tag = e.tag;
    if (e.version !== undefined) json.version = e.version;
    if (e.stage !== undefined) json.stage = e.stage;
  }
  if (withKind) json.event = e.kind;
  return json;
}

function authoredJson(authoring: RegistryEvent): EventJson {
  return { created_at: isoTime(authoring.createdAt), author: authoring.author, author_email: authoring.authorEmail, message: authoring.message, ref: refOf(authoring) };
}

function stageJson(s: VersionStage): EventJson {
  return {
    artifact: s.artifact,
    commit_hexsha: s.commitHexsha,
    version: s.version,
    stage: s.stage,
    assignments: s.assignments.map((e) => eventJson(e, true)),
    unassignments: s.unassignments.map((e) => eventJson(e, true)),
    is_active: s.isActive,
    activated_at: s.activatedAt ? isoTime(s.activatedAt) : null,
    ...authoredJson(s.authoring),
  };
}

function versionJson(v: ArtifactVersion, stages: VersionStage[]): EventJson {
  return {
    artifact: v.artifact,
    commit_hexsha: v.commitHexsha,
    version: v.version,
    enrichments: v.enrichments.map((e) => eventJson(e)),
    registrations: v.registrations.map((e) => eventJson(e)),
    deregistrations: v.deregistrations.map((e) => eventJson(e)),
    stages: stages.map(stageJson),
    is_active: v.isActive,
    activated_at: isoTime(v.activatedAt),
    ...authoredJson(v.authoring),
    discovered: v.discovered,
  };
}

/** What `name` in `show <name>` may be: a name, or gto's shortcuts `name@v1.2.3`, `name@latest`, `name#stage`. */
export function parseShortcut(text: string): { name: string; version?: string; stage?: string; latest?: boolean } {
  const m = /^(.+?)(?:#([^#@]+)|@(latest|greatest|v[^@#]+))$/.exec(text);
  if (!m) return { name: text };
  if (m[2]) return { name: m[1], stage: m[2] };
  if (m[3] === 'latest' || m[3] === 'greatest') return { name: m[1], latest: true };
  return { name: m[1], version: m[3] };
}

/** `gto show <name> --json`: the artifact's versions (greatest first), each with the stages it shows now. */
export function showVersions(state: RegistryState, nameOrShortcut: string, options: ShowOptions = {}): EventJson[] {
  const shortcut = parseShortcut(nameOrShortcut);
  const artifact: Artifact = state.artifact(shortcut.name);
  const stages = [...artifact.stageVersions(stageQuery(options)).values()].flat();
  const versions = artifact.isActive || options.deprecated
    ? artifact.activeVersions({ activeOnly: !options.deprecated, includeNonExplicit: !options.registeredOnly, includeDiscovered: true }).map((v) =>
        versionJson(v, stages.filter((s) => s.version === v.version)),
      )
    : [];
  if (shortcut.latest) return versions.slice(0, 1);
  if (shortcut.version) return versions.filter((v) => v.version === shortcut.version);
  if (shortcut.stage) return versions.filter((v) => (v.stages as EventJson[]).some((s) => s.stage === shortcut.stage));
  return versions;
}

/** One line of `gto history --json`. */
export interface HistoryEntry {
  timestamp: string;
  artifact: string;
  event: string;
  priority: number;
  version: string | null;
  stage: string | null;
  commit: string;
  author: string;
  author_email: string;
  message: string;
  ref: string;
}

/** `gto history [name] --json`: every tag event, newest first (ties: the higher priority first) unless `ascending`. */
export function history(state: RegistryState, name?: string, ascending = false): HistoryEntry[] {
  const entries = [...state.artifacts.values()].flatMap((a) =>
    a.events().filter((e) => e.kind !== 'commit').map((e) => ({ e, entry: historyEntry(e) })),
  );
  entries.sort((x, y) => x.e.createdAt.seconds - y.e.createdAt.seconds || priorityOf(x.e) - priorityOf(y.e));
  if (!ascending) entries.reverse();
  return entries.map((x) => x.entry).filter((entry) => !name || entry.artifact === name);
}

function historyEntry(e: RegistryEvent): HistoryEntry {
  return {
    timestamp: isoTime(e.createdAt),
    artifact: e.artifact,
    event: e.kind,
    priority: priorityOf(e),
    version: e.version ?? null,
    stage: e.stage ?? null,
    commit: e.commitHexsha,
    author: e.author,
    author_email: e.authorEmail,
    message: e.message,
    ref: refOf(e),
  };
}

/** `gto check-ref <tag>`: the events the tag made (none when it is no GTO tag of this repository). */
export function checkRef(state: RegistryState, ref: string): RegistryEvent[] {
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : ref;
  const parsed = parseTagName(tag);
  const artifact = parsed && state.artifacts.get(parsed.name);
  return artifact ? artifact.events().filter((e) => e.tag === tag) : [];
}

/** How gto words an event (`check-ref` without --json). */
export function describeEvent(e: RegistryEvent): string {
  switch (e.kind) {
    case 'deprecation':
      return `Artifact "${e.artifact}" was deprecated`;
    case 'registration':
      return `Version "${e.version}" of artifact "${e.artifact}" was registered`;
    case 'deregistration':
      return `Version "${e.version}" of artifact "${e.artifact}" was deregistered`;
    case 'assignment':
      return `Stage "${e.stage}" was assigned to version "${e.version}" of artifact "${e.artifact}"`;
    case 'unassignment':
      return `Stage "${e.stage}" was unassigned from version "${e.version}" of artifact "${e.artifact}"`;
    case 'commit':
      return `Artifact "${e.artifact}" is annotated`;
  }
}
