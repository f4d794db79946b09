// A bare `kmem -p` listing (no `sys`, no `kmem -g`): classes from the flag names crash printed beside
// each FLAGS value (issue 13). Real data: the crash 8.0.2 session of the lab's 6.1 balloon dump
// (test/fixtures/tools/); hand-made rows only for edge cases.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSnapshot } from '../../../memmap/open';
import { className } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';

const FIX = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'tools');
const session = readFileSync(join(FIX, 'crash-8.0.2-6.1-balloon-session.txt'), 'utf8');
const segments = session.split(/(?=^crash> )/m);
const only = (...cmds: string[]) => segments.filter((s) => cmds.some((c) => s.startsWith(`crash> ${c}\n`))).join('');

/** Listed PFNs of `ref` whose class differs in `got`, grouped "ref → got". */
export function agreement(got: Snapshot, ref: Snapshot): { listed: number; same: number; diff: Map<string, number> } {
  let listed = 0,
    same = 0;
  const diff = new Map<string, number>();
  for (let pfn = ref.startPfn; pfn < ref.endPfn; pfn++) {
    const r = className(ref.classes[pfn - ref.startPfn]);
    if (r === 'not-in-listing' || r === 'no-memmap') continue;
    listed++;
    const g = pfn >= got.startPfn && pfn < got.endPfn ? className(got.classes[pfn - got.startPfn]) : 'not-in-listing';
    if (g === r) same++;
    else diff.set(`${r} → ${g}`, (diff.get(`${r} → ${g}`) ?? 0) + 1);
  }
  return { listed, same, diff };
}

const report = (what: string, a: ReturnType<typeof agreement>) =>
  `${what}: ${a.same} of ${a.listed} listed PFNs agree (${((100 * a.same) / a.listed).toFixed(2)} %)${a.diff.size ? `; differ: ${[...a.diff].map(([k, v]) => `${k} ×${v}`).join(', ')}` : ''}`;

