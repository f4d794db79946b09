// The opt-in arm64 lab (node out/lab/lab.js --arch arm64): real Debian 6.12 arm64 guests under
// qemu-system-aarch64 (virt, TCG). For every set the lab makes, the ELF and the kdump (QEMU's 64 KiB
// blocks) read alike, the dump's geometry is arm64's, and the classes agree with the guest's own
// kpageflags capture on >= 99.5 % of the PFNs (free, offline, reserved, hugetlb and compound exactly).
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

const env = process.env.KMEMMAP_ARM64_LAB;
const root = env && env !== '1' && existsSync(env) && statSync(env).isDirectory() ? env : labRoot();
/** The sets `lab.js --arch arm64 --kernel 6.12` makes (both boots). */
const ARM64_SETS = ['baseline', 'balloon', 'virtio-mem', 'offline-block', 'baseline-nokaslr', 'load-nokaslr'].map((s) => `arm64-6.12-${s}`);
const AGREEMENT_MIN = 99.5;

function requireArm64Set(name: string): LabSet {
  const s = listSets(false, 'arm64', root).find((x) => x.name === name);
  if (s) return s;
  const scenario = name.replace(/^arm64-6\.12-/, '').replace(/-nokaslr$/, '');
  throw new Error(`arm64 lab set ${name} is missing under ${root}/sets; make it with: npm run build && KMEMMAP_LAB_DIR=${root} node out/lab/lab.js --arch arm64 --kernel 6.12 --sets ${scenario}`);
}

if (env) {
  describe('arm64 lab: vmcore vs kpageflags (KMEMMAP_ARM64_LAB)', function () {
    this.timeout(600000);
    for (const name of ARM64_SETS) {
      it(`${name}: arm64 geometry, ELF = kdump, agreement with kpageflags >= ${AGREEMENT_MIN}%`, async () => {
        const set = requireArm64Set(name);
        const elf = await openVmcoreSnapshot([set.elf]);
        const kd = await openVmcoreSnapshot([set.kdump]);
        const kp = await openKpageflagsSnapshot(set.capture);
        assert.equal(elf.kernel.machine, 'aarch64');
        assert.equal(kd.kernel.machine, 'aarch64');
        assert.equal(elf.kernel.pageSize, 4096);
        assert.equal(elf.pfnsPerSection, 32768, '128 MiB sections (SECTION_SIZE_BITS 27)');
        assert.equal(elf.pfnsPerBlock, 32768, 'arm64 memory blocks are one section');
        assert.ok(elf.provenance.notes.some((n) => /^arm64: 4 KiB pages, VA_BITS 52/.test(n)), elf.provenance.notes.join('\n'));
        assert.ok(kd.provenance.notes.some((n) => /dump blocks of 64 KiB hold 16 kernel pages/.test(n)), kd.provenance.notes.join('\n'));
        // RAM starts at 1 GiB on virt: the first 262144 PFNs have no memmap
        assert.equal(elf.classes.subarray(0, 0x40000).every((c) => c === CLASS_ID['no-memmap']), true);
        let diff = 0;
        for (let i = 0; i < Math.min(elf.classes.length, kd.classes.length); i++) if (elf.classes[i] !== kd.classes[i]) diff++;
        assert.equal(diff, 0, `ELF and kdump differ on ${diff} PFNs`);
        const r = compare(elf, kp);
        // the same figure over RAM only: the PFNs below RAM (virt puts it at 1 GiB) agree as no-memmap on both sides
        let bothNoMemmap = 0;
        for (let p = kp.startPfn; p < Math.min(elf.endPfn, kp.endPfn); p++) if (elf.classes[p] === CLASS_ID['no-memmap'] && kp.classes[p - kp.startPfn] === CLASS_ID['no-memmap']) bothNoMemmap++;
        const ramPct = (100 * (r.agree - bothNoMemmap)) / (r.total - bothNoMemmap);
        const counts = PAGE_CLASSES.map((c, i) => [c, elf.counts[i]] as const).filter(([, x]) => x > 0);
        console.log(`      ${name}: agreement ${r.pct.toFixed(3)}% (${r.agree}/${r.total}), over memmap PFNs ${ramPct.toFixed(3)}% (${r.agree - bothNoMemmap}/${r.total - bothNoMemmap}), explained ${r.explained}; classes ${counts.map(([c, x]) => `${c}=${x}`).join(' ')}`);
        if (r.confusion.length) console.log(`      kpageflags -> vmcore differences: ${r.confusion.slice(0, 12).map(([k, x]) => `${k}: ${x}`).join('; ')}`);
        const bad = [...r.unexplained].map(([key, pfns]) => `${key}: ${pfns.map((p) => bothSides(elf, kp, p)).join(' | ')}`);
        if (bad.length) console.log(`      unexplained: ${bad.join('\n        ')}`);
        assert.deepEqual(r.exactMismatch, [], 'free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly');
        assert.ok(ramPct >= AGREEMENT_MIN, `agreement over memmap PFNs ${ramPct}% < ${AGREEMENT_MIN}%`);
        const m = set.manifest.expected;
        if (m.balloon) assert.equal(elf.counts[CLASS_ID['offline-movable']] * 4096, m.balloon.inflatedBytes, 'balloon pages');
        if (m.virtioMem) assert.equal(elf.counts[CLASS_ID['offline-skippable']], (m.virtioMem.regionBytes > 0 ? 21504 : 0), 'virtio-mem fake-offline sub-blocks (84 MiB)');
      });
    }
  });
}
