// Real QEMU dumps from the lab (test/lab): vmcore classes vs the guest's own /proc/kpageflags capture
// taken at the same instant, and ELF vs kdump of the same snapshot. Skipped when no sets exist.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSets, missingCiSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID, className, PAGE_CLASSES } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { anonFaultedInAfterCapture } from '../../lab/races';

/** Classes that must agree exactly in both directions (no capture-timing excuse applies to them). */
const EXACT = ['reserved', 'hugetlb', 'offline-movable', 'offline-unmovable', 'offline-skippable', 'offline', 'compound-head', 'compound-tail'];

/**
 * Differences that are explained, not errors. kpageflags is read inside the guest a moment before QEMU
 * pauses it (the lab captures kpageflags last, right before the pause), so:
 *  - FREED AFTER THE CAPTURE: the capturing process's own anonymous pages and page tables (kpageflags
 *    lru-anon / pagetable) are freed when it exits, before the pause; the dump shows them free with
 *    refcount 0 — on a per-CPU list (free-pcp) or already merged into a buddy block (buddy, buddy-tail).
 *  - PER-CPU FREE PAGES ARE INVISIBLE TO kpageflags: a page on a pcp list has no KPF bit, so kpageflags
 *    shows it as kernel-other. Counted as agreement when the dump says free-pcp; when the pcp list was
 *    drained into the buddy allocator before the pause the dump says buddy/buddy-tail (explained too).
 *  - ALLOCATED AFTER THE CAPTURE: a kernel page kpageflags saw flag-less (kernel-other, possibly pcp
 *    free) that became a slab page before the pause (slab, tail-slab); or a new slab carved out of
 *    free memory as a whole: every page of the dump's slab folio (its head and all its tails) is free
 *    (KPF_BUDDY) in kpageflags, so the allocator took a free block and made it one slab.
 *  - PUT ON THE LRU AFTER THE CAPTURE: a new folio reaches its LRU list through a per-CPU batch
 *    (folio_add_lru -> the lru_add folio_batch), and gets PG_lru only when that batch is drained. Until
 *    then kpageflags shows it mapped (KPF_MMAP), with KPF_ANON for an anonymous folio, but without
 *    KPF_LRU (kernel-other); the dump shows it on the LRU of the same kind (KPF_ANON <-> lru-anon).
 * Anything else — above all a page free in kpageflags (KPF_BUDDY) that the dump does not show free,
 * or any difference involving EXACT classes — is a classifier error.
 */
/** kpageflags of a page mapped into a process but not (yet) on an LRU list, anonymous or not. */
const mappedOffLru = (anon: boolean) => (kpf: string[]) =>
  kpf.includes('KPF_MMAP') && !kpf.includes('KPF_LRU') && kpf.includes('KPF_ANON') === anon;

/** The dump's slab folio around pfn (head and tails, by their rules) is free in kpageflags page for page. */
function slabFolioWasFree(v: Snapshot, k: Snapshot, pfn: number): boolean {
  const rule = (p: number) => v.pageDetail?.(p)?.rule;
  let head = pfn;
  while (rule(head) === 'tail-slab' && head > v.startPfn) head--;
  if (rule(head) !== 'slab') return false;
  let end = head + 1;
  while (end < v.endPfn && rule(end) === 'tail-slab') end++;
  for (let p = head; p < end; p++) if (k.classes[p - k.startPfn] !== CLASS_ID.free) return false;
  return true;
}

