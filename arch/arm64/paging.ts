// arm64 kernel virtual → physical translation from VMCOREINFO alone (docs/kernel/arm64.md):
// - the linear map [PAGE_OFFSET, PAGE_END): pa = va - PAGE_OFFSET + PHYS_OFFSET, where
//   PAGE_OFFSET = -(1 << VA_BITS) with the compile-time NUMBER(VA_BITS) and PHYS_OFFSET (memstart_addr)
//   already adjusted by the kernel when a 52-bit-VA build runs with 48 bits;
// - everything else (vmemmap, vmalloc, modules, the kernel image) by walking the TTBR1 tables from
//   SYMBOL(swapper_pg_dir), itself in the image: pa = va - kimage_voffset.
// The walk uses the VA size the kernel really runs with, 64 - NUMBER(TCR_EL1_T1SZ), so 3, 4 or 5
// levels of (PAGE_SHIFT - 3) index bits each; with 52-bit VA on 4K/16K pages (FEAT_LPA2, TCR_EL1.DS)
// descriptors carry output-address bits 51:50 in bits 9:8, otherwise those bits are shareability and
// are masked out; 64K pages with 52-bit PA carry bits 51:48 in bits 15:12.
import type { PhysicalMemory } from '../../parsers/dump/physmem';
import type { VmcoreInfo } from '../../parsers/vmcoreinfo';
import { TranslationError, type Mapping } from '../../parsers/kernelMemory/translator';
import { TranslatorBase } from '../translatorBase';

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const bits = (hi: number, lo: number): bigint => ((1n << BigInt(hi + 1)) - 1n) & ~((1n << BigInt(lo)) - 1n);

export interface Arm64Layout {
  pageShift: number;
  /** compile-time VA_BITS (VMCOREINFO NUMBER(VA_BITS)) */
  vaBits: number;
  /** the VA size TTBR1 really uses: 64 - TCR_EL1.T1SZ */
  vaBitsActual: number;
  physOffset: bigint;
  kimageVoffset: bigint;
  pageOffset: bigint;
  pageEnd: bigint;
  /** TCR_EL1.DS: 52-bit output addresses in 4K/16K descriptors (LPA2) */
  lpa2: boolean;
  /** index shifts from the top level down */
  shifts: number[];
  pgdPa: bigint;
}

/** What VMCOREINFO says about an arm64 kernel's address space; throws TranslationError when a key is missing. */
export function arm64Layout(vi: VmcoreInfo): Arm64Layout {
  const need = (k: string): bigint => {
    const v = vi.numbers.get(k);
    if (v === undefined) throw new TranslationError(`VMCOREINFO has no NUMBER(${k}): cannot translate arm64 addresses`);
    return v;
  };
  const pageSize = vi.pageSize;
  if (pageSize === undefined || ![4096, 16384, 65536].includes(pageSize))
    throw new TranslationError(`VMCOREINFO PAGESIZE ${pageSize ?? 'missing'}: arm64 has 4, 16 or 64 KiB pages`);
  const pageShift = Math.log2(pageSize);
  const vaBits = Number(need('VA_BITS'));
  if (vaBits < 36 || vaBits > 52)
    throw new TranslationError(`VMCOREINFO NUMBER(VA_BITS)=${vaBits}: arm64 has 36 to 52`);
  const t1sz = vi.numbers.get('TCR_EL1_T1SZ');
  const vaBitsActual = t1sz !== undefined ? 64 - Number(t1sz) : vaBits;
  if (vaBitsActual < 36 || vaBitsActual > vaBits)
    throw new TranslationError(
      `VMCOREINFO NUMBER(TCR_EL1_T1SZ)=${t1sz}: ${vaBitsActual}-bit VA does not fit VA_BITS ${vaBits}`,
    );
  const physOffset = U64(need('PHYS_OFFSET'));
  const kimageVoffset = U64(need('kimage_voffset'));
  const swapper = vi.symbols.get('swapper_pg_dir');
  if (swapper === undefined)
    throw new TranslationError('VMCOREINFO has no SYMBOL(swapper_pg_dir): cannot walk the arm64 kernel page tables');
  // VA_BITS_MIN: 48 (47 with 16K pages) for 52-bit builds; the linear map is the lower half of that range
  const vaBitsMin = vaBits > 48 ? (pageShift === 14 ? 47 : 48) : vaBits;
  const pageOffset = U64(-(1n << BigInt(vaBits)));
  const pageEnd = U64(-(1n << BigInt(vaBitsMin - 1)));
  const per = pageShift - 3;
  const levels = Math.ceil((vaBitsActual - pageShift) / per);
  const shifts: number[] = [];
  for (let i = levels - 1; i >= 0; i--) shifts.push(pageShift + i * per);
  return {
    pageShift,
    vaBits,
    vaBitsActual,
    physOffset,
    kimageVoffset,
    pageOffset,
    pageEnd,
    lpa2: pageShift !== 16 && vaBitsActual === 52,
    shifts,
    pgdPa: U64(swapper - kimageVoffset),
  };
}

