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
import { configProblem, DebuggerConfig, dumpProblem, failureMessage, trustProblem } from './debuggerConfig';
import { readDebuggerConfig } from './debuggerSettings';
import { PageQuestioner } from './pageQuestion';
import { parsePfnInput } from './pfnInput';

export const ASK_COMMAND = 'kmemmap.askDebugger';

/** Arguments tests (and other commands) may pass to skip the prompts. */
export interface AskArgs {
  uri?: string;
  pfn?: number;
  show?: boolean;
}
export interface AskResult {
  text?: string;
  headline?: string;
  error?: string;
}

type Fail = (error: string, button?: 'Open Settings' | 'Manage Workspace Trust') => AskResult;

/** The open snapshot asked about, its dump file and the tool's settings. */
interface AskTarget {
  session: SnapshotSession;
  uri: vscode.Uri;
  config: DebuggerConfig;
}

export function registerAskDebugger(context: vscode.ExtensionContext, store: SnapshotStore): void {
  const docs = new AnswerDocuments();
  const questionerFor = questionerCache();

  const ask = async (args?: AskArgs): Promise<AskResult> => {
    const fail: Fail = (error, button) => failure(error, button, args?.show !== false);
    const target = askTarget(store, args, fail);
    if (!('session' in target)) return target;
    const { session, uri, config } = target;
    const pfn = args?.pfn !== undefined ? args.pfn : await promptPfn(session, config, fail);
    if (typeof pfn !== 'number') return pfn;

    const q = questionerFor(session, uri.fsPath);
    try {
      const answer = await askWithProgress(q, pfn, config);
      const text = formatAnswer(answer, uri.fsPath, config.vmlinux);
      const line = headline(answer);
      log().info(`debugger: PFN 0x${pfn.toString(16)}: ${line}`);
      if (args?.show !== false) await docs.show(`${config.tool}-pfn-0x${pfn.toString(16)}`, text);
      return { text, headline: line };
    } catch (e) {
      return fail(failureMessage(e, config));
    }
  };

  context.subscriptions.push(
    docs,
    vscode.workspace.registerTextDocumentContentProvider(ANSWER_SCHEME, docs),
    vscode.commands.registerCommand(ASK_COMMAND, (args?: AskArgs) =>
      ask(args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : undefined),
    ),
  );
}

/** One questioner (one tool process) per snapshot session, replaced when the settings change. */
function questionerCache(): (s: SnapshotSession, dumpPath: string) => PageQuestioner {
  const questioners = new WeakMap<SnapshotSession, PageQuestioner>();
  return (s, dumpPath) => {
    const config = readDebuggerConfig();
    let q = questioners.get(s);
    if (q && (!q.sameConfig(config) || q.config.timeoutMs !== config.timeoutMs)) {
      void q.dispose();
      q = undefined;
    }
    if (!q) {
      const created = new PageQuestioner(
        config,
        { path: dumpPath, release: s.summary.kernel.release, pageSize: s.summary.kernel.pageSize },
        (m) => log().info(`debugger: ${m}`),
      );
      s.onDispose(() => created.dispose());
      questioners.set(s, created);
      q = created;
    }
    return q;
  };
}

/** Logs the problem and, unless the caller asked for no UI, shows it with a button that leads to the fix. */
function failure(
  error: string,
  button: 'Open Settings' | 'Manage Workspace Trust' | undefined,
  show: boolean,
): AskResult {
  log().warn(`debugger: ${error}`);
  if (show) {
    void vscode.window.showErrorMessage(`Kernel Memmap: ${error}`, ...(button ? [button] : [])).then((b) => {
      if (b === 'Open Settings')
        void vscode.commands.executeCommand('workbench.action.openSettings', 'kmemmap.debugger');
      if (b === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
    });
  }
  return { error };
}

/** Workspace trust, the settings, the snapshot (named or active) and whether the tool can read its dump. */
function askTarget(store: SnapshotStore, args: AskArgs | undefined, fail: Fail): AskTarget | AskResult {
  const untrusted = trustProblem(vscode.workspace.isTrusted);
  if (untrusted) return fail(untrusted, 'Manage Workspace Trust');
  const config = readDebuggerConfig();
  const problem = configProblem(config);
  if (problem) return fail(problem, 'Open Settings');

  const session = args?.uri ? store.get(args.uri) : activeSession(store);
  if (!session)
    return fail(args?.uri ? `no open snapshot ${args.uri}` : 'open a vmcore in the Kernel Memmap view first');
  const uri = vscode.Uri.parse(session.uri);
  const notDump =
    uri.scheme !== 'file'
      ? `${session.title} is not a local file`
      : dumpProblem(session.summary.input.format, config.tool);
  if (notDump) return fail(notDump);
  return { session, uri, config };
}

/** Asks for the PFN (the last one the panel requested is offered); the PFN, or the result when cancelled or invalid. */
async function promptPfn(session: SnapshotSession, config: DebuggerConfig, fail: Fail): Promise<number | AskResult> {
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
  return r.pfn;
}

/** The question under a cancellable progress notification. */
async function askWithProgress(
  q: PageQuestioner,
  pfn: number,
  config: DebuggerConfig,
): ReturnType<PageQuestioner['ask']> {
  return await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Kernel Memmap: asking ${config.tool} about PFN 0x${pfn.toString(16)}`,
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: `(up to ${Math.round(config.timeoutMs / 1000)} s per step)` });
        return await q.ask(pfn, abort.signal);
      } finally {
        sub.dispose();
      }
    },
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
