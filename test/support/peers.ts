import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

/** The real DVC we check compatibility against, pinned so results are repeatable. */
export const DVC_VERSION = '3.67.1';

const peersDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cairn', 'peers');
const venv = path.join(peersDir, `dvc-${DVC_VERSION}`);

/**
 * The path of a `dvc` executable of DVC_VERSION: installed from PyPI into a virtualenv
 * outside the repository on first use (no root needed), reused afterwards.
 */
export function ensureDvc(): string {
  const dvc = path.join(venv, 'bin', 'dvc');
  const complete = path.join(venv, '.cairn-complete');
  if (fs.existsSync(complete)) return dvc;
  // A half-made venv (an install that was killed) is made again from scratch.
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(peersDir, { recursive: true });
  const python = process.env.PYTHON ?? 'python3';
  process.stderr.write(`Installing the dvc ${DVC_VERSION} peer into ${venv} (once)...\n`);
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `dvc==${DVC_VERSION}`], { stdio: 'inherit' });
  fs.writeFileSync(complete, DVC_VERSION);
  return dvc;
}

/** The dvc-s3 plugin version installed beside DVC_VERSION for S3 interop. */
export const DVC_S3_VERSION = '3.3.0';

/**
 * A `dvc` executable of DVC_VERSION with the S3 plugin (dvc-s3), in its own cached
 * virtualenv (so the plain peer stays as users install it). Made once; a half-made venv
 * (no marker, written last) is made again.
 */
export function ensureDvcS3(): string {
  const dir = path.join(peersDir, `dvc-s3-${DVC_VERSION}`);
  const dvc = path.join(dir, 'bin', 'dvc');
  const complete = path.join(dir, '.cairn-complete');
  const stamp = `${DVC_VERSION}+dvc-s3-${DVC_S3_VERSION}`;
  if (fs.existsSync(complete) && fs.readFileSync(complete, 'utf8').trim() === stamp) return dvc;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(peersDir, { recursive: true });
  const python = process.env.PYTHON ?? 'python3';
  process.stderr.write(`Installing dvc ${DVC_VERSION} + dvc-s3 ${DVC_S3_VERSION} into ${dir} (once)...\n`);
  execFileSync(python, ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `dvc==${DVC_VERSION}`, `dvc-s3==${DVC_S3_VERSION}`], { stdio: 'inherit' });
  fs.writeFileSync(complete, stamp + '\n');
  return dvc;
}

/** The DVCLive version installed beside DVC_VERSION, for training scripts run inside experiments. */
export const DVCLIVE_VERSION = '3.49.1';

/**
 * The `python` of a virtualenv holding dvc DVC_VERSION and dvclive DVCLIVE_VERSION (its own, so
 * the plain dvc peer stays as users install it); stage commands run it to use the real DVCLive.
 * Made once; a half-made venv (no marker, written last) is made again.
 */
export function ensureDvclive(): string {
  const dir = path.join(peersDir, `dvclive-${DVCLIVE_VERSION}-dvc-${DVC_VERSION}`);
  const python = path.join(dir, 'bin', 'python');
  const complete = path.join(dir, '.cairn-complete');
  if (fs.existsSync(complete)) return python;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(peersDir, { recursive: true });
  process.stderr.write(`Installing dvc ${DVC_VERSION} + dvclive ${DVCLIVE_VERSION} into ${dir} (once)...\n`);
  execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `dvc==${DVC_VERSION}`, `dvclive==${DVCLIVE_VERSION}`], { stdio: 'inherit' });
  fs.writeFileSync(complete, `${DVC_VERSION}+dvclive-${DVCLIVE_VERSION}\n`);
  return python;
}

/** The GTO version (PyPI) the model registry is checked against: the newest 1.x, the one dvc DVC_VERSION installs. */
export const GTO_VERSION = '1.10.1';

/**
 * The path of a `gto` executable of GTO_VERSION, in a virtualenv of its own (the registry's tags
 * are compared with what the real gto writes and reads). Made once; a half-made venv (no marker,
 * written last) is made again.
 */
export function ensureGto(): string {
  const dir = path.join(peersDir, `gto-${GTO_VERSION}`);
  const gto = path.join(dir, 'bin', 'gto');
  const complete = path.join(dir, '.cairn-complete');
  if (fs.existsSync(complete)) return gto;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(peersDir, { recursive: true });
  process.stderr.write(`Installing the gto ${GTO_VERSION} peer into ${dir} (once)...\n`);
  execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `gto==${GTO_VERSION}`], { stdio: 'inherit' });
  fs.writeFileSync(complete, `gto-${GTO_VERSION}\n`);
  return gto;
}
