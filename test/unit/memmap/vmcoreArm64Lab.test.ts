// The opt-in arm64 lab (node out/lab/lab.js --arch arm64|arm64-16k): real Debian 6.12 and 7.3 arm64
// guests under qemu-system-aarch64 (virt, TCG), with 4 KiB pages (`arm64`) and 16 KiB pages
// (`arm64-16k`). For every set the lab makes, the ELF and the kdump (QEMU's 64 KiB blocks) read alike,
// the dump's geometry is arm64's for its page size, and the classes agree with the guest's own
// kpageflags capture (read in the page size it recorded) on >= 99.5 % of the PFNs (free, offline,
// reserved, hugetlb and compound exactly).
// Registered only when KMEMMAP_ARM64_LAB is set (CI does not make arm64 sets yet): `1` reads the sets
// under $KMEMMAP_LAB_DIR (default ~/.cache/kmemmap-lab), a directory reads them under <dir>/sets. A set
// that is absent fails with the command that makes it.
import * as assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { listSets, labRoot, type LabSet } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID, PAGE_CLASSES } from '../../../kernel/pageClasses';
import { bothSides, compare } from './labCompare';
import { openDump } from '../../../parsers/dump/openDump';
import { Arm64Paging } from '../../../arch/arm64/paging';
import { capturesWithout } from './captureCopy';
import type { Snapshot } from '../../../memmap/snapshot';

const env = process.env.KMEMMAP_ARM64_LAB;
const root = env && env !== '1' && existsSync(env) && statSync(env).isDirectory() ? env : labRoot();
/** The sets `lab.js --arch arm64 --kernel 6.12` and `--kernel 7.3` make (both boots each). */
const SCENARIOS = ['baseline', 'balloon', 'virtio-mem', 'offline-block', 'baseline-nokaslr', 'load-nokaslr'];
const ARM64_SETS = ['6.12', '7.3'].flatMap((k) => SCENARIOS.map((s) => `arm64-${k}-${s}`));
/** The 16 KiB sets: `--arch arm64-16k --kernel 6.12` and `--kernel 7.3` (trixie-backports' linux-binary-7.3.*-arm64-16k). */
const ARM64_16K_SETS = ['6.12', '7.3'].flatMap((k) => SCENARIOS.map((s) => `arm64-16k-${k}-${s}`));
/** The 16 KiB sets: only those present unless KMEMMAP_ARM64_16K is set (`1`: all, missing ones fail; `only`: no 4 KiB sets). */
const want16k = process.env.KMEMMAP_ARM64_16K;
const AGREEMENT_MIN = 99.5;

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

