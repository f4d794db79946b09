// arm64 with 16 and 64 KiB pages on small hand-made inputs: the Geometry, subsection maps of every
// size, the ELF reader in the kernel's page size, mem_section PFNs per section, and kpageflags
// captures whose page size comes from their pagesize file, their System RAM or their release.
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARM64 } from '../../../arch/arm64';
import { DEBIAN_ARM64_FIELDS } from '../../../kernel/archFlags';
import { buildClassifyContext } from '../../../memmap/vmcoreContext';
import { X86_64 } from '../../../arch/x86_64';
import { parseVmcoreInfo } from '../../../parsers/vmcoreinfo';
import type { SectionFacts } from '../../../memmap/classifyPage';
import {
  nextSubsectionPfn,
  setSubsectionMap,
  subsectionIndex,
  subsectionLayout,
  subsectionPopulated,
  subsectionsAllPopulated,
} from '../../../memmap/subsectionMap';
import { openDump } from '../../../parsers/dump/openDump';
import { PageAvail, type PhysicalMemory } from '../../../parsers/dump/physmem';
import { SubPagedMemory } from '../../../parsers/dump/subPaged';
import { readMemSections } from '../../../parsers/kernelMemory/memSection';
import type { KernelTranslator } from '../../../parsers/kernelMemory/translator';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { snapshotFromToolMemmap } from '../../../memmap/toolOutputSnapshot';
import type { ToolMemmap } from '../../../parsers/tools/toolMemmap';
import { pageSizeLowerBound, pageSizeOfRelease, parsePageSizeFile } from '../../../memmap/kpageflagsGeometry';
import { checkEntry } from '../../../parsers/capture/captureArchive';
import { SnapshotError } from '../../../parsers/errors';
import { CLASS_ID } from '../../../kernel/pageClasses';
import { tmpFile, writeElf } from '../parsers/syntheticDump';

const MIB = 2 ** 20;

describe('arm64 Geometry with 16 and 64 KiB pages', () => {
  const vi = (ps: number, extra = '') =>
    parseVmcoreInfo(`OSRELEASE=6.12.0-arm64\nPAGESIZE=${ps}\nNUMBER(VA_BITS)=48\n${extra}`);
  it('16 KiB: 128 MiB sections, pageblock order 11 (PMD), capped by MAX_PAGE_ORDER when it is smaller', () => {
    const g = ARM64.geometry(vi(16384, 'NUMBER(SECTION_SIZE_BITS)=27\nLENGTH(zone.free_area)=12\n'));
    assert.deepEqual(
      [g.pageSize, g.pageShift, g.sectionSizeBits, g.pageblockPfns, g.defaultBlockBytes],
      [16384, 14, 27, 2048, 128 * MIB],
    );
    assert.equal(
      ARM64.geometry(vi(16384, 'LENGTH(zone.free_area)=9\n')).pageblockPfns,
      256,
      'MAX_PAGE_ORDER 8 < PMD order 11',
    );
  });
  it('64 KiB: 512 MiB sections by default (no SECTION_SIZE_BITS), pageblock order 13, 2 MiB subsections still', () => {
    const g = ARM64.geometry(vi(65536));
    assert.deepEqual(
      [g.sectionSizeBits, g.pageblockPfns, g.defaultBlockBytes, g.subsectionShift],
      [29, 8192, 512 * MIB, 21],
    );
    assert.ok(g.sources.some((s) => /SECTION_SIZE_BITS 29 \(arm64 64 KiB pages\)/.test(s)));
  });
  it('the page size from the dump header when VMCOREINFO has none, and x86_64 is unchanged', () => {
    assert.equal(ARM64.geometry(undefined, 16384).pageblockPfns, 2048);
    const x = X86_64.geometry(undefined);
    assert.deepEqual([x.pageSize, x.sectionSizeBits, x.pageblockPfns], [4096, 27, 512]);
  });
});

