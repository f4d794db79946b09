// A minimal stand-in for the `vscode` module, enough to run the knowledge providers in plain mocha.
// Must be imported before any module that imports 'vscode'.

import Module from 'node:module';
import { readFileSync } from 'node:fs';

export const registered: {
  hovers: unknown[];
  definitions: unknown[];
  commands: Map<string, (...a: unknown[]) => unknown>;
} = { hovers: [], definitions: [], commands: new Map() };
export const config = new Map<string, unknown>();
export const state: {
  workspaceFolders: { uri: Uri }[];
  opened: string[];
  external: string[];
  trusted: boolean;
  errors: string[];
} = { workspaceFolders: [], opened: [], external: [], trusted: true, errors: [] };

class Position {
  constructor(
    public line: number,
    public character: number,
  ) {}
}
class Range {
  start: Position;
  end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c!, d!);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
}
class Uri {
  constructor(
    public scheme: string,
    public fsPath: string,
    public raw = '',
  ) {}
  static file(p: string) {
    return new Uri('file', p);
  }
  static parse(s: string) {
    return new Uri(s.split(':')[0], s, s);
  }
  toString() {
    return this.raw || `file://${this.fsPath}`;
  }
}
class Location {
  constructor(
    public uri: Uri,
    public range: Range | Position,
  ) {}
}
class MarkdownString {
  isTrusted: unknown;
  supportHtml = false;
  constructor(public value: string) {}
}
class Hover {
  constructor(
    public contents: MarkdownString,
    public range: Range,
  ) {}
}
class EventEmitter<T> {
  private ls: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.ls.push(l);
    return { dispose() {} };
  };
  fire(e: T) {
    for (const l of this.ls) l(e);
  }
  dispose() {}
}
const disposable = { dispose() {} };

export function fakeDocument(text: string, languageId: string, fsPath = '/tmp/doc') {
  const lines = text.split('\n');
  return {
    uri: Uri.file(fsPath),
    languageId,
    version: 1,
    lineCount: lines.length,
    lineAt: (n: number) => ({ text: lines[n] }),
    getText: (r?: Range) => (r ? lines.slice(r.start.line, r.end.line).join('\n') : text),
    positionAt: (off: number) => {
      const before = text.slice(0, off).split('\n');
      return new Position(before.length - 1, before[before.length - 1].length);
    },
  };
}

const vscode = {
  Position,
  Range,
  Uri,
  Location,
  MarkdownString,
  Hover,
  EventEmitter,
  StatusBarAlignment: { Left: 1, Right: 2 },
  ConfigurationTarget: { Global: 1, Workspace: 2 },
  window: {
    createOutputChannel: () => ({ info() {}, warn() {}, error() {}, appendLine() {}, show() {}, dispose() {} }),
    createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {}, text: '', tooltip: '', command: '', name: '' }),
    onDidChangeActiveTextEditor: () => disposable,
    activeTextEditor: undefined,
    showQuickPick: async () => undefined,
    showInputBox: async () => undefined,
    showTextDocument: async (doc: { uri: Uri }) => {
      state.opened.push(doc.uri.fsPath);
    },
    showErrorMessage: async (m: string) => {
      state.errors.push(m);
      return undefined;
    },
    withProgress: async <T>(_o: unknown, fn: (p: unknown, t: unknown) => Promise<T>) =>
      fn({ report() {} }, { onCancellationRequested: () => disposable }),
    tabGroups: { activeTabGroup: { activeTab: undefined } },
  },
  ProgressLocation: { Notification: 15 },
  TabInputCustom: class {},
  workspace: {
    getConfiguration: () => ({
      get: (k: string) => config.get(k),
      update: async (k: string, v: unknown) => {
        config.set(k, v);
      },
    }),
    get workspaceFolders() {
      return state.workspaceFolders;
    },
    get isTrusted() {
      return state.trusted;
    },
    registerTextDocumentContentProvider: () => disposable,
    onDidChangeWorkspaceFolders: () => disposable,
    onDidChangeConfiguration: () => disposable,
    openTextDocument: async (u: Uri) => fakeDocument(readFileSync(u.fsPath, 'utf8'), 'c', u.fsPath),
  },
  languages: {
    registerHoverProvider: (_s: unknown, p: unknown) => {
      registered.hovers.push(p);
      return disposable;
    },
    registerDefinitionProvider: (_s: unknown, p: unknown) => {
      registered.definitions.push(p);
      return disposable;
    },
  },
  commands: {
    registerCommand: (id: string, f: (...a: unknown[]) => unknown) => {
      registered.commands.set(id, f);
      return disposable;
    },
    executeCommand: async () => undefined,
  },
  extensions: { getExtension: () => undefined },
  env: {
    openExternal: async (u: Uri) => {
      state.external.push(u.toString());
      return true;
    },
  },
};

type Resolver = (request: string, ...rest: unknown[]) => string;
const M = Module as unknown as { _resolveFilename: Resolver; _cache: Record<string, unknown> };
const orig = M._resolveFilename;
M._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : orig.call(this, request, ...rest);
};
M._cache['vscode'] = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
