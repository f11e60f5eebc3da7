import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { provisionPeers } from './provisionPeers';
import { cleanupTempDirs } from './support/fixtures';

/**
 * Runs every suite (unit, interop, security, e2e) with mocha and ends with the line CI reads:
 * `N passed, N failed`. Suites to run can be narrowed: `node out/test/run.js unit`.
 */
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'interop', 'security', 'e2e'];
const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', grep: process.env.TEST_GREP });

function addTests(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    // e2e/suite/ holds tests that run inside VS Code's extension host (they import `vscode`);
    // test/e2e/e2e.test.ts starts them there.
    if (e.isDirectory()) {
      if (e.name !== 'suite') addTests(p);
    } else if (e.name.endsWith('.test.js')) mocha.addFile(p);
  }
}
for (const suite of suites) addTests(path.join(__dirname, suite));

let passed = 0;
let failed = 0;
// The peers first, outside any test's time limit; without them no suite can pass.
provisionPeers(suites).then(
  () => {
    const runner = mocha.run((failures) => {
      cleanupTempDirs();
      process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
      process.exitCode = failures > 0 || passed === 0 ? 1 : 0;
    });
    runner.on('pass', () => passed++);
    runner.on('fail', () => failed++);
  },
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.stdout.write(`\n0 passed, 1 failed (no test ran: a peer could not be provisioned)\n`);
    process.exitCode = 1;
  },
);
