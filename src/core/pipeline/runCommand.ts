import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { abortedError, CairnError } from '../errors';
import { assertFolderTrusted } from '../folderTrust';

/** The shell DVC runs commands with: `$SHELL`, else /bin/sh; bash and zsh without their rc files. */
export function shellCommand(cmd: string): { file: string; args: string[] } {
  const shell = process.env.SHELL || '/bin/sh';
  const name = path.basename(shell).toLowerCase();
  const opts: Record<string, string[]> = { zsh: ['--no-rcs'], bash: ['--noprofile', '--norc'] };
  return { file: shell, args: [...(opts[name] ?? []), '-c', cmd] };
}

/** A stage's command as the lines DVC runs one after another (a list, or a string split at line ends). */
export function commandLines(cmd: string | string[]): string[] {
  return Array.isArray(cmd) ? cmd : cmd.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1);
}

/**
 * Run one command line in `cwd` with the stage's environment, its output going straight to
 * ours. Aborting kills the command (SIGINT, then SIGKILL if it lingers).
 */
export function runCommandLine(cmd: string, options: { cwd: string; env: NodeJS.ProcessEnv; stageName: string; signal?: AbortSignal; stdoutToStderr?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(abortedError());
    assertFolderTrusted(`the command of stage '${options.stageName}'`);
    const { file, args } = shellCommand(cmd);
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['inherit', options.stdoutToStderr ? process.stderr : 'inherit', 'inherit'] });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new CairnError('STAGE_FAILED', `failed to reproduce '${options.stageName}': cannot run ${file}: ${err.message}`, { hint: 'Check the SHELL environment variable.' }));
    });
    child.on('close', (code, sig) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (options.signal?.aborted) return reject(abortedError());
      if (code === 0) return resolve();
      reject(new CairnError('STAGE_FAILED', `failed to reproduce '${options.stageName}': failed to run: ${cmd}, exited with ${code ?? sig}`, {
        hint: 'Fix the command (its output is above) and run `cairn repro` again.',
      }));
    });
  });
}
