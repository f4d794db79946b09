// What every snapshot reader accepts from its caller (open.ts, the CLI, the parse worker).
export interface OpenOptions {
  /** Progress in arbitrary units (done of total). */
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}