export class Arm64Paging extends TranslatorBase {
  readonly layout: Arm64Layout;
  /** Leaf translations keyed by block-aligned VA (bounded). */
  private readonly tlb = new Map<bigint, { pa: bigint; size: bigint }>();
  private readonly leafSizes: bigint[];

  constructor(mem: PhysicalMemory, vi: VmcoreInfo) {
    super(mem);
    this.layout = arm64Layout(vi);
    this.leafSizes = this.layout.shifts.slice(1).map((s) => 1n << BigInt(s));
  }

  describe(): string {
    const l = this.layout;
    return (
      `arm64: ${1 << (l.pageShift - 10)} KiB pages, VA_BITS ${l.vaBits} (running ${l.vaBitsActual}-bit, ${l.shifts.length}-level tables${l.lpa2 ? ', LPA2' : ''}), ` +
      `PHYS_OFFSET 0x${l.physOffset.toString(16)}, kimage_voffset 0x${l.kimageVoffset.toString(16)}, swapper_pg_dir at pa 0x${l.pgdPa.toString(16)}`
    );
  }

  /** The output address of a table, block or page descriptor. */
  private outputAddress(d: bigint): bigint {
    const l = this.layout;
    if (l.pageShift === 16) return (d & bits(47, 16)) | (((d >> 12n) & 0xfn) << 48n);
    if (l.lpa2) return (d & bits(49, l.pageShift)) | (((d >> 8n) & 3n) << 50n);
    return d & bits(47, l.pageShift);
  }

  translate(va: bigint): Mapping | undefined {
    va = U64(va);
    const l = this.layout;
    if (va >= l.pageOffset && va < l.pageEnd) {
      const pa = va - l.pageOffset + l.physOffset;
      // the linear map: one mapping to its end
      return { pa: Number(pa), span: Number(l.pageEnd - va) };
    }
    // TTBR1 covers only the top 2^vaBitsActual bytes
    if (va >> BigInt(l.vaBitsActual) !== (1n << BigInt(64 - l.vaBitsActual)) - 1n) return undefined;
    for (const size of this.leafSizes) {
      const hit = this.tlb.get(va & ~(size - 1n));
      if (hit && hit.size === size) {
        const off = va & (size - 1n);
        return { pa: Number(hit.pa + off), span: Number(size - off) };
      }
    }
    let table = l.pgdPa;
    const per = BigInt(l.pageShift - 3);
    for (let i = 0; i < l.shifts.length; i++) {
      const shift = BigInt(l.shifts[i]!);
      const width = i === 0 ? BigInt(l.vaBitsActual) - shift : per;
      const idx = (va >> shift) & ((1n << width) - 1n);
      const d = this.readPhysU64(table + idx * 8n);
      if (d === undefined || !(d & 1n)) return undefined;
      const last = i === l.shifts.length - 1;
      const isTable = (d & 2n) !== 0n;
      if (last && !isTable) return undefined; // bits[1:0] = 01 is reserved at the last level
      if (last || !isTable) {
        const size = 1n << shift;
        const base = this.outputAddress(d) & ~(size - 1n);
        if (this.tlb.size > 1 << 16) this.tlb.clear();
        this.tlb.set(va & ~(size - 1n), { pa: base, size });
        const off = va & (size - 1n);
        return { pa: Number(base + off), span: Number(size - off) };
      }
      table = this.outputAddress(d);
    }
    return undefined;
  }
}
