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
