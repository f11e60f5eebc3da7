/** Every failure the core reports to a user is a CairnError: a code, the file (and line) at fault, and what to do. */
export type CairnErrorCode =
  | 'NOT_A_REPO'
  | 'ALREADY_INITIALIZED'
  | 'BAD_FILE'
  | 'PATH_OUTSIDE_REPO'
  | 'UNSAFE_PATH'
  | 'BAD_HASH'
  | 'CORRUPT_OBJECT'
  | 'LIMIT_EXCEEDED'
  | 'MISSING_PATH'
  | 'NOT_TRACKED'
  | 'TRACKED_BY_GIT'
  | 'DVCIGNORE_IN_TRACKED_DIR'
  | 'UNCOMMITTED_CHANGES'
  | 'NOT_IN_CACHE'
  | 'LOCKED'
  | 'GIT'
  | 'USAGE'
  | 'REMOTE'
  | 'TRANSFER_FAILED'
  | 'ABORTED'
  | 'PIPELINE_CYCLE'
  | 'OUTPUT_CONFLICT'
  | 'MISSING_DEPENDENCY'
  | 'DEPENDENCY_IS_OUTPUT'
  | 'UNKNOWN_STAGE'
  | 'STAGE_FAILED';

export class CairnError extends Error {
  constructor(
    readonly code: CairnErrorCode,
    message: string,
    readonly options: {
      file?: string;
      line?: number;
      hint?: string;
      paths?: string[];
      /** For "did you mean": the name at fault and the one meant (the editor offers the swap as a quick fix). */
      suggestion?: { from: string; to: string };
    } = {},
  ) {
    super(message);
    this.name = 'CairnError';
  }

  get file(): string | undefined {
    return this.options.file;
  }
  get line(): number | undefined {
    return this.options.line;
  }
  get hint(): string | undefined {
    return this.options.hint;
  }
  get suggestion(): { from: string; to: string } | undefined {
    return this.options.suggestion;
  }
  /** The repo-relative paths the error is about, in full (the message may shorten the list). */
  get paths(): string[] {
    return this.options.paths ?? [];
  }

  /** The one line a user sees: `file:line: message. hint` */
  oneLine(): string {
    const where = this.file ? `${this.file}${this.line !== undefined ? `:${this.line}` : ''}: ` : '';
    const message = this.hint && !/[.!?:]$/.test(this.message) ? `${this.message}.` : this.message;
    const hint = this.hint ? ` ${this.hint}` : '';
    return `${where}${message}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

export function abortedError(): CairnError {
  return new CairnError('ABORTED', 'Operation cancelled.');
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortedError();
}
