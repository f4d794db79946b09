// Tool output of a machine whose pages are not 4 KiB (arm64 16K/64K kernels): a drgn export names
// its page size and section size, and is drawn in them; a crash listing's rows show the page size
// by how far apart their PHYSICAL addresses are, and a listing in other than 4 KiB pages is refused
// with the reason instead of being drawn with PFNs four times too large.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';
import { SnapshotError } from '../../../parsers/errors';
import { kmemPPageStep } from '../../../parsers/tools/crashKmemP';

const fixture = (f: string) => readFileSync(join('test/fixtures/tools', f), 'utf8');
const EXPORT = fixture('drgn-0.0.22-6.12-load-export-cut.tsv');
const SESSION = fixture('crash-8.0.2-6.1-balloon-session.txt');

describe('tool output: the page size of the machine', () => {
  it('a real x86_64 drgn export and crash session are read in 4 KiB pages, from what they print', () => {
    const d = toolOutputSnapshot(EXPORT, 'export.tsv');
    assert.equal(d.kernel.pageSize, 4096);
    assert.equal(d.pfnsPerSection, 32768);
    assert.equal(d.pageDetail?.(0xe300)?.physAddr, 0xe300n * 4096n);
    assert.equal(kmemPPageStep(SESSION), 4096);
    assert.equal(toolOutputSnapshot(SESSION, 'session.txt').kernel.pageSize, 4096);
  });

  it('a drgn export of a 16 KiB-page machine (arm64-16k) is drawn in its own pages and 8192-PFN sections', () => {
    const arm = EXPORT.replace('@machine x86_64', '@machine aarch64')
      .replace('@page_size 4096', '@page_size 16384')
      .replace('@pfns_per_section 32768', '@pfns_per_section 8192');
    const s = toolOutputSnapshot(arm, 'export-16k.tsv');
    assert.equal(s.kernel.pageSize, 16384);
    assert.equal(s.pfnsPerSection, 8192);
    assert.equal(s.pageDetail?.(0xe300)?.physAddr, 0xe300n * 16384n);
    assert.ok(!s.warnings.some((w) => /pfns_per_section/.test(w)), s.warnings.join('\n'));
  });

  it('an export whose @page_size is no page size says so and assumes 4 KiB', () => {
    const s = toolOutputSnapshot(EXPORT.replace('@page_size 4096', '@page_size 12345'), 'export.tsv');
    assert.equal(s.kernel.pageSize, 4096);
    assert.ok(s.warnings.some((w) => /@page_size 12345 is not a page size/.test(w)));
  });

  it('a crash kmem -p listing whose rows are 16 KiB apart is refused naming the page size', () => {
    // the session's kmem -p rows with each PHYSICAL address times four: what a 16 KiB-page machine prints
    const scaled = SESSION.replace(
      /^([0-9a-f]{16}\s+)([0-9a-f]+)(\s)/gm,
      (_, a: string, phys: string, b: string) => `${a}${(BigInt('0x' + phys) * 4n).toString(16)}${b}`,
    );
    assert.equal(kmemPPageStep(scaled), 16384);
    assert.throws(
      () => toolOutputSnapshot(scaled, 'arm64-session.txt'),
      (e: unknown) =>
        e instanceof SnapshotError &&
        /arm64-session\.txt/.test(e.message) &&
        /16384 bytes of physical memory apart: the machine has 16 KiB pages/.test(e.message),
    );
  });

  it('a crash log says where its 4 KiB pages come from, and a log that cannot show it warns that they are assumed', () => {
    const fromRows = toolOutputSnapshot(SESSION, 'session.txt');
    assert.ok(
      fromRows.provenance.notes.includes('page size 4 KiB: its kmem -p rows are 4 KiB of physical memory apart'),
    );
    // the session's sys and kmem -n only: no kmem -p rows; MACHINE x86_64 says 4 KiB
    const parts = SESSION.split(/^(?=crash> )/m);
    const sysAndSections = parts.filter((p) => /^crash> (sys|kmem -n)\b/.test(p)).join('');
    const x86 = toolOutputSnapshot(sysAndSections, 'sections.txt');
    assert.ok(x86.provenance.notes.includes('page size 4 KiB: the machine is x86_64'), x86.provenance.notes.join('\n'));
    assert.ok(!x86.warnings.some((w) => /4 KiB pages assumed/.test(w)));
    // without the MACHINE line nothing in the log shows the page size
    const bare = toolOutputSnapshot(sysAndSections.replace(/^\s*MACHINE:.*$/m, ''), 'bare.txt');
    assert.ok(
      bare.warnings.some((w) =>
        /does not show its page size \(no run of kmem -p rows, no MACHINE line\): 4 KiB pages assumed/.test(w),
      ),
      bare.warnings.join('\n'),
    );
  });

  it('rows that are not one struct page apart say nothing about the page size', () => {
    assert.equal(kmemPPageStep('fffffb68c0000000        0   0 0 1 7ffffc0001000 reserved\n'), undefined);
  });
});
