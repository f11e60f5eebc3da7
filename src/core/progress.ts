import { formatSize } from './formatSize';

/** Progress of a long operation, reported by the core and shown by the CLI or the extension. */
export interface Progress {
  done: number;
  total: number;
  unit: 'files' | 'bytes' | 'objects';
  message?: string;
  /** Bytes moved so far, when the unit counts something else (objects). */
  bytes?: number;
  /** Bytes to move in all, when known: then speed and ETA go by bytes. */
  totalBytes?: number;
}

/**
 * One line for a progress report after `seconds`: counts, bytes, speed and time left, e.g.
 * `832/20001 objects · 2.0 MiB/50.7 MiB · 3.3 MiB/s · 15 s left`. The CLI's bar and the
 * extension's notification both show it.
 */
export function progressText(p: Progress, seconds: number): string {
  const parts: string[] = [];
  const bytesDone = p.unit === 'bytes' ? p.done : p.bytes;
  const bytesTotal = p.unit === 'bytes' ? p.total : p.totalBytes;
  if (p.unit !== 'bytes') parts.push(`${p.done}/${p.total} ${p.unit}`);
  // A total may be an estimate (a directory's files): never shown below what is done.
  if (bytesDone !== undefined) parts.push(bytesTotal !== undefined ? `${formatSize(bytesDone)}/${formatSize(Math.max(bytesDone, bytesTotal))}` : formatSize(bytesDone));
  if (p.message) parts.push(p.message);
  if (seconds >= 0.5 && bytesDone) parts.push(`${formatSize(bytesDone / seconds)}/s`);
  const [done, total] = measure(p);
  if (seconds >= 1 && done > 0 && done < total) parts.push(`${formatDuration(((total - done) * seconds) / done)} left`);
  return parts.join(' · ');
}

/**
 * The size to count, for progress, for one file of a tracked directory: its manifest holds no
 * sizes, so the directory's recorded size over its number of files (a stat each would cost I/O).
 */
export function estimatedFileSize(dir: { size?: number; nfiles?: number }): number | undefined {
  return dir.size !== undefined && dir.nfiles ? dir.size / dir.nfiles : undefined;
}

/** How far along, 0 to 1 (the bar, the notification's increments). */
export function progressFraction(p: Progress): number {
  const [done, total] = measure(p);
  return total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
}

/** What progress is measured in: bytes when their total is known (one big file is most of a push), else the count. */
function measure(p: Progress): [done: number, total: number] {
  return p.unit !== 'bytes' && p.totalBytes ? [p.bytes ?? 0, p.totalBytes] : [p.done, p.total];
}

function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Seconds since the current phase began: a report with another unit or total starts a new one (pull's checkout after its fetch). */
export function phaseClock(): (p: Progress) => number {
  let phase = '';
  let started = 0;
  return (p) => {
    const now = Date.now();
    if (`${p.unit} ${p.total}` !== phase) [phase, started] = [`${p.unit} ${p.total}`, now];
    return (now - started) / 1000;
  };
}
