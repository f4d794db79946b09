// PFN-by-PFN comparison of a vmcore snapshot with the guest's own kpageflags capture of the same
// moment, and the differences a capture taken just before the pause explains (shared by the x86_64
// lab test vmcoreLab.test.ts and the opt-in arm64 lab test vmcoreArm64Lab.test.ts).
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { anonFaultedInAfterCapture, freshAnonFaultAfterCapture, pageTableAwaitingFree } from '../../lab/races';

/** Classes that must agree exactly in both directions (no capture-timing excuse applies to them). */
export const EXACT = [
  'reserved',
  'hugetlb',
  'offline-movable',
  'offline-unmovable',
  'offline-skippable',
  'offline',
  'compound-head',
  'compound-tail',
];

/**
 * Differences that are explained, not errors. kpageflags is read inside the guest a moment before QEMU
 * pauses it (the lab captures kpageflags last, right before the pause), so:
 *  - FREED AFTER THE CAPTURE: the capturing process's own anonymous pages and page tables (kpageflags
 *    lru-anon / pagetable) are freed when it exits, before the pause; the dump shows them free with
 *    refcount 0 — on a per-CPU list (free-pcp) or already merged into a buddy block (buddy, buddy-tail).
 *    A page table may still wait for its RCU-delayed free: typeless, one reference (kernel-other).
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
 *    Or kpageflags saw the page with no bit at all (per-CPU free, or just allocated) and the dump shows
 *    it freshly faulted in: an order-0 anonymous page on the LRU, mapped and referenced once.
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

const EXPLAINED: {
  kp: string;
  vm: string;
  rules: string[];
  why: string;
  kpFlags?: (kpf: string[]) => boolean;
  holds?: (v: Snapshot, k: Snapshot, pfn: number) => boolean;
}[] = [
  {
    kp: 'lru-anon',
    vm: 'free',
    rules: ['free-pcp', 'buddy', 'buddy-tail'],
    why: 'freed after the capture (the capturing process exited)',
  },
  {
    kp: 'pagetable',
    vm: 'free',
    rules: ['free-pcp', 'buddy', 'buddy-tail'],
    why: 'freed after the capture (page tables of the capturing process)',
  },
  {
    kp: 'pagetable',
    vm: 'kernel-other',
    rules: ['other'],
    holds: pageTableAwaitingFree,
    why: 'a page table of the capturing process torn down after the capture, its RCU-delayed free still pending at the pause',
  },
  { kp: 'lru-file', vm: 'free', rules: ['free-pcp', 'buddy', 'buddy-tail'], why: 'freed after the capture' },
  {
    kp: 'kernel-other',
    vm: 'free',
    rules: ['buddy', 'buddy-tail'],
    why: 'per-CPU free page (invisible to kpageflags) drained into the buddy allocator before the pause',
  },
  { kp: 'kernel-other', vm: 'slab', rules: ['slab', 'tail-slab'], why: 'slab page allocated after the capture' },
  {
    kp: 'free',
    vm: 'slab',
    rules: ['slab', 'tail-slab'],
    holds: slabFolioWasFree,
    why: 'a free block made one new slab after the capture',
  },
  {
    kp: 'free',
    vm: 'kernel-other',
    rules: ['other'],
    holds: anonFaultedInAfterCapture,
    why: 'a free page faulted in as anonymous memory after the capture, in a per-CPU LRU-add batch at the pause',
  },
  {
    kp: 'kernel-other',
    vm: 'lru-anon',
    rules: ['lru-anon'],
    kpFlags: mappedOffLru(true),
    why: 'mapped anonymous folio in a per-CPU LRU-add batch at the capture, on the LRU at the pause',
  },
  {
    kp: 'kernel-other',
    vm: 'lru-anon',
    rules: ['lru-anon'],
    holds: freshAnonFaultAfterCapture,
    why: 'a page with no KPF bit at the capture (per-CPU free, or just allocated) faulted in as anonymous memory after it',
  },
  {
    kp: 'kernel-other',
    vm: 'lru-file',
    rules: ['lru-file'],
    kpFlags: mappedOffLru(false),
    why: 'mapped file folio in a per-CPU LRU-add batch at the capture, on the LRU at the pause',
  },
];
/** Explained differences may touch at most this share of the compared PFNs. */
export const EXPLAINED_MAX_PCT = 0.2;
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
  let agree = 0,
    total = 0,
    explained = 0,
    honestUnknown = 0,
    excluded = 0;
  const confusion = new Map<string, number>();
  const unexplained = new Map<string, number[]>();
  for (let pfn = 0; pfn < n; pfn++) {
    const a = v.classes[pfn],
      b = k.classes[pfn - k.startPfn];
    // PFNs kpageflags does not cover (beyond its max_pfn) are skipped
    if (pfn < k.startPfn || b === CLASS_ID['not-in-listing']) continue;
    // a filtered dump (makedumpfile -d 31) may lack the struct page itself: not compared, counted
    if (opts.skipExcluded && a === CLASS_ID.excluded) {
      excluded++;
      continue;
    }
    total++;
    if (a === b) {
      agree++;
      continue;
    }
    if (kindUnknownWarned && a === CLASS_ID.offline && OFFLINE_KINDS.includes(className(b))) {
      honestUnknown++;
      total--;
      continue;
    }
    const needsRule =
      a === CLASS_ID.free ||
      a === CLASS_ID['kernel-other'] ||
      a === CLASS_ID.slab ||
      a === CLASS_ID['lru-anon'] ||
      a === CLASS_ID['lru-file'];
    const rule = needsRule ? (v.pageDetail?.(pfn)?.rule ?? '') : '';
    // A free page on a per-CPU list (vmcore rule free-pcp) has no kpageflags bit: kpageflags shows it as kernel-other.
    if (a === CLASS_ID.free && b === CLASS_ID['kernel-other'] && rule === 'free-pcp') {
      agree++;
      continue;
    }
    const key = `${className(b)} -> ${className(a)}`;
    confusion.set(key, (confusion.get(key) ?? 0) + 1);
    const ex = EXPLAINED.find(
      (e) =>
        e.kp === className(b) &&
        e.vm === className(a) &&
        e.rules.includes(rule) &&
        (!e.kpFlags || e.kpFlags(k.pageDetail?.(pfn)?.flags ?? [])) &&
        (!e.holds || e.holds(v, k, pfn)),
    );
    if (ex && !EXACT.includes(className(a)) && !EXACT.includes(className(b))) {
      explained++;
      continue;
    }
    const list = unexplained.get(key) ?? [];
    if (list.length < 5) list.push(pfn);
    unexplained.set(key, list);
  }
  const exactMismatch = [...confusion].filter(([key]) => {
    const [kc, vc] = key.split(' -> ');
    return EXACT.includes(kc) || EXACT.includes(vc);
  });
  return {
    agree,
    total,
    pct: (100 * agree) / total,
    honestUnknown,
    excluded,
    explained,
    explainedPct: (100 * explained) / total,
    confusion: [...confusion].sort((x, y) => y[1] - x[1]),
    exactMismatch,
    unexplained,
  };
}

/** Both sides of a mismatching PFN, for the failure message. */
export function bothSides(v: Snapshot, k: Snapshot, pfn: number): string {
  const d = v.pageDetail?.(pfn),
    kd = k.pageDetail?.(pfn);
  return `pfn 0x${pfn.toString(16)}: vmcore ${d?.class}/${d?.rule} flags=${d?.flags?.join(',')} ref=${d?.refcount} type=${d?.pageType}; kpageflags ${kd?.class} ${kd?.flags?.join(',') ?? ''}`;
}
