// Minimal QMP client over a unix socket: one command at a time, events logged and kept.
import { connect, type Socket } from 'node:net';
import { appendFileSync } from 'node:fs';
import { sleep } from './util';

type Json = Record<string, unknown>;

export class Qmp {
  private sock!: Socket;
  private buf = '';
  private waiting: { resolve: (v: Json) => void; reject: (e: Error) => void } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  readonly events: Json[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly logFile: string) {}

  private log(dir: string, text: string): void {
    appendFileSync(this.logFile, `${new Date().toISOString()} ${dir} ${text}\n`);
  }

  /** Connects (retrying while QEMU creates the socket) and negotiates capabilities. */
  async connect(path: string, timeoutMs = 30000): Promise<Json> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.sock = await new Promise<Socket>((res, rej) => {
          const s = connect(path);
          s.once('connect', () => res(s));
          s.once('error', rej);
        });
        break;
      } catch (e) {
        if (Date.now() > end) throw new Error(`QMP connect ${path}: ${(e as Error).message}`);
        await sleep(200);
      }
    }
    const greeting = new Promise<Json>((resolve, reject) => (this.waiting = { resolve, reject }));
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d: string) => this.onData(d));
    this.sock.on('close', () => {
      this.closed = true;
      this.waiting?.reject(new Error('QMP connection closed'));
      this.waiting = undefined;
    });
    const g = await greeting;
    await this.cmd('qmp_capabilities');
    return g;
  }

  private onData(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (!line) continue;
      this.log('<-', line);
      let msg: Json;
      try {
        msg = JSON.parse(line) as Json;
      } catch {
        continue;
      }
      if ('event' in msg) {
        this.events.push(msg);
        continue;
      }
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(msg);
    }
  }

  /** Executes a command; resolves with "return", rejects with the QMP error description. */
  cmd<T = unknown>(execute: string, args?: Json): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new Error(`QMP closed (while sending ${execute})`);
      const id = this.nextId++;
      const msg = JSON.stringify(args ? { execute, arguments: args, id } : { execute, id });
      const reply = new Promise<Json>((resolve, reject) => (this.waiting = { resolve, reject }));
      this.log('->', msg);
      this.sock.write(msg + '\n');
      const r = await reply;
      if (r.error) {
        const e = r.error as { class?: string; desc?: string };
        throw new Error(`QMP ${execute} failed: ${e.class ?? ''} ${e.desc ?? JSON.stringify(r.error)}`);
      }
      return r.return as T;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  qomGet<T = unknown>(path: string, property: string): Promise<T> {
    return this.cmd<T>('qom-get', { path, property });
  }
  qomSet(path: string, property: string, value: unknown): Promise<unknown> {
    return this.cmd('qom-set', { path, property, value });
  }

  close(): void {
    this.sock?.destroy();
  }
}
