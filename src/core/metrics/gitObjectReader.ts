import { spawn, ChildProcessWithoutNullStreams } from 'node:child_process';
import { CairnError } from '../errors';
import { assertFolderTrusted } from '../folderTrust';

/** One object as `git cat-file --batch` prints it. */
export interface GitObject {
  sha: string;
  type: 'blob' | 'tree' | 'commit' | 'tag';
  data: Buffer;
}

/** Bytes of objects `readById` keeps for reuse. */
const KEPT_BYTES = 64 * 1024 * 1024;

interface Pending {
  name: string;
  resolve: (o: GitObject | undefined) => void;
  reject: (e: Error) => void;
}

/**
 * Reads git objects by name (`<rev>:<path>`, `<sha>`, `<ref>^{commit}`) through one long-lived
 * `git cat-file --batch` process: requests are pipelined, so reading N files at M revisions
 * costs one process, not N×M. Names holding a newline cannot be asked for (git's batch format).
 */
export class GitObjectReader {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private failed: Error | undefined;
  private readonly byId = new Map<string, Promise<GitObject | undefined>>();
  private keptBytes = 0;

  constructor(readonly gitRoot: string) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const proc = spawn('git', ['cat-file', '--batch'], { cwd: this.gitRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const fail = (err: Error) => {
      this.failed = new CairnError('GIT', `git cat-file failed: ${(stderr.trim() || err.message).split('\n').pop()}`);
      this.proc = undefined;
      for (const p of this.queue.splice(0)) p.reject(this.failed);
    };
    proc.on('error', fail);
    proc.on('exit', (code) => {
      if (this.queue.length) fail(new Error(`exited with code ${code}`));
      this.proc = undefined;
    });
    proc.stdin.on('error', () => undefined); // reported through 'exit'
    this.proc = proc;
    return proc;
  }

  /** Parse every complete answer in the buffer, in request order. */
  private drain(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const nl = this.buffer.indexOf(0x0a);
      if (nl < 0) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift();
        head.resolve(undefined);
        continue;
      }
      const [sha, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (!Number.isFinite(size)) {
        this.queue.shift();
        head.reject(new CairnError('GIT', `git cat-file printed an unexpected line: '${header}'`));
        this.buffer = this.buffer.subarray(nl + 1);
        continue;
      }
      if (this.buffer.length < nl + 1 + size + 1) return;
      const data = Buffer.from(this.buffer.subarray(nl + 1, nl + 1 + size));
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.queue.shift();
      head.resolve({ sha, type: type as GitObject['type'], data });
    }
  }

  /** The object `name` names, or undefined when git has none by that name. */
  read(name: string): Promise<GitObject | undefined> {
    if (/[\n\r]/.test(name)) return Promise.resolve(undefined);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      assertFolderTrusted('git cat-file');
      const proc = this.start();
      this.queue.push({ name, resolve, reject });
      proc.stdin.write(name + '\n');
    });
  }

  /**
   * The object with this id (hex, as a tree lists it). Objects never change: each is asked for
   * once however many revisions share it (experiments of one baseline share most of their files),
   * while the objects kept stay under a budget.
   */
  readById(id: string): Promise<GitObject | undefined> {
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(id)) return Promise.resolve(undefined);
    let hit = this.byId.get(id);
    if (!hit) {
      hit = this.read(id).then((obj) => {
        this.keptBytes += obj?.data.length ?? 0;
        // Past the budget start again: a long-lived reader must not keep every object it ever read.
        if (this.keptBytes > KEPT_BYTES) {
          this.byId.clear();
          this.keptBytes = 0;
        }
        return obj;
      });
      this.byId.set(id, hit);
    }
    return hit;
  }

  /** The commit a revision name resolves to (peeling tags), or undefined. */
  async resolveCommit(rev: string): Promise<string | undefined> {
    const obj = await this.read(`${rev}^{commit}`);
    return obj?.type === 'commit' ? obj.sha : undefined;
  }

  /** Stop the git process (pending reads fail). Safe to call twice; a later read starts a new one. */
  close(): void {
    const proc = this.proc;
    this.proc = undefined;
    if (proc) {
      proc.stdin.end();
      proc.kill();
    }
  }
}

/** An entry of a git tree: its name, whether it is a folder (a tree), and its object id (hex). */
export interface TreeEntry {
  name: string;
  isDir: boolean;
  id: string;
}

/** The entries of a git tree object. Ids are 20 bytes (SHA-1) or 32 (SHA-256). */
export function parseTree(data: Buffer, shaBytes = 20): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const nul = data.indexOf(0x00, space);
    if (space < 0 || nul < 0 || nul + 1 + shaBytes > data.length) break;
    const mode = data.subarray(i, space).toString('latin1');
    const name = data.subarray(space + 1, nul).toString('utf8');
    entries.push({ name, isDir: mode === '40000', id: data.subarray(nul + 1, nul + 1 + shaBytes).toString('hex') });
    i = nul + 1 + shaBytes; // the entry's binary object id
  }
  return entries;
}