describe('a bare kmem -p listing (release unknown): classes from the flag names it printed', () => {
  it('crash 8.0.2 on 6.1: the listing alone gives the classes it gives with `sys` (every listed page)', () => {
    const bare = toolOutputSnapshot(only('kmem -p'), 'bare');
    const withSys = toolOutputSnapshot(only('sys', 'kmem -p'), 'with sys');
    assert.equal(bare.kernel.release, undefined);
    assert.equal(bare.kernel.layoutFamily, '5.15-6.1');
    assert.equal(withSys.kernel.layoutFamily, '5.15-6.1');
    const notes = bare.provenance.notes.join('\n');
    assert.match(
      notes,
      /flag names taken from the kmem -p listing itself \(144 of 832 rows print names; head=bit 16, slab=bit 9\)/,
    );
    assert.match(notes, /layout 5\.15-6\.1 \(kernels 5\.15–6\.5\) inferred from the listing/);
    assert.match(notes, /compound sizes read from page\[1\] as compound_nr in the upper half of mapping \(6\.0–6\.2\)/);
    assert.match(
      notes,
      /rules that depend on the exact kernel version assume 6\.2 \(the newest kernel that fits the page\[1\] rows of its compound pages and 64 row\(s\) whose MAPPING is a movable_ops pointer tagged PAGE_MAPPING_MOVABLE \(gone in 6\.17\)\)/,
    );
    const a = agreement(bare, withSys);
    console.log(`      ${report('bare kmem -p vs sys + kmem -p', a)}`);
    assert.equal(a.listed, 832);
    assert.equal(a.same, a.listed, report('bare vs with sys', a));
    assert.ok(bare.counts[5] > 0 && withSys.counts[5] === bare.counts[5], 'slab pages (heads, tails) are found');
  });

  it('crash 8.0.2 on 6.1: the whole session without its `sys` block (kmem -g still there) classifies as with it', () => {
    const noSys = toolOutputSnapshot(segments.filter((s) => !s.startsWith('crash> sys\n')).join(''), 'no sys');
    const full = toolOutputSnapshot(session, 'session');
    const a = agreement(noSys, full);
    console.log(`      ${report('session without sys vs session', a)}`);
    assert.ok(a.same / a.listed >= 0.99, report('without sys', a));
    assert.equal(a.same, a.listed, report('without sys', a));
  });

  it('crash 8.0.2 on 6.1: without `sys` and `kmem -g` but with kmem -m (page_type, compound_head), the names still decode every page as with them', () => {
    const noRelease = toolOutputSnapshot(
      segments.filter((x) => !x.startsWith('crash> sys\n') && !x.startsWith('crash> kmem -g\n')).join(''),
      'no sys, no kmem -g',
    );
    const full = toolOutputSnapshot(session, 'session');
    assert.equal(noRelease.kernel.layoutFamily, '5.15-6.1');
    const a = agreement(noRelease, full);
    console.log(`      ${report('session without sys and kmem -g vs session', a)}`);
    assert.equal(a.same, a.listed, report('without sys and kmem -g', a));
    assert.ok(
      full.counts[6] > 0 && noRelease.counts[6] === full.counts[6],
      'page tables (page_type from kmem -m) are found',
    );
  });

  describe("windows of the full crash 8.0.2 listing of the lab 6.1 balloon dump (no sys), against drgn's walk of that dump", () => {
    const windows = readFileSync(join(FIX, 'crash-8.0.2-6.1-balloon-kmem-p-windows.txt'), 'utf8');
    const exp = JSON.parse(readFileSync(join(FIX, 'crash-8.0.2-6.1-balloon-kmem-p-windows-expected.json'), 'utf8')) as {
      runs: [number, number, string][];
    };
    /** Pages whose class differs from drgn's, as "pfn drgn → ours (rule)". */
    const check = (s: Snapshot, balloonAs: string): string[] => {
      const seen = new Set<string>();
      const diff: string[] = [];
      for (const [first, count, cls] of exp.runs)
        for (let pfn = first; pfn < first + count; pfn++) {
          seen.add(cls);
          const got = className(s.classes[pfn - s.startPfn]);
          if (got !== (cls === 'offline-movable' ? balloonAs : cls))
            diff.push(`0x${pfn.toString(16)} ${cls} → ${got} (${s.pageDetail!(pfn)!.rule})`);
        }
      for (const c of ['reserved', 'free', 'lru-anon', 'lru-file', 'slab', 'offline-movable', 'kernel-other'])
        assert.ok(seen.has(c), c);
      return diff;
    };
    // The window at 0x3215e starts inside a slab page: its first two rows are that page's tails,
    // whose head is not in the excerpt (compound tails with an unreadable head, never free).
    const EXPECTED_DIFF = [
      '0x3215e slab → compound-tail (tail-head-unreadable)',
      '0x3215f slab → compound-tail (tail-head-unreadable)',
    ];

    it("every page has drgn's class, except balloon pages, which a bare listing can only call movable_ops pages (kernel-other)", () => {
      const s = toolOutputSnapshot(windows, 'windows');
      assert.equal(s.kernel.layoutFamily, '5.15-6.1');
      assert.deepEqual(check(s, 'kernel-other'), EXPECTED_DIFF);
      assert.equal(s.pageDetail!(11264)!.rule, 'movable-ops-mapping');
      assert.deepEqual(
        s.sections.map((x) => x.nr),
        [0, 3, 6, 7],
      ); // only the sections its rows touch
    });

    it("with the `sym balloon_mops` line pasted beside it, the balloon pages are offline-movable as in drgn's walk", () => {
      const s = toolOutputSnapshot(
        `crash> sym balloon_mops\nffffffff8c83f3c0 (D) balloon_mops\ncrash> kmem -p\n${windows}`,
        'windows + sym',
      );
      assert.deepEqual(check(s, 'offline-movable'), EXPECTED_DIFF);
    });
  });

  it('the bare listing without any flag names stays unknown, with the reason', () => {
    const rows = only('kmem -p')
      .split('\n')
      .filter((l) => !/[a-z]{3}/.test(l.slice(60)))
      .join('\n');
    const s = toolOutputSnapshot(rows, 'no names');
    assert.ok(s.counts[0] > 0, 'unknown');
    assert.ok(
      s.warnings.some((w) => /kmem -p rows print no flag names: page states cannot be decoded/.test(w)),
      s.warnings.join('\n'),
    );
  });

  // Hand-made rows in the 6.12 layout (reserved 13, lru 5, head 6, owner_2 11): edge cases only.
  const HDR = '      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS';
  const ROWS_612 = [
    'ffffea0004000000 100000000                0        0  1 17ffffc0002000 reserved',
    'ffffea0004000040 100001000 ffff8cd6c26aace9      120  2 17ffffc002012c referenced,uptodate,lru,active,swapbacked',
    'ffffea0004000080 100002000 ffff8cd6c26aaceb      121  2 17ffffc002012c referenced,uptodate,lru,active,swapbacked',
    'ffffea00040000c0 100003000 ffff8cd6c3b0d2a0       17  1 17ffffc0000028 uptodate,lru',
    'ffffea0004000100 100004000                0        0  1 17ffffc0000040 head',
    'ffffea0004000140 100005000                0        0  1 17ffffc0000001 locked',
    'ffffea0004000180 100006000                0        0  0 17ffffc0000000',
    'ffffea00040001c0 100007000 ffff8cd6c26aace8        3  1 17ffffc0000808 uptodate,owner_2',
  ];

  it('6.12-era rows: names pin the bits, several layouts agree, so the layout is left open and pages are decoded by names', () => {
    const s = toolOutputSnapshot([HDR, ...ROWS_612].join('\n'), '6.12 rows');
    const cls = (pfn: number) => className(s.classes[pfn - s.startPfn]);
    assert.equal(s.kernel.layoutFamily, undefined);
    assert.deepEqual([0x100000, 0x100001, 0x100002, 0x100003, 0x100004, 0x100005, 0x100006].map(cls), [
      'reserved',
      'lru-anon',
      'lru-anon',
      'lru-file',
      'compound-head',
      'compound-tail',
      'free',
    ]);
    assert.equal(s.pageDetail!(0x100002)!.rule, 'lru-ksm');
    assert.equal(s.pageDetail!(0x100001)!.rule, 'lru-anon');
    const notes = s.provenance.notes.join('\n');
    assert.match(
      notes,
      /layouts 6\.12-6\.13, 6\.14-6\.18, 7\.2-7\.3 all agree with the names the listing printed: layout left open/,
    );
    assert.match(notes, /head=bit 6, reserved=bit 13, lru=bit 5/);
    assert.match(notes, /rules that depend on the exact kernel version assume 7\.3/);
  });

  it('rows hard-wrapped at 80 columns by a terminal (inside a name) are joined back', () => {
    const wrap = (l: string) => (l.length > 80 ? [l.slice(0, 80), l.slice(80)] : [l]);
    const s = toolOutputSnapshot([HDR, ...ROWS_612.flatMap(wrap)].join('\n'), 'wrapped');
    assert.ok(
      ROWS_612.some((r) => r.length > 80 && !/[ ,]/.test(r[79])),
      'a row is cut inside a name',
    );
    const long = ROWS_612.filter((r) => r.length > 80).length;
    assert.ok(
      s.provenance.notes.some((n) => n.includes(`${long} flag-name list(s) wrapped onto the next line were joined`)),
      s.provenance.notes.join('\n'),
    );
    assert.deepEqual(
      [0x100001, 0x100002].map((p) => className(s.classes[p - s.startPfn])),
      ['lru-anon', 'lru-anon'],
    );
    assert.ok(!s.warnings.some((w) => /no FLAGS bit explains/.test(w)), s.warnings.join('\n'));
  });

  it("a release newer than every known layout (`sys` says 7.1): the names still decode the rows, and the version is the release's", () => {
    const s = toolOutputSnapshot(
      ['crash> sys', '     RELEASE: 7.1.0-1-amd64', 'crash> kmem -p', HDR, ...ROWS_612].join('\n'),
      'future',
    );
    assert.equal(s.kernel.release, '7.1.0-1-amd64');
    assert.deepEqual(
      [0x100000, 0x100001, 0x100003].map((p) => className(s.classes[p - s.startPfn])),
      ['reserved', 'lru-anon', 'lru-file'],
    );
    assert.ok(
      s.provenance.notes.some((n) => /flag names taken from the kmem -p listing itself/.test(n)),
      s.provenance.notes.join('\n'),
    );
  });

  it('a `slab` name beside 6.12-era bits: no known layout agrees, so none is claimed; the names still decode the rows', () => {
    const rows = [...ROWS_612, 'ffffea0004000200 100008000 ffff8cd6c1042a00        0  1 17ffffc0004000 slab'];
    const s = toolOutputSnapshot([HDR, ...rows].join('\n'), 'no layout');
    assert.equal(s.kernel.layoutFamily, undefined);
    assert.ok(
      s.warnings.some((w) => /no known page-flag layout agrees/.test(w)),
      s.warnings.join('\n'),
    );
    assert.equal(className(s.classes[0x100008 - s.startPfn]), 'slab');
    assert.equal(className(s.classes[0x100000 - s.startPfn]), 'reserved');
  });

  it('one bit printed as owner_2 in one row and as slab in another: the names contradict the values, so pages stay unknown', () => {
    const rows = [...ROWS_612, 'ffffea0004000200 100008000 ffff8cd6c1042a00        0  1 17ffffc0000800 slab'];
    const s = toolOutputSnapshot([HDR, ...rows].join('\n'), 'mixed');
    assert.ok(
      s.warnings.some((w) =>
        /flag names that no FLAGS bit explains in every row \(damaged or mixed rows\?\): owner_2, slab/.test(w),
      ),
      s.warnings.join('\n'),
    );
    assert.ok(
      s.warnings.some((w) =>
        /inconsistent with its FLAGS values for owner_2, slab: page states cannot be decoded/.test(w),
      ),
    );
    assert.equal(className(s.classes[0x100008 - s.startPfn]), 'unknown');
    assert.equal(className(s.classes[0x100000 - s.startPfn]), 'unknown');
  });

  it('drgn crash mode (`%crash kmem -p`: CNT in hex, PG_ names joined by |) is read the same way', () => {
    const rows = ROWS_612.slice(0, 4).map((r) =>
      r.replace(
        / ([a-z,_]+)$/,
        (_, n: string) =>
          ' ' +
          n
            .split(',')
            .map((x) => 'PG_' + x)
            .join('|'),
      ),
    );
    const s = toolOutputSnapshot(['>>> %crash kmem -p', HDR, ...rows, '>>> '].join('\n'), 'drgn');
    assert.deepEqual(
      [0x100000, 0x100001, 0x100003].map((p) => className(s.classes[p - s.startPfn])),
      ['reserved', 'lru-anon', 'lru-file'],
    );
    assert.ok(s.provenance.notes.some((n) => /CNT read as hexadecimal/.test(n)));
  });

  it('6.1 rows: a movable_ops mapping (mapping & 3 == 2) off the LRU says balloon or zsmalloc, not a guess', () => {
    const rows = [
      'fffffafdc0000000        0                0        0  1 7ffffc0001000 reserved',
      'fffffafdc0041380  104e000 ffff8cd6c1042a00        0  1 fffffc0010200 slab,head',
      'fffffafdc42d5000 10b540000 ffffffff8783f3c2        1  1 17ffffc0000000',
    ];
    const s = toolOutputSnapshot([HDR, ...rows].join('\n'), 'balloon row');
    const d = s.pageDetail!(0x10b540)!;
    assert.equal(d.rule, 'movable-ops-mapping');
    assert.equal(d.class, 'kernel-other');
    assert.match(d.why, /balloon or zsmalloc/);
  });

  describe('a 50-line slice pasted from a mail (quoted, CRLF, prompt glued, a wrapped name list)', () => {
    const listing = only('kmem -p').split('\n');
    const start = listing.findIndex((l) => / 1050000 .* slab,head$/.test(l)) + 1; // starts inside a slab page
    const rows = listing.slice(start, start + 50);
    /** How a mail client sends it: quoted, CRLF, the next prompt glued to the last row, long rows wrapped at a space. */
    const mail = (quote: string) => {
      const wrapped = rows.flatMap((r) =>
        r.length > 72 && / \S+,\S+$/.test(r) ? [r.replace(/ (\S+)$/, ''), r.replace(/^.* /, '')] : [r],
      );
      wrapped[wrapped.length - 1] += 'crash> ';
      return [
        'On Tue, someone wrote:',
        `${quote}crash> kmem -p 1051000`,
        ...wrapped.map((l) => quote + l),
        '',
        'Any idea?',
      ].join('\r\n');
    };
    const full = toolOutputSnapshot(only('kmem -p'), 'full listing');
    const fullClass = (pfn: number) => className(full.classes[pfn - full.startPfn]);

    it('the same slice starting at the slab head: all 50 pages as in the full listing; nothing outside it exists', () => {
      const from = listing.slice(start - 1, start + 49);
      const s = toolOutputSnapshot(
        ['> crash> kmem -p 1050000', ...from.map((l) => '> ' + l)].join('\r\n'),
        'head slice',
      );
      const first = 0x1050;
      for (let pfn = first; pfn < first + 50; pfn++)
        assert.equal(className(s.classes[pfn - s.startPfn]), fullClass(pfn), `pfn 0x${pfn.toString(16)}`);
      assert.equal(s.pageDetail!(first - 1), undefined);
      assert.equal(s.pageDetail!(first + 50), undefined);
      assert.equal(
        s.counts.reduce((a, b) => a + b, 0),
        50,
      );
    });

    it('a file holding only quoted CRLF rows (no header, no prompt) is opened as crash output by its content', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kmemmap-slice-'));
      const file = join(dir, 'pasted.txt');
      writeFileSync(
        file,
        rows
          .slice(0, 20)
          .map((l) => '> ' + l)
          .join('\r\n'),
      );
      const s = await openSnapshot(file);
      assert.equal(s.provenance.format, 'crash-log');
      assert.equal(s.kernel.layoutFamily, '5.15-6.1');
      assert.equal(s.endPfn - s.startPfn, 20);
      for (let pfn = s.startPfn; pfn < s.endPfn; pfn++)
        if (className(s.classes[pfn - s.startPfn]) !== fullClass(pfn))
          assert.equal(s.pageDetail!(pfn)!.rule, 'tail-head-unreadable', `pfn 0x${pfn.toString(16)}`);
    });

    for (const quote of ['> ', '>> ']) {
      it(`quoted with "${quote.trim()}": its pages have the full listing's classes, except slab tails whose head precedes the slice`, () => {
        const s = toolOutputSnapshot(mail(quote), 'mail');
        const first = parseInt(rows[0].split(/\s+/)[1], 16) / 4096,
          last = parseInt(rows[49].split(/\s+/)[1], 16) / 4096;
        assert.equal(s.startPfn, first);
        assert.equal(s.endPfn, last + 1);
        assert.equal(s.sections.length, 1);
        assert.equal(s.kernel.layoutFamily, '5.15-6.1');
        const notes = s.provenance.notes.join('\n');
        assert.match(notes, new RegExp(`mail quoting \\(depth ${quote.trim().length}\\) removed`));
        assert.match(notes, /flag-name list\(s\) wrapped onto the next line were joined/);
        assert.match(notes, /3 tail page\(s\) of compound pages whose head is not listed/);
        const diff: string[] = [];
        let same = 0;
        for (let pfn = first; pfn <= last; pfn++) {
          const got = className(s.classes[pfn - s.startPfn]),
            want = fullClass(pfn);
          if (got === want) same++;
          else diff.push(`0x${pfn.toString(16)} ${want} → ${got} (${s.pageDetail!(pfn)!.rule})`);
        }
        console.log(
          `      slice: ${same} of 50 pages as in the full listing${diff.length ? `; differ: ${diff.join(', ')}` : ''}`,
        );
        // The exceptions: the tails of the order-2 slab page at 0x1050, whose head is just before the
        // slice: compound tails whose head cannot be read (not slab, but never a free page).
        assert.deepEqual(diff, [
          '0x1051 slab → compound-tail (tail-head-unreadable)',
          '0x1052 slab → compound-tail (tail-head-unreadable)',
          '0x1053 slab → compound-tail (tail-head-unreadable)',
        ]);
      });
    }
  });
});
