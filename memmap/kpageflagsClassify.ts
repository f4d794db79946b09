// The rule table that turns one /proc/kpageflags word into a page class, in the order of
// docs/kernel/classification.md and docs/kernel/offline-pages.md, restricted to what kpageflags can show.
// The hot loop passes the word as two 32-bit halves (lo = bits 0-31, hi = bits 32-63).

import { CLASS_ID, ClassRule } from '../kernel/pageClasses';
import { KPF } from '../kernel/kpf';
import type { KpfPredicates } from '../kernel/predicates';

export interface KpfContext {
  /** What the bits whose meaning changed mean on this kernel (NOPAGE 6.16, movable_ops 6.17, owner_2 6.12). */
  is: KpfPredicates;
  /** PFN inside a virtio-mem device range (/proc/iomem "System RAM (virtio_mem)"). */
  inVirtioMem(pfn: number): boolean;
  /** PFN inside a memory block that sysfs reports offline. */
  inOfflineBlock(pfn: number): boolean;
  /** PFN inside System RAM per /proc/iomem; undefined when no usable iomem capture. */
  inSystemRam(pfn: number): boolean | undefined;
  /** dmesg shows a XEN or Hyper-V guest: their balloons make unmovable PageOffline pages. */
  unmovableBalloonHypervisor: boolean;
}

export type KpfRule = ClassRule;

export const KPF_RULES = [
  {
    id: 'nopage-offline-block',
    cls: 'section-offline',
    why: 'KPF_NOPAGE inside a memory block sysfs reports offline: the memmap of an offline section is stale',
  },
  {
    id: 'nopage',
    cls: 'no-memmap',
    why: 'KPF_NOPAGE: no online memmap for this PFN (hole, removed or never-added memory)',
  },
  {
    id: 'zero-offline-block',
    cls: 'section-offline',
    why: 'reads 0 inside a memory block sysfs reports offline (6.16+ writes 0 where older kernels wrote KPF_NOPAGE)',
  },
  {
    id: 'zero-not-ram',
    cls: 'no-memmap',
    why: 'reads 0 outside System RAM in /proc/iomem (6.16+ writes 0 where older kernels wrote KPF_NOPAGE)',
  },
  { id: 'tail-hugetlb', cls: 'hugetlb', why: 'KPF_COMPOUND_TAIL + KPF_HUGE: tail page of a hugetlbfs page' },
  { id: 'tail-slab', cls: 'slab', why: 'KPF_COMPOUND_TAIL + KPF_SLAB: tail page of a multi-page slab' },
  {
    id: 'tail-thp',
    cls: 'compound-tail',
    why: 'KPF_COMPOUND_TAIL + KPF_THP or KPF_LRU: tail page of a transparent huge page',
  },
  {
    id: 'tail-kernel',
    cls: 'compound-tail',
    why: 'KPF_COMPOUND_TAIL without KPF_THP or KPF_LRU: tail page of a large kernel allocation (not migratable)',
  },
  {
    id: 'hwpoison',
    cls: 'hwpoison',
    why: 'KPF_HWPOISON: the page had a memory failure; its contents must not be touched',
  },
  { id: 'buddy', cls: 'free', why: 'KPF_BUDDY: free page in the buddy allocator (head or tail of a free block)' },
  {
    id: 'offline-skippable-flag',
    cls: 'offline-skippable',
    why: 'KPF_OFFLINE + KPF_MAPPEDTODISK (PG_owner_2): PageOffline marked skippable',
    assumption:
      'kernel built with the unmerged PG_offline_skippable series (May 2025), where PG_offline_skippable aliases PG_owner_2',
  },
  {
    id: 'offline-virtio-mem',
    cls: 'offline-skippable',
    why: 'KPF_OFFLINE inside a virtio-mem device range (/proc/iomem "System RAM (virtio_mem)"): a fake-offline (unplugged) subblock that memory offlining skips while the virtio-mem driver is bound',
  },
  {
    id: 'offline-movable-ops',
    cls: 'offline-movable',
    why: 'KPF_OFFLINE + PG_movable_ops (the KPF_UPTODATE bit, 6.17+): balloon page that compaction can migrate',
  },
  {
    id: 'offline-not-movable-617',
    cls: 'offline-unmovable',
    why: 'KPF_OFFLINE without PG_movable_ops (6.17+) outside virtio-mem: nothing can migrate it; it blocks offlining',
  },
  {
    id: 'offline-hypervisor-balloon',
    cls: 'offline-unmovable',
    why: 'KPF_OFFLINE on a XEN or Hyper-V guest (dmesg): ballooned-out page that cannot be migrated',
  },
  {
    id: 'offline-balloon-assumed',
    cls: 'offline-movable',
    why: 'KPF_OFFLINE outside any virtio-mem range: a balloon page (virtio-balloon/VMware) that balloon compaction can migrate',
    assumption:
      'before 6.17 kpageflags cannot show the balloon movable marker (it lives in page->mapping); assumed a balloon with compaction',
  },
  { id: 'pgtable', cls: 'pagetable', why: 'KPF_PGTABLE: page-table page' },
  { id: 'slab', cls: 'slab', why: 'KPF_SLAB: slab allocator page' },
  { id: 'hugetlb', cls: 'hugetlb', why: 'KPF_HUGE: head page of a hugetlbfs page' },
  {
    id: 'reserved',
    cls: 'reserved',
    why: 'KPF_RESERVED (PG_reserved): kernel image, memblock allocation, firmware, zero page or a hole inside boot memory',
  },
  {
    id: 'head-thp',
    cls: 'compound-head',
    why: 'KPF_COMPOUND_HEAD + KPF_THP or KPF_LRU: head of a transparent huge page',
  },
  {
    id: 'head-kernel',
    cls: 'compound-head',
    why: 'KPF_COMPOUND_HEAD without KPF_THP or KPF_LRU: head of a large kernel allocation (not migratable)',
  },
  { id: 'lru-anon', cls: 'lru-anon', why: 'KPF_LRU + KPF_ANON: anonymous page on an LRU list' },
  { id: 'lru-file', cls: 'lru-file', why: 'KPF_LRU without KPF_ANON: page-cache page on an LRU list' },
  {
    id: 'other',
    cls: 'kernel-other',
    why: 'no state bit set: allocated kernel memory (or a free page on a per-CPU list, which kpageflags cannot tell apart)',
  },
] as const satisfies readonly KpfRule[];

