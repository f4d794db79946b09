// One QEMU guest: builds the command line, spawns it, drives the serial console (stdio) and QMP.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Qmp } from './qmp';
import { log, q, run } from './util';

export interface VmOptions {
  /** guest architecture (default x86_64: q35; arm64: virt, -cpu max, console ttyAMA0) */
  arch?: GuestArch;
  vmlinuz: string;
  initrd: string;
  kaslr: boolean;
  extraCmdline?: string[];
  captureDisk: string;
  dataDisk?: string;
  workDir: string;
  /** guest RAM at boot (default GUEST_RAM, 1 GiB); maxmem is always this plus 3 GiB (room for virtio-mem) */
  ramBytes?: number;
}

export const MIB = 1024 * 1024;
/** Guest RAM of every boot plan that does not set its own (BootPlan.ramBytes). */
export const GUEST_RAM = 1024 * MIB;
export const VIRTIO_MEM_REGION = 1024 * MIB;
/** maxmem beyond the boot RAM: the memory-device window the virtio-mem region lives in */
const HOTPLUG_WINDOW = 3 * 1024 * MIB;

/** A QEMU size: whole GiB as `<n>G`, else `<n>M`. */
const qemuSize = (bytes: number): string =>
  bytes % (1024 * MIB) === 0 ? `${bytes / (1024 * MIB)}G` : `${bytes / MIB}M`;
/** The -m argument: `1G,maxmem=4G,slots=2` for the default 1 GiB guest. */
export const memArg = (ramBytes: number): string =>
  `${qemuSize(ramBytes)},maxmem=${qemuSize(ramBytes + HOTPLUG_WINDOW)},slots=2`;

/** The QEMU system emulator of a guest architecture. */
/** x86_64, arm64 with 4 KiB pages, arm64 with 16 KiB pages (the same machine; the kernel chooses the granule). */
export type GuestArch = 'x86_64' | 'arm64' | 'arm64-16k';
export const qemuBinary = (arch: GuestArch = 'x86_64'): string =>
  arch !== 'x86_64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';

export function qemuVersion(arch: GuestArch = 'x86_64'): string {
  return run(qemuBinary(arch), ['--version']).stdout.split('\n')[0]!.trim();
}

/** Machine, CPU and console of each architecture. arm64: the `virt` board (device tree boot, PCI
 *  virtio devices, fw_cfg for the vmcoreinfo device); `-cpu max` with the IMPDEF pointer-auth
 *  algorithm, because TCG's architected QARMA is several times slower to emulate. */
function machineArgs(arch: GuestArch): { args: string[]; console: string } {
  if (arch !== 'x86_64') return { args: ['-machine', 'virt', '-cpu', 'max,pauth-impdef=on'], console: 'ttyAMA0' };
  return { args: ['-machine', 'q35', '-cpu', 'max,la57=off'], console: 'ttyS0' };
}

let seq = 0;

export class Vm {
  readonly args: string[];
  readonly cmdline: string;
  readonly qmp: Qmp;
  readonly consoleLog: string;
  readonly qmpLog: string;
  private proc: ChildProcess | undefined;
  private out = '';
  private consumed = 0;
  private exited: number | null | undefined;
  private cmdId = 1;
  private readonly qmpSock: string;

