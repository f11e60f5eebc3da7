import { CairnError } from '../errors';
import { nearestName } from '../nearestName';
import { LegacyArtifact } from './legacyIndex';
import { CommitInfo, GitTime, RegistryTag } from './readTags';
import { compareSemVer, parseSemVer } from './semver';

/**
 * GTO's model of a registry (gto: base.py): artifacts, their versions and each version's stages,
 * built from events (tags, and each version's commit). Every rule here — which event makes a
 * version active, which version a stage shows — is GTO's, so `show` and `history` print what gto does.
 */
export type EventKind = 'commit' | 'deprecation' | 'registration' | 'deregistration' | 'assignment' | 'unassignment';

const PRIORITY: Record<EventKind, number> = { commit: 0, deprecation: 2, registration: 3, deregistration: 4, assignment: 5, unassignment: 6 };
const ADDITION: Record<EventKind, boolean> = { commit: true, deprecation: false, registration: true, deregistration: false, assignment: true, unassignment: false };

export interface RegistryEvent {
  kind: EventKind;
  artifact: string;
  createdAt: GitTime;
  author: string;
  authorEmail: string;
  message: string;
  commitHexsha: string;
  /** The tag that made it (none for a commit event). */
  tag?: string;
  version?: string;
  stage?: string;
  committer?: string;
  committerEmail?: string;
  /** A commit event's enrichments: what the legacy `artifacts.yaml` of that commit says of the artifact. */
  enrichments?: { source: 'gto'; artifact: LegacyArtifact }[];
}

export const priorityOf = (e: RegistryEvent): number => PRIORITY[e.kind];
export const isAddition = (e: RegistryEvent): boolean => ADDITION[e.kind];
/** The ref GTO names for an event: its tag, else its commit. */
export const refOf = (e: RegistryEvent): string => e.tag ?? e.commitHexsha;

/** Python's `sorted(key=created_at)` (stable), newest first unless `ascending`: the reversed list, ties reversed too, as gto's `[::-1]`. */
function byTime(events: RegistryEvent[], ascending: boolean): RegistryEvent[] {
  const sorted = [...events].sort((a, b) => a.createdAt.seconds - b.createdAt.seconds);
  return ascending ? sorted : sorted.reverse();
}

/** The event that speaks for an object: its newest addition among `direct`, else the newest of `indirect`. */
function authoringEvent(direct: RegistryEvent[], indirect: RegistryEvent[]): RegistryEvent {
  return direct.find(isAddition) ?? indirect[0] ?? direct[0];
}

export class VersionStage {
  readonly assignments: RegistryEvent[] = [];
  readonly unassignments: RegistryEvent[] = [];
  constructor(
    readonly artifact: string,
    readonly version: string,
    readonly stage: string,
    readonly commitHexsha: string,
  ) {}

  events(ascending = false): RegistryEvent[] {
    return byTime([...this.assignments, ...this.unassignments], ascending);
  }
  get isActive(): boolean {
    return this.events()[0]?.kind === 'assignment';
  }
  get activatedAt(): GitTime | undefined {
    const newest = this.events()[0];
    return newest?.kind === 'assignment' ? newest.createdAt : undefined;
  }
  get authoring(): RegistryEvent {
    return authoringEvent(this.events(), []);
  }
}

export class ArtifactVersion {
  readonly enrichments: RegistryEvent[] = [];
  readonly registrations: RegistryEvent[] = [];
  readonly deregistrations: RegistryEvent[] = [];
  readonly stages = new Map<string, VersionStage>();
  constructor(
    readonly artifact: string,
    readonly version: string,
    readonly commitHexsha: string,
  ) {}

