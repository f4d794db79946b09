// One error type for every input problem a user can fix: it names the file and says what is wrong.

export class SnapshotError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint?: string,
  ) {
    super(`${file}: ${problem}${hint ? ` (${hint})` : ''}`);
    this.name = 'SnapshotError';
  }
}