  constructor(readonly opts: VmOptions) {
    this.consoleLog = join(opts.workDir, 'console.log');
    this.qmpLog = join(opts.workDir, 'qmp.log');
    writeFileSync(this.consoleLog, '');
    writeFileSync(this.qmpLog, '');
    this.qmp = new Qmp(this.qmpLog);
    // unix socket paths are limited to ~107 bytes, so keep the socket in the system tmpdir
    this.qmpSock = join(tmpdir(), `kmemmap-lab-${process.pid}-${seq++}.qmp`);
    const machine = machineArgs(opts.arch ?? 'x86_64');
    this.cmdline = [
      `console=${machine.console}`,
      'loglevel=4',
      'memhp_default_state=online_movable',
      'panic=-1',
      ...(opts.kaslr ? [] : ['nokaslr']),
      ...(opts.extraCmdline ?? []),
    ].join(' ');
    this.args = [
      '-accel',
      'tcg',
      ...machine.args,
      '-smp',
      '2',
      '-m',
      memArg(opts.ramBytes ?? GUEST_RAM),
      '-nographic',
      '-monitor',
      'none',
      '-serial',
      'stdio',
      '-no-reboot',
      '-kernel',
      opts.vmlinuz,
      '-initrd',
      opts.initrd,
      '-append',
      this.cmdline,
      '-object',
      `memory-backend-ram,id=vmem0,size=${VIRTIO_MEM_REGION}`,
      '-device',
      'virtio-mem-pci,id=vm0,memdev=vmem0,requested-size=0,block-size=2M',
      '-device',
      'virtio-balloon-pci,id=balloon0',
      '-device',
      'vmcoreinfo',
      '-drive',
      `file=${opts.captureDisk},format=raw,if=none,id=cap0`,
      '-device',
      'virtio-blk-pci,drive=cap0,serial=labcap',
      ...(opts.dataDisk
        ? [
            '-drive',
            `file=${opts.dataDisk},format=raw,if=none,id=data0`,
            '-device',
            'virtio-blk-pci,drive=data0,serial=labdata',
          ]
        : []),
      '-qmp',
      `unix:${this.qmpSock},server=on,wait=off`,
    ];
  }

  async start(): Promise<void> {
    const bin = qemuBinary(this.opts.arch);
    log(`${bin} ${this.args.join(' ')}`);
    const p = spawn(bin, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = p;
    p.stdout!.setEncoding('utf8');
    p.stderr!.setEncoding('utf8');
    p.stdout!.on('data', (d: string) => {
      this.out += d;
      appendFileSync(this.consoleLog, d);
    });
    p.stderr!.on('data', (d: string) => appendFileSync(this.consoleLog, `[qemu stderr] ${d}`));
    p.on('exit', (code) => {
      this.exited = code;
    });
    await this.qmp.connect(this.qmpSock);
  }

  /** Everything the console printed so far. */
  consoleText(): string {
    return this.out;
  }

  /** Kills QEMU right away (signal handlers). */
  kill(): void {
    if (this.exited === undefined && this.proc?.pid) this.proc.kill('SIGKILL');
  }

  /** Waits for a regex on the console output after what was already consumed; returns the match. */
  async waitConsole(re: RegExp, timeoutMs: number, what = re.source): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.out.slice(this.consumed);
      const m = re.exec(rest);
      if (m) {
        this.consumed += m.index + m[0].length;
        return m;
      }
      if (this.exited !== undefined)
        throw new Error(`QEMU exited (${this.exited}) while waiting for ${what}; see ${this.consoleLog}`);
      if (Date.now() > end)
        throw new Error(`timeout (${timeoutMs / 1000}s) waiting for ${what}; see ${this.consoleLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs a shell line in the guest (functions from guest/lib.sh available); returns rc and output. */
  async sh(line: string, timeoutMs = 120000): Promise<{ rc: number; out: string }> {
    const id = this.cmdId++;
    const start = this.out.length;
    this.consumed = Math.max(this.consumed, start);
    this.proc!.stdin!.write(`r ${id} ${q(line)}\n`);
    const m = await this.waitConsole(new RegExp(`@@END ${id} (\\d+)\\r?\\n`), timeoutMs, `guest command "${line}"`);
    const endIdx = this.consumed - m[0].length;
    return { rc: Number(m[1]), out: this.out.slice(start, endIdx).replace(/\r/g, '') };
  }

  /** Like sh() but throws when the exit status is not 0. */
  async shOk(line: string, timeoutMs = 120000): Promise<string> {
    const r = await this.sh(line, timeoutMs);
    if (r.rc !== 0) throw new Error(`guest command "${line}" failed (${r.rc}): ${r.out.slice(-1500)}`);
    return r.out;
  }

  async shutdown(): Promise<void> {
    try {
      await this.qmp.cmd('quit');
    } catch {
      /* already gone */
    }
    this.qmp.close();
    const end = Date.now() + 10000;
    while (this.exited === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    if (this.exited === undefined && this.proc?.pid) this.proc.kill('SIGKILL');
    run('rm', ['-f', this.qmpSock], { allowFail: true });
  }
}
