import * as path from 'node:path';
import type { Repo } from '../repo/repo';

/** A target as a user gives it to push, fetch, gc or checkout. */
export interface OutputTarget {
  raw: string;
  abs: string;
  /** For `path/dvc.yaml:stage`: the dvc.yaml (absolute) and the stage name. */
  stage?: { file: string; name: string };
}

/** Where an output is declared: its own path, its .dvc file or dvc.yaml (absolute), and its stage if any. */
export interface DeclaredOutput {
  abs: string;
  file: string;
  stageName?: string;
}

export function parseOutputTarget(repo: Repo, raw: string, cwd: string): OutputTarget {
  const m = /^(.*dvc\.yaml):([^/\\:]+)$/.exec(raw);
  if (m) return { raw, abs: repo.resolveInside(m[1], cwd), stage: { file: repo.resolveInside(m[1], cwd), name: m[2] } };
  return { raw, abs: repo.resolveInside(raw, cwd) };
}

/**
 * Whether a target names an output as a whole: its .dvc file or dvc.yaml, its path, a folder
 * above it, or its stage (`dvc.yaml:name`, or a bare `name` of a stage in the dvc.yaml of that
 * folder). A path inside a tracked directory names part of it; callers that can use a part check that.
 */
export function targetNamesOutput(o: DeclaredOutput, { abs: t, stage }: OutputTarget): boolean {
  if (stage) return o.stageName !== undefined && o.file === stage.file && o.stageName === stage.name;
  if (o.file === t || o.abs === t || o.abs.startsWith(t + path.sep)) return true;
  return o.stageName !== undefined && t === path.join(path.dirname(o.file), o.stageName);
}
