// Hand-made edge cases: truncated logs, interleaved prompts, unknown columns and other crash
// layouts give a clear error or a partial snapshot with warnings, never an exception from deep inside.
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLASS_ID } from '../../../kernel/pageClasses';
import { SnapshotError } from '../../../parsers/errors';
import { detectInput, openSnapshot } from '../../../memmap/open';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';
import { parseDrgnExport } from '../../../parsers/tools/drgnExport';
import { splitSessionLog } from '../../../parsers/tools/sessionLog';

const HDR = '      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS';
// Real 8.0.2 rows on 6.1 (docs/dump-formats.md, "crash kmem -p rows"), PFNs 0x0, 0x104e, 0x101.
const ROWS = [
  'fffffafdc0000000        0                0        0  1 7ffffc0001000 reserved',
  'fffffafdc0004040   101000                0        0  0 7ffffc0000000',
  'fffffafdc0041380  104e000 ffff8cd6c1042a00        0  1 fffffc0010200 slab,head',
];
const SYS = [
  'crash> sys',
  '      KERNEL: vmlinux-6.1.0-56-amd64',
  '     RELEASE: 6.1.0-56-amd64',
  '     MACHINE: x86_64  (2399 Mhz)',
];

function tmpFile(name: string, text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'kmemmap-tools-'));
  const p = join(d, name);
  writeFileSync(p, text);
  return p;
}

