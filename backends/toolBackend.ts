// Drives a long-running crash or drgn process for questions the VMCOREINFO path cannot answer
// (the slab cache or file behind a page). Pure core: no vscode imports; the extension or CLI passes
// the configured tool paths. Protocol: each command is written to the tool's stdin followed by a
// command that prints a unique sentinel line; the output up to that line is the command's answer.
// Commands run one at a time (queued); each has a timeout; an AbortSignal cancels it.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export class BackendError extends Error {
  constructor(
    readonly kind: 'timeout' | 'cancelled' | 'exited' | 'spawn',
    message: string,
    readonly output = '',
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export interface BackendSpec {
  /** Display name ("crash", "drgn"). */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Text to write after a command so that the tool prints `sentinelLine(id)` when it is done. */
  sentinelCommand(id: string): string;
  /** true when `line` is the sentinel for id (tools may decorate it, e.g. with a prompt). */
  isSentinel(line: string, id: string): boolean;
  /** Lines of tool chatter to drop from answers (prompts, echoes). */
  dropLine?(line: string): boolean;
  /** A first command whose answer means "ready" (e.g. after loading the dump); default none. */
  startupCommand?: string;
  /** Text that interrupts a running command (crash: SIGINT); default: kill the process. */
  interruptWithSigint?: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  cmd: string;
  opts: RunOptions;
  resolve(out: string): void;
  reject(e: Error): void;
}

export class ToolBackend {
  private proc?: ChildProcessWithoutNullStreams;
  private queue: Pending[] = [];
  private busy = false;
  private seq = 0;
  private buf = '';
  private lines: string[] = [];
  private waiter?: { id: string; done(out: string): void; fail(e: Error): void };
  private exited?: string;
  private stderrTail = '';
  readonly defaultTimeoutMs: number;

  constructor(
    readonly spec: BackendSpec,
    opts: { defaultTimeoutMs?: number } = {},
  ) {
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 120_000;
  }

  /** Starts the process (and waits for the startup command, if any). */
  async start(opts: RunOptions = {}): Promise<void> {
    if (this.proc) return;
    const p = spawn(this.spec.command, this.spec.args, {
      env: { ...process.env, ...this.spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = p;
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d: string) => this.onData(d));
    p.stderr.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-2000);
    });
    p.stdin.on('error', () => undefined);
    const spawnError = new Promise<never>((_, reject) =>
      p.once('error', (e) => {
        this.exited = `cannot start ${this.spec.command}: ${e.message}`;
        const err = new BackendError('spawn', this.exited);
        this.waiter?.fail(err);
        reject(err);
      }),
    );
    spawnError.catch(() => undefined);
    p.once('exit', (code, sig) => {
      this.exited ??= `${this.spec.name} exited (${sig ?? code})${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      this.proc = undefined;
      this.waiter?.fail(new BackendError('exited', this.exited, this.lines.join('\n')));
      for (const q of this.queue.splice(0)) q.reject(new BackendError('exited', this.exited));
    });
    await Promise.race([new Promise<void>((r) => p.once('spawn', () => r())), spawnError]);
    if (this.spec.startupCommand !== undefined)
      await Promise.race([this.run(this.spec.startupCommand, opts), spawnError]);
  }

  get running(): boolean {
    return !!this.proc;
  }

  /** Runs one command and resolves with its output (without the sentinel and dropped lines). */
  run(cmd: string, opts: RunOptions = {}): Promise<string> {
    if (this.exited && !this.proc) return Promise.reject(new BackendError('exited', this.exited));
    if (/[\r\n]/.test(cmd)) return Promise.reject(new Error('a backend command must be a single line'));
    return new Promise((resolve, reject) => {
      this.queue.push({ cmd, opts, resolve, reject });
      void this.pump();
    });
  }

  /** Ends the process (politely, then SIGKILL after graceMs). */
  async stop(graceMs = 2000): Promise<void> {
    const p = this.proc;
    if (!p) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.stdin.end();
    const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.kill('SIGTERM');
    await gone;
    clearTimeout(t);
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    const next = this.queue.shift();
    if (!next) return;
    this.busy = true;
    try {
      next.resolve(await this.exec(next.cmd, next.opts));
    } catch (e) {
      next.reject(e as Error);
    } finally {
      this.busy = false;
      void this.pump();
    }
  }

  private exec(cmd: string, opts: RunOptions): Promise<string> {
    const p = this.proc;
    if (!p) return Promise.reject(new BackendError('exited', this.exited ?? `${this.spec.name} is not running`));
    if (opts.signal?.aborted) return Promise.reject(new BackendError('cancelled', `\`${cmd}\` cancelled`));
    const id = `__KMX_${process.pid}_${++this.seq}__`;
    this.lines = [];
    return new Promise<string>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const abandon = (err: BackendError) => {
        cleanup();
        // The tool may still be busy with the command: kill it so that later answers cannot mix.
        this.proc?.kill('SIGKILL');
        reject(err);
      };
      const timer = setTimeout(
        () =>
          abandon(
            new BackendError(
              'timeout',
              `\`${cmd}\` took longer than ${timeoutMs} ms; ${this.spec.name} was stopped`,
              this.lines.join('\n'),
            ),
          ),
        timeoutMs,
      );
      const onAbort = () =>
        abandon(
          new BackendError('cancelled', `\`${cmd}\` cancelled; ${this.spec.name} was stopped`, this.lines.join('\n')),
        );
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        id,
        done: (out) => {
          cleanup();
          resolve(out);
        },
        fail: (e) => {
          cleanup();
          reject(e);
        },
      };
      p.stdin.write(`${cmd}\n${this.spec.sentinelCommand(id)}\n`);
    });
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      const w = this.waiter;
      if (!w) continue; // output outside a command (banner) is dropped
      if (this.spec.isSentinel(line, w.id)) {
        w.done(this.lines.join('\n'));
        continue;
      }
      if (line.includes(w.id)) continue; // echo of the sentinel command
      if (this.spec.dropLine?.(line)) continue;
      this.lines.push(line);
    }
  }
}

