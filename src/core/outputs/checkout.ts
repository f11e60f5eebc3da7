import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { joinClean, tempPathFor } from '../repo/atomicWrite';
import { CairnError, throwIfAborted } from '../errors';
import { collectDvcFiles, outputsOf, selectOutputs, TrackedOutput } from './collect';
import { stageCachedOutputs, StageCachedOutput, targetNamesStageOutput } from '../pipeline/stageCachedOutputs';
import { linkTarget, type LinkOnTheWay } from '../repo/pathGuard';
import type { HashName } from '../hashing/hashNames';
import { hashOutputs, OutState } from './workspaceState';
import type { LinkResult } from '../hashing/workerProtocol';
import { ItemTasks } from '../hashing/hashPool';
import { BigCopy, publishSplitCopy, SPLIT_RANGE_BYTES, startBigCopy } from '../hashing/splitCopy';
import { FileStat, statFile } from '../hashing/statIndex';
import { stagingPath } from '../hashing/hashFile';
import { LinkType, writableMode } from '../cache/linkFromCache';
import type { DirEntry } from '../hashing/dirManifest';
import { estimatedFileSize, Progress } from '../progress';
import { verifyObjects, VerifyStats } from '../cache/verifyObjects';

export interface CheckoutOptions {
  cwd: string;
  force?: boolean;
  relink?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** How many cache objects were verified and how many of them had to be read (for tests and -v). */
  onVerified?: (stats: VerifyStats) => void;
}

/** What checkout changed, per output (repo-relative; directories end in '/'). */
export interface CheckoutResult {
  added: string[];
  modified: string[];
  /** Outputs that could not be restored, with why; `refused` when the repository's own records are unsafe (a path or hash leading outside it), not merely missing data. */
  failed: { path: string; reason: string; refused?: boolean }[];
}

/** One output to restore: of a `.dvc` file or of a pipeline stage (hash from dvc.lock). */
export interface CheckoutEntry {
  abs: string;
  /** Repo-relative. */
  rel: string;
  md5?: string;
  hashName: HashName;
  isexec?: boolean;
  /** The file recording the hash, for messages. */
  recordedIn: string;
  /** The size it records (a directory's: all its files'; they have none of their own in its manifest). */
  size?: number;
  /** A directory's number of files, as recorded. */
  nfiles?: number;
}

interface Plan {
  output: CheckoutEntry;
  /** `size` for progress: recorded, or estimated for a directory's file (estimatedFileSize). */
  writes: { abs: string; md5: string; isexec: boolean; size?: number }[];
  removals: string[];
  /** Links inside a directory output that its files would be written through: removed (the links, never their targets) first. */
  linksInTheWay: string[];
  /** Workspace paths whose current content is not in the cache and would be lost. */
  unsaved: string[];
  /** The whole workspace path must go first (e.g. a folder where a file is expected). */
  clearFirst: boolean;
  kind: 'added' | 'modified' | 'unchanged';
}

/**
 * `dvc checkout`: make the workspace match the `.dvc` entries from the cache. It never
 * destroys content that only exists in the workspace unless `force` is given.
 */
export async function checkout(repo: Repo, targets: string[], options: CheckoutOptions): Promise<CheckoutResult> {
  return repo.withLock(async () => {
    repo.pool.warm(); // its threads start while the plan is made
    return checkoutOutputs(repo, await checkoutEntries(repo, targets, options.cwd), options);
  });
}

