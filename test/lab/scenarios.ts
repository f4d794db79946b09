// The guest-side stories. A boot plan = one QEMU boot of one kernel with a list of steps; an
// "action" changes the guest, a "snapshot" writes one set (capture + dumps) of the state so far.
import type { Expected, OfflineAttempt } from './manifest';
import { MIB, type Vm } from './qemu';
import { log, sleep } from './util';

export interface StepContext {
  vm: Vm;
  /** human-readable log of what was done since boot (copied into each manifest) */
  actions: string[];
  /** cumulative expectations (copied into each manifest, refreshed at snapshot time) */
  expected: Expected;
  /** the guest's boot RAM (the plan's ramBytes or GUEST_RAM) */
  ramBytes: number;
}

export type Step =
  { kind: 'action'; name: string; run: (ctx: StepContext) => Promise<void> } | { kind: 'snapshot'; scenario: string };

export interface BootPlan {
  id: string;
  kaslr: boolean;
  extraCmdline: string[];
  dataDiskBytes?: number;
  /** guest RAM at boot; default GUEST_RAM (1 GiB) */
  ramBytes?: number;
  /** MiB between the per-PFN files on the capture disk (kpagecgroup, kpagecount, kpageflags at 1×, 2×, 3× this);
   *  default 32, enough for 4 Mi PFNs (16 GiB of PFN span); the disk is 4× this */
  captureStrideMiB?: number;
  /** an opt-in big set: never made by --ensure-ci-sets, marked `big: true` in its manifest and left out of
   *  listSets() unless asked for (see sets.ts) */
  big?: boolean;
  steps: Step[];
}

const VM0 = '/machine/peripheral/vm0';

