import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CairnError } from '../errors';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** Whether a process with this pid runs (EPERM: it does, under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux: whether `pid` is a process started after `since`, i.e. the lock's pid was reused. */
function startedAfter(pid: number, since: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]);
    const startedMs = (bootSeconds + startTicks / 100) * 1000;
    return startedMs > Date.parse(since) + 1000;
  } catch {
    return false;
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
        const owner: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
        fs.writeSync(fd, JSON.stringify(owner));
        fs.closeSync(fd);
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const raw = this.readRaw();
      const owner = parseOwner(raw);
      if (raw !== undefined && this.isStale(owner) && this.takeOver(raw)) continue;
      if (Date.now() >= deadline) {
        throw new CairnError('LOCKED', `the repository is locked by pid ${owner?.pid ?? '?'}${owner && owner.host !== os.hostname() ? ` on ${owner.host}` : ''}.`, {
          file: this.file,
          hint: 'Wait for that command to finish; if no such process runs, delete the lock file.',
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private isStale(owner: LockOwner | undefined): boolean {
    if (!owner) {
      // Being written right now, or left empty by a process killed while writing it.
      const age = Date.now() - (fs.statSync(this.file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      return age > 1000;
    }
    if (owner.host !== os.hostname()) return false;
    return !pidAlive(owner.pid) || startedAfter(owner.pid, owner.since);
  }

  /**
   * Remove a stale lock, but only while holding a short takeover lock and only if it still
   * is the stale one we saw: two writers taking over at once must not delete a live lock.
   */
  private takeOver(staleRaw: string): boolean {
    const mutex = `${this.file}.takeover`;
    try {
      fs.writeFileSync(mutex, String(process.pid), { flag: 'wx' });
    } catch {
      // Someone else is taking over; a takeover lock left by a killed process expires.
      const age = Date.now() - (fs.statSync(mutex, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 5000) fs.rmSync(mutex, { force: true });
      return false;
    }
    try {
      if (this.readRaw() === staleRaw) fs.rmSync(this.file, { force: true });
      return true;
    } finally {
      fs.rmSync(mutex, { force: true });
    }
  }

  private readRaw(): string | undefined {
    try {
      return fs.readFileSync(this.file, 'utf8');
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

function parseOwner(raw: string | undefined): LockOwner | undefined {
  try {
    const data = JSON.parse(raw ?? '');
    return typeof data.pid === 'number' ? { pid: data.pid, host: String(data.host), since: String(data.since) } : undefined;
  } catch {
    return undefined;
  }
}
