// Issue 13 on real 6.12 data: windows of crash 8.0.6's full `kmem -p` listing of the lab's 6.12
// virtio-mem guest (which also has a balloon), read bare (no `sys`), against drgn's walk of the same
// dump (the matching rows of our drgn export). Where they come from: test/fixtures/tools/README.md.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { className, PageClass } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';

const FIX = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'tools');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');
const listing = read('crash-8.0.6-6.12-virtio-mem-kmem-p-windows.txt');
const sessionHead = read('crash-8.0.6-6.12-virtio-mem-session-windows.txt');
const drgn = toolOutputSnapshot(read('drgn-0.0.22-6.12-virtio-mem-export-windows.tsv'), 'drgn windows');

/** PFN windows of the excerpts ([first, end)); the cut drgn export covers exactly these. */
const WINDOWS: [number, number][] = [
  [0xf0, 0x110],
  [0x1040, 0x1080],
  [0x2800, 0x2840],
  [0x1f340, 0x1f380],
  [0x3fe00, 0x3fe40],
  [0x3ff90, 0x3ffd0],
  [0x100000, 0x100020],
  [0x112bf0, 0x112c30],
];
/** What a kmem -p listing can know on 6.12 (no PG_slab since 6.10: slab is a page type). */
const KNOWABLE = new Set<PageClass>(['reserved', 'lru-anon', 'lru-file']);

const cls = (s: Snapshot, pfn: number) =>
  pfn >= s.startPfn && pfn < s.endPfn ? className(s.classes[pfn - s.startPfn]) : 'not-in-listing';

/** Per window PFN: drgn's class vs ours; counts of "drgn → ours" where they differ. */
function against(s: Snapshot, only?: Set<PageClass>): { n: number; same: number; diff: Record<string, number> } {
  let n = 0,
    same = 0;
  const diff: Record<string, number> = {};
  for (const [a, b] of WINDOWS)
    for (let pfn = a; pfn < b; pfn++) {
      const want = cls(drgn, pfn),
        got = cls(s, pfn);
      if (only && !only.has(want) && !only.has(got)) continue;
      n++;
      if (got === want) same++;
      else diff[`${want} → ${got}`] = (diff[`${want} → ${got}`] ?? 0) + 1;
    }
  return { n, same, diff };
}

