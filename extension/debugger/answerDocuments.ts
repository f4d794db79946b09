// Read-only plain-text documents (scheme kmemmap-debugger) that show crash/drgn answers. Tool output
// is untrusted, so it is only ever shown as plain text.

import * as vscode from 'vscode';

export const ANSWER_SCHEME = 'kmemmap-debugger';

export class AnswerDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private n = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '(this answer is no longer available: ask again)';
  }

  /** Opens text in a new read-only document named after name. */
  async show(name: string, text: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: ANSWER_SCHEME, path: `/${++this.n}/${name.replace(/[^\w.-]+/g, '_')}.txt` });
    this.texts.set(uri.toString(), text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'plaintext');
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    return doc;
  }

  dispose(): void {
    this.texts.clear();
    this.changed.dispose();
  }
}
