// Runs one boot plan on one kernel: boot, then execute steps until every wanted snapshot is written.
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildInitramfs } from './initramfs';
import type { Kernel } from './kernels';
import { setName, type Manifest } from './manifest';
import { observe } from './observe';
import { workDir } from './paths';
import { GUEST_RAM, qemuVersion, Vm } from './qemu';
import type { BootPlan, StepContext } from './scenarios';
import { SetBuilder } from './setwriter';
import { log, run } from './util';

export interface BootResult {
  written: string[];
  bootSec: number;
  totalSec: number;
  perSet: Record<string, number>;
}

/** VMs alive right now, so a signal handler can kill them. */
export const liveVms = new Set<Vm>();
export const liveBuilders = new Set<SetBuilder>();

export async function runBoot(k: Kernel, plan: BootPlan, wanted: Set<string>): Promise<BootResult> {
  const t0 = Date.now();
  const lastIdx = plan.steps.reduce(
    (acc, s, i) => (s.kind === 'snapshot' && wanted.has(setName(k.short, s.scenario, plan.kaslr, k.arch)) ? i : acc),
    -1,
  );
  if (lastIdx < 0) return { written: [], bootSec: 0, totalSec: 0, perSet: {} };
  const wd = join(
    workDir(),
    `${k.arch === 'x86_64' ? '' : `${k.arch}-`}${k.short}-${plan.id}${plan.kaslr ? '' : '-nokaslr'}-${process.pid}`,
  );
  rmSync(wd, { recursive: true, force: true });
  mkdirSync(wd, { recursive: true });
  const initrd = buildInitramfs(k, wd);
  const capDisk = join(wd, 'capture.img');
  const stride = plan.captureStrideMiB ?? 32;
  run('truncate', ['-s', `${4 * stride}M`, capDisk]);
  const ramBytes = plan.ramBytes ?? GUEST_RAM;
  let dataDisk: string | undefined;
  if (plan.dataDiskBytes) {
    dataDisk = join(wd, 'data.img');
    run('truncate', ['-s', String(plan.dataDiskBytes), dataDisk]);
  }
  const vm = new Vm({
    arch: k.arch,
    vmlinuz: k.vmlinuz,
    initrd: initrd.path,
    kaslr: plan.kaslr,
    extraCmdline: plan.extraCmdline,
    captureDisk: capDisk,
    workDir: wd,
    ramBytes,
    ...(dataDisk ? { dataDisk } : {}),
  });
  liveVms.add(vm);
  const written: string[] = [];
  const perSet: Record<string, number> = {};
  const qv = qemuVersion(k.arch);
  try {
    await vm.start();
    const ready = await vm.waitConsole(/@@READY (\S+)/, 600000, 'guest /init ready');
    const bootSec = (Date.now() - t0) / 1000;
    const mods = /@@MODULES ([^\n]*)/.exec(vm.consoleText())?.[1]?.trim() ?? '';
    if (/@@INSMOD-FAILED/.test(vm.consoleText())) throw new Error(`insmod failed in guest; see ${vm.consoleLog}`);
    log(`${k.short} ${plan.id}: guest ${ready[1]} ready after ${bootSec.toFixed(0)}s (modules: ${mods})`);
    const ctx: StepContext = {
      vm,
      actions: [
        `boot: ${k.package} ${k.version} (${k.release}), cmdline "${vm.cmdline}"; modules loaded: ${mods}${initrd.modules.builtin.length ? ` (built in: ${initrd.modules.builtin.join(', ')})` : ''}`,
      ],
      expected: {},
      ramBytes,
    };
    for (let i = 0; i <= lastIdx; i++) {
      const step = plan.steps[i]!;
      if (step.kind === 'action') {
        log(`${k.short} ${plan.id}: action ${step.name}`);
        await step.run(ctx);
        continue;
      }
      const name = setName(k.short, step.scenario, plan.kaslr, k.arch);
      if (!wanted.has(name)) {
        log(`${name}: present, not re-made`);
        continue;
      }
      const ts = Date.now();
      log(`${name}: capturing`);
      const b = new SetBuilder(name);
      liveBuilders.add(b);
      const captureOut = await vm.shOk(stride === 32 ? 'capture' : `capture ${stride}`, 600000);
      await vm.qmp.cmd('stop');
      if (ctx.expected.virtioMem)
        ctx.expected.virtioMem.pluggedBytes = await vm.qmp.qomGet<number>('/machine/peripheral/vm0', 'size');
      if (ctx.expected.balloon) {
        const bal = await vm.qmp.cmd<{ actual: number }>('query-balloon');
        ctx.expected.balloon.actualBytes = bal.actual;
        ctx.expected.balloon.inflatedBytes = ramBytes - bal.actual;
      }
      log(`${name}: dumping (ELF, kdump-zlib)`);
      const td = Date.now();
      await vm.qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${join(b.tmp, 'vmcore.elf')}` });
      await vm.qmp.cmd('dump-guest-memory', {
        paging: false,
        protocol: `file:${join(b.tmp, 'vmcore.kdump')}`,
        format: 'kdump-zlib',
      });
      const dumpSec = (Date.now() - td) / 1000;
      await vm.qmp.cmd('cont');
      for (const f of ['vmcore.elf', 'vmcore.kdump']) chmodSync(join(b.tmp, f), 0o644);
      // QEMU writes every byte of guest RAM into the ELF; punch holes where it is zero (untouched RAM), so
      // a set costs the disk only what the guest used: CI's disk ran out at the 17th set with whole ELFs.
      digHoles(join(b.tmp, 'vmcore.elf'));
      run('tar', ['-xf', capDisk, '-C', join(b.tmp, 'capture')]);
      extractRawCaptures(captureOut, capDisk, join(b.tmp, 'capture'));
      if (
        !readdirSync(join(b.tmp, 'capture')).includes('kpageflags') ||
        statSync(join(b.tmp, 'capture', 'kpageflags')).size === 0
      )
        throw new Error(`${name}: capture has no kpageflags`);
      copyFileSync(vm.consoleLog, join(b.tmp, 'console.log'));
      copyFileSync(vm.qmpLog, join(b.tmp, 'qmp.log'));
      const snapshotSec = (Date.now() - ts) / 1000;
      const manifest: Manifest = {
        name,
        ...(k.arch !== 'x86_64' ? { arch: k.arch } : {}),
        kernel: { release: k.release, package: k.package, version: k.version, short: k.short },
        scenario: step.scenario,
        kaslr: plan.kaslr,
        createdAt: new Date().toISOString(),
        qemu: { version: qv, args: vm.args },
        cmdline: vm.cmdline,
        actions: [
          ...ctx.actions,
          `snapshot: guest captured /proc + sysfs to the capture disk, then QMP stop, dump-guest-memory ELF (paging:false) and kdump-zlib, cont`,
        ],
        expected: JSON.parse(JSON.stringify(ctx.expected)) as Manifest['expected'],
        observed: observe(b.tmp),
        timing: {
          bootSec: Math.round(bootSec),
          snapshotSec: Math.round(snapshotSec),
          sinceBootSec: Math.round((Date.now() - t0) / 1000),
          dumpSec: Math.round(dumpSec * 10) / 10,
        },
        files: { capture: 'capture', elf: 'vmcore.elf', kdump: 'vmcore.kdump' },
        ...(plan.big ? { big: true } : {}),
      };
      b.commit(manifest);
      liveBuilders.delete(b);
      written.push(name);
      perSet[name] = Math.round(snapshotSec);
      const o = manifest.observed!;
      const pfnsPerMib = k.arch === 'arm64-16k' ? 64 : 256;
      log(
        `${name}: written in ${snapshotSec.toFixed(0)}s (KPF_OFFLINE ${o.kpfOffline} pfns = ${(o.kpfOffline / pfnsPerMib).toFixed(1)} MiB, NOPAGE ${o.kpfNopage}, VMCOREINFO ${o.elfHasVmcoreinfo})`,
      );
      ctx.actions.push(`snapshot ${name} taken`);
    }
    return { written, bootSec: Math.round(bootSec), totalSec: Math.round((Date.now() - t0) / 1000), perSet };
  } finally {
    await vm.shutdown();
    liveVms.delete(vm);
    for (const b of liveBuilders) b.abandon();
    liveBuilders.clear();
    rmSync(wd, { recursive: true, force: true });
  }
}

/** Makes a file sparse in place (`fallocate --dig-holes`: zero-filled blocks become holes). */
function digHoles(path: string): void {
  const before = statSync(path).blocks * 512;
  const t = Date.now();
  run('fallocate', ['--dig-holes', path]);
  const after = statSync(path).blocks * 512;
  log(
    `${path}: fallocate --dig-holes in ${((Date.now() - t) / 1000).toFixed(0)}s: ${(before / 2 ** 30).toFixed(2)} GiB -> ${(after / 2 ** 30).toFixed(2)} GiB on disk (size ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB)`,
  );
}

/** Copies the per-PFN files the guest wrote at fixed disk offsets (its "@@RAW name offsetMiB bytes" lines). */
function extractRawCaptures(guestOutput: string, disk: string, dir: string): void {
  const fd = openSync(disk, 'r');
  try {
    for (const m of guestOutput.matchAll(/@@RAW (\w+) (\d+) (\d+)/g)) {
      const [, name, offMiB, bytes] = m;
      const buf = Buffer.alloc(Number(bytes));
      const got = readSync(fd, buf, 0, buf.length, Number(offMiB) * 1024 * 1024);
      if (got !== buf.length) throw new Error(`capture disk: ${name} short read (${got} of ${bytes} bytes)`);
      writeFileSync(join(dir, name), buf);
    }
  } finally {
    closeSync(fd);
  }
}
