// Small real excerpts of crash 8.0.2 / drgn 0.0.22 output captured by `npm run lab:tools` on the
// lab's Debian 6.1 / 6.12 QEMU dumps (test/fixtures/tools/). Expected classes are the vmcore
// engine's on the same dump (`kmemmap export <set>/vmcore.elf`), recorded when the fixture was cut.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';
import { parseStructPageDumps } from '../../../parsers/tools/structPageDump';
import { splitSessionLog } from '../../../parsers/tools/sessionLog';
import { parseDevI, virtioMemPfnRanges } from '../../../parsers/tools/crashDevI';

const FIX = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'tools');
const read = (name: string) => readFileSync(join(FIX, name), 'utf8');

describe('crash and drgn fixtures (real excerpts)', () => {
  it("drgn 0.0.22 REPL prints of struct pages (6.1 balloon dump): classes equal the vmcore engine's", () => {
    const text = read('drgn-0.0.22-6.1-balloon-repl.txt');
    const s = toolOutputSnapshot(text, 'repl');
    assert.equal(s.provenance.format, 'drgn-repl');
    assert.equal(s.kernel.release, '6.1.0-56-amd64');
    // vmcore engine on 6.1-balloon/vmcore.elf
    const expected: [number, string][] = [
      [0, 'reserved'],
      [256, 'kernel-other'],
      [257, 'free'],
      [288, 'free'],
      [4198, 'pagetable'],
      [11264, 'offline-movable'],
      [11429, 'lru-anon'],
      [217110, 'reserved'],
    ];
    for (const [pfn, cls] of expected) assert.equal(className(s.classes[pfn]), cls, `pfn ${pfn}`);
    // PFN 4175 is a slab tail whose head was not printed: the rule for an unreadable head says compound-tail.
    assert.equal(className(s.classes[4175]), 'compound-tail');
    assert.equal(s.pageDetail!(4175)!.rule, 'tail-head-unreadable');
    assert.equal(s.classes[1], CLASS_ID['not-in-listing']);
    const d = s.pageDetail!(11264)!;
    assert.equal(d.rule, 'offline-balloon-mops');
    assert.equal(d.pageType, 'offline');
  });

  it('the same crash session without its kmem -m listing: kmem -p alone, page tables become kernel-other with a warning', () => {
    const segs = read('crash-8.0.2-6.1-balloon-session.txt')
      .split(/(?=^crash> )/m)
      .filter((x) => !x.startsWith('crash> kmem -m'));
    const s = toolOutputSnapshot(segs.join(''), 'session without kmem -m');
    const exp = JSON.parse(read('crash-8.0.2-6.1-balloon-expected.json')) as { runs: [number, number, string][] };
    assert.ok(
      s.provenance.notes.some((n) => /balloon pages from mapping = balloon_mops\|2/.test(n)),
      s.provenance.notes.join('\n'),
    );
    assert.ok(
      s.warnings.some((w) => /page tables and PageOffline pages other than balloon pages show as kernel-other/.test(w)),
    );
    let pagetables = 0;
    for (const [first, count, cls] of exp.runs)
      for (let pfn = first; pfn < first + count; pfn++) {
        const got = className(s.classes[pfn]);
        if (cls === 'pagetable' && got === 'kernel-other') {
          pagetables++;
          continue;
        }
        assert.equal(got, cls, `pfn 0x${pfn.toString(16)}`);
      }
    assert.ok(pagetables > 0);
  });

  it('the drgn REPL print is read member by member: first union alternative, symbolised pointers, counters', () => {
    const segs = splitSessionLog(read('drgn-0.0.22-6.1-balloon-repl.txt'));
    const seg = segs.find((x) => x.command === 'pfn_to_page(prog, 11264)')!;
    const [v] = parseStructPageDumps(seg.lines);
    assert.equal(v.mapcount, -257);
    assert.equal(v.refcount, 1);
    assert.ok(v.symbols.has('balloon_mops'));
    assert.equal(v.mapping! - v.symbols.get('balloon_mops')!, 2n);
  });

  it("a cut drgn 0.0.22 export (6.12 load dump, hugetlb/THP/LRU window): classes equal the vmcore engine's, the rest is not-in-listing", () => {
    const s = toolOutputSnapshot(read('drgn-0.0.22-6.12-load-export-cut.tsv'), 'cut export');
    const exp = JSON.parse(read('drgn-0.0.22-6.12-load-expected.json')) as {
      first: number;
      end: number;
      runs: [number, number, string][];
    };
    assert.equal(s.kernel.release, '6.12.117+deb12-amd64');
    assert.equal(s.kernel.layoutFamily, '6.12-6.13');
    assert.ok(
      s.warnings.some((w) => /cut off/.test(w)),
      s.warnings.join('\n'),
    );
    let n = 0;
    for (const [first, count, cls] of exp.runs)
      for (let pfn = first; pfn < first + count; pfn++, n++)
        assert.equal(className(s.classes[pfn]), cls, `pfn 0x${pfn.toString(16)}`);
    assert.equal(n, exp.end - exp.first);
    assert.equal(s.classes[exp.first - 1], CLASS_ID['not-in-listing']);
    assert.equal(s.classes[exp.end], CLASS_ID['not-in-listing']);
    assert.ok(exp.runs.some((r) => r[2] === 'hugetlb') && exp.runs.some((r) => r[2] === 'compound-tail'));
  });

  it("a crash 8.0.2 session on the 6.1 balloon dump (sys, kmem -n/-i/-f/-g, sym, kmem -m, struct page, partial kmem -p): classes equal the vmcore engine's", () => {
    const text = read('crash-8.0.2-6.1-balloon-session.txt');
    const s = toolOutputSnapshot(text, 'session');
    const exp = JSON.parse(read('crash-8.0.2-6.1-balloon-expected.json')) as {
      windows: [number, number][];
      runs: [number, number, string][];
    };
    assert.equal(s.provenance.format, 'crash-log');
    assert.equal(s.kernel.release, '6.1.0-56-amd64');
    assert.equal(s.sections.length, 8);
    assert.deepEqual(
      s.sections.map((x) => x.flags),
      Array(8).fill('PMOE'),
    );
    assert.equal(s.blocks.length, 8);
    assert.ok(s.provenance.notes.some((n) => /nr_free_pages \d+ \(verified\)/.test(n)));
    assert.ok(
      s.provenance.notes.some((n) =>
        /^`kmem -m _mapcount,compound_dtor,compound_head,private`: \d+ of \d+ rows filled in/.test(n),
      ),
      s.provenance.notes.join('\n'),
    );
    for (const [first, count, cls] of exp.runs)
      for (let pfn = first; pfn < first + count; pfn++)
        assert.equal(className(s.classes[pfn]), cls, `pfn 0x${pfn.toString(16)}`);
    assert.ok(
      exp.runs.some((r) => r[2] === 'pagetable'),
      'the window holds page tables, which need kmem -m',
    );
    // Outside the excerpt's windows: not in this listing, never guessed.
    assert.equal(s.classes[exp.windows[0][1]], CLASS_ID['not-in-listing']);
    assert.equal(s.pageDetail!(exp.windows[0][1])!.class, 'not-in-listing');
  });

  it('crash 8.0.2 `dev -i` on the 6.1 virtio-mem dump: the iomem table gives the virtio-mem device range', () => {
    const segs = splitSessionLog(read('crash-8.0.2-6.1-virtio-mem-dev-i.txt'));
    const iomem = parseDevI(segs[0].lines);
    assert.ok(iomem.some((r) => r.name === 'System RAM' && r.start === 0x100000));
    assert.deepEqual(virtioMemPfnRanges(iomem), [[0x100000, 0x118000]]);
  });
});
