// One long-lived crash or drgn process per snapshot session, started on the first question and
// restarted after a timeout or cancellation (which stop it); answers "what is behind this page".
// No vscode import: the command (askDebugger.ts) passes the settings, the dump and an AbortSignal.

import { ToolBackend } from '../../backends/toolBackend';
import { DebuggerAnswer, crashError, parseDrgnAnswer } from './answer';
import { crashPageCommand, parseCrashKmem } from './crashQuery';
import { DebuggerConfig, backendSpec, releaseMismatch } from './debuggerConfig';
import { drgnDefineCommand, drgnPageCommand } from './drgnQuery';

export interface DumpInfo {
  path: string;
  release?: string;
  pageSize: number;
}

export class PageQuestioner {
  private backend?: ToolBackend;
  private starting?: Promise<ToolBackend>;

  constructor(
    readonly config: DebuggerConfig,
    readonly dump: DumpInfo,
    private readonly log: (m: string) => void = () => undefined,
  ) {}

  /** Same tool, vmlinux and binaries: the running process can be reused. */
  sameConfig(c: DebuggerConfig): boolean {
    const a = this.config;
    return a.tool === c.tool && a.vmlinux === c.vmlinux && a.crashPath === c.crashPath && a.drgnPath === c.drgnPath;
  }

  async ask(pfn: number, signal?: AbortSignal): Promise<DebuggerAnswer> {
    const b = await this.ensure(signal);
    const opts = { timeoutMs: this.config.timeoutMs, signal };
    if (this.config.tool === 'drgn') {
      const raw = await b.run(drgnPageCommand(pfn), opts);
      const { fields, error } = parseDrgnAnswer(raw);
      const mismatch = releaseMismatch(
        fields.find((f) => f.key === 'release')?.value,
        this.dump.release,
        this.config.vmlinux,
      );
      if (mismatch) throw new Error(mismatch);
      return { tool: 'drgn', pfn, fields, raw, error };
    }
    const raw = await b.run(crashPageCommand(pfn, this.dump.pageSize), opts);
    return { tool: 'crash', pfn, fields: parseCrashKmem(raw), raw, error: crashError(raw) };
  }

  private ensure(signal?: AbortSignal): Promise<ToolBackend> {
    if (this.backend?.running) return Promise.resolve(this.backend);
    this.starting ??= this.start(signal).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(signal?: AbortSignal): Promise<ToolBackend> {
    const spec = backendSpec(this.config, this.dump.path);
    this.log(
      `starting ${spec.command} ${spec.name === 'drgn' ? '(drgn loop)' : spec.args.join(' ')} on ${this.dump.path}`,
    );
    const b = new ToolBackend(spec, { defaultTimeoutMs: this.config.timeoutMs });
    const opts = { timeoutMs: this.config.timeoutMs, signal };
    try {
      await b.start(opts);
      if (this.config.tool === 'drgn') {
        const out = await b.run(drgnDefineCommand(), opts);
        if (out.trim()) throw new Error(`defining the drgn helper failed: ${out.trim().split('\n').slice(-1)[0]}`);
        const release = (
          await b.run('prog["init_uts_ns"].name.release.string_().decode(errors="replace")', opts)
        ).trim();
        this.checkRelease(release);
      } else {
        const sys = await b.run('sys', opts);
        this.checkRelease(/^\s*RELEASE:\s*(\S+)/m.exec(sys)?.[1]);
      }
    } catch (e) {
      await b.stop(500).catch(() => undefined);
      throw e;
    }
    this.backend = b;
    return b;
  }

  private checkRelease(release: string | undefined): void {
    this.log(`${this.config.tool} reads kernel release ${release ?? '?'} (VMCOREINFO: ${this.dump.release ?? '?'})`);
    if (!release)
      throw new Error(
        `${this.config.tool} cannot read the kernel release through ${this.config.vmlinux}: it is probably not the vmlinux of this dump${this.dump.release ? ` (${this.dump.release})` : ''}; set "kmemmap.debugger.vmlinux" to the dump's own vmlinux with debug info`,
      );
    const m = releaseMismatch(release, this.dump.release, this.config.vmlinux);
    if (m) throw new Error(m);
  }

  async dispose(): Promise<void> {
    const b = this.backend;
    this.backend = undefined;
    await b?.stop();
  }
}