/** Restore these outputs from the cache, as `checkout` does; the caller holds the repository lock. */
export async function checkoutOutputs(repo: Repo, outputs: CheckoutEntry[], options: CheckoutOptions): Promise<CheckoutResult> {
  const states = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.hashName, recorded: o.md5 })), {
    signal: options.signal,
  });
  const result: CheckoutResult = { added: [], modified: [], failed: [] };
  let plans: Plan[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const plan = planOutput(repo, outputs[i], states[i], options, result);
    if (plan) plans.push(plan);
  }
  const unsaved = plans.flatMap((p) => p.unsaved);
  if (unsaved.length > 0 && !options.force) {
    const shown = unsaved.slice(0, 5).join(', ') + (unsaved.length > 5 ? ` and ${unsaved.length - 5} more` : '');
    throw new CairnError('UNCOMMITTED_CHANGES', `checkout would overwrite uncommitted changes in: ${shown}.`, {
      hint: 'Commit them with `cairn commit`, or discard them with `cairn checkout --force`.',
      paths: unsaved,
    });
  }
  throwIfAborted(options.signal);
  plans = await withoutCorruptObjects(repo, plans, result, options);

  const tasks = new ItemTasks();
  /** Per write, in order: a big copy under way (its tasks are ranges), 'cloned' (no task), or undefined (one link task). */
  const bigCopies: (BigCopy | 'cloned' | undefined)[] = [];
  let sizesKnown = true;
  const stagingDir = repo.workspaceStagingDir;
  const linkTypes = repo.linkTypes;
  const madeDirs = new Set<string>();
  for (const plan of plans) {
    const { output } = plan;
    // fs.rm removes a link itself, never what it points to.
    if (plan.clearFirst) await fs.promises.rm(output.abs, { recursive: true, force: true });
    for (const r of plan.removals) await fs.promises.rm(r, { force: true });
    for (const link of plan.linksInTheWay) await fs.promises.rm(link, { force: true });
    if (plan.linksInTheWay.length > 0) repo.guard.forget();
    for (const w of plan.writes) {
      const dir = path.dirname(w.abs);
      if (!madeDirs.has(dir)) {
        // Checked when planned; again here, as mkdir would follow a link made since.
        repo.assertWritable(w.abs);
        fs.mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      const objectPath = repo.store.pathOf(w.md5, output.hashName);
      const item = bigCopies.length;
      // Sizes recorded (or a directory's average) say which files may be big; only those are stat'ed.
      const big = w.size === undefined || w.size >= 2 * SPLIT_RANGE_BYTES ? bigCopy(repo, linkTypes, objectPath, w.abs, writableMode(w.isexec), stagingDir) : undefined;
      bigCopies.push(big);
      if (big === 'cloned') continue;
      if (big) {
        for (const task of big.tasks) tasks.add(item, task, task.end - task.start);
        continue;
      }
      // A read-only link in the way (hardlink/symlink to the cache) is replaced by rename, not written through.
      tasks.add(item, { op: 'link', path: w.abs, objectPath, linkTypes, isexec: w.isexec, stagingDir }, w.size ?? 0);
      sizesKnown &&= w.size !== undefined;
    }
  }
  // Progress goes by bytes when every size is known (or estimated), else by files. An estimate
  // can be short of a file's real size: the bytes shown never go back.
  const totalBytes = sizesKnown ? tasks.sizes.reduce((sum, s) => sum + s, 0) : undefined;
  let bytes = 0;
  try {
    const results = await repo.pool.run(tasks.tasks, {
      signal: options.signal,
      sizes: tasks.sizes,
      ...tasks.progress(bigCopies.length, (done, bytesDone) => {
        bytes = Math.max(bytes, bytesDone);
        options.onProgress?.({ done, total: bigCopies.length, unit: 'files', ...(sizesKnown && { bytes, totalBytes }) });
      }),
    });
    const resultsOf = tasks.byItem(bigCopies.length, results);
    let k = 0;
    for (const plan of plans) {
      for (const w of plan.writes) {
        const item = k++;
        const big = bigCopies[item];
        const failed = resultsOf[item].find((r) => !r.ok);
        let stat: FileStat | undefined;
        try {
          if (failed && !failed.ok) throw new Error(failed.error);
          if (big && big !== 'cloned') publishSplitCopy(big.tmp, w.abs, big.size, writableMode(w.isexec));
          stat = big ? statFile(w.abs) : (resultsOf[item][0] as { value: LinkResult }).value.stat;
        } catch (err) {
          throw new CairnError('BAD_FILE', `cannot write ${repo.rel(w.abs)}: ${(err as Error).message}`);
        }
        if (stat) repo.statIndex.record(w.abs, stat, plan.output.hashName, w.md5);
      }
      const isDir = !!plan.output.md5?.endsWith('.dir');
      if (isDir && plan.removals.length > 0) removeEmptyDirs(plan.output.abs); // only removals can empty a folder
      const shown = plan.output.rel + (isDir ? '/' : '');
      if (plan.kind === 'added') result.added.push(shown);
      else if (plan.kind === 'modified') result.modified.push(shown);
    }
  } finally {
    for (const big of bigCopies) if (big && big !== 'cloned') fs.rmSync(big.tmp, { force: true }); // gone already once published
  }
  return result;
}

