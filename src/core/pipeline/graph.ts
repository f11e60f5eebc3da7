import { CairnError } from '../errors';
import { PathIndex } from './pathIndex';
import type { SourceRange, Stage } from './stage';

/** An output tracked by a `.dvc` file, which stages may depend on and must not overlap. */
export interface TrackedPath {
  repoPath: string;
  /** The `.dvc` file (repo-relative). */
  file: string;
}

/** Something wrong with the shape of the pipeline (not thrown: lint reports these). */
export interface GraphProblem {
  code: 'PIPELINE_CYCLE' | 'OUTPUT_CONFLICT' | 'DEPENDENCY_IS_OUTPUT' | 'MISSING_DEPENDENCY';
  message: string;
  hint: string;
  /** Where to show it: the stage (or the dep/out) at fault. */
  file: string;
  range?: SourceRange;
  stages: string[];
}

const isInside = (inner: string, outer: string) => inner.startsWith(outer + '/');

interface Producer {
  stage?: Stage;
  tracked?: TrackedPath;
  repoPath: string;
  range?: SourceRange;
}

const ownerName = (p: Producer) => (p.stage ? `stage '${p.stage.addr}'` : `'${p.tracked!.file}'`);

/** Conflicting outputs reported at most (a hostile file can make every pair of thousands conflict). */
const MAX_CONFLICTS = 1000;

/**
 * The stages and their dependencies: an edge from a stage to each stage producing one of its
 * deps (the same path, a path inside the output, or a folder holding it), as DVC links them.
 * Producers are found through a `PathIndex`, so building is near-linear in the stages.
 */
export class StageGraph {
  private readonly deps = new Map<Stage, Stage[]>();
  private readonly dependents = new Map<Stage, Stage[]>();
  readonly problems: GraphProblem[] = [];
  private readonly producers = new PathIndex<Producer>();

  private constructor(readonly stages: Stage[], tracked: TrackedPath[]) {
    for (const s of stages) for (const o of s.outs) this.producers.add(o.repoPath, { stage: s, repoPath: o.repoPath, range: o.range });
    for (const t of tracked) this.producers.add(t.repoPath, { tracked: t, repoPath: t.repoPath });
    const conflicting = this.checkOutputs();
    this.checkDependenciesAreNotOutputs(conflicting);
    for (const s of stages) {
      this.deps.set(s, []);
      this.dependents.set(s, []);
    }
    for (const s of stages) {
      const linked = new Set<Stage>();
      for (const dep of [...s.deps.map((d) => d.repoPath), ...s.params.map((p) => p.repoPath)]) {
        if (dep === undefined) continue;
        for (const i of this.producers.overlapping(dep)) {
          const producer = this.producers.entries[i].value.stage;
          // A stage reading its own output is DEPENDENCY_IS_OUTPUT, not a cycle of one.
          if (!producer || producer === s || linked.has(producer)) continue;
          linked.add(producer);
          this.deps.get(s)!.push(producer);
          this.dependents.get(producer)!.push(s);
        }
      }
    }
    this.checkCycles();
  }

  /** Build the graph and collect its problems (see `problems`); nothing is thrown. */
  static analyze(stages: Stage[], tracked: TrackedPath[] = []): StageGraph {
    return new StageGraph(stages, tracked);
  }

  /** Build the graph; a cycle or conflicting outputs is a CairnError. */
  static build(stages: Stage[], tracked: TrackedPath[] = []): StageGraph {
    const g = new StageGraph(stages, tracked);
    const p = g.problems[0];
    if (p) throw new CairnError(p.code, p.message, { file: p.file, line: p.range?.start.line, hint: p.hint, paths: p.stages });
    return g;
  }