export type KpfRuleId = (typeof KPF_RULES)[number]['id'];

const RULE_INDEX = Object.fromEntries(KPF_RULES.map((r, i) => [r.id, i])) as Record<KpfRuleId, number>;
/** Rules for compound pages that memory offlining cannot migrate. */
export const KPF_UNMOVABLE_COMPOUND_RULES: ReadonlySet<number> = new Set([
  RULE_INDEX['head-kernel'],
  RULE_INDEX['tail-kernel'],
]);

/** Class id of each rule, for the hot loop. */
export const KPF_RULE_CLASS = Uint8Array.from(KPF_RULES.map((r) => CLASS_ID[r.cls]));

const bit = (b: number) => (b < 32 ? 1 << b : 1 << (b - 32)) >>> 0;
const NOPAGE = bit(KPF.NOPAGE);
const TAIL = bit(KPF.COMPOUND_TAIL);
const HEAD = bit(KPF.COMPOUND_HEAD);
const HUGE = bit(KPF.HUGE);
const SLAB = bit(KPF.SLAB);
const HWPOISON = bit(KPF.HWPOISON);
const BUDDY = bit(KPF.BUDDY);
const OFFLINE = bit(KPF.OFFLINE);
const UPTODATE = bit(KPF.UPTODATE);
const PGTABLE = bit(KPF.PGTABLE);
const LRU = bit(KPF.LRU);
const THP = bit(KPF.THP);
const ANON = bit(KPF.ANON);
const HI_RESERVED = bit(KPF.RESERVED);
const HI_OWNER_2 = bit(KPF.MAPPEDTODISK);

/** Index into KPF_RULES of the rule that classifies this word. */
export function kpfRule(lo: number, hi: number, pfn: number, ctx: KpfContext): number {
  if (lo & NOPAGE) return ctx.inOfflineBlock(pfn) ? RULE_INDEX['nopage-offline-block'] : RULE_INDEX.nopage;
  if (lo === 0 && hi === 0 && ctx.is.zeroMayBeNoPage) {
    if (ctx.inOfflineBlock(pfn)) return RULE_INDEX['zero-offline-block'];
    if (ctx.inSystemRam(pfn) === false) return RULE_INDEX['zero-not-ram'];
  }
  // 6.1 kpageflags copies PG_lru from the tail's own flags (never set on tails), but KPF_THP
  // is computed from the head: either bit marks a THP.
  if (lo & TAIL)
    return lo & HUGE
      ? RULE_INDEX['tail-hugetlb']
      : lo & SLAB
        ? RULE_INDEX['tail-slab']
        : lo & (LRU | THP)
          ? RULE_INDEX['tail-thp']
          : RULE_INDEX['tail-kernel'];
  if (lo & HWPOISON) return RULE_INDEX.hwpoison;
  if (lo & BUDDY) return RULE_INDEX.buddy;
  if (lo & OFFLINE) return offlineRule(lo, hi, pfn, ctx);
  if (lo & PGTABLE) return RULE_INDEX.pgtable;
  if (lo & SLAB) return RULE_INDEX.slab;
  if (lo & HUGE) return RULE_INDEX.hugetlb;
  if (hi & HI_RESERVED) return RULE_INDEX.reserved;
  if (lo & HEAD) return lo & (LRU | THP) ? RULE_INDEX['head-thp'] : RULE_INDEX['head-kernel'];
  if (lo & LRU) return lo & ANON ? RULE_INDEX['lru-anon'] : RULE_INDEX['lru-file'];
  return RULE_INDEX.other;
}

function offlineRule(lo: number, hi: number, pfn: number, ctx: KpfContext): number {
  if (hi & HI_OWNER_2 && ctx.is.owner2OnOffline) return RULE_INDEX['offline-skippable-flag'];
  if (ctx.inVirtioMem(pfn)) return RULE_INDEX['offline-virtio-mem'];
  if (ctx.is.movableOpsFlag)
    return lo & UPTODATE ? RULE_INDEX['offline-movable-ops'] : RULE_INDEX['offline-not-movable-617'];
  if (ctx.unmovableBalloonHypervisor) return RULE_INDEX['offline-hypervisor-balloon'];
  return RULE_INDEX['offline-balloon-assumed'];
}