/**
 * The plans without the writes whose cache objects are corrupt (verifyObjects reads those the
 * stat index has not seen verified): an output they belong to is reported failed, naming them;
 * a directory's other files are still restored. Runs before the workspace is touched.
 */
async function withoutCorruptObjects(repo: Repo, plans: Plan[], result: CheckoutResult, options: CheckoutOptions): Promise<Plan[]> {
  const writes = plans.flatMap((plan) => plan.writes.map((w) => ({ plan, w })));
  const verdicts = await verifyObjects(
    repo,
    writes.map(({ plan, w }) => ({ path: repo.store.pathOf(w.md5, plan.output.hashName), name: w.md5, hashName: plan.output.hashName, size: w.size })),
    options,
  );
  const bad = new Map<Plan, { abs: string; reason: string }[]>();
  verdicts.forEach((v, i) => {
    if (v.ok) return;
    const { plan, w } = writes[i];
    bad.set(plan, [...(bad.get(plan) ?? []), { abs: w.abs, reason: v.reason }]);
  });
  return plans.filter((plan) => {
    const failed = bad.get(plan);
    if (!failed) return true;
    const isDir = !!plan.output.md5?.endsWith('.dir');
    const reason = isDir ? `${failed.length} file(s) not restored, e.g. ${repo.rel(failed[0].abs)}: ${failed[0].reason}` : failed[0].reason;
    result.failed.push({ path: plan.output.rel + (isDir ? '/' : ''), reason });
    const gone = new Set(failed.map((f) => f.abs));
    plan.writes = plan.writes.filter((w) => !gone.has(w.abs));
    return isDir && (plan.writes.length > 0 || plan.removals.length > 0 || plan.clearFirst);
  });
}

/**
 * A big file restored by copy (cache.type copy, or reflink then copy): see startBigCopy; its
 * temp file in the staging folder (beside the target when that is on another file system).
 * Undefined for a small file, or when cache.type puts hardlink or symlink first.
 */
function bigCopy(repo: Repo, linkTypes: LinkType[], objectPath: string, target: string, mode: number, stagingDir: string): BigCopy | 'cloned' | undefined {
  const reflinkFirst = linkTypes[0] === 'reflink' && linkTypes[1] === 'copy';
  if (linkTypes[0] !== 'copy' && !reflinkFirst) return undefined;
  // The object's own size, not the recorded one: ranges must cover it exactly.
  const size = fs.statSync(objectPath, { throwIfNoEntry: false })?.size;
  if (size === undefined) return undefined; // the link task reports it
  const tmp = () => (fs.statSync(stagingDir).dev === fs.statSync(path.dirname(target)).dev ? stagingPath(stagingDir) : tempPathFor(target));
  return startBigCopy(objectPath, target, size, repo.pool.size, tmp, mode, reflinkFirst);
}

function planOutput(repo: Repo, output: CheckoutEntry, state: OutState, options: CheckoutOptions, result: CheckoutResult): Plan | undefined {
  const plan = planWrites(repo, output, state, { relink: !!options.relink, force: !!options.force }, result);
  if (!plan) return undefined;
  // Links where data goes (the output itself, or a folder inside it) are replaced, never written
  // through; without --force that output is left alone and named, and the others go on.
  const links = linksToReplace(repo, plan, state);
  if (links.length > 0 && !options.force) {
    const shown = links.slice(0, 3).map((l) => `'${repo.rel(l.at)}' -> '${l.to}'`).join(', ');
    result.failed.push({ path: output.rel + (output.md5?.endsWith('.dir') ? '/' : ''), reason: `${shown} ${links.length === 1 ? 'is a link' : 'are links'}: checkout writes no data through links; remove ${links.length === 1 ? 'it' : 'them'}, or replace with --force`, refused: true });
    return undefined;
  }
  plan.linksInTheWay = links.map((l) => l.at);
  return plan;
}