async function waitFor<T>(what: string, timeoutMs: number, get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timeout waiting for ${what} (last value ${JSON.stringify(v)})`);
    await sleep(1000);
  }
}

/** virtio-mem: plug PLUG_MIB, then shrink to KEEP_MIB so a block is removed and a block is left partly
 *  unplugged (fake-offline 2 MiB sub-blocks inside an online memory block). */
const PLUG_MIB = 512;
const KEEP_MIB = 300;
const BALLOON_MIB = 256;

/** virtio-mem's sub-block in MiB: at least a pageblock (2 MiB with 4 KiB pages, 32 MiB with 16 KiB: PMD order). */
async function virtioMemSubblockMib(vm: Vm): Promise<number> {
  const ps = Number((await vm.shOk('labload pagesize')).trim());
  return Number.isInteger(ps) && ps > 4096 ? (ps * (ps / 8)) / MIB : 2;
}

async function virtioMemPlugUnplug(ctx: StepContext): Promise<void> {
  const { vm } = ctx;
  const q = vm.qmp;
  // the driver unplugs whole sub-blocks: with 16 KiB pages KEEP_MIB rounds up (300 → 320 MiB)
  const sub = await virtioMemSubblockMib(vm);
  const keep = Math.ceil(KEEP_MIB / sub) * sub;
  for (const mib of [PLUG_MIB, keep]) {
    await q.qomSet(VM0, 'requested-size', mib * MIB);
    const t = Date.now();
    const size = await waitFor(
      `virtio-mem size ${mib} MiB`,
      180000,
      () => q.qomGet<number>(VM0, 'size'),
      (s) => s === mib * MIB,
    );
    ctx.actions.push(
      `virtio-mem: qom-set ${VM0} requested-size=${mib} MiB; plugged size reached ${size / MIB} MiB after ${((Date.now() - t) / 1000).toFixed(1)}s`,
    );
  }
  await sleep(2000); // let the driver finish onlining/removing blocks
  ctx.expected.virtioMem = {
    requestedBytes: await q.qomGet<number>(VM0, 'requested-size'),
    pluggedBytes: await q.qomGet<number>(VM0, 'size'),
    regionBytes: Number(await q.qomGet<number>('/objects/vmem0', 'size')),
    blockSize: await q.qomGet<number>(VM0, 'block-size'),
    addr: await q.qomGet<number>(VM0, 'memaddr'),
  };
  const blocks = (await vm.shOk('blocks')).trim();
  ctx.actions.push(`virtio-mem: memory blocks now: ${blocks.split('\n').join('; ')}`);
}

async function balloonInflate(ctx: StepContext): Promise<void> {
  const q = ctx.vm.qmp;
  const target = ctx.ramBytes - BALLOON_MIB * MIB;
  await q.cmd('balloon', { value: target });
  const t = Date.now();
  const r = await waitFor(
    'balloon to inflate',
    180000,
    () => q.cmd<{ actual: number }>('query-balloon'),
    (b) => b.actual <= target,
  );
  ctx.actions.push(
    `balloon: QMP balloon value=${target / MIB} MiB (inflate by ${BALLOON_MIB} MiB); query-balloon actual=${r.actual / MIB} MiB after ${((Date.now() - t) / 1000).toFixed(1)}s`,
  );
  ctx.expected.balloon = { targetBytes: target, actualBytes: r.actual, inflatedBytes: ctx.ramBytes - r.actual };
}

interface Block {
  n: number;
  state: string;
  zones: string;
}
const parseBlocks = (out: string): Block[] =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => /^\d+$/.test(p[0] ?? ''))
    .map((p) => ({ n: Number(p[0]), state: p[1] ?? '', zones: p.slice(2).join(' ') }))
    .sort((a, b) => a.n - b.n);

async function tryOffline(ctx: StepContext, b: Block, why: string): Promise<OfflineAttempt> {
  const out = await ctx.vm.shOk(`offline_try ${b.n} 60`, 120000);
  const m = /@@OFFLINE (\d+) (\S+) (\S+) ?(.*)/.exec(out);
  const rc = m ? Number(m[2]) : -1;
  const error = m?.[4]?.trim() || (rc === 143 ? 'timed out (killed after 60s)' : undefined);
  const a: OfflineAttempt = { block: b.n, ok: rc === 0, zone: b.zones, why, stateAfter: m?.[3] ?? '?' };
  if (rc !== 0) a.error = error ?? `exit status ${rc}`;
  ctx.actions.push(
    `offline-block: echo offline > /sys/devices/system/memory/memory${b.n}/state (${b.zones}; ${why}) -> ${a.ok ? 'ok' : `failed: ${a.error}`}; state now ${a.stateAfter}`,
  );
  log(`offline memory${b.n}: ${a.ok ? 'ok' : a.error}`);
  return a;
}

async function offlineBlocks(ctx: StepContext): Promise<void> {
  const { vm } = ctx;
  const blocks = parseBlocks(await vm.shOk('blocks'));
  const blockSize = parseInt((await vm.shOk('cat /sys/devices/system/memory/block_size_bytes')).trim(), 16);
  const iomem = await vm.shOk('cat /proc/iomem');
  const kcode = /^\s*([0-9a-f]+)-[0-9a-f]+ : Kernel code/m.exec(iomem);
  const kernelBlock = kcode ? Math.floor(parseInt(kcode[1]!, 16) / blockSize) : 0;
  const online = blocks.filter((b) => b.state === 'online');
  const picks: { b: Block; why: string }[] = [];
  const movable = online.find((b) => /Movable/.test(b.zones));
  if (movable) picks.push({ b: movable, why: 'virtio-mem block onlined to ZONE_MOVABLE (expected to succeed)' });
  const boot = online.filter((b) => !/Movable/.test(b.zones) && b.n !== kernelBlock && b.n !== 0);
  const top = boot[boot.length - 1];
  if (top)
    picks.push({
      b: top,
      why: 'highest boot-memory block (kernel zone; succeeds only if everything in it is movable or free)',
    });
  const kb = online.find((b) => b.n === kernelBlock);
  if (kb)
    picks.push({
      b: kb,
      why: 'block holding the kernel image ("Kernel code" in /proc/iomem; expected to fail: PG_reserved / unmovable pages)',
    });
  const attempts: OfflineAttempt[] = [];
  for (const { b, why } of picks) attempts.push(await tryOffline(ctx, b, why));
  // If no boot-memory block went offline yet, walk the other boot blocks from the top until one does
  // (at most 3 more tries), so the set also shows an offlined block of boot memory.
  const tried = new Set(attempts.map((a) => a.block));
  let extra = 0;
  for (const b of [...boot].reverse()) {
    if (extra >= 3 || attempts.some((a) => a.ok && !/Movable/.test(a.zone ?? ''))) break;
    if (tried.has(b.n)) continue;
    extra++;
    attempts.push(await tryOffline(ctx, b, 'another boot-memory block (looking for one that offlines)'));
  }
  ctx.expected.offline = attempts;
}

interface LoadSizes {
  thpMib: number;
  anonMib: number;
  hugetlbPages: number;
  files: number;
  pageCacheMib: number;
  /** keep the data disk open in a background process while it is read: the kernel drops a block device's
   *  page cache at its last close (blkdev_put → kill_bdev), so without this the pages read are free again
   *  by the snapshot (true of the 1 GiB `load` scenario, kept as it is) */
  holdDisk?: boolean;
}
/** The `load` scenario of the 1 GiB guest. */
const LOAD: LoadSizes = { thpMib: 128, anonMib: 64, hugetlbPages: 32, files: 20000, pageCacheMib: 64 };
/** The big guest's load: ~2.3 GiB of its 16 GiB in use besides the kernel (each touched guest page costs
 *  host RAM, untouched ones cost nothing). */
const BIG_LOAD: LoadSizes = {
  thpMib: 512,
  anonMib: 512,
  hugetlbPages: 64,
  files: 20000,
  pageCacheMib: 1024,
  holdDisk: true,
};

function loadAction(sz: LoadSizes): (ctx: StepContext) => Promise<void> {
  return async (ctx) => {
    const { vm } = ctx;
    await vm.shOk('echo always > /sys/kernel/mm/transparent_hugepage/enabled');
    ctx.actions.push(`load: THP enabled=always (also transparent_hugepage=always on the cmdline)`);
    ctx.actions.push(`load: ${(await vm.shOk(`bg_start thp labload thp ${sz.thpMib}`, 300000)).trim()}`);
    ctx.actions.push(`load: ${(await vm.shOk(`bg_start anon labload anon ${sz.anonMib}`, 300000)).trim()}`);
    // hugetlbPages are 2 MiB pages' worth: the same bytes in the kernel's default huge page size
    // (32 MiB with 16 KiB pages, where 32 of them would take the whole 1 GiB guest)
    const hpsKb = Number(/^Hugepagesize:\s+(\d+)/m.exec(await vm.shOk('cat /proc/meminfo'))?.[1] ?? 2048);
    const want = Math.max(1, Math.round((sz.hugetlbPages * 2048) / hpsKb));
    await vm.shOk(`echo ${want} > /proc/sys/vm/nr_hugepages`);
    const huge = Number((await vm.shOk('cat /proc/sys/vm/nr_hugepages')).trim());
    ctx.actions.push(
      `load: echo ${want} > /proc/sys/vm/nr_hugepages -> ${huge} ${hpsKb / 1024} MiB hugetlb pages (free, not mapped)`,
    );
    ctx.actions.push(`load: slab/tmpfs: ${(await vm.shOk(`labload files /tmp/files ${sz.files}`, 600000)).trim()}`);
    if (sz.holdDisk) await vm.shOk('sleep 1000000 < $(disk_by_serial labdata) &');
    await vm.shOk(`dd if=$(disk_by_serial labdata) of=/dev/null bs=1M count=${sz.pageCacheMib} 2>/dev/null`, 600000);
    ctx.actions.push(
      `load: page cache: read ${sz.pageCacheMib} MiB of the virtio-blk data disk (block-device page cache)` +
        (sz.holdDisk ? '; a background `sleep < disk` keeps it open, so the cache survives the close' : ''),
    );
    const meminfo = await vm.shOk('cat /proc/meminfo');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
    Object.assign(ctx.expected, {
      hugetlbPages: huge,
      thpBytes: kb('AnonHugePages'),
      anonBytes: kb('AnonPages'),
      tmpfsFiles: sz.files,
      pageCacheBytes: sz.pageCacheMib * MIB,
      slabBytes: kb('Slab'),
      shmemBytes: kb('Shmem'),
    });
  };
}

/** Boot 1 (KASLR on): baseline → balloon → virtio-mem (balloon still inflated) → offline-block. */
export function mainPlan(): BootPlan {
  return {
    id: 'main',
    kaslr: true,
    extraCmdline: [],
    steps: [
      { kind: 'snapshot', scenario: 'baseline' },
      { kind: 'action', name: 'balloon', run: balloonInflate },
      { kind: 'snapshot', scenario: 'balloon' },
      { kind: 'action', name: 'virtio-mem', run: virtioMemPlugUnplug },
      { kind: 'snapshot', scenario: 'virtio-mem' },
      { kind: 'action', name: 'offline-block', run: offlineBlocks },
      { kind: 'snapshot', scenario: 'offline-block' },
    ],
  };
}

/** Boot 2 (nokaslr, THP always): baseline → load (THP, anon, hugetlb, slab/tmpfs, page cache). */
export function loadPlan(): BootPlan {
  return {
    id: 'load',
    kaslr: false,
    extraCmdline: ['transparent_hugepage=always'],
    dataDiskBytes: LOAD.pageCacheMib * MIB,
    steps: [
      { kind: 'snapshot', scenario: 'baseline' },
      { kind: 'action', name: 'load', run: loadAction(LOAD) },
      { kind: 'snapshot', scenario: 'load' },
    ],
  };
}

/** Opt-in big guest (`lab --big`, never CI): 16 GiB of boot RAM, KASLR on, the `load` scenario scaled up,
 *  one snapshot `big` (→ `6.1-big`, `6.12-big`) for benchmarks. Same machine and devices as the others. */
export const BIG_RAM = 16 * 1024 * MIB;
export function bigPlan(): BootPlan {
  return {
    id: 'big',
    kaslr: true,
    extraCmdline: ['transparent_hugepage=always'],
    dataDiskBytes: BIG_LOAD.pageCacheMib * MIB,
    ramBytes: BIG_RAM,
    captureStrideMiB: 64,
    big: true,
    steps: [
      { kind: 'action', name: 'load', run: loadAction(BIG_LOAD) },
      { kind: 'snapshot', scenario: 'big' },
    ],
  };
}
