// Boot memory of a kpageflags capture (arm64 refuses to offline it): dmesg's "Early memory node ranges",
// else /proc/iomem's top-level System RAM, and which blocks hold an early section.
import * as assert from 'node:assert/strict';
import { bootMemoryOfCapture, earlyMemoryFromDmesg, hasEarlySection } from '../../../memmap/kpageflagsBootMemory';
import { parseIomem } from '../../../parsers/capture/iomem';

const DMESG = `[    0.000000] Zone ranges:
[    0.000000]   DMA      [mem 0x0000000040000000-0x000000007fffffff]
[    0.000000]   DMA32    empty
[    0.000000] Movable zone start for each node
[    0.000000] Early memory node ranges
[    0.000000]   node   0: [mem 0x0000000040000000-0x000000005fffffff]
[    0.000000]   node   1: [mem 0x0000000060000000-0x000000007fffffff]
[    0.000000] Initmem setup node 0 [mem 0x0000000040000000-0x000000005fffffff]
[    3.100000] virtio_mem virtio1: plugged size: 0x0
`;
const IOMEM = `09000000-09000fff : pl011@9000000
40000000-7fffffff : System RAM
  40200000-41f0ffff : Kernel code
80000000-bfffffff : virtio1
  80000000-87ffffff : System RAM (virtio_mem)
`;

describe('kpageflags: arm64 boot memory', () => {
  it('reads the early memory node ranges of dmesg, and only those lines', () => {
    assert.deepEqual(earlyMemoryFromDmesg(DMESG, 4096), [
      [0x40000, 0x60000],
      [0x60000, 0x80000],
    ]);
    assert.equal(earlyMemoryFromDmesg('[    0.000000] Zone ranges:\n', 4096), undefined);
  });

  it('prefers dmesg; without it takes top-level System RAM of iomem (not virtio-mem), and says so', () => {
    const iomem = parseIomem(IOMEM);
    const a = bootMemoryOfCapture(DMESG, iomem, 4096)!;
    assert.match(a.source, /^dmesg/);
    const b = bootMemoryOfCapture('', iomem, 4096)!;
    assert.deepEqual(b.ranges, [[0x40000, 0x80000]]);
    assert.match(b.source, /iomem.*ACPI DIMM/);
    assert.equal(bootMemoryOfCapture('', [], 4096), undefined);
  });

  it('a block is boot memory when one of its sections has early memory', () => {
    const boot = bootMemoryOfCapture(DMESG, [], 4096)!;
    assert.equal(hasEarlySection(boot, 0x78000, 0x8000, 0x8000), true);
    assert.equal(hasEarlySection(boot, 0x80000, 0x8000, 0x8000), false, 'virtio-mem memory above boot RAM');
    assert.equal(hasEarlySection(boot, 0x38000, 0x8000, 0x8000), false, 'below RAM');
    // a section only partly covered is early, and so is a 2-section block with one early section
    const partial = { ranges: [[0x40000, 0x40100]] as [number, number][], source: 'test' };
    assert.equal(hasEarlySection(partial, 0x40000, 0x8000, 0x8000), true);
    assert.equal(hasEarlySection(partial, 0x38000, 0x10000, 0x8000), true);
  });
});