describe('subsection maps in the page size of the dump', () => {
  const facts = (): SectionFacts => ({ online: true, early: false, device: false });
  it('layouts: 512, 128 and 32 PFNs per 2 MiB subsection; 64 per 128 MiB section, 256 per 512 MiB one', () => {
    assert.deepEqual(subsectionLayout(32768, 21, 12), { pfnShift: 9, count: 64 });
    assert.deepEqual(subsectionLayout(8192, 21, 14), { pfnShift: 7, count: 64 });
    assert.deepEqual(subsectionLayout(8192, 21, 16), { pfnShift: 5, count: 256 });
  });
  it('16 KiB: subsection 5 is PFNs 640-767 of the section; the next subsection starts at 768', () => {
    const f = facts();
    setSubsectionMap(f, ~(1n << 5n) & ((1n << 64n) - 1n), subsectionLayout(8192, 21, 14));
    const sec = 3 * 8192;
    assert.equal(subsectionIndex(sec + 640, f), 5);
    assert.equal(subsectionPopulated(sec + 639, f), true);
    assert.equal(subsectionPopulated(sec + 640, f), false);
    assert.equal(subsectionPopulated(sec + 767, f), false);
    assert.equal(subsectionPopulated(sec + 768, f), true);
    assert.equal(nextSubsectionPfn(sec + 640, f), sec + 768);
    assert.equal(subsectionsAllPopulated(f), false);
    // the 4 KiB reading of the same map would put the hole at PFNs 2560-3071: not what this kernel means
    assert.equal(subsectionPopulated(sec + 2560, f), true);
  });
  it('64 KiB: a 256-bit map, bits above 64 and in the last word read', () => {
    const f = facts();
    const all = (1n << 256n) - 1n;
    setSubsectionMap(f, all & ~(1n << 200n), subsectionLayout(8192, 21, 16));
    assert.equal(f.subsectionWords!.length, 8);
    assert.equal(subsectionPopulated(200 * 32 - 1, f), true);
    assert.equal(subsectionPopulated(200 * 32, f), false);
    assert.equal(subsectionPopulated(201 * 32, f), true);
    assert.equal(subsectionPopulated(8192 + 200 * 32, f), false, 'the next section reads the same map position');
    assert.equal(subsectionsAllPopulated(f), false);
    setSubsectionMap(f, all, subsectionLayout(8192, 21, 16));
    assert.equal(subsectionsAllPopulated(f), true);
    setSubsectionMap(f, (1n << 64n) - 1n, subsectionLayout(8192, 21, 16));
    assert.equal(subsectionsAllPopulated(f), false, '64 bits set of 256 is not a full map');
  });
  it('4 KiB keeps the x86_64 reading (512-PFN subsections), and a section without a map is populated', () => {
    const f = facts();
    setSubsectionMap(f, ~(1n << 3n) & ((1n << 64n) - 1n), subsectionLayout(32768, 21, 12));
    assert.equal(subsectionPopulated(3 * 512, f), false);
    assert.equal(subsectionPopulated(4 * 512, f), true);
    assert.equal(subsectionPopulated(12345, facts()), true);
  });
});

/** A tiny aarch64 ELF: 4 KiB chunks of physical memory at 1 GiB, each filled with its 4 KiB index & 0xff. */
function arm64Elf(pageSize: number | string, chunks: number): string {
  const pages = new Map<number, Buffer>();
  const base = 0x40000000 / 4096;
  for (let i = 0; i < chunks; i++) pages.set(base + i, Buffer.alloc(4096, i & 0xff));
  const vi = `OSRELEASE=6.12.0-arm64-16k\nPAGESIZE=${pageSize}\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0x0\nNUMBER(PHYS_OFFSET)=0x40000000\nSYMBOL(mem_section)=ffff000000000000\n`;
  return tmpFile(`arm64-${pageSize}.elf`, writeElf(pages, vi, { machine: 183 }));
}

describe('ELF cores in the kernel page size (VMCOREINFO PAGESIZE)', () => {
  it('16 KiB: PFNs are 16 KiB frames made of four 4 KiB pieces; bulk reads agree; the end is past the last byte', () => {
    const d = openDump([arm64Elf(16384, 10)]);
    try {
      assert.equal(d.mem.pageSize, 16384);
      const pfn0 = 0x40000000 / 16384;
      assert.equal(d.mem.maxPfn, pfn0 + 3, '10 KiB-chunks of 4 KiB end inside the third 16 KiB frame');
      const p = d.mem.readPage(pfn0 + 1)!;
      assert.equal(p.length, 16384);
      assert.deepEqual([p[0], p[4096], p[8192], p[16383]], [4, 5, 6, 7]);
      assert.equal(d.mem.avail(pfn0 - 1), PageAvail.Hole);
      const out = Buffer.alloc(2 * 16384);
      const av = new Uint8Array(2);
      d.mem.readPagesInto(pfn0, 2, out, 0, av, 0);
      assert.deepEqual([out[0], out[16384 + 12288]], [0, 7]);
      assert.deepEqual([...av], [PageAvail.Data, PageAvail.Data]);
    } finally {
      d.mem.close();
    }
  });
  it('64 KiB frames, and 4 KiB or an impossible PAGESIZE keep the 4 KiB reading', () => {
    const d64 = openDump([arm64Elf(65536, 32)]);
    assert.equal(d64.mem.pageSize, 65536);
    assert.equal(d64.mem.readPage(0x40000000 / 65536 + 1)![4096 * 15], 31);
    d64.mem.close();
    for (const ps of [4096, 12288, 131072]) {
      const d = openDump([arm64Elf(ps, 4)]);
      assert.equal(d.mem.pageSize, 4096, `PAGESIZE=${ps}`);
      d.mem.close();
    }
  });
});

