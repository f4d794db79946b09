// The page geometry both sides of the protocol draw with (shared/geometry.ts), what the Overview carries
// of it (extension/overview.ts), and the search box's PFN / physical-address parsing with 4, 16 and 64 KiB
// pages (webview/searchQuery.ts).

import * as assert from 'node:assert/strict';
import { machineLabel, pageShiftOf, pfnOfPhys, physHex, physOfPfn } from '../../../shared/geometry';
import { parseSearch } from '../../../webview/searchQuery';
import { buildOverview } from '../../../extension/overview';
import { summaryJson } from '../../../memmap/summaryJson';
import { syntheticSnapshot } from '../../webview/syntheticSnapshot';

const SETTINGS = { palette: 'colorblind-safe', offlineRules: 'mainline' } as const;

describe('shared/geometry', () => {
  it('page shift of 4, 16 and 64 KiB pages; refuses sizes that are not a power of two', () => {
    assert.deepEqual([4096, 16384, 65536].map(pageShiftOf), [12, 14, 16]);
    for (const bad of [0, 1000, 4095, 12288, 2048]) assert.throws(() => pageShiftOf(bad), RangeError, String(bad));
  });

  it('PFN ↔ physical address by the page shift, exact above 2^53 (52-bit arm64 addresses)', () => {
    assert.equal(physOfPfn(0x10000, 14), 0x40000000n);
    assert.equal(physHex(0x10000, 14), '0x40000000');
    assert.equal(physHex(0x10000, 12), '0x10000000');
    const top = (1n << 52n) - 1n;
    assert.equal(pfnOfPhys(top, 14), Number(top >> 14n));
    assert.equal(physOfPfn(pfnOfPhys(top, 16), 16), top & ~0xffffn);
    assert.equal(machineLabel('aarch64'), 'aarch64');
    assert.equal(machineLabel(undefined), 'unknown architecture');
  });

  it('the Overview of a 16 KiB aarch64 snapshot carries the machine, the page size and shift, 8192-PFN sections', () => {
    const s = syntheticSnapshot(12, { pageSize: 16384, machine: 'aarch64' });
    const o = buildOverview(summaryJson(s), 't', SETTINGS);
    assert.equal(o.kernel.machine, 'aarch64');
    assert.equal(o.kernel.pageSize, 16384);
    assert.equal(o.kernel.pageShift, 14);
    assert.equal(o.pfnsPerSection, 8192);
    assert.equal(o.pfnsPerBlock, 8192);
    const x = buildOverview(summaryJson(syntheticSnapshot(4)), 't', SETTINGS);
    assert.deepEqual([x.kernel.machine, x.kernel.pageShift, x.pfnsPerSection], ['x86_64', 12, 32768]);
  });
});

describe('webview search: physical addresses by the snapshot page shift', () => {
  it('"pa 0x…" divides by the page size of the snapshot', () => {
    assert.deepEqual(parseSearch('pa 0x40002345', 14, 1 << 20), {
      kind: 'pfn',
      pfn: 0x10000,
      note: 'physical address 0x40002345',
    });
    assert.equal((parseSearch('pa 0x40002345', 12, 1 << 20) as { pfn: number }).pfn, 0x40002);
    assert.equal((parseSearch('@0x40010000', 16, 1 << 20) as { pfn: number }).pfn, 0x4001);
  });

  it('a bare number beyond the last PFN and page-aligned is an address; unaligned or within range a PFN', () => {
    const end = 0x30000; // 3 GiB of 16 KiB pages
    assert.deepEqual(parseSearch('0x40000000', 14, end), {
      kind: 'pfn',
      pfn: 0x10000,
      note: '0x40000000 is beyond the last PFN, read as a physical address',
    });
    assert.deepEqual(parseSearch('0x40001000', 14, end), { kind: 'pfn', pfn: 0x40001000 }, 'not 16 KiB-aligned');
    assert.deepEqual(parseSearch('0x1234', 14, end), { kind: 'pfn', pfn: 0x1234 });
    assert.deepEqual(parseSearch('pfn 0x40000000', 14, end), { kind: 'pfn', pfn: 0x40000000 });
  });

  it('a 52-bit (arm64 LPA2) address goes through BigInt', () => {
    const pa = (1n << 52n) + 0x4000n;
    assert.equal((parseSearch(`pa 0x${pa.toString(16)}`, 14, 1) as { pfn: number }).pfn, Number(pa >> 14n));
  });
});
