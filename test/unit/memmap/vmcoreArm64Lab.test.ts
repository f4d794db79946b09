// The arm64 lab (node out/lab/lab.js --arch arm64|arm64-16k): real Debian 6.12 and 7.3 arm64 guests under
// qemu-system-aarch64 (virt, TCG), with 4 KiB pages (`arm64`) and 16 KiB pages (`arm64-16k`). For every
// set the lab makes, the ELF and the kdump (QEMU's 64 KiB blocks) read alike, the dump's geometry is
// arm64's for its page size, and every class that differs from the guest's own kpageflags capture (read in
// the page size it recorded) differs for an explained reason (free, offline, reserved, hugetlb and compound
// exactly), on at most 1 % of the memmap PFNs;
// on every block the guest tried to offline, the vmcore's and the kpageflags capture's verdicts give what
// the guest kernel did (EPERM for boot memory, arm64's prevent_bootmem_remove_notifier).
// Always registered: the arm64 CI sets (ciSetNames('arm64'), made by `lab.js --ensure-ci-sets`) must be in
// the lab (a missing one fails with the command that makes it), and every other arm64 set present is
// tested too. KMEMMAP_ARM64_LAB asks for every 4 KiB set of both boots of both kernels, and the 16 KiB
// sets present (KMEMMAP_ARM64_16K=1: all of them; `only`: no 4 KiB sets): `1` reads them under
// $KMEMMAP_LAB_DIR (default ~/.cache/kmemmap-lab), a directory under <dir>/sets.
import * as assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { ciSetNames, listSets, labRoot, missingCiSets, type LabSet, type Manifest } from '../../lab/sets';
import type { Snapshot } from '../../../memmap/snapshot';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID, PAGE_CLASSES } from '../../../kernel/pageClasses';
import { bothSides, compare } from './labCompare';
import { openDump } from '../../../parsers/dump/openDump';
import { Arm64Paging } from '../../../arch/arm64/paging';
import { capturesWithout } from './captureCopy';

const env = process.env.KMEMMAP_ARM64_LAB;
const root = env && env !== '1' && existsSync(env) && statSync(env).isDirectory() ? env : labRoot();
/** The sets `lab.js --arch arm64|arm64-16k --kernel 6.12` and `--kernel 7.3` make (both boots each). */
const SCENARIOS = ['baseline', 'balloon', 'virtio-mem', 'offline-block', 'baseline-nokaslr', 'load-nokaslr'];
const ARM64_SETS = ['6.12', '7.3'].flatMap((k) => SCENARIOS.map((s) => `arm64-${k}-${s}`));
const ARM64_16K_SETS = ['6.12', '7.3'].flatMap((k) => SCENARIOS.map((s) => `arm64-16k-${k}-${s}`));
const want16k = process.env.KMEMMAP_ARM64_16K;
/**
 * Explained differences (labCompare.ts: the guest's memory changing between the kpageflags capture and
 * QEMU's pause) may touch at most this share of the memmap PFNs. Most are the capturing process's own
 * pages (~260 per 1 GiB guest). Under TCG the window is seconds long, and 7.x's per-CPU free lists (sized
 * automatically since 6.7, up to about the zone's low watermark over all CPUs: ~5 MiB in a 1 GiB guest)
 * can drain into the buddy allocator within it: kpageflags sees such a page flag-less (kernel-other), the
 * dump free. One 7.3 load set drained 1 328 pages (0.61 % with the rest), the 6.12 load set none.
 */
const EXPLAINED_MAX_MEMMAP_PCT = 1;
const only = process.env.KMEMMAP_SET;
const present = (arch: 'arm64' | 'arm64-16k') => listSets(false, arch, root).map((x) => x.name);
/**
 * The sets tested: with KMEMMAP_ARM64_LAB every 4 KiB set and the 16 KiB ones asked for; else the arm64
 * CI sets of both page sizes and any other arm64 set present.
 */
