// Kernels beyond 5.15-6.18 (docs/kernel/README.md, "Releases and layout families"): the 7.x and 5.10 families, the 7.x
// compound_info tail word in both forms, 5.10's combinable page-type bits, and what the reader says
// about a release outside the tables.
import * as assert from 'node:assert/strict';
import { decodeTailWord, headVaOfTail } from '../../../kernel/compound';
import { familyFromNumbers, familyFromRelease, releaseCoverage } from '../../../kernel/pageflags';
import { PageTypeDecoder, pageTypeEncoding, describePageType } from '../../../kernel/pagetypes';
import { kernelPredicates } from '../../../kernel/predicates';
import { decodePageTypeWord, resolveKernel, unknownKernelMessage } from '../../../kernel/decode';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { className } from '../../../kernel/pageClasses';
import { buildPhysPages, tmpFile, vmcoreinfoText, writeElf } from '../parsers/syntheticDump';

const N612 = { lru: 5, private: 14, swapcache: 10, swapbacked: 17, hwpoison: 20, headMask: 0x40 };
const N7 = { lru: 5, private: 14, swapcache: 10, swapbacked: 17, hwpoison: 21, headMask: 0x40 };
const N61 = { lru: 4, private: 13, swapcache: 10, swapbacked: 19, slab: 9, hwpoison: 23, headMask: 0x10000 };