const EXPLAINED: { kp: string; vm: string; rules: string[]; why: string; kpFlags?: (kpf: string[]) => boolean; holds?: (v: Snapshot, k: Snapshot, pfn: number) => boolean }[] = [
  { kp: 'lru-anon', vm: 'free', rules: ['free-pcp', 'buddy', 'buddy-tail'], why: 'freed after the capture (the capturing process exited)' },
  { kp: 'pagetable', vm: 'free', rules: ['free-pcp', 'buddy', 'buddy-tail'], why: 'freed after the capture (page tables of the capturing process)' },
  { kp: 'lru-file', vm: 'free', rules: ['free-pcp', 'buddy', 'buddy-tail'], why: 'freed after the capture' },
  { kp: 'kernel-other', vm: 'free', rules: ['buddy', 'buddy-tail'], why: 'per-CPU free page (invisible to kpageflags) drained into the buddy allocator before the pause' },
  { kp: 'kernel-other', vm: 'slab', rules: ['slab', 'tail-slab'], why: 'slab page allocated after the capture' },
  { kp: 'free', vm: 'slab', rules: ['slab', 'tail-slab'], holds: slabFolioWasFree, why: 'a free block made one new slab after the capture' },
  { kp: 'free', vm: 'kernel-other', rules: ['other'], holds: anonFaultedInAfterCapture, why: 'a free page faulted in as anonymous memory after the capture, in a per-CPU LRU-add batch at the pause' },
  { kp: 'kernel-other', vm: 'lru-anon', rules: ['lru-anon'], kpFlags: mappedOffLru(true), why: 'mapped anonymous folio in a per-CPU LRU-add batch at the capture, on the LRU at the pause' },
  { kp: 'kernel-other', vm: 'lru-file', rules: ['lru-file'], kpFlags: mappedOffLru(false), why: 'mapped file folio in a per-CPU LRU-add batch at the capture, on the LRU at the pause' },
];
/** Explained differences may touch at most this share of the compared PFNs. */
const EXPLAINED_MAX_PCT = 0.2;
/** PageOffline kinds kpageflags tells (from /proc/iomem) and a dump may not (e.g. 5.10: no kallsyms, so no virtio-mem ranges). */
const OFFLINE_KINDS = ['offline-movable', 'offline-unmovable', 'offline-skippable'];

/**
 * Compares a vmcore snapshot with kpageflags, PFN by PFN. A PageOffline page the dump honestly calls
 * `offline` (kind unknown) where kpageflags knows the kind is counted apart (honestUnknown), neither as
 * agreement nor as an error, when the dump says in a warning why the kind is unknown; pct is then
 * over the other PFNs.
 */
export function compare(v: Snapshot, k: Snapshot, opts: { skipExcluded?: boolean } = {}) {
  const n = Math.min(v.endPfn, k.endPfn);
  const kindUnknownWarned = v.warnings.some((w) => w.includes('offline (kind unknown)'));
  let agree = 0, total = 0, explained = 0, honestUnknown = 0, excluded = 0;
  const confusion = new Map<string, number>();
  const unexplained = new Map<string, number[]>();
  for (let pfn = 0; pfn < n; pfn++) {
    const a = v.classes[pfn], b = k.classes[pfn - k.startPfn];
    // PFNs kpageflags does not cover (beyond its max_pfn) are skipped
    if (pfn < k.startPfn || b === CLASS_ID['not-in-listing']) continue;
    // a filtered dump (makedumpfile -d 31) may lack the struct page itself: not compared, counted
    if (opts.skipExcluded && a === CLASS_ID.excluded) { excluded++; continue; }
    total++;
    if (a === b) { agree++; continue; }
    if (kindUnknownWarned && a === CLASS_ID.offline && OFFLINE_KINDS.includes(className(b))) { honestUnknown++; total--; continue; }
    const needsRule = a === CLASS_ID.free || a === CLASS_ID['kernel-other'] || a === CLASS_ID.slab || a === CLASS_ID['lru-anon'] || a === CLASS_ID['lru-file'];
    const rule = needsRule ? v.pageDetail?.(pfn)?.rule ?? '' : '';
    // A free page on a per-CPU list (vmcore rule free-pcp) has no kpageflags bit: kpageflags shows it as kernel-other.
    if (a === CLASS_ID.free && b === CLASS_ID['kernel-other'] && rule === 'free-pcp') { agree++; continue; }
    const key = `${className(b)} -> ${className(a)}`;
    confusion.set(key, (confusion.get(key) ?? 0) + 1);
    const ex = EXPLAINED.find((e) => e.kp === className(b) && e.vm === className(a) && e.rules.includes(rule) &&
      (!e.kpFlags || e.kpFlags(k.pageDetail?.(pfn)?.flags ?? [])) && (!e.holds || e.holds(v, k, pfn)));
    if (ex && !EXACT.includes(className(a)) && !EXACT.includes(className(b))) { explained++; continue; }
    const list = unexplained.get(key) ?? [];
    if (list.length < 5) list.push(pfn);
    unexplained.set(key, list);
  }
  const exactMismatch = [...confusion].filter(([key]) => { const [kc, vc] = key.split(' -> '); return EXACT.includes(kc) || EXACT.includes(vc); });
  return { agree, total, pct: (100 * agree) / total, honestUnknown, excluded, explained, explainedPct: (100 * explained) / total,
    confusion: [...confusion].sort((x, y) => y[1] - x[1]), exactMismatch, unexplained };
}

