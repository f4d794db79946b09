// The command "Kernel Memmap: Ask crash/drgn About a Page…" (kmemmap.askDebugger): for the active
// vmcore snapshot, asks the configured tool (kmemmap.debugger.*) what VMCOREINFO cannot tell — the
// slab cache or the file behind a page — and shows the answer as a read-only plain-text document.
// One tool process per snapshot session, started on the first question, stopped with the session.

import * as vscode from 'vscode';
import type { SnapshotSession } from '../snapshotSession';
import type { SnapshotStore } from '../snapshotStore';
import { log } from '../log';
import { formatAnswer, headline } from './answer';
import { AnswerDocuments, ANSWER_SCHEME } from './answerDocuments';
import { configProblem, dumpProblem, failureMessage, trustProblem } from './debuggerConfig';
import { readDebuggerConfig } from './debuggerSettings';
import { PageQuestioner } from './pageQuestion';
import { parsePfnInput } from './pfnInput';

export const ASK_COMMAND = 'kmemmap.askDebugger';

/** Arguments tests (and other commands) may pass to skip the prompts. */
export interface AskArgs { uri?: string; pfn?: number; show?: boolean }
export interface AskResult { text?: string; headline?: string; error?: string }

export function registerAskDebugger(context: vscode.ExtensionContext, store: SnapshotStore): void {
  const docs = new AnswerDocuments();
  const questioners = new WeakMap<SnapshotSession, PageQuestioner>();

  const questionerFor = (s: SnapshotSession, dumpPath: string): PageQuestioner => {
    const config = readDebuggerConfig();
    let q = questioners.get(s);
    if (q && (!q.sameConfig(config) || q.config.timeoutMs !== config.timeoutMs)) {
      void q.dispose();
      q = undefined;
    }
    if (!q) {
      const created = new PageQuestioner(config, { path: dumpPath, release: s.summary.kernel.release, pageSize: s.summary.kernel.pageSize }, (m) => log().info(`debugger: ${m}`));
      s.onDispose(() => created.dispose());
      questioners.set(s, created);
      q = created;
    }
    return q;
  };

  const ask = async (args?: AskArgs): Promise<AskResult> => {
    const fail = (error: string, button?: 'Open Settings' | 'Manage Workspace Trust'): AskResult => {
      log().warn(`debugger: ${error}`);
      if (args?.show !== false) {
        void vscode.window.showErrorMessage(`Kernel Memmap: ${error}`, ...(button ? [button] : [])).then((b) => {
          if (b === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'kmemmap.debugger');
          if (b === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
        });
      }
      return { error };
    };
    const untrusted = trustProblem(vscode.workspace.isTrusted);
    if (untrusted) return fail(untrusted, 'Manage Workspace Trust');
    const config = readDebuggerConfig();
    const problem = configProblem(config);
    if (problem) return fail(problem, 'Open Settings');

    const session = args?.uri ? store.get(args.uri) : activeSession(store);
    if (!session) return fail(args?.uri ? `no open snapshot ${args.uri}` : 'open a vmcore in the Kernel Memmap view first');
    const uri = vscode.Uri.parse(session.uri);
    const notDump = uri.scheme !== 'file' ? `${session.title} is not a local file` : dumpProblem(session.summary.input.format, config.tool);
    if (notDump) return fail(notDump);

    let pfn = args?.pfn;
    if (pfn === undefined) {
      const { pfns, kernel } = session.summary;
      const last = session.lastRequestedPfn;
      const typed = await vscode.window.showInputBox({
        title: `Ask ${config.tool} about a page of ${session.title}`,
        prompt: 'PFN (decimal or 0x hex), or pa:<physical address>',
        value: last === undefined ? '' : `0x${last.toString(16)}`,
        validateInput: (t) => {
          const r = parsePfnInput(t, kernel.pageSize, pfns);
          return 'problem' in r ? r.problem : undefined;
        },
      });
      if (typed === undefined) return { error: 'cancelled' };
      const r = parsePfnInput(typed, kernel.pageSize, pfns);
      if ('problem' in r) return fail(r.problem);
      pfn = r.pfn;
    }

    const q = questionerFor(session, uri.fsPath);
    const question = pfn;
    try {
      const answer = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Kernel Memmap: asking ${config.tool} about PFN 0x${question.toString(16)}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            progress.report({ message: `(up to ${Math.round(config.timeoutMs / 1000)} s per step)` });
            return await q.ask(question, abort.signal);
          } finally {
            sub.dispose();
          }
        },
      );
      const text = formatAnswer(answer, uri.fsPath, config.vmlinux);
      const line = headline(answer);
      log().info(`debugger: PFN 0x${question.toString(16)}: ${line}`);
      if (args?.show !== false) await docs.show(`${config.tool}-pfn-0x${question.toString(16)}`, text);
      return { text, headline: line };
    } catch (e) {
      return fail(failureMessage(e, config));
    }
  };

  context.subscriptions.push(
    docs,
    vscode.workspace.registerTextDocumentContentProvider(ANSWER_SCHEME, docs),
    vscode.commands.registerCommand(ASK_COMMAND, (args?: AskArgs) => ask(args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : undefined)),
  );
}

/** The snapshot of the active custom-editor tab, else the one a panel used last. */
function activeSession(store: SnapshotStore): SnapshotSession | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom) {
    const s = store.get(input.uri.toString());
    if (s) return s;
  }
  return store.sessions().sort((a, b) => b.lastUsedMs - a.lastUsedMs)[0];
}
