// Request/response over a postMessage-like pipe, used by both ends of the webview protocol.
// Each request carries an id; the answer names it in `inReplyTo`. Unanswered requests are
// rejected when the channel is disposed, so no caller waits forever.

import type { Envelope, RequestName, Requests } from './protocol';

export type RequestHandlers = {
  [K in RequestName]?: (params: Requests[K]['params']) => Promise<Requests[K]['result']> | Requests[K]['result'];
};

export class MessageChannel<TIn, TOut> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private disposed = false;

  constructor(
    private readonly post: (msg: Envelope) => void,
    private readonly handlers: RequestHandlers,
    private readonly onEvent: (event: TIn) => void,
  ) {}

  request<K extends RequestName>(name: K, params: Requests[K]['params']): Promise<Requests[K]['result']> {
    if (this.disposed) return Promise.reject(new Error('channel closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ kind: 'request', id, name, params });
    });
  }

  event(event: TOut): void {
    if (!this.disposed) this.post({ kind: 'event', event: event as Envelope extends { event: infer E } ? E : never });
  }

  /** Feed every incoming message here. Unknown shapes are ignored. */
  async receive(msg: unknown): Promise<void> {
    if (!msg || typeof msg !== 'object') return;
    const m = msg as Envelope;
    if (m.kind === 'response') {
      const p = this.pending.get(m.inReplyTo);
      if (!p) return;
      this.pending.delete(m.inReplyTo);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    } else if (m.kind === 'event') {
      this.onEvent(m.event as TIn);
    } else if (m.kind === 'request') {
      const handler = this.handlers[m.name] as ((p: unknown) => unknown) | undefined;
      try {
        if (!handler) throw new Error(`no handler for request "${m.name}"`);
        const result = await handler(m.params);
        if (!this.disposed) this.post({ kind: 'response', inReplyTo: m.id, result });
      } catch (e) {
        if (!this.disposed)
          this.post({ kind: 'response', inReplyTo: m.id, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.pending.values()) p.reject(new Error('channel closed'));
    this.pending.clear();
  }
}
