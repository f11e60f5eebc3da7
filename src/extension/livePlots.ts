import * as vscode from 'vscode';
import type { LivePlots } from '../../webview/messages';
import type { CoreClient } from './coreClient';
import { RefreshQueue } from './refreshQueue';

/**
 * What a run going on writes at each step: DVCLive's signals (dvclive/vscode.py writes
 * `DVCLIVE_STEP_COMPLETED` after every `next_step()` and `DVCLIVE_ONLY` while it runs outside a
 * pipeline, both under `$DVC_ROOT/.dvc/tmp/exps/run/`, DVC_ROOT being the main repository for
 * workspace, `--temp` and queued runs alike), and the files of the temporary trees of `--temp`
 * and queued runs. The workspace's own plots files are added by the followers that draw them (`plotFiles`).
 */
const SIGNALS = ['.dvc/tmp/exps/run/DVCLIVE_*', '.dvc/tmp/exps/tmp*/**/*.{tsv,csv,json,yaml,yml}'];
/** Events of one write (a file and its signal) read once. */
const DEBOUNCE_MS = 20;

/** Who follows the runs going on in a repository: the plots panel, the experiments table, a run started from the form. */
export interface LiveFollower {
  /** Workspace plots files to watch beside DVCLive's signals (the plots panel's). */
  plotFiles?: string[];
  /** Each read of the runs going on (their plots, and the metrics of the workspace and of each temporary tree). */
  onRead(live: LivePlots): void;
}

/** The one feed of each repository followed (by its root). */
const feeds = new Map<string, LivePlotsFeed>();

/**
 * Live runs of one repository, shared by everything that follows them: file events (no polling of
 * git or of files), then the runs going on read in the core worker, one read at a time (events
 * during a read get one read after it), and each read given to every follower. It exists while
 * something follows it: made by the first `follow`, disposed with the last follower.
 */
export class LivePlotsFeed {
  private readonly followers = new Set<LiveFollower>();
  private watchers: vscode.FileSystemWatcher[] = [];
  private watched = '';
  private readonly reads = new RefreshQueue(() => this.read());
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  private constructor(
    readonly root: string,
    private readonly core: CoreClient,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Follow the runs going on in `root` until the returned disposable is disposed. */
  static follow(root: string, core: CoreClient, log: vscode.LogOutputChannel, follower: LiveFollower): vscode.Disposable {
    let feed = feeds.get(root);
    if (!feed) feeds.set(root, (feed = new LivePlotsFeed(root, core, log)));
    const followed = feed;
    followed.followers.add(follower);
    followed.watch();
    return { dispose: () => followed.unfollow(follower) };
  }

  private unfollow(follower: LiveFollower): void {
    if (!this.followers.delete(follower)) return;
    if (this.followers.size > 0) return this.watch();
    this.disposed = true;
    clearTimeout(this.timer);
    this.watchers.forEach((w) => w.dispose());
    if (feeds.get(this.root) === this) feeds.delete(this.root);
  }

  /** Watch the signals and every follower's plots files (watchers made anew only when that list changed). */
  private watch(): void {
    const plotFiles = [...this.followers].flatMap((f) => f.plotFiles ?? []).filter((f) => !/[*?[\]{}]/.test(f));
    const patterns = [...new Set([...SIGNALS, ...plotFiles.flatMap((f) => [f, `${f}/**`])])];
    const key = JSON.stringify(patterns);
    if (key === this.watched) return;
    this.watched = key;
    this.watchers.forEach((w) => w.dispose());
    this.watchers = patterns.map((pattern) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(this.root, pattern), false, false, true);
      watcher.onDidChange(() => this.schedule());
      watcher.onDidCreate(() => this.schedule());
      return watcher;
    });
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reads.request(), DEBOUNCE_MS);
  }

  private async read(): Promise<void> {
    if (this.disposed) return;
    let live: LivePlots;
    try {
      live = await this.core.call('livePlots', this.root, {});
    } catch (err) {
      this.log.warn(`live plots of ${this.root}: ${(err as Error).message}`);
      return;
    }
    if (this.disposed) return;
    for (const follower of this.followers) {
      try {
        follower.onRead(live);
      } catch (err) {
        this.log.warn(`live runs of ${this.root}: ${(err as Error).message}`);
      }
    }
  }
}
