import type { Progress } from '../core/progress';
import { formatSize } from '../core/formatSize';

const human = (n: number, unit: Progress['unit']) => (unit === 'bytes' ? formatSize(n) : String(n));

/** A one-line progress bar on stderr, only when stderr is a terminal; redrawn at most 10 times a second. */
export class ProgressBar {
  private last = 0;
  private shown = false;
  private readonly started = Date.now();

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update = (p: Progress): void => {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && p.done < p.total) return;
    this.last = now;
    const width = 24;
    const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const filled = Math.round(ratio * width);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? p.done / seconds : 0;
    const byteRate = seconds > 0 ? (p.unit === 'bytes' ? p.done : p.bytes ?? 0) / seconds : 0;
    const speed = byteRate > 0 ? ` ${p.unit === 'bytes' ? '' : formatSize(p.bytes ?? 0) + ' '}${human(byteRate, 'bytes')}/s` : '';
    const eta = rate > 0 && p.done < p.total ? ` ETA ${Math.ceil((p.total - p.done) / rate)}s` : '';
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${human(p.done, p.unit)}/${human(p.total, p.unit)}${p.message ? ` ${p.message}` : ''}${speed}${eta}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 100) - 1)}\x1b[K`);
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