describe("crash 8.0.6 on 6.12 (lab virtio-mem guest): a bare kmem -p excerpt against drgn's walk", () => {
  const bare = toolOutputSnapshot(listing, 'bare 6.12 windows');

  it('the excerpts are what they say: 448 listed PFNs, drgn sees every interesting class among them', () => {
    assert.equal(bare.counts.reduce((a, b) => a + b, 0) - bare.counts[22], 448);
    const seen = new Set<string>();
    for (const [a, b] of WINDOWS) for (let pfn = a; pfn < b; pfn++) seen.add(cls(drgn, pfn));
    for (const c of [
      'reserved',
      'free',
      'slab',
      'pagetable',
      'lru-anon',
      'lru-file',
      'offline-movable',
      'offline-skippable',
      'compound-head',
      'compound-tail',
    ])
      assert.ok(seen.has(c), `drgn class ${c} in the windows`);
    assert.equal(drgn.kernel.release, '6.12.118+deb12-amd64');
  });

  it('the names pin the 6.12+ bits, and the layout is left open (6.12-6.13, 6.14-6.18 and 7.2-7.3 agree)', () => {
    assert.equal(bare.kernel.release, undefined);
    assert.equal(bare.kernel.layoutFamily, undefined);
    const notes = bare.provenance.notes.join('\n');
    assert.match(notes, /flag names taken from the kmem -p listing itself/);
    assert.match(notes, /head=bit 6, reserved=bit 13/);
    assert.match(notes, /owner_2=bit 11/);
    // In these windows lru, uptodate and swapbacked are only ever printed together: the bit of each
    // is one of three, and every row that prints one has all three, so the rows still decode.
    assert.match(notes, /lru=bit 3 or 5 or 17 \(printed only together with another name\)/);
    assert.match(
      notes,
      /never printed in this listing, so set in none of its rows: hwpoison, owner_priv_1, slab, active/,
    );
  });

  it('its balloon rows (MAPPING = balloon_mops | 2) date it before 6.17, so they are movable_ops pages, not "other" (reader fix)', () => {
    // Both layouts 6.12-6.13 and 6.14-6.18 fit the names; assuming the newest (6.18) dropped the
    // ≤ 6.16 movable tag and left these rows rule `other`. The tag itself says ≤ 6.16.
    const notes = bare.provenance.notes.join('\n');
    assert.match(notes, /layouts 7\.2-7\.3 ruled out by 23 row\(s\) whose MAPPING is a movable_ops pointer tagged/);
    assert.match(
      notes,
      /rules that depend on the exact kernel version assume 6\.16 \(the newest kernel that fits 23 row\(s\) whose MAPPING is a movable_ops pointer tagged PAGE_MAPPING_MOVABLE \(gone in 6\.17\)\)/,
    );
    const d = bare.pageDetail!(0x2803)!;
    assert.equal(d.rule, 'movable-ops-mapping');
    assert.match(d.why, /balloon or zsmalloc/);
    // A listing without such rows keeps assuming the newest kernel the names allow (7.2-7.3 has these bits too).
    const noBalloon = toolOutputSnapshot(
      listing
        .split('\n')
        .filter((l) => !/ ffffffffaa445572 /.test(l))
        .join('\n'),
      'no balloon rows',
    );
    assert.match(noBalloon.provenance.notes.join('\n'), /assume 7\.3\n/);
  });

  it("every knowable page (reserved, LRU anon/file in drgn's walk or ours) has drgn's class", () => {
    const a = against(bare, KNOWABLE);
    console.log(
      `      knowable: ${a.same} of ${a.n} agree${Object.keys(a.diff).length ? `; differ: ${JSON.stringify(a.diff)}` : ''}`,
    );
    assert.ok(a.same / a.n >= 0.99, JSON.stringify(a));
    assert.deepEqual(a.diff, {});
    assert.equal(a.n, 154);
  });

  it('all listed pages: the differences are the page types and page-type-marked compounds kmem -p cannot show', () => {
    const a = against(bare);
    console.log(`      all: ${a.same} of ${a.n} agree; differ: ${JSON.stringify(a.diff)}`);
    assert.deepEqual(a.diff, {
      // 6.12 marks these in page_type (the _mapcount word), which kmem -p does not print:
      'pagetable → kernel-other': 4, // PGTY_table
      'slab → kernel-other': 22, // PGTY_slab on order-0 slabs (no PG_slab since 6.10)
      'slab → compound-head': 5, // PGTY_slab on the head of a multi-page slab: a compound page
      'slab → compound-tail': 21, // and its tails
      'offline-skippable → kernel-other': 48, // PGTY_offline: virtio-mem's fake-offline pages
      // a movable_ops mapping off the LRU: balloon or zsmalloc until `sym balloon_mops` says which
      'offline-movable → kernel-other': 23,
    });
    assert.equal(a.same, 325);
    assert.equal(bare.pageDetail!(0x2803)!.rule, 'movable-ops-mapping');
  });

  it("with the session's `sym balloon_mops` line pasted beside it, balloon pages are offline-movable as in drgn's walk", () => {
    const sym = sessionHead.split(/(?=^crash> )/m).find((x) => x.startsWith('crash> sym balloon_mops\n'))!;
    const s = toolOutputSnapshot(`${sym}crash> kmem -p\n${listing}`, 'bare + sym');
    const a = against(s);
    assert.equal(a.diff['offline-movable → kernel-other'], undefined, JSON.stringify(a.diff));
    assert.equal(cls(s, 0x2803), 'offline-movable');
    assert.equal(a.same, 325 + 23);
  });

  it("with the session around it (sys, kmem -g, sym balloon_mops, dev -i, kmem -m of the same PFNs), every page has drgn's class", () => {
    const s = toolOutputSnapshot(`${sessionHead}crash> kmem -p\n${listing}`, 'session windows');
    assert.equal(s.kernel.release, '6.12.118+deb12-amd64');
    const a = against(s);
    console.log(
      `      session: ${a.same} of ${a.n} agree${Object.keys(a.diff).length ? `; differ: ${JSON.stringify(a.diff)}` : ''}`,
    );
    assert.deepEqual(a.diff, {});
    assert.equal(a.n, 448);
  });
});