/** The output itself when it is a link not followed, and the links between it and the folders its files go to. */
function linksToReplace(repo: Repo, plan: Plan, state: OutState): LinkOnTheWay[] {
  const { output } = plan;
  const links = new Map<string, LinkOnTheWay>();
  if (state.isLink || (state.exists && repo.guard.isLinkLeaving(output.abs))) links.set(output.abs, { at: output.abs, to: linkTarget(output.abs) });
  if (output.md5?.endsWith('.dir')) {
    for (const dir of new Set(plan.writes.map((w) => path.dirname(w.abs)))) {
      const link = repo.guard.linkBetween(output.abs, path.join(dir, '_'));
      if (link) links.set(link.at, link);
    }
  }
  return [...links.values()];
}

/**
 * With --force, what is in the workspace goes even when the cache lacks what should replace it,
 * as dvc removes it: the output is then missing (and reported failed), never a stale version that
 * looks current.
 */
function discardOnly(plan: Plan): Plan {
  plan.clearFirst = true;
  plan.kind = 'unchanged';
  return plan;
}

function planWrites(repo: Repo, output: CheckoutEntry, state: OutState, { relink, force }: { relink: boolean; force: boolean }, result: CheckoutResult): Plan | undefined {
  const out = output;
  const shown = output.rel + (out.md5?.endsWith('.dir') ? '/' : '');
  if (!out.md5) {
    result.failed.push({ path: shown, reason: 'no hash recorded in ' + output.recordedIn });
    return undefined;
  }
  if (state.unsafe) {
    result.failed.push({ path: shown, reason: state.unsafe, refused: true });
    return undefined;
  }
  // A link is replaced, not saved (linksToReplace); it has no hash when not followed.
  const inCache = (md5: string | undefined) => !!md5 && repo.store.has(md5, out.hashName);
  const isLink = state.isLink || (state.exists && repo.guard.isLinkLeaving(output.abs));
  const plan: Plan = { output, writes: [], removals: [], linksInTheWay: [], unsaved: [], clearFirst: false, kind: state.exists ? 'modified' : 'added' };

  if (!out.md5.endsWith('.dir')) {
    if (state.exists && !state.isDir && state.md5 === out.md5) {
      if (!relink) return undefined;
      plan.kind = 'unchanged';
    } else if (state.exists) {
      if (state.isDir) {
        plan.clearFirst = true;
        plan.unsaved.push(...state.files.filter((f) => !inCache(f.md5)).map((f) => repo.rel(f.abs)));
      } else if (!isLink && !inCache(state.md5)) plan.unsaved.push(output.rel);
    }
    if (!inCache(out.md5)) {
      result.failed.push({ path: shown, reason: 'not in cache' });
      return force && state.exists ? discardOnly(plan) : undefined;
    }
    plan.writes.push({ abs: output.abs, md5: out.md5, isexec: !!out.isexec, size: out.size });
    return plan;
  }

  let manifest: DirEntry[] | undefined;
  try {
    manifest = repo.store.readDir(out.md5, out.hashName);
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    const refused = err.code === 'UNSAFE_PATH' || err.code === 'BAD_HASH';
    result.failed.push({ path: shown, reason: refused ? err.oneLine() : `${err.message}; ${err.hint}`, refused });
    return undefined;
  }
  if (!manifest) {
    result.failed.push({ path: shown, reason: 'not in cache' });
    return force && state.exists ? discardOnly(plan) : undefined;
  }
  if (state.exists && !state.isDir) {
    plan.clearFirst = true;
    if (!isLink && !inCache(state.md5)) plan.unsaved.push(output.rel);
  }
  const current = new Map((state.isDir ? state.files : []).map((f) => [f.relpath, f]));
  const missing = repo.store.missing(manifest.map((e) => e.md5), out.hashName);
  if (missing.length > 0) {
    const example = manifest.find((e) => e.md5 === missing[0])!.relpath;
    result.failed.push({ path: shown, reason: `${missing.length} file(s) not in cache, e.g. ${example}` });
    return undefined;
  }
  const expected = new Set<string>();
  const fileSize = estimatedFileSize(out);
  for (const e of manifest) {
    expected.add(e.relpath);
    const have = current.get(e.relpath);
    if (have && have.md5 === e.md5 && !relink) continue;
    if (have && have.md5 !== e.md5 && !inCache(have.md5)) plan.unsaved.push(repo.rel(have.abs));
    // parseDirManifest refuses empty and '..' parts
    plan.writes.push({ abs: joinClean(output.abs, e.relpath), md5: e.md5, isexec: false, size: fileSize });
  }
  for (const [relpath, f] of current) {
    if (expected.has(relpath)) continue;
    plan.removals.push(f.abs);
    if (!inCache(f.md5)) plan.unsaved.push(repo.rel(f.abs));
  }
  if (plan.writes.length === 0 && plan.removals.length === 0 && !plan.clearFirst) return undefined;
  if (relink && state.exists && state.md5 === out.md5) plan.kind = 'unchanged';
  return plan;
}

