// x86_64 kernel virtual → physical translation without vmlinux (docs/dump-formats.md,
// the scheme of makedumpfile arch/x86_64.c): kernel image addresses use phys_base from VMCOREINFO
// (QEMU's kdump sub-header phys_base is wrong, so it is never used), everything else walks the page
// tables from SYMBOL(init_top_pgt) with 4 or 5 levels (NUMBER(pgtable_l5_enabled)), 1 GiB and 2 MiB
// pages, and the SME encryption bit masked out (NUMBER(sme_mask)).
import type { PhysicalMemory } from '../../parsers/dump/physmem';
import { VmcoreInfo } from '../../parsers/vmcoreinfo';
import { type Mapping, TranslationError } from '../../parsers/kernelMemory/translator';
import { TranslatorBase } from '../translatorBase';

export { TranslationError };

export const START_KERNEL_MAP = 0xffffffff80000000n;
const PTE_PRESENT = 1n;
const PTE_PSE = 0x80n;
const PHYS_MASK = 0x000ffffffffff000n;

export class X86Paging extends TranslatorBase {
  readonly physBase: bigint;
  readonly kernelOffset: bigint;
  readonly l5: boolean;
  readonly pgdPa: bigint;
  private readonly entryMask: bigint;
  private readonly imageSize: bigint;
  /** Translations of large/small pages, keyed by page-aligned VA (bounded). */
  private readonly tlb = new Map<bigint, { pa: bigint; size: bigint }>();

  constructor(mem: PhysicalMemory, vi: VmcoreInfo) {
    super(mem);
    const pb = vi.numbers.get('phys_base');
    const top = vi.symbols.get('init_top_pgt') ?? vi.symbols.get('swapper_pg_dir');
    if (pb === undefined) throw new TranslationError('VMCOREINFO has no NUMBER(phys_base)');
    if (top === undefined) throw new TranslationError('VMCOREINFO has no SYMBOL(init_top_pgt)');
    this.physBase = BigInt.asUintN(64, pb);
    this.kernelOffset = vi.kernelOffset ?? 0n;
    this.l5 = (vi.numbers.get('pgtable_l5_enabled') ?? 0n) === 1n;
    const sme = BigInt.asUintN(64, vi.numbers.get('sme_mask') ?? 0n);
    this.entryMask = PHYS_MASK & ~sme;
    this.imageSize = BigInt.asUintN(64, vi.numbers.get('KERNEL_IMAGE_SIZE') ?? 0x40000000n);
    // phys_base is negative (wraps) when KASLR put the kernel below its link-time physical address:
    // all image arithmetic is modulo 2^64.
    this.pgdPa = BigInt.asUintN(64, top - START_KERNEL_MAP + this.physBase);
  }

  private readEntry(pa: bigint): bigint | undefined {
    return this.readPhysU64(pa);
  }

  describe(): string {
    return `phys_base 0x${this.physBase.toString(16)}, KERNELOFFSET 0x${this.kernelOffset.toString(16)}, ${this.l5 ? '5' : '4'}-level paging`;
  }

  /** Physical address of va and how far the same mapping goes, or undefined when not mapped / not in the dump. */
  translate(va: bigint): Mapping | undefined {
    va = BigInt.asUintN(64, va);
    if (va >= START_KERNEL_MAP && va < START_KERNEL_MAP + this.imageSize) {
      const pa = BigInt.asUintN(64, va - START_KERNEL_MAP + this.physBase);
      // the image is mapped linearly: one mapping to its end
      return { pa: Number(pa), span: Number(START_KERNEL_MAP + this.imageSize - va) };
    }
    for (const size of [1n << 30n, 1n << 21n, 1n << 12n]) {
      const hit = this.tlb.get(va & ~(size - 1n));
      if (hit && hit.size === size) {
        const off = va & (size - 1n);
        return { pa: Number(hit.pa + off), span: Number(size - off) };
      }
    }
    const levels = this.l5 ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
    let table = this.pgdPa;
    for (let i = 0; i < levels.length; i++) {
      const shift = levels[i];
      const idx = (va >> shift) & 0x1ffn;
      const e = this.readEntry(table + idx * 8n);
      if (e === undefined || !(e & PTE_PRESENT)) return undefined;
      const isLeaf = shift === 12n || ((shift === 30n || shift === 21n) && (e & PTE_PSE) !== 0n);
      if (isLeaf) {
        const size = 1n << shift;
        const base = e & this.entryMask & ~(size - 1n);
        if (this.tlb.size > 1 << 16) this.tlb.clear();
        this.tlb.set(va & ~(size - 1n), { pa: base, size });
        const off = va & (size - 1n);
        return { pa: Number(base + off), span: Number(size - off) };
      }
      table = e & this.entryMask;
    }
    return undefined;
  }

  /** Reads len bytes of kernel virtual memory; undefined when any part is unmapped or not in the dump. */
}