const tested = (
  env
    ? [
        ...(want16k === 'only' ? [] : ARM64_SETS),
        ...ARM64_16K_SETS.filter((n) => want16k || present('arm64-16k').includes(n)),
      ]
    : [
        ...new Set([...ciSetNames('arm64'), ...ciSetNames('arm64-16k'), ...present('arm64'), ...present('arm64-16k')]),
      ].sort()
).filter((n) => !only || n === only);
const archOf = (name: string): 'arm64' | 'arm64-16k' => (name.startsWith('arm64-16k-') ? 'arm64-16k' : 'arm64');

function requireArm64Set(name: string, arch: 'arm64' | 'arm64-16k' = 'arm64'): LabSet {
  const s = listSets(false, arch, root).find((x) => x.name === name);
  if (s) return s;
  const m = /^arm64-(?:16k-)?(\d+\.\d+)-(.*?)(?:-nokaslr)?$/.exec(name)!;
  throw new Error(
    `arm64 lab set ${name} is missing under ${root}/sets; make it with: npm run build && KMEMMAP_LAB_DIR=${root} node out/lab/lab.js --arch ${arch} --kernel ${m[1]} --sets ${m[2]}`,
  );
}

/** The first free buddy block of this order (its head's page->private), by the inspector's page details. */
function findBuddyHead(s: Snapshot, order: number): number | undefined {
  const n = 2 ** order;
  for (let p = s.startPfn; p + n <= s.endPfn; p += n) {
    if (s.classes[p - s.startPfn] !== CLASS_ID.free) continue;
    const d = s.pageDetail!(p);
    if (d?.rule === 'buddy' && d.raw.private === `0x${order.toString(16)}`) return p;
  }
  return undefined;
}

