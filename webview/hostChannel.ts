// The webview end of the protocol: acquireVsCodeApi() plus the shared request/response helper.

import { MessageChannel } from '../shared/messageChannel';
import type { HostEvent, WebviewEvent } from '../shared/protocol';

export interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export const vscodeApi: VsCodeApi = acquireVsCodeApi();

export function connectHost(onEvent: (e: HostEvent) => void): MessageChannel<HostEvent, WebviewEvent> {
  const channel = new MessageChannel<HostEvent, WebviewEvent>((m) => vscodeApi.postMessage(m), {}, onEvent);
  window.addEventListener('message', (e) => void channel.receive(e.data));
  return channel;
}
