// What the guest kernel itself said during a lab scenario, read back for tests.

import * as assert from 'node:assert/strict';
import type { MemoryBlock, Snapshot } from '../../memmap/snapshot';
import { CLASS_ID } from '../../kernel/pageClasses';
import { offlineVerdict } from '../../memmap/offlineVerdict';
import type { OfflineAttempt } from './manifest';

/** A `dump_page(page, "unmovable page")` block of a dmesg: the page and its struct page words as the kernel printed them. */
export interface DumpedPage {
  pfn: number;
  raw: bigint[];
}

/** The `dump_page(page, "unmovable page")` blocks in a dmesg (6.1 prints "page:<ptr> ...", 6.12 "page: ..."). */
export function unmovablePagesInDmesg(dmesg: string): DumpedPage[] {
  const out: DumpedPage[] = [];
  let last: DumpedPage | undefined;
  for (const line of dmesg.split('\n')) {
    const m = /\bpage:(?:\S+)? .*\bpfn:0x([0-9a-f]+)/.exec(line);
    if (m) last = { pfn: parseInt(m[1], 16), raw: [] };
    const raw = /\braw: ((?:[0-9a-f]{16} ?)+)$/.exec(line);
    if (raw && last)
      last.raw.push(
        ...raw[1]
          .trim()
          .split(' ')
          .map((w) => BigInt('0x' + w)),
      );
    if (/page dumped because: unmovable page/.test(line) && last) {
      out.push(last);
      last = undefined;
    }
  }
  return out;
}

/** Kinds of page the kernel allocates at any moment (a reserved or poisoned page does not come and go). */
const ALLOCATED_AT_RUN_TIME = [CLASS_ID.slab, CLASS_ID.pagetable, CLASS_ID['kernel-other']];

/**
 * Why the snapshot's blocker of a refused block may precede the page the kernel dumped, from the data,
 * or undefined. The snapshot is taken after the attempt, and the kernel allocates pages meanwhile:
 * has_unmovable_pages() scans a pageblock upwards and dumps the first page that blocks, so every page
 * before the dumped one in its pageblock was passable at the attempt. Explained when (1) the dumped
 * page is the same in the snapshot as in the kernel's dump (its struct page words, where the snapshot
 * has them), (2) the snapshot's blocker lies before it in its pageblock, and the pages there that the
 * snapshot could block on are all of kinds allocated at run time, and (3) with those pages taken as
 * free, the dumped page is the next page in the kernel's scan order that may block.
 */
export function allocatedSinceAttempt(
  snapshot: Snapshot,
  block: MemoryBlock,
  ours: number,
  dumped: DumpedPage,
): string | undefined {
  const pb = 512;
  if (!(ours < dumped.pfn && Math.floor(ours / pb) === Math.floor(dumped.pfn / pb))) return undefined;
  const detail = snapshot.pageDetail?.(dumped.pfn);
  const words = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => detail?.raw[`word${i}`]);
  if (
    words.every((w) => typeof w === 'string') &&
    dumped.raw.length >= 8 &&
    words.some((w, i) => BigInt(w as string) !== dumped.raw[i])
  )
    return undefined;
  // the kernel passed every page of the dumped page's pageblock before it: those the snapshot blocks on
  // were allocated since, if they are of a kind that is
  const classes = snapshot.classes.slice();
  for (let pfn = Math.max(snapshot.startPfn, dumped.pfn - (dumped.pfn % pb)); pfn < dumped.pfn; pfn++) {
    const i = pfn - snapshot.startPfn;
    if (ALLOCATED_AT_RUN_TIME.includes(classes[i])) classes[i] = CLASS_ID.free;
  }
  // every page that may block counts, as in the kernel's scan: a flag-less page kpageflags cannot tell
  // from a per-CPU free page stops it too (the reader itself defers such pages to certain blockers)
  const v = offlineVerdict({ block, classes, classesStartPfn: snapshot.startPfn }, 'mainline');
  if (v.blockingPfn !== dumped.pfn) return undefined;
  return (
    `pages up to 0x${(dumped.pfn - 1).toString(16)} (ours: 0x${ours.toString(16)}) were allocated between the attempt and the snapshot; ` +
    `the kernel's dumped page 0x${dumped.pfn.toString(16)} is ${words[0] !== undefined ? 'unchanged and ' : ''}the next blocker`
  );
}

/** errno offline_pages() returned, from the shell's write error ("sh: write error: Invalid argument"). */
export function errnoOfShellError(error: string | undefined): 'EINVAL' | 'EBUSY' | undefined {
  if (/Invalid argument/.test(error ?? '')) return 'EINVAL';
  if (/Device or resource busy/.test(error ?? '')) return 'EBUSY';
  return undefined;
}

/**
 * Asserts that a snapshot's block agrees with what the guest kernel did when the lab wrote
 * "offline" to memoryN/state: offlined blocks are offline; refused blocks are predicted to fail
 * with the errno the shell saw and, for an isolation failure, at the pfn the kernel dumped.
 */
export function assertVerdictMatchesGuest(snapshot: Snapshot, attempt: OfflineAttempt, dmesg: string): void {
  const b = snapshot.blocks.find((x) => x.id === attempt.block);
  assert.ok(b, `memory${attempt.block} in the snapshot`);
  if (attempt.ok) return assert.equal(b.state, 'offline');
  assert.equal(b.state, 'online');
  const v = b.verdict!.mainline;
  // without the System RAM ranges (5.10 dumps: no kallsyms) a reserved page may be a hole: the reader
  // says the block fails either way and leaves the reason open; the guest must have refused with one of the two
  if (v.ok === undefined && /would fail either way/.test(v.explanation ?? '')) {
    assert.ok(
      ['EINVAL', 'EBUSY'].includes(errnoOfShellError(attempt.error) ?? ''),
      `${attempt.error} is one of the reasons the reader left open`,
    );
    return;
  }
  assert.equal(v.ok, false, v.explanation);
  const errno = errnoOfShellError(attempt.error);
  assert.ok(errno, `the lab recorded an error the test understands: ${attempt.error}`);
  assert.equal(v.errno, errno, `${v.reason}: ${v.explanation}`);
  if (v.reason === 'failure to isolate range') {
    const dumped = unmovablePagesInDmesg(dmesg);
    if (dumped.some((p) => p.pfn === v.blockingPfn)) return;
    const why = dumped.map((p) => allocatedSinceAttempt(snapshot, b, v.blockingPfn!, p)).find((x) => x);
    assert.ok(
      why,
      `dmesg dumped pfn(s) ${dumped.map((p) => p.pfn.toString(16))}, we say 0x${v.blockingPfn!.toString(16)}`,
    );
    console.log(`      memory${attempt.block}: ${why}`);
  }
}
