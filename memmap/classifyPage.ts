// THE rule table for one PFN of a vmcore: docs/kernel/classification.md (order) and offline-pages.md.
// Rules are tried in table order; the first that matches wins. Each rule has an id and a plain-words
// explanation for the UI. The hot path returns the rule's index; VMCORE_RULE_CLASS maps it to a class id.
import { CLASS_ID, ClassRule } from '../kernel/pageClasses';
import { PageTypeDecoder, PageTypeName } from '../kernel/pagetypes';
import { NO_BIT } from '../kernel/pageflags';

export { NO_BIT };
import type { KernelPredicates } from '../kernel/predicates';
import { inRanges, type PfnRange } from '../kernel/pfnRange';
import type { KernelVersion } from '../kernel/version';
import { subsectionPopulated } from './subsectionMap';

export type VmcoreRule = ClassRule;

export const VMCORE_RULES = [
  { id: 'hole', cls: 'no-memmap', why: 'the memory section is absent or has no memmap: nothing describes this PFN' },
  {
    id: 'memmap-unmapped',
    cls: 'no-memmap',
    why: 'the struct page of this PFN is not mapped in the vmemmap (unpopulated subsection)',
  },
  {
    id: 'memmap-excluded',
    cls: 'excluded',
    why: 'the struct page of this PFN was filtered out of the dump, so its state cannot be read',
  },
  {
    id: 'memmap-untrusted',
    cls: 'unknown',
    why: 'the section word does not decode to the vmemmap base: its memmap cannot be located safely',
  },
  {
    id: 'zone-device',
    cls: 'zone-device',
    why: 'ZONE_DEVICE page (pmem/DAX/HMM): section tainted for devices, zone Device, PG_reserved; not online System RAM',
  },
  {
    id: 'section-offline',
    cls: 'section-offline',
    why: 'the section is not online (hot-added and not onlined, or offlined): the struct page is stale leftover and is not interpreted',
  },
  {
    id: 'subsection-hole',
    cls: 'no-memmap',
    why: 'the 2 MiB subsection of this PFN is not populated (subsection_map bit clear)',
  },
  { id: 'poisoned', cls: 'unknown', why: 'struct page is all 0xff (page_init_poison pattern): uninitialised memmap' },
  {
    id: 'tail-bad-head',
    cls: 'unknown',
    why: 'tail page whose compound_head does not point at a plausible head page (one below it, at most 2^18 pages away, with PG_head set): damaged or misread memmap',
  },
  { id: 'tail-hugetlb', cls: 'hugetlb', why: 'tail page of a hugetlbfs page (classified by its head)' },
  { id: 'tail-slab', cls: 'slab', why: 'tail page of a multi-page slab (classified by its head)' },
  { id: 'tail-pagetable', cls: 'pagetable', why: 'tail page of a multi-page page table (classified by its head)' },
  {
    id: 'tail',
    cls: 'compound-tail',
    why: 'tail page of a compound page (THP or large kernel allocation), classified by its head',
  },
  {
    id: 'tail-head-unreadable',
    cls: 'compound-tail',
    why: 'tail page of a compound page whose head cannot be read from the dump',
  },
  {
    id: 'hwpoison',
    cls: 'hwpoison',
    why: 'PG_hwpoison: memory failure; contents must not be touched; offlining skips it',
  },
  {
    id: 'buddy',
    cls: 'free',
    why: 'page type buddy: first page of a free block in the buddy allocator (order = page->private)',
  },
  {
    id: 'buddy-tail',
    cls: 'free',
    why: 'refcount 0, no type, inside a free buddy block whose head is an aligned PFN below (is_free_buddy_page)',
  },
  {
    id: 'offline-movable-ops',
    cls: 'offline-movable',
    why: 'PageOffline with PG_movable_ops (6.17+): balloon page that balloon compaction can migrate',
  },
  {
    id: 'offline-balloon-mops',
    cls: 'offline-movable',
    why: 'PageOffline whose page->mapping is &balloon_mops | PAGE_MAPPING_MOVABLE: balloon page that compaction can migrate',
  },
  {
    id: 'offline-balloon-mapping',
    cls: 'offline-movable',
    why: 'PageOffline whose page->mapping carries the movable tag (mapping & 3 == 2): balloon page that compaction can migrate',
    assumption:
      'balloon_mops could not be resolved (no kallsyms), so the movable mapping tag was accepted without checking which ops it points to',
  },
  {
    id: 'offline-skippable-flag',
    cls: 'offline-skippable',
    why: 'PageOffline with PG_offline_skippable (bit 11, PG_owner_2): virtio-mem fake-offline page that offlining skips',
    assumption: 'kernel built with the unmerged PG_offline_skippable series (May 2025)',
  },
  {
    id: 'offline-refcount-zero',
    cls: 'offline-skippable',
    why: 'PageOffline with refcount 0: virtio-mem dropped its reference in MEM_GOING_OFFLINE, offlining of this block is in progress',
  },
  {
    id: 'offline-virtio-mem-range',
    cls: 'offline-skippable',
    why: 'PageOffline inside a virtio-mem device range (iomem "System RAM (virtio_mem)"): fake-offline (unplugged) subblock, skipped by offlining while the virtio-mem driver is bound',
  },
  {
    id: 'offline-dirty',
    cls: 'offline-skippable',
    why: 'PageOffline with PG_dirty: virtio-mem marks never-onlined fake-offline pages dirty; skippable while the driver is bound',
  },
  {
    id: 'offline-kind-unknown',
    cls: 'offline',
    why: 'PageOffline with a reference, not a movable balloon page: virtio-mem fake-offline (skippable) or an unmovable balloon/hotplug page, which this dump cannot tell apart',
    assumption:
      'the virtio-mem device ranges (iomem_resource) could not be read, or the kernel is outside the releases whose PageOffline kinds are verified: see the warnings',
  },
  {
    id: 'offline-unmovable',
    cls: 'offline-unmovable',
    why: 'PageOffline that is neither a movable balloon page nor virtio-mem: XEN/Hyper-V/VMware 2 MiB balloon, not-onlined hotplug remainder; blocks offlining ("unmovable page")',
  },
  {
    id: 'unaccepted',
    cls: 'unaccepted',
    why: 'page type unaccepted: free memory a TDX/SNP guest has not accepted yet',
  },
  { id: 'guard', cls: 'free', why: 'page type guard: debug_pagealloc guard page (free)' },
  { id: 'table', cls: 'pagetable', why: 'page type table: page-table page' },
  { id: 'slab', cls: 'slab', why: 'slab page (page type slab on 6.10+, PG_slab before)' },
  { id: 'zsmalloc', cls: 'kernel-other', why: 'page type zsmalloc: zram/zswap storage (movable through movable_ops)' },
  {
    id: 'large-kmalloc',
    cls: 'kernel-other',
    why: 'page type large_kmalloc (6.15+): kmalloc allocation larger than a slab',
  },
  {
    id: 'large-kmalloc-head',
    cls: 'compound-head',
    why: 'page type large_kmalloc (6.15+) with PG_head: head of a multi-page kmalloc allocation (a compound kernel allocation, not movable)',
  },
  { id: 'hugetlb', cls: 'hugetlb', why: 'head page of a hugetlbfs page' },
  {
    id: 'unknown-page-type',
    cls: 'unknown',
    why: 'page_type holds a type value this reader does not know (newer kernel?)',
  },
  {
    id: 'reserved',
    cls: 'reserved',
    why: 'PG_reserved: kernel image, memblock allocation, firmware, zero page or a hole inside boot memory',
  },
  {
    id: 'compound-head',
    cls: 'compound-head',
    why: 'PG_head, not hugetlb: head of a compound page (THP when on the LRU, else a multi-page kernel allocation)',
  },
  {
    id: 'lru-ksm',
    cls: 'lru-anon',
    why: 'PG_lru with a KSM mapping (mapping & 3 == 3): anonymous page merged by KSM, on an LRU list',
  },
  {
    id: 'lru-anon',
    cls: 'lru-anon',
    why: 'PG_lru with an anonymous mapping (mapping & 1): anonymous page on an LRU list',
  },
  { id: 'lru-file', cls: 'lru-file', why: 'PG_lru with a file mapping: page-cache page on an LRU list' },
  {
    id: 'vmemmap',
    cls: 'vmemmap',
    why: 'this PFN holds struct pages of its own memory block (memmap_on_memory, PG_vmemmap_self_hosted)',
  },
  {
    id: 'movable-ops-mapping',
    cls: 'kernel-other',
    why: 'not on an LRU, mapping tagged movable_ops (mapping & 3 == 2, before 6.17): a balloon or zsmalloc page that compaction can migrate; which one needs its page_type or the ops symbol (crash `sym balloon_mops`)',
  },
  {
    id: 'free-pcp',
    cls: 'free',
    why: 'refcount 0, no type, not in a buddy block: free page on a per-CPU list or in transit',
  },
  { id: 'other', cls: 'kernel-other', why: 'allocated, in use by the kernel; no more specific state' },
] as const satisfies readonly VmcoreRule[];