  /** Registrations and deregistrations (gto's "direct" events), newest first unless `ascending`. */
  directEvents(ascending = false): RegistryEvent[] {
    return byTime([...this.registrations, ...this.deregistrations], ascending);
  }
  indirectEvents(ascending = false): RegistryEvent[] {
    return byTime([...this.enrichments, ...[...this.stages.values()].flatMap((s) => s.events())], ascending);
  }
  events(ascending = false): RegistryEvent[] {
    return byTime([...this.registrations, ...this.deregistrations, ...this.enrichments, ...[...this.stages.values()].flatMap((s) => s.events())], ascending);
  }
  get isActive(): boolean {
    const direct = this.directEvents();
    if (direct.length) return direct[0].kind === 'registration';
    return this.indirectEvents().length > 0;
  }
  get activatedAt(): GitTime {
    return this.registrations[0]?.createdAt ?? this.events(true)[0].createdAt;
  }
  get isRegistered(): boolean {
    return this.registrations.length > 0;
  }
  /** No registration or deregistration: GTO only found it (at an assignment or a declaration). */
  get discovered(): boolean {
    return this.directEvents().length === 0;
  }
  get authoring(): RegistryEvent {
    return authoringEvent(this.directEvents(), this.indirectEvents());
  }
  /** Its stages whose newest event is an assignment, by when they became so. */
  activeStages(ascending = false): VersionStage[] {
    const active = [...this.stages.values()].filter((s) => s.isActive).sort((a, b) => a.activatedAt!.seconds - b.activatedAt!.seconds);
    return ascending ? active : active.reverse();
  }
  stageFor(stage: string): VersionStage {
    let found = this.stages.get(stage);
    if (!found) this.stages.set(stage, (found = new VersionStage(this.artifact, this.version, stage, this.commitHexsha)));
    return found;
  }
  add(event: RegistryEvent): void {
    if (event.kind === 'registration') insertByTime(this.registrations, event);
    else if (event.kind === 'deregistration') insertByTime(this.deregistrations, event);
    else if (event.kind === 'commit') {
      // The same commit described twice (a registered version at HEAD, found again at HEAD) is one event, as in gto.
      if (!this.enrichments.some((e) => e.commitHexsha === event.commitHexsha)) insertByTime(this.enrichments, event);
    }
    else if (event.kind === 'assignment') insertByTime(this.stageFor(event.stage!).assignments, event);
    else if (event.kind === 'unassignment') insertByTime(this.stageFor(event.stage!).unassignments, event);
  }
}

function insertByTime(list: RegistryEvent[], event: RegistryEvent): void {
  list.push(event);
  list.sort((a, b) => a.createdAt.seconds - b.createdAt.seconds);
}

export type VersionSort = 'semver' | 'timestamp';

/** Versions in GTO's order: SemVer ones by precedence, then the others (commit names) by name; or by time. */
export function sortVersions(versions: ArtifactVersion[], sort: VersionSort, ascending = false): ArtifactVersion[] {
  const order = <T>(list: T[]) => (ascending ? list : list.reverse());
  if (sort === 'timestamp') return order([...versions].sort((a, b) => a.authoring.createdAt.seconds - b.authoring.createdAt.seconds));
  const semver = versions.filter((v) => parseSemVer(v.version));
  const others = versions.filter((v) => !parseSemVer(v.version));
  return [
    ...order(semver.sort((a, b) => compareSemVer(parseSemVer(a.version)!, parseSemVer(b.version)!))),
    ...order(others.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))),
  ];
}

export interface StageQuery {
  registeredOnly?: boolean;
  /** How many stages of each version count (-1: all). */
  assignmentsPerVersion?: number;
  /** How many versions each stage shows (-1: all). */
  versionsPerStage?: number;
  sort?: VersionSort;
}

export class Artifact {
  readonly versions: ArtifactVersion[] = [];
  readonly deprecations: RegistryEvent[] = [];
  constructor(readonly name: string) {}

