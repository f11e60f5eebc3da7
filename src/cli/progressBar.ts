import { phaseClock, Progress, progressFraction, progressText } from '../core/progress';

/** A one-line progress bar on stderr, only when stderr is a terminal; redrawn at most 10 times a second. */
export class ProgressBar {
  private last = 0;
  private shown = false;
  private readonly seconds = phaseClock();

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update = (p: Progress): void => {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && p.done < p.total) return;
    this.last = now;
    const width = 20;
    const ratio = progressFraction(p);
    const filled = Math.round(ratio * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${progressText(p, this.seconds(p))}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 100) - 1)}\x1b[K`);
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