/** A translator over one buffer of kernel memory at va. */
function memAt(va: bigint, buf: Buffer): KernelTranslator {
  const read = (a: bigint, len: number) => {
    const off = Number(a - va);
    return off >= 0 && off + len <= buf.length ? buf.subarray(off, off + len) : undefined;
  };
  return {
    translate: () => undefined,
    read,
    readU64: (a) => read(a, 8)?.readBigUInt64LE(0),
    readCString: () => undefined,
    describe: () => 'test',
  };
}

describe('mem_section with large pages', () => {
  const ROOT = 0xffff000000100000n,
    SECS = 0xffff000000200000n,
    VMEMMAP = 0xfffffc0000000000n;
  const vi = (ps: number, bits?: number) =>
    parseVmcoreInfo(
      `OSRELEASE=6.12.0\nPAGESIZE=${ps}\nSYMBOL(mem_section)=${ROOT.toString(16)}\nLENGTH(mem_section)=1\nSIZE(mem_section)=16\n` +
        `OFFSET(mem_section.section_mem_map)=0\nSYMBOL(vmemmap)=${VMEMMAP.toString(16)}\nNUMBER(MAX_PHYSMEM_BITS)=48\n` +
        (bits ? `NUMBER(SECTION_SIZE_BITS)=${bits}\n` : ''),
    );
  const mem = (ps: number) => {
    const b = Buffer.alloc(Number(SECS - ROOT) + ps);
    b.writeBigUInt64LE(SECS, 0);
    b.writeBigUInt64LE(VMEMMAP | 7n, Number(SECS - ROOT) + 16 * 8); // section 8 present, online, with memmap
    return memAt(ROOT, b);
  };
  it('16 KiB pages: 8192 PFNs per 128 MiB section; 64 KiB: 8192 per 512 MiB (the Geometry default 29)', () => {
    const t16 = readMemSections(vi(16384, 27), mem(16384), 16384);
    assert.equal(t16.pfnsPerSection, 8192);
    assert.deepEqual(
      t16.sections.map((s) => s.nr),
      [8],
    );
    const t64 = readMemSections(vi(65536), mem(65536), 65536, ARM64.geometry(undefined, 65536).sectionSizeBits);
    assert.equal(t64.sectionSizeBits, 29);
    assert.equal(t64.pfnsPerSection, 8192);
  });
  it('a SECTION_SIZE_BITS too small for 256 pages of the page size is refused', () => {
    assert.throws(
      () => readMemSections(vi(16384, 21), mem(16384), 16384),
      /SECTION_SIZE_BITS\)=21 is impossible with 16384-byte pages/,
    );
    assert.equal(readMemSections(vi(16384, 22), mem(16384), 16384).pfnsPerSection, 256);
  });
});

const BUDDY = 1n << 10n,
  NOPAGE = 1n << 20n;

interface CaptureSpec {
  uname?: string;
  pagesize?: string;
  iomem?: string;
  dmesg?: string;
  words: number;
  /** PFNs below ramStart are NOPAGE, the rest free. */
  ramStart: number;
  blockBytes?: number;
}

function capture(spec: CaptureSpec): string {
  const d = mkdtempSync(join(tmpdir(), 'kmemmap-large-'));
  const b = Buffer.alloc(spec.words * 8);
  for (let i = 0; i < spec.words; i++) b.writeBigUInt64LE(i < spec.ramStart ? NOPAGE : BUDDY, i * 8);
  writeFileSync(join(d, 'kpageflags'), b);
  if (spec.uname) writeFileSync(join(d, 'uname'), spec.uname);
  if (spec.pagesize !== undefined) writeFileSync(join(d, 'pagesize'), spec.pagesize);
  if (spec.iomem) writeFileSync(join(d, 'iomem'), spec.iomem);
  if (spec.dmesg) writeFileSync(join(d, 'dmesg'), spec.dmesg);
  if (spec.blockBytes) {
    mkdirSync(join(d, 'memory'));
    writeFileSync(join(d, 'memory', 'block_size_bytes'), spec.blockBytes.toString(16) + '\n');
    const ps = Number(spec.pagesize ?? 4096);
    const per = spec.blockBytes / ps;
    for (let id = Math.floor(spec.ramStart / per); id * per < spec.words; id++) {
      mkdirSync(join(d, 'memory', `memory${id}`));
      writeFileSync(join(d, 'memory', `memory${id}`, 'state'), 'online\n');
      writeFileSync(join(d, 'memory', `memory${id}`, 'valid_zones'), 'Movable\n');
    }
  }
  return d;
}

