import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CairnError } from '../errors';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A repository-wide writer lock: a file created exclusively, holding the owner's pid.
 * A lock left by a process that no longer runs (on this host) is taken over.
 */
export class RepoLock {
  private held = false;
  constructor(readonly file: string) {}

  async acquire(waitMs = 3000): Promise<void> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const fd = fs.openSync(this.file, 'wx');
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
        fs.closeSync(fd);
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = this.readOwner();
      if (owner && owner.host === os.hostname() && !pidAlive(owner.pid)) {
        fs.rmSync(this.file, { force: true }); // stale: its process is gone
        continue;
      }
      if (!owner) {
        // Being written right now, or garbage: give the writer a moment, then treat as stale.
        const age = Date.now() - (fs.statSync(this.file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
        if (age > 1000) {
          fs.rmSync(this.file, { force: true });
          continue;
        }
      }
      if (Date.now() >= deadline) {
        throw new CairnError('LOCKED', `the repository is locked by pid ${owner?.pid ?? '?'}${owner && owner.host !== os.hostname() ? ` on ${owner.host}` : ''}.`, {
          file: this.file,
          hint: 'Wait for that command to finish; if no such process runs, delete the lock file.',
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private readOwner(): { pid: number; host: string } | undefined {
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      return typeof data.pid === 'number' ? data : undefined;
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    fs.rmSync(this.file, { force: true });
  }
}
