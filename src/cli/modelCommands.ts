import { CairnError } from '../core/errors';
import { Git } from '../core/scm/git';
import { assign } from '../core/registry/assign';
import { declaredArtifacts } from '../core/registry/declaredArtifacts';
import { DeletedTags, WrittenTag } from '../core/registry/createTag';
import { readGtoConfig } from '../core/registry/gtoConfig';
import { deprecateArtifact, deregister, unassign } from '../core/registry/deprecate';
import { readRegistry } from '../core/registry/registry';
import { register } from '../core/registry/register';
import { Bump } from '../core/registry/semver';
import { checkRef, describeEvent, eventJson, history, registryStages, showRegistry, showVersions } from '../core/registry/show';
import { Command, CommandTable, Options, out, printJson, shellQuote } from './command';

/** The git work tree of the working folder: the registry lives in its tags. Its `.gto` is checked first: gto refuses every command over a wrong one. */
function gitRoot(): string {
  const root = Git.findRoot(process.cwd());
  if (!root) throw new CairnError('USAGE', 'the model registry needs git: this folder is not in a git work tree.', { hint: 'Run `git init` and commit first.' });
  readGtoConfig(root);
  return root;
}

/** JSON as gto prints it (Python's json.dumps, indent 4). */
const printGtoJson = (v: unknown) => out(JSON.stringify(v, null, 4));

const writeOptions: Options = {
  message: { type: 'string', short: 'm', value: '<message>', help: "The tag's message (default: gto's, e.g. 'Registering artifact <name> version <version>')." },
  simple: { type: 'string', value: 'auto|true|false', help: "As gto: 'true' writes tags without a '#N' counter (name#prod), 'false' with one (name#prod#3); 'auto' is gto's default for the action." },
  push: { type: 'boolean', help: 'Push the tag to the git remote `origin` once written.' },
  force: { type: 'boolean', help: "As gto: write the tag even where gto's checks would refuse it (a version already registered at the commit, already in the stage, deprecated already)." },
};

function simpleOf(value: string | undefined): boolean | undefined {
  if (value === undefined || value === 'auto') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new CairnError('USAGE', `--simple takes one of auto, true, false; got '${value}'.`);
}

/** What gto says after writing a tag (with --json: the tag, its commit and whether it was pushed, one line). */
function reportTag(written: WrittenTag, what: string, values: Record<string, any>): void {
  if (values.json) {
    printJson(written);
    return;
  }
  if (values.quiet) return;
  out(`Created git tag '${written.tag}' that ${what}`);
  if (written.pushed) out(`Pushed git tag ${written.tag} to origin.`);
  else out(`To push the changes upstream, run:\n    git push origin ${shellQuote(written.tag)}`);
}

function tagOptions(values: Record<string, any>) {
  return { message: values.message, simple: simpleOf(values.simple), push: !!values.push, force: !!values.force };
}

/** What gto says after deleting tags (`--delete`): each tag, and how to delete it upstream unless pushed. */
function reportDeleted(result: DeletedTags, values: Record<string, any>): void {
  if (values.json) {
    printJson(result);
    return;
  }
  if (values.quiet) return;
  for (const tag of result.deleted) {
    out(`Deleted git tag '${tag}'`);
    if (result.pushed) out(`Deleted git tag ${tag} on origin.`);
    else out(`To push the changes upstream, run:\n    git push --delete origin ${shellQuote(tag)}`);
  }
}

/** A deprecate's result: a tag written, or (with --delete) tags deleted. */
function reportDeprecation(result: WrittenTag | DeletedTags, what: string, values: Record<string, any>): void {
  if ('deleted' in result) reportDeleted(result, values);
  else reportTag(result, what, values);
}

