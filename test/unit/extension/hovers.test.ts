// Pure hover logic: C identifiers, a real git format-patch fixture, crash/drgn/dmesg output.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { computeHover, identifierAt, type HoverRequest } from '../../../extension/hovers/hoverContent';
import { looksLikePatch, patchChangesFor } from '../../../extension/hovers/patchContext';
import { resolveKernel } from '../../../kernel/decode';
import { detectKernelInText } from '../../../kernel/knowledge/detectKernel';

const PATCH = readFileSync(
  resolve(__dirname, '../../../../test/fixtures/patches/v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch'),
  'utf8',
);
const k61 = resolveKernel('6.1.0-26-amd64', 'crash sys')!;
const k612 = resolveKernel('6.12.117+deb12-amd64', 'dmesg banner')!;

function hoverOn(line: string, needle: string, req: Partial<HoverRequest> = {}) {
  const character = line.indexOf(needle) + 1;
  assert.ok(character > 0, `${needle} in ${line}`);
  return computeHover({ lineText: line, character, kind: 'log', ...req });
}

describe('hovers: C and headers', () => {
  it('finds the identifier under the cursor', () => {
    assert.deepEqual(identifierAt('if (PageOffline(page) && page_count(page))', 6), {
      word: 'PageOffline',
      start: 4,
      end: 15,
    });
    assert.equal(identifierAt('   ', 1), undefined);
  });

  it('explains accessors with the kernel version and a definition link', () => {
    const h = hoverOn('	if (PageOffline(page) && page_count(page))', 'PageOffline', { kind: 'c', kernel: k612 })!;
    assert.match(h.markdown, /PGTY\\_offline/);
    assert.match(h.markdown, /kernel 6\\\.12\\\.117\\\+deb12\\-amd64/);
    assert.match(h.markdown, /\[Definition: include\/linux\/page\\-flags\\\.h/);
    assert.match(h.markdown, /logically offline/);
    assert.equal(h.symbol, 'PageOffline');
    assert.equal(hoverOn('struct page *page;', 'page', { kind: 'c' })?.symbol, 'struct page');
    assert.equal(hoverOn('struct page *page;', 'page;', { kind: 'c' }), undefined);
    assert.equal(hoverOn('int x = foo(bar);', 'foo', { kind: 'c' }), undefined);
  });
});

describe('hovers: a git format-patch of the PG_offline_skippable change (6.12 tree)', () => {
  const lines = PATCH.split('\n');
  const req = (line: string): Partial<HoverRequest> => ({
    kind: 'patch',
    kernel: k612,
    documentText: () => PATCH,
    lineText: line,
  });

  it('is a real format-patch with the expected headers', () => {
    assert.ok(looksLikePatch(PATCH));
    assert.match(
      PATCH,
      /^Subject: \[PATCH v2 1\/1\] mm\/memory_hotplug: PG_offline_skippable for offlining\n memory blocks with PageOffline pages$/m,
    );
    assert.match(PATCH, /^Message-ID: <20250520164216\.866543-2-david@redhat\.com>$/m);
    assert.match(PATCH, /^\+\tPG_offline_skippable = PG_owner_2,$/m);
    assert.match(PATCH, /^\+__PAGEFLAG\(OfflineSkippable, offline_skippable, PF_NO_COMPOUND\)$/m);
  });

  it('says what the patch changes about an added symbol', () => {
    const line = lines.find((l) => l.startsWith('+\tPG_offline_skippable = PG_owner_2'))!;
    const h = hoverOn(line, 'PG_offline_skippable', req(line))!;
    assert.match(h.markdown, /This patch \*\*adds\*\* a line using/);
    assert.match(h.markdown, /include\/linux\/page\\-flags\\\.h: \\\+\d+ −0/);
    assert.match(h.markdown, /NOT merged in mainline through 6\\\.18/);
    assert.match(h.markdown, /6\\\.12–6\\\.13: bit 11 \\\(= PG\\_owner\\_2\\\)/);
    const acc = lines.find((l) => l.includes('__SetPageOfflineSkippable(page)'))!;
    assert.match(hoverOn(acc, '__SetPageOfflineSkippable', req(acc))!.markdown, /PG\\_offline\\_skippable/);
  });

  it('says what it removes', () => {
    const line = lines.find((l) => l.startsWith('-') && l.includes('PageOffline(page) && page_count(page)'))!;
    const h = hoverOn(line, 'PageOffline', req(line))!;
    assert.match(h.markdown, /This patch \*\*removes\*\* a line/);
    const ms = patchChangesFor('PageOfflineSkippable', PATCH);
    assert.deepEqual(ms.map((m) => m.file).sort(), [
      'include/linux/page-flags.h',
      'mm/memory_hotplug.c',
      'mm/page_isolation.c',
    ]);
    assert.ok(ms.every((m) => m.removed === 0 && m.added > 0));
  });

  it('escapes untrusted patch text', () => {
    const evil = '+	PageOffline(page); /* [click](command:workbench.action.terminal.new) <img src=x> `x` */';
    const h = hoverOn(evil, 'PageOffline', {
      kind: 'patch',
      documentText: () => `diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n${evil}\n`,
    })!;
    // Patch text only appears inside code spans (literal in CommonMark) — never as live markdown.
    const outsideCode = h.markdown.replace(/(`+) [^\n]*? \1/g, '');
    assert.ok(!/\]\(command:/.test(outsideCode), 'no live link from patch text');
    assert.ok(!outsideCode.includes('<img'), 'no raw HTML');
    assert.ok(
      h.markdown.includes(
        '`` PageOffline(page); /* [click](command:workbench.action.terminal.new) <img src=x> `x` */ ``',
      ),
    );
  });
});

describe('hovers: crash, drgn and dmesg dump_page output', () => {
  it('decodes dump_page flags with the kernel from the log and compares with the printed names', () => {
    const line = '[  123.456789] flags: 0x2fffff80010200(slab|head|node=0|zone=2|lastcpupid=0x1fffff)';
    const h61 = hoverOn(line, '0x2fffff', { kernel: k61 })!;
    assert.match(h61.markdown, /PG\\_slab PG\\_head/);
    assert.match(h61.markdown, /matches this layout/);
    assert.match(h61.markdown, /zone 2 \(Normal\) as printed — this kernel's node\/zone field widths differ/);
    assert.match(
      hoverOn('flags: 0x17ffffc0010200(slab|head|node=0|zone=2|lastcpupid=0x1fffff)', '0x17', { kernel: k61 })!
        .markdown,
      /zone 2 \(Normal\) as printed$/m,
    );
    assert.match(h61.markdown, /kernel 6\\\.1\\\.0\\-26\\-amd64/);
    const h612 = hoverOn(line, '0x2fffff', { kernel: k612 })!;
    assert.match(h612.markdown, /\*\*differs\*\*/);
    assert.equal(h61.symbol, 'enum pageflags');
  });

  it('decodes 6.12 page_type, explains "unmovable page" and offlining failures', () => {
    assert.match(
      hoverOn('[  9.1] page_type: f1(offline)', 'f1', { kernel: k612 })!.markdown,
      /PGTY\\_offline[\s\S]*logically offline/,
    );
    const u = hoverOn('[  9.2] page dumped because: unmovable page', 'unmovable', { kernel: k612 })!;
    assert.match(u.markdown, /has\\_unmovable\\_pages/);
    assert.equal(u.symbol, 'has_unmovable_pages');
    assert.match(
      hoverOn('memory offlining [mem 0x100000000-0x107ffffff] failed due to unmovable page', 'failed', {
        kernel: k612,
      })!.markdown,
      /scan\\_movable\\_pages/,
    );
  });

  it('decodes crash kmem -p rows, struct page, kmem -n states and drgn integers', () => {
    const row = 'fffffafdc0041380  104e000 ffff8cd6c1042a00        0  1 fffffc0010200 slab,head';
    assert.match(
      hoverOn(row, 'fffffc0010200', { kernel: k61 })!.markdown,
      /PG\\_slab PG\\_head[\s\S]*matches this layout/,
    );
    assert.match(hoverOn('  flags = 6755398367313920,', 'flags', { kernel: k61 })!.markdown, /page->flags/);
    assert.match(
      hoverOn('  _mapcount = { counter = -257 }, page_type = 4294967039', 'page_type', { kernel: k61 })!.markdown,
      /PGTY\\_offline/,
    );
    assert.match(
      hoverOn('\t.page_type = (unsigned int)4043309056,', 'page_type', { kernel: k612 })!.markdown,
      /PGTY\\_offline/,
    );
    const sect = '32  ffff8cd73fe83400  fffffafdc0000000  fffffafdc4000000   PMO  1048576';
    assert.match(hoverOn(sect, 'PMO', { kernel: k61 })!.markdown, /SECTION\\_IS\\_ONLINE[\s\S]*may be trusted/);
    const blk = ' ffff8cd6c26b4000   memory32   100000000 - 107ffffff  0    GOING_OFFLINE  32';
    assert.match(
      hoverOn(blk, 'GOING_OFFLINE', { kernel: k61 })!.markdown,
      /offline\\_pages\(\) is running|offline\\_pages\\\(\\\) is running/,
    );
    const pt = '0x0000000000800000\t        12        0  _______________________o___________________\toffline';
    assert.match(hoverOn(pt, '0x00000', { kernel: k612 })!.markdown, /KPF\\_OFFLINE/);
  });

  it('without a kernel, says so instead of guessing', () => {
    assert.match(hoverOn('flags: 0x10000(head)', '0x1')!.markdown, /no kernel known/);
  });

  it('finds the kernel of a crash session and of a dmesg', () => {
    assert.equal(detectKernelInText('crash> sys\n     RELEASE: 6.1.0-26-amd64\n')?.origin, 'crash sys');
  });
});
