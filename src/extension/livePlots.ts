import * as vscode from 'vscode';
import type { LivePlots } from '../../webview/messages';
import type { CoreClient } from './coreClient';
import { RefreshQueue } from './refreshQueue';

/**
 * What a run going on writes at each step: DVCLive's signals (dvclive/vscode.py writes
 * `DVCLIVE_STEP_COMPLETED` after every `next_step()` and `DVCLIVE_ONLY` while it runs outside a
 * pipeline, both under `$DVC_ROOT/.dvc/tmp/exps/run/`, DVC_ROOT being the main repository for
 * workspace, `--temp` and queued runs alike), and the files of the temporary trees of `--temp`
 * and queued runs. The workspace's own plots files are added per panel (`plotFiles`).
 */
const SIGNALS = ['.dvc/tmp/exps/run/DVCLIVE_*', '.dvc/tmp/exps/tmp*/**/*.{tsv,csv,json,yaml,yml}'];
/** Events of one write (a file and its signal) read once. */
const DEBOUNCE_MS = 20;

/** A step of runs going on in the repository at `root`, and what the runs are now. */
export interface LiveStep {
  root: string;
  runs: LivePlots['runs'];
}

const stepped = new vscode.EventEmitter<LiveStep>();

/**
 * Live plots of one repository: file events (no polling of git or of files), then the plots of
 * the runs going on read in the core worker, one read at a time (events during a read get one
 * read after it).
 */
export class LivePlotsFeed implements vscode.Disposable {
  /** A run going on in a repository wrote a step: the experiments table reads its rows again, with the run's metrics as they are now. */
  static readonly onDidStep = stepped.event;
  private readonly watchers: vscode.FileSystemWatcher[];
  private readonly reads = new RefreshQueue(() => this.read());
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly root: string,
    private readonly core: CoreClient,
    plotFiles: string[],
    private readonly onRead: (live: LivePlots) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const patterns = [...SIGNALS, ...plotFiles.filter((f) => !/[*?[\]{}]/.test(f)).flatMap((f) => [f, `${f}/**`])];
    this.watchers = patterns.map((pattern) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, pattern), false, false, true);
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
    try {
      const live = await this.core.call('livePlots', this.root, {});
      if (this.disposed) return;
      this.onRead(live);
      stepped.fire({ root: this.root, runs: live.runs });
    } catch (err) {
      this.log.warn(`live plots of ${this.root}: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.watchers.forEach((w) => w.dispose());
  }
}
