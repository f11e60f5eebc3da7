import { CairnError } from '../errors';

/** A version as GTO writes it: `v` then SemVer 2.0 (`v1.2.3`, `v1.0.0-rc.1+build.5`). */
export interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  prerelease: string[];
  build: string | undefined;
}

const NUMBER = '0|[1-9][0-9]*';
const PRERELEASE_PART = '0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*';
/** SemVer 2.0's grammar (semver.org), as GTO's tag pattern and Python's `semver` accept it; `v` first. */
export const SEMVER_PATTERN = `v(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-((?:${PRERELEASE_PART})(?:\\.(?:${PRERELEASE_PART}))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?`;
const SEMVER_RE = new RegExp(`^${SEMVER_PATTERN}$`);

/** The version `text` names, or undefined when it is not `v` + SemVer. */
export function parseSemVer(text: string): SemVer | undefined {
  const m = SEMVER_RE.exec(text);
  if (!m) return undefined;
  return { major: BigInt(m[1]), minor: BigInt(m[2]), patch: BigInt(m[3]), prerelease: m[4] ? m[4].split('.') : [], build: m[5] };
}

export const isSemVer = (text: string): boolean => parseSemVer(text) !== undefined;

/** `text` as a version, or GTO's refusal (a usage error: nothing is written). */
export function semVerOf(text: string): SemVer {
  const v = parseSemVer(text);
  if (!v) throw new CairnError('USAGE', `Version '${text}' is not valid. Example of valid version: 'v1.0.0'`);
  return v;
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer precedence (build metadata ignored; numbers of any size, as Python's): <0, 0 or >0. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = compareNumbers(a.major, b.major) || compareNumbers(a.minor, b.minor) || compareNumbers(a.patch, b.patch);
  if (core) return core;
  // A version without a prerelease ranks above the same version with one.
  if (!a.prerelease.length || !b.prerelease.length) return compareNumbers(b.prerelease.length, a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    const xNumeric = /^[0-9]+$/.test(x);
    const yNumeric = /^[0-9]+$/.test(y);
    let c: number;
    if (xNumeric && yNumeric) c = compareNumbers(BigInt(x), BigInt(y));
    else if (xNumeric !== yNumeric) c = xNumeric ? -1 : 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c) return c;
  }
  return compareNumbers(a.prerelease.length, b.prerelease.length);
}

export type Bump = 'major' | 'minor' | 'patch';

/** The next version as GTO bumps it: prerelease and build dropped, lower parts reset. */
export function bumpSemVer(v: SemVer, bump: Bump): string {
  if (bump === 'major') return `v${v.major + 1n}.0.0`;
  if (bump === 'minor') return `v${v.major}.${v.minor + 1n}.0`;
  return `v${v.major}.${v.minor}.${v.patch + 1n}`;
}

/** The version GTO registers first. */
export const FIRST_VERSION = 'v0.0.1';