if (env) {
  describe('arm64 lab: vmcore vs kpageflags (KMEMMAP_ARM64_LAB)', function () {
    this.timeout(600000);
    const sets: [string, 'arm64' | 'arm64-16k'][] = [
      ...(want16k === 'only' ? [] : ARM64_SETS.map((n): [string, 'arm64'] => [n, 'arm64'])),
      ...ARM64_16K_SETS.filter((n) => want16k || listSets(false, 'arm64-16k', root).some((x) => x.name === n)).map(
        (n): [string, 'arm64-16k'] => [n, 'arm64-16k'],
      ),
    ];
    for (const [name, arch] of sets) {
      const ps = arch === 'arm64-16k' ? 16384 : 4096;
      it(`${name}: arm64 geometry (${ps / 1024} KiB pages), ELF = kdump, agreement with kpageflags >= ${AGREEMENT_MIN}%`, async () => {
        const set = requireArm64Set(name, arch);
        const elf = await openVmcoreSnapshot([set.elf]);
        const kd = await openVmcoreSnapshot([set.kdump]);
        const kp = await openKpageflagsSnapshot(set.capture);
        assert.equal(elf.kernel.machine, 'aarch64');
        assert.equal(kd.kernel.machine, 'aarch64');
        assert.equal(kp.kernel.machine, 'aarch64');
        for (const s of [elf, kd, kp]) {
          assert.equal(s.kernel.pageSize, ps);
          assert.equal(s.pfnsPerSection, 2 ** 27 / ps, '128 MiB sections (SECTION_SIZE_BITS 27)');
          assert.equal(s.pfnsPerBlock, 2 ** 27 / ps, 'arm64 memory blocks are one section');
        }
        assert.ok(
          elf.provenance.notes.some((n) => new RegExp(`^arm64: ${ps / 1024} KiB pages, VA_BITS 52`).test(n)),
          elf.provenance.notes.join('\n'),
        );
        assert.ok(
          kd.provenance.notes.some((n) => new RegExp(`dump blocks of 64 KiB hold ${65536 / ps} kernel pages`).test(n)),
          kd.provenance.notes.join('\n'),
        );
        const pageblockOrder = Math.log2(ps) - 3; // PMD order: 9 with 4 KiB pages, 11 with 16 KiB
        assert.ok(
          elf.provenance.notes.some((n) => n.includes(`pageblock order ${pageblockOrder} `)),
          elf.provenance.notes.join('\n'),
        );
        if (arch === 'arm64-16k')
          assert.ok(kp.provenance.notes.some((n) => /page size 16 KiB \(the capture's pagesize file\)/.test(n)));
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
        // free buddy blocks of the largest order (MAX_PAGE_ORDER = LENGTH(zone.free_area) − 1: 10 with
        // 4 KiB pages, 11 with 16 KiB): the last page of such a block is a buddy tail, not a per-CPU page
        if (/baseline/.test(name)) {
          const order = Math.log2(ps) - 3 === 11 ? 11 : 10;
          const head = findBuddyHead(elf, order);
          assert.ok(head !== undefined, `an order-${order} free block in ${name}`);
          assert.equal(elf.pageDetail!(head + 2 ** order - 1)!.rule, 'buddy-tail');
        }
        const r = compare(elf, kp);
        // the same figure over RAM only: the PFNs below RAM (virt puts it at 1 GiB) agree as no-memmap on both sides
        let bothNoMemmap = 0;
        for (let p = kp.startPfn; p < Math.min(elf.endPfn, kp.endPfn); p++)
          if (elf.classes[p] === CLASS_ID['no-memmap'] && kp.classes[p - kp.startPfn] === CLASS_ID['no-memmap'])
            bothNoMemmap++;
        const ramPct = (100 * (r.agree - bothNoMemmap)) / (r.total - bothNoMemmap);
        const counts = PAGE_CLASSES.map((c, i) => [c, elf.counts[i]] as const).filter(([, x]) => x > 0);
        console.log(
          `      ${name}: agreement ${r.pct.toFixed(3)}% (${r.agree}/${r.total}), over memmap PFNs ${ramPct.toFixed(3)}% (${r.agree - bothNoMemmap}/${r.total - bothNoMemmap}), explained ${r.explained}; classes ${counts.map(([c, x]) => `${c}=${x}`).join(' ')}`,
        );
        if (r.confusion.length)
          console.log(
            `      kpageflags -> vmcore differences: ${r.confusion
              .slice(0, 12)
              .map(([k, x]) => `${k}: ${x}`)
              .join('; ')}`,
          );
        const bad = [...r.unexplained].map(
          ([key, pfns]) => `${key}: ${pfns.map((p) => bothSides(elf, kp, p)).join(' | ')}`,
        );
        if (bad.length) console.log(`      unexplained: ${bad.join('\n        ')}`);
        assert.deepEqual(
          r.exactMismatch,
          [],
          'free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly',
        );
        assert.ok(ramPct >= AGREEMENT_MIN, `agreement over memmap PFNs ${ramPct}% < ${AGREEMENT_MIN}%`);
        const m = set.manifest.expected;
        if (m.balloon)
          assert.equal(elf.counts[CLASS_ID['offline-movable']] * ps, m.balloon.inflatedBytes, 'balloon pages');
        if (m.virtioMem) {
          // the partly plugged block's unplugged rest: 84 MiB of 300 MiB plugged (4 KiB), 64 MiB of 320 MiB (16 KiB: 32 MiB sub-blocks)
          const blockBytes = elf.pfnsPerBlock * ps;
          const fake = (blockBytes - (m.virtioMem.pluggedBytes % blockBytes)) % blockBytes;
          assert.equal(elf.counts[CLASS_ID['offline-skippable']] * ps, fake, 'virtio-mem fake-offline sub-blocks');
        }
        // the guest's own offlining: blocks it offlined are offline in the dump; for the others the
        // mainline verdict fails with the errno the shell saw (EPERM: arm64 refuses boot memory)
        const ERRNO: Record<string, string> = {
          'Device or resource busy': 'EBUSY',
          'Operation not permitted': 'EPERM',
          'Invalid argument': 'EINVAL',
        };
        // the kpageflags capture too (boot memory from its dmesg's early ranges)
        for (const [what, snap] of [
          ['dump', elf],
          ['capture', kp],
        ] as const)
          for (const a of m.offline ?? []) {
            const b = snap.blocks.find((x) => x.id === a.block);
            assert.ok(b, `memory${a.block} is not in the ${what}'s blocks`);
            if (a.ok) {
              assert.equal(b.state, 'offline', `memory${a.block} went offline in the guest`);
              continue;
            }
            const v = b.verdict!.mainline;
            const errno = Object.entries(ERRNO).find(([text]) => a.error?.includes(text))?.[1];
            assert.equal(
              v.ok,
              false,
              `${what}: memory${a.block}: the guest failed (${a.error}); we say ${JSON.stringify(v)}`,
            );
            assert.equal(
              v.errno,
              errno,
              `${what}: memory${a.block}: the guest failed with ${a.error}; we say ${v.errno} ${v.reason}`,
            );
          }
      });
    }

    // registered only with the 16 KiB sets (the suite forbids pending tests)
    if (sets.some(([n]) => n === 'arm64-16k-6.12-baseline'))
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
          const m = p.translate(vmemmap + firstRamPfn * 64n);
          assert.ok(m, 'the struct page of the first RAM PFN (vmemmap, walked)');
          const flags = p.readU64(vmemmap + firstRamPfn * 64n)!;
          assert.notEqual(flags, 0n, 'page->flags of PFN 0x10000 carries at least its zone/node fields');
        } finally {
          d.mem.close();
        }
      });
  });
}