/** The dumps' and the capture's arm64 geometry for page size ps and its notes, and ELF = kdump on every PFN. */
function checkGeometry(name: string, ps: number, elf: Snapshot, kd: Snapshot, kp: Snapshot): void {
  for (const s of [elf, kd, kp]) {
    assert.equal(s.kernel.machine, 'aarch64');
    assert.equal(s.kernel.pageSize, ps);
    assert.equal(s.pfnsPerSection, 2 ** 27 / ps, '128 MiB sections (SECTION_SIZE_BITS 27)');
    assert.equal(s.pfnsPerBlock, 2 ** 27 / ps, 'arm64 memory blocks are one section');
  }
  const notes = (s: Snapshot, re: RegExp) =>
    assert.ok(
      s.provenance.notes.some((n) => re.test(n)),
      s.provenance.notes.join('\n'),
    );
  notes(elf, new RegExp(`^arm64: ${ps / 1024} KiB pages, VA_BITS 52`));
  notes(kd, new RegExp(`dump blocks of 64 KiB hold ${65536 / ps} kernel pages`));
  notes(elf, new RegExp(`pageblock order ${Math.log2(ps) - 3} `)); // PMD order: 9 with 4 KiB pages, 11 with 16 KiB
  if (ps === 16384) notes(kp, /page size 16 KiB \(the capture's pagesize file\)/);
  if (/^arm64-(16k-)?7\.3-/.test(name)) assert.equal(elf.kernel.layoutFamily, '7.2-7.3');
  // RAM starts at 1 GiB on virt: the PFNs below it have no memmap
  assert.equal(
    elf.classes.subarray(0, 2 ** 30 / ps).every((c) => c === CLASS_ID['no-memmap']),
    true,
  );
  assert.notEqual(elf.classes[2 ** 30 / ps], CLASS_ID['no-memmap'], 'the first RAM PFN has a memmap');
  let diff = 0;
  for (let i = 0; i < Math.min(elf.classes.length, kd.classes.length); i++)
    if (elf.classes[i] !== kd.classes[i]) diff++;
  assert.equal(diff, 0, `ELF and kdump differ on ${diff} PFNs`);
  // free buddy blocks of the largest order (MAX_PAGE_ORDER = LENGTH(zone.free_area) - 1: 10 with 4 KiB
  // pages, 11 with 16 KiB): the last page of such a block is a buddy tail, not a per-CPU page
  if (/baseline/.test(name)) {
    const order = ps === 16384 ? 11 : 10;
    const head = findBuddyHead(elf, order);
    assert.ok(head !== undefined, `an order-${order} free block in ${name}`);
    assert.equal(elf.pageDetail!(head + 2 ** order - 1)!.rule, 'buddy-tail');
  }
}

/** Agreement with the guest's kpageflags over the memmap PFNs, exact on the EXACT classes; balloon and virtio-mem counts. */
function checkAgreement(set: LabSet, ps: number, elf: Snapshot, kp: Snapshot): void {
  const r = compare(elf, kp);
  // the same figure over RAM only: the PFNs below RAM (virt puts it at 1 GiB) agree as no-memmap on both sides
  let bothNoMemmap = 0;
  for (let p = kp.startPfn; p < Math.min(elf.endPfn, kp.endPfn); p++)
    if (elf.classes[p] === CLASS_ID['no-memmap'] && kp.classes[p - kp.startPfn] === CLASS_ID['no-memmap'])
      bothNoMemmap++;
  const ramPct = (100 * (r.agree - bothNoMemmap)) / (r.total - bothNoMemmap);
  const counts = PAGE_CLASSES.map((c, i) => [c, elf.counts[i]] as const).filter(([, x]) => x > 0);
  console.log(
    `      ${set.name}: agreement ${r.pct.toFixed(3)}% (${r.agree}/${r.total}), over memmap PFNs ${ramPct.toFixed(3)}% (${r.agree - bothNoMemmap}/${r.total - bothNoMemmap}), explained ${r.explained}; classes ${counts.map(([c, x]) => `${c}=${x}`).join(' ')}`,
  );
  if (r.confusion.length)
    console.log(
      `      kpageflags -> vmcore differences: ${r.confusion
        .slice(0, 12)
        .map(([k, x]) => `${k}: ${x}`)
        .join('; ')}`,
    );
  const bad = [...r.unexplained].map(([key, pfns]) => `${key}: ${pfns.map((p) => bothSides(elf, kp, p)).join(' | ')}`);
  assert.deepEqual(bad, [], 'unexplained differences (classifier error?)');
  assert.deepEqual(r.exactMismatch, [], 'free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly');
  const explainedPct = (100 * r.explained) / (r.total - bothNoMemmap);
  assert.ok(
    explainedPct <= EXPLAINED_MAX_MEMMAP_PCT,
    `explained differences on ${explainedPct}% of the memmap PFNs exceed ${EXPLAINED_MAX_MEMMAP_PCT}%: the capture was not taken right before the pause`,
  );
  const m = set.manifest.expected;
  if (m.balloon) assert.equal(elf.counts[CLASS_ID['offline-movable']] * ps, m.balloon.inflatedBytes, 'balloon pages');
  if (m.virtioMem) {
    // the partly plugged block's unplugged rest: 84 MiB of 300 MiB plugged (4 KiB), 64 MiB of 320 MiB (16 KiB: 32 MiB sub-blocks)
    const blockBytes = elf.pfnsPerBlock * ps;
    const fake = (blockBytes - (m.virtioMem.pluggedBytes % blockBytes)) % blockBytes;
    assert.equal(elf.counts[CLASS_ID['offline-skippable']] * ps, fake, 'virtio-mem fake-offline sub-blocks');
  }
}

const ERRNO: Record<string, string> = {
  'Device or resource busy': 'EBUSY',
  'Operation not permitted': 'EPERM',
  'Invalid argument': 'EINVAL',
};

/**
 * The guest's own offlining: blocks it offlined are offline in the snapshot; for the others the mainline
 * verdict fails with the errno the shell saw (EPERM: arm64 refuses boot memory). Returns the EPERM count.
 */
function checkOfflining(side: string, snap: Snapshot, attempts: NonNullable<Manifest['expected']['offline']>): number {
  let eperm = 0;
  for (const a of attempts) {
    const b = snap.blocks.find((x) => x.id === a.block);
    assert.ok(b, `${side}: memory${a.block} is not among the blocks`);
    if (a.ok) {
      assert.equal(b.state, 'offline', `${side}: memory${a.block} went offline in the guest`);
      continue;
    }
    const v = b.verdict!.mainline;
    const errno = Object.entries(ERRNO).find(([text]) => a.error?.includes(text))?.[1];
    assert.equal(v.ok, false, `${side}: memory${a.block}: the guest failed (${a.error}); we say ${JSON.stringify(v)}`);
    assert.equal(
      v.errno,
      errno,
      `${side}: memory${a.block}: the guest failed with ${a.error}; we say ${v.errno} ${v.reason}`,
    );
    if (errno === 'EPERM') {
      eperm++;
      assert.equal(v.reason, 'notifier failure', `${side}: memory${a.block}`);
    }
  }
  return eperm;
}

describe('arm64 lab: vmcore vs kpageflags', function () {
  this.timeout(600000);
  // the arm64 sets CI makes must be there (without KMEMMAP_ARM64_LAB, the sets are read from the default lab)
  const missing = new Map(
    env ? [] : missingCiSets([...ciSetNames('arm64'), ...ciSetNames('arm64-16k')]).map((m) => [m.name, m.reason]),
  );
  for (const name of tested) {
    const arch = archOf(name);
    const ps = arch === 'arm64-16k' ? 16384 : 4096;
    it(`${name}: arm64 geometry (${ps / 1024} KiB pages), ELF = kdump, every difference from kpageflags explained, offlining as the guest did`, async () => {
      if (missing.has(name)) assert.fail(missing.get(name));
      const set = requireArm64Set(name, arch);
      const elf = await openVmcoreSnapshot([set.elf]);
      const kd = await openVmcoreSnapshot([set.kdump]);
      const kp = await openKpageflagsSnapshot(set.capture);
      checkGeometry(name, ps, elf, kd, kp);
      checkAgreement(set, ps, elf, kp);
      // the vmcore's and the kpageflags capture's verdicts (the capture is taken after the offlining; its boot
      // memory comes from its dmesg)
      const attempts = set.manifest.expected.offline ?? [];
      for (const [side, snap] of [
        ['vmcore', elf],
        ['kpageflags', kp],
      ] as const) {
        const eperm = checkOfflining(side, snap, attempts);
        if (attempts.length)
          console.log(
            `      ${side}: ${attempts.length} offline attempts as the guest did (${eperm} EPERM boot-memory refusals)`,
          );
      }
      if (attempts.length)
        assert.ok(
          kp.provenance.notes.some((n) => /^arm64 boot memory \(never offlined\): .*from dmesg/.test(n)),
          kp.provenance.notes.join('\n'),
        );
    });
  }

  // registered only with the 16 KiB baseline set (the suite forbids pending tests)
  if (tested.includes('arm64-16k-6.12-baseline'))
    it('arm64-16k-6.12-baseline: its tables walk with 16 KiB granules; an old capture without pagesize reads by its System RAM', async () => {
      const set = requireArm64Set('arm64-16k-6.12-baseline', 'arm64-16k');
      const kp = await openKpageflagsSnapshot(set.capture);
      const old = await openKpageflagsSnapshot(capturesWithout(set.capture, 'pagesize'));
      assert.equal(old.kernel.pageSize, 16384);
      assert.ok(
        old.provenance.notes.some((n) =>
          /no pagesize file; \d+ kpageflags words reach System RAM's end 0x[0-9a-f]+ only with pages of at least 16 KiB/.test(
            n,
          ),
        ),
        old.provenance.notes.join('\n'),
      );
      assert.deepEqual(old.classes, kp.classes);
      // the translation itself works on the real 16K dump: mem_section's root and the vmemmap of the first RAM PFN
      const d = openDump([set.elf]);
      try {
        const p = new Arm64Paging(d.mem, d.vmcoreinfo);
        assert.match(p.describe(), /16 KiB pages, VA_BITS 52 \(running 52-bit, 4-level tables, LPA2\)/);
        const ms = d.vmcoreinfo.symbols.get('mem_section')!;
        assert.ok(p.translate(ms), 'mem_section (linear map)');
        const vmemmap = d.vmcoreinfo.symbols.get('vmemmap')!;
        const firstRamPfn = 0x40000000n / 16384n;
        assert.ok(p.translate(vmemmap + firstRamPfn * 64n), 'the struct page of the first RAM PFN (vmemmap, walked)');
        const flags = p.readU64(vmemmap + firstRamPfn * 64n)!;
        assert.notEqual(flags, 0n, 'page->flags of PFN 0x10000 carries at least its zone/node fields');
      } finally {
        d.mem.close();
      }
    });
});