describe('kernel coverage: 5.10 and 7.x', () => {
  it('7.x compound_info: the mask form gives the head by masking the tail address, the pointer form as before', () => {
    const t = decodeTailWord(0xffffffffffff8001n, 'pointer-or-mask');
    assert.deepEqual(t, { form: 'mask', order: 9, mask: 0xffffffffffff8001n });
    assert.equal(
      decodeTailWord(0xfffffffffffffe01n, 'pointer-or-mask').form === 'mask' &&
        (decodeTailWord(0xfffffffffffffe01n, 'pointer-or-mask') as { order: number }).order,
      3,
    );
    // tail 5 of an order-9 folio whose head struct page is at 0xffffea0000480000
    const head = 0xffffea0000480000n;
    assert.equal(headVaOfTail(0xffffffffffff8001n, head + 5n * 64n, 'pointer-or-mask'), head);
    assert.equal(headVaOfTail(head | 1n, head + 5n * 64n, 'pointer-or-mask'), head);
    // a kernel without compound_info never reads a mask
    assert.deepEqual(decodeTailWord(0xffffffffffff8001n, 'pointer'), { form: 'pointer', headVa: 0xffffffffffff8000n });
  });

  it('families: 7.x by OFFSET(page.compound_info), 5.10 by its release (its numbers equal 5.15-6.1)', () => {
    assert.equal(familyFromNumbers({ ...N7, compoundInfo: true }, '7.3.4+deb13-amd64')?.id, '7.2-7.3');
    assert.equal(familyFromNumbers({ ...N7 }, '6.17.1')?.id, '6.14-6.18');
    assert.equal(familyFromNumbers({ ...N61 }, '5.10.0-46-amd64')?.id, '5.10');
    assert.equal(familyFromNumbers({ ...N61 }, '6.1.0-40-amd64')?.id, '5.15-6.1');
    assert.equal(familyFromNumbers({ ...N61 })?.id, '5.15-6.1');
    assert.equal(
      familyFromNumbers({ ...N612, compoundInfo: true }, '7.3'),
      undefined,
      'no family has 6.12 numbers with compound_info',
    );
    assert.equal(familyFromRelease('7.3.4')?.id, '7.2-7.3');
    assert.equal(familyFromRelease('5.10.262')?.id, '5.10');
    assert.equal(familyFromRelease('5.12'), undefined);
  });

  it('releases outside the tables are named as such', () => {
    assert.equal(releaseCoverage('7.4.1').kind, 'newer');
    assert.equal(releaseCoverage('6.19').kind, 'gap');
    assert.equal(releaseCoverage('4.19').kind, 'older');
    assert.equal(releaseCoverage('7.2.13').kind, 'family');
    assert.match(unknownKernelMessage('7.4'), /newer than every kernel the tables cover \(the last is 7\.3\)/);
    assert.match(unknownKernelMessage('6.19'), /between the families/);
    assert.equal(resolveKernel('7.4'), undefined);
    assert.equal(resolveKernel('5.10')?.family.id, '5.10');
  });

  it('5.10 page types are bits that combine: table+kmemcg, kmemcg alone, and values other releases read differently', () => {
    const d = new PageTypeDecoder(pageTypeEncoding('5.10'));
    assert.equal(describePageType(d.decode(0xfffff9ff)), 'table+kmemcg');
    assert.equal(d.typeOf(0xfffff9ff), 'table');
    assert.equal(d.typeOf(0xfffffbff), 'table');
    assert.equal(d.typeOf(0xfffff7ff), 'guard');
    assert.equal(d.typeOf(0xffffff7f), 'buddy');
    assert.equal(d.typeOf(0xfffffeff), 'offline');
    assert.equal(d.typeOf(0xfffffdff), undefined, 'kmemcg alone is no page kind');
    assert.equal(describePageType(d.decode(0xfffffdff)), 'kmemcg');
    assert.equal(d.typeOf(0xfffff3ff), 'unknown', 'two kinds at once');
    assert.equal(d.typeOf(0xffffefff), 'unknown', 'a bit 5.10 does not have');
    assert.equal(d.typeOf(5), undefined);
    assert.deepEqual(
      decodePageTypeWord(0xfffffbff, resolveKernel('6.1')!).results.map((r) => r.typeName),
      ['guard'],
    );
    assert.deepEqual(
      decodePageTypeWord(0xfffffbff, resolveKernel('5.10')!).results.map((r) => r.typeName),
      ['table'],
    );
  });

  it('predicates per snapshot: balloon marking, tail forms, verified offline kinds', () => {
    const f7 = familyFromRelease('7.3')!;
    assert.deepEqual(kernelPredicates('7.3.4+deb13-amd64', f7, true), {
      balloonByMovableOps: true,
      tailForms: 'pointer-or-mask',
      offlineKindsVerified: true,
      unverifiedWhy: undefined,
    });
    const newer = kernelPredicates('7.5.0', f7, true);
    assert.equal(newer.offlineKindsVerified, false);
    assert.match(newer.unverifiedWhy!, /7\.5\.0 is newer than/);
    assert.equal(kernelPredicates('5.10.0-46-amd64', familyFromRelease('5.10')!, false).balloonByMovableOps, false);
  });

  it('a dump of a release outside the tables: read with the family its numbers match, assumptions listed, PageOffline kinds not claimed', async () => {
    const vi = vmcoreinfoText().replace('OSRELEASE=6.12.117+deb12-amd64', 'OSRELEASE=6.19.2-amd64');
    const s = await openVmcoreSnapshot([tmpFile('vmcore-619.elf', writeElf(buildPhysPages(), vi))]);
    assert.equal(s.kernel.layoutFamily, '6.12-6.13');
    assert.ok(
      s.warnings.some((w) =>
        /6\.19\.2-amd64 is outside the kernels the tables were checked against .*assumed from that layout: the flag bits VMCOREINFO does not export/.test(
          w,
        ),
      ),
      s.warnings.join('\n'),
    );
    assert.equal(className(s.classes[0x202]), 'offline');
    assert.equal(s.pageDetail!(0x202)!.rule, 'offline-kind-unknown');
    assert.ok(s.pageDetail!(0x202)!.notes!.some((n) => /assumption: .*outside the releases/.test(n)));
    assert.equal(className(s.classes[0x400]), 'lru-anon', 'pages the exported numbers describe are still read');
  });
});
