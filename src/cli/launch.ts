#!/usr/bin/env node
/**
 * The `cairn` command: loads the CLI bundle (dist/cairn.js) with V8's code cache. Compiling
 * the 3 MB bundle costs ~50 ms of every command's start; with the cache of an earlier run it
 * costs a few. The cache lives in the user's own cache folder (never a shared temp folder:
 * it holds code), keyed by Node's version and the bundle's size and mtime; V8 rejects one that
 * does not fit, and then it is written anew. Without a writable cache folder, nothing changes.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import Module = require('node:module');

type Cli = { main(argv: string[]): Promise<number> };

function userCacheDir(): string {
  if (process.env.XDG_CACHE_HOME) return process.env.XDG_CACHE_HOME;
  if (process.platform === 'win32') return process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches');
  return path.join(os.homedir(), '.cache');
}

function loadWithCodeCache(bundle: string): Cli {
  const source = fs.readFileSync(bundle, 'utf8');
  const { size, mtimeMs } = fs.statSync(bundle);
  // One cache per installed bundle (the extension's and npm's may differ); an older one of the same bundle is replaced.
  const cacheDir = path.join(userCacheDir(), 'cairn', 'v8');
  const prefix = `cairn-${crypto.createHash('md5').update(bundle).digest('hex').slice(0, 8)}-`;
  const cacheFile = path.join(cacheDir, `${prefix}${process.version}-${process.arch}-${size}-${Math.floor(mtimeMs)}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // first run of this bundle
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  // Its require.main is this launcher, so the bundle's own "run when main" check stays false.
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit, so that the cache also holds the functions this command compiled lazily.
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
        for (const old of fs.readdirSync(cacheDir)) {
          if (old.startsWith(prefix) && old !== path.basename(cacheFile)) fs.rmSync(path.join(cacheDir, old), { force: true });
        }
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // the cache folder is unusable: run without a cache
        }
      }
    });
  }
  return mod.exports as Cli;
}

const cli = loadWithCodeCache(path.join(__dirname, 'cairn.js'));
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
