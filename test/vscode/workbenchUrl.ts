// The workbench URL: a folder to open and, for tests, the `payload` naming the extension under
// development and the test module (as vscode-remote:// URIs on the server).

export interface WorkbenchUrlOptions {
  origin: string; // http://127.0.0.1:PORT
  folder?: string; // absolute path on the server
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  /** Extra payload pairs, e.g. [['openFile', 'vscode-remote://...']]. */
  extra?: Array<[string, string]>;
}

export function remoteUri(origin: string, absPath: string): string {
  return `vscode-remote://${new URL(origin).host}${absPath}`;
}

export function workbenchUrl(o: WorkbenchUrlOptions): string {
  const u = new URL(o.origin + '/');
  if (o.folder) u.searchParams.set('folder', o.folder);
  const payload: Array<[string, string]> = [];
  if (o.extensionDevelopmentPath)
    payload.push(['extensionDevelopmentPath', remoteUri(o.origin, o.extensionDevelopmentPath)]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(o.origin, o.extensionTestsPath)]);
  payload.push(...(o.extra ?? []));
  if (payload.length) u.searchParams.set('payload', JSON.stringify(payload));
  return u.toString();
}