export type VmcoreRuleId = (typeof VMCORE_RULES)[number]['id'];
export const R = Object.fromEntries(VMCORE_RULES.map((r, i) => [r.id, i])) as Record<VmcoreRuleId, number>;
export const VMCORE_RULE_CLASS = Uint8Array.from(VMCORE_RULES.map((r) => CLASS_ID[r.cls]));

/** Everything per dump the rules need (bit masks already resolved for this kernel's layout family). */
export interface ClassifyContext {
  /** struct page field offsets (VMCOREINFO OFFSET(page.*)). */
  off: { flags: number; compoundHead: number; mapping: number; private: number; mapcount: number; refcount: number };
  pageSize: number;
  structSize: number;
  /** MAX_PAGE_ORDER, the largest free buddy block (LENGTH(zone.free_area) − 1: 10 on x86_64, 11 with arm64's 16 KiB pages, 13 with 64 KiB); 10 when unset. */
  maxOrder?: number;
  types: PageTypeDecoder;
  /** Bit numbers in page->flags (all < 32 on x86_64; NO_BIT for a flag that is never set). */
  bit: {
    head: number;
    hwpoison: number;
    reserved: number;
    lru: number;
    dirty: number;
    uptodate: number;
    ownerPriv1: number;
    slab?: number;
    owner2?: number;
    active: number;
  };
  /** Kernel version the rules assume (the release's, else an assumption noted by the reader); rules read `is`. */
  version: KernelVersion;
  /** Version differences as named predicates (kernel/predicates.ts), computed once per snapshot. */
  is: KernelPredicates;
  /** The tail word's forms (is.tailForms, kept here for the hot path). */
  tailForms: KernelPredicates['tailForms'];
  /** How the hugetlb folio is marked before 6.9 (page type afterwards). */
  hugetlbMark:
    | { kind: 'type' }
    | { kind: 'page1-flag'; bit: number }
    | { kind: 'dtor'; offset: number; value: number }
    | { kind: 'none' };
  /** Bit position of the zone field in flags (counted from bit 0), and its width. */
  zoneShift: number;
  zoneWidth: number;
  balloonMops?: bigint;
  /** PFN ranges [start, end) of virtio-mem devices, when found ([] = read, none); undefined = could not be read. */
  virtioMem?: PfnRange[];
  /** The ranges come from a resource tree with unreadable nodes: a PageOffline page outside them may still be virtio-mem. */
  virtioMemIncomplete?: boolean;
  /** System RAM PFN ranges [start, end) from iomem, when read: only RAM pages tell a block's zones. */
  systemRam?: PfnRange[];
}