describe('tool outputs: bad and unusual input', () => {
  it('splits a session log at prompts, also prompts glued to an output line', () => {
    const w: string[] = [];
    const segs = splitSessionLog(
      ['crash> sys', '     RELEASE: 6.1.0', 'some outputcrash> kmem -i', 'TOTAL MEM 1', 'crash> '].join('\n'),
      w,
    );
    assert.deepEqual(
      segs.map((s) => s.command),
      ['sys', 'kmem -i', ''],
    );
    assert.deepEqual(segs[0].lines, ['     RELEASE: 6.1.0', 'some output']);
    assert.match(w.join(), /glued/);
  });

  it('classifies a pasted kmem -p listing (no prompts) and marks other PFNs not-in-listing', () => {
    const s = toolOutputSnapshot([...SYS, 'crash> kmem -p', HDR, ...ROWS].join('\n'), 'pasted');
    assert.equal(s.kernel.release, '6.1.0-56-amd64');
    assert.equal(s.classes[0], CLASS_ID.reserved);
    assert.equal(s.classes[0x101], CLASS_ID.free);
    assert.equal(s.classes[0x104e], CLASS_ID.slab);
    assert.equal(s.classes[1], CLASS_ID['not-in-listing']);
    assert.ok(
      s.warnings.some((x) => /kmem -n/.test(x)),
      'warns that there is no section table',
    );
  });

  it('a truncated listing gives a partial snapshot with a warning about the cut row', () => {
    const text = [...SYS, 'crash> kmem -p', HDR, ...ROWS.slice(0, 2), 'fffffafdc0041380  104e000 ffff8cd6c10'].join(
      '\n',
    );
    const s = toolOutputSnapshot(text, 'cut');
    assert.equal(s.classes[0x101 - s.startPfn], CLASS_ID.free);
    // Without a section table the snapshot covers what the listing covers: the cut row is outside it.
    assert.equal(s.startPfn, 0);
    assert.equal(s.endPfn, 0x102);
    assert.equal(s.pageDetail!(0x104e), undefined);
    assert.ok(
      s.warnings.some((x) => /could not be read/.test(x)),
      s.warnings.join('\n'),
    );
  });

  it('a listing with an unknown header (pre-2.6 INODE layout) is reported, not misread', () => {
    const text = [
      'crash> kmem -p',
      '  PAGE    PHYSICAL   INODE     OFFSET  CNT FLAGS',
      'c1000000  0  0  0  1 400',
    ].join('\n');
    assert.throws(
      () => toolOutputSnapshot(text, 'old'),
      (e: unknown) => e instanceof SnapshotError && /no page listing/.test(e.message),
    );
  });

  it('unknown kernel release and no kmem -g: the flag names the rows print decode them, and say so', () => {
    const s = toolOutputSnapshot(['crash> kmem -p', HDR, ...ROWS].join('\n'), 'norel');
    assert.equal(s.classes[0], CLASS_ID.reserved);
    assert.equal(s.classes[0x104e], CLASS_ID.slab);
    // 5.10 and 5.15-6.1 have the same bits: nothing in these rows tells them apart, so none is named
    assert.equal(s.kernel.layoutFamily, undefined);
    assert.ok(
      s.provenance.notes.some((x) => /layouts 5\.10, 5\.15-6\.1 all agree/.test(x)),
      s.provenance.notes.join('\n'),
    );
    assert.ok(
      s.warnings.some((x) => /release unknown/.test(x)),
      s.warnings.join('\n'),
    );
    assert.ok(
      s.provenance.notes.some((x) => /flag names taken from the kmem -p listing itself/.test(x)),
      s.provenance.notes.join('\n'),
    );
  });

  it('unknown kernel release, no kmem -g and no flag names: pages are unknown with a clear warning', () => {
    const s = toolOutputSnapshot(
      ['crash> kmem -p', HDR, ...ROWS.map((r) => r.replace(/ [a-z,]+$/, ''))].join('\n'),
      'norel',
    );
    assert.equal(s.classes[0], CLASS_ID.unknown);
    assert.ok(
      s.warnings.some((x) => /release unknown.*print no flag names: page states cannot be decoded/.test(x)),
      s.warnings.join('\n'),
    );
  });

  it('kmem -g alone is enough to decode flags', () => {
    const g = [
      'crash> kmem -g',
      'PAGE-FLAG       BIT  VALUE',
      'PG_locked         0  0000001',
      'PG_lru            4  0000010',
      'PG_slab           9  0000200',
      'PG_reserved      12  0001000',
      'PG_head          16  0010000',
      'PG_hwpoison      23  0800000',
    ];
    const s = toolOutputSnapshot([...g, 'crash> kmem -p', HDR, ...ROWS].join('\n'), 'g');
    assert.equal(s.classes[0], CLASS_ID.reserved);
    assert.equal(s.classes[0x104e], CLASS_ID.slab);
  });

  it('kmem -n with unknown STATE letters and an older block table without NODE still parses', () => {
    const n = [
      'crash> kmem -n',
      'NR      SECTION        CODED_MEM_MAP        MEM_MAP       STATE PFN',
      ' 0  ffff8cd73fe83000  fffffafdc0000000  fffffafdc0000000  PMOEX  0',
      ' 1  ffff8cd73fe83020  fffffafdc0000000  fffffafdc0200000  PM  32768',
      '',
      '   MEM_BLOCK        NAME        PHYSICAL RANGE      STATE   START_SECTION_NO',
      ' ffff8cd6c11f2c00   memory0           0 -  7ffffff  ONLINE  0',
      ' ffff8cd6c11f2d00   memory1     8000000 -  fffffff  OFFLINE  1',
    ];
    const s = toolOutputSnapshot([...SYS, ...n, 'crash> kmem -p', HDR, ...ROWS].join('\n'), 'n');
    assert.ok(
      s.warnings.some((x) => /unknown section STATE letters X/.test(x)),
      s.warnings.join('\n'),
    );
    assert.equal(s.sections[1].state, 'offline');
    assert.equal(s.blocks.length, 2);
    assert.equal(s.blocks[1].state, 'offline');
    assert.equal(s.classes[40000], CLASS_ID['not-in-listing']);
  });

  it('drgn export: cut off, bad rows and a newer version give warnings, not exceptions', () => {
    const x = parseDrgnExport(
      [
        '# kmemmap-drgn-export 2',
        '@release 6.12.117+deb12-amd64',
        'S 0 f',
        '10 0 0 0 0 0 ffffffff 1',
        'zz',
        '11 nothex',
      ].join('\n'),
    );
    assert.ok(x.warnings.some((w) => /newer/.test(w)));
    assert.ok(x.warnings.some((w) => /cut off/.test(w)));
    assert.ok(x.warnings.some((w) => /fewer than 8|unknown line/.test(w)));
    assert.equal(x.image.pages, 1);
  });

  it('a text file that is neither crash nor drgn output is rejected by openSnapshot with what it accepts', async () => {
    const p = tmpFile('notes.txt', 'hello\nworld\n');
    assert.equal((await detectInput(p)).kind, 'unknown');
    await assert.rejects(openSnapshot(p), (e: unknown) => e instanceof SnapshotError && /crash output/.test(e.message));
  });

  it('openSnapshot opens a crash log file', async () => {
    const p = tmpFile('crash.log', [...SYS, 'crash> kmem -p', HDR, ...ROWS].join('\n'));
    assert.equal((await detectInput(p)).kind, 'tool-output');
    const s = await openSnapshot(p);
    assert.equal(s.provenance.format, 'crash-log');
    assert.equal(s.classes[0x104e], CLASS_ID.slab);
  });

  it('crash 9.x prompt names and drgn crash-mode kmem -p (hex CNT) are understood', () => {
    const text = [
      'crash-9.0.1> sys',
      '     RELEASE: 6.1.0-56-amd64',
      '>>> %crash kmem -p',
      HDR,
      'fffffafdc0004040   101000                0        0  0 7ffffc0000000',
      'fffffafdc0004080   102000                0        0  a 7ffffc0000000',
    ].join('\n');
    const s = toolOutputSnapshot(text, 'drgn-crash-mode');
    assert.equal(s.kernel.release, '6.1.0-56-amd64');
    assert.equal(s.classes[0x101 - s.startPfn], CLASS_ID.free);
    assert.equal(s.classes[0x102 - s.startPfn], CLASS_ID['kernel-other']);
    assert.equal(s.pageDetail!(0x102)!.refcount, 10);
  });

  it('kmem -m rows whose fields run together (_refcount followed by mapping, crash 8.0.2) are reported, not misread', () => {
    const text = [
      ...SYS,
      'crash> kmem -p',
      HDR,
      ...ROWS,
      'crash> kmem -m flags,_mapcount,_refcount,mapping,private',
      '      PAGE              FLAGS       _mapcount  _refcount  mapping  private',
      'fffffafdc0004040  0017ffffc0000000  -257  00000001ffffffff8783f3c2  18446617452749342960',
      'crash> kmem -m _mapcount,private',
      '      PAGE        _mapcount  private',
      'fffffafdc0004040  -129  3',
    ].join('\n');
    const s = toolOutputSnapshot(text, 'quirk');
    assert.ok(
      s.warnings.some((w) => /unexpected number of fields/.test(w)),
      s.warnings.join('\n'),
    );
    const d = s.pageDetail!(0x101)!;
    assert.equal(d.pageType, 'buddy');
    assert.equal(d.raw.private, '0x3');
  });
});
