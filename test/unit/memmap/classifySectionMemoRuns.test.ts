// classifySection's repeat runs (the memo fast lane) must give exactly the per-page rule table's
// classes where the PFN-dependent facts change inside a section: virtio-mem ranges that start and end
// mid-section at odd PFNs, and a subsection map with holes. Real lab dumps never have those (their
// ranges are memory-block aligned), so the struct pages here are real and the section facts are
// hand-made edge cases.
import * as assert from 'node:assert/strict';
import { findSets } from '../../lab/sets';
import { openDump } from '../../../parsers/dump/openDump';
import { X86Paging } from '../../../arch/x86_64/paging';
import { readMemSections } from '../../../parsers/kernelMemory/memSection';
import { buildClassifyContext } from '../../../memmap/vmcoreContext';
import { VmcoreMemmap, SP_OK } from '../../../memmap/vmcoreMemmap';
import { classifySection, SectionOutput } from '../../../memmap/classifySection';
import { Neighbours, SectionFacts } from '../../../memmap/classifyPage';
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import { setSubsectionMap, subsectionLayout } from '../../../memmap/subsectionMap';

const sets = findSets({ kaslr: false }).concat(findSets({ scenario: 'balloon' }), findSets({ scenario: 'virtio-mem' }));

describe('classifySection repeat runs equal the per-page rules when facts change mid-section', function () {
  this.timeout(120000);
  if (sets.length === 0) it.skip('no lab sets under ~/.cache/kmemmap-lab/sets (npm run lab)', () => undefined);
  for (const set of sets) {
    it(`${set.name}: odd virtio-mem range edges and subsection holes`, () => {
      const d = openDump([set.elf]);
      try {
        const vm = new X86Paging(d.mem, d.vmcoreinfo);
        const table = readMemSections(d.vmcoreinfo, vm, 4096);
        const { ctx } = buildClassifyContext(d.vmcoreinfo, 4096);
        assert.ok(ctx, 'classify context');
        const mm = new VmcoreMemmap(d.mem, vm, table, ctx.structSize);
        const pps = table.pfnsPerSection;
        let checked = 0;
        for (const s of table.sections) {
          const facts0 = mm.facts(s.nr);
          if (!facts0 || !facts0.online || !mm.hasMemmap(s.nr)) continue;
          const start = s.nr * pps;
          // subsections 3, 4 and 40 missing; virtio-mem over two odd ranges, one crossing a subsection edge
          const halves: [number, number] = [~((1 << 3) | (1 << 4)) >>> 0, ~(1 << 8) >>> 0];
          const facts: SectionFacts = { ...facts0, early: false };
          setSubsectionMap(facts, BigInt(halves[0]) | (BigInt(halves[1]) << 32n), subsectionLayout(pps, 21, 12));
          ctx.virtioMem = [
            [start + 1001, start + 5000],
            [start + 9000, start + 20011],
          ];
          // a System RAM hole at odd PFNs: its pages' zones must not count for the section
          ctx.systemRam = [
            [0, start + 3000],
            [start + 7001, Number.MAX_SAFE_INTEGER],
          ];
          const buf = Buffer.alloc(pps * ctx.structSize);
          const status = new Uint8Array(pps);
          mm.readStructPages(start, pps, buf, status);
          const cover = new Uint8Array(pps);
          const nb: Neighbours = {
            structPage: (pfn) =>
              pfn >= start && pfn < start + pps && status[pfn - start] === SP_OK
                ? { buf, off: (pfn - start) * ctx.structSize }
                : mm.structPage(pfn),
            buddyCovered: (pfn) => pfn >= start && pfn < start + pps && cover[pfn - start] === 1,
            backsVmemmap: (pfn) => mm.backsVmemmap(pfn),
            headPfn: (c, tail) => mm.headPfnOfTail(c, tail, ctx.tailForms),
            section: (pfn) => (Math.floor(pfn / pps) === s.nr ? facts : mm.facts(Math.floor(pfn / pps))),
          };
          const run = (memo: boolean) => {
            const classes = new Uint8Array(start + pps);
            const out: SectionOutput = {
              classes,
              zoneMask: new Uint8Array(s.nr + 1),
              onCompound: () => undefined,
              repeatCompound: () => undefined,
            };
            classifySection(s.nr, start, pps, buf, status, cover, facts, ctx, nb, out, memo);
            return { classes, zones: out.zoneMask[s.nr] };
          };
          const { classes: fast, zones: fastZones } = run(true),
            { classes: ref, zones: refZones } = run(false);
          assert.equal(fastZones, refZones, `section ${s.nr}: zones seen`);
          const diffs: string[] = [];
          const seen = new Set<number>();
          for (let p = start; p < start + pps; p++) {
            seen.add(ref[p]);
            if (fast[p] !== ref[p] && diffs.length < 5)
              diffs.push(`0x${p.toString(16)}: runs ${className(fast[p])}, per page ${className(ref[p])}`);
          }
          assert.deepEqual(diffs, [], `section ${s.nr}`);
          // the hand-made subsection holes must show (as no-memmap)
          assert.ok(seen.has(CLASS_ID['no-memmap']), `section ${s.nr}: subsection holes classified`);
          checked++;
        }
        assert.ok(checked > 0, 'some online section was checked');
        delete ctx.systemRam;
      } finally {
        d.mem.close();
      }
    });
  }
});
