import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Put `cairn` on the integrated terminal's PATH. The shim runs the bundled CLI with VS
 * Code's own runtime (ELECTRON_RUN_AS_NODE), so no Node.js install is needed.
 */
export function putCliOnPath(context: vscode.ExtensionContext): string {
  const binDir = path.join(context.globalStorageUri.fsPath, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  const cli = path.join(context.extensionPath, 'dist', 'cli.js');
  if (process.platform === 'win32') {
    fs.writeFileSync(path.join(binDir, 'cairn.cmd'), `@echo off\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${process.execPath}" "${cli}" %*\r\n`);
  } else {
    const shim = path.join(binDir, 'cairn');
    fs.writeFileSync(shim, `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec "${process.execPath}" "${cli}" "$@"\n`, { mode: 0o755 });
  }
  const env = context.environmentVariableCollection;
  env.description = 'Puts the `cairn` command on the PATH';
  env.prepend('PATH', binDir + path.delimiter);
  return binDir;
}