/** Per-section facts (docs/kernel/sections-and-blocks.md). */
export interface SectionFacts {
  online: boolean;
  early: boolean;
  device: boolean;
  /** subsection_map (one bit per 2 MiB: 64 bits in a 128 MiB section), when read; undefined = treat as fully populated. */
  subsectionMap?: bigint;
  /** The same map as 32-bit words (set with setSubsectionMap() in subsectionMap.ts; avoids BigInt per page). */
  subsectionWords?: number[];
  /** log2 PFNs per subsection: 9 with 4 KiB pages (the default), 7 with 16 KiB, 5 with 64 KiB. */
  subsectionPfnShift?: number;
  /** Subsections per section (64 by default: 128 MiB sections). */
  subsectionCount?: number;
}

/** Access to struct pages outside the buffer being classified (heads, page[1]). */
export interface Neighbours {
  /** Struct page of pfn: buffer + offset, 'unmapped', or 'excluded'. */
  structPage(pfn: number): { buf: Buffer; off: number } | 'unmapped' | 'excluded';
  /** Free buddy block covers pfn (computed per section before classification). */
  buddyCovered(pfn: number): boolean;
  /** pfn holds vmemmap struct pages (memmap_on_memory). */
  backsVmemmap(pfn: number): boolean;
  /** Head pfn of the tail page tailPfn from its tail word (compound_head/compound_info, bit 0 set), or undefined when implausible. */
  headPfn(tailWord: bigint, tailPfn: number): number | undefined;
  /** Section facts for a PFN outside the current section. */
  section(pfn: number): SectionFacts | undefined;
}