  /** Reports outputs with more than one producer; returns, by stage, the outputs of it a report was placed at. */
  private checkOutputs(): Map<Stage, Set<string>> {
    const named = new Map<Stage, Set<string>>();
    const name = (p: Producer) => {
      if (!p.stage) return;
      if (!named.has(p.stage)) named.set(p.stage, new Set());
      named.get(p.stage)!.add(p.repoPath);
    };
    const ps = this.producers.entries.map((e) => e.value);
    let conflicts = 0;
    for (let i = 0; i < ps.length && conflicts < MAX_CONFLICTS; i++) {
      for (const j of this.producers.overlapping(ps[i].repoPath)) {
        if (j <= i || conflicts++ >= MAX_CONFLICTS) continue;
        const a = ps[i];
        const b = ps[j];
        const blame = b.stage ?? a.stage;
        const where = b.stage ? b : a;
        const names = [a, b].map((p) => p.stage?.addr ?? p.tracked!.file);
        name(where);
        if (a.repoPath === b.repoPath) {
          this.problems.push({
            code: 'OUTPUT_CONFLICT',
            message: `output '${a.repoPath}' is produced by both ${ownerName(a)} and ${ownerName(b)}`,
            hint: 'An output must have one producer: remove it from one of them.',
            file: blame?.file ?? a.tracked?.file ?? '',
            range: where.range,
            stages: names,
          });
        } else {
          const [outer, inner] = isInside(b.repoPath, a.repoPath) ? [a, b] : [b, a];
          this.problems.push({
            code: 'OUTPUT_CONFLICT',
            message: `output '${inner.repoPath}' of ${ownerName(inner)} is inside output '${outer.repoPath}' of ${ownerName(outer)}`,
            hint: 'Outputs may not overlap: track the folder or the files inside it, not both.',
            file: blame?.file ?? a.tracked?.file ?? '',
            range: where.range,
            stages: names,
          });
        }
      }
    }
    return named;
  }

  /**
   * A path that is both a dependency and an output of one stage (or inside one), as DVC refuses it ("Same
   * item(s) are defined as both a dependency and an output"). Not repeated where a conflict
   * was reported at the same output of the stage (one edit, one report): removing that
   * output (the conflict's quick fix) ends both.
   */
  private checkDependenciesAreNotOutputs(conflicting: Map<Stage, Set<string>>): void {
    for (const s of this.stages) {
      for (const d of s.deps) {
        const dep = d.repoPath;
        // The same path, or one inside the other: DVC refuses both.
        const out = dep === undefined ? undefined : s.outs.find((o) => o.repoPath === dep || isInside(o.repoPath, dep) || isInside(dep, o.repoPath));
        if (!out || conflicting.get(s)?.has(out.repoPath)) continue;
        this.problems.push({
          code: 'DEPENDENCY_IS_OUTPUT',
          message: out.repoPath === dep ? `'${d.path}' is both a dependency and an output of stage '${s.addr}'` : `dependency '${d.path}' of stage '${s.addr}' overlaps its output '${out.path}'`,
          hint: 'A stage cannot read what it writes: remove it from its deps or its outs.',
          file: s.file,
          range: d.range,
          stages: [s.addr],
        });
      }
    }
  }

  private checkCycles(): void {
    // Depth-first, with a stack of its own: a chain of 10,000 stages is 10,000 levels deep.
    const state = new Map<Stage, 1 | 2>();
    const path: { stage: Stage; next: number }[] = [];
    for (const root of this.stages) {
      if (state.has(root)) continue;
      state.set(root, 1);
      path.push({ stage: root, next: 0 });
      while (path.length) {
        const top = path[path.length - 1];
        const deps = this.deps.get(top.stage)!;
        if (top.next === deps.length) {
          state.set(top.stage, 2);
          path.pop();
          continue;
        }
        const d = deps[top.next++];
        if (state.get(d) === 1) {
          const cycle = path.slice(path.findIndex((f) => f.stage === d)).map((f) => f.stage);
          this.problems.push({
            code: 'PIPELINE_CYCLE',
            message: `the pipeline has a cycle: ${[...cycle, d].map((c) => c.addr).join(' -> ')}`,
            hint: "A stage may not depend, directly or not, on its own outputs.",
            file: d.file,
            range: d.nameRange,
            stages: cycle.map((c) => c.addr),
          });
          return;
        }
        if (!state.has(d)) {
          state.set(d, 1);
          path.push({ stage: d, next: 0 });
        }
      }
    }
  }

