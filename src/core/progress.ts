/** Progress of a long operation, reported by the core and shown by the CLI or the extension. */
export interface Progress {
  done: number;
  total: number;
  unit: 'files' | 'bytes' | 'objects';
  message?: string;
}
