// The bundled sample's figures, exactly as `kmemmap summary --json` shows them to a user (the README's
// quick start prints them): PFN range, every class count, and each memory block's state, zones and
// offlining verdict under both rule sets. A change to any of them is a change a user sees: update this
// test only on purpose, with the reason in the commit.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const CLI = resolve(ROOT, 'out/cli/kmemmap.js');
const SAMPLE = resolve(ROOT, 'samples/sample-6.12-virtio-mem.tar.gz');

const CLASSES = {
  'no-memmap': 819200,
  free: 233850,
  reserved: 31097,
  slab: 1999,
  pagetable: 89,
  'lru-anon': 286,
  'lru-file': 743,
  'compound-head': 6,
  'compound-tail': 306,
  'offline-movable': 65536,
  'offline-skippable': 21504,
  'kernel-other': 5032,
};

/** [block, start pfn, state, zones, mainline verdict, PG_offline_skippable verdict] */
const BLOCKS: [number, number, string, string[], string, string][] = [
  [0, 0x0, 'online', ['none'], 'EINVAL multizone range', 'EINVAL multizone range'],
  [1, 0x8000, 'online', ['DMA32'], 'ok', 'ok'],
  [
    2,
    0x10000,
    'online',
    ['DMA32'],
    // a flag-less page (0x126af) comes before the reserved one (0x12c00) in isolation order: kpageflags
    // cannot tell it from a per-CPU free page, but it is the page the kernel would dump if allocated
    'EBUSY failure to isolate range at 0x126af (kernel-other)',
    'EBUSY failure to isolate range at 0x126af (kernel-other)',
  ],
  [3, 0x18000, 'online', ['DMA32'], 'ok', 'ok'],
  [4, 0x20000, 'online', ['DMA32'], 'ok', 'ok'],
  [5, 0x28000, 'online', ['DMA32'], 'ok', 'ok'],
  [6, 0x30000, 'online', ['DMA32'], 'ok', 'ok'],
  [
    7,
    0x38000,
    'online',
    ['DMA32'],
    'EINVAL memory holes at 0x3ffdc (reserved)',
    'EINVAL memory holes at 0x3ffdc (reserved)',
  ],
  [32, 0x100000, 'online', ['Movable'], 'ok', 'ok'],
  [33, 0x108000, 'online', ['Movable'], 'ok', 'ok'],
  [34, 0x110000, 'online', ['Movable'], 'ok', 'ok'],
];

interface Verdict {
  ok: boolean | null;
  errno?: string;
  reason?: string;
  blockingPfn?: number;
  blockingClass?: string;
}
const verdict = (v: Verdict) =>
  v.ok
    ? 'ok'
    : v.ok === null
      ? 'unknown'
      : `${v.errno} ${v.reason}${v.blockingPfn !== undefined ? ` at 0x${v.blockingPfn.toString(16)} (${v.blockingClass})` : ''}`;

describe('the bundled sample, as a user sees it', function () {
  this.timeout(60_000);
  const s = JSON.parse(execFileSync(process.execPath, [CLI, 'summary', SAMPLE, '--json'], { encoding: 'utf8' }));

  it('kernel, PFN range, section and block geometry', () => {
    assert.equal(s.kernel.release, '6.12.117+deb12-amd64');
    assert.equal(s.kernel.layoutFamily, '6.12-6.13');
    assert.deepEqual(s.pfns, { start: 0, end: 0x120000 });
    assert.equal(s.pageSize, 4096);
    assert.equal(s.pfnsPerSection, 32768);
    assert.equal(s.pfnsPerBlock, 32768);
    assert.equal(s.sections.length, 36);
    assert.equal(s.sections.filter((x: { state: string }) => x.state === 'online').length, 11);
  });

  it('every class count', () => assert.deepEqual(s.classes, CLASSES));

  it("every block's state, zones and verdict under both rule sets", () => {
    const got = s.blocks.map(
      (b: {
        id: number;
        startPfn: number;
        state: string;
        zones: string[];
        offline: { mainline: Verdict; offlineSkippablePatch: Verdict };
      }) => [b.id, b.startPfn, b.state, b.zones, verdict(b.offline.mainline), verdict(b.offline.offlineSkippablePatch)],
    );
    assert.deepEqual(got, BLOCKS);
  });
});