/** Both sides of a mismatching PFN, for the failure message. */
function bothSides(v: Snapshot, k: Snapshot, pfn: number): string {
  const d = v.pageDetail?.(pfn), kd = k.pageDetail?.(pfn);
  return `pfn 0x${pfn.toString(16)}: vmcore ${d?.class}/${d?.rule} flags=${d?.flags?.join(',')} ref=${d?.refcount} type=${d?.pageType}; kpageflags ${kd?.class} ${kd?.flags?.join(',') ?? ''}`;
}

const only = process.env.KMEMMAP_SET;
const sets = listSets().filter((s) => !only || s.name === only);

describe('vmcore vs kpageflags on lab dumps', function () {
  this.timeout(600000);
  if (sets.length === 0) it.skip('no lab sets (npm run lab)', () => undefined);
  // every set CI makes (5.10, 6.1, 6.12, 7.3) must be there: a missing one fails with the command that makes it
  for (const m of missingCiSets()) it(`${m.name}: present`, () => assert.fail(m.reason));
  for (const set of sets) {
    it(`${set.name}: ELF and kdump agree with each other and with kpageflags`, async () => {
      const elf = await openVmcoreSnapshot([set.elf]);
      const kd = await openVmcoreSnapshot([set.kdump]);
      const kp = await openKpageflagsSnapshot(set.capture);
      const r = compare(elf, kp);
      const counts = PAGE_CLASSES.map((c, i) => [c, elf.counts[i]] as const).filter(([, x]) => x > 0);
      const rk = compare(kd, kp);
      console.log(`      ${set.name}: agreement ELF ${r.pct.toFixed(3)}% (${r.agree}/${r.total}), kdump ${rk.pct.toFixed(3)}% (${rk.agree}/${rk.total})` +
        `${r.honestUnknown ? `; ${r.honestUnknown} PageOffline pages of a kind the dump cannot know, shown as offline (kind unknown)` : ''}; classes ${counts.map(([c, x]) => `${c}=${x}`).join(' ')}`);
      if (r.confusion.length) console.log(`      kpageflags -> vmcore differences: ${r.confusion.slice(0, 12).map(([k, x]) => `${k}: ${x}`).join('; ')}`);
      let diff = 0;
      for (let i = 0; i < Math.min(elf.classes.length, kd.classes.length); i++) if (elf.classes[i] !== kd.classes[i]) diff++;
      assert.equal(diff, 0, `ELF and kdump differ on ${diff} PFNs`);
      console.log(`      explained differences: ${r.explained} PFNs (${r.explainedPct.toFixed(3)}%)`);
      const bad = [...r.unexplained].map(([key, pfns]) => `${key}: ${pfns.map((p) => bothSides(elf, kp, p)).join(' | ')}`);
      assert.deepEqual(bad, [], 'unexplained differences (classifier error?)');
      assert.deepEqual(r.exactMismatch, [], 'free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly');
      assert.ok(r.explainedPct <= EXPLAINED_MAX_PCT, `explained differences ${r.explainedPct}% exceed ${EXPLAINED_MAX_PCT}%: the capture was not taken right before the pause`);
      assert.ok(r.pct >= 99.8, `agreement ${r.pct}% < 99.8%`);
      // 5.10 exports no kallsyms keys: the resource tree is found by scanning the kernel image
      if (elf.kernel.layoutFamily === '5.10') assert.ok(elf.provenance.notes.some((n) => /iomem_resource found without kallsyms/.test(n)), elf.provenance.notes.join('\n'));
      // 7.3 (HVO built in): hugetlb tails hold the compound_info mask, decoded to their head
      const hugeTail = elf.counts[CLASS_ID.hugetlb] > 0 ? elf.classes.findIndex((c, i) => c === CLASS_ID.hugetlb && elf.classes[i - 1] === CLASS_ID.hugetlb) : -1;
      if (elf.kernel.layoutFamily === '7.2-7.3' && hugeTail > 0) {
        const d = elf.pageDetail!(hugeTail)!;
        assert.equal(d.rule, 'tail-hugetlb');
        assert.match(String(d.raw.compound_info), /^0xffffffffffff[0-9a-f]{3}1$/);
        assert.ok(d.notes!.some((n) => /7\.x mask form.*head pfn 0x/.test(n)), d.notes!.join('\n'));
      }
      const scen = set.manifest.scenario;
      // the memory block size: as the guest's sysfs says; learnt from the dump, or assumed with a warning
      const sysfsBlock = parseInt(readFileSync(join(set.capture, 'memory', 'block_size_bytes'), 'utf8').trim(), 16);
      assert.equal(elf.pfnsPerBlock * 4096, sysfsBlock, 'memory block size');
      const blockNote = elf.provenance.notes.find((n) => n.startsWith('memory block size ')) ?? '';
      if (/\(assumed\)/.test(blockNote)) assert.ok(elf.warnings.some((w) => /assuming 128 MiB.*rest on this assumption/.test(w)), elf.warnings.join('\n'));
      // 5.10 (no kallsyms): learnt from the hot-added virtio-mem RAM in iomem_resource when there is some
      if (elf.kernel.layoutFamily === '5.10' && /virtio-mem|offline-block/.test(scen)) assert.match(blockNote, /hot-added System RAM resource/);
      // never confidently wrong: a virtio-mem page is skippable, or offline of unknown kind when the dump cannot tell
      if (scen.includes('virtio-mem')) assert.ok(elf.counts[CLASS_ID['offline-skippable']] + r.honestUnknown > 0, 'virtio-mem set shows offline-skippable (or offline, kind unknown, with the reason)');
      if (scen.includes('balloon')) assert.ok(elf.counts[CLASS_ID['offline-movable']] > 0, 'balloon set shows offline-movable');
      if (scen.includes('offline-block')) assert.ok(elf.counts[CLASS_ID['section-offline']] > 0, 'offlined block shows section-offline');
    });
  }

  // every format the lab makes: the makedumpfile-derived dumps (CI makes them of CI_DERIVE_SETS)
  const DERIVED: [string, string[]][] = [['raw', ['vmcore.kdump.raw']], ['zlib', ['dump-c-d0.kdump']], ['lzo', ['dump-l-d0.kdump']],
    ['zlib -d 31', ['dump-c-d31.kdump']], ['lzo -d 31', ['dump-l-d31.kdump']], ['ELF -d 31', ['dump-E-d31.elf']], ['split3 -d 31', ['dump-split3.1', 'dump-split3.2', 'dump-split3.3']]];
  for (const set of sets.filter((s) => existsSync(join(s.dir, 'derived'))))
    it(`${set.name}: every makedumpfile-derived dump agrees with kpageflags on >= 99.5 % of the PFNs it keeps`, async () => {
      const kp = await openKpageflagsSnapshot(set.capture);
      const lines: string[] = [];
      for (const [label, files] of DERIVED) {
        const paths = files.map((f) => join(set.dir, 'derived', f));
        if (!paths.every((p) => existsSync(p))) continue;
        const r = compare(await openVmcoreSnapshot(paths), kp, { skipExcluded: true });
        lines.push(`${label} ${r.pct.toFixed(3)}% (${r.agree}/${r.total}${r.excluded ? `, ${r.excluded} excluded` : ''}${r.honestUnknown ? `, ${r.honestUnknown} offline kind unknown` : ''})`);
        assert.deepEqual(r.exactMismatch, [], `${label}: free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly`);
        assert.ok(r.pct >= 99.5, `${label}: agreement ${r.pct}% < 99.5%`);
      }
      console.log(`      ${set.name} derived: ${lines.join('; ')}`);
      assert.ok(lines.length >= 5, `derived dumps found: ${lines.length}`);
    });
});