  events(ascending = false): RegistryEvent[] {
    return byTime([...this.deprecations, ...this.versions.flatMap((v) => v.events())], ascending);
  }
  get isActive(): boolean {
    const events = this.events();
    return events.length > 0 && events[0].kind !== 'deprecation';
  }
  /** Has any tag (GTO's "registered" artifact). */
  get isRegistered(): boolean {
    return !this.events().every((e) => e.kind === 'commit');
  }

  /** GTO's `get_versions`. */
  activeVersions(options: { activeOnly?: boolean; includeNonExplicit?: boolean; includeDiscovered?: boolean; sort?: VersionSort } = {}): ArtifactVersion[] {
    const { activeOnly = true, includeNonExplicit = false, includeDiscovered = false, sort = 'semver' } = options;
    const kept = this.versions.filter(
      (v) => !activeOnly || (v.isActive && ((v.isRegistered && !v.discovered) || (includeDiscovered && v.discovered) || (includeNonExplicit && !v.isRegistered))),
    );
    return sortVersions(kept, sort);
  }
  latestVersion(registeredOnly: boolean): ArtifactVersion | undefined {
    return this.activeVersions({ includeNonExplicit: !registeredOnly })[0];
  }

  /** Each stage and the versions it shows now (GTO's `get_vstages`), stages in the order first met. */
  stageVersions(query: StageQuery = {}): Map<string, VersionStage[]> {
    const { registeredOnly = false, assignmentsPerVersion = -1, versionsPerStage = 1, sort = 'semver' } = query;
    let assignments = this.activeVersions({ includeNonExplicit: !registeredOnly, sort }).flatMap((v) => {
      const stages = v.activeStages(true);
      return assignmentsPerVersion > -1 ? stages.slice(0, assignmentsPerVersion) : stages;
    });
    if (sort === 'timestamp') assignments = [...assignments].sort((a, b) => a.authoring.createdAt.seconds - b.authoring.createdAt.seconds).reverse();
    const stages = new Map<string, VersionStage[]>();
    for (const a of assignments) {
      const list = stages.get(a.stage) ?? [];
      stages.set(a.stage, list);
      if (versionsPerStage > -1 && list.length >= versionsPerStage) continue;
      if (!list.some((s) => s.version === a.version)) list.push(a);
    }
    return stages;
  }

  /** GTO's `find_version`: by name and/or commit; versions only found (no registration) left out unless asked. */
  findVersions(by: { version?: string; commit?: string; includeDiscovered?: boolean }): ArtifactVersion[] {
    return this.versions.filter((v) => (!by.version || v.version === by.version) && (!by.commit || v.commitHexsha === by.commit) && (by.includeDiscovered || !v.discovered));
  }
  findVersion(by: { version?: string; commit?: string; includeDiscovered?: boolean }): ArtifactVersion | undefined {
    const found = this.findVersions(by);
    if (found.length > 1) {
      throw new CairnError('USAGE', `Multiple versions are not allowed on the same Git commit. Violation detected for artifact '${this.name}', versions '${found.map((v) => v.version).join("', '")}'.`);
    }
    return found[0];
  }
  versionFor(version: string, commit: string): ArtifactVersion {
    const found = this.findVersion({ version, commit });
    if (found) return found;
    const made = new ArtifactVersion(this.name, version, commit);
    this.versions.push(made);
    return made;
  }
  add(event: RegistryEvent): void {
    if (event.kind === 'deprecation') insertByTime(this.deprecations, event);
    else this.versionFor(event.version!, event.commitHexsha).add(event);
  }
}

/** The registry: artifacts by name, in the order GTO meets them. */
export class RegistryState {
  readonly artifacts = new Map<string, Artifact>();

  artifact(name: string, create = false): Artifact {
    let found = this.artifacts.get(name);
    if (!found && create) this.artifacts.set(name, (found = new Artifact(name)));
    if (!found) {
      const near = nearestName(name, [...this.artifacts.keys()]);
      throw new CairnError('USAGE', `Cannot find artifact '${name}'`, near ? { hint: `Did you mean '${near}'?`, suggestion: { from: name, to: near } } : {});
    }
    return found;
  }