  /** The stages producing a stage's deps, in the order its deps are listed. */
  upstream(stage: Stage): Stage[] {
    return this.deps.get(stage) ?? [];
  }

  /** The `.dvc` files (repo-relative, each once) whose outputs a stage depends on, in the order its deps are listed. */
  trackedUpstream(stage: Stage): string[] {
    const files = new Set<string>();
    for (const dep of [...stage.deps.map((d) => d.repoPath), ...stage.params.map((p) => p.repoPath)]) {
      if (dep === undefined) continue;
      for (const i of this.producers.overlapping(dep)) {
        const tracked = this.producers.entries[i].value.tracked;
        if (tracked) files.add(tracked.file);
      }
    }
    return [...files];
  }

  /** The stages depending on a stage's outputs. */
  downstream(stage: Stage): Stage[] {
    return this.dependents.get(stage) ?? [];
  }

  /** The stage producing a path (or a folder holding it, or a file inside it). */
  producerOf(repoPath: string): Stage | undefined {
    for (const i of this.producers.overlapping(repoPath)) {
      const stage = this.producers.entries[i].value.stage;
      if (stage) return stage;
    }
    return undefined;
  }

  /**
   * DVC's evaluation order: a depth-first post-order walk over `roots` (all stages when
   * omitted) following dependencies, so every stage comes after what it depends on. With
   * `downstream`, the walk follows dependents instead and the result runs from the roots to
   * what depends on them.
   */
  order(roots: Stage[] = this.stages, options: { downstream?: boolean; cutAtFrozen?: boolean } = {}): Stage[] {
    // As `repro` plans, a frozen stage can be cut from what it depends on.
    const up = (s: Stage) => (options.cutAtFrozen && s.frozen ? [] : this.upstream(s));
    const down = (s: Stage) => this.downstream(s).filter((d) => !(options.cutAtFrozen && d.frozen));
    const next = options.downstream ? down : up;
    const seen = new Set<Stage>();
    const post: Stage[] = [];
    // Post-order with a stack of its own (a long chain is as deep as it is long).
    const path: { stage: Stage; next: Stage[]; at: number }[] = [];
    for (const root of roots) {
      if (seen.has(root)) continue;
      seen.add(root);
      path.push({ stage: root, next: next(root), at: 0 });
      while (path.length) {
        const top = path[path.length - 1];
        if (top.at === top.next.length) {
          post.push(top.stage);
          path.pop();
          continue;
        }
        const n = top.next[top.at++];
        if (!seen.has(n)) {
          seen.add(n);
          path.push({ stage: n, next: next(n), at: 0 });
        }
      }
    }
    if (!options.downstream) return post;
    // Within the reached set, dependencies first.
    const reached = new Set(post);
    return this.order(this.stages, { cutAtFrozen: options.cutAtFrozen }).filter((s) => reached.has(s));
  }

  /**
   * Deps no stage produces and no file provides (checked with `exists`), as problems: of
   * `stages` (all by default). `exists` answers for repo-relative paths.
   */
  missingDependencies(exists: (repoPath: string) => boolean, stages: Stage[] = this.stages): GraphProblem[] {
    const problems: GraphProblem[] = [];
    for (const s of stages) {
      for (const d of s.deps) {
        if (d.repoPath === undefined || this.producerOf(d.repoPath) || exists(d.repoPath)) continue;
        problems.push({
          code: 'MISSING_DEPENDENCY',
          message: `dependency '${d.path}' of stage '${s.addr}' does not exist and no stage produces it`,
          hint: 'Create the file, add a stage that outputs it, or fix the path.',
          file: s.file,
          range: d.range,
          stages: [s.addr],
        });
      }
    }
    return problems;
  }
}

/** Throw the first missing dependency as a CairnError (what repro does before running anything). */
export function assertDependenciesExist(graph: StageGraph, stages: Stage[], exists: (repoPath: string) => boolean): void {
  const p = graph.missingDependencies(exists, stages)[0];
  if (p) throw new CairnError('MISSING_DEPENDENCY', p.message, { file: p.file, line: p.range?.start.line, hint: p.hint, paths: p.stages });
}