const UNAME16 = 'Linux lab 6.12.118+deb12-arm64-16k #1 SMP Debian 6.12.118-1~deb12u1 (2025-01-01) aarch64 GNU/Linux\n';
const UNAME4 = 'Linux lab 6.12.118+deb12-arm64 #1 SMP Debian 6.12.118-1~deb12u1 (2025-01-01) aarch64 GNU/Linux\n';
const IOMEM_1G_AT_1G = '40000000-7fffffff : System RAM\n  40210000-4181ffff : Kernel code\n';
const EARLY_512M =
  '[    0.000000] Early memory node ranges\n[    0.000000]   node   0: [mem 0x0000000040000000-0x000000005fffffff]\n[    0.000000] Initmem setup node 0\n';

describe('kpageflags captures with 16 and 64 KiB pages', () => {
  it('pure helpers: release suffixes, the pagesize file, the System RAM bound', () => {
    assert.equal(pageSizeOfRelease('6.12.118+deb12-arm64-16k'), 16384);
    assert.equal(pageSizeOfRelease('5.14.0-427.el9.aarch64+64k'), 65536);
    assert.equal(pageSizeOfRelease('6.8.0-45-generic-64k'), 65536);
    assert.equal(pageSizeOfRelease('6.12.118+deb12-arm64'), undefined);
    assert.equal(parsePageSizeFile('16384\n'), 16384);
    assert.match(String(parsePageSizeFile('8192')), /not a page size/);
    assert.match(String(parsePageSizeFile('16k')), /not a page size/);
    // 2 GiB of PFNs: 131072 words reach RAM's end at 2 GiB with 16 KiB pages, not with 4 KiB
    assert.deepEqual(pageSizeLowerBound(131072, IOMEM_1G_AT_1G), { pageSize: 16384, ramEnd: 0x80000000 });
    assert.equal(pageSizeLowerBound(524288, IOMEM_1G_AT_1G)!.pageSize, 4096);
    assert.equal(pageSizeLowerBound(100, IOMEM_1G_AT_1G), undefined, 'not even 64 KiB pages reach it');
    assert.equal(pageSizeLowerBound(131072, '00000000-00000000 : System RAM\n'), undefined, 'iomem read without root');
  });

  it('16 KiB (pagesize file): 8192-PFN sections and blocks from block_size_bytes, PFN addresses', async () => {
    const s = await openKpageflagsSnapshot(
      capture({
        uname: UNAME16,
        pagesize: '16384\n',
        iomem: IOMEM_1G_AT_1G,
        dmesg: EARLY_512M,
        words: 131072,
        ramStart: 65536,
        blockBytes: 128 * MIB,
      }),
    );
    assert.equal(s.kernel.pageSize, 16384);
    assert.equal(s.kernel.machine, 'aarch64');
    assert.equal(s.pfnsPerSection, 8192);
    assert.equal(s.pfnsPerBlock, 8192);
    assert.equal(s.sections.length, 16);
    assert.deepEqual(
      s.blocks.map((b) => b.id),
      [8, 9, 10, 11, 12, 13, 14, 15],
    );
    assert.equal(s.blocks[0].startPfn, 65536);
    assert.equal(s.counts[CLASS_ID.free], 65536);
    // arm64 refuses boot memory: the blocks of the dmesg's early ranges (512 MiB at 1 GiB) fail with EPERM, the others offline
    assert.deepEqual(
      s.blocks.map((b) => b.verdict!.mainline.errno ?? 'ok'),
      ['EPERM', 'EPERM', 'EPERM', 'EPERM', 'ok', 'ok', 'ok', 'ok'],
    );
    assert.ok(s.provenance.notes.some((n) => /boot memory .*dmesg "Early memory node ranges"/.test(n)));
    assert.ok(
      s.provenance.notes.some((n) => /^page size 16 KiB \(the capture's pagesize file\); SECTION_SIZE_BITS 27/.test(n)),
    );
    assert.equal(s.pageDetail!(65536 + 3)!.physAddr, 0x40000000n + 3n * 16384n);
    assert.deepEqual(s.warnings, []);
  });

  it('arm64 boot memory without an early-ranges dmesg: the top-level System RAM of iomem, said as an assumption', async () => {
    const s = await openKpageflagsSnapshot(
      capture({
        uname: UNAME16,
        pagesize: '16384',
        iomem: IOMEM_1G_AT_1G,
        words: 131072,
        ramStart: 65536,
        blockBytes: 128 * MIB,
      }),
    );
    assert.ok(s.blocks.every((b) => b.verdict!.mainline.errno === 'EPERM'));
    assert.ok(
      s.provenance.notes.some((n) => /from top-level "System RAM" of \/proc\/iomem \(dmesg has no/.test(n)),
      s.provenance.notes.join('\n'),
    );
  });

  it('64 KiB (pagesize file): 512 MiB sections and blocks', async () => {
    const s = await openKpageflagsSnapshot(
      capture({
        uname: UNAME4.replace('arm64 #1', 'arm64-64k #1'),
        pagesize: '65536',
        words: 32768,
        ramStart: 16384,
        blockBytes: 512 * MIB,
      }),
    );
    assert.equal(s.kernel.pageSize, 65536);
    assert.equal(s.pfnsPerSection, 8192);
    assert.equal(s.pfnsPerBlock, 8192);
    assert.deepEqual(
      s.blocks.map((b) => b.id),
      [2, 3],
    );
  });

  it('no pagesize file: System RAM proves 16 KiB pages even when the release names none', async () => {
    const s = await openKpageflagsSnapshot(
      capture({ uname: UNAME4, iomem: IOMEM_1G_AT_1G, words: 131072, ramStart: 65536 }),
    );
    assert.equal(s.kernel.pageSize, 16384);
    assert.ok(
      s.provenance.notes.some((n) =>
        /no pagesize file; 131072 kpageflags words reach System RAM's end 0x80000000 only with pages of at least 16 KiB/.test(
          n,
        ),
      ),
      s.provenance.notes.join('\n'),
    );
  });

  it('no pagesize file, no iomem: a -16k release is read in 16 KiB pages with a note; a plain arm64 one in 4 KiB with a warning', async () => {
    const s16 = await openKpageflagsSnapshot(capture({ uname: UNAME16, words: 131072, ramStart: 65536 }));
    assert.equal(s16.kernel.pageSize, 16384);
    assert.ok(
      s16.provenance.notes.some((n) =>
        /the arm64 release 6\.12\.118\+deb12-arm64-16k names 16 KiB pages \(no System RAM/.test(n),
      ),
    );
    const s4 = await openKpageflagsSnapshot(capture({ uname: UNAME4, words: 524288, ramStart: 262144 }));
    assert.equal(s4.kernel.pageSize, 4096);
    assert.ok(
      s4.warnings.some((w) => /arm64 capture without a pagesize file .* read with 4 KiB pages/.test(w)),
      s4.warnings.join('\n'),
    );
  });

  it('contradictions are said: a pagesize file below what System RAM needs, a garbage pagesize, an x86_64 capture claiming 16 KiB', async () => {
    const s = await openKpageflagsSnapshot(
      capture({ uname: UNAME16, pagesize: '4096', iomem: IOMEM_1G_AT_1G, words: 131072, ramStart: 65536 }),
    );
    assert.equal(s.kernel.pageSize, 4096);
    assert.ok(
      s.warnings.some((w) => /pagesize file says 4096 but 131072 kpageflags words reach System RAM's end/.test(w)),
      s.warnings.join('\n'),
    );
    const g = await openKpageflagsSnapshot(
      capture({ uname: UNAME16, pagesize: 'sixteen', words: 131072, ramStart: 65536 }),
    );
    assert.ok(g.warnings.some((w) => /pagesize file says "sixteen", not a page size .*: ignored/.test(w)));
    assert.equal(g.kernel.pageSize, 16384, 'then the release decides');
    const x86 = capture({
      uname: 'Linux h 6.12.0-amd64 #1 SMP x86_64 GNU/Linux\n',
      pagesize: '16384',
      words: 4096,
      ramStart: 0,
    });
    await assert.rejects(
      openKpageflagsSnapshot(x86),
      (e: unknown) => e instanceof SnapshotError && /x86_64 capture whose page size reads as 16384/.test(e.message),
    );
  });

  it('a capture archive may hold the pagesize file (a short text file)', () => {
    assert.deepEqual(checkEntry('capture/pagesize', 'File', 6), {
      path: 'capture/pagesize',
      role: 'text',
      name: 'pagesize',
      size: 6,
    });
    assert.match(String(checkEntry('capture/pagesize', 'File', 1000)), /at most 64/);
  });
});

describe('real arm64 16 KiB VMCOREINFO (lab dumps 6.12.118 and 7.3.4 -arm64-16k)', () => {
  const fixture = (name: string) =>
    parseVmcoreInfo(
      readFileSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'vmcoreinfo', name), 'latin1'),
    );
  const cases: [string, number, string, number][] = [
    ['arm64-6.12.118+deb12-arm64.txt', 4096, '6.12-6.13', 10],
    ['arm64-6.12.118+deb12-arm64-16k.txt', 16384, '6.12-6.13', 11],
    ['arm64-7.3.4+deb13-arm64-16k.txt', 16384, '7.2-7.3', 11],
  ];
  for (const [file, ps, family, maxOrder] of cases)
    it(`${file}: ${ps / 1024} KiB pages, layout ${family} from the same PG_* numbers as 4 KiB, MAX_PAGE_ORDER ${maxOrder}`, () => {
      const vi = fixture(file);
      const g = ARM64.geometry(vi);
      assert.equal(g.pageSize, ps);
      assert.equal(g.pageblockPfns, 2 ** Math.min(Math.log2(ps) - 3, maxOrder));
      const cr = buildClassifyContext(vi, g.pageSize, DEBIAN_ARM64_FIELDS, 'aarch64');
      assert.equal(cr.family?.id, family);
      assert.equal(cr.ctx?.maxOrder, maxOrder);
    });
});

describe("QEMU's 64 KiB kdump blocks as 16 KiB pages (SubPagedMemory)", () => {
  /** Two blocks: 0 data (each 16 KiB quarter filled with its index), 1 excluded. */
  const blocks: PhysicalMemory = {
    pageSize: 65536,
    maxPfn: 2,
    avail: (b) => (b === 0 ? PageAvail.Data : PageAvail.Excluded),
    readPage: (b) => (b === 0 ? Buffer.concat([0, 1, 2, 3].map((i) => Buffer.alloc(16384, i + 1))) : undefined),
    readPagesInto(b, n, out, off, avail, aoff) {
      for (let i = 0; i < n; i++) {
        const p = this.readPage(b + i);
        if (p) p.copy(out, off + i * 65536);
        else out.fill(0, off + i * 65536, off + (i + 1) * 65536);
        avail[aoff + i] = this.avail(b + i);
      }
    },
    stats: () => ({ hits: 0, misses: 0, decoded: 0 }),
    close: () => undefined,
  };
  it('four pages per block, each a quarter of it, with the block availability', () => {
    const m = new SubPagedMemory(blocks, 16384);
    assert.equal(m.maxPfn, 8);
    assert.deepEqual(
      [0, 1, 2, 3].map((p) => m.readPage(p)![0]),
      [1, 2, 3, 4],
    );
    assert.equal(m.readPage(3)!.length, 16384);
    assert.equal(m.readPage(4), undefined);
    assert.deepEqual([m.avail(3), m.avail(4), m.avail(7)], [PageAvail.Data, PageAvail.Excluded, PageAvail.Excluded]);
    const out = Buffer.alloc(3 * 16384);
    const av = new Uint8Array(3);
    m.readPagesInto(3, 3, out, 0, av, 0);
    assert.deepEqual([out[0], out[16384], out[32768]], [4, 0, 0]);
    assert.deepEqual([...av], [PageAvail.Data, PageAvail.Excluded, PageAvail.Excluded]);
  });
});

describe('crash/drgn output of a 16 KiB-page kernel', () => {
  it('is refused, naming the page size, instead of being drawn at 4 KiB PFNs', () => {
    const tm = {
      facts: { release: '6.12.118+deb12-arm64-16k' },
      machine: 'aarch64',
      pageSize: 4096,
      warnings: [],
      notes: [],
    };
    assert.throws(
      () => snapshotFromToolMemmap(tm as unknown as ToolMemmap, 'crash.log'),
      (e: unknown) => e instanceof SnapshotError && /16 KiB-page kernel .*read in 4 KiB pages/.test(e.message),
    );
  });
});