/** crash: `crash -s vmlinux vmcore`; the sentinel is printed by crash's shell escape. */
export function crashBackendSpec(crashPath: string, vmlinux: string, vmcore: string): BackendSpec {
  return {
    name: 'crash',
    command: crashPath,
    args: ['-s', '--no_scroll', vmlinux, vmcore],
    sentinelCommand: (id) => `!echo ${id}`,
    isSentinel: (line, id) => line.trim() === id,
    dropLine: (line) => /^crash(-[\w.]+)?> ?$/.test(line.trim()),
    startupCommand: 'sys',
  };
}

/** drgn: a tiny line-oriented evaluator in the Debian python3 with python3-drgn; each line is Python. */
export function drgnBackendSpec(python: string, vmlinux: string | undefined, vmcore: string | 'live'): BackendSpec {
  const loop = [
    'import sys, drgn, traceback',
    'from drgn.helpers.linux import *',
    'prog = drgn.Program()',
    'prog.set_kernel() if sys.argv[1] == "live" else prog.set_core_dump(sys.argv[1])',
    'prog.load_debug_info([sys.argv[2]] if len(sys.argv) > 2 and sys.argv[2] else None, default=len(sys.argv) <= 2 or not sys.argv[2])',
    'g = {"prog": prog, "drgn": drgn}',
    'exec("from drgn.helpers.linux import *", g)',
    'for line in sys.stdin:',
    '    line = line.rstrip("\\n")',
    '    if line.startswith("#KMX "):',
    '        print(line[5:], flush=True); continue',
    '    try:',
    '        try: r = eval(line, g)',
    '        except SyntaxError: exec(line, g); r = None',
    '        if r is not None: print(r)',
    '    except Exception: traceback.print_exc(file=sys.stdout)',
    '    sys.stdout.flush()',
  ].join('\n');
  return {
    name: 'drgn',
    command: python,
    args: ['-c', loop, vmcore, vmlinux ?? ''],
    env: { DRGN_USE_LIBKDUMPFILE_FOR_ELF: '1' },
    sentinelCommand: (id) => `#KMX ${id}`,
    isSentinel: (line, id) => line === id,
    startupCommand: 'prog.flags',
  };
}