const registerCommand: Command = {
  summary: 'Register a version of an artifact: an annotated git tag name@vX.Y.Z, as gto writes it',
  args: [
    { name: '<name>', help: "The artifact (a nested one as 'sub/dir:name')." },
    { name: '[rev]', help: 'The commit to register (default HEAD); one version per commit.' },
  ],
  options: {
    version: { type: 'string', value: '<vX.Y.Z>', help: 'The version (SemVer with a leading v); default: the greatest registered one bumped, or v0.0.1.' },
    'bump-major': { type: 'boolean', help: 'Bump the major part of the greatest registered version.' },
    'bump-minor': { type: 'boolean', help: 'Bump the minor part of the greatest registered version.' },
    'bump-patch': { type: 'boolean', help: 'Bump the patch part of the greatest registered version (the default).' },
    ...writeOptions,
  },
  async run({ values, positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new CairnError('USAGE', `cairn model register takes a name and an optional rev, got ${positionals.length} arguments.`);
    const bumps = (['major', 'minor', 'patch'] as Bump[]).filter((b) => values[`bump-${b}`]);
    if (bumps.length + (values.version ? 1 : 0) > 1) throw new CairnError('USAGE', 'Need to specify either version or single bump argument');
    const written = await register(gitRoot(), positionals[0], positionals[1], { ...tagOptions(values), version: values.version, bump: bumps[0] });
    reportTag(written, 'registers version', values);
    return 0;
  },
};

const assignCommand: Command = {
  summary: 'Assign a stage to a version of an artifact (an annotated tag name#stage#N, as gto); stages are what MLflow calls aliases',
  args: [
    { name: '<name>', help: 'The artifact.' },
    { name: '[rev]', help: 'The commit whose version gets the stage (registered first when it has none); default HEAD unless --version.' },
  ],
  options: {
    stage: { type: 'string', required: true, value: '<stage>', help: 'The stage (e.g. prod, staging).' },
    version: { type: 'string', value: '<vX.Y.Z>', help: 'The registered version to assign; with a rev, the version to register that commit as first.' },
    'skip-registration': { type: 'boolean', help: "As gto's --sr: a commit with no version gets the stage without being registered (its version is the commit's hash)." },
    ...writeOptions,
  },
  async run({ values, positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new CairnError('USAGE', `cairn model assign takes a name and an optional rev, got ${positionals.length} arguments.`);
    if (!values.stage) throw new CairnError('USAGE', 'cairn model assign needs --stage <stage>.');
    const rev: string | undefined = positionals[1];
    const root = gitRoot();
    const result = await assign(root, positionals[0], values.stage, rev ?? (values.version ? undefined : 'HEAD'), {
      ...tagOptions(values),
      version: rev === undefined ? values.version : undefined,
      registerAs: rev !== undefined ? values.version : undefined,
      skipRegistration: !!values['skip-registration'],
    });
    if (result.registered) reportTag(result.registered, 'registers version', values);
    reportTag(result, `assigns stage to version '${result.version}'`, values);
    return 0;
  },
};

const deprecateCommand: Command = {
  summary: 'Deprecate an artifact, deregister one of its versions, or unassign a stage from a version (as gto)',
  args: [
    { name: '<name>', help: 'The artifact: alone, it is deprecated (name@deprecated).' },
    { name: '[version]', help: 'The version to deregister (name@vX.Y.Z!).' },
    { name: '[stage]', help: 'With a version: the stage to unassign from it (name#stage!#N).' },
  ],
  options: { ...writeOptions, delete: { type: 'boolean', short: 'd', help: "As gto: delete the git tags (of the artifact, the version, or the version's stage) instead of writing a new one." } },
  async run({ values, positionals }) {
    const [name, version, stage] = positionals;
    if (!name || positionals.length > 3) throw new CairnError('USAGE', `cairn model deprecate takes a name, an optional version and an optional stage, got ${positionals.length} arguments.`);
    const root = gitRoot();
    const options = { ...tagOptions(values), delete: !!values.delete };
    if (stage) reportDeprecation(await unassign(root, name, version, stage, options), `unassigns stage from version '${version}'`, values);
    else if (version) reportDeprecation(await deregister(root, name, version, options), 'deregisters version', values);
    else reportDeprecation(await deprecateArtifact(root, name, options), 'deprecates artifact', values);
    return 0;
  },
};

const showOptions: Options = {
  deprecated: { type: 'boolean', short: 'd', help: 'Include deprecated artifacts and deregistered versions.' },
  'registered-only': { type: 'boolean', help: 'Only registered versions (not versions only assigned a stage).' },
  declared: { type: 'boolean', help: "Also the artifacts HEAD's dvc.yaml files declare that the registry has no tag of (beyond gto: as unregistered ones, version null)." },
  sort: { type: 'string', value: 'timestamp|semver', help: "Which version a stage shows first: the latest assigned ('timestamp', the default) or the greatest ('semver')." },
};

function sortOf(value: string | undefined): 'timestamp' | 'semver' {
  if (value === undefined || value === 'timestamp' || value === 'semver') return value ?? 'timestamp';
  throw new CairnError('USAGE', `--sort takes timestamp or semver; got '${value}'.`);
}

/** Columns padded to line up, as gto's `--plain` table. */
function printColumns(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) out(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

const showCommand: Command = {
  summary: 'Show the registry (each artifact, its greatest version and its stages) or the versions of one artifact',
  args: [{ name: '[name]', help: "An artifact (or gto's shortcuts name@vX.Y.Z, name@latest, name#stage): its versions." }],
  options: showOptions,
  async run({ values, positionals }) {
    if (positionals.length > 1) throw new CairnError('USAGE', `cairn model show takes at most one name, got ${positionals.length}.`);
    const root = gitRoot();
    const state = await readRegistry(root);
    const stages = registryStages(state, readGtoConfig(root))!;
    const options = { deprecated: values.deprecated, registeredOnly: values['registered-only'], sort: sortOf(values.sort), stages };
    if (positionals[0] === undefined) {
      const registry = showRegistry(state, options);
      if (values.declared) {
        // A deprecated artifact stays out (unless -d lists it as the registry has it).
        for (const d of (await declaredArtifacts(root)).filter((d) => !state.artifacts.has(d.name))) {
          registry[d.name] = { version: null, stage: Object.fromEntries(stages.map((s) => [s, null])), registered: false, active: true };
        }
      }
      if (values.json) printGtoJson(registry);
      else {
        const rows = Object.entries(registry).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, a]) => [a.registered ? name : `*${name}`, a.version ?? '-', ...stages.map((s) => a.stage[s] ?? '-')]);
        if (rows.length) printColumns(['name', 'latest', ...stages.map((s) => `#${s}`)], rows);
        else out('Nothing found in the current workspace');
      }
      return 0;
    }
    const versions = showVersions(state, positionals[0], options);
    if (values.json) printGtoJson(versions);
    else if (!versions.length) out('Nothing found in the current workspace');
    else {
      const short = (s: unknown) => (/^[0-9a-f]{40}$/.test(String(s)) ? String(s).slice(0, 7) : String(s));
      printColumns(
        ['artifact', 'version', 'stage', 'created_at', 'ref'],
        versions.map((v) => [String(v.artifact), short(v.version), (v.stages as Record<string, unknown>[]).map((s) => s.stage).join(', '), String(v.created_at), short(v.ref)]),
      );
    }
    return 0;
  },
};

