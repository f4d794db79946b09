// What the guest kernel itself said during a lab scenario, read back for tests.

import * as assert from 'node:assert/strict';
import type { Snapshot } from '../../memmap/snapshot';
import type { OfflineAttempt } from './manifest';

/** PFNs of the `dump_page(page, "unmovable page")` blocks in a dmesg (6.1 prints "page:<ptr> ...", 6.12 "page: ..."). */
export function unmovablePfnsInDmesg(dmesg: string): number[] {
  const out: number[] = [];
  let last: number | undefined;
  for (const line of dmesg.split('\n')) {
    const m = /\bpage:(?:\S+)? .*\bpfn:0x([0-9a-f]+)/.exec(line);
    if (m) last = parseInt(m[1], 16);
    if (/page dumped because: unmovable page/.test(line) && last !== undefined) out.push(last);
  }
  return out;
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
  assert.equal(v.ok, false, v.explanation);
  const errno = errnoOfShellError(attempt.error);
  assert.ok(errno, `the lab recorded an error the test understands: ${attempt.error}`);
  assert.equal(v.errno, errno, `${v.reason}: ${v.explanation}`);
  if (v.reason === 'failure to isolate range') {
    const dumped = unmovablePfnsInDmesg(dmesg);
    assert.ok(dumped.includes(v.blockingPfn!), `dmesg dumped pfn(s) ${dumped.map((p) => p.toString(16))}, we say 0x${v.blockingPfn!.toString(16)}`);
  }
}
