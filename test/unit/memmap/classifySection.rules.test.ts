// The fast paths of memmap/classifySection.ts by rule: a page that repeats the previous page's rule
// inputs takes the previous page's class without the rule table. For every struct-page case of the
// vmcore rule table, a run of copies of the case's page must get, through the fast paths, exactly the
// classes the table gives page by page, and the case's page the case's class: copies that share the
// case's PFN facts (in a buddy block, backing the vmemmap, in a virtio-mem range) and copies that do not.
import * as assert from 'node:assert/strict';
import { classifySection } from '../../../memmap/classifySection';
import { className } from '../../../kernel/pageClasses';
import { SP_OK, SP_UNMAPPED } from '../../../memmap/vmcoreMemmap';
import { contextOf, EARLY_ONLINE, KERNELS, SmallMemmap } from './structPageKit';
import { BALLOON_MOPS, PFN, STRUCT_PAGE_CASES, StructPageCase } from './vmcoreRuleCases';

const RUN = 8;

/**
 * Classes of [PFN, PFN + RUN) after copying the case's page to the PFNs its setup left empty; shared:
 * the copies also lie in the case's buddy block, vmemmap backing and virtio-mem range, else only PFN does.
 */
function classifyRun(c: StructPageCase, memo: boolean, shared: boolean): string[] {
  const kit = KERNELS[c.kernel];
  const ctx = Object.assign(contextOf(kit, c.release), c.ctx);
  const inRange = ctx.virtioMem?.some(([a, b]) => a <= PFN && PFN < b);
  if (!shared && ctx.virtioMem) ctx.virtioMem = inRange ? [[PFN, PFN + 1]] : [];
  const m = new SmallMemmap(kit, ctx);
  c.setup(m, PFN);
  const page = m.pages.get(PFN)!;
  for (let p = PFN + 1; p < PFN + RUN; p++) {
    if (m.pages.has(p)) continue;
    m.pages.set(p, Buffer.from(page));
    if (shared && m.buddy.has(PFN)) m.buddy.add(p);
    if (shared && m.vmemmapBacking.has(PFN)) m.vmemmapBacking.add(p);
  }
  const buf = Buffer.alloc(RUN * 64);
  const status = new Uint8Array(RUN),
    buddyCover = new Uint8Array(RUN);
  for (let i = 0; i < RUN; i++) {
    const sp = m.structPage(PFN + i);
    status[i] = typeof sp === 'string' ? SP_UNMAPPED : SP_OK;
    if (typeof sp !== 'string') sp.buf.copy(buf, i * 64, sp.off, sp.off + 64);
    buddyCover[i] = m.buddy.has(PFN + i) ? 1 : 0;
  }
  const classes = new Uint8Array(PFN + RUN);
  classifySection(
    PFN >>> 15,
    PFN,
    RUN,
    buf,
    status,
    buddyCover,
    { ...EARLY_ONLINE, ...c.sec },
    ctx,
    m,
    { classes, zoneMask: new Uint8Array(4), onCompound: () => {}, repeatCompound: () => {} },
    memo,
  );
  return [...classes.subarray(PFN)].map(className);
}

/** Cases whose setup writes one struct page and nothing around it: they can be laid out side by side. */
function singlePage(c: StructPageCase): boolean {
  if (c.sec) return false;
  const m = new SmallMemmap(KERNELS[c.kernel], contextOf(KERNELS[c.kernel], c.release));
  c.setup(m, PFN);
  return m.pages.size === 1 && m.excluded.size === 0;
}

/**
 * Every ordered pair of the single-page cases of one kernel, each page twice (a, a, b, b), in one
 * section: a balloon_mops page after a page whose mapping has the same tag, a buddy-block page after
 * a free one, ...; with the balloon_mops address known and no virtio-mem range. Classes through the
 * fast paths and through the table.
 */
function classifyPairs(cases: StructPageCase[], memo: boolean): string[] {
  const kit = KERNELS[cases[0].kernel];
  const ctx = Object.assign(contextOf(kit, cases[0].release), { balloonMops: BALLOON_MOPS, virtioMem: [] });
  const m = new SmallMemmap(kit, ctx);
  let n = 0;
  for (const a of cases) for (const b of cases) if (a !== b) for (const c of [a, a, b, b]) c.setup(m, PFN + n++);
  const buf = Buffer.alloc(n * 64),
    buddyCover = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    m.pages.get(PFN + i)!.copy(buf, i * 64);
    buddyCover[i] = m.buddy.has(PFN + i) ? 1 : 0;
  }
  const classes = new Uint8Array(PFN + n);
  classifySection(
    PFN >>> 15,
    PFN,
    n,
    buf,
    new Uint8Array(n).fill(SP_OK),
    buddyCover,
    EARLY_ONLINE,
    ctx,
    m,
    { classes, zoneMask: new Uint8Array(4), onCompound: () => {}, repeatCompound: () => {} },
    memo,
  );
  return [...classes.subarray(PFN)].map(className);
}

describe('vmcore rules through the section fast paths (memmap/classifySection.ts)', () => {
  for (const c of STRUCT_PAGE_CASES) {
    it(`${c.rule} (${KERNELS[c.kernel].family}${c.release ? `, ${c.release}` : ''}): ${c.what}`, () => {
      for (const shared of [true, false]) {
        const table = classifyRun(c, false, shared),
          fast = classifyRun(c, true, shared);
        assert.equal(table[0], c.cls);
        assert.deepEqual(fast, table, shared ? 'copies share the PFN facts' : "only the case's PFN has them");
      }
    });
  }

  const byKernel = new Map<string, StructPageCase[]>();
  for (const c of STRUCT_PAGE_CASES.filter(singlePage)) {
    const k = `${c.kernel}${c.release ? ` ${c.release}` : ''}`;
    byKernel.set(k, [...(byKernel.get(k) ?? []), c]);
  }
  for (const [k, cases] of byKernel) {
    if (cases.length < 2) continue;
    it(`every pair of the single-page cases of ${k} side by side (${cases.map((c) => c.rule).join(', ')})`, () => {
      assert.deepEqual(classifyPairs(cases, true), classifyPairs(cases, false));
    });
  }
});
