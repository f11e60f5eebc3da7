/** Progress of a long operation, reported by the core and shown by the CLI or the extension. */
export interface Progress {
  done: number;
  total: number;
  unit: 'files' | 'bytes' | 'objects';
  message?: string;
  /** Bytes moved so far, when the unit counts something else (objects); shown as a speed. */
  bytes?: number;
}