const hasBit = (lo: number, b: number | undefined) => b !== undefined && b < 32 && ((lo >>> b) & 1) === 1;

/** Zone index from the flags' upper fields. */
export function zoneOf(buf: Buffer, off: number, ctx: ClassifyContext): number {
  if (ctx.zoneShift >= 32 && ctx.zoneShift + ctx.zoneWidth <= 64) {
    return (buf.readUInt32LE(off + ctx.off.flags + 4) >>> (ctx.zoneShift - 32)) & ((1 << ctx.zoneWidth) - 1);
  }
  const flags = buf.readBigUInt64LE(off + ctx.off.flags);
  return Number((flags >> BigInt(ctx.zoneShift)) & ((1n << BigInt(ctx.zoneWidth)) - 1n));
}

/**
 * Classifies the struct page at buf[off…] of `pfn` in a section with facts `sec`.
 * Returns the index of the rule in VMCORE_RULES. Section-level rules (hole, unmapped, excluded)
 * are applied by the caller before it has a struct page.
 */
export function classifyStructPage(
  pfn: number,
  buf: Buffer,
  off: number,
  sec: SectionFacts,
  ctx: ClassifyContext,
  nb: Neighbours,
  depth = 0,
): number {
  const o = ctx.off;
  const lo = buf.readUInt32LE(off + o.flags);
  const hi = buf.readUInt32LE(off + o.flags + 4);
  // Rule 2: ZONE_DEVICE (memmap valid although the section is usually not online).
  if (sec.device && hasBit(lo, ctx.bit.reserved) && subsectionPopulated(pfn, sec) && zoneOf(buf, off, ctx) === 4)
    return R['zone-device'];
  // Rule 3: offline section — stale memmap.
  if (!sec.online) return R['section-offline'];
  // Rule 4: subsection hole.
  if (!sec.early && !subsectionPopulated(pfn, sec)) return R['subsection-hole'];
  // Rule 5: poisoned memmap.
  if (lo === 0xffffffff && hi === 0xffffffff) return R.poisoned;
  // Rule 6: compound tail → by head (test the low word first: BigInt reads are slow in the hot loop).
  if (buf.readUInt32LE(off + o.compoundHead) & 1) {
    const c = buf.readBigUInt64LE(off + o.compoundHead);
    if (depth > 0) return R['tail-bad-head'];
    const head = nb.headPfn(c, pfn);
    if (head === undefined || head >= pfn || pfn - head > 1 << 18) return R['tail-bad-head'];
    const hp = nb.structPage(head);
    if (typeof hp === 'string') return R['tail-head-unreadable'];
    // a tail of a page that is not a compound head cannot occur: a damaged or misread memmap, not a compound page
    if (!hasBit(hp.buf.readUInt32LE(hp.off + o.flags), ctx.bit.head)) return R['tail-bad-head'];
    const hsec = nb.section(head) ?? sec;
    const hr = classifyStructPage(head, hp.buf, hp.off, hsec, ctx, nb, 1);
    const hcls = VMCORE_RULES[hr].cls;
    if (hcls === 'hugetlb') return R['tail-hugetlb'];
    if (hcls === 'slab') return R['tail-slab'];
    if (hcls === 'pagetable') return R['tail-pagetable'];
    if (hr === R['tail-bad-head']) return R['tail-bad-head'];
    return R.tail;
  }
  // Rule 7
  if (hasBit(lo, ctx.bit.hwpoison)) return R.hwpoison;
  const refcount = buf.readInt32LE(off + o.refcount);
  const type: PageTypeName | 'unknown' | undefined = ctx.types.typeOf(buf.readUInt32LE(off + o.mapcount));
  // Rule 8, 9
  if (type === 'buddy') return R.buddy;
  if (type === undefined && refcount === 0 && nb.buddyCovered(pfn)) return R['buddy-tail'];
  // Rule 10: the offline family (docs/kernel/offline-pages.md)
  if (type === 'offline') return offlineRule(pfn, buf, off, lo, refcount, ctx);
  if (type === 'unaccepted') return R.unaccepted;
  if (type === 'guard') return R.guard;
  if (type === 'table') return R.table;
  if (type === 'slab' || (ctx.bit.slab !== undefined && hasBit(lo, ctx.bit.slab))) return R.slab;
  if (type === 'zsmalloc') return R.zsmalloc;
  if (type === 'large_kmalloc') return hasBit(lo, ctx.bit.head) ? R['large-kmalloc-head'] : R['large-kmalloc'];
  if (type === 'hugetlb') return R.hugetlb;
  if (type === 'unknown') return R['unknown-page-type'];
  if (hasBit(lo, ctx.bit.head) && isOldHugetlb(pfn, ctx, nb)) return R.hugetlb;
  if (hasBit(lo, ctx.bit.reserved)) return R.reserved;
  if (hasBit(lo, ctx.bit.head)) return R['compound-head'];
  if (hasBit(lo, ctx.bit.lru)) {
    const mapping = buf.readUInt32LE(off + o.mapping) & 3;
    return mapping === 3 ? R['lru-ksm'] : mapping & 1 ? R['lru-anon'] : R['lru-file'];
  }
  if (hasBit(lo, ctx.bit.ownerPriv1) && nb.backsVmemmap(pfn)) return R.vmemmap;
  if (refcount > 0 && (buf.readUInt32LE(off + o.mapping) & 3) === 2 && !ctx.is.balloonByMovableOps)
    return R['movable-ops-mapping'];
  if (refcount === 0 && type === undefined) return R['free-pcp'];
  return R.other;
}

