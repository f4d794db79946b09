// Races between the guest's kpageflags capture and QEMU's pause that the lab tests accept, each only
// when the dump's own data shows it (test/unit/memmap/vmcoreLab.test.ts; each condition fails in vmcoreLabRaces.test.ts).
import type { Snapshot } from '../../memmap/snapshot';

/**
 * The dump's page at pfn is an anonymous page mapped into a process but not on an LRU list yet (anon
 * mapping tag, mapped at least once, referenced, PG_lru clear): faulted in after the capture, from a page
 * kpageflags saw free, and waiting in a per-CPU LRU-add batch at the pause (seen on 5.10-balloon).
 */
export function anonFaultedInAfterCapture(v: Snapshot, _k: Snapshot, pfn: number): boolean {
  const d = v.pageDetail?.(pfn);
  return (
    !!d &&
    d.rule === 'other' &&
    Number(d.raw.mapping_tag) === 1 &&
    (d.mapcount ?? -1) >= 0 &&
    (d.refcount ?? 0) >= 1 &&
    !(d.flags ?? []).includes('lru')
  );
}

/**
 * kpageflags saw no KPF bit at all at pfn (a page free on a per-CPU list, or allocated and not yet
 * used), and the dump shows a freshly faulted-in anonymous page: order 0, on the LRU, mapped once and
 * referenced once, with no flag but those a new anonymous fault sets (PG_uptodate, PG_swapbacked) and
 * PG_lru from the drained LRU-add batch (seen on a fresh 5.10-baseline).
 */
export function freshAnonFaultAfterCapture(v: Snapshot, k: Snapshot, pfn: number): boolean {
  const d = v.pageDetail?.(pfn);
  const flags = d?.flags ?? [];
  return (
    (k.pageDetail?.(pfn)?.flags ?? ['?']).length === 0 &&
    !!d &&
    d.rule === 'lru-anon' &&
    d.mapcount === 1 &&
    d.refcount === 1 &&
    flags.includes('lru') &&
    flags.includes('swapbacked') &&
    flags.every((f) => f === 'lru' || f === 'swapbacked' || f === 'uptodate')
  );
}

/**
 * kpageflags saw a page table (KPF_PGTABLE) at pfn, and the dump shows the page as a page-table
 * destructor leaves it: no page type any more (page_type all ones, read as mapcount 0), no flag but
 * maybe PG_referenced, unmapped, one reference. The capturing process exited after the capture; its
 * page tables were torn down, and x86_64 (with PARAVIRT) and arm64 free them only after an RCU grace
 * period (MMU_GATHER_RCU_TABLE_FREE: tlb_remove_table batches them), which had not ended at the pause
 * (seen on a fresh arm64-6.12-balloon and 7.3-offline-block). Freed, the same pages are the accepted
 * pagetable -> free.
 */
export function pageTableAwaitingFree(v: Snapshot, _k: Snapshot, pfn: number): boolean {
  const d = v.pageDetail?.(pfn);
  return (
    !!d &&
    d.rule === 'other' &&
    d.pageType === 'mapcount 0' &&
    d.mapcount === 0 &&
    d.refcount === 1 &&
    Number(d.raw.mapping_tag) === 0 &&
    BigInt(d.raw.mapping ?? 1) === 0n &&
    (d.flags ?? ['?']).every((f) => f === 'referenced')
  );
}
