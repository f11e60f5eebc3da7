import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Mocha from 'mocha';
import { provisionPeers } from './provisionPeers';
import { cleanupTempDirs, removeTempTree, TEMP_ROOT_ENV } from './support/fixtures';

/**
 * Runs every suite (unit, interop, security, e2e) with mocha and ends with the line CI reads:
 * `N passed, N failed`. Suites to run can be narrowed: `node out/test/run.js unit`; tests by
 * title with TEST_GREP.
 *
 * The unit, interop and security files run in mocha's parallel mode, TEST_JOBS (default 2)
 * worker processes taking one file at a time: most of their time is spent waiting on the
 * single-threaded Python peers. The e2e suite runs after them, alone in this process, so its
 * timings (first paint, live-plot delays) do not compete for the CPU.
 */
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'interop', 'security', 'e2e'];
// The longest files (interop's) are handed out first, so no long file starts last while the
// other worker idles; unit files, mostly short, fill in at the end.
const PARALLEL_ORDER = ['interop', 'security', 'unit'];
const jobs = Number(process.env.TEST_JOBS ?? 2);
if (!Number.isInteger(jobs) || jobs < 1) {
  process.stderr.write(`TEST_JOBS must be a whole number of worker processes (1 or more), not ${process.env.TEST_JOBS}\n`);
  process.exit(2);
}

function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    // e2e/suite/ holds tests that run inside VS Code's extension host (they import `vscode`);
    // test/e2e/e2e.test.ts starts them there.
    if (e.isDirectory()) {
      if (e.name !== 'suite') files.push(...testFiles(p));
    } else if (e.name.endsWith('.test.js')) files.push(p);
  }
  return files;
}

let passed = 0;
let failed = 0;

/** Runs `files` in one mocha run (in worker processes when `parallel`), then says how long it took; resolves with mocha's failure count. */
function runMocha(what: string, files: string[], parallel: boolean): Promise<number> {
  const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', grep: process.env.TEST_GREP, parallel, jobs });
  for (const f of files) mocha.addFile(f);
  const started = Date.now();
  return new Promise((resolve) => {
    const runner = mocha.run((failures) => {
      process.stdout.write(`${what}: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(0)} s${parallel ? ` (${jobs} worker processes)` : ''}\n`);
      resolve(failures);
    });
    // In parallel mode these are the workers' events, replayed here as each file ends; a file
    // that cannot load, or a worker that dies, is a 'fail' too.
    runner.on('pass', () => passed++);
    runner.on('fail', () => failed++);
  });
}

async function main(): Promise<number> {
  // The peers first, outside any test's time limit; without them no suite can pass.
  try {
    await provisionPeers(suites);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.stdout.write(`\n0 passed, 1 failed (no test ran: a peer could not be provisioned)\n`);
    return 1;
  }
  // Every temp folder of the run, in this process and its workers, goes in one folder removed at the end.
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-tests-'));
  process.env[TEMP_ROOT_ENV] = tempRoot;
  let failures = 0;
  try {
    const parallelSuites = PARALLEL_ORDER.filter((s) => suites.includes(s));
    const parallelFiles = parallelSuites.flatMap((s) => testFiles(path.join(__dirname, s)));
    if (parallelFiles.length) failures += await runMocha(parallelSuites.join(', '), parallelFiles, true);
    if (suites.includes('e2e')) failures += await runMocha('e2e', testFiles(path.join(__dirname, 'e2e')), false);
  } finally {
    cleanupTempDirs();
    removeTempTree(tempRoot);
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  return failures > 0 || failed > 0 || passed === 0 ? 1 : 0;
}

main().then((code) => (process.exitCode = code));
