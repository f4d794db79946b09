// The vmcore rule table (memmap/classifyPage.ts) tested by name: every rule id has a case that
// fires it and says which class it gives, per layout family where the rule reads what differs.
import * as assert from 'node:assert/strict';
import { classifyStructPage, VMCORE_RULE_CLASS, VMCORE_RULES, VmcoreRuleId } from '../../../memmap/classifyPage';
import { classifySection } from '../../../memmap/classifySection';
import { CLASS_ID, className, PageClass } from '../../../kernel/pageClasses';
import { SP_EXCLUDED, SP_OK, SP_UNMAPPED } from '../../../memmap/vmcoreMemmap';
import { SECTION_HAS_MEM_MAP, SECTION_ONLINE, SECTION_PRESENT } from '../../../kernel/sections';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { buildPhysPages, PHYS_BASE, tmpFile, vmcoreinfoText, writeElf } from '../parsers/syntheticDump';
import { contextOf, EARLY_ONLINE, KERNELS, SmallMemmap } from './structPageKit';
import { PFN, STRUCT_PAGE_CASES, StructPageCase } from './vmcoreRuleCases';

function classifyCase(c: StructPageCase): { rule: string; cls: PageClass } {
  const ctx = Object.assign(contextOf(KERNELS[c.kernel], c.release), c.ctx);
  const m = new SmallMemmap(KERNELS[c.kernel], ctx);
  c.setup(m, PFN);
  const sp = m.structPage(PFN);
  assert.ok(typeof sp !== 'string', 'the case wrote no struct page at PFN');
  const r = classifyStructPage(PFN, sp.buf, sp.off, { ...EARLY_ONLINE, ...c.sec }, ctx, m);
  return { rule: VMCORE_RULES[r].id, cls: className(VMCORE_RULE_CLASS[r]) };
}

/** Rules the reader applies before it has a struct page (a slot of a section read, the section word): their classes. */
const BEFORE_STRUCT_PAGE = {
  'memmap-unmapped': 'no-memmap',
  'memmap-excluded': 'excluded',
  hole: 'no-memmap',
  'memmap-untrusted': 'unknown',
} as const satisfies Partial<Record<VmcoreRuleId, PageClass>>;

describe('vmcore rules by name (memmap/classifyPage.ts)', () => {
  for (const c of STRUCT_PAGE_CASES) {
    it(`${c.rule} → ${c.cls} (${KERNELS[c.kernel].family}${c.release ? `, ${c.release}` : ''}): ${c.what}`, () => {
      assert.deepEqual(classifyCase(c), { rule: c.rule, cls: c.cls });
    });
  }

  it('memmap-unmapped → no-memmap, memmap-excluded → excluded (6.12): slots a section read left empty', () => {
    const kit = KERNELS['6.12'],
      ctx = contextOf(kit);
    const m = new SmallMemmap(kit, ctx);
    const start = 0x8000;
    for (let i = 0; i < 4; i++) m.put(start + i, { flags: ['lru'], mapping: 0xffff888023456000n });
    const buf = Buffer.concat([0, 1, 2, 3].map((i) => (m.structPage(start + i) as { buf: Buffer }).buf));
    for (const memo of [false, true]) {
      const classes = new Uint8Array(start + 4);
      const status = Uint8Array.from([SP_OK, SP_UNMAPPED, SP_EXCLUDED, SP_OK]);
      classifySection(
        1,
        start,
        4,
        buf,
        status,
        new Uint8Array(4),
        EARLY_ONLINE,
        ctx,
        m,
        { classes, zoneMask: new Uint8Array(2), onCompound: () => {} },
        memo,
      );
      const b = BEFORE_STRUCT_PAGE,
        want = ['lru-file', b['memmap-unmapped'], b['memmap-excluded'], 'lru-file'];
      assert.deepEqual([...classes.subarray(start)].map(className), want, `memo ${memo}`);
    }
  });

  it('hole → no-memmap and memmap-untrusted → unknown (6.12): section words of a dump', async () => {
    const pages = buildPhysPages();
    // The fixture's mem_section root holds section 0 (online, at the vmemmap base) and section 1 (offline).
    // Section 1 goes online with a word that does not decode to the base; section 2 is present without
    // a memmap, and a page of it in the dump puts it inside the dump's range.
    const root = pages.get((PHYS_BASE + 0x30000) / 4096)!;
    root.writeBigUInt64LE(0xffffea0000400000n | BigInt(SECTION_PRESENT | SECTION_HAS_MEM_MAP | SECTION_ONLINE), 32);
    root.writeBigUInt64LE(BigInt(SECTION_PRESENT), 64);
    pages.set(0x10000, Buffer.alloc(4096));
    const s = await openVmcoreSnapshot([tmpFile('rules-sections.elf', writeElf(pages, vmcoreinfoText()))]);
    const cls = (pfn: number) => className(s.classes[pfn - s.startPfn]);
    assert.equal(cls(0x10000), BEFORE_STRUCT_PAGE.hole);
    assert.equal(s.pageDetail!(0x10000)?.rule, 'hole');
    // memmap-untrusted fills a whole section without reading it: its class and the warning say it fired
    // (the page detail reads the struct page at the vmemmap base and names that page's rule instead)
    assert.equal(cls(0x8000), BEFORE_STRUCT_PAGE['memmap-untrusted']);
    assert.equal(cls(0xffff), BEFORE_STRUCT_PAGE['memmap-untrusted']);
    const untrusted = /decode to a vmemmap base other than .*section 1.*not trusted/;
    assert.ok(
      s.warnings.some((w) => untrusted.test(w)),
      s.warnings.join('\n'),
    );
  });

  it('every rule id of VMCORE_RULES has a named case, with the class the table gives it', () => {
    const cased = new Map<string, PageClass>(Object.entries(BEFORE_STRUCT_PAGE));
    for (const c of STRUCT_PAGE_CASES) cased.set(c.rule, c.cls);
    const missing = VMCORE_RULES.filter((r) => !cased.has(r.id)).map((r) => r.id);
    assert.deepEqual(missing, [], `rules without a case: ${missing.join(', ')}`);
    VMCORE_RULES.forEach((r, i) => assert.equal(VMCORE_RULE_CLASS[i], CLASS_ID[cased.get(r.id)!], r.id));
  });
});