const historyCommand: Command = {
  summary: 'Show the journal of registry events (registrations, assignments, deprecations), newest first',
  args: [{ name: '[name]', help: 'Only the events of this artifact.' }],
  options: { ascending: { type: 'boolean', help: 'Oldest first.' } },
  async run({ values, positionals }) {
    if (positionals.length > 1) throw new CairnError('USAGE', `cairn model history takes at most one name, got ${positionals.length}.`);
    const events = history(await readRegistry(gitRoot()), positionals[0], !!values.ascending);
    if (values.json) printGtoJson(events);
    else if (!events.length) out('Nothing found in the current workspace');
    else printColumns(['timestamp', 'artifact', 'event', 'version', 'stage', 'commit', 'ref'], events.map((e) => [e.timestamp, e.artifact, e.event, e.version ?? '-', e.stage ?? '-', e.commit.slice(0, 7), e.ref]));
    return 0;
  },
};

const stagesCommand: Command = {
  summary: "List the registry's stages: those .gto allows when it lists them, else those in use (as gto)",
  options: {
    allowed: { type: 'boolean', help: "Only the stages .gto's 'stages:' allows (nothing when it sets none)." },
    used: { type: 'boolean', help: 'Only the stages some tag used.' },
  },
  async run({ values }) {
    if (values.allowed && values.used) throw new CairnError('USAGE', 'Either "allowed" or "used" can be set');
    const root = gitRoot();
    const stages = registryStages(await readRegistry(root), readGtoConfig(root), values.allowed ? 'allowed' : values.used ? 'used' : undefined);
    if (values.json) printGtoJson(stages ?? null);
    else for (const s of stages ?? []) out(s);
    return 0;
  },
};

const checkRefCommand: Command = {
  summary: 'Say what a git tag registered or assigned (nothing when it is not a registry tag)',
  args: [{ name: '<tag>', help: 'The tag (or refs/tags/<tag>).' }],
  options: {},
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new CairnError('USAGE', `cairn model check-ref takes one tag, got ${positionals.length}.`);
    const events = checkRef(await readRegistry(gitRoot()), positionals[0]);
    if (events.length > 1) throw new CairnError('USAGE', 'Checking refs that created 1+ events is not supported');
    const [event] = events;
    if (!event) return 0;
    if (values.json) {
      const { priority: _p, addition: _a, ...rest } = eventJson(event, true);
      printGtoJson(rest);
    } else out(`✅  ${describeEvent(event)}`);
    return 0;
  },
};

/** `cairn model ...`: the model registry, GTO's git tags read and written as gto does. */
export const modelCommands: CommandTable = {
  model: {
    summary: "The model registry: versions and stages of artifacts as GTO's git tags",
    subcommands: {
      register: registerCommand,
      assign: assignCommand,
      deprecate: deprecateCommand,
      show: showCommand,
      history: historyCommand,
      stages: stagesCommand,
      'check-ref': checkRefCommand,
    },
  },
};