function isOldHugetlb(pfn: number, ctx: ClassifyContext, nb: Neighbours): boolean {
  const m = ctx.hugetlbMark;
  if (m.kind === 'type' || m.kind === 'none') return false;
  const p1 = nb.structPage(pfn + 1);
  if (typeof p1 === 'string') return false;
  if (m.kind === 'page1-flag') return ((p1.buf.readUInt32LE(p1.off + ctx.off.flags) >>> m.bit) & 1) === 1;
  return p1.buf[p1.off + m.offset] === m.value;
}

function offlineRule(
  pfn: number,
  buf: Buffer,
  off: number,
  lo: number,
  refcount: number,
  ctx: ClassifyContext,
): number {
  if (ctx.is.balloonByMovableOps) {
    if (hasBit(lo, ctx.bit.uptodate)) return R['offline-movable-ops'];
  } else {
    // test the tag on the low word first: most offline pages are not balloon pages (no BigInt for them)
    const mapping =
      (buf.readUInt32LE(off + ctx.off.mapping) & 3) === 2 ? buf.readBigUInt64LE(off + ctx.off.mapping) : 0n;
    if ((mapping & 3n) === 2n) {
      if (ctx.balloonMops === undefined) return R['offline-balloon-mapping'];
      if ((mapping & ~3n) === ctx.balloonMops) return R['offline-balloon-mops'];
    }
  }
  if (ctx.bit.owner2 !== undefined && hasBit(lo, ctx.bit.owner2)) return R['offline-skippable-flag'];
  if (refcount === 0) return R['offline-refcount-zero'];
  // newer than the tables: the virtio-mem and balloon protocols are not verified, so no kind is claimed
  if (!ctx.is.offlineKindsVerified) return R['offline-kind-unknown'];
  if (inRanges(ctx.virtioMem, pfn)) return R['offline-virtio-mem-range'];
  if (hasBit(lo, ctx.bit.dirty)) return R['offline-dirty'];
  // without the virtio-mem ranges a referenced PageOffline page may be a fake-offline one: never call it unmovable
  if (ctx.virtioMem === undefined || ctx.virtioMemIncomplete) return R['offline-kind-unknown'];
  return R['offline-unmovable'];
}
