// crash and drgn outputs are classified with the vmcore rule table (memmap/toolOutputSnapshot.ts), with
// a context built from what the tool printed (memmap/tools/toolContext.ts) instead of VMCOREINFO. Every
// struct-page case of the vmcore rules, read with the context of a tool output that names the case's
// release, must fire the same rule.
import * as assert from 'node:assert/strict';
import { classifyStructPage, VMCORE_RULE_CLASS, VMCORE_RULES } from '../../../memmap/classifyPage';
import { className } from '../../../kernel/pageClasses';
import { familyFromRelease } from '../../../kernel/pageflags';
import { buildToolContext } from '../../../memmap/tools/toolContext';
import { EARLY_ONLINE, KERNELS, SmallMemmap } from './structPageKit';
import { PFN, STRUCT_PAGE_CASES, StructPageCase } from './vmcoreRuleCases';

const releaseOf = (c: StructPageCase) => c.release ?? KERNELS[c.kernel].release;
/** A tool output is read only with a release inside the tables (else from its enum pageflags or flag names). */
const toolCases = STRUCT_PAGE_CASES.filter((c) => familyFromRelease(releaseOf(c)) !== undefined);

describe('vmcore rules by name, read from a tool output (memmap/tools/toolContext.ts)', () => {
  for (const c of toolCases) {
    it(`${c.rule} → ${c.cls} (release ${releaseOf(c)}): ${c.what}`, () => {
      const t = buildToolContext({ release: releaseOf(c), mapcountKnown: true });
      assert.ok(t.ctx, t.problem);
      const ctx = Object.assign(t.ctx, c.ctx);
      const m = new SmallMemmap(KERNELS[c.kernel], ctx);
      c.setup(m, PFN);
      const sp = m.structPage(PFN) as { buf: Buffer; off: number };
      const r = classifyStructPage(PFN, sp.buf, sp.off, { ...EARLY_ONLINE, ...c.sec }, ctx, m);
      const got = { rule: VMCORE_RULES[r].id, cls: className(VMCORE_RULE_CLASS[r]) };
      assert.deepEqual(got, { rule: c.rule, cls: c.cls });
    });
  }

  it('every rule a struct page decides has a case read from a tool output', () => {
    const decidedByStructPage = new Set(STRUCT_PAGE_CASES.map((c) => c.rule));
    const missing = [...decidedByStructPage].filter((id) => !toolCases.some((c) => c.rule === id));
    assert.deepEqual(missing, []);
  });
});
