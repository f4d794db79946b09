import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { className } from '../../../memmap/classes';
import { DumpError } from '../../../parsers/dump/errors';
import { detectDumpFormat } from '../../../parsers/dump/detect';
import { buildPhysPages, EXPECT, flatten, tmpFile, vmcoreinfoText, writeElf, writeKdump } from './fixture';

const pages = buildPhysPages();
const vi = vmcoreinfoText();

async function classesOf(paths: string[]) {
  const s = await openVmcoreSnapshot(paths);
  return s;
}

function checkExpect(s: Awaited<ReturnType<typeof classesOf>>) {
  for (const [pfn, cls] of Object.entries(EXPECT)) assert.equal(className(s.classes[Number(pfn)]), cls, `PFN 0x${Number(pfn).toString(16)}`);
}

describe('vmcore reader on a synthetic 6.12 machine', () => {
  const elfPath = tmpFile('vmcore.elf', writeElf(pages, vi));
  const kdumpImg = writeKdump(pages, vi)[0];
  const kdumpPath = tmpFile('vmcore.kdump', kdumpImg);

  it('detects formats by magic', () => {
    assert.equal(detectDumpFormat(fs.readFileSync(elfPath).subarray(0, 4096)), 'elf');
    assert.equal(detectDumpFormat(kdumpImg.subarray(0, 4096)), 'kdump');
    assert.equal(detectDumpFormat(flatten(kdumpImg).subarray(0, 4096)), 'flattened');
    assert.equal(detectDumpFormat(Buffer.from('hello world')), undefined);
  });

  it('classifies every rule fixture from the ELF dump (QEMU 7.2 header quirks)', async () => {
    const s = await classesOf([elfPath]);
    checkExpect(s);
    assert.equal(s.kernel.layoutFamily, '6.12-6.13');
    assert.equal(s.sections[0].state, 'online');
    assert.equal(s.sections[1].state, 'offline');
    assert.equal(s.sections[0].flags, 'PMOE');
    assert.ok(s.warnings.some((w) => /128 MiB/.test(w)));
    const d = s.pageDetail!(0x200)!;
    assert.equal(d.rule, 'offline-balloon-mapping');
    assert.ok(d.notes!.some((n) => /assumption/.test(n)));
    assert.equal(d.zone, 'Normal');
    assert.equal(d.node, 0);
    assert.equal(s.pageDetail!(0x101)!.rule, 'buddy-tail');
    assert.equal(s.pageDetail!(0x201)!.rule, 'offline-dirty');
    assert.ok(s.pageDetail!(0x400)!.flags!.includes('lru'));
  });

  it('kdump, flattened kdump and a split kdump set give the same class array as ELF', async () => {
    const ref = (await classesOf([elfPath])).classes;
    const k = await classesOf([kdumpPath]);
    assert.deepEqual(k.classes, ref);
    assert.ok(k.provenance.notes.some((n) => /phys_base/.test(n)));
    const f = await classesOf([tmpFile('vmcore.flat', flatten(kdumpImg))]);
    assert.equal(f.provenance.format, 'kdump-flattened (zlib)');
    assert.deepEqual(f.classes, ref);
    const parts = writeKdump(pages, vi, { split: 3 }).map((b, i) => tmpFile(`vmcore.${i}`, b));
    const sp = await classesOf([parts[2], parts[0], parts[1]]);
    assert.deepEqual(sp.classes, ref);
    await assert.rejects(classesOf([parts[0], parts[2]]), (e: unknown) => e instanceof DumpError && /incomplete/.test(e.message));
    const flatElf = await classesOf([tmpFile('vmcore.elfflat', flatten(fs.readFileSync(elfPath)))]);
    assert.deepEqual(flatElf.classes, ref);
    const raw = await classesOf([tmpFile('vmcore.raw', writeKdump(pages, vi, { compress: 'none' })[0])]);
    assert.deepEqual(raw.classes, ref);
  });

  it('says how to get VMCOREINFO when it is missing', async () => {
    const p = tmpFile('novi.elf', writeElf(pages, undefined));
    await assert.rejects(openVmcoreSnapshot([p]), (e: unknown) => e instanceof DumpError && e.kind === 'no-vmcoreinfo' && /-device vmcoreinfo/.test(e.message) && e.message.includes(p));
  });

  it('rejects non-x86_64 dumps and random files with specific errors', async () => {
    const arm = tmpFile('arm.elf', writeElf(pages, vi, { machine: 183 }));
    await assert.rejects(openVmcoreSnapshot([arm]), (e: unknown) => e instanceof DumpError && e.kind === 'wrong-arch' && /aarch64/.test(e.message));
    const armk = tmpFile('arm.kdump', writeKdump(pages, vi, { machine: 'aarch64' })[0]);
    await assert.rejects(openVmcoreSnapshot([armk]), (e: unknown) => e instanceof DumpError && e.kind === 'wrong-arch');
    const rnd = tmpFile('random.bin', Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 7919) & 0xff)));
    await assert.rejects(openVmcoreSnapshot([rnd]), (e: unknown) => e instanceof DumpError && /not a dump/.test(e.message));
    await assert.rejects(openVmcoreSnapshot(['/nonexistent/vmcore']), (e: unknown) => e instanceof DumpError && e.kind === 'io');
  });

  it('unknown layout gives unknown pages, never a guess', async () => {
    const odd = vi.replace('NUMBER(PG_lru)=5', 'NUMBER(PG_lru)=7');
    const s = await openVmcoreSnapshot([tmpFile('odd.elf', writeElf(pages, odd))]);
    assert.equal(className(s.classes[0x400]), 'unknown');
    assert.ok(s.warnings.some((w) => /unrecognised page-flag layout/.test(w)));
  });

  it('truncation at many offsets gives a DumpError or the same answer, never a crash or a wrong class', async function () {
    this.timeout(120000);
    const ref = (await classesOf([elfPath])).classes;
    for (const img of [fs.readFileSync(elfPath), kdumpImg, flatten(kdumpImg)]) {
      const cuts = [0, 1, 8, 63, 64, 200, 464, 4095, 4096, 5000, 8192, 9000, 12288, 20000];
      for (let i = 1; i < 12; i++) cuts.push(Math.floor((img.length * i) / 12));
      cuts.push(img.length - 1);
      for (const cut of cuts) {
        const p = tmpFile('cut', img.subarray(0, cut));
        try {
          const s = await openVmcoreSnapshot([p]);
          for (let pfn = 0; pfn < ref.length; pfn++) {
            const c = s.classes[pfn];
            if (c !== ref[pfn]) assert.ok(['excluded', 'unknown', 'no-memmap'].includes(className(c)), `cut ${cut}: PFN ${pfn} became ${className(c)}`);
          }
        } catch (e) {
          assert.ok(e instanceof DumpError, `cut ${cut} of ${img.length}: ${(e as Error).stack}`);
        }
      }
    }
  });

  it('corrupt kdump header and bitmap give DumpErrors', async () => {
    const bad = Buffer.from(kdumpImg);
    bad.writeInt32LE(12345, 428); // block_size
    await assert.rejects(openVmcoreSnapshot([tmpFile('bad.kdump', bad)]), (e: unknown) => e instanceof DumpError && /block_size/.test(e.message));
    const bad2 = Buffer.from(kdumpImg);
    bad2.fill(0xff, 3 * 4096 + 4096, 3 * 4096 + 8192); // bitmap2 all ones: ranks past the descriptors
    try {
      const s = await openVmcoreSnapshot([tmpFile('bad2.kdump', bad2)]);
      assert.ok(s);
    } catch (e) {
      assert.ok(e instanceof DumpError, String(e));
    }
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(openVmcoreSnapshot([elfPath], { signal: ac.signal }), (e: unknown) => e instanceof DumpError && e.kind === 'aborted');
  });
});
