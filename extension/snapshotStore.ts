// Opens snapshots for the panels: one parse per URI, in a worker, behind a cancellable progress
// notification, logging what was read and every warning to the output channel.

import * as vscode from 'vscode';
import { basename } from 'node:path';
import { parseInWorker } from './parseWorkerClient';
import { CancelledError } from './workerJob';
import { SnapshotSession } from './snapshotSession';
import { log } from './log';
import { failureReport } from './failureReport';

export class SnapshotStore implements vscode.Disposable {
  private readonly opening = new Map<string, Promise<SnapshotSession>>();
  private readonly ready = new Map<string, SnapshotSession>();
  private readonly users = new Map<string, number>();
  /** Progress text per URI, for panels that open while the parse runs. */
  readonly onProgress = new vscode.EventEmitter<{ uri: string; message: string; fraction?: number }>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  sessions(): SnapshotSession[] {
    return [...this.ready.values()];
  }

  get(uri: string): SnapshotSession | undefined {
    return this.ready.get(uri);
  }

  /** The session for uri, parsing it if no panel has it open yet. Each call must be paired with release(). */
  acquire(uri: vscode.Uri): Promise<SnapshotSession> {
    const key = uri.toString();
    this.users.set(key, (this.users.get(key) ?? 0) + 1);
    let p = this.opening.get(key);
    if (!p) {
      p = this.parse(uri);
      this.opening.set(key, p);
      p.then(
        (s) => this.ready.set(key, s),
        () => this.opening.delete(key), // a failed or cancelled open can be retried
      );
    }
    return p;
  }

  release(uri: vscode.Uri): void {
    const key = uri.toString();
    const n = (this.users.get(key) ?? 1) - 1;
    if (n > 0) return void this.users.set(key, n);
    this.users.delete(key);
    const s = this.ready.get(key);
    this.ready.delete(key);
    this.opening.delete(key);
    void s?.dispose();
  }

  private async parse(uri: vscode.Uri): Promise<SnapshotSession> {
    const key = uri.toString();
    if (uri.scheme !== 'file')
      throw new Error(
        `${uri.toString()}: only files on the machine running the extension can be read (scheme "${uri.scheme}")`,
      );
    const path = uri.fsPath;
    const title = basename(path);
    const workerFile = vscode.Uri.joinPath(this.extensionUri, 'out', 'extension', 'parseWorker.js').fsPath;
    log().info(`opening ${path}`);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Kernel Memmap: reading ${title}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        let last = 0;
        try {
          const parsed = await parseInWorker(workerFile, path, {
            signal: abort.signal,
            onProgress: (done, total) => {
              const pct = total > 0 ? (100 * done) / total : 0;
              progress.report({ increment: pct - last, message: `${Math.floor(pct)}%` });
              last = pct;
              this.onProgress.fire({
                uri: key,
                message: `Reading ${title}… ${Math.floor(pct)}%`,
                fraction: total > 0 ? done / total : undefined,
              });
            },
          });
          this.logOpened(path, parsed.summary, parsed.elapsedMs);
          return new SnapshotSession(key, title, parsed);
        } catch (e) {
          if (e instanceof CancelledError) log().info(`cancelled reading ${path}`);
          else {
            const r = failureReport(path, e);
            log().error(`cannot read ${path}: ${r.problem}${r.hint ? ` (${r.hint})` : ''}`);
            if (r.stack) log().error(r.stack);
          }
          throw e;
        } finally {
          sub.dispose();
        }
      },
    );
  }

  private logOpened(path: string, s: SnapshotSession['summary'], ms: number): void {
    const k = s.kernel;
    const pfns = s.pfns.end - s.pfns.start;
    log().info(
      `read ${path} in ${ms.toFixed(0)} ms: ${s.input.format}, kernel ${k.release ?? '?'} (layout ${k.layoutFamily ?? '?'}), ` +
        `PFNs ${s.pfns.start}..${s.pfns.end} (${((pfns * k.pageSize) / 2 ** 30).toFixed(2)} GiB), ${s.sections.length} sections, ${s.blocks.length} memory blocks`,
    );
    for (const f of s.input.files) log().info(`  file: ${f}`);
    for (const n of s.input.notes) log().info(`  note: ${n}`);
    for (const w of s.warnings) log().warn(`  ${w}`);
  }

  dispose(): void {
    for (const s of this.ready.values()) void s.dispose();
    this.ready.clear();
    this.opening.clear();
    this.onProgress.dispose();
  }
}