const fromDvcFile = (o: TrackedOutput): CheckoutEntry => ({
  abs: o.abs, rel: o.rel, md5: o.out.md5, hashName: o.out.hashName, isexec: o.out.isexec, recordedIn: o.dvcFile.relFile, size: o.out.size, nfiles: o.out.nfiles,
});
const fromStage = (o: StageCachedOutput): CheckoutEntry => ({
  abs: o.abs, rel: o.rel, md5: o.entry.md5, hashName: o.hashName, isexec: o.entry.isexec, recordedIn: o.lockFile, size: o.entry.size, nfiles: o.entry.nfiles,
});

/**
 * What checkout restores: the cached outputs of the `.dvc` files and of the stages (those
 * dvc.lock records a hash for), or those named by `targets` (an output path, a folder holding
 * outputs, a `.dvc` file, a dvc.yaml, a stage). A target naming neither is an error.
 */
export async function checkoutEntries(repo: Repo, targets: string[], cwd: string): Promise<CheckoutEntry[]> {
  if (targets.length === 0) {
    const [stageOuts, dvcFiles] = await Promise.all([stageCachedOutputs(repo), collectDvcFiles(repo)]);
    const dvcOuts = outputsOf(repo, dvcFiles).filter((o) => o.out.cache).map(fromDvcFile);
    const taken = new Set(dvcOuts.map((o) => o.abs));
    return [...dvcOuts, ...stageOuts.map(fromStage).filter((o) => !taken.has(o.abs))];
  }
  const stageOuts = await stageCachedOutputs(repo);
  const chosen: CheckoutEntry[] = [];
  const add = (e: CheckoutEntry) => {
    if (!chosen.some((c) => c.abs === e.abs)) chosen.push(e);
  };
  for (const target of targets) {
    const fromStages = stageOuts.filter((o) => targetNamesStageOutput(repo, o, target, cwd));
    let fromDvc: TrackedOutput[] = [];
    try {
      fromDvc = await selectOutputs(repo, [target], cwd);
    } catch (e) {
      if (!(e instanceof CairnError && e.code === 'NOT_TRACKED' && fromStages.length > 0)) throw e;
    }
    for (const o of fromDvc) if (o.out.cache) add(fromDvcFile(o));
    for (const o of fromStages) add(fromStage(o));
  }
  return chosen;
}

/** Folders emptied by removals inside a tracked directory go too (the directory itself stays). */
function removeEmptyDirs(dir: string): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && removeEmptyDirs(path.join(dir, e.name))) fs.rmdirSync(path.join(dir, e.name));
    else empty = false;
  }
  return empty;
}