  /** Stages in use (GTO's `_get_used_stages`), sorted. */
  usedStages(): string[] {
    const names = new Set<string>();
    for (const a of this.artifacts.values()) for (const stage of a.stageVersions().keys()) names.add(stage);
    return [...names].sort();
  }
}

/** What `buildState` reads of commits: each version's commit, HEAD, and their legacy `artifacts.yaml`. */
export interface CommitFacts {
  commits: Map<string, CommitInfo>;
  legacyIndexes: Map<string, Map<string, LegacyArtifact> | undefined>;
  head?: string;
}

/**
 * The state GTO builds (gto: registry.py `get_state`): deprecation tags, then version tags, then
 * stage tags, each in tag-time order; then each version's commit as its "commit" event, with what
 * that commit's legacy `artifacts.yaml` says of the artifact; then the artifacts HEAD's
 * `artifacts.yaml` declares, each with a version found at HEAD.
 */
export function buildState(tags: RegistryTag[], facts: CommitFacts): RegistryState {
  const { commits, legacyIndexes } = facts;
  const state = new RegistryState();
  const eventOf = (t: RegistryTag, kind: EventKind, version?: string): RegistryEvent => ({
    kind,
    artifact: t.parsed.name,
    createdAt: t.tagger.time,
    author: t.tagger.name,
    authorEmail: t.tagger.email,
    message: t.message.trim(),
    commitHexsha: t.target,
    tag: t.tag,
    ...(version !== undefined ? { version } : {}),
    ...(t.parsed.stage !== undefined ? { stage: t.parsed.stage } : {}),
  });
  for (const t of tags.filter((x) => x.parsed.action === 'deprecate')) state.artifact(t.parsed.name, true).add(eventOf(t, 'deprecation'));
  for (const t of tags.filter((x) => x.parsed.action === 'register' || x.parsed.action === 'deregister')) {
    state.artifact(t.parsed.name, true).add(eventOf(t, t.parsed.action === 'register' ? 'registration' : 'deregistration', t.parsed.version));
  }
  for (const t of tags.filter((x) => x.parsed.action === 'assign' || x.parsed.action === 'unassign')) {
    const artifact = state.artifact(t.parsed.name, true);
    // As gto: the version registered at the tag's commit, else one named by the commit.
    const version = artifact.findVersion({ commit: t.target }) ?? artifact.versionFor(t.target, t.target);
    artifact.add(eventOf(t, t.parsed.action === 'assign' ? 'assignment' : 'unassignment', version.version));
  }
  const commitEvent = (artifact: string, version: ArtifactVersion, commit: CommitInfo): RegistryEvent => {
    const declared = legacyIndexes.get(commit.hexsha)?.get(artifact);
    return {
      kind: 'commit',
      artifact,
      createdAt: commit.time,
      author: commit.author,
      authorEmail: commit.authorEmail,
      message: commit.message,
      commitHexsha: commit.hexsha,
      version: version.version,
      committer: commit.committer,
      committerEmail: commit.committerEmail,
      enrichments: declared ? [{ source: 'gto', artifact: declared }] : [],
    };
  };
  for (const artifact of state.artifacts.values()) {
    for (const version of artifact.versions) {
      const commit = commits.get(version.commitHexsha);
      if (commit) version.add(commitEvent(artifact.name, version, commit));
    }
  }
  const head = facts.head ? commits.get(facts.head) : undefined;
  for (const name of head ? (legacyIndexes.get(head.hexsha)?.keys() ?? []) : []) {
    const artifact = state.artifact(name, true);
    const version = artifact.findVersion({ commit: head!.hexsha }) ?? artifact.versionFor(head!.hexsha, head!.hexsha);
    version.add(commitEvent(name, version, head!));
  }
  return state;
}
