/**
 * Runs a refresh one at a time. A request during a run gets the one run after it (however many
 * ask meanwhile), so whoever asks after a change gets a result that sees the change.
 */
export class RefreshQueue {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly work: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running.then(() => {
        this.queued = undefined;
        return this.request();
      });
      return this.queued;
    }
    this.running = this.work().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
